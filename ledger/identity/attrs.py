"""Roles and attributes carried inside a member's X.509 certificate.

fabric-chaincode-python 2.5.4 never parses the creator certificate, so ``ClientIdentity.get_attribute`` is
always None. We put the attributes where Fabric CA puts them (extension OID 1.2.3.4.5.6.7.8.1, JSON
``{"attrs": {...}}``) so Go chaincode and Fabric's ``cid`` library could read them too, and we parse them
ourselves with ``cryptography``. This module is imported by the chaincode, so it stays dependency-light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ledger.errors import Forbidden, ParseError

#: Fabric CA's attribute extension OID.
ATTRS_OID = ObjectIdentifier("1.2.3.4.5.6.7.8.1")
ROLE_ATTR = "usmca.role"
STATION_ATTR = "usmca.station"


class Role(StrEnum):
    """What a member of an organization may do."""

    ADMIN = "admin"
    STATION = "station"
    CERTIFIER = "certifier"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"
    PEER = "peer"


def attrs_extension_value(attrs: dict[str, str]) -> bytes:
    """The DER payload of the attribute extension (Fabric CA writes the JSON bytes as-is)."""
    return json.dumps({"attrs": attrs}, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class CertIdentity:
    """What the chaincode needs to know about a creator: org, name, role, station and the certificate."""

    msp_id: str
    common_name: str
    role: Role
    station: str | None
    attrs: dict[str, str]
    cert_pem: bytes

    @property
    def public_key(self) -> object:
        """The certificate's public key (used to check detached signatures made by this member)."""
        return load_cert(self.cert_pem).public_key()


@lru_cache(maxsize=4096)
def load_cert(pem: bytes) -> x509.Certificate:
    """Parse a PEM (or DER) certificate, cached because the same members sign many transactions."""
    try:
        if pem.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(pem)
        return x509.load_der_x509_certificate(pem)
    except ValueError as exc:
        raise ParseError(f"creator certificate cannot be parsed: {exc}", field="certificate") from exc


def read_attrs(cert: x509.Certificate) -> dict[str, str]:
    """The attribute map of a certificate, empty when it has none."""
    try:
        ext = cert.extensions.get_extension_for_oid(ATTRS_OID)
    except x509.ExtensionNotFound:
        return {}
    raw = ext.value.value if isinstance(ext.value, x509.UnrecognizedExtension) else b""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ParseError("certificate attribute extension is not JSON", field="certificate") from exc
    attrs = data.get("attrs", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in attrs.items()}


@lru_cache(maxsize=4096)
def identity_from_cert(msp_id: str, cert_pem: bytes) -> CertIdentity:
    """Build the caller's identity from its MSP id and cert; a certificate without a role is refused."""
    cert = load_cert(cert_pem)
    attrs = read_attrs(cert)
    role_text = attrs.get(ROLE_ATTR)
    if role_text is None:
        raise Forbidden(f"certificate of {msp_id} carries no {ROLE_ATTR} attribute", field="certificate")
    try:
        role = Role(role_text)
    except ValueError as exc:
        raise Forbidden(f"unknown role {role_text!r} in certificate", value=role_text) from exc
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[0].value) if cns else ""
    return CertIdentity(msp_id, cn, role, attrs.get(STATION_ATTR), attrs, cert_pem)
