"""The parallel half of ``ledger verify``: re-hash runs of blocks and re-check every signature in worker processes.

Each worker reads its run of blocks straight from the ledger file (shipping envelopes through a pipe would cost
more than reading them), recomputes the block hashes, runs the stateless validation step once per envelope, and
sends back only what the in-order replay needs: the verdicts and the read/write sets of the valid transactions.
The main process therefore never parses an envelope, and its replay overlaps the workers' signature checks.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any, NamedTuple

from ledger.embedded.envelope import Response
from ledger.embedded.store import connect
from ledger.embedded.stub import RWSet
from ledger.embedded.trust import ChannelTrust
from ledger.embedded.validator import VALID, block_hashes, check_stateless


class TxOutcome(NamedTuple):
    """One transaction after the stateless step (a tuple, as thousands cross the process boundary per second)."""

    index: int
    tx_id: str
    stored_code: str
    code: str
    #: The id inside the proposal (compared with the stored id when the transaction is valid).
    proposal_tx_id: str
    #: For a valid transaction, its response reduced to what the state step reads: the reads and the ranges.
    response: Response | None
    #: For a valid transaction, each written key with the SHA-256 of its value (None for a delete): the replay
    #: compares digests with the stored state, so megabytes of values never cross the pipe or stay in memory.
    writes: list[tuple[str, bytes | None]]


class BlockOutcome(NamedTuple):
    """One block: its chain link, its own problem if any, and its transactions."""

    number: int
    present: bool
    previous_hash: str
    hash: str
    problem: str | None
    txs: list[TxOutcome]


def plan_chunks(conn: sqlite3.Connection, height: int, max_txs: int, max_bytes: int) -> Iterator[tuple[int, int]]:
    """Cut blocks 0..height-1 into consecutive runs of at most about ``max_txs`` transactions or ``max_bytes``.

    Sizes come from the row headers (SQLite's ``length()`` of a blob does not read it), so planning is cheap and
    streams; runs are bounded in bytes so one worker task never holds a large share of a big ledger.
    """
    lo, n_tx, n_bytes = 0, 0, 0
    sizes = conn.execute(
        "SELECT block, COUNT(*), SUM(length(envelope)) FROM txs WHERE block < ? GROUP BY block ORDER BY block",
        (height,),
    )
    for block, count, size in sizes:
        n_tx += count
        n_bytes += size or 0
        if n_tx >= max_txs or n_bytes >= max_bytes:
            yield lo, block
            lo, n_tx, n_bytes = block + 1, 0, 0
    if lo < height:
        yield lo, height - 1


_trust: ChannelTrust | None = None
_path: Path | None = None
_conn: sqlite3.Connection | None = None


def init_worker(path: Path, config: dict[str, Any]) -> None:
    """Process-pool initializer: the channel's trust from block 0, and the ledger file to read from."""
    global _trust, _path, _conn
    _trust = ChannelTrust.from_config(config)
    _path, _conn = path, None


def _connection() -> sqlite3.Connection:
    global _conn
    assert _path is not None
    if _conn is None:
        _conn = connect(_path)
    return _conn


def check_chunk(lo: int, hi: int) -> list[BlockOutcome]:
    """Blocks ``lo..hi``: hashes, transaction count and stateless verdicts, stopping after a block's own problem."""
    conn = _connection()
    headers = {
        row[0]: row
        for row in conn.execute(
            "SELECT number, previous_hash, data_hash, metadata_hash, hash, tx_count, created_at FROM blocks "
            "WHERE number BETWEEN ? AND ?",
            (lo, hi),
        )
    }
    rows = conn.execute(
        "SELECT block, idx, tx_id, code, envelope FROM txs WHERE block BETWEEN ? AND ? ORDER BY block, idx", (lo, hi)
    )
    by_block = groupby(rows, key=lambda r: r[0])
    pending = next(by_block, None)
    out: list[BlockOutcome] = []
    for number in range(lo, hi + 1):
        txs: list[tuple[int, int, str, str, bytes]] = []
        if pending is not None and pending[0] == number:
            txs = list(pending[1])
            pending = next(by_block, None)
        header = headers.get(number)
        if header is None:
            out.append(BlockOutcome(number, False, "", "", None, []))
            break
        outcome = _check_block(number, header, txs)
        out.append(outcome)
        if outcome.problem is not None:
            break
    return out


def _check_block(number: int, header: tuple[Any, ...], txs: list[tuple[int, int, str, str, bytes]]) -> BlockOutcome:
    _, previous_hash, data_hash, metadata_hash, digest, tx_count, created_at = header
    hashes = block_hashes(number, previous_hash, [t[4] for t in txs], [t[3] for t in txs], created_at)
    problem = None
    if hashes != (data_hash, metadata_hash, digest):
        problem = f"block {number}: stored hashes do not match its transactions and header"
    elif tx_count != len(txs):
        problem = f"block {number}: tx_count {tx_count} but {len(txs)} transactions stored"
    outcomes: list[TxOutcome] = []
    if problem is None and number > 0:
        outcomes = [_check_tx(idx, tx_id, code, envelope) for _, idx, tx_id, code, envelope in txs]
    return BlockOutcome(number, True, previous_hash, digest, problem, outcomes)


def _check_tx(idx: int, tx_id: str, stored_code: str, envelope: bytes) -> TxOutcome:
    assert _trust is not None
    checked = check_stateless(envelope, _trust)
    full = checked.response
    if checked.code != VALID or full is None:
        return TxOutcome(idx, tx_id, stored_code, checked.code, checked.tx_id, None, [])
    rw = full.rwset
    response = Response(full.proposal_hash, full.status, full.message, b"", RWSet(rw.reads, {}, rw.ranges), None)
    writes = [(k, None if v is None else value_digest(v)) for k, v in rw.writes.items()]
    proposal_tx_id = tx_id if checked.tx_id == tx_id else checked.tx_id  # one string to pickle when equal
    return TxOutcome(idx, tx_id, stored_code, checked.code, proposal_tx_id, response, writes)


def value_digest(value: object) -> bytes:
    """How a state value is compared between replay and the state table (a non-blob value matches nothing)."""
    return hashlib.sha256(value).digest() if isinstance(value, bytes) else b""


_ROW = struct.Struct(">Iqq")


def state_row(key: bytes, digest: bytes, block: int, idx: int) -> bytes:
    """One state row as hashed: framed so that no two different row streams hash the same."""
    return _ROW.pack(len(key), block, idx) + key + digest


def history_row(key: bytes, block: int, idx: int) -> bytes:
    """One history row as hashed, framed like :func:`state_row`."""
    return _ROW.pack(len(key), block, idx) + key


def _stored_state_digest(rows: Iterable[tuple[object, bytes, object, object]]) -> bytes:
    """SHA-256 over the state rows in key order; empty (matching nothing) when a row has other SQLite types."""
    h = hashlib.sha256()
    for key, digest, block, idx in rows:
        if not isinstance(key, bytes) or len(digest) != 32 or type(block) is not int or type(idx) is not int:
            return b""
        h.update(state_row(key, digest, block, idx))
    return h.digest()


def _stored_history_digest(rows: Iterable[tuple[object, object, object]]) -> bytes:
    """SHA-256 over the history rows in (block, idx, key) order, the order in which the replay produces them."""
    h = hashlib.sha256()
    for key, block, idx in rows:
        if not isinstance(key, bytes) or type(block) is not int or type(idx) is not int:
            return b""
        h.update(history_row(key, block, idx))
    return h.digest()


def stored_digests() -> tuple[bytes, bytes]:
    """Digests of the state table and the history index as stored, for the main process to compare with its replay.

    Run by a worker while the main process replays, so reading and hashing the tables is off the serial path;
    only when a digest differs does the main process compare row by row to name the discrepancy.
    """
    conn = _connection()
    rows = conn.execute("SELECT key, value, block, idx FROM state ORDER BY key")
    state = _stored_state_digest((k, value_digest(v), b, i) for k, v, b, i in rows)
    history = _stored_history_digest(conn.execute("SELECT key, block, idx FROM history ORDER BY block, idx, key"))
    return state, history
