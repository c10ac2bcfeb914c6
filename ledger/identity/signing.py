"""ECDSA P-256 signing and verification as Fabric does it, plus a cached check that a certificate is an org's.

Fabric accepts only low-S signatures (``s <= n/2``): an ECDSA signature ``(r, s)`` is equally valid as
``(r, n - s)``, and allowing both would let anyone change a transaction's bytes without a key. We normalize on
signing and reject high-S on verification. The embedded ledger verifies every proposal and endorsement, so
parsed public keys and certificate verdicts are cached by the PEM bytes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ledger.errors import Forbidden, NotFound, ParseError, ValidationError
from ledger.identity.attrs import load_cert

#: Order of the P-256 group.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = P256_ORDER >> 1
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def low_s(signature: bytes) -> bytes:
    """The low-S form of a DER ECDSA P-256 signature (unchanged when already low)."""
    r, s = decode_dss_signature(signature)
    if s > _HALF_ORDER:
        return encode_dss_signature(r, P256_ORDER - s)
    return signature


def is_low_s(signature: bytes) -> bool:
    """True when a DER signature decodes and its ``s`` is in the lower half of the group order."""
    try:
        _, s = decode_dss_signature(signature)
    except ValueError:
        return False
    return 0 < s <= _HALF_ORDER


class Signer:
    """A member's private key: signs bytes the way Fabric expects (ECDSA P-256, SHA-256, DER, low-S)."""

    __slots__ = ("_key",)

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValidationError("signing key must be an ECDSA P-256 key", value=type(key).__name__)
        self._key = key

    def __repr__(self) -> str:
        return "Signer(<P-256 key>)"

    @classmethod
    def from_pem(cls, pem: bytes, *, source: str = "private key") -> Signer:
        """Load an unencrypted PKCS#8 (or SEC1) PEM private key; ``source`` names it in errors."""
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ParseError(f"{source} is not an unencrypted PEM private key: {exc}", value=source) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValidationError(f"{source} is not an ECDSA P-256 key", value=source)
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        """Load the key of a Fabric ``keystore`` file."""
        try:
            pem = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"private key {path} does not exist", value=str(path)) from exc
        return cls.from_pem(pem, source=str(path))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The matching public key (to compare with a certificate)."""
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        """DER ECDSA signature over SHA-256 of ``data``, normalized to low-S."""
        return low_s(self._key.sign(data, _ECDSA_SHA256))


@lru_cache(maxsize=8192)
def _public_key(cert_pem: bytes) -> ec.EllipticCurvePublicKey | None:
    try:
        key = load_cert(cert_pem).public_key()
    except ParseError:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    return None


def verify_signature(cert_pem: bytes, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a low-S ECDSA P-256/SHA-256 signature of ``data`` by the certificate's key.

    Anything else (unparsable certificate or signature, non-P-256 key, high-S) is False, never an exception,
    because the validator turns a False into Fabric's BAD_SIGNATURE-style codes.
    """
    if not is_low_s(signature):
        return False
    key = _public_key(cert_pem)
    if key is None:
        return False
    try:
        key.verify(signature, data, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class CertVerdict:
    """What the time-independent checks concluded about a certificate, and when it is valid."""

    reason: str | None
    not_before: float
    not_after: float


def _ts(value: dt.datetime) -> float:
    return value.replace(tzinfo=dt.UTC).timestamp() if value.tzinfo is None else value.timestamp()


def _pems(value: bytes | Sequence[bytes]) -> tuple[bytes, ...]:
    return (bytes(value),) if isinstance(value, bytes | bytearray) else tuple(bytes(v) for v in value)


class MspValidator:
    """Checks that a creator or endorser certificate was issued by its org's CA, is not revoked and is valid now.

    ``roots`` maps each MSP id to its root CA certificate (or several, during a CA rollover); ``crls`` maps an
    MSP id to its CA's revocation lists (PEM). The chain, signature and revocation checks are cached per (MSP,
    certificate); only the validity window is compared with the clock on every call, so an expiring
    certificate stops validating at the right second.
    """

    def __init__(
        self,
        roots: Mapping[str, bytes | Sequence[bytes]],
        *,
        crls: Mapping[str, bytes | Sequence[bytes]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._args = ({k: _pems(v) for k, v in roots.items()}, {k: _pems(v) for k, v in (crls or {}).items()})
        self._roots: dict[str, tuple[x509.Certificate, ...]] = {}
        for msp_id, items in self._args[0].items():
            certs = []
            for pem in items:
                cert = load_cert(bytes(pem))
                bc = _basic_constraints(cert)
                if bc is None or not bc.ca:
                    raise ValidationError(f"root certificate of {msp_id} is not a CA certificate", value=msp_id)
                certs.append(cert)
            if not certs:
                raise ValidationError(f"MSP {msp_id} has no root certificate", value=msp_id)
            self._roots[msp_id] = tuple(certs)
        self._revoked: dict[str, dict[int, float]] = {}
        for msp_id, items in self._args[1].items():
            self._revoked[msp_id] = {}
            for pem in items:
                self._revoked[msp_id].update(_revoked_serials(msp_id, pem, self._roots.get(msp_id, ())))
        self._clock = clock
        self._verdict = lru_cache(maxsize=65536)(self._compute)

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (for process pools): rebuilt from the root and CRL PEMs, with an empty cache."""
        return (_rebuild_validator, (*self._args, self._clock))

    @property
    def msp_ids(self) -> tuple[str, ...]:
        """The MSPs this validator knows."""
        return tuple(self._roots)

    def validate(self, msp_id: str, cert_pem: bytes) -> bool:
        """True when the certificate belongs to ``msp_id`` and is valid now."""
        return self.reason(msp_id, cert_pem) is None

    def check(self, msp_id: str, cert_pem: bytes) -> None:
        """Raise Forbidden naming why the certificate is not a valid identity of ``msp_id``."""
        why = self.reason(msp_id, cert_pem)
        if why is not None:
            raise Forbidden(why, value=msp_id, field="certificate")

    def reason(self, msp_id: str, cert_pem: bytes) -> str | None:
        """None when valid, else a sentence saying why the certificate is refused."""
        verdict = self._verdict(msp_id, bytes(cert_pem))
        if verdict.reason is not None:
            return verdict.reason
        now = self._clock()
        if now < verdict.not_before:
            return f"certificate for {msp_id} is not valid before {_iso(verdict.not_before)}"
        if now > verdict.not_after:
            return f"certificate for {msp_id} expired at {_iso(verdict.not_after)}"
        return None

    def _compute(self, msp_id: str, cert_pem: bytes) -> CertVerdict:
        roots = self._roots.get(msp_id)
        if roots is None:
            return CertVerdict(f"unknown MSP {msp_id!r}", 0.0, 0.0)
        try:
            cert = load_cert(cert_pem)
        except ParseError as exc:
            return CertVerdict(exc.message, 0.0, 0.0)
        bc = _basic_constraints(cert)
        if bc is not None and bc.ca:
            return CertVerdict(f"a CA certificate cannot be used as an identity of {msp_id}", 0.0, 0.0)
        for root in roots:
            try:
                cert.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature):
                continue
            revoked_at = self._revoked.get(msp_id, {}).get(cert.serial_number)
            if revoked_at is not None:
                return CertVerdict(
                    f"certificate {cert.serial_number:x} of {msp_id} was revoked at {_iso(revoked_at)}", 0.0, 0.0
                )
            not_before = max(_ts(cert.not_valid_before_utc), _ts(root.not_valid_before_utc))
            not_after = min(_ts(cert.not_valid_after_utc), _ts(root.not_valid_after_utc))
            return CertVerdict(None, not_before, not_after)
        issuer = cert.issuer.rfc4514_string()
        return CertVerdict(f"certificate issued by {issuer!r} was not issued by the CA of {msp_id}", 0.0, 0.0)


def _rebuild_validator(
    roots: dict[str, tuple[bytes, ...]], crls: dict[str, tuple[bytes, ...]], clock: Callable[[], float]
) -> MspValidator:
    return MspValidator(roots, crls=crls, clock=clock)


def _revoked_serials(msp_id: str, pem: bytes, roots: Sequence[x509.Certificate]) -> dict[int, float]:
    """Serial -> revocation time of a CRL, after checking that one of the MSP's roots signed it."""
    try:
        crl = x509.load_pem_x509_crl(pem) if pem.lstrip().startswith(b"-----") else x509.load_der_x509_crl(pem)
    except ValueError as exc:
        raise ParseError(f"revocation list of {msp_id} cannot be parsed: {exc}", value=msp_id) from exc
    if not any(crl.issuer == r.subject and crl.is_signature_valid(r.public_key()) for r in roots):  # type: ignore[arg-type]
        raise ValidationError(f"revocation list of {msp_id} is not signed by the CA of {msp_id}", value=msp_id)
    return {entry.serial_number: _ts(entry.revocation_date_utc) for entry in crl}


def _basic_constraints(cert: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
