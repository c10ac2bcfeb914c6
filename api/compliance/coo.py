"""Certificates of origin: sign, anchor on the ledger, embed in the PDF, and verify (signature, record, status).

The certifier signs the canonical JSON of the certificate without its ``signature`` block (so the content hash
is the digest that was signed) and the ledger records that hash with the signature, issuer, goods HS codes and
blanket period. The JSON document travels inside its PDF as an embedded file, so a verifier holding only the
paper's PDF gets the exact signed bytes back; the QR code on the page carries the verification URL with the
certificate id and content hash. Verification trusts the signer certificate the ledger recorded (the channel's
MSP vouched for it when the transaction was endorsed), never the copy inside the document.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from api.certificates.canonical import SIGNATURE_KEY, canonical_json, content_hash
from api.certificates.fields import validate_certificate
from api.certificates.pdf import render_certificate_pdf
from chaincode.contracts.origin_certificates import CERT_ORIGIN, certificate_status, verify_prehashed
from ledger.errors import ParseError
from ledger.identity.signing import Signer
from ledger.readmodel.builder import ReadModel

ALGORITHM = "ECDSA P-256 SHA-256"
ATTACHMENT = "certificate-of-origin.json"


def new_certificate_id(msp_id: str) -> str:
    """A fresh id naming the issuing org (``COO-OEM-3F9A0C12``)."""
    return f"COO-{msp_id.removesuffix('MSP').upper()}-{secrets.token_hex(4).upper()}"


def verify_url(base_url: str, certificate_id: str, chash: str) -> str:
    """The public verification URL the QR code encodes."""
    return f"{base_url.rstrip('/')}/verify/{quote(certificate_id, safe='')}?h={chash}"


def unsigned(cert: dict[str, Any]) -> dict[str, Any]:
    """The certificate without its signature block (what is hashed and signed)."""
    return {k: v for k, v in cert.items() if k != SIGNATURE_KEY}


def sign_certificate(
    cert: dict[str, Any], signer: Signer, *, msp_id: str, member: str, cert_pem: str, certificate_id: str
) -> dict[str, Any]:
    """The certificate with its id and a detached signature block over the canonical JSON of the rest."""
    body = {**unsigned(cert), "certificate_id": certificate_id, "issuer_msp": msp_id}
    chash = content_hash(body)
    value = base64.b64encode(signer.sign(canonical_json(body))).decode("ascii")
    block = {"algorithm": ALGORITHM, "signer": f"{member} of {msp_id}", "msp_id": msp_id, "member": member,
             "certificate": cert_pem, "content_hash": chash, "value": value}  # fmt: skip
    return {**body, SIGNATURE_KEY: block}


def ledger_record(cert: dict[str, Any]) -> dict[str, Any]:
    """What RecordCertificateOfOrigin stores: hash, issuer, goods HS, period, signature (no addresses)."""
    record: dict[str, Any] = {
        "certificate_id": cert["certificate_id"],
        "content_hash": content_hash(cert),
        "issuer_msp": cert["issuer_msp"],
        "signed_date": str(cert["signed_date"]),
        "goods_hs": [str(g.get("hs", "")) for g in cert.get("goods", [])],
        "signature": cert[SIGNATURE_KEY]["value"],
    }
    if cert.get("blanket_period"):
        record["blanket_period"] = {"from": cert["blanket_period"]["from"], "to": cert["blanket_period"]["to"]}
    return record


def pdf_with_json(cert: dict[str, Any], url: str) -> bytes:
    """The rendered PDF with the certificate JSON embedded as ``certificate-of-origin.json``."""
    writer = PdfWriter(clone_from=io.BytesIO(render_certificate_pdf(cert, verify_url=url)))
    writer.add_attachment(ATTACHMENT, json.dumps(cert, sort_keys=True, indent=2, ensure_ascii=False).encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def load_document(data: bytes, name: str = "document") -> dict[str, Any]:
    """A certificate from JSON bytes or from a PDF carrying it; ParseError naming the problem otherwise."""
    text: bytes | None = data
    if data.lstrip()[:5] == b"%PDF-":
        try:
            files = PdfReader(io.BytesIO(data)).attachments
        except (PdfReadError, ValueError, KeyError) as exc:
            raise ParseError(f"{name} is not a readable PDF: {exc}", value=name) from exc
        found = files.get(ATTACHMENT)
        if not found:
            raise ParseError(f"{name} is a PDF without an embedded {ATTACHMENT}", value=name)
        text = found[0]
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{name} is neither a certificate JSON nor a certificate PDF: {exc}", value=name) from exc
    if not isinstance(doc, dict):
        raise ParseError(f"{name}: a certificate must be a JSON object, got {type(doc).__name__}", value=name)
    return doc


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one certificate: valid or not, and every reason it is not."""

    valid: bool
    certificate_id: str | None
    content_hash: str | None
    reasons: tuple[str, ...]
    checks: dict[str, bool] = field(default_factory=dict)
    ledger: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (CLI and API)."""
        return {
            "valid": self.valid,
            "certificate_id": self.certificate_id,
            "content_hash": self.content_hash,
            "reasons": list(self.reasons),
            "checks": self.checks,
            "ledger": self.ledger,
        }


#: What a verifier may see of a ledger record: no more than the certificate itself shows, plus its status.
PUBLIC_FIELDS = ("certificate_id", "issuer_msp", "certifier", "signed_date", "goods_hs", "blanket_period",
                 "recorded_at", "tx_id", "content_hash", "status")  # fmt: skip


def public_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The public part of a ledger record."""
    return {k: record.get(k) for k in PUBLIC_FIELDS}


