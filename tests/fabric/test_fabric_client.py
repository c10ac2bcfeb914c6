"""The Fabric Gateway client over real gRPC and TLS: signatures, retries, typed errors with per-node details."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from fabric_protos.common import common_pb2
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


def _rig(network_home: Path, *, deliver: bool) -> Iterator[Rig]:
    network = load_network(network_home)
    service = GatewayPeer()
    server, port = serve_tls(service, network.peer(SUPPLIER).tls_dir, deliver=deliver)
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


@pytest.fixture
def rig(network_home: Path) -> Iterator[Rig]:
    """A gateway on a scripted peer that streams filtered blocks (commits are learnt from the stream)."""
    yield from _rig(network_home, deliver=True)


@pytest.fixture
def polling_rig(network_home: Path) -> Iterator[Rig]:
    """A gateway on a scripted peer without a Deliver service: every commit is asked with CommitStatus."""
    yield from _rig(network_home, deliver=False)


def test_evaluate_sends_a_signed_proposal(rig: Rig) -> None:
    assert rig.gateway.evaluate("GetPart", "urn:x:1") == b"GetPart|urn:x:1"
    assert rig.peer.calls["Evaluate"] == 1


def test_submit_endorses_signs_submits_and_waits(rig: Rig) -> None:
    assert rig.gateway.submit("RecordScan", '{"uid":"u1"}') == b'RecordScan|{"uid":"u1"}'
    # The commit comes from the filtered-block stream: no CommitStatus call, one stream for every submit.
    assert [rig.peer.calls[m] for m in ("Endorse", "Submit", "CommitStatus", "DeliverFiltered")] == [1, 1, 0, 1]
    sub = rig.gateway.submit_async("RecordScan", "{}")
    status = sub.get_status()
    assert (status.tx_id, status.code, status.block_number, status.successful) == (sub.tx_id, "VALID", 43, True)
    assert sub.tx_id in rig.peer.submitted
    assert [rig.peer.calls[m] for m in ("CommitStatus", "DeliverFiltered")] == [0, 1]


def test_without_a_commit_stream_commit_status_is_asked(polling_rig: Rig) -> None:
    rig = polling_rig
    assert rig.gateway.submit("RecordScan", '{"uid":"u1"}') == b'RecordScan|{"uid":"u1"}'
    assert [rig.peer.calls[m] for m in ("Endorse", "Submit", "CommitStatus")] == [1, 1, 1]
    sub = rig.gateway.submit_async("RecordScan", "{}")
    assert (sub.get_status().code, sub.get_status().block_number) == ("VALID", 43)
    assert rig.peer.calls["CommitStatus"] == 2


def test_a_refused_commit_stream_falls_back_to_commit_status(rig: Rig) -> None:
    rig.peer.deliver_refusal = common_pb2.FORBIDDEN
    assert rig.gateway.submit("RecordScan", "{}") == b"RecordScan|{}"
    assert [rig.peer.calls[m] for m in ("DeliverFiltered", "CommitStatus")] == [1, 1]
    rig.gateway.submit("RecordScan", "{}")
    assert [rig.peer.calls[m] for m in ("DeliverFiltered", "CommitStatus")] == [1, 2]  # refused once, for good


def test_the_stream_reports_a_commit_that_comes_later(rig: Rig) -> None:
    rig.gateway.submit("RecordScan", "{}")  # the stream is open and ready
    rig.peer.hold()
    sub = rig.gateway.submit_async("RecordScan", "{}")
    waiter = ThreadPoolExecutor(1).submit(sub.get_status)
    time.sleep(0.3)
    assert not waiter.done()
    rig.peer.commit_other(2)  # others' blocks come first
    rig.peer.release()
    assert waiter.result(timeout=5).block_number == 45
    assert rig.peer.calls["CommitStatus"] == 0


def test_commit_timeout_on_the_stream_asks_commit_status_then_gives_up(rig: Rig) -> None:
    rig.gateway.submit("RecordScan", "{}")
    rig.peer.hold()
    sub = rig.gateway.submit_async("RecordScan", "{}")
    with pytest.raises(CommitStatusError) as info:
        sub.get_status(timeout=0.3)
    assert str(info.value) == f"no commit status for {sub.tx_id} after 0.3 s"
    assert rig.peer.calls["CommitStatus"] == 1


def test_gateways_of_one_member_share_one_commit_stream(rig: Rig) -> None:
    gw = rig.gateway
    twin = FabricGateway(gw._identity, gw._endpoint, "usmca", "usmca", timeouts=gw.timeouts)
    try:
        gw.submit("RecordScan", "{}")
        twin.submit("RecordScan", "{}")
        assert [rig.peer.calls[m] for m in ("DeliverFiltered", "CommitStatus")] == [1, 0]
    finally:
        twin.close()
    gw.submit("RecordScan", "{}")  # the stream outlives the twin
    assert rig.peer.calls["DeliverFiltered"] == 1
    gw.close()
    again = FabricGateway(gw._identity, gw._endpoint, "usmca", "usmca", timeouts=gw.timeouts)
    try:
        again.submit("RecordScan", "{}")  # the last user closed it: a new one opens
        assert [rig.peer.calls[m] for m in ("DeliverFiltered", "CommitStatus")] == [2, 0]
    finally:
        again.close()


def test_a_gateway_dropped_without_close_leaves_the_commit_stream(rig: Rig) -> None:
    gw = rig.gateway
    dropped = FabricGateway(gw._identity, gw._endpoint, "usmca", "usmca", timeouts=gw.timeouts)
    dropped.submit("RecordScan", "{}")
    watcher = dropped._commits
    assert watcher is not None and watcher.position(wait=0) is not None
    del dropped
    gc.collect()
    assert watcher.position(wait=0) is None  # closed: its last user is gone


@pytest.mark.parametrize("stream", [True, False])
def test_mvcc_conflict_is_a_commit_error_with_the_code(network_home: Path, stream: bool) -> None:
    for rig in _rig(network_home, deliver=stream):
        rig.peer.commit_code = transaction_pb2.MVCC_READ_CONFLICT
        with pytest.raises(CommitError) as info:
            rig.gateway.submit("RegisterOrg", "{}")
        assert info.value.code == "MVCC_READ_CONFLICT"
        assert len(info.value.tx_id) == 64
        assert str(info.value) == f"transaction {info.value.tx_id} committed as MVCC_READ_CONFLICT in block 42"
        assert rig.peer.calls["CommitStatus"] == (0 if stream else 1)


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


def test_transient_failures_are_retried_with_growing_backoff(polling_rig: Rig) -> None:
    rig = polling_rig
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


def test_commit_status_timeout(polling_rig: Rig) -> None:
    rig = polling_rig
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
