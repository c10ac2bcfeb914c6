from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fabric_protos.msp import identities_pb2

from ledger.errors import Conflict, NotFound, ValidationError
from ledger.identity.attrs import Role, identity_from_cert
from ledger.identity.config import NetworkConfig, load_config, parse_config
from ledger.identity.export import export_org
from ledger.identity.msp import add_member, init_network, revoke_member
from ledger.identity.network import Network, load_network
from ledger.identity.signing import P256_ORDER
from tests.helpers import run_threads


def _ou(cert_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem)
    return str(cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value)


def test_layout_is_fabric_msp_folders(network: Network) -> None:
    home = network.home
    for msp in ("OemMSP", "SeatsMSP", "AuditMSP"):
        org = home / "orgs" / msp
        expected = [
            "ca/ca-cert.pem",
            "ca/priv_sk",
            "tlsca/tlsca-cert.pem",
            "tlsca/priv_sk",
            "msp/cacerts/ca-cert.pem",
            "msp/tlscacerts/tlsca-cert.pem",
            "msp/config.yaml",
            "peers/peer0/msp/cacerts/ca-cert.pem",
            "peers/peer0/msp/signcerts/cert.pem",
            "peers/peer0/msp/keystore/priv_sk",
            "peers/peer0/msp/config.yaml",
            "peers/peer0/tls/ca.crt",
            "peers/peer0/tls/server.crt",
            "peers/peer0/tls/server.key",
        ]
        for rel in expected:
            assert (org / rel).is_file(), org / rel
        for member in network.members(msp):
            for rel in ("cacerts/ca-cert.pem", "signcerts/cert.pem", "keystore/priv_sk", "config.yaml"):
                assert (member.msp_dir / rel).is_file(), member.msp_dir / rel
    node_ous = yaml.safe_load((home / "orgs/OemMSP/msp/config.yaml").read_text())["NodeOUs"]
    assert node_ous["Enable"] is True
    assert node_ous["AdminOUIdentifier"] == {
        "Certificate": "cacerts/ca-cert.pem",
        "OrganizationalUnitIdentifier": "admin",
    }
    assert node_ous["PeerOUIdentifier"]["OrganizationalUnitIdentifier"] == "peer"
    assert not list(home.glob(".init-*")), "staging folder left behind"


def test_private_keys_are_0600(network: Network) -> None:
    keys = [p for p in network.home.rglob("*") if p.name in ("priv_sk", "server.key")]
    assert len(keys) == 3 * 4 + len(network.members())  # ca, tlsca, peer, peer tls per org + one per member
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
        assert b"BEGIN PRIVATE KEY" in key.read_bytes()


def test_certificates_chain_to_their_org_ca_and_carry_roles(network: Network) -> None:
    for member in network.members():
        org = network.org(member.msp_id)
        cert = x509.load_pem_x509_certificate(member.cert_pem)
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(org.ca_cert_pem))
        ident = identity_from_cert(member.msp_id, member.cert_pem)
        assert (ident.role, ident.station, ident.common_name) == (member.role, member.station, member.name)
        assert _ou(member.cert_pem) == ("admin" if member.role is Role.ADMIN else "client")
    line1 = identity_from_cert("OemMSP", network.member("OemMSP", "line1").cert_pem)
    assert line1.attrs["usmca.station"] == "SIL-L1"
    assert line1.attrs["hf.EnrollmentID"] == "line1"


def test_ca_is_a_ten_year_p256_root(network: Network) -> None:
    ca = x509.load_pem_x509_certificate(network.org("SeatsMSP").ca_cert_pem)
    assert ca.subject == ca.issuer
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.public_key().curve.name == "secp256r1"
    assert 3649 <= (ca.not_valid_after_utc - ca.not_valid_before_utc).days <= 3651


