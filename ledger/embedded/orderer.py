"""Ordering and committing: cut blocks by size or time, validate, and write each block atomically.

Each process that submits to a ledger home runs one orderer thread. Envelopes arrive already through the
stateless checks (signatures, policy; see :meth:`Orderer.submit`) and queue up; the thread takes everything waiting
(up to ``max_block_txs``; after the first envelope it waits at most ``batch_timeout`` for more, like Fabric's
BatchTimeout, default 0: under load envelopes pile up while the previous block commits, so blocks grow by
themselves without adding latency when idle). It then takes SQLite's write lock (``BEGIN IMMEDIATE``), which
totally orders blocks across processes, reads the chain tip, runs the state checks in order and writes block,
transactions, state and history in one SQLite transaction before anyone is told the outcome.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from ledger import sqlbulk
from ledger.embedded.store import Store, committed_tx_ids, connect, state_versions
from ledger.embedded.stub import Version
from ledger.embedded.validator import VALID, Checked, Trust, block_hashes, check_state, check_stateless
from ledger.errors import SubmitError, ValidationError
from ledger.gateway import Status

T = TypeVar("T")

#: How often the checkpointer copies new WAL frames into the database (PASSIVE: never blocks the writer).
CHECKPOINT_INTERVAL_S = 0.5
#: Longest wait, in seconds, for transactions this process is still executing to join a block (``Orderer._gather``).
COMMIT_DELAY_ENV = "USMCA_COMMIT_DELAY"
COMMIT_DELAY_S = 0.001


def commit_delay() -> float:
    """``USMCA_COMMIT_DELAY`` in seconds (0 to 1), or the default of 1 ms (measured best with 8 submitting threads)."""
    raw = os.environ.get(COMMIT_DELAY_ENV, "").strip()
    if not raw:
        return COMMIT_DELAY_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"{COMMIT_DELAY_ENV}={raw!r} is not a number of seconds from 0 to 1", value=raw)
    return value


#: WAL content from which the checkpointer waits for readers to finish (RESTART) so the log can start over.
MAX_WAL_BYTES = 256 * 1024 * 1024


@dataclass
class _Pending:
    tx_id: str
    envelope: bytes
    checked: Checked
    future: Future[Status]


class _BlockView:
    """Committed state seen through the writes of earlier valid transactions in the block being built."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.overlay: dict[str, tuple[Version, bytes | None]] = {}
        self._overlay_keys: list[str] = []
        self._committed: dict[str, Version] = {}
        self._prefetched: set[str] = set()

    def prefetch(self, keys: set[str]) -> None:
        """Read the committed versions of every key the block's transactions read, in a few queries."""
        self._committed.update(self._query([k for k in keys if k not in self._committed]))
        self._prefetched.update(keys)

    def _query(self, keys: list[str]) -> dict[str, Version]:
        return state_versions(self._conn, keys)

    def versions(self, keys: list[str]) -> dict[str, Version]:
        missing = [k for k in keys if k not in self.overlay and k not in self._prefetched]
        found = self._query(missing) if missing else {}
        committed = self._committed
        for k in keys:
            if k in committed and k not in self.overlay:
                found[k] = committed[k]
        for k in keys:
            if k in self.overlay:
                ver, value = self.overlay[k]
                if value is not None:
                    found[k] = ver
        return found

    def range_versions(self, start: str, end: str) -> list[tuple[str, Version]]:
        sql, params = "SELECT key, block, idx FROM state WHERE key >= ?", [start.encode()]
        if end:
            sql += " AND key < ?"
            params.append(end.encode())
        found = {bytes(k).decode(): (b, i) for k, b, i in self._conn.execute(sql, params)}
        lo = bisect.bisect_left(self._overlay_keys, start)
        hi = bisect.bisect_left(self._overlay_keys, end) if end else len(self._overlay_keys)
        for key in self._overlay_keys[lo:hi]:
            ver, value = self.overlay[key]
            if value is None:
                found.pop(key, None)
            else:
                found[key] = ver
        return sorted(found.items(), key=lambda kv: kv[0].encode())

    def apply(self, writes: dict[str, bytes | None], version: Version) -> None:
        for key, value in writes.items():
            if key not in self.overlay:
                bisect.insort(self._overlay_keys, key)
            self.overlay[key] = (version, value)


