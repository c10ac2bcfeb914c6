"""The API node's EPCIS event repository: every captured event, queryable with SimpleEventQuery parameters.

Events live in ``home/epcis.db`` (SQLite via sqlite-utils), one row per eventID with the JSON-LD as captured
plus ``recordTime``, the capturing org and the ledger outcome. The ledger stays the source of truth for parts
and custody; this store answers EPCIS queries with the events as the capturing party wrote them (extensions,
ILMD, business transactions), which the ledger does not keep. Queries narrow by org, event time and business
step in SQL and apply the full :class:`scanner.epcis.EventQuery` in Python.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import sqlite_utils

from ledger import sqlbulk
from scanner.epcis import Event, EventQuery, event_from_jsonld
from scanner.epcis.timestamps import format_timestamp

REPOSITORY_FILE = "epcis.db"
_instances: dict[Path, EventRepository] = {}
_instances_lock = threading.Lock()


@dataclass(frozen=True)
class StoredEvent:
    """A captured event and who captured it."""

    event_id: str
    msp_id: str
    event: Event
    transaction: str | None


def _utc(event: Event) -> str:
    return format_timestamp(event.event_time.astimezone(UTC))


class EventRepository:
    """Captured EPCIS events of one API node."""

    def __init__(self, path: Path) -> None:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        self._db = sqlite_utils.Database(conn)
        self._lock = threading.Lock()
        if "events" not in self._db.table_names():
            self._db["events"].create(
                {
                    "seq": int,
                    "event_id": str,
                    "event_hash": str,
                    "type": str,
                    "event_time": str,
                    "record_time": str,
                    "biz_step": str,
                    "msp_id": str,
                    "transaction": str,
                    "namespaces": str,
                    "document": str,
                },
                pk="seq",
                not_null={"event_id", "event_hash", "type", "event_time", "msp_id", "document"},
            )
            self._db["events"].create_index(["event_id"], unique=True)
            self._db["events"].create_index(["msp_id", "event_time"])
        # Events recorded through /v1 are looked up by hash (repositories created before had no such index).
        self._db["events"].create_index(["event_hash"], if_not_exists=True)

    @classmethod
    def for_home(cls, home: Path) -> EventRepository:
        """The repository of a ledger home (one per process)."""
        path = Path(home).resolve() / REPOSITORY_FILE
        with _instances_lock:
            repo = _instances.get(path)
            if repo is None:
                repo = _instances[path] = cls(path)
            return repo

    def known(self, event_ids: list[str]) -> set[str]:
        """Which of ``event_ids`` are already stored."""
        return self._present("event_id", event_ids)

    def known_hashes(self, event_hashes: list[str]) -> set[str]:
        """Which of ``event_hashes`` are the canonical hash of a stored event (whatever its eventID)."""
        return self._present("event_hash", event_hashes)

    def _present(self, column: str, values: list[str]) -> set[str]:
        """The ``values`` found in ``column`` of the events table (a fixed column name, never user input)."""
        with self._lock:
            return sqlbulk.present(self._db.conn, "events", column, values)

    def add(self, items: list[tuple[Event, str, str | None]], msp_id: str) -> None:
        """Store events (each with its ledger hash and transaction name); an event id already stored is kept."""
        rows = []
        for event, event_hash, transaction in items:
            data = event.to_jsonld()
            rows.append(
                {
                    "event_id": event.event_id,
                    "event_hash": event_hash,
                    "type": event.TYPE,
                    "event_time": _utc(event),
                    "record_time": data.get("recordTime"),
                    "biz_step": event.biz_step,
                    "msp_id": msp_id,
                    "transaction": transaction,
                    "namespaces": json.dumps(dict(event.namespaces), sort_keys=True),
                    "document": json.dumps(data, ensure_ascii=False),
                }
            )
        with self._lock, self._db.atomic():
            self._db["events"].insert_all(rows, ignore=True)

    def get(self, event_id: str) -> StoredEvent | None:
        """One event by id."""
        with self._lock:
            row = self._db.execute(
                "SELECT event_id, msp_id, document, namespaces, [transaction] FROM events WHERE event_id = ?",
                [event_id],
            ).fetchone()
        return _stored(row) if row else None

    def query(self, query: EventQuery, msp_id: str | None) -> list[StoredEvent]:
        """Events matching ``query`` (of org ``msp_id``, or of every org when None), ordered as the query asks."""
        conds, params = [], []
        if msp_id is not None:
            conds.append("msp_id = ?")
            params.append(msp_id)
        if query.ge_event_time is not None:
            conds.append("event_time >= ?")
            params.append(format_timestamp(query.ge_event_time.astimezone(UTC)))
        if query.lt_event_time is not None:
            conds.append("event_time < ?")
            params.append(format_timestamp(query.lt_event_time.astimezone(UTC)))
        if query.biz_steps:
            conds.append(f"biz_step IN ({','.join('?' * len(query.biz_steps))})")
            params += sorted(query.biz_steps)
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT event_id, msp_id, document, namespaces, [transaction] FROM events {where} ORDER BY seq", params
            ).fetchall()
        stored = {s.event: s for s in _iter_stored(rows)}
        return [stored[e] for e in query.select(list(stored))]


def _stored(row: tuple[Any, ...]) -> StoredEvent:
    event_id, msp_id, document, namespaces, transaction = row
    event = event_from_jsonld(json.loads(document), json.loads(namespaces or "{}"))
    return StoredEvent(event_id, msp_id, event, transaction)


def _iter_stored(rows: list[tuple[Any, ...]]) -> Iterator[StoredEvent]:
    for row in rows:
        yield _stored(row)