def test_peer_identity_and_tls_server_certificate(network: Network) -> None:
    peer = network.peer("SeatsMSP")
    assert peer.address == "127.0.0.1:9051"
    assert identity_from_cert("SeatsMSP", peer.cert_pem).role is Role.PEER
    assert _ou(peer.cert_pem) == "peer"
    tls = x509.load_pem_x509_certificate(peer.tls_cert_pem)
    tls.verify_directly_issued_by(x509.load_pem_x509_certificate(peer.tls_ca_cert_pem))
    sans = tls.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "peer0.seats.usmca.example"]
    ekus = set(tls.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    # The TLS CA is not the identity CA: a TLS certificate is no identity.
    assert not network.validator().validate("SeatsMSP", peer.tls_cert_pem)


def test_serialized_identity_is_fabric_protobuf(network: Network) -> None:
    member = network.member("AuditMSP", "inspector")
    sid = identities_pb2.SerializedIdentity.FromString(member.serialized())
    assert sid.mspid == "AuditMSP"
    assert sid.id_bytes == member.cert_pem


def test_load_network_reads_back_what_init_wrote(network: Network) -> None:
    loaded = load_network(network.home)
    assert loaded.config == network.config
    assert loaded.msp_ids == ("OemMSP", "SeatsMSP", "AuditMSP")
    assert [o.name for o in loaded.orgs] == [o.name for o in network.orgs]
    assert loaded.org("OemMSP").site("SIL-ASSY").gln == "7501234000017"
    seats = loaded.org("SeatsMSP")
    assert seats.owns_gs1_key("00614141123452")
    assert seats.owns_gs1_key("614141123452")
    assert seats.owns_gs1_key("106141410000000019")
    assert not seats.owns_gs1_key("07501234000017")
    assert not seats.owns_gs1_key("06141411")
    assert not loaded.org("AuditMSP").owns_gs1_key("0614141000012")
    assert loaded.policy.satisfied({"OemMSP", "AuditMSP"})
    assert not loaded.policy.satisfied({"SeatsMSP", "AuditMSP"})
    assert loaded.root_certs()["OemMSP"] == network.org("OemMSP").ca_cert_pem
    assert [m.name for m in loaded.members("SeatsMSP")] == ["admin", "origin"]
    assert len(loaded.members()) == 7  # 5 configured + generated admins of SeatsMSP and AuditMSP
    assert loaded.orderer is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n: n.org("FordMSP"), "no organization 'FordMSP' in network mini"),
        (lambda n: n.member("OemMSP", "ghost"), "OemMSP has no member 'ghost'"),
        (lambda n: n.members("FordMSP"), "no organization 'FordMSP' in network mini"),
        (lambda n: n.peer("FordMSP"), "no organization 'FordMSP' in network mini"),
        (lambda n: n.org("OemMSP").site("X"), "OemMSP has no site 'X'"),
    ],
)
def test_lookups_raise_not_found(network: Network, call, message: str) -> None:
    with pytest.raises(NotFound) as err:
        call(network)
    assert err.value.message == message


def test_load_network_of_empty_home(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"holds no network .* create one with 'usmca network init'"):
        load_network(tmp_path)


def test_init_refuses_existing_network(network: Network, mini_config: NetworkConfig) -> None:
    before = network.member("OemMSP", "line1").cert_pem
    with pytest.raises(Conflict) as err:
        init_network(network.home, mini_config)
    assert err.value.message == (
        f"{network.home} already holds a network ({network.home / 'network.yaml'}); choose another --home"
    )
    assert load_network(network.home).member("OemMSP", "line1").cert_pem == before


def test_init_with_orderer_org(tmp_path: Path, data: dict[str, Any]) -> None:
    data["orderer"] = {
        "msp_id": "OrdererMSP",
        "name": "USMCA Ordering Service",
        "nodes": [{"name": "orderer0"}],
    }
    net = init_network(tmp_path / "h", parse_config(data))
    assert net.orderer is not None
    assert net.orderer.nodes[0].address == "127.0.0.1:7050"
    node = net.orderer.nodes[0].dir
    assert _ou((node / "msp/signcerts/cert.pem").read_bytes()) == "orderer"
    assert stat.S_IMODE((node / "tls/server.key").stat().st_mode) == 0o600
    assert (net.orderer.dir / "users/admin/msp/keystore/priv_sk").is_file()
    assert "OrdererMSP" not in net.msp_ids
    assert load_network(net.home).orderer == net.orderer


