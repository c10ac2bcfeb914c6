"""The SQLite file behind one embedded ledger: blocks, transactions, world state and key history.

One file (``ledger.db``, WAL mode, synchronous=FULL) so that a block, its transactions, the state it changes and
the history rows commit in one SQLite transaction: a crash leaves either the whole block or none of it. The
write lock of SQLite is the total order across every process that submits to the same home.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp

from ledger.embedded.envelope import Envelope, Proposal, Response
from ledger.embedded.stub import Version
from ledger.sqlbulk import present, select_packed

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks(
    number INTEGER PRIMARY KEY,
    previous_hash TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    tx_count INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txs(
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    tx_id TEXT NOT NULL,
    code TEXT NOT NULL,
    envelope BLOB NOT NULL,
    PRIMARY KEY(block, idx)
);
CREATE INDEX IF NOT EXISTS txs_by_id ON txs(tx_id);
CREATE TABLE IF NOT EXISTS state(
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL,
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history(
    key BLOB NOT NULL,
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY(key, block, idx)
) WITHOUT ROWID;
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger file with the settings every connection must share."""
    conn = sqlite3.connect(path, timeout=120, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=120000")
    # 64 MB of page cache instead of 2 MB: a 500-scan block dirties more than 2 MB, and a smaller cache spills
    # pages to the WAL mid-transaction and reads them back (a quarter less system time with the larger cache).
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def _k(key: str) -> bytes:
    return key.encode("utf-8")


@dataclass(frozen=True)
class StoredTx:
    """A transaction row."""

    block: int
    index: int
    tx_id: str
    code: str
    envelope: bytes


@dataclass(frozen=True)
class StoredBlock:
    """A block header row."""

    number: int
    previous_hash: str
    data_hash: str
    metadata_hash: str
    hash: str
    tx_count: int
    created_at: str


def state_versions(conn: sqlite3.Connection, keys: list[str]) -> dict[str, Version]:
    """(block, idx) of every present state key among ``keys``, in a few SQLite steps (see :mod:`ledger.sqlbulk`)."""
    return {
        bytes.fromhex(key).decode(): (int(block), int(idx))
        for key, block, idx in select_packed(
            conn, "hex(key)||' '||block||' '||idx", "state WHERE key", [_k(k) for k in keys]
        )
    }


def committed_tx_ids(conn: sqlite3.Connection, tx_ids: list[str]) -> set[str]:
    """The ids among ``tx_ids`` that a stored transaction already has."""
    return present(conn, "txs", "tx_id", tx_ids)


class SnapshotReader:
    """State reads inside one SQLite read transaction: a consistent snapshot for one simulation."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> tuple[bytes, Version] | None:
        """The committed value and version of a key."""
        row = self._conn.execute("SELECT value, block, idx FROM state WHERE key=?", (_k(key),)).fetchone()
        return None if row is None else (bytes(row[0]), (row[1], row[2]))

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, Version]]:
        """The committed value and version of every present key among ``keys`` (a few queries for many keys)."""
        expr = "hex(key)||' '||hex(value)||' '||block||' '||idx"
        return {
            bytes.fromhex(key).decode(): (bytes.fromhex(value), (int(block), int(idx)))
            for key, value, block, idx in select_packed(self._conn, expr, "state WHERE key", [_k(k) for k in keys])
        }

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes, Version]]:
        """Keys in [start, end) in byte order; '' bounds are open."""
        sql, params = "SELECT key, value, block, idx FROM state WHERE key >= ?", [_k(start)]
        if end:
            sql += " AND key < ?"
            params.append(_k(end))
        for key, value, block, idx in self._conn.execute(sql + " ORDER BY key", params):
            yield bytes(key).decode("utf-8"), bytes(value), (block, idx)

    def history(self, key: str) -> Iterator[tuple[str, bytes, bool, Timestamp]]:
        """Every committed write of a key, oldest first.

        Like Fabric's history database, the index holds only (key, block, transaction); the value and the
        timestamp are read from the transaction itself, so history never duplicates block data.
        """
        rows = self._conn.execute(
            "SELECT t.tx_id, t.envelope FROM history h JOIN txs t ON t.block = h.block AND t.idx = h.idx "
            "WHERE h.key=? ORDER BY h.block, h.idx",
            (_k(key),),
        ).fetchall()
        for tx_id, envelope in rows:
            env = Envelope.from_bytes(bytes(envelope))
            prop = Proposal.from_bytes(env.proposal_bytes)
            value = Response.from_bytes(env.response_bytes).rwset.writes.get(key)
            yield tx_id, value or b"", value is None, Timestamp(seconds=prop.seconds, nanos=prop.nanos)


class Store:
    """Typed access to the ledger file; one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        conn = self.conn
        conn.executescript(SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        c = getattr(self._local, "conn", None)
        if c is None:
            c = connect(self.path)
            self._local.conn = c
        return c

    def close(self) -> None:
        """Close this thread's connection."""
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    # -- reads --------------------------------------------------------------------------------------------------
    def height(self) -> int:
        """Number of blocks (the next block number)."""
        row = self.conn.execute("SELECT MAX(number) FROM blocks").fetchone()
        return 0 if row[0] is None else row[0] + 1

    def block(self, number: int) -> StoredBlock | None:
        """A block header."""
        row = self.conn.execute("SELECT * FROM blocks WHERE number=?", (number,)).fetchone()
        return None if row is None else StoredBlock(*row)

    def block_txs(self, number: int) -> list[StoredTx]:
        """The transactions of a block in order."""
        rows = self.conn.execute(
            "SELECT block, idx, tx_id, code, envelope FROM txs WHERE block=? ORDER BY idx", (number,)
        )
        return [StoredTx(b, i, t, c, bytes(e)) for b, i, t, c, e in rows]

    def tx_status(self, tx_id: str) -> tuple[str, int] | None:
        """(code, block) of the first committed transaction with this id."""
        row = self.conn.execute(
            "SELECT code, block FROM txs WHERE tx_id=? ORDER BY block, idx LIMIT 1", (tx_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def meta(self, key: str) -> str | None:
        """A metadata value (schema version, channel, ...)."""
        row = self.conn.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return None if row is None else row[0]

    def snapshot(self) -> _Snapshot:
        """A context manager yielding a SnapshotReader over one read transaction."""
        return _Snapshot(self.conn)


class _Snapshot:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> SnapshotReader:
        self._conn.execute("BEGIN")
        return SnapshotReader(self._conn)

    def __exit__(self, *exc: object) -> None:
        self._conn.execute("COMMIT")
