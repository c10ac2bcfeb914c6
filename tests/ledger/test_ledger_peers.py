"""Endorsing peer processes: large proposals endorse there, errors keep their type, dead peers are replaced."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.embedded.ledger import LEDGER_FILE, EmbeddedLedger
from ledger.embedded.peers import ENDORSERS_ENV, pool_size
from ledger.embedded.verify import verify_ledger
from ledger.errors import EndorseError, ValidationError
from tests.helpers import SUPPLIER

CLIENT = Path(__file__).with_name("ledger_batch_client.py")


@pytest.fixture
def pooled_home(ledger_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The registered test network with two endorsing peer processes and one part type."""
    monkeypatch.setenv(ENDORSERS_ENV, "2")
    EmbeddedLedger.close_all()
    assert EmbeddedLedger.open(ledger_home).endorsers is not None  # started: large proposals go to the peers
    _register_casting(ledger_home)
    return ledger_home


def _register_casting(home: Path) -> None:
    LedgerClient(connect(home, SUPPLIER, "admin")).register_part_type(
        {
            "part_number": "CAST-1",
            "description": "Casting",
            "hs_code": "8708.99",
            "usmca_category": "other",
            "unit": "EA",
        }
    )


def _parts(n: int, tag: str) -> list[dict[str, str]]:
    return [
        {
            "uid": f"urn:test:peer:{tag}:{i}",
            "part_type": "SupplierMSP:CAST-1",
            "lot": "L1",
            "production_date": "2026-11-01",
            "site_id": "supplier-plant",
        }
        for i in range(n)
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_large_batch_is_endorsed_on_a_peer_process(pooled_home: Path) -> None:
    station = LedgerClient(connect(pooled_home, SUPPLIER, "station1"))
    docs = station.commission_parts(_parts(200, "a"))
    assert len(docs) == 200
    led = EmbeddedLedger.open(pooled_home)
    assert led.endorsers is not None
    assert led.endorsers.pids and all(p != os.getpid() for p in led.endorsers.pids)
    assert station.get_part("urn:test:peer:a:199")["part"]["owner_msp"] == SUPPLIER
    EmbeddedLedger.close_all()
    assert verify_ledger(pooled_home / LEDGER_FILE).ok


def test_chaincode_refusal_on_a_peer_keeps_its_type_and_the_bad_item(pooled_home: Path) -> None:
    parts = _parts(200, "b")
    parts[157]["production_date"] = "not-a-date"
    gw = connect(pooled_home, SUPPLIER, "station1")
    with pytest.raises(EndorseError) as info:
        gw.submit("CommissionParts", json.dumps(parts))
    assert isinstance(info.value.cause, ValidationError)
    assert "parts[157]" in info.value.message
    assert info.value.tx_id
    assert EmbeddedLedger.open(pooled_home).endorsers.pids  # the peer survived the refusal


def test_a_killed_peer_is_replaced_and_the_proposal_retried(pooled_home: Path) -> None:
    station = LedgerClient(connect(pooled_home, SUPPLIER, "station1"))
    station.commission_parts(_parts(150, "c"))
    pool = EmbeddedLedger.open(pooled_home).endorsers
    assert pool is not None
    before = pool.pids
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    docs = station.commission_parts(_parts(150, "d"))
    assert len(docs) == 150
    # A peer's reader thread notices its death on its own schedule (the retry may not have needed that peer).
    deadline = time.monotonic() + 10
    while set(pool.pids) & set(before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(pool.pids) & set(before)


def test_every_peer_killed_again_and_again_loses_no_transaction(pooled_home: Path) -> None:
    # Right after the kills, the pool may still hold dead peers its reader threads have not noticed: each
    # failed attempt must take that peer out at once and try another (a new one once all are gone).
    station = LedgerClient(connect(pooled_home, SUPPLIER, "station1"))
    pool = EmbeddedLedger.open(pooled_home).endorsers
    assert pool is not None
    station.commission_parts(_parts(20, "warm"))
    for round_ in range(4):
        for pid in pool.pids:
            os.kill(pid, signal.SIGKILL)
        docs = station.commission_parts(_parts(150, f"r{round_}"))
        assert [d["uid"] for d in docs] == [p["uid"] for p in _parts(150, f"r{round_}")]


def test_peers_exit_when_their_client_is_killed(pooled_home: Path) -> None:
    env = {**os.environ, ENDORSERS_ENV: "2"}
    proc = subprocess.Popen([sys.executable, str(CLIENT), str(pooled_home)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids and all(_alive(p) for p in pids)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)
    assert verify_ledger(pooled_home / LEDGER_FILE).ok


def test_a_lone_client_endorses_in_process_and_overlapping_batches_start_the_peers(
    ledger_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDORSERS_ENV, "2")
    EmbeddedLedger.close_all()
    _register_casting(ledger_home)
    station = LedgerClient(connect(ledger_home, SUPPLIER, "station1"))
    station.commission_parts(_parts(200, "lone"))
    led = EmbeddedLedger.open(ledger_home)
    assert led._pool is None  # one client at a time: nothing to gain from a peer process
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def batch(tag: str) -> None:
        try:
            start.wait()
            station.commission_parts(_parts(300, tag))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=batch, args=(f"t{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    deadline = time.monotonic() + 30  # the peers start in the background; nothing waited for them
    while not (led._pool is not None and led._pool.pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert led._pool is not None and led._pool.pids  # overlapping proposals started the peers
    assert station.get_part("urn:test:peer:t2:299")["part"]["owner_msp"] == SUPPLIER


def test_pool_size_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDORSERS_ENV, "0")
    assert pool_size() == 0
    monkeypatch.setenv(ENDORSERS_ENV, "3")
    assert pool_size() == 3
    monkeypatch.setenv(ENDORSERS_ENV, "many")
    with pytest.raises(ValidationError, match="USMCA_ENDORSERS='many'") as info:
        pool_size()
    assert info.value.value == "many"


def test_pipelined_requests_larger_than_a_socket_buffer_do_not_deadlock(
    ledger_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 threads pipeline requests and answers of hundreds of kilobytes through one peer: while a sender waits for
    the peer to read, the reader must still hand answers back (it once waited for the sender's lock instead)."""
    monkeypatch.setenv(ENDORSERS_ENV, "1")
    EmbeddedLedger.close_all()
    pool = EmbeddedLedger.open(ledger_home).endorsers
    assert pool is not None and pool.size == 1
    _register_casting(ledger_home)
    station = LedgerClient(connect(ledger_home, SUPPLIER, "station1"))
    errors: list[Exception] = []

    def worker(k: int) -> None:
        try:
            for r in range(2):
                assert len(station.commission_parts(_parts(800, f"big{k}-{r}"))) == 800
        except Exception as exc:  # reported below, with the hang check first
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 180
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "submits pipelined to one peer deadlocked"
    assert errors == []
    assert pool.served >= 16
