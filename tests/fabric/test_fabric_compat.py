"""chaincode/compat.py: the version pin and the stub fixes of fabric-chaincode-python 2.5.4.

Concurrency and events are exercised over gRPC in tests/chaincode/test_chaincode_server.py and against real
peers in test_fabric_network.py; here are the pieces that need neither.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fabric_protos.peer import chaincode_pb2

from chaincode.compat import PINNED_VERSION, CompatStub, SerializedStream, ShimVersionError, check_version
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
