"""A minimal X.509 certificate authority: ECDSA P-256 CAs and the certificates Fabric's MSP and TLS expect.

Each org runs its own CA (signing identities) and TLS CA (server certificates), as cryptogen and Fabric CA do.
Identity certificates carry the Fabric NodeOU in the subject's OU (client/admin/peer/orderer) and the member's
role in Fabric CA's attribute extension, so the chaincode can read it from the creator certificate itself.
Private keys are created with ``os.open(..., 0o600)``: a key is never readable by others, not even briefly.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ledger.errors import Conflict, LedgerError, NotFound, ValidationError
from ledger.identity.attrs import ATTRS_OID, attrs_extension_value
from ledger.identity.signing import P256_ORDER

CA_VALIDITY = dt.timedelta(days=3650)
#: Backdating absorbs clock skew between the machine that issues and the peers that validate.
BACKDATE = dt.timedelta(minutes=5)


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, the form Fabric's keystore reads."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    """PEM encoding of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 and write ``data``; refuses to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise Conflict(f"{path} already exists; not overwriting a private key", value=str(path)) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def write_public(path: Path, data: bytes) -> None:
    """Write a certificate or configuration file (world-readable is fine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _name(common_name: str, org_name: str, country: str, ou: str | None = None) -> x509.Name:
    parts = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
    ]
    if ou:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        """The certificate as PEM."""
        return cert_pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        """The private key as PKCS#8 PEM."""
        return key_pem(self.key)


@dataclass(frozen=True)
class CertificateAuthority:
    """A self-signed root CA that issues identity or TLS certificates for one org."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(
        cls, common_name: str, org_name: str, country: str, *, now: dt.datetime | None = None
    ) -> CertificateAuthority:
        """A new self-signed ECDSA P-256 root valid for ten years."""
        now = now or dt.datetime.now(dt.UTC)
        key = new_key()
        name = _name(common_name, org_name, country)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(ski, critical=False)
        )
        return cls(_sign_low_s(builder, key), key)

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """Load a CA written by :meth:`save` (the key must be in this home to issue new members)."""
        if not key_path.exists():
            raise NotFound(
                f"CA private key {key_path} is not in this home; issue from the org's own CA",
                value=str(key_path),
            )
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValidationError(f"CA key {key_path} is not an ECDSA key", value=str(key_path))
        return cls(cert, key)

    def save(self, directory: Path, cert_file: str) -> None:
        """Write ``directory/<cert_file>`` and ``directory/priv_sk`` (0600), as cryptogen lays a CA out."""
        write_public(directory / cert_file, cert_pem(self.cert))
        write_private(directory / "priv_sk", key_pem(self.key))

    @property
    def cert_pem(self) -> bytes:
        """The root certificate as PEM."""
        return cert_pem(self.cert)

    def issue(
        self,
        common_name: str,
        *,
        org_name: str,
        country: str,
        ou: str | None = None,
        attrs: dict[str, str] | None = None,
        tls_hosts: tuple[str, ...] = (),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Issued:
        """Issue an end-entity certificate with a new key.

        ``ou`` is the Fabric NodeOU, ``attrs`` go into the Fabric CA attribute extension, and ``tls_hosts``
        (IP addresses or DNS names) make it a TLS certificate with serverAuth and clientAuth usages. Validity
        defaults to the CA's own end so the identity lives as long as its issuer.
        """
        key = new_key()
        start = not_before or dt.datetime.now(dt.UTC) - BACKDATE
        end = not_after or self.cert.not_valid_after_utc
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, org_name, country, ou))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=bool(tls_hosts),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if tls_hosts:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            ).add_extension(x509.SubjectAlternativeName([_san(h) for h in tls_hosts]), critical=False)
        if attrs:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ATTRS_OID, attrs_extension_value(attrs)), critical=False
            )
        return Issued(_sign_low_s(builder, self.key), key)

    def crl(self, revoked: Sequence[tuple[int, dt.datetime]], *, number: int, now: dt.datetime | None = None) -> bytes:
        """A signed X.509 CRL (PEM) listing ``(serial, revocation time)`` pairs, as Fabric reads ``msp/crls``.

        ``next_update`` is the CA's own expiry: the list is replaced whenever a member is revoked, and Fabric
        does not refuse a CRL past its next update.
        """
        now = now or dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now)
            .next_update(self.cert.not_valid_after_utc)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return _sign_low_s(builder, self.key).public_bytes(serialization.Encoding.PEM)


def _sign_low_s(
    builder: x509.CertificateBuilder | x509.CertificateRevocationListBuilder, key: ec.EllipticCurvePrivateKey
) -> Any:
    """Sign until the ECDSA signature is low-S, as Fabric's own CAs (BCCSP) always produce.

    Fabric normalizes certificate signatures to low-S when it computes identities; a high-S certificate
    signature would make the same certificate look different to a Fabric peer. ECDSA signatures are
    randomized, so each attempt is low-S with probability 1/2.
    """
    for _ in range(128):
        signed = builder.sign(key, hashes.SHA256())
        _, s = decode_dss_signature(signed.signature)
        if s <= P256_ORDER >> 1:
            return signed
    raise LedgerError("no low-S certificate signature in 128 attempts")  # probability 2**-128


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
