"""chaincode/server.py on grpclib: coalesced writes and stopping (the stream itself: tests/chaincode/)."""

from __future__ import annotations

import asyncio
from typing import Any

from chaincode.server import CoalescingTransport, ServerConfig, build_server


class Transport:
    """Records what reaches the socket."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info:{name}"


def test_writes_of_one_loop_pass_leave_as_one_write_in_order() -> None:
    async def run() -> Transport:
        raw = Transport()
        t = CoalescingTransport(raw)  # type: ignore[arg-type]
        for chunk in (b"a", b"", b"bc", b"d"):
            t.write(chunk)
        assert raw.writes == []  # nothing leaves before the pass ends
        await asyncio.sleep(0)
        t.write(b"e")
        await asyncio.sleep(0)
        assert t.get_extra_info("peername") == "info:peername"  # the rest is the raw transport's
        return raw

    assert asyncio.run(run()).writes == [b"abcd", b"e"]


def test_close_sends_what_is_queued_first() -> None:
    async def run() -> Transport:
        raw = Transport()
        t = CoalescingTransport(raw)  # type: ignore[arg-type]
        t.write(b"last words")
        t.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return raw

    raw = asyncio.run(run())
    assert (raw.writes, raw.closed) == ([b"last words"], True)


def test_an_idle_server_stops_without_waiting_for_the_grace_period() -> None:
    async def run() -> float:
        server, port = build_server(ServerConfig("127.0.0.1:0", "provenance:test"), object())
        assert port > 0
        await server.start()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await server.stop(3)
        return loop.time() - t0

    assert asyncio.run(run()) < 1.0
