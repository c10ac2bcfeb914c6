"""``usmca ledger verify``: prove a ledger file is internally consistent, from block 0 alone.

It re-hashes the block chain, re-checks every signature and the endorsement policy, replays every write set in
block order to recompute each validation code and rebuild the world state and key history, and compares them
with what is stored. The first discrepancy is reported by block, transaction or key, so an auditor knows exactly
what was altered.

Signature checks dominate the cost, so worker processes read, re-hash and check runs of blocks
(``verify_worker``) while this process replays the runs already checked, in order, with a bounded number of runs
in flight so memory stays flat however long the chain is.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.embedded.store import Store
from ledger.embedded.stub import Version
from ledger.embedded.trust import ChannelTrust
from ledger.embedded.validator import VALID, Checked, check_state
from ledger.embedded.verify_worker import (
    BlockOutcome,
    TxOutcome,
    check_chunk,
    history_row,
    init_worker,
    plan_chunks,
    state_row,
    stored_digests,
    value_digest,
)
from ledger.errors import LedgerError

#: A worker task: about this many transactions or bytes of envelopes (big enough to amortize the pipe, small
#: enough to keep both cores busy until the end).
CHUNK_TXS = 64
CHUNK_BYTES = 2 << 20
#: Tasks in flight per worker process.
IN_FLIGHT_PER_WORKER = 3
#: Sorted-key maintenance: below this many pending changes a range read inserts them one by one, above it the
#: sorted key list is rebuilt in one merge.
_BULK_MERGE = 64


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a verification run."""

    ok: bool
    blocks: int
    transactions: int
    state_keys: int
    seconds: float
    problem: str | None = None

    @property
    def tx_per_s(self) -> float:
        """Verified transactions per second."""
        return self.transactions / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "blocks": self.blocks,
            "transactions": self.transactions,
            "state_keys": self.state_keys,
            "seconds": round(self.seconds, 3),
            "verify_tx_per_s": round(self.tx_per_s, 1),
            "problem": self.problem,
        }


class _Problem(Exception):
    pass


class _ReplayState:
    """The world state rebuilt in memory, each value as its SHA-256, keys sorted only when a range needs it.

    Range reads are rare next to writes, so new and deleted keys are queued and folded into the sorted list when
    the next range is re-evaluated (one by one when few, by one merge when many). The expected history index is
    kept as a running digest of its rows in replay order; the rows themselves are kept only on a second pass,
    after the digest showed the stored index differs, to name the first bad row.
    """

    def __init__(self, keep_history: bool = False) -> None:
        self.values: dict[str, tuple[bytes, Version]] = {}
        self.transactions = 0
        self._keys: list[str] = []
        self._added: set[str] = set()
        self._removed: set[str] = set()
        self.history_hash = hashlib.sha256()
        #: (key, block, idx) of every valid write, on the second pass only.
        self.history: set[tuple[bytes, int, int]] | None = set() if keep_history else None

    def versions(self, keys: list[str]) -> dict[str, Version]:
        values = self.values
        return {k: values[k][1] for k in keys if k in values}

    def range_versions(self, start: str, end: str) -> list[tuple[str, Version]]:
        keys = self._sorted_keys()
        lo = bisect.bisect_left(keys, start)
        hi = bisect.bisect_left(keys, end) if end else len(keys)
        return [(k, self.values[k][1]) for k in keys[lo:hi]]

    def _sorted_keys(self) -> list[str]:
        if self._removed:
            if len(self._removed) < _BULK_MERGE:
                for key in self._removed:
                    self._keys.pop(bisect.bisect_left(self._keys, key))
            else:
                self._keys = [k for k in self._keys if k not in self._removed]
            self._removed.clear()
        if self._added:
            if len(self._added) < _BULK_MERGE:
                for key in self._added:
                    bisect.insort(self._keys, key)
            else:
                self._keys.extend(sorted(self._added))
                self._keys.sort()  # two sorted runs: a linear merge
            self._added.clear()
        return self._keys

    def apply(self, writes: list[tuple[str, bytes | None]], block: int, idx: int) -> None:
        """Apply a valid transaction's writes and record its history rows."""
        values, version = self.values, (block, idx)
        for key, value in writes:
            if value is None:
                if values.pop(key, None) is not None:
                    if key in self._added:
                        self._added.discard(key)
                    else:
                        self._removed.add(key)
            else:
                if key not in values:
                    if key in self._removed:
                        self._removed.discard(key)
                    else:
                        self._added.add(key)
                values[key] = (value, version)
        keys = sorted([key.encode() for key, _ in writes])
        self.history_hash.update(b"".join([history_row(k, block, idx) for k in keys]))
        if self.history is not None:
            self.history.update([(k, block, idx) for k in keys])

    def state_digest(self) -> bytes:
        """Digest of the replayed state in the stored table's row form and key order."""
        h = hashlib.sha256()
        rows = sorted([(k.encode(), d, b, i) for k, (d, (b, i)) in self.values.items()])
        h.update(b"".join([state_row(*row) for row in rows]))
        return h.digest()


