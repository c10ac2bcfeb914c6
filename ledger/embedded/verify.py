"""``usmca ledger verify``: prove a ledger file is internally consistent, from block 0 alone.

It re-hashes the block chain, re-checks every signature and the endorsement policy (spread over all cores, as
signature checks dominate), replays every write set in block order to recompute each validation code and rebuild
the world state and key history, and compares them with what is stored. The first discrepancy is reported by
block, transaction or key, so an auditor knows exactly what was altered.
"""

from __future__ import annotations

import bisect
import json
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.embedded.envelope import Envelope, Proposal, Response
from ledger.embedded.store import Store, StoredBlock, StoredTx
from ledger.embedded.stub import Version
from ledger.embedded.trust import ChannelTrust
from ledger.embedded.validator import VALID, Checked, block_hashes, check_state, check_stateless
from ledger.errors import ParseError


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


_worker_trust: ChannelTrust | None = None


def _init_worker(config: dict[str, Any]) -> None:
    global _worker_trust
    _worker_trust = ChannelTrust.from_config(config)


def _stateless_codes(envelopes: list[bytes]) -> list[str]:
    assert _worker_trust is not None
    return [check_stateless(e, _worker_trust).code for e in envelopes]


class _ReplayState:
    """The world state rebuilt in memory, with sorted keys for range re-evaluation."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[bytes, Version]] = {}
        self._keys: list[str] = []
        #: (key, block, idx) of every valid write: the expected history index.
        self.history: set[tuple[bytes, int, int]] = set()

    def versions(self, keys: list[str]) -> dict[str, Version]:
        values = self.values
        return {k: values[k][1] for k in keys if k in values}

    def range_versions(self, start: str, end: str) -> list[tuple[str, Version]]:
        lo = bisect.bisect_left(self._keys, start)
        hi = bisect.bisect_left(self._keys, end) if end else len(self._keys)
        return [(k, self.values[k][1]) for k in self._keys[lo:hi]]

    def apply(self, writes: dict[str, bytes | None], version: Version) -> None:
        for key, value in writes.items():
            if value is None:
                if self.values.pop(key, None) is not None:
                    self._keys.pop(bisect.bisect_left(self._keys, key))
            else:
                if key not in self.values:
                    bisect.insort(self._keys, key)
                self.values[key] = (value, version)


def verify_ledger(path: Path, *, workers: int | None = None) -> VerifyReport:
    """Verify ``ledger.db`` at ``path``; never raises for a bad ledger, it reports the first problem."""
    started = time.perf_counter()
    store = Store(path)
    n_tx = 0
    state = _ReplayState()
    try:
        height = store.height()
        if height == 0:
            raise _Problem("block 0 (genesis) is missing")
        genesis = store.block_txs(0)
        try:
            config = json.loads(genesis[0].envelope)
            ChannelTrust.from_config(config)
        except (ValueError, KeyError, IndexError, ParseError) as exc:
            raise _Problem(f"block 0: genesis configuration is unreadable ({exc})") from None
        nproc = workers or max(1, min(4, os.cpu_count() or 1))
        with ProcessPoolExecutor(nproc, initializer=_init_worker, initargs=(config,)) as pool:
            n_tx = _verify_chain(store, height, state, pool, nproc)
        _compare_state(store, state)
        _compare_history(store, state)
    except _Problem as p:
        return VerifyReport(False, store.height(), n_tx, len(state.values), time.perf_counter() - started, str(p))
    finally:
        store.close()
    return VerifyReport(True, height, n_tx, len(state.values), time.perf_counter() - started)


def _submit_window(
    store: Store, numbers: range, pool: ProcessPoolExecutor, nproc: int
) -> tuple[list[tuple[int, StoredBlock | None, list[StoredTx]]], list[Future[list[str]]]]:
    """Read a window of blocks and hand their envelopes to the signature workers."""
    blocks = [(n, store.block(n), store.block_txs(n)) for n in numbers]
    flat = [t.envelope for n, _, txs in blocks if n > 0 for t in txs]
    size = max(1, len(flat) // (nproc * 2) + 1)
    futures = [pool.submit(_stateless_codes, flat[i : i + size]) for i in range(0, len(flat), size)]
    return blocks, futures


def _verify_chain(store: Store, height: int, state: _ReplayState, pool: ProcessPoolExecutor, nproc: int) -> int:
    """Walk the chain; while one window of blocks is replayed here, the next one's signatures are checked."""
    previous = ""
    seen: set[str] = set()
    n_tx = 0
    window = 128
    starts = list(range(0, height, window))
    pending = _submit_window(store, range(0, min(height, window)), pool, nproc) if starts else None
    for k in range(len(starts)):
        assert pending is not None
        blocks, futures = pending
        if k + 1 < len(starts):
            nxt = starts[k + 1]
            pending = _submit_window(store, range(nxt, min(height, nxt + window)), pool, nproc)
        codes_iter = iter([c for f in futures for c in f.result()])
        for number, header, txs in blocks:
            if header is None:
                raise _Problem(f"block {number} is missing")
            if header.previous_hash != previous:
                raise _Problem(f"block {number}: previous_hash does not match the hash of block {number - 1}")
            data, meta, digest = block_hashes(
                number, previous, [t.envelope for t in txs], [t.code for t in txs], header.created_at
            )
            if (data, meta, digest) != (header.data_hash, header.metadata_hash, header.hash):
                raise _Problem(f"block {number}: stored hashes do not match its transactions and header")
            if header.tx_count != len(txs):
                raise _Problem(f"block {number}: tx_count {header.tx_count} but {len(txs)} transactions stored")
            previous = header.hash
            if number == 0:
                continue
            for t in txs:
                n_tx += 1
                _replay_tx(number, t.index, t.tx_id, t.code, t.envelope, next(codes_iter), state, seen)
    return n_tx


