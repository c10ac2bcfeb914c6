"""Certificates of origin anchored on the ledger: the content hash, the certifier's signature and revocation.

A USMCA certification of origin (Annex 5-A) is a document that travels with goods; it is full of addresses and
phone numbers that do not belong on a shared ledger. The ledger keeps only what a verifier needs: the content
hash (sha256 of the canonical JSON without its signature block), the issuing org and certifier, the goods' HS
codes, the blanket period, and the certifier's ECDSA signature over that canonical JSON. Because ECDSA-SHA256
signs the SHA-256 digest, the chaincode checks the signature against the hash alone (prehashed), so the
document itself never reaches the peers. Status (valid, revoked, expired) is computed at read time.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import Tx, answer
from chaincode.validate import Fields, check_ident, normalize_hs_code, parse_object
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError
from ledger.identity.attrs import Role, load_cert
from ledger.identity.signing import is_low_s

#: Object type of the composite key ``certorigin/<certificate id>`` (read-model table ``certorigin``).
CERT_ORIGIN = "certorigin"
MAX_GOODS = 200
BLANKET_MONTHS = 12
VALIDITY_YEARS = 4


def verify_prehashed(cert_pem: bytes, digest_hex: str, signature: bytes) -> bool:
    """True when ``signature`` is a low-S ECDSA P-256 signature of the SHA-256 digest ``digest_hex``."""
    if not is_low_s(signature):
        return False
    try:
        key = load_cert(cert_pem).public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            return False
        key.verify(signature, bytes.fromhex(digest_hex), ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False
    except Exception:  # an unreadable certificate simply does not verify
        return False
    return True


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(day.year + y, m + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def certificate_status(doc: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Valid, revoked or expired at ``today`` (four years after signing, 19 CFR 182.12(h)), with reasons."""
    signed = dt.date.fromisoformat(doc["signed_date"])
    last = _add_months(signed, 12 * VALIDITY_YEARS) - dt.timedelta(days=1)
    if doc.get("revocation"):
        rev = doc["revocation"]
        return {"status": "revoked", "valid": False, "reasons": [f"revoked at {rev['at']}: {rev['reason']}"],
                "valid_until": last.isoformat()}  # fmt: skip
    if today > last:
        return {"status": "expired", "valid": False, "reasons": [f"expired: four years after signing ended {last}"],
                "valid_until": last.isoformat()}  # fmt: skip
    return {"status": "valid", "valid": True, "reasons": [], "valid_until": last.isoformat()}


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    f = Fields(raw, "certificate of origin")
    cid = f.ident("certificate_id")
    content_hash = f.hex64("content_hash")
    issuer = f.msp("issuer_msp")
    signed = f.date("signed_date")
    hs_codes = f.str_list("goods_hs", max_items=MAX_GOODS, unique=False)
    goods = [normalize_hs_code(h) for h in hs_codes]
    period = f.raw("blanket_period", required=False)
    blanket = None
    if period is not None:
        p = Fields(period, "certificate of origin blanket_period")
        start, end = p.date("from"), p.date("to")
        p.done()
        if end < start or end >= _add_months(start, BLANKET_MONTHS):
            raise ValidationError(
                f"certificate of origin blanket_period {start}..{end} must end after it starts and within "
                f"{BLANKET_MONTHS} months",
                field="blanket_period.to",
                value=end.isoformat(),
            )
        blanket = {"from": start.isoformat(), "to": end.isoformat()}
    signature = f.text("signature", max_len=200)
    f.done()
    try:
        raw_sig = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            f"certificate of origin signature {signature[:24]!r} is not base64", field="signature", value=signature[:24]
        ) from exc
    return {
        "certificate_id": cid,
        "content_hash": content_hash,
        "issuer_msp": issuer,
        "signed_date": signed.isoformat(),
        "goods_hs": goods,
        "blanket_period": blanket,
        "signature": signature,
        "_raw_sig": raw_sig,
    }


async def _get(tx: Tx, certificate_id: str) -> dict[str, Any]:
    key = tx.key(CERT_ORIGIN, check_ident(certificate_id, "certificate of origin id", "certificate_id"))
    doc = await tx.get(key)
    if doc is None:
        raise NotFound(
            f"certificate of origin {certificate_id} does not exist", field="certificate_id", value=certificate_id
        )
    return doc