def verify_ledger(path: Path, *, workers: int | None = None) -> VerifyReport:
    """Verify ``ledger.db`` at ``path``; never raises for a bad ledger, it reports the first problem."""
    started = time.perf_counter()
    store = Store(path)
    state = _ReplayState()
    try:
        height = store.height()
        if height == 0:
            raise _Problem("block 0 (genesis) is missing")
        genesis = store.block_txs(0)
        try:
            config = json.loads(genesis[0].envelope)
            ChannelTrust.from_config(config)
        except (ValueError, KeyError, IndexError, LedgerError) as exc:
            raise _Problem(f"block 0: genesis configuration is unreadable ({exc})") from None
        nproc = workers or max(1, min(4, os.cpu_count() or 1))
        with ProcessPoolExecutor(nproc, initializer=init_worker, initargs=(Path(path), config)) as pool:
            try:
                _verify_all(store, height, state, pool, nproc * IN_FLIGHT_PER_WORKER)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    except _Problem as p:
        seconds = time.perf_counter() - started
        return VerifyReport(False, store.height(), state.transactions, len(state.values), seconds, str(p))
    finally:
        store.close()
    return VerifyReport(True, height, state.transactions, len(state.values), time.perf_counter() - started)


def _verify_all(store: Store, height: int, state: _ReplayState, pool: ProcessPoolExecutor, in_flight: int) -> None:
    """Replay the chain, then compare digests of the replayed and stored state and history."""
    stored = _replay_chain(store, height, state, pool, in_flight, with_stored=True)
    assert stored is not None
    state_hash, history_hash = stored.result()
    if state.state_digest() != state_hash:
        _compare_state(store, state)
    if state.history_hash.digest() != history_hash:
        again = _ReplayState(keep_history=True)
        _replay_chain(store, height, again, pool, in_flight, with_stored=False)
        assert again.history is not None
        _compare_history(store, again.history)


