"""The station's durable outbox: every event is on disk before the operator is told OK.

A local SQLite file (WAL, synchronous=FULL) holds events in read order. The forwarder takes the oldest pending
ones, delivers them, and marks each delivered or refused with the ledger's answer. Events are keyed by their
EPCIS event id (the GS1 canonical hash), so appending the same event twice stores it once, and delivering it
twice records it once on the ledger: a crash between delivery and marking only causes an idempotent resend.

Each row keeps the EPCIS JSON-LD event (what partners may ask for) and the ledger payload (what the sink sends),
so the forwarder needs no knowledge of EPCIS and a restarted station resends exactly what it stored.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ledger.errors import LedgerError, ValidationError

PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"
STATUSES = (PENDING, DELIVERED, REFUSED)
#: What a stored event asks the ledger to do: record a scan (ObjectEvent) or an assembly (TransformationEvent).
Kind = Literal["scan", "assembly"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'scan',
    uid TEXT NOT NULL,
    raw TEXT,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, seq);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox(created_at);
"""


class OutboxError(LedgerError):
    """The outbox file cannot store or update events (disk full, file removed, I/O error)."""

    kind = "outbox_error"
    http_status = 507


@dataclass(frozen=True)
class NewEvent:
    """An event to store: its id (canonical hash), kind, part uid, raw scan text, EPCIS JSON-LD and ledger payload."""

    event_id: str
    kind: Kind
    uid: str
    event: dict[str, Any]
    payload: dict[str, Any]
    raw: str | None = None


@dataclass(frozen=True)
class OutboxEvent:
    """One stored event with its delivery state."""

    seq: int
    event_id: str
    kind: Kind
    uid: str
    event: dict[str, Any]
    payload: dict[str, Any]
    status: str
    attempts: int
    outcome: dict[str, Any] | None
    created_at: float


_COLUMNS = "seq, event_id, kind, uid, event, payload, status, attempts, outcome, created_at"


class Outbox:
    """The outbox file of one station; safe to share between the reader thread and the forwarder thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ValidationError(
                f"outbox {self.path} is not a usable SQLite file: {exc}", value=str(self.path)
            ) from None
        self._new = threading.Condition(self._lock)

    def append(self, event: NewEvent) -> bool:
        """Store one event durably; False when an event with this id is already stored."""
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[NewEvent]) -> list[bool]:
        """Store events in one durable transaction (one fsync for a burst of reads); True for each one added."""
        if not events:
            return []
        now = time.time()
        added: list[bool] = []
        with self._lock, self._storing():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for e in events:
                    cur = self._conn.execute(
                        "INSERT OR IGNORE INTO outbox(event_id, kind, uid, raw, event, payload, created_at) "
                        "VALUES (?,?,?,?,?,?,?)",
                        (e.event_id, e.kind, e.uid, e.raw, _dump(e.event), _dump(e.payload), now),
                    )
                    added.append(cur.rowcount == 1)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            if any(added):
                self._new.notify_all()
        return added

    def pending(self, limit: int) -> list[OutboxEvent]:
        """The oldest undelivered events."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE status=? ORDER BY seq LIMIT ?", (PENDING, limit)
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
        for status, _ in outcomes.values():
            if status not in (DELIVERED, REFUSED):
                raise ValidationError(f"outcome status {status!r} is not delivered or refused", value=status)
        with self._lock, self._storing():
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "UPDATE outbox SET status=?, outcome=?, attempts=attempts+1, last_error=NULL WHERE event_id=?",
                [(st, _dump(out), eid) for eid, (st, out) in outcomes.items()],
            )
            self._conn.execute("COMMIT")

    def failed_attempt(self, event_ids: list[str], error: str) -> None:
        """Remember that a delivery attempt failed (the events stay pending); one transaction, one fsync."""
        with self._lock, self._storing():
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "UPDATE outbox SET attempts=attempts+1, last_error=? WHERE event_id=?",
                [(error, eid) for eid in event_ids],
            )
            self._conn.execute("COMMIT")

    def requeue_refused(self) -> int:
        """Put refused events back to pending (after fixing the station's configuration); returns how many."""
        with self._lock:
            cur = self._conn.execute(
                "UPDATE outbox SET status=?, outcome=NULL WHERE status=?",
                (PENDING, REFUSED),
            )
            if cur.rowcount:
                self._new.notify_all()
            return int(cur.rowcount)

    def get(self, event_id: str) -> OutboxEvent | None:
        """One event by id."""
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE event_id=?", (event_id,)).fetchone()
        return None if row is None else _event(row)

    def events(self, status: str | None = None, limit: int = 1000) -> list[OutboxEvent]:
        """Stored events in read order, optionally of one status."""
        if status is not None and status not in STATUSES:
            raise ValidationError(f"status {status!r} is not one of {', '.join(STATUSES)}", value=status)
        where, params = ("WHERE status=?", [status]) if status else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY seq LIMIT ?", [*params, limit]
            ).fetchall()
        return [_event(r) for r in rows]

    def recent(self, since: float) -> list[tuple[str, float]]:
        """(uid, stored at) of scans stored since a wall-clock time: seeds the dedupe window after a restart."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT uid, created_at FROM outbox WHERE kind='scan' AND created_at>=? ORDER BY seq", (since,)
            ).fetchall()
        return [(str(u), float(t)) for u, t in rows]

    def last_error(self) -> str | None:
        """The most recent delivery error still standing on a pending event."""
        with self._lock:
            row = self._conn.execute(
                "SELECT last_error FROM outbox WHERE status=? AND last_error IS NOT NULL ORDER BY seq LIMIT 1",
                (PENDING,),
            ).fetchone()
        return None if row is None else str(row[0])

    def counts(self) -> dict[str, int]:
        """How many events are pending, delivered and refused."""
        with self._lock:
            rows = dict(self._conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        return {s: int(rows.get(s, 0)) for s in STATUSES}

    def _count(self, status: str) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM outbox WHERE status=?", (status,)).fetchone()[0])

    @contextlib.contextmanager
    def _storing(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise OutboxError(f"outbox {self.path} cannot store events: {exc}", value=str(self.path)) from exc

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()


def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _event(row: tuple[Any, ...]) -> OutboxEvent:
    seq, eid, kind, uid, event, payload, status, attempts, outcome, created = row
    return OutboxEvent(
        seq,
        eid,
        kind,
        uid,
        json.loads(event),
        json.loads(payload),
        status,
        attempts,
        json.loads(outcome) if outcome else None,
        created,
    )