def _replay_tx(
    number: int,
    idx: int,
    tx_id: str,
    stored: str,
    envelope: bytes,
    code: str,
    state: _ReplayState,
    seen: set[str],
) -> None:
    where = f"block {number} transaction {idx} ({tx_id})"
    proposal = response = None
    if code == VALID:
        env = Envelope.from_bytes(envelope)
        proposal = Proposal.from_bytes(env.proposal_bytes)
        response = Response.from_bytes(env.response_bytes)
        if proposal.tx_id != tx_id:
            raise _Problem(f"{where}: stored id differs from the id in its proposal ({proposal.tx_id})")
    code = check_state(Checked(tx_id, code, proposal, response), state, seen.__contains__)
    if tx_id:
        seen.add(tx_id)
    if code != stored:
        raise _Problem(f"{where}: stored validation code {stored} but re-validation gives {code}")
    if code == VALID:
        assert response is not None and proposal is not None
        state.apply(response.rwset.writes, (number, idx))
        state.history.update((key.encode(), number, idx) for key in response.rwset.writes)


def _compare_state(store: Store, state: _ReplayState) -> None:
    rows = store.conn.execute("SELECT key, value, block, idx FROM state ORDER BY key")
    stored_keys = set()
    for key_b, value, block, idx in rows:
        key = bytes(key_b).decode("utf-8", "replace")
        stored_keys.add(key)
        expected = state.values.get(key)
        if expected is None:
            raise _Problem(f"state key {key!r}: present in state but written by no valid transaction")
        if expected != (bytes(value), (block, idx)):
            raise _Problem(f"state key {key!r}: stored value or version differs from the replayed write sets")
    missing = set(state.values) - stored_keys
    if missing:
        raise _Problem(f"state key {sorted(missing)[0]!r}: written by a valid transaction but absent from state")


def _compare_history(store: Store, state: _ReplayState) -> None:
    """The history index must list exactly the writes of valid transactions, no more and no fewer."""
    expected = state.history
    count = 0
    for key, block, idx in store.conn.execute("SELECT key, block, idx FROM history"):
        count += 1
        if (bytes(key), block, idx) not in expected:
            k = bytes(key).decode("utf-8", "replace")
            raise _Problem(f"history row of key {k!r} at block {block} transaction {idx} matches no valid write")
    if count != len(expected):
        missing = sorted(expected - {(bytes(k), b, i) for k, b, i in store.conn.execute("SELECT * FROM history")})
        k, b, i = missing[0]
        raise _Problem(
            f"history row of key {k.decode('utf-8', 'replace')!r} at block {b} transaction {i} is missing "
            f"({count} rows for {len(expected)} valid writes)"
        )
