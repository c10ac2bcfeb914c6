"""The orderer: blocks wait briefly for transactions still executing, WAL checkpoints run on their own thread."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ledger.connect import connect
from ledger.embedded.ledger import LEDGER_FILE, EmbeddedLedger
from ledger.embedded.orderer import COMMIT_DELAY_ENV, Orderer, commit_delay
from ledger.embedded.peers import ENDORSERS_ENV
from ledger.embedded.verify import verify_ledger
from ledger.errors import ValidationError
from tests.helpers import SUPPLIER, run_threads


def _part_type(n: int) -> str:
    doc = {
        "part_number": f"ORD-{n}",
        "description": "Orderer test part",
        "hs_code": "8708.99",
        "usmca_category": "other",
        "unit": "EA",
    }
    return json.dumps(doc)


def test_a_transaction_still_executing_joins_the_block(ledger_home: Path) -> None:
    led = EmbeddedLedger.open(ledger_home)
    admin = led.network.member(SUPPLIER, "admin")
    first = led.endorser.transact(admin, "RegisterPartType", (_part_type(1),))
    second = led.endorser.transact(admin, "RegisterPartType", (_part_type(2),))
    executing = [1]
    orderer = Orderer(led.store, led.trust, expected=lambda: executing[0], delay=5.0)
    try:
        f1 = orderer.submit(first.tx_id, first.envelope, first.checked)
        time.sleep(0.2)  # the block waits: one more transaction is on its way
        assert not f1.done()
        executing[0] = 0
        f2 = orderer.submit(second.tx_id, second.envelope, second.checked)
        assert f1.result(timeout=10).block_number == f2.result(timeout=10).block_number
    finally:
        orderer.stop()


def test_nothing_on_its_way_commits_at_once(ledger_home: Path) -> None:
    led = EmbeddedLedger.open(ledger_home)
    done = led.endorser.transact(led.network.member(SUPPLIER, "admin"), "RegisterPartType", (_part_type(3),))
    orderer = Orderer(led.store, led.trust, expected=lambda: 0, delay=30.0)
    try:
        started = time.monotonic()
        assert orderer.submit(done.tx_id, done.envelope, done.checked).result(timeout=10).code == "VALID"
        assert time.monotonic() - started < 5.0
    finally:
        orderer.stop()


def test_commit_delay_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMIT_DELAY_ENV, "0.004")
    assert commit_delay() == 0.004
    monkeypatch.setenv(COMMIT_DELAY_ENV, "")
    assert commit_delay() == 0.001
    for bad in ("soon", "-1", "5", "nan"):
        monkeypatch.setenv(COMMIT_DELAY_ENV, bad)
        with pytest.raises(ValidationError, match=f"USMCA_COMMIT_DELAY='{bad}'") as info:
            commit_delay()
        assert info.value.value == bad


def test_wal_is_checkpointed_into_the_database_while_the_orderer_runs(ledger_home: Path) -> None:
    """Without the checkpoint thread the database file would not grow until the last connection closed."""
    db = ledger_home / LEDGER_FILE
    gw = connect(ledger_home, SUPPLIER, "admin")
    gw.submit("RegisterPartType", _part_type(4))
    before = os.path.getsize(db)
    for n in range(5, 45):
        gw.submit("RegisterPartType", _part_type(n))
    deadline = time.monotonic() + 10
    while os.path.getsize(db) <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.getsize(db) > before


def test_overlapping_single_record_submits_run_on_the_peers(ledger_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve threads on one peer process: requests queue up behind each other there, every one commits."""
    monkeypatch.setenv(ENDORSERS_ENV, "1")
    EmbeddedLedger.close_all()
    pool = EmbeddedLedger.open(ledger_home).endorsers  # started up front, as in a long-running server
    assert pool is not None
    gw = connect(ledger_home, SUPPLIER, "admin")
    tx_blocks: list[int] = []

    def submit(k: int) -> None:
        for j in range(5):
            status = gw.submit_async("RegisterPartType", _part_type(100 + k * 10 + j)).get_status()
            assert status.successful
            tx_blocks.append(status.block_number)

    run_threads(submit, 12)
    assert len(tx_blocks) == 60
    assert len(set(tx_blocks)) < 60  # concurrent transactions shared blocks
    assert pool.served == 60
    assert len(pool.pids) == 1 and pool.pids[0] != os.getpid()
    EmbeddedLedger.close_all()
    assert verify_ledger(ledger_home / LEDGER_FILE).ok
