"""chaincode/compat.py: the version pin and the stub fixes of fabric-chaincode-python 2.5.4.

Concurrency and events are exercised over gRPC in tests/chaincode/test_chaincode_server.py and against real
peers in test_fabric_network.py; here are the pieces that need neither.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fabric_protos.peer import chaincode_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb

from chaincode.compat import (
    PINNED_VERSION,
    CheckedQueue,
    CompatStub,
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
