"""Reads and assemblies committed through ``/v1/...``, kept in the node's EPCIS event repository as well.

Trading partners and auditors query ``GET /epcis/events`` for every event the node recorded, not only for
captured documents. The ledger keeps an event's hash and a few of its fields, not the event, so the event is
rebuilt from the request's fields with the builders the station agent uses (:mod:`scanner.epcis.builders`) and
kept only when it hashes to the committed event hash. A client that hashed an event the node cannot rebuild
(bizLocation, extensions, ILMD) gets nothing invented for it: such clients send their events to
``/epcis/capture``.

The ledger is the source of truth: this step runs after the commit, in a background thread (queries wait for
it, see :func:`settle`), never fails the request (errors are logged) and is idempotent (an event whose hash is
stored already adds nothing), so replaying a read fills in an event that an earlier failed write missed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.epcis.repository import EventRepository
from scanner.epcis import Event, ObjectEvent, TransformationEvent
from scanner.epcis.builders import object_event_for_read, transformation_event
from scanner.epcis.timestamps import parse_timestamp

log = logging.getLogger("usmca.api.epcis")


def read_event(item: Mapping[str, Any], stored: Mapping[str, Any]) -> ObjectEvent | None:
    """The ObjectEvent of a committed read, or None when the read's fields do not hash to its event hash.

    ``item`` is the ``RecordScan`` argument (the read as sent, ``event_time`` with its offset); ``stored`` the
    ledger's record, which names the station's read point and default business step the read may have left out.
    """
    event = object_event_for_read(
        item["uid"],
        event_time=item["event_time"],
        read_point=item.get("read_point") or stored.get("read_point"),
        biz_location=None,
        biz_step=item.get("biz_step") or stored.get("biz_step"),
        disposition=item.get("disposition"),
        event_id=item["event_hash"],  # the claimed id; _committed checks it is the hash
        record_time=_record_time(stored.get("recorded_at")),
    )
    return _committed(event, item["event_hash"])


def assembly_event(
    item: Mapping[str, Any], stored: Mapping[str, Any], read_points: Iterable[str | None]
) -> TransformationEvent | None:
    """The TransformationEvent of a committed assembly, or None when no candidate hashes to its event hash.

    Candidates differ by ``readPoint`` only: the one sent (None when absent, as the API hashes it) and the
    station's registered one (what the station agent hashes, since it sends no read point).
    """
    for read_point in dict.fromkeys(read_points):
        event = transformation_event(
            item["child_uids"],
            [item["parent_uid"]],
            event_time=item["event_time"],
            read_point=read_point,
            biz_step="assembling",
            disposition="active",
            event_id=item["event_hash"],  # the claimed id; _committed checks it is the hash
            record_time=_record_time(stored.get("assembled_at")),
        )
        kept = _committed(event, item["event_hash"])
        if kept is not None:
            return kept
    return None


class _Keeper:
    """One background thread per process that stores committed events.

    A request then answers right after the ledger commit: rebuilding and hashing costs ~170 us per read, most
    of a second for a 5,000-read batch.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Path, str, str, Callable[[], Iterable[Event | None]]]] = queue.SimpleQueue()
        self._outstanding = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None

    def put(self, job: tuple[Path, str, str, Callable[[], Iterable[Event | None]]]) -> None:
        with self._idle:
            self._outstanding += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="usmca-epcis-keeper", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def settle(self, timeout: float) -> bool:
        """Wait until every event handed over so far is stored (or logged as failed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                _store(*job)
            finally:
                with self._idle:
                    self._outstanding -= 1
                    self._idle.notify_all()


_KEEPER = _Keeper()


def keep(home: Path, msp_id: str, transaction: str, build: Callable[[], Iterable[Event | None]]) -> None:
    """Store, in the background, the events ``build`` rebuilds whose hash the repository lacks.

    Never raises: the ledger has committed, so a repository failure (or an unexpected rebuild error) is logged
    and the request answers normally. Queries call :func:`settle` first, so the node reads its own writes.
    """
    _KEEPER.put((home, msp_id, transaction, build))


def settle(timeout: float = 60.0) -> bool:
    """Wait until every committed event handed to :func:`keep` so far is in the repository."""
    return _KEEPER.settle(timeout)


def _store(home: Path, msp_id: str, transaction: str, build: Callable[[], Iterable[Event | None]]) -> int:
    try:
        fresh: dict[str, Event] = {}
        for event in build():
            if event is not None and event.event_id is not None:
                fresh.setdefault(event.event_id, event)
        if not fresh:
            return 0
        repo = EventRepository.for_home(home)
        known = repo.known_hashes(list(fresh))
        items = [(event, event_id, transaction) for event_id, event in fresh.items() if event_id not in known]
        if items:
            repo.add(items, msp_id)
        return len(items)
    except Exception:
        log.exception("%s events of %s committed to the ledger but not stored in the EPCIS repository",
                      transaction, msp_id)  # fmt: skip
        return 0


def _committed(event: Event, event_hash: str) -> Event | None:
    """``event`` (built under its claimed id, with the ledger's record time) if it is the committed event."""
    return event if event.hash_id() == event_hash else None  # the canonical hash leaves eventID, recordTime out


def _record_time(recorded_at: Any) -> datetime:
    """The ledger's commit time (so a later catch-up stores the same recordTime); now when it has none."""
    if isinstance(recorded_at, str) and recorded_at:
        return parse_timestamp(recorded_at)
    return datetime.now(UTC)