def _differences(cert: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """Fields the ledger record also holds that differ in the document (names what was changed).

    The document may be anything a caller uploads, so every shape is tolerated.
    """
    out = []
    if cert.get("issuer_msp") != record.get("issuer_msp"):
        out.append(
            f"issuer_msp {cert.get('issuer_msp')!r} differs from the ledger record's {record.get('issuer_msp')!r}"
        )
    if str(cert.get("signed_date")) != record.get("signed_date"):
        out.append(
            f"signed_date {cert.get('signed_date')!r} differs from the ledger record's {record['signed_date']!r}"
        )
    goods = cert.get("goods") if isinstance(cert.get("goods"), list) else []
    doc_hs = [str(g.get("hs", "") if isinstance(g, dict) else "").replace(".", "").replace(" ", "") for g in goods]
    rec_hs = record.get("goods_hs") or []
    for i in range(max(len(doc_hs), len(rec_hs))):
        mine = doc_hs[i] if i < len(doc_hs) else None
        theirs = rec_hs[i] if i < len(rec_hs) else None
        if mine != theirs:
            out.append(f"goods[{i}].hs {mine!r} differs from the ledger record's {theirs!r}")
    period = cert.get("blanket_period") or None
    mine_period = {"from": period.get("from"), "to": period.get("to")} if isinstance(period, dict) else period
    if mine_period != (record.get("blanket_period") or None):
        out.append(f"blanket_period {period!r} differs from the ledger record's {record.get('blanket_period')!r}")
    return out


def verify_document(cert: dict[str, Any], record: dict[str, Any] | None) -> Verdict:
    """Check a certificate against its ledger record (None: not on the ledger). Pure: no I/O.

    Checks: Annex 5-A completeness, a signature block, the content hash equal to the recorded one (naming the
    recorded fields that differ), the signature over the hash by the certificate the ledger recorded, and the
    recorded status (revoked, expired).
    """
    reasons: list[str] = []
    checks: dict[str, bool] = {}
    cid = cert.get("certificate_id") if isinstance(cert.get("certificate_id"), str) else None
    chash = content_hash(cert)
    errors = validate_certificate(cert)
    checks["fields"] = not errors
    reasons += [f"{e.field}: {e.message}" for e in errors]
    sig = cert.get(SIGNATURE_KEY)
    if not isinstance(sig, dict) or not isinstance(sig.get("value"), str):
        checks["signature"] = False
        reasons.append("the certificate carries no signature block (signature.value)")
        sig = {}
    if cid is None:
        reasons.append("the certificate has no certificate_id, so it cannot be looked up on the ledger")
    if record is None:
        checks["ledger_record"] = False
        if cid is not None:
            reasons.append(f"certificate of origin {cid} is not recorded on the ledger")
        return Verdict(False, cid, chash, tuple(reasons), checks, None)
    checks["ledger_record"] = True
    checks["content_hash"] = chash == record["content_hash"]
    if not checks["content_hash"]:
        diffs = _differences(cert, record)
        what = "; ".join(diffs) if diffs else "a field the ledger does not hold (parties, descriptions, criteria...)"
        reasons.append(
            f"content hash {chash} differs from the ledger's {record['content_hash']}: the document was changed "
            f"after signing ({what})"
        )
    if "signature" not in checks:
        try:
            raw = base64.b64decode(sig["value"], validate=True)
        except (ValueError, TypeError):
            raw = b""
        ok = bool(raw) and verify_prehashed(record["signer_cert"].encode(), chash, raw)
        checks["signature"] = ok
        if not ok:
            reasons.append(
                f"signature does not verify over content hash {chash} with the certificate of "
                f"{record.get('certifier')!r} of {record.get('issuer_msp')} recorded on the ledger"
            )
        if sig.get("value") != record.get("signature"):
            checks["signature"] = False
            reasons.append("the signature differs from the one recorded on the ledger")
    status = record.get("status") or {}
    checks["not_revoked"] = status.get("status") != "revoked"
    checks["not_expired"] = status.get("status") != "expired"
    reasons += list(status.get("reasons") or [])
    return Verdict(not reasons, cid, chash, tuple(reasons), checks, public_fields(record))


def public_record(readmodel: ReadModel, certificate_id: str) -> dict[str, Any] | None:
    """The anchored record from the read model (committed state; no identity needed), status computed now."""
    if CERT_ORIGIN not in readmodel.db.table_names():
        return None
    rows = list(readmodel.db[CERT_ORIGIN].rows_where("_key = ?", [certificate_id]))
    if not rows:
        return None
    doc = {k: v for k, v in rows[0].items() if not k.startswith("_")}
    for key in ("goods_hs", "blanket_period", "revocation"):
        if isinstance(doc.get(key), str):
            doc[key] = json.loads(doc[key])
    now = dt.datetime.now(dt.UTC)
    doc["status"] = {**certificate_status(doc, now.date()), "evaluated_at": now.isoformat(timespec="seconds")}
    return doc


def verify_bytes(readmodel: ReadModel, data: bytes, name: str = "document") -> Verdict:
    """Verify a certificate given as JSON or PDF bytes against the ledger (ParseError when unreadable)."""
    cert = load_document(data, name)
    cid = cert.get("certificate_id")
    return verify_document(cert, public_record(readmodel, cid) if isinstance(cid, str) else None)


def verify_hash(readmodel: ReadModel, certificate_id: str, chash: str) -> Verdict:
    """Verify what a QR code carries (id and content hash) against the ledger record and its status."""
    record = public_record(readmodel, certificate_id)
    if record is None:
        why = f"certificate of origin {certificate_id} is not recorded on the ledger"
        return Verdict(False, certificate_id, chash, (why,), {"ledger_record": False}, None)
    reasons = []
    if chash != record["content_hash"]:
        reasons.append(f"content hash {chash} differs from the ledger's {record['content_hash']}")
    reasons += record["status"]["reasons"]
    checks = {
        "ledger_record": True,
        "content_hash": chash == record["content_hash"],
        "not_revoked": record["status"]["status"] != "revoked",
        "not_expired": record["status"]["status"] != "expired",
    }
    return Verdict(not reasons, certificate_id, chash, tuple(reasons), checks, public_fields(record))


def verify_qr(readmodel: ReadModel, text: str) -> Verdict:
    """Verify the content of a certificate's QR code (the verification URL)."""
    url = urlparse(text.strip())
    parts = [p for p in url.path.split("/") if p]
    hashes = parse_qs(url.query).get("h") or []
    if len(parts) < 2 or parts[-2] != "verify" or len(hashes) != 1:
        raise ParseError(
            f"QR content {text[:80]!r} is not a verification URL .../verify/<id>?h=<hash>", value=text[:80]
        )
    return verify_hash(readmodel, unquote(parts[-1]), hashes[0])
