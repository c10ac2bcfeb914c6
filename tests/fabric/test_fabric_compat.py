"""chaincode/compat.py: the version pin and the stub fixes of fabric-chaincode-python 2.5.4.

Concurrency and events are exercised over gRPC in tests/chaincode/test_chaincode_server.py and against real
peers in test_fabric_network.py, batch reads and writes against real peers in test_fabric_batch.py; here are
the pieces that need neither.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fabric_protos.peer import chaincode_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb

from chaincode.compat import (
    DEFAULT_BATCH_SIZE,
    PINNED_VERSION,
    CheckedQueue,
    CompatStub,
    PeerFeatures,
    PeerRefused,
    SerializedStream,
    ShimVersionError,
    check_version,
)
from ledger.errors import Forbidden
from ledger.fabric import proposal as wire
from ledger.identity.network import load_network
from tests.helpers import SUPPLIER


def test_installed_library_is_the_pinned_version() -> None:
    assert check_version() == PINNED_VERSION == "2.5.4"


@pytest.mark.parametrize("version", ["2.5.3", "2.5.5", "3.0.0", "2.5.4.post1"])
def test_other_versions_are_refused(version: str) -> None:
    with pytest.raises(ShimVersionError) as info:
        check_version(version)
    assert str(info.value) == (
        f"fabric-chaincode-python {version} is installed but chaincode/compat.py fixes 2.5.4 only; "
        f"install fabric-chaincode-python==2.5.4 or re-verify the fixes against {version}"
    )
    assert info.value.value == version


def _stub(network_home: Path, transient: dict[str, bytes] | None) -> CompatStub:
    m = load_network(network_home).member(SUPPLIER, "station1")
    who = wire.ClientIdentity(SUPPLIER, m.cert_pem, m.signer)
    signed = wire.build_proposal(who, "usmca", "usmca", "Fn", ["a"], transient=transient)
    return CompatStub(None, "usmca", signed.tx_id, chaincode_pb2.ChaincodeInput(args=[b"Fn", b"a"]), signed.proposal)


def test_get_transient_returns_the_proposal_transient_map(network_home: Path) -> None:
    stub = _stub(network_home, {"unit_price": b"12.50", "supplier_cost": b"\x00\x01"})
    assert stub.get_transient() == {"unit_price": b"12.50", "supplier_cost": b"\x00\x01"}
    assert stub.get_creator()["mspid"] == SUPPLIER


def test_get_transient_is_empty_without_transient_data(network_home: Path) -> None:
    assert _stub(network_home, None).get_transient() == {}


def test_invoke_chaincode_is_refused_with_the_target_named(network_home: Path) -> None:
    stub = _stub(network_home, None)
    with pytest.raises(Forbidden, match="invoking chaincode 'pricing' from chaincode is not supported"):
        asyncio.run(stub.invoke_chaincode("pricing", ["Get", "x"]))


def test_serialized_stream_never_has_two_writes_in_flight() -> None:
    class Context:
        in_flight = 0
        peak = 0
        written: list[int] = []

        async def write(self, msg: int) -> None:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            await asyncio.sleep(0)
            self.written.append(msg)
            self.in_flight -= 1

        def peer(self) -> str:
            return "ipv4:127.0.0.1:1"

    async def run() -> Context:
        ctx = Context()
        stream = SerializedStream(ctx)
        await asyncio.gather(*(stream.write(i) for i in range(50)))
        assert stream.peer() == "ipv4:127.0.0.1:1"  # everything else is passed through
        return ctx

    ctx = asyncio.run(run())
    assert ctx.peak == 1
    assert sorted(ctx.written) == list(range(50))


def test_peer_error_reply_fails_the_request_and_the_next_is_sent() -> None:
    """2.5.4 resolves an ERROR reply as if it were the answer; the fixed queue raises the peer's message."""
    from fabric_chaincode_python.fabric_shim.msg_queue_handler import QueueMessage

    class Handler:
        def __init__(self) -> None:
            self.sent: list[shim_pb.ChaincodeMessage] = []
            self.context = self

        async def write(self, msg: shim_pb.ChaincodeMessage) -> None:
            self.sent.append(msg)

    def request(kind: int) -> shim_pb.ChaincodeMessage:
        return shim_pb.ChaincodeMessage(type=kind, txid="tx1", channel_id="usmca")

    async def run() -> tuple[BaseException | None, bytes, list[int]]:
        handler = Handler()
        queue = CheckedQueue(handler)
        loop = asyncio.get_running_loop()
        first, second = loop.create_future(), loop.create_future()
        await queue.queue_msg(QueueMessage(request(shim_pb.ChaincodeMessage.GET_QUERY_RESULT), "GetQueryResult", first))
        await queue.queue_msg(QueueMessage(request(shim_pb.ChaincodeMessage.GET_STATE), "GetState", second))
        error = request(shim_pb.ChaincodeMessage.ERROR)
        error.payload = b"ExecuteQuery not supported for leveldb"
        await queue.handle_msg_response(error)
        ok = request(shim_pb.ChaincodeMessage.RESPONSE)
        ok.payload = b"value"
        await queue.handle_msg_response(ok)
        return first.exception(), (await second).payload, [m.type for m in handler.sent]

    exc, value, sent = asyncio.run(run())
    assert isinstance(exc, PeerRefused)
    assert str(exc) == "peer refused GetQueryResult in transaction tx1: ExecuteQuery not supported for leveldb"
    assert value == b"value"
    assert sent == [shim_pb.ChaincodeMessage.GET_QUERY_RESULT, shim_pb.ChaincodeMessage.GET_STATE]


