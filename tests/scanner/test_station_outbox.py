"""The durable outbox (real SQLite files) and the forwarder's retry with backoff against a real ledger home."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from ledger.errors import ValidationError
from scanner.station.events import scan_event
from scanner.station.forwarder import Backoff, Forwarder
from scanner.station.outbox import DELIVERED, PENDING, REFUSED, NewEvent, Outbox
from scanner.station.sinks import LedgerSink
from tests.helpers import SUPPLIER
from tests.scanner.test_station_events import cfg as plain_cfg
from tests.scanner.test_station_sinks import commission, ledger_scans, station_config, uid


def ev(i: int, kind: str = "scan") -> NewEvent:
    return NewEvent(f"ni:///sha-256;{i:064x}?ver=CBV2.0", kind, f"urn:test:{i}", {"type": "ObjectEvent", "n": i},
                    {"uid": f"urn:test:{i}"}, f"raw{i}")  # fmt: skip


def test_append_is_durable_and_keyed_by_event_id(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a" / "ob.db")
    assert box.append_many([ev(1), ev(2), ev(1)]) == [True, True, False]
    assert box.append(ev(2)) is False
    box.close()
    again = Outbox(tmp_path / "a" / "ob.db")
    stored = again.pending(10)
    assert [(e.seq, e.uid, e.kind, e.event, e.payload, e.status, e.attempts) for e in stored] == [
        (1, "urn:test:1", "scan", {"type": "ObjectEvent", "n": 1}, {"uid": "urn:test:1"}, PENDING, 0),
        (2, "urn:test:2", "scan", {"type": "ObjectEvent", "n": 2}, {"uid": "urn:test:2"}, PENDING, 0),
    ]
    with sqlite3.connect(tmp_path / "a" / "ob.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_mark_attempts_counts_and_requeue(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "ob.db")
    box.append_many([ev(i) for i in range(4)])
    ids = [e.event_id for e in box.pending(10)]
    box.failed_attempt(ids[:2], "ledger home /x is unreachable")
    assert box.last_error() == "ledger home /x is unreachable"
    box.mark({ids[0]: (DELIVERED, {"duplicate": False}), ids[1]: (REFUSED, {"error": {"message": "bad"}})})
    assert box.counts() == {PENDING: 2, DELIVERED: 1, REFUSED: 1}
    assert [e.event_id for e in box.pending(1)] == [ids[2]]
    first = box.get(ids[0])
    assert first is not None
    assert (first.status, first.attempts, first.outcome) == (DELIVERED, 2, {"duplicate": False})
    assert box.last_error() is None
    assert [e.event_id for e in box.events(REFUSED)] == [ids[1]]
    assert box.requeue_refused() == 1
    assert box.counts() == {PENDING: 3, DELIVERED: 1, REFUSED: 0}
    assert box.get("nope") is None


def test_recent_scans_seed_the_dedupe_window(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "ob.db")
    box.append_many([ev(1), ev(2, kind="assembly")])
    recent = box.recent(0)
    assert [u for u, _ in recent] == ["urn:test:1"]
    assert box.recent(recent[0][1] + 1) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.mark({"x": ("pending", {})}), "outcome status 'pending' is not delivered or refused"),
        (lambda b: b.events("lost"), "status 'lost' is not one of pending, delivered, refused"),
    ],
)
def test_outbox_errors(tmp_path: Path, call: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(Outbox(tmp_path / "ob.db"))  # type: ignore[operator]
    assert info.value.message == message


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "ob.db"
    f.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValidationError, match=f"outbox {f} is not a usable SQLite file"):
        Outbox(f)


def test_backoff_doubles_up_to_the_maximum_and_resets() -> None:
    b = Backoff(initial=0.1, maximum=1.0)
    assert [b.failed() for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    b.reset()
    assert b.failed() == 0.1


def test_forwarder_buffers_through_an_outage_and_resumes(ledger_home: Path, tmp_path: Path) -> None:
    home = commission(ledger_home, 5)
    cfg = station_config(home, tmp_path)
    box = Outbox(tmp_path / "ob.db")
    box.append_many([scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(5)])
    states: list[str] = []
    settled: list[str] = []
    backoff = Backoff(initial=0.001, maximum=0.004)
    fw = Forwarder(
        box,
        LedgerSink(home, SUPPLIER, "station1"),
        batch_size=3,
        backoff=backoff,
        on_outcome=lambda e, status, answer: settled.append(status),
        on_offline=lambda exc, was_online: states.append(f"offline {was_online} {type(exc).__name__}"),
        on_online=lambda: states.append("online"),
    )
    away = home.with_name("away")
    os.rename(home, away)
    try:
        assert [fw.deliver_once() for _ in range(4)] == [0, 0, 0, 0]
        assert [backoff.current, fw.online] == [0.004, False]
    finally:
        os.rename(away, home)
    assert states == ["offline True SinkUnavailable"] + ["offline False SinkUnavailable"] * 3
    assert [e.attempts for e in box.pending(5)] == [4, 4, 4, 0, 0]
    assert fw.deliver_once() == 3
    assert (fw.online, backoff.current, states[-1]) == (True, 0.0, "online")
    assert fw.deliver_once() == 2
    assert settled == [DELIVERED] * 5
    assert box.counts() == {PENDING: 0, DELIVERED: 5, REFUSED: 0}
    assert len(ledger_scans(home)) == 5


def test_forwarder_thread_drains_on_stop(ledger_home: Path, tmp_path: Path) -> None:
    home = commission(ledger_home, 30)
    cfg = station_config(home, tmp_path)
    box = Outbox(tmp_path / "ob.db")
    fw = Forwarder(box, LedgerSink(home, SUPPLIER, "station1"), batch_size=7)
    fw.start()
    box.append_many([scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(30)])
    fw.stop(drain_timeout=30)
    assert box.counts()[DELIVERED] == 30
    assert len(ledger_scans(home)) == 30


def test_unreachable_home_error_names_the_missing_file(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "ob.db")
    box.append(scan_event(plain_cfg(), uid(1), 1_790_000_000.0))
    fw = Forwarder(box, LedgerSink(tmp_path / "nohome", SUPPLIER, "station1"), backoff=Backoff(initial=0.001))
    assert fw.deliver_once() == 0
    expected = f"ledger home {tmp_path / 'nohome'} is unreachable: {tmp_path / 'nohome' / 'ledger.db'} is missing"
    assert fw.last_error == expected
    assert box.last_error() == expected
    assert not (tmp_path / "nohome").exists()