def test_add_member_issues_and_records(network: Network) -> None:
    member = add_member(network.home, "SeatsMSP", "dock-2", "station", station="HOL-DOCK2")
    assert (member.role, member.station) == (Role.STATION, "HOL-DOCK2")
    assert network.validator().validate("SeatsMSP", member.cert_pem)
    assert identity_from_cert("SeatsMSP", member.cert_pem).station == "HOL-DOCK2"
    assert stat.S_IMODE(member.key_path.stat().st_mode) == 0o600
    reloaded = load_network(network.home)
    assert reloaded.member("SeatsMSP", "dock-2").cert_pem == member.cert_pem
    assert member.signer.sign(b"x")


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("FordMSP", "x", "auditor"), NotFound, "no organization 'FordMSP' in network mini"),
        (("OemMSP", "line1", "auditor"), Conflict, "OemMSP already has a member 'line1'"),
        (
            ("OemMSP", "x", "boss"),
            ValidationError,
            "role 'boss' is not one of admin, station, certifier, compliance, auditor",
        ),
        (
            ("OemMSP", "x", "station"),
            ValidationError,
            "new member: orgs[0].members[3]: member 'x' has role station but no station id",
        ),
        (
            ("OemMSP", "bad name", "auditor"),
            ValidationError,
            "new member: orgs[0].members[3].name: 'bad name' is not a valid name (letters, digits, '.', '_' or '-', at most 64)",
        ),
    ],
)
def test_add_member_errors(network: Network, args: tuple[str, str, str], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as err:
        add_member(network.home, *args)
    assert err.value.message == message
    assert len(load_network(network.home).members()) == len(network.members())


def test_add_member_needs_the_org_ca_key(network: Network) -> None:
    key = network.home / "orgs/AuditMSP/ca/priv_sk"
    key.unlink()
    with pytest.raises(NotFound, match=r"CA private key .*priv_sk is not in this home"):
        add_member(network.home, "AuditMSP", "second", "auditor")


def test_concurrent_add_member_loses_nobody(network: Network) -> None:
    run_threads(lambda i: add_member(network.home, "OemMSP", f"st{i}", "station", station=f"SIL-S{i}"), 8)
    names = {m.name for m in load_network(network.home).members("OemMSP")}
    assert {f"st{i}" for i in range(8)} <= names


def test_demo_network_initializes(tmp_path: Path) -> None:
    example = Path(__file__).parents[3] / "network" / "examples" / "demo-network.yaml"
    net = init_network(tmp_path / "demo", load_config(example))
    assert len(net.orgs) == 11
    validator = net.validator()
    assert all(validator.validate(m.msp_id, m.cert_pem) for m in net.members())
    assert net.org("ForgingMSP").country == "CN"
    assert not net.org("ForgingMSP").in_usmca


def test_network_yaml_cannot_contradict_a_certificate(network: Network) -> None:
    path = network.home / "network.yaml"
    path.write_text(path.read_text().replace("name: trade\n    role: compliance", "name: trade\n    role: certifier"))
    with pytest.raises(ValidationError) as err:
        load_network(network.home)
    assert err.value.message == (
        "member OemMSP/trade: network.yaml says role certifier, station None, "
        "but its certificate says trade with role compliance, station None"
    )


def test_key_that_does_not_match_its_certificate_is_refused(network: Network) -> None:
    trade, line1 = network.member("OemMSP", "trade"), network.member("OemMSP", "line1")
    trade.key_path.unlink()
    trade.key_path.write_bytes(line1.key_path.read_bytes())
    with pytest.raises(ValidationError) as err:
        _ = load_network(network.home).member("OemMSP", "trade").signer
    assert err.value.message == f"private key {trade.key_path} does not match the certificate of OemMSP/trade"


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        ("ledger.db", "{home}/ledger.db already exists in {home}; remove it or choose another --home"),
        ("orgs", "{home}/orgs already exists in {home}; remove it or choose another --home"),
        (
            "network.yaml",
            "{home}/network.yaml exists but {home} holds no identities; keep the configuration outside the home "
            "(init writes its normalized copy there)",
        ),
    ],
)
def test_init_refuses_a_home_with_leftovers(
    tmp_path: Path, mini_config: NetworkConfig, existing: str, message: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / existing).write_text("x")
    with pytest.raises(Conflict) as err:
        init_network(home, mini_config)
    assert err.value.message == message.format(home=home)
    assert sorted(p.name for p in home.iterdir()) == sorted([existing, ".network.lock"])


def test_export_org_keeps_only_that_orgs_keys(network: Network, tmp_path: Path) -> None:
    dest = tmp_path / "seats-node"
    exported = export_org(network.home, "SeatsMSP", dest)
    keys = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.name in ("priv_sk", "server.key"))
    assert keys == [
        "orgs/SeatsMSP/ca/priv_sk",
        "orgs/SeatsMSP/peers/peer0/msp/keystore/priv_sk",
        "orgs/SeatsMSP/peers/peer0/tls/server.key",
        "orgs/SeatsMSP/tlsca/priv_sk",
        "orgs/SeatsMSP/users/admin/msp/keystore/priv_sk",
        "orgs/SeatsMSP/users/origin/msp/keystore/priv_sk",
    ]
    for key in keys:
        assert stat.S_IMODE((dest / key).stat().st_mode) == 0o600
    assert exported.config == network.config
    data = b"shipment"
    assert exported.member("SeatsMSP", "origin").signer.sign(data)
    with pytest.raises(NotFound):
        _ = exported.member("OemMSP", "line1").signer
    with pytest.raises(NotFound, match=r"CA private key .* is not in this home"):
        add_member(dest, "OemMSP", "intruder", "admin")
    assert add_member(dest, "SeatsMSP", "dock", "station", station="HOL-DOCK").active


def test_export_org_refuses_non_empty_destination(network: Network, tmp_path: Path) -> None:
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "x").write_text("x")
    with pytest.raises(Conflict, match=f"^{dest} is not empty; export into a new directory$"):
        export_org(network.home, "SeatsMSP", dest)


def test_every_certificate_and_crl_signature_is_low_s(network: Network) -> None:
    revoke_member(network.home, "OemMSP", "trade")
    half = P256_ORDER // 2
    certs = [p for p in network.home.rglob("*") if p.suffix in (".pem", ".crt") and p.parent.name != "crls"]
    assert len(certs) > 40
    for path in certs:
        _, s = decode_dss_signature(x509.load_pem_x509_certificate(path.read_bytes()).signature)
        assert s <= half, path
    crl = x509.load_pem_x509_crl((network.home / "orgs/OemMSP/msp/crls/crl.pem").read_bytes())
    assert decode_dss_signature(crl.signature)[1] <= half
