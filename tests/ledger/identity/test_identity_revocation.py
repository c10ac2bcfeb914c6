from __future__ import annotations

import datetime as dt
import pickle

import pytest
from cryptography import x509

from ledger.errors import Conflict, NotFound, ValidationError
from ledger.identity.ca import CertificateAuthority
from ledger.identity.msp import add_member, revoke_member
from ledger.identity.network import Network, load_network
from ledger.identity.signing import MspValidator


def test_revoked_member_no_longer_validates(network: Network) -> None:
    line1 = network.member("OemMSP", "line1")
    assert network.validator().validate("OemMSP", line1.cert_pem)
    when = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    revoked = revoke_member(network.home, "OemMSP", "line1", now=when)
    assert revoked.revoked_at == when
    assert not revoked.active
    reloaded = load_network(network.home)
    serial = x509.load_pem_x509_certificate(line1.cert_pem).serial_number
    assert reloaded.validator().reason("OemMSP", line1.cert_pem) == (
        f"certificate {serial:x} of OemMSP was revoked at 2026-03-01T12:00:00Z"
    )
    # Everyone else is untouched, and the CRL lives where Fabric's MSP looks for it.
    assert reloaded.validator().validate("OemMSP", reloaded.member("OemMSP", "trade").cert_pem)
    assert (network.home / "orgs/OemMSP/msp/crls/crl.pem").is_file()
    assert reloaded.crls().keys() == {"OemMSP"}


def test_second_revocation_keeps_the_first(network: Network) -> None:
    revoke_member(network.home, "OemMSP", "line1")
    revoke_member(network.home, "OemMSP", "trade")
    crl = x509.load_pem_x509_crl((network.home / "orgs/OemMSP/msp/crls/crl.pem").read_bytes())
    assert len(list(crl)) == 2
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    validator = load_network(network.home).validator()
    for name in ("line1", "trade"):
        assert not validator.validate("OemMSP", network.member("OemMSP", name).cert_pem)


@pytest.mark.parametrize(
    ("msp", "name", "error", "message"),
    [
        ("OemMSP", "plant-admin", Conflict, "plant-admin is the last active admin of OemMSP; add another admin first"),
        ("OemMSP", "ghost", NotFound, "OemMSP has no member 'ghost'"),
        ("FordMSP", "x", NotFound, "no organization 'FordMSP' in network mini"),
    ],
)
def test_revoke_refusals(network: Network, msp: str, name: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as err:
        revoke_member(network.home, msp, name)
    assert err.value.message == message
    assert not (network.home / "orgs" / msp / "msp/crls/crl.pem").exists()


def test_admin_can_be_revoked_once_replaced(network: Network) -> None:
    add_member(network.home, "OemMSP", "new-admin", "admin")
    assert not revoke_member(network.home, "OemMSP", "plant-admin").active


def test_crl_from_a_foreign_ca_is_refused(network: Network) -> None:
    forger = CertificateAuthority.create("ca.oem.usmca.example", network.org("OemMSP").name, "MX")
    crl = forger.crl([(1, dt.datetime.now(dt.UTC))], number=1)
    with pytest.raises(ValidationError, match=r"^revocation list of OemMSP is not signed by the CA of OemMSP$"):
        MspValidator(network.root_certs(), crls={"OemMSP": crl})


def test_validator_and_policy_pickle_for_process_pools(network: Network) -> None:
    revoke_member(network.home, "SeatsMSP", "origin")
    net = load_network(network.home)
    validator = pickle.loads(pickle.dumps(net.validator()))
    assert validator.validate("OemMSP", net.member("OemMSP", "line1").cert_pem)
    assert not validator.validate("SeatsMSP", net.member("SeatsMSP", "origin").cert_pem)
    policy = pickle.loads(pickle.dumps(net.policy))
    assert policy == net.policy
    assert policy.satisfied({"OemMSP", "AuditMSP"})
