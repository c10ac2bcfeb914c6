"""Ordering and committing: cut blocks by size or time, validate, and write each block atomically.

Each process that submits to a ledger home runs one orderer thread. Envelopes queue up; the thread takes
everything waiting (up to ``max_block_txs``, waiting at most ``batch_timeout`` for more, like Fabric's
BatchTimeout), runs the stateless checks, then takes SQLite's write lock (``BEGIN IMMEDIATE``), which totally
orders blocks across processes, reads the chain tip, runs the state checks in order and writes block,
transactions, state and history in one SQLite transaction before anyone is told the outcome.
"""

from __future__ import annotations

import bisect
import os
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.embedded.store import Store
from ledger.embedded.stub import Version
from ledger.embedded.validator import VALID, Checked, Trust, block_hashes, check_state, check_stateless
from ledger.errors import SubmitError
from ledger.gateway import Status


@dataclass
class _Pending:
    tx_id: str
    envelope: bytes
    future: Future[Status]


class _BlockView:
    """Committed state seen through the writes of earlier valid transactions in the block being built."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.overlay: dict[str, tuple[Version, bytes | None]] = {}
        self._overlay_keys: list[str] = []

    def versions(self, keys: list[str]) -> dict[str, Version]:
        found: dict[str, Version] = {}
        from_db = [k for k in keys if k not in self.overlay]
        for i in range(0, len(from_db), 500):
            chunk = [k.encode() for k in from_db[i : i + 500]]
            marks = ",".join("?" * len(chunk))
            for key, block, idx in self._conn.execute(
                f"SELECT key, block, idx FROM state WHERE key IN ({marks})", chunk
            ):
                found[bytes(key).decode()] = (block, idx)
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
    """The per-process batcher and committer for one ledger file."""

    def __init__(self, store: Store, trust: Trust, *, max_block_txs: int = 1000, batch_timeout: float = 0.002) -> None:
        self._store = store
        self._trust = trust
        self._max = max_block_txs
        self._timeout = batch_timeout
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._committed = threading.Condition()
        # Signature checks release the GIL, so the stateless step of a block runs on every core.
        self._checkers = ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="usmca-validate")
        self._thread = threading.Thread(target=self._run, name="usmca-orderer", daemon=True)
        self._stopped = False
        self._thread.start()

    def submit(self, tx_id: str, envelope: bytes) -> Future[Status]:
        """Queue an envelope for ordering; the future resolves once its block is durably committed."""
        if self._stopped:
            raise SubmitError("the orderer is stopped", tx_id=tx_id, code="UNAVAILABLE")
        fut: Future[Status] = Future()
        self._queue.put(_Pending(tx_id, envelope, fut))
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
        """Commit what is queued, then stop the thread."""
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._checkers.shutdown(wait=False)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self._timeout
            stop = False
            while len(batch) < self._max:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit_batch(batch)
            if stop:
                return

    def _check_all(self, envelopes: list[bytes]) -> list[Checked]:
        if len(envelopes) < 8:
            return [check_stateless(e, self._trust) for e in envelopes]
        step = max(4, len(envelopes) // (2 * (os.cpu_count() or 2)))
        parts = [envelopes[i : i + step] for i in range(0, len(envelopes), step)]
        futures = [self._checkers.submit(lambda p=p: [check_stateless(e, self._trust) for e in p]) for p in parts]
        return [c for f in futures for c in f.result()]

    def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            checked = self._check_all([p.envelope for p in batch])
            statuses = commit_block(self._store, [p.envelope for p in batch], checked)
        except Exception as exc:
            for p in batch:
                p.future.set_exception(SubmitError(f"ordering failed: {exc}", tx_id=p.tx_id, code="UNAVAILABLE"))
            return
        with self._committed:
            self._committed.notify_all()
        for p, st in zip(batch, statuses, strict=True):
            p.future.set_result(st)


def commit_block(store: Store, envelopes: list[bytes], checked: list[Checked]) -> list[Status]:
    """Validate against current state and append one block holding every envelope; atomic."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        number, previous = (row[0] + 1, row[1]) if row else (0, "")
        view = _BlockView(conn)
        seen_here: set[str] = set()

        def seen(tx_id: str) -> bool:
            if tx_id in seen_here:
                return True
            return conn.execute("SELECT 1 FROM txs WHERE tx_id=? LIMIT 1", (tx_id,)).fetchone() is not None

        codes: list[str] = []
        tx_rows, hist_rows = [], []
        for idx, (env, chk) in enumerate(zip(envelopes, checked, strict=True)):
            code = check_state(chk, view, seen)
            codes.append(code)
            if chk.tx_id:
                seen_here.add(chk.tx_id)
            tx_rows.append((number, idx, chk.tx_id, code, env))
            if code != VALID or chk.response is None or chk.proposal is None:
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
        conn.executemany("INSERT INTO txs VALUES (?,?,?,?,?)", tx_rows)
        # The overlay holds each key's last valid write in this block; the history keeps every write.
        final = view.overlay.items()
        conn.executemany("DELETE FROM state WHERE key=?", [(k.encode(),) for k, (_, v) in final if v is None])
        conn.executemany(
            "INSERT OR REPLACE INTO state VALUES (?,?,?,?)",
            [(k.encode(), v, ver[0], ver[1]) for k, (ver, v) in final if v is not None],
        )
        conn.executemany("INSERT INTO history VALUES (?,?,?)", hist_rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [Status(c.tx_id, code, number) for c, code in zip(checked, codes, strict=True)]