class Orderer:
    """The per-process block cutter and committer for one ledger file."""

    def __init__(
        self,
        store: Store,
        trust: Trust,
        *,
        max_block_txs: int = 1000,
        batch_timeout: float = 0.0,
        expected: Callable[[], int] | None = None,
        delay: float | None = None,
    ) -> None:
        self._store = store
        self._expected = expected
        self._commit_delay = commit_delay() if delay is None else delay
        self._trust = trust
        self._max = max_block_txs
        self._timeout = batch_timeout
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._committed = threading.Condition()
        self._written: queue.SimpleQueue[tuple[list[_Pending], list[Status]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="usmca-orderer", daemon=True)
        self._syncer = threading.Thread(target=self._sync_loop, name="usmca-fsync", daemon=True)
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="usmca-checkpoint", daemon=True)
        self._checkpoint_due = threading.Event()
        self._checkpoints_stop = threading.Event()
        self._stopped = False
        self._thread.start()
        self._syncer.start()
        self._checkpointer.start()

    def submit(self, tx_id: str, envelope: bytes, checked: Checked | None = None) -> Future[Status]:
        """Queue an envelope; the future resolves once its block is committed.

        ``checked`` is the stateless validation the submitter already ran (``Endorser.transact``); without it
        the checks run here, on the submitting thread, so the orderer thread only runs the state checks.
        """
        if self._stopped:
            raise SubmitError("the orderer is stopped", tx_id=tx_id, code="UNAVAILABLE")
        if checked is None:
            checked = check_stateless(envelope, self._trust)
        fut: Future[Status] = Future()
        self._queue.put(_Pending(tx_id, envelope, checked, fut))
        return fut

    def wait_for_height(self, height: int, timeout: float) -> bool:
        """Block until this process committed a block making the chain at least ``height`` long."""
        deadline = time.monotonic() + timeout
        with self._committed:
            while self._store.height() < height:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._committed.wait(min(left, 0.25))
        return True

    def stop(self) -> None:
        """Commit what is queued, stop the threads, and fold the write-ahead log into the ledger file.

        The final checkpoint leaves ``ledger.db`` complete on its own at rest: a copy handed to an auditor
        without its ``-wal`` file holds every block, and the next reader (``usmca ledger verify`` right after
        a shutdown) does not page through a log of up to ``MAX_WAL_BYTES``. It is skipped, harmlessly, while
        another process is in the middle of a read or write; SQLite keeps the log valid either way.
        """
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._written.put(None)
            self._syncer.join(timeout=30)
            self._checkpoints_stop.set()
            self._checkpoint_due.set()
            self._checkpointer.join(timeout=30)
            checkpoint_wal(self._store.path)

    def _run(self) -> None:
        """Cut a block from everything waiting, write it, and pass it on to be made durable."""
        # This thread's connection commits without waiting for the disk; _sync_loop makes the WAL durable
        # before anyone is told (see _sync_loop), so the next block is written while the last one syncs.
        self._store.conn.execute("PRAGMA synchronous=NORMAL")
        self._store.conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in _checkpoint_loop, off this thread
        while True:
            batch, stop = _drain(self._queue, self._max, self._timeout)
            if batch and not stop:
                stop = self._gather(batch)
            if batch:
                self._commit_batch(batch)
            if stop:
                return

    def _gather(self, batch: list[_Pending]) -> bool:
        """Wait up to ``commit_delay`` for transactions this process is still executing to join the block.

        PostgreSQL's commit_delay/commit_siblings: a block costs a fixed ~0.2 ms to write besides its
        transactions, so when more are on their way a slightly later, larger block commits more per second.
        Returns whether the stop marker came.
        """
        if self._expected is None or self._commit_delay <= 0:
            return False
        deadline = time.monotonic() + self._commit_delay
        while len(batch) < self._max and self._expected() > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                return False
            if item is None:
                return True
            batch.append(item)
        return False

    def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            statuses = commit_block(self._store, [p.envelope for p in batch], [p.checked for p in batch])
        except Exception as exc:
            _fail(batch, exc)
            return
        self._written.put((batch, statuses))

    def _sync_loop(self) -> None:
        """Group fsync: make every block written so far durable with one fsync of the WAL, then tell submitters.

        A WAL commit is durable once its frames, commit frame included, are on disk; SQLite's synchronous=FULL
        would sync inside the write lock, one block at a time (with fdatasync on Linux, as here: the data and the
        file size, not the timestamps). Syncing here, outside the lock, gives the same
        guarantee to every acknowledged transaction (nobody learns an outcome before the fsync returns) while
        the orderer writes the next block, and one fsync covers every block written meanwhile.
        """
        wal = f"{self._store.path}-wal"
        stop = False
        while not stop:
            done, stop = _drain(self._written, None, 0.0)
            if done:
                self._make_durable(wal, done)

    def _make_durable(self, wal: str, done: list[tuple[list[_Pending], list[Status]]]) -> None:
        try:
            fd = os.open(wal, os.O_RDONLY)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
        except FileNotFoundError:
            pass  # every connection closed and SQLite checkpointed the WAL into the database, synced
        except OSError as exc:
            for batch, _ in done:
                _fail(batch, exc)
            return
        with self._committed:
            self._committed.notify_all()
        for batch, statuses in done:
            for p, st in zip(batch, statuses, strict=True):
                p.future.set_result(st)
        self._checkpoint_due.set()

    def _checkpoint_loop(self) -> None:
        """Copy new WAL frames into the database at most every ``CHECKPOINT_INTERVAL_S``, on its own thread.

        SQLite's automatic checkpoint would run inside the orderer's COMMIT every 1,000 pages; here a PASSIVE
        checkpoint copies what it can without blocking the writer, and neither committing nor the fsync that
        acknowledges transactions ever waits for it. Should the log still hold ``MAX_WAL_BYTES`` (readers kept
        it from being copied), a RESTART checkpoint waits for them so that the log starts over.
        """
        conn = self._store.conn
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        while True:
            self._checkpoint_due.wait()
            if self._checkpoints_stop.is_set():
                return
            self._checkpoint_due.clear()
            # A busy checkpoint is retried after the next block; the WAL stays valid either way.
            with contextlib.suppress(sqlite3.Error):
                _busy, log, _done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if log * page >= MAX_WAL_BYTES:
                    conn.execute("PRAGMA wal_checkpoint(RESTART)")
            if self._checkpoints_stop.wait(CHECKPOINT_INTERVAL_S):
                return


