from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ledger.errors import Forbidden, NotFound, ParseError, ValidationError
from ledger.identity.ca import CertificateAuthority
from ledger.identity.network import Network
from ledger.identity.signing import P256_ORDER, MspValidator, Signer, is_low_s, low_s, verify_signature

HALF = P256_ORDER // 2


def test_every_signature_is_low_s_and_verifies(network: Network) -> None:
    member = network.member("OemMSP", "line1")
    raw_high = 0
    key = serialization.load_pem_private_key(member.key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    for i in range(300):
        data = f"proposal {i}".encode()
        sig = member.signer.sign(data)
        _, s = decode_dss_signature(sig)
        assert 0 < s <= HALF
        assert verify_signature(member.cert_pem, data, sig)
        _, raw_s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        raw_high += raw_s > HALF
    # Raw ECDSA is high-S about half of the time, so normalization really had work to do.
    assert raw_high > 50


def test_high_s_twin_is_rejected_although_mathematically_valid(network: Network) -> None:
    member = network.member("SeatsMSP", "origin")
    data = b"certification payload"
    sig = member.signer.sign(data)
    r, s = decode_dss_signature(sig)
    twin = encode_dss_signature(r, P256_ORDER - s)
    public = member.signer.public_key
    public.verify(twin, data, ec.ECDSA(hashes.SHA256()))  # cryptography accepts it...
    assert not is_low_s(twin)
    assert not verify_signature(member.cert_pem, data, twin)  # ...Fabric's rule does not
    assert low_s(twin) == sig


@pytest.mark.parametrize(
    ("case", "mutate"),
    [
        ("other data", lambda cert, data, sig: (cert, data + b"!", sig)),
        ("truncated signature", lambda cert, data, sig: (cert, data, sig[:-1])),
        ("not DER", lambda cert, data, sig: (cert, data, b"\x00" * 70)),
        ("empty signature", lambda cert, data, sig: (cert, data, b"")),
        ("garbage certificate", lambda cert, data, sig: (b"-----BEGIN CERTIFICATE-----\nxx\n", data, sig)),
    ],
)
def test_verify_signature_rejects(network: Network, case: str, mutate) -> None:
    member = network.member("OemMSP", "trade")
    data = b"payload"
    sig = member.signer.sign(data)
    assert verify_signature(member.cert_pem, data, sig)
    assert not verify_signature(*mutate(member.cert_pem, data, sig)), case


def test_signature_of_another_member_is_rejected(network: Network) -> None:
    a = network.member("OemMSP", "trade")
    b = network.member("OemMSP", "line1")
    assert not verify_signature(b.cert_pem, b"x", a.signer.sign(b"x"))


def test_signer_refuses_non_p256_keys() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValidationError, match=r"^k\.pem is not an ECDSA P-256 key$"):
        Signer.from_pem(pem, source="k.pem")
    with pytest.raises(ParseError, match=r"^k\.pem is not an unencrypted PEM private key"):
        Signer.from_pem(b"nope", source="k.pem")


def test_missing_keystore_is_not_found(network: Network) -> None:
    member = network.member("AuditMSP", "inspector")
    member.key_path.unlink()
    with pytest.raises(NotFound, match=f"^private key {member.key_path} does not exist$"):
        _ = member.signer


def test_validator_accepts_members_and_peers_of_their_own_org(network: Network) -> None:
    validator = network.validator()
    for m in network.members():
        assert validator.validate(m.msp_id, m.cert_pem), m
    for p in network.peers():
        assert validator.validate(p.msp_id, p.cert_pem), p


def test_validator_rejects_certificate_from_another_orgs_ca(network: Network) -> None:
    validator = network.validator()
    seats = network.member("SeatsMSP", "origin")
    assert not validator.validate("OemMSP", seats.cert_pem)
    with pytest.raises(Forbidden) as err:
        validator.check("OemMSP", seats.cert_pem)
    assert err.value.message == (
        "certificate issued by 'CN=ca.seats.usmca.example,O=Lakeshore Seating Inc.,C=US' "
        "was not issued by the CA of OemMSP"
    )


def test_validator_rejects_lookalike_ca_with_same_name(network: Network) -> None:
    org = network.org("OemMSP")
    forger = CertificateAuthority.create("ca.oem.usmca.example", org.name, "MX")
    fake = forger.issue("line1", org_name=org.name, country="MX", ou="client", attrs={"usmca.role": "admin"})
    assert not network.validator().validate("OemMSP", fake.cert_pem)


def test_validator_rejects_expired_and_not_yet_valid(tmp_path) -> None:
    ca = CertificateAuthority.create("ca.x.example", "X Corp", "CA")
    now = dt.datetime.now(dt.UTC)
    expired = ca.issue(
        "old",
        org_name="X Corp",
        country="CA",
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    future = ca.issue("new", org_name="X Corp", country="CA", not_before=now + dt.timedelta(days=1))
    validator = MspValidator({"XMSP": ca.cert_pem})
    assert not validator.validate("XMSP", expired.cert_pem)
    assert validator.reason("XMSP", expired.cert_pem).startswith("certificate for XMSP expired at ")
    assert validator.reason("XMSP", future.cert_pem).startswith("certificate for XMSP is not valid before ")


def test_validator_cache_still_sees_expiry() -> None:
    ca = CertificateAuthority.create("ca.x.example", "X Corp", "CA")
    now = dt.datetime.now(dt.UTC)
    cert = ca.issue("soon", org_name="X Corp", country="CA", not_after=now + dt.timedelta(hours=1)).cert_pem
    clock = [now.timestamp()]
    validator = MspValidator({"XMSP": ca.cert_pem}, clock=lambda: clock[0])
    assert validator.validate("XMSP", cert)
    clock[0] += 2 * 3600
    assert not validator.validate("XMSP", cert)


@pytest.mark.parametrize(
    ("msp", "which", "reason"),
    [
        ("NopeMSP", "member", "unknown MSP 'NopeMSP'"),
        ("XMSP", "ca", "a CA certificate cannot be used as an identity of XMSP"),
        ("XMSP", "garbage", "creator certificate cannot be parsed"),
    ],
)
def test_validator_reasons(msp: str, which: str, reason: str) -> None:
    ca = CertificateAuthority.create("ca.x.example", "X Corp", "CA")
    certs = {
        "member": ca.issue("m", org_name="X Corp", country="CA").cert_pem,
        "ca": ca.cert_pem,
        "garbage": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    }
    assert MspValidator({"XMSP": ca.cert_pem}).reason(msp, certs[which]).startswith(reason)


def test_validator_root_must_be_a_ca() -> None:
    ca = CertificateAuthority.create("ca.x.example", "X Corp", "CA")
    leaf = ca.issue("m", org_name="X Corp", country="CA").cert_pem
    with pytest.raises(ValidationError, match=r"^root certificate of XMSP is not a CA certificate$"):
        MspValidator({"XMSP": leaf})


def test_validator_accepts_either_root_during_rollover() -> None:
    old, new = (CertificateAuthority.create(f"ca{i}.x.example", "X Corp", "CA") for i in (1, 2))
    validator = MspValidator({"XMSP": [old.cert_pem, new.cert_pem]})
    for ca in (old, new):
        assert validator.validate("XMSP", ca.issue("m", org_name="X Corp", country="CA").cert_pem)
