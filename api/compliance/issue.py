"""Issuing a certificate of origin: build from a qualifying answer, sign, anchor, render, keep a copy.

Shared by ``usmca certificate create`` and ``POST /v1/certificates``. The issuing org keeps its signed
documents in its own store (``home/private/certificates/<MSP>/<id>.json``): they carry names, addresses and
phone numbers that never go on the ledger, and the issuer must keep them five years (19 CFR 182.12(h)).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.certificates.build import build_certificate
from api.compliance.coo import ledger_record, new_certificate_id, pdf_with_json, sign_certificate, verify_url
from api.compliance.gather import LedgerOrigin
from api.origin.engine import qualify
from ledger.client import LedgerClient
from ledger.errors import NotFound, ValidationError
from ledger.identity.network import Member
from ledger.readmodel.builder import ReadModel

#: Keys of the parties document (everything build_certificate takes besides the answer).
PARTY_KEYS = frozenset(
    {"certifier", "producer", "exporter", "importer", "invoice", "blanket_period", "signed_date", "description",
     "origin_criterion", "language"}
)  # fmt: skip
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Issued:
    """A signed, anchored certificate with its PDF and verification URL."""

    certificate: dict[str, Any]
    ledger: dict[str, Any]
    pdf: bytes
    verify_url: str


class CertificateStore:
    """An issuing org's signed certificates of origin, one JSON file each."""

    def __init__(self, home: Path, msp_id: str) -> None:
        self.dir = Path(home) / "private" / "certificates" / msp_id
        self.msp_id = msp_id

    def _path(self, certificate_id: str) -> Path:
        if not _ID.match(certificate_id):
            raise NotFound(f"certificate of origin {certificate_id!r} does not exist", value=certificate_id)
        return self.dir / f"{certificate_id}.json"

    def put(self, cert: dict[str, Any]) -> None:
        """Keep a signed certificate (written atomically)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self._path(cert["certificate_id"])
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cert, sort_keys=True, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def discard(self, certificate_id: str) -> None:
        """Forget a certificate whose ledger record was refused."""
        self._path(certificate_id).unlink(missing_ok=True)

    def get(self, certificate_id: str) -> dict[str, Any]:
        """One certificate this org issued; NotFound naming the id otherwise."""
        path = self._path(certificate_id)
        if not path.exists():
            raise NotFound(
                f"certificate of origin {certificate_id} was not issued by {self.msp_id}",
                field="certificate_id",
                value=certificate_id,
            )
        return json.loads(path.read_text(encoding="utf-8"))

    def ids(self) -> list[str]:
        """Every certificate id this org issued."""
        return sorted(p.stem for p in self.dir.glob("*.json")) if self.dir.exists() else []


def check_parties(parties: dict[str, Any], where: str = "parties") -> dict[str, Any]:
    """Refuse unknown keys and a missing certifier; default producer and exporter to the certifier."""
    unknown = sorted(set(parties) - PARTY_KEYS)
    if unknown:
        raise ValidationError(f"{where}: unknown key {unknown[0]!r}", field=unknown[0], value=unknown[0])
    if not isinstance(parties.get("certifier"), dict):
        raise ValidationError(f"{where}: certifier (an object) is required", field="certifier")
    for key in ("invoice", "description", "origin_criterion", "language", "signed_date"):
        value = parties.get(key)
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{where}.{key} must be text, got {value!r}", field=key, value=str(value)[:40])
    for key in ("certifier", "producer", "exporter", "importer"):
        value = parties.get(key)
        if value is not None and not isinstance(value, dict | str):
            raise ValidationError(f"{where}.{key} must be an object or a word, got {value!r}", field=key)
        if isinstance(value, dict):
            bad = sorted(k for k, v in value.items() if not isinstance(v, str))
            if bad:
                raise ValidationError(f"{where}.{key}.{bad[0]} must be text", field=f"{key}.{bad[0]}")
    return {"producer": "same_as_certifier", "exporter": "same_as_certifier", **parties}


def part_answer(
    readmodel: ReadModel,
    home: Path,
    msp_id: str,
    uid: str,
    *,
    as_of: dt.date,
    on: dt.date,
    end_use: str = "oe_pv_lt",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The origin engine's answer for one part, from its as-built tree, certifications and the org's prices."""
    bom = LedgerOrigin(readmodel, home, msp_id).bom(uid, as_of=as_of, on=on, end_use=end_use, extra=extra)
    return qualify(bom.request).model_dump(mode="json")


def issue_certificate(
    client: LedgerClient,
    member: Member,
    answer: dict[str, Any],
    parties: dict[str, Any],
    *,
    base_url: str,
    store: CertificateStore | None = None,
    certificate_id: str | None = None,
) -> Issued:
    """Build, sign with the member's key, record on the ledger, render the PDF and keep the JSON.

    Raises:
        ValidationError: the answer does not qualify or the document would be incomplete.
        LedgerError: the ledger refused the record (e.g. the member is not a certifier).
    """
    cert = build_certificate(answer, **check_parties(parties))
    cid = certificate_id or new_certificate_id(member.msp_id)
    signed = sign_certificate(
        cert,
        member.signer,
        msp_id=member.msp_id,
        member=member.name,
        cert_pem=member.cert_pem.decode("ascii"),
        certificate_id=cid,
    )
    # Keep the document before anchoring it, so a crash after the commit never leaves a ledger record whose
    # document nobody holds; a refused record takes the file back out.
    if store is not None:
        store.put(signed)
    try:
        recorded = client.record_certificate_of_origin(ledger_record(signed))
    except BaseException:
        if store is not None:
            store.discard(cid)
        raise
    signed["signature"] = {**signed["signature"], "ledger_tx_id": recorded.get("tx_id")}
    if store is not None:
        store.put(signed)
    url = verify_url(base_url, cid, recorded["content_hash"])
    return Issued(signed, recorded, pdf_with_json(signed, url), url)
