"""Crash safety, multi-process submitters and tamper evidence of the embedded ledger."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.embedded import verify
from ledger.embedded.ledger import LEDGER_FILE, EmbeddedLedger
from ledger.embedded.store import Store
from ledger.embedded.validator import block_hashes
from ledger.embedded.verify import verify_ledger
from tests.helpers import SUPPLIER, js

WRITER = Path(__file__).with_name("ledger_writer.py")


@pytest.fixture
def parts_home(ledger_home: Path) -> Path:
    LedgerClient(connect(ledger_home, SUPPLIER, "admin")).register_part_type(
        {
            "part_number": "CAST-1",
            "description": "Case casting",
            "hs_code": "8708.99",
            "usmca_category": "other",
            "unit": "EA",
        }
    )
    EmbeddedLedger.close_all()
    return ledger_home


def _run_writer(home: Path, offset: int, until: int) -> list[str]:
    """Start a writer process, SIGKILL it once ``until`` transactions were acknowledged; return their ids."""
    proc = subprocess.Popen([sys.executable, str(WRITER), str(home), str(offset)], stdout=subprocess.PIPE, text=True)
    acked: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while len(acked) < until and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        tx_id, code = line.split()
        assert code == "VALID"
        acked.append(tx_id)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return acked


def test_acknowledged_transactions_survive_kill_9(parts_home: Path) -> None:
    acked = _run_writer(parts_home, 1, until=150)
    assert len(acked) >= 150
    store = Store(parts_home / LEDGER_FILE)
    for tx_id in acked:
        assert store.tx_status(tx_id) == ("VALID", store.tx_status(tx_id)[1])
    report = verify_ledger(parts_home / LEDGER_FILE)
    assert report.ok, report.problem
    # The ledger keeps working after the crash.
    more = _run_writer(parts_home, 2, until=20)
    assert len(more) >= 20
    assert verify_ledger(parts_home / LEDGER_FILE).ok


def test_two_processes_submit_to_one_ledger(parts_home: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, str(WRITER), str(parts_home), str(n)], stdout=subprocess.PIPE, text=True)
        for n in (10, 11)
    ]
    acked: list[str] = []
    for p in procs:
        assert p.stdout is not None
        for _ in range(60):
            acked.append(p.stdout.readline().split()[0])
    for p in procs:
        p.kill()
        p.wait()
    store = Store(parts_home / LEDGER_FILE)
    assert all(store.tx_status(t) is not None for t in acked)
    assert len(set(acked)) == 120
    report = verify_ledger(parts_home / LEDGER_FILE)
    assert report.ok, report.problem


@pytest.fixture
def busy_home(parts_home: Path) -> Path:
    station = LedgerClient(connect(parts_home, SUPPLIER, "station1"))
    for i in range(6):
        station.commission_part(
            {
                "uid": f"urn:test:t:{i}",
                "part_type": "SupplierMSP:CAST-1",
                "lot": "L1",
                "production_date": "2026-11-01",
                "site_id": "supplier-plant",
            }
        )
    EmbeddedLedger.close_all()
    assert verify_ledger(parts_home / LEDGER_FILE).ok
    return parts_home


def test_clean_shutdown_leaves_every_block_in_the_ledger_file(parts_home: Path, tmp_path: Path) -> None:
    """After close, ``ledger.db`` alone (copied without its -wal and -shm files) holds the whole chain."""
    station = LedgerClient(connect(parts_home, SUPPLIER, "station1"))
    station.commission_parts(
        [
            {"uid": f"urn:test:w:{i}", "part_type": "SupplierMSP:CAST-1", "production_date": "2026-11-01",
             "site_id": "supplier-plant"}
            for i in range(300)
        ]
    )  # fmt: skip
    for i in range(20):
        station.record_scan(
            {"uid": f"urn:test:w:{i}", "station_id": "sup-st1", "event_time": "2026-11-02T08:00:00Z",
             "event_hash": "ni:///sha-256;" + f"{i:064x}" + "?ver=CBV2.0"}
        )  # fmt: skip
    height = Store(parts_home / LEDGER_FILE).height()
    EmbeddedLedger.close_all()
    wal = parts_home / f"{LEDGER_FILE}-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "auditor" / LEDGER_FILE
    copy.parent.mkdir()
    shutil.copyfile(parts_home / LEDGER_FILE, copy)
    report = verify_ledger(copy)
    assert report.ok, report.problem
    assert report.blocks == height


_EXITING_WRITER = """
import json, sys
sys.path.insert(0, sys.argv[2])
from ledger.connect import connect
gw = connect(sys.argv[1], "SupplierMSP", "station1")
for i in range(40):
    gw.submit("CommissionPart", json.dumps({"uid": f"urn:test:x:{i}", "part_type": "SupplierMSP:CAST-1",
                                            "production_date": "2026-11-01", "site_id": "supplier-plant"}))