def _with_status(tx: Tx, doc: dict[str, Any]) -> str:
    return answer({**doc, "status": {**certificate_status(doc, tx.now.date()), "evaluated_at": tx.now_iso}})


class OriginCertificateTransactions:
    """RecordCertificateOfOrigin, RevokeCertificateOfOrigin, GetCertificateOfOrigin."""

    @submit
    async def RecordCertificateOfOrigin(self, ctx: TransactionContextInterface, record_json: str) -> str:
        """The issuing org's certifier anchors a signed certificate of origin (hash, parties, goods, period)."""
        tx = Tx(ctx)
        who = tx.require("record certificates of origin", Role.CERTIFIER)
        rec = _record(parse_object(record_json, "certificate of origin"))
        cid = rec["certificate_id"]
        # A later signing date would push the four-year validity later; one day of slack for time zones.
        if dt.date.fromisoformat(rec["signed_date"]) > tx.now.date() + dt.timedelta(days=1):
            raise ValidationError(
                f"certificate of origin signed_date {rec['signed_date']} is after the transaction date {tx.now.date()}",
                field="signed_date",
                value=rec["signed_date"],
            )
        if rec["issuer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not record certificate of origin {cid} on behalf of {rec['issuer_msp']}",
                field="issuer_msp",
                value=rec["issuer_msp"],
            )
        if not verify_prehashed(who.cert_pem, rec["content_hash"], rec.pop("_raw_sig")):
            raise ValidationError(
                f"certificate of origin {cid} signature does not verify over content hash "
                f"{rec['content_hash'][:16]}... with the certificate of {who.common_name!r} of {who.msp_id}",
                field="signature",
                value=rec["signature"][:24],
            )
        key = tx.key(CERT_ORIGIN, cid)
        if await tx.get(key) is not None:
            raise Conflict(f"certificate of origin {cid} already exists", field="certificate_id", value=cid)
        doc = {
            **rec,
            "doc_type": "certorigin",
            "recorded_at": tx.now_iso,
            "certifier": who.common_name,
            "signer_cert": who.cert_pem.decode("ascii"),
            "tx_id": tx.tx_id,
            "revocation": None,
        }
        await tx.put(key, doc)
        tx.emit("CertificateOfOriginRecorded", {"certificate_id": cid, "issuer_msp": tx.msp})
        return _with_status(tx, doc)

    @submit
    async def RevokeCertificateOfOrigin(
        self, ctx: TransactionContextInterface, certificate_id: str, reason: str
    ) -> str:
        """A certifier or admin of the issuing org withdraws a certificate; verifiers see it as revoked."""
        tx = Tx(ctx)
        tx.require("revoke certificates of origin", Role.CERTIFIER, Role.ADMIN)
        if not reason.strip() or len(reason) > 512:
            raise ValidationError(f"revocation reason {reason[:40]!r} must be 1-512 characters", field="reason")
        doc = await _get(tx, certificate_id)
        if doc["issuer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not revoke certificate of origin {certificate_id}: it was issued by {doc['issuer_msp']}",
                field="certificate_id",
                value=certificate_id,
            )
        if doc.get("revocation"):
            raise Conflict(
                f"certificate of origin {certificate_id} was already revoked at {doc['revocation']['at']}",
                field="certificate_id",
                value=certificate_id,
            )
        doc = {**doc, "revocation": {"at": tx.now_iso, "by": tx.caller.common_name, "reason": reason}}
        await tx.put(tx.key(CERT_ORIGIN, certificate_id), doc)
        tx.emit("CertificateOfOriginRevoked", {"certificate_id": certificate_id, "issuer_msp": tx.msp})
        return _with_status(tx, doc)

    @evaluate
    async def GetCertificateOfOrigin(self, ctx: TransactionContextInterface, certificate_id: str) -> str:
        """One anchored certificate of origin with its status computed now."""
        tx = Tx(ctx)
        tx.require("read certificates of origin")
        return _with_status(tx, await _get(tx, certificate_id))
