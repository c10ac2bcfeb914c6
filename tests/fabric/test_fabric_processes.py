"""Readiness probes of Fabric nodes, against a real HTTP server on 127.0.0.1 standing in for an operations port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledger.fabric.processes import raft_leader

LEADER = 'consensus_etcdraft_is_leader{channel="usmca"} 1\nconsensus_etcdraft_is_leader{channel="other"} 0\n'
FOLLOWER = 'consensus_etcdraft_is_leader{channel="usmca"} 0\nconsensus_etcdraft_is_leader{channel="other"} 1\n'


@pytest.fixture
def ops_port() -> Iterator[tuple[int, dict[str, str]]]:
    """An HTTP server whose ``/metrics`` answers the text the test puts in ``page["metrics"]``."""
    page = {"metrics": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page["metrics"].encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], page
    finally:
        server.shutdown()
        server.server_close()


def test_raft_leader_reads_the_channel_gauge(ops_port: tuple[int, dict[str, str]]) -> None:
    port, page = ops_port
    page["metrics"] = LEADER
    assert raft_leader("127.0.0.1", port, "usmca")
    assert not raft_leader("127.0.0.1", port, "other")
    page["metrics"] = FOLLOWER
    assert not raft_leader("127.0.0.1", port, "usmca")
    assert raft_leader("127.0.0.1", port, "other")
    page["metrics"] = ""  # metrics not yet registered for the channel: no leader known
    assert not raft_leader("127.0.0.1", port, "usmca")


def test_raft_leader_is_false_when_nothing_listens() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_address[1]
    assert not raft_leader("127.0.0.1", port, "usmca")
