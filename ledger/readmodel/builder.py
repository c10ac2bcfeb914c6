r"""The read model: a query-friendly SQLite copy of world state, fed by committed blocks from a checkpoint.

It is built from the write sets of valid transactions only (never from chaincode answers), so it holds exactly
what the ledger holds and works the same for the embedded and the Fabric backend. Every composite key
``\\x00type\\x00a\\x00b\\x00`` becomes a row of table ``type`` keyed by its attributes, with the record's top-level
JSON fields as columns. Each block's rows and the checkpoint are written in one SQLite transaction, so a reader
killed at any point resumes from its checkpoint without losing or repeating a block, and rebuilding from block 0
gives the same tables.

The checkpoint also holds the hash of the last applied block. A block whose ``previous_hash`` differs means the
ledger no longer extends what the read model holds: a power cut took blocks the ledger had not yet made durable
while another process had already read them, or the ledger was restored from an older backup. The read model is
then rebuilt from block 0 rather than silently mixing two histories (:meth:`ReadModel.sync`).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from ledger import sqlbulk
from ledger.errors import Conflict
from ledger.gateway import Block

log = logging.getLogger("usmca.readmodel")

READMODEL_FILE = "readmodel.db"
CHECKPOINT_TABLE = "_checkpoint"
_SAFE = re.compile(r"[^A-Za-z0-9_]")
SEP = "\x00"
#: Record fields stored as JSON text (a tuple: isinstance checks it faster than ``dict | list``, per field).
_NESTED = (dict, list)


def split_key(key: str) -> tuple[str, list[str]] | None:
    """(object type, attributes) of a composite key; None for a simple key."""
    if not key.startswith(SEP):
        return None
    parts = key[1:].split(SEP)
    return parts[0], parts[1:-1]


def table_name(object_type: str) -> str:
    """SQLite-safe table name of an object type."""
    return _SAFE.sub("_", object_type) or "_unnamed"


@functools.lru_cache(maxsize=4096)
def _column(field: str) -> str:
    """SQLite-safe column name of a record field (cached: the same few dozen fields come in every block)."""
    return _SAFE.sub("_", field)


def _nested(value: dict[str, Any] | list[Any]) -> str:
    """A nested field as sorted JSON text; most are empty (a scan's anomalies), which skip the encoder."""
    if value:
        return json.dumps(value, sort_keys=True)
    return "{}" if isinstance(value, dict) else "[]"


def _row(attrs: list[str], value: bytes, block: int, tx_id: str, ts: str) -> dict[str, Any]:
    row: dict[str, Any] = {"_key": SEP.join(attrs)}
    for i, a in enumerate(attrs):
        row[f"_a{i}"] = a
    try:
        doc = json.loads(value)
    except ValueError:
        doc = {"_raw": value.decode("utf-8", "replace")}
    if isinstance(doc, dict):
        for k, v in doc.items():
            row[_column(k)] = _nested(v) if isinstance(v, _NESTED) else v
    else:
        row["_value"] = json.dumps(doc)
    row["_block"] = block
    row["_tx_id"] = tx_id
    row["_updated_at"] = ts
    return row


def _sql_type(value: Any) -> str:
    if isinstance(value, bool | int):
        return "INTEGER"
    if isinstance(value, float):
        return "FLOAT"
    return "TEXT"


class ReadModelDiverged(Conflict):
    """The ledger's next block does not extend the last block the read model applied."""


class ReadModel:
    """The read model database of a ledger home (``readmodel.db``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # No fsync per applied block: a power loss can only roll the read model back to an earlier consistent
        # checkpoint (rows and checkpoint commit together), and the follower re-applies those blocks.
        conn.execute("PRAGMA synchronous=NORMAL")
        self.db = sqlite_utils.Database(conn)
        self._columns: dict[str, list[str]] = {}
        if CHECKPOINT_TABLE not in self.db.table_names():
            self.db[CHECKPOINT_TABLE].insert({"id": 1, "next_block": 0, "last_hash": ""}, pk="id")
        elif "last_hash" not in self.db[CHECKPOINT_TABLE].columns_dict:  # a read model written before the hash
            conn.execute(f"ALTER TABLE {CHECKPOINT_TABLE} ADD COLUMN last_hash TEXT")

    @property
    def next_block(self) -> int:
        """The first block not yet applied."""
        return self._checkpoint()[0]

    @property
    def last_hash(self) -> str | None:
        """Hash of the last applied block ("" before block 0; None when an older checkpoint did not record it)."""
        return self._checkpoint()[1]

    def _checkpoint(self) -> tuple[int, str | None]:
        row = self.db.execute(f"SELECT next_block, last_hash FROM {CHECKPOINT_TABLE} WHERE id=1").fetchone()
        return int(row[0]), row[1]

    def apply(self, block: Block) -> None:
        """Apply one block and advance the checkpoint, atomically; an already-applied block is skipped.

        Raises :class:`ReadModelDiverged` when the block does not extend the last applied one.
        """
        expected, last = self._checkpoint()
        if block.number < expected:
            return
        if block.number != expected:
            raise ValueError(f"read model expects block {expected}, got {block.number}")
        if last is not None and block.previous_hash != last:
            raise ReadModelDiverged(
                f"block {block.number} does not extend the read model's block {block.number - 1} "
                f"(previous_hash {block.previous_hash[:16]}..., read model holds {last[:16]}...)",
                value=block.number,
            )
        upserts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        deletes: dict[str, set[str]] = defaultdict(set)
        for tx in block.transactions:
            if not tx.valid:
                continue
            for w in tx.writes:
                parsed = split_key(w.key)
                if parsed is None:
                    continue
                otype, attrs = parsed
                table = table_name(otype)
                pk = SEP.join(attrs)
                if w.value is None:
                    upserts[table].pop(pk, None)
                    deletes[table].add(pk)
                else:
                    deletes[table].discard(pk)
                    upserts[table][pk] = _row(attrs, w.value, block.number, tx.tx_id, tx.timestamp)
        conn = self.db.conn
        with self.db.atomic():
            for table, pks in deletes.items():
                if self._table_columns(table):
                    sqlbulk.delete_in(conn, f"[{table}]", "_key", list(pks))
            for table, rows in upserts.items():
                self._replace(table, list(rows.values()))
            conn.execute(
                f"UPDATE {CHECKPOINT_TABLE} SET next_block=?, last_hash=? WHERE id=1", (block.number + 1, block.hash)
            )

    def sync(self, blocks_from: Callable[[int], Iterable[Block]]) -> int:
        """Apply blocks from the checkpoint, rebuilding from block 0 if the ledger diverged; returns blocks applied."""
        try:
            return self.follow(blocks_from(self.next_block))
        except ReadModelDiverged as exc:
            log.warning("%s: rebuilding the read model %s from block 0", exc.message, self.path)
            self.reset()
            return self.follow(blocks_from(0))

    def reset(self) -> None:
        """Drop every object table and return the checkpoint to block 0."""
        with self.db.atomic():
            for table in self.db.table_names():
                if table != CHECKPOINT_TABLE:
                    self.db.conn.execute(f"DROP TABLE [{table}]")
            self.db.conn.execute(f"UPDATE {CHECKPOINT_TABLE} SET next_block=0, last_hash='' WHERE id=1")
        self._columns.clear()

    def _table_columns(self, table: str) -> list[str]:
        """Columns of a table (cached; empty when the table does not exist yet)."""
        cols = self._columns.get(table)
        if cols is None:
            cols = [r[1] for r in self.db.conn.execute(f"PRAGMA table_info([{table}])")]
            if cols:
                self._columns[table] = cols
        return cols

    def _replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Write whole records (a record's row is replaced, never merged), creating or widening the table.

        Plain SQL instead of sqlite-utils' upsert: this runs for every block the API commits, and sqlite-utils
        re-inspects the table on every call. Column types follow the first value seen, as sqlite-utils does.
        """
        conn = self.db.conn
        cols = self._table_columns(table)
        # Every column of these rows in order of first appearance, each typed by its first non-null value.
        present = dict.fromkeys(itertools.chain.from_iterable(rows))
        known = set(cols)
        new = [c for c in present if c not in known]
        if new:
            first = {c: next((r[c] for r in rows if r.get(c) is not None), None) for c in new}
            if not cols:
                defs = ", ".join(f"[{c}] {_sql_type(v)}" for c, v in first.items() if c != "_key")
                conn.execute(f"CREATE TABLE [{table}] ([_key] TEXT PRIMARY KEY{', ' + defs if defs else ''})")
                cols = ["_key", *[c for c in new if c != "_key"]]
            else:
                for c, v in first.items():
                    conn.execute(f"ALTER TABLE [{table}] ADD COLUMN [{c}] {_sql_type(v)}")
                    cols = [*cols, c]
        self._columns[table] = cols
        names = ",".join(f"[{c}]" for c in cols)
        sqlbulk.insert(conn, f"INSERT OR REPLACE INTO [{table}] ({names})", [tuple(map(row.get, cols)) for row in rows])

    def follow(self, blocks: Iterable[Block]) -> int:
        """Apply blocks until the iterable ends; returns how many were applied."""
        n = 0
        for block in blocks:
            self.apply(block)
            n += 1
        return n

    def rows(self, table: str, where: str = "", params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows of an object table (empty when no such record was ever written)."""
        name = table_name(table)
        if name not in self.db.table_names():
            return iter(())
        return self.db[name].rows_where(where or None, list(params))

    def close(self) -> None:
        """Close the database."""
        self.db.conn.close()
