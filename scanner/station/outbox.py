"""The station's durable outbox: every event is on disk before the operator is told OK.

A local SQLite file (WAL, synchronous=FULL) holds events in read order. The forwarder takes the oldest pending
ones, delivers them, and marks each delivered or refused with the ledger's answer. Events are keyed by their
EPCIS event id (the GS1 canonical hash), so appending the same event twice stores it once, and delivering it
twice records it once on the ledger: a crash between delivery and marking only causes an idempotent resend.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    uid TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, seq);
"""


@dataclass(frozen=True)
class OutboxEvent:
    """One stored event."""

    seq: int
    event_id: str
    uid: str
    event: dict[str, Any]
    status: str
    attempts: int
    outcome: dict[str, Any] | None


class Outbox:
    """The outbox file of one station; safe to share between the reader thread and the forwarder thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)
        self._new = threading.Condition(self._lock)

    def append(self, event_id: str, uid: str, event: dict[str, Any]) -> bool:
        """Store an event durably; False when an event with this id is already stored."""
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO outbox(event_id, uid, event, created_at) VALUES (?,?,?,?)",
                (event_id, uid, json.dumps(event, sort_keys=True), time.time()),
            )
            added = cur.rowcount == 1
            if added:
                self._new.notify_all()
            return added

    def pending(self, limit: int) -> list[OutboxEvent]:
        """The oldest undelivered events."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, event_id, uid, event, status, attempts, outcome FROM outbox "
                "WHERE status=? ORDER BY seq LIMIT ?",
                (PENDING, limit),
            ).fetchall()
        return [_event(r) for r in rows]

    def wait_for_pending(self, timeout: float) -> bool:
        """Wait until something is pending (or the timeout passes); True when there is."""
        with self._new:
            if self._count(PENDING):
                return True
            self._new.wait(timeout)
            return self._count(PENDING) > 0

    def mark(self, outcomes: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """Record delivery outcomes: event id -> (DELIVERED or REFUSED, the ledger's answer)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "UPDATE outbox SET status=?, outcome=?, attempts=attempts+1, last_error=NULL WHERE event_id=?",
                [(st, json.dumps(out, sort_keys=True), eid) for eid, (st, out) in outcomes.items()],
            )
            self._conn.execute("COMMIT")

    def failed_attempt(self, event_ids: list[str], error: str) -> None:
        """Remember that a delivery attempt failed (the events stay pending)."""
        with self._lock:
            self._conn.executemany(
                "UPDATE outbox SET attempts=attempts+1, last_error=? WHERE event_id=?",
                [(error, eid) for eid in event_ids],
            )

    def get(self, event_id: str) -> OutboxEvent | None:
        """One event by id."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, event_id, uid, event, status, attempts, outcome FROM outbox WHERE event_id=?",
                (event_id,),
            ).fetchone()
        return None if row is None else _event(row)

    def counts(self) -> dict[str, int]:
        """How many events are pending, delivered and refused."""
        with self._lock:
            rows = dict(self._conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        return {s: int(rows.get(s, 0)) for s in (PENDING, DELIVERED, REFUSED)}

    def _count(self, status: str) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM outbox WHERE status=?", (status,)).fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()


def _event(row: tuple[Any, ...]) -> OutboxEvent:
    seq, eid, uid, event, status, attempts, outcome = row
    return OutboxEvent(seq, eid, uid, json.loads(event), status, attempts, json.loads(outcome) if outcome else None)