"""


def test_a_process_that_exits_normally_leaves_the_ledger_file_whole(parts_home: Path) -> None:
    """No close call in the program: the ledger closes itself at exit (CLI commands, a stopped server)."""
    root = str(Path(__file__).resolve().parents[2])
    subprocess.run([sys.executable, "-c", _EXITING_WRITER, str(parts_home), root], check=True, timeout=120)
    wal = parts_home / f"{LEDGER_FILE}-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(parts_home / LEDGER_FILE)
    parts = conn.execute(
        "SELECT COUNT(*) FROM state WHERE key >= ? AND key < ?",
        (b"\x00part\x00urn:test:x:", b"\x00part\x00urn:test:x;"),
    )
    assert parts.fetchone()[0] == 40
    conn.close()


def test_shutdown_does_not_wait_for_a_busy_neighbour(parts_home: Path) -> None:
    """Another process in the middle of a write keeps the log; close returns at once and nothing is lost."""
    station = LedgerClient(connect(parts_home, SUPPLIER, "station1"))
    station.commission_part(
        {"uid": "urn:test:n:1", "part_type": "SupplierMSP:CAST-1", "production_date": "2026-11-01",
         "site_id": "supplier-plant"}
    )  # fmt: skip
    height = Store(parts_home / LEDGER_FILE).height()
    neighbour = sqlite3.connect(parts_home / LEDGER_FILE, isolation_level=None)
    neighbour.execute("BEGIN IMMEDIATE")  # holds the write lock, as another process's orderer mid-block would
    try:
        started = time.monotonic()
        EmbeddedLedger.close_all()
        assert time.monotonic() - started < 10
    finally:
        neighbour.execute("ROLLBACK")
        neighbour.close()
    report = verify_ledger(parts_home / LEDGER_FILE)
    assert report.ok, report.problem
    assert report.blocks == height


def test_closing_a_ledger_whose_home_was_removed_is_quiet(parts_home: Path) -> None:
    """A script that serves a temporary home and deletes it before exit: the exit hook has nothing to flush."""
    LedgerClient(connect(parts_home, SUPPLIER, "station1")).commission_part(
        {"uid": "urn:test:gone:1", "part_type": "SupplierMSP:CAST-1", "production_date": "2026-11-01",
         "site_id": "supplier-plant"}
    )  # fmt: skip
    shutil.rmtree(parts_home)
    EmbeddedLedger.close_all()
    assert not parts_home.exists()


def _tamper(home: Path, sql: str, params: tuple = ()) -> str:
    conn = sqlite3.connect(home / LEDGER_FILE)
    with conn:
        cur = conn.execute(sql, params)
        assert cur.rowcount >= 1
    conn.close()
    report = verify_ledger(home / LEDGER_FILE)
    assert not report.ok
    assert report.problem
    return report.problem


def test_tampered_block_header_is_named(busy_home: Path) -> None:
    problem = _tamper(busy_home, "UPDATE blocks SET created_at='2020-01-01T00:00:00Z' WHERE number=5")
    assert problem.startswith("block 5:")


def test_tampered_hash_link_is_named(busy_home: Path) -> None:
    problem = _tamper(busy_home, "UPDATE blocks SET previous_hash=? WHERE number=4", ("0" * 64,))
    assert problem.startswith("block 4:")


def test_tampered_transaction_is_named(busy_home: Path) -> None:
    conn = sqlite3.connect(busy_home / LEDGER_FILE)
    block, env = conn.execute("SELECT block, envelope FROM txs ORDER BY block DESC LIMIT 1").fetchone()
    conn.close()
    forged = bytes(env).replace(b'"lot":"L1', b'"lot":"L9', 1)
    assert forged != bytes(env)
    problem = _tamper(busy_home, "UPDATE txs SET envelope=? WHERE block=?", (forged, block))
    assert problem.startswith(f"block {block}")


def test_tampered_validation_code_is_named(busy_home: Path) -> None:
    problem = _tamper(busy_home, "UPDATE txs SET code='MVCC_READ_CONFLICT' WHERE block=3")
    assert problem.startswith("block 3")


def test_tampered_state_row_is_named(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:2\x00"
    problem = _tamper(busy_home, "UPDATE state SET value=? WHERE key=?", (b'{"owner_msp":"OemMSP"}', key))
    assert "urn:test:t:2" in problem and problem.startswith("state key")


def test_deleted_state_row_is_named(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:3\x00"
    problem = _tamper(busy_home, "DELETE FROM state WHERE key=?", (key,))
    assert "urn:test:t:3" in problem


def test_tampered_history_row_is_named(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:4\x00"
    problem = _tamper(busy_home, "UPDATE history SET idx=idx+1 WHERE key=?", (key,))
    assert problem.startswith("history row")
    assert "urn:test:t:4" in problem


def test_deleted_history_row_is_named(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:5\x00"
    problem = _tamper(busy_home, "DELETE FROM history WHERE key=?", (key,))
    assert problem.startswith("history row")
    assert "urn:test:t:5" in problem


def test_rechained_forgery_is_named_by_transaction(busy_home: Path) -> None:
    """A forger who also recomputes the block hashes is caught by the signature re-check, named by transaction."""
    conn = sqlite3.connect(busy_home / LEDGER_FILE)
    block, tx_id, env = conn.execute("SELECT block, tx_id, envelope FROM txs ORDER BY block DESC LIMIT 1").fetchone()
    previous, created_at = conn.execute(
        "SELECT previous_hash, created_at FROM blocks WHERE number=?", (block,)
    ).fetchone()
    forged = bytes(env).replace(b'"lot":"L1', b'"lot":"L9', 1)
    assert forged != bytes(env)
    data, meta, digest = block_hashes(block, previous, [forged], ["VALID"], created_at)
    with conn:
        conn.execute("UPDATE txs SET envelope=? WHERE block=?", (forged, block))
        conn.execute(
            "UPDATE blocks SET data_hash=?, metadata_hash=?, hash=? WHERE number=?", (data, meta, digest, block)
        )
    conn.close()
    report = verify_ledger(busy_home / LEDGER_FILE)
    assert report.problem == (
        f"block {block} transaction 0 ({tx_id}): stored validation code VALID but re-validation gives "
        "BAD_CREATOR_SIGNATURE"
    )


def test_verify_in_one_transaction_chunks(busy_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small worker tasks with one in flight per worker reach the same verdicts as the default chunking."""
    monkeypatch.setattr(verify, "CHUNK_TXS", 1)
    monkeypatch.setattr(verify, "IN_FLIGHT_PER_WORKER", 1)
    conn = sqlite3.connect(busy_home / LEDGER_FILE)
    (n_tx,) = conn.execute("SELECT COUNT(*) FROM txs WHERE block > 0").fetchone()
    conn.close()
    report = verify_ledger(busy_home / LEDGER_FILE, workers=2)
    assert report.ok, report.problem
    assert report.transactions == n_tx > 6
    problem = _tamper(busy_home, "UPDATE txs SET code='MVCC_READ_CONFLICT' WHERE block=(SELECT MAX(block) FROM txs)")
    height = Store(busy_home / LEDGER_FILE).height()
    assert problem == f"block {height - 1}: stored hashes do not match its transactions and header"


def test_state_value_of_another_type_is_named(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:1\x00"
    problem = _tamper(busy_home, "UPDATE state SET value=? WHERE key=?", ('{"owner_msp":"SupplierMSP"}', key))
    assert problem == f"state key {key.decode()!r}: stored value or version differs from the replayed write sets"


def test_extra_history_row_is_named_exactly(busy_home: Path) -> None:
    key = b"\x00part\x00urn:test:t:0\x00"
    problem = _tamper(busy_home, "INSERT INTO history VALUES (?, 1, 0)", (key,))
    assert problem == f"history row of key {key.decode()!r} at block 1 transaction 0 matches no valid write"


def test_verify_cli_exit_codes(busy_home: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "ledger", "verify", "--home", str(busy_home)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    _tamper(busy_home, "UPDATE blocks SET hash=? WHERE number=2", ("f" * 64,))
    bad = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "ledger", "verify", "--home", str(busy_home)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "block 2" in bad.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "ledger", "verify", "--home", str(busy_home / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no ledger at") and missing.stderr.count("\n") == 1


def test_js_helper_is_compact() -> None:
    assert js({"b": 1, "a": 2}) == '{"a":2,"b":1}'
