"""Detached signatures on certifications, checked against the submitting member's own certificate.

The certifier signs ``canonical_json(body)`` off-chain with the key of the certificate it submits with, so the
ledger record proves both who stated the origin and that nobody changed a figure since. The check is the
project's one signature rule (:func:`ledger.identity.signing.verify_signature`: ECDSA P-256, SHA-256, DER,
low-S as Fabric requires), applied to the creator certificate the channel's MSP vouches for.
"""

from __future__ import annotations

import base64
import binascii

from ledger.errors import ValidationError
from ledger.identity.attrs import CertIdentity
from ledger.identity.signing import verify_signature


def decode_signature(text: str, what: str) -> bytes:
    """Strict base64 of a DER signature."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            f"{what} signature {text[:24]!r} is not base64", field="signature", value=text[:24]
        ) from exc
    if not raw:
        raise ValidationError(f"{what} signature is empty", field="signature")
    return raw


def verify_detached(signer: CertIdentity, data: bytes, signature_b64: str, what: str) -> None:
    """Refuse a signature that was not made over ``data`` by the key of ``signer``'s certificate."""
    if not verify_signature(signer.cert_pem, data, decode_signature(signature_b64, what)):
        raise ValidationError(
            f"{what} signature does not verify against the certificate of "
            f"{signer.common_name!r} of {signer.msp_id} (ECDSA P-256, SHA-256, low-S)",
            field="signature",
            value=signature_b64[:24],
        )
