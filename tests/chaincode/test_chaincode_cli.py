"""``usmca chaincode`` commands: transactions, metadata, serve (as a real process a peer connects to)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from chaincode_harness import T0, T1, MemoryState, make_member, org_doc
from chaincode_peer import MiniPeer
from google.protobuf.timestamp_pb2 import Timestamp
from typer.testing import CliRunner

from chaincode import transactions
from chaincode.cli import chaincode_app

ROOT = Path(__file__).parents[2]


def test_transactions_table_and_json() -> None:
    result = CliRunner().invoke(chaincode_app, ["transactions", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {r["name"] for r in rows} == set(transactions())
    scan = next(r for r in rows if r["name"] == "RecordScan")
    assert (scan["kind"], scan["args"]) == ("submit", ["scan_json"])
    table = CliRunner().invoke(chaincode_app, ["transactions"])
    assert [line.split()[0] for line in table.output.splitlines()] == sorted(transactions())


def test_metadata_lists_the_contract() -> None:
    result = CliRunner().invoke(chaincode_app, ["metadata"])
    assert result.exit_code == 0
    meta = json.loads(result.output)
    assert {t["name"] for t in meta["contracts"]["provenance"]["transactions"]} == set(transactions())


def test_serve_refuses_half_a_tls_setup(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        chaincode_app, ["serve", "--address", "127.0.0.1:0", "--id", "x", "--tls-cert", str(tmp_path / "c.pem")]
    )
    assert result.exit_code == 2
    assert result.output == "error: TLS certificate given without its pair; pass both or neither (tls)\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_a_peer() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaincode", "serve", "--address", f"127.0.0.1:{port}", "--id", "provenance:1"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == f"serving chaincode provenance:1 on 127.0.0.1:{port} (plaintext)\n"
        admin = make_member(T1, "admin", "admin")
        ts = Timestamp()
        ts.FromDatetime(T0.replace(tzinfo=None))

        async def run() -> int:
            deadline = time.monotonic() + 10
            while True:
                try:
                    async with MiniPeer(f"127.0.0.1:{port}", MemoryState()) as peer:
                        out = await asyncio.wait_for(
                            peer.transact(admin, ts, "RegisterOrg", json.dumps(org_doc(T1))), 10
                        )
                        return out.response.status
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)

        assert asyncio.run(run()) == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