def _ready(**params: object) -> bytes:
    return chaincode_pb2.ChaincodeAdditionalParams(**params).SerializeToString()


def test_peer_features_are_read_from_ready() -> None:
    got = PeerFeatures.from_ready(
        _ready(
            use_write_batch=True,
            max_size_write_batch=7,
            use_get_multiple_keys=True,
            max_size_get_multiple_keys=3,
        )
    )
    assert got == PeerFeatures(get_multiple=True, max_get_multiple=3, write_batch=True, max_write_batch=7)
    # a zero limit means the Go shim's default; an older peer's empty or foreign payload announces nothing
    assert PeerFeatures.from_ready(_ready(use_get_multiple_keys=True)).max_get_multiple == DEFAULT_BATCH_SIZE == 100
    assert PeerFeatures.from_ready(b"") == PeerFeatures() == PeerFeatures.from_ready(b"\xff\xff")
    assert not PeerFeatures().get_multiple and not PeerFeatures().write_batch


class _Peer:
    """Stands in for PeerHandler.ask_peer: records each request and answers from a key-value dict."""

    def __init__(self, state: dict[str, bytes], short: bool = False) -> None:
        self.state = state
        self.short = short
        self.sent: list[tuple[int, object]] = []

    async def ask_peer(self, kind: int, request: object, channel_id: str, tx_id: str, method: str) -> object:
        assert (channel_id, tx_id) == ("usmca", "tx1")
        self.sent.append((kind, request))
        if kind == shim_pb.ChaincodeMessage.GET_STATE_MULTIPLE:
            keys = list(request.keys)[: -1 if self.short else None]
            values = [self.state.get(k, b"") for k in keys]
            return shim_pb.ChaincodeMessage(payload=shim_pb.GetStateMultipleResult(values=values).SerializeToString())
        return shim_pb.ChaincodeMessage()


def _batching_stub(peer: _Peer, features: PeerFeatures) -> CompatStub:
    return CompatStub(peer, "usmca", "tx1", chaincode_pb2.ChaincodeInput(args=[b"Fn"]), None, features)


def test_batch_read_exists_only_when_the_peer_announced_it() -> None:
    assert not hasattr(_batching_stub(_Peer({}), PeerFeatures()), "get_multiple_states")
    assert not hasattr(_batching_stub(_Peer({}), PeerFeatures(write_batch=True)), "get_multiple_states")
    assert hasattr(_batching_stub(_Peer({}), PeerFeatures(get_multiple=True)), "get_multiple_states")


def test_batch_read_is_chunked_to_the_announced_size_and_keeps_order() -> None:
    peer = _Peer({"a": b"1", "c": b"3", "e": b"5"})
    stub = _batching_stub(peer, PeerFeatures(get_multiple=True, max_get_multiple=2))
    got = asyncio.run(stub.get_multiple_states(["a", "b", "c", "d", "e"]))
    assert got == [b"1", b"", b"3", b"", b"5"]
    assert [list(r.keys) for _, r in peer.sent] == [["a", "b"], ["c", "d"], ["e"]]
    assert {k for k, _ in peer.sent} == {shim_pb.ChaincodeMessage.GET_STATE_MULTIPLE}


def test_batch_read_with_missing_values_is_refused() -> None:
    stub = _batching_stub(_Peer({"a": b"1"}, short=True), PeerFeatures(get_multiple=True))
    with pytest.raises(PeerRefused, match="peer answered 1 values for 2 keys in transaction tx1"):
        asyncio.run(stub.get_multiple_states(["a", "b"]))


def test_writes_are_buffered_last_write_wins_and_sent_in_announced_chunks() -> None:
    peer = _Peer({})
    stub = _batching_stub(peer, PeerFeatures(write_batch=True, max_write_batch=2))

    async def run() -> int:
        await stub.put_state("a", b"1")
        await stub.put_state("b", "two")
        await stub.delete_state("c")
        await stub.put_state("a", b"1bis")
        await stub.delete_state("b")
        assert peer.sent == []  # nothing reaches the peer before the transaction completes
        return await stub.flush_writes()

    assert asyncio.run(run()) == 3
    assert [k for k, _ in peer.sent] == [shim_pb.ChaincodeMessage.WRITE_BATCH_STATE] * 2
    records = [(r.key, r.value, r.type) for _, batch in peer.sent for r in batch.rec]
    put, delete = shim_pb.WriteRecord.PUT_STATE, shim_pb.WriteRecord.DEL_STATE
    assert records == [("a", b"1bis", put), ("b", b"", delete), ("c", b"", delete)]
    assert asyncio.run(stub.flush_writes()) == 0 and len(peer.sent) == 2  # sent once


def test_without_write_batch_writes_go_to_the_peer_one_by_one() -> None:
    class Handler:
        def __init__(self) -> None:
            self.puts: list[tuple[str, bytes]] = []

        async def handle_put_state(self, collection: str, key: str, value: bytes, channel: str, tx: str) -> None:
            self.puts.append((key, value))

    handler = Handler()
    stub = CompatStub(handler, "usmca", "tx1", chaincode_pb2.ChaincodeInput(args=[b"Fn"]), None)
    asyncio.run(stub.put_state("a", b"1"))
    assert handler.puts == [("a", b"1")]
    assert asyncio.run(stub.flush_writes()) == 0