def checkpoint_wal(path: Path, wait_s: float = 0.2) -> bool:
    """Copy the whole write-ahead log into the database and truncate it.

    Waits at most ``wait_s`` for other connections' reads and writes (not the ledger's two-minute busy timeout:
    a shutdown must not hang on a busy neighbour); False when they kept the log.
    """
    try:
        conn = connect(path)
    except sqlite3.Error:
        return False  # the home is gone (a removed temporary directory): nothing left to checkpoint
    try:
        conn.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return busy == 0


def _drain(q: queue.SimpleQueue[T | None], limit: int | None, timeout: float) -> tuple[list[T], bool]:
    """The next item (waiting for it) and whatever else is queued, and whether the stop marker (None) came.

    After the first item it waits up to ``timeout`` for more, and takes at most ``limit`` items.
    """
    first = q.get()
    if first is None:
        return [], True
    items = [first]
    deadline = time.monotonic() + timeout
    while limit is None or len(items) < limit:
        try:
            left = deadline - time.monotonic()
            item = q.get(timeout=left) if left > 0 else q.get_nowait()
        except queue.Empty:
            return items, False
        if item is None:
            return items, True
        items.append(item)
    return items, False


def _fail(batch: list[_Pending], exc: BaseException) -> None:
    for p in batch:
        p.future.set_exception(SubmitError(f"ordering failed: {exc}", tx_id=p.tx_id, code="UNAVAILABLE"))


def commit_block(store: Store, envelopes: list[bytes], checked: list[Checked]) -> list[Status]:
    """Validate against current state and append one block holding every envelope; atomic."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        number, previous = (row[0] + 1, row[1]) if row else (0, "")
        view = _BlockView(conn)
        view.prefetch({k for c in checked if c.code == VALID and c.response for k in c.response.rwset.reads})
        seen_here: set[str] = set()
        ids = [c.tx_id for c in checked if c.tx_id]
        committed_ids = committed_tx_ids(conn, ids)

        def seen(tx_id: str) -> bool:
            return tx_id in seen_here or tx_id in committed_ids

        codes: list[str] = []
        tx_rows, hist_rows = [], []
        for idx, (env, chk) in enumerate(zip(envelopes, checked, strict=True)):
            code = check_state(chk, view, seen)
            codes.append(code)
            if chk.tx_id:
                seen_here.add(chk.tx_id)
            tx_rows.append((number, idx, chk.tx_id, code, env))
            if code != VALID or chk.response is None:
                continue
            writes = chk.response.rwset.writes
            view.apply(writes, (number, idx))
            hist_rows.extend((key.encode(), number, idx) for key in writes)
        created = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        data_hash, meta_hash, block_hash = block_hashes(number, previous, envelopes, codes, created)
        conn.execute(
            "INSERT INTO blocks VALUES (?,?,?,?,?,?,?)",
            (number, previous, data_hash, meta_hash, block_hash, len(envelopes), created),
        )
        sqlbulk.insert(conn, "INSERT INTO txs", tx_rows)
        # The overlay holds each key's last valid write in this block; the history keeps every write.
        final = view.overlay.items()
        sqlbulk.delete_in(conn, "state", "key", [k.encode() for k, (_, v) in final if v is None])
        sqlbulk.insert(
            conn,
            "INSERT OR REPLACE INTO state",
            [(k.encode(), v, ver[0], ver[1]) for k, (ver, v) in final if v is not None],
        )
        sqlbulk.insert(conn, "INSERT INTO history", hist_rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [Status(c.tx_id, code, number) for c, code in zip(checked, codes, strict=True)]
