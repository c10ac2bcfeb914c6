"""The Fabric Gateway client over real gRPC and TLS: signatures, retries, typed errors with per-node details."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from fabric_protos.peer import transaction_pb2
from gateway_peer import Failure, GatewayPeer, serve_tls

from ledger.errors import CommitError, CommitStatusError, EndorseError, ErrorDetail, Forbidden, SubmitError
from ledger.fabric.client import FabricGateway, PeerEndpoint, Timeouts
from ledger.fabric.connect import connect_fabric
from ledger.fabric.proposal import ClientIdentity
from ledger.identity.network import load_network
from tests.helpers import OEM, SUPPLIER

REFUSAL = (
    'chaincode response 500, usmca-error:{"field":"role","kind":"forbidden",'
    '"message":"station station1 may not register organizations","value":"station"}'
)
NO_PEERS = "no combination of peers can be derived which satisfy the endorsement policy"


@dataclass
class Rig:
    peer: GatewayPeer
    gateway: FabricGateway
    sleeps: list[float]


@pytest.fixture
def rig(network_home: Path) -> Iterator[Rig]:
    network = load_network(network_home)
    service = GatewayPeer()
    server, port = serve_tls(service, network.peer(SUPPLIER).tls_dir)
    member = network.member(SUPPLIER, "station1")
    sleeps: list[float] = []
    gw = FabricGateway(
        ClientIdentity(SUPPLIER, member.cert_pem, member.signer),
        PeerEndpoint(f"127.0.0.1:{port}", network.peer(SUPPLIER).tls_ca_cert_pem),
        "usmca",
        "usmca",
        timeouts=Timeouts(retry_budget=5.0, commit_status=5.0),
        sleep=sleeps.append,
    )
    yield Rig(service, gw, sleeps)
    gw.close()
    server.stop(0)
    assert service.problems == []


def test_evaluate_sends_a_signed_proposal(rig: Rig) -> None:
    assert rig.gateway.evaluate("GetPart", "urn:x:1") == b"GetPart|urn:x:1"
    assert rig.peer.calls["Evaluate"] == 1


def test_submit_endorses_signs_submits_and_waits(rig: Rig) -> None:
    assert rig.gateway.submit("RecordScan", '{"uid":"u1"}') == b'RecordScan|{"uid":"u1"}'
    assert [rig.peer.calls[m] for m in ("Endorse", "Submit", "CommitStatus")] == [1, 1, 1]
    sub = rig.gateway.submit_async("RecordScan", "{}")
    status = sub.get_status()
    assert (status.tx_id, status.code, status.block_number, status.successful) == (sub.tx_id, "VALID", 42, True)
    assert sub.tx_id in rig.peer.submitted


def test_mvcc_conflict_is_a_commit_error_with_the_code(rig: Rig) -> None:
    rig.peer.commit_code = transaction_pb2.MVCC_READ_CONFLICT
    with pytest.raises(CommitError) as info:
        rig.gateway.submit("RegisterOrg", "{}")
    assert info.value.code == "MVCC_READ_CONFLICT"
    assert len(info.value.tx_id) == 64
    assert str(info.value) == f"transaction {info.value.tx_id} committed as MVCC_READ_CONFLICT in block 42"


def test_chaincode_refusal_carries_node_details_and_the_domain_cause(rig: Rig) -> None:
    rig.peer.fail(
        "Endorse",
        Failure(grpc.StatusCode.ABORTED, "failed to endorse transaction", (("127.0.0.1:9051", SUPPLIER, REFUSAL),)),
    )
    with pytest.raises(EndorseError) as info:
        rig.gateway.submit("RegisterOrg", "{}")
    err = info.value
    assert err.code == "ABORTED"
    assert err.details == (ErrorDetail("127.0.0.1:9051", SUPPLIER, REFUSAL),)
    assert isinstance(err.cause, Forbidden)
    assert err.message == "station station1 may not register organizations"
    assert len(err.tx_id) == 64
    assert rig.peer.calls["Endorse"] == 1 and rig.sleeps == []  # a refusal is never retried


def test_error_without_our_cause_lists_every_node(rig: Rig) -> None:
    details = (("127.0.0.1:7051", OEM, "timeout"), ("127.0.0.1:9051", SUPPLIER, "chaincode not found"))
    rig.peer.fail("Evaluate", Failure(grpc.StatusCode.FAILED_PRECONDITION, "evaluate failed", details))
    with pytest.raises(EndorseError) as info:
        rig.gateway.evaluate("GetPart", "x")
    assert info.value.cause is None
    assert str(info.value) == (
        "evaluate failed (OemMSP@127.0.0.1:7051: timeout; SupplierMSP@127.0.0.1:9051: chaincode not found)"
    )


def test_transient_failures_are_retried_with_growing_backoff(rig: Rig) -> None:
    rig.peer.fail(
        "Endorse",
        Failure(grpc.StatusCode.FAILED_PRECONDITION, NO_PEERS),
        Failure(grpc.StatusCode.UNAVAILABLE, "peer restarting"),
    )
    rig.peer.fail("Submit", Failure(grpc.StatusCode.UNAVAILABLE, "no orderers could successfully process transaction"))
    rig.peer.fail("CommitStatus", Failure(grpc.StatusCode.UNAVAILABLE, "connection reset"))
    assert rig.gateway.submit("RecordScan", "{}") == b"RecordScan|{}"
    assert [rig.peer.calls[m] for m in ("Endorse", "Submit", "CommitStatus")] == [3, 2, 2]
    assert len(rig.peer.submitted) == 1  # the retried envelope is the same transaction
    assert len(rig.sleeps) == 4
    assert rig.sleeps[1] > rig.sleeps[0] * 1.3


def test_retries_stop_at_the_budget(rig: Rig) -> None:
    rig.peer.fail("Evaluate", *[Failure(grpc.StatusCode.UNAVAILABLE, "down")] * 100)
    rig.gateway.timeouts = Timeouts(retry_budget=0.0)
    with pytest.raises(EndorseError) as info:
        rig.gateway.evaluate("GetPart", "x")
    assert (info.value.code, str(info.value)) == ("UNAVAILABLE", "down")
    assert rig.peer.calls["Evaluate"] == 1


def test_submit_failure_is_a_submit_error(rig: Rig) -> None:
    rig.peer.fail("Submit", Failure(grpc.StatusCode.PERMISSION_DENIED, "creator is not a writer"))
    with pytest.raises(SubmitError) as info:
        rig.gateway.submit("RecordScan", "{}")
    assert (info.value.code, str(info.value)) == ("PERMISSION_DENIED", "creator is not a writer")


def test_commit_status_timeout(rig: Rig) -> None:
    sub = rig.gateway.submit_async("RecordScan", "{}")
    rig.peer.fail("CommitStatus", Failure(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline"))
    with pytest.raises(CommitStatusError) as info:
        sub.get_status(timeout=0.5)
    assert str(info.value) == f"no commit status for {sub.tx_id} after 0.5 s"
    assert info.value.tx_id == sub.tx_id


def test_tls_server_of_another_ca_is_refused(rig: Rig, network_home: Path) -> None:
    network = load_network(network_home)
    port = rig.gateway._endpoint.address.rsplit(":", 1)[1]
    member = network.member(OEM, "compliance")
    other = FabricGateway(
        ClientIdentity(OEM, member.cert_pem, member.signer),
        PeerEndpoint(f"127.0.0.1:{port}", network.peer(OEM).tls_ca_cert_pem),
        "usmca",
        "usmca",
        timeouts=Timeouts(retry_budget=0.0, evaluate=3.0),
    )
    try:
        with pytest.raises(EndorseError) as info:
            other.evaluate("GetPart", "x")
        assert info.value.code == "UNAVAILABLE"
    finally:
        other.close()
    assert rig.peer.calls["Evaluate"] == 0


def test_connect_fabric_uses_the_home_identity_and_org_peer(network_home: Path, monkeypatch) -> None:
    network = load_network(network_home)
    gw = connect_fabric(network_home, SUPPLIER, "certifier")
    try:
        assert (gw.msp_id, gw.channel, gw.chaincode) == (SUPPLIER, network.channel, "usmca")
        assert gw._endpoint.address == network.peer(SUPPLIER).address
    finally:
        gw.close()
    monkeypatch.setenv("USMCA_FABRIC_PEER", "127.0.0.1:1")
    gw = connect_fabric(network_home, SUPPLIER, "certifier")
    try:
        assert gw._endpoint.address == "127.0.0.1:1"
    finally:
        gw.close()


def test_block_reader_is_the_least_privileged_member_with_a_key(network_home: Path, tmp_path: Path) -> None:
    from ledger.fabric.connect import reader_identity
    from ledger.identity.export import export_org

    who = reader_identity(load_network(network_home))
    assert (who.msp_id, who.name) == ("AuditMSP", "auditor")
    exported = export_org(network_home, SUPPLIER, tmp_path / "supplier-node")
    who = reader_identity(exported)
    assert (who.msp_id, who.name) == (SUPPLIER, "compliance")