def _replay_chain(
    store: Store, height: int, state: _ReplayState, pool: ProcessPoolExecutor, in_flight: int, *, with_stored: bool
) -> Future[tuple[bytes, bytes]] | None:
    """Walk the chain in order over the workers' outcomes, keeping ``in_flight`` runs of blocks queued ahead.

    ``with_stored`` also queues the digests of the stored state and history once half the chain is planned, so
    a worker computes them alongside the signature checks and they are ready when the replay ends.
    """
    chunks = plan_chunks(store.conn, height, CHUNK_TXS, CHUNK_BYTES)
    queue: deque[Future[list[BlockOutcome]]] = deque()
    stored: Future[tuple[bytes, bytes]] | None = None

    def submit(lo: int, hi: int) -> None:
        nonlocal stored
        queue.append(pool.submit(check_chunk, lo, hi))
        if with_stored and stored is None and hi >= height // 2:
            stored = pool.submit(stored_digests)

    for lo, hi in chunks:
        submit(lo, hi)
        if len(queue) >= in_flight:
            break
    previous = ""
    seen: set[str] = set()
    expected = 0
    while queue:
        outcomes = queue.popleft().result()
        nxt = next(chunks, None)
        if nxt is not None:
            submit(*nxt)
        for block in outcomes:
            number = block.number
            if number != expected or not block.present:
                raise _Problem(f"block {expected} is missing")
            expected += 1
            if block.previous_hash != previous:
                raise _Problem(f"block {number}: previous_hash does not match the hash of block {number - 1}")
            if block.problem is not None:
                raise _Problem(block.problem)
            previous = block.hash
            for tx in block.txs:
                state.transactions += 1
                _replay_tx(number, tx, state, seen)
    if expected != height:
        raise _Problem(f"block {expected} is missing")
    if with_stored and stored is None:
        stored = pool.submit(stored_digests)
    return stored


def _replay_tx(number: int, tx: TxOutcome, state: _ReplayState, seen: set[str]) -> None:
    tx_id, code = tx.tx_id, tx.code
    if code == VALID and tx.proposal_tx_id != tx_id:
        where = f"block {number} transaction {tx.index} ({tx_id})"
        raise _Problem(f"{where}: stored id differs from the id in its proposal ({tx.proposal_tx_id})")
    code = check_state(Checked(tx_id, code, None, tx.response), state, seen.__contains__)
    if tx_id:
        seen.add(tx_id)
    if code != tx.stored_code:
        where = f"block {number} transaction {tx.index} ({tx_id})"
        raise _Problem(f"{where}: stored validation code {tx.stored_code} but re-validation gives {code}")
    if code == VALID:
        state.apply(tx.writes, number, tx.index)


def _compare_state(store: Store, state: _ReplayState) -> None:
    """Name the first key whose stored value or version differs from the replay (the digests already differ)."""
    expected = {(k.encode(), v, b, i) for k, (v, (b, i)) in state.values.items()}
    rows = store.conn.execute("SELECT key, value, block, idx FROM state")
    stored = {(k, value_digest(v), b, i) for k, v, b, i in rows}
    if stored == expected:
        raise _Problem("state table: its rows are not of the types the ledger writes")
    for key_b, digest, block, idx in sorted(stored - expected, key=_row_order):
        key = _text(key_b)
        if key not in state.values:
            raise _Problem(f"state key {key!r}: present in state but written by no valid transaction")
        if state.values[key] != (digest, (block, idx)):
            raise _Problem(f"state key {key!r}: stored value or version differs from the replayed write sets")
    missing = min(expected - stored, key=_row_order)
    raise _Problem(f"state key {_text(missing[0])!r}: written by a valid transaction but absent from state")


def _compare_history(store: Store, expected: set[tuple[bytes, int, int]]) -> None:
    """Name the first history row that is extra or missing (the digests already differ)."""
    stored = set(store.conn.execute("SELECT key, block, idx FROM history"))
    if stored == expected:
        raise _Problem("history index: its rows are not of the types the ledger writes")
    extra = stored - expected
    if extra:
        key, block, idx = min(extra, key=_row_order)
        raise _Problem(f"history row of key {_text(key)!r} at block {block} transaction {idx} matches no valid write")
    key, block, idx = min(expected - stored, key=_row_order)
    raise _Problem(
        f"history row of key {_text(key)!r} at block {block} transaction {idx} is missing "
        f"({len(stored)} rows for {len(expected)} valid writes)"
    )


def _text(key: object) -> str:
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)


def _row_order(row: tuple[object, ...]) -> tuple[tuple[bool, object], ...]:
    """Table order (blob keys, then versions) that also sorts rows a tamperer gave other SQLite types."""
    return tuple((type(x) is int, x if type(x) in (int, bytes) else repr(x).encode()) for x in row)
