"""Many rows in a few SQLite steps.

Python's ``sqlite3`` releases the GIL around every ``sqlite3_step`` and takes it back after each row. While
other threads of the process are busy (client threads encoding envelopes, API workers), every one of those
re-acquisitions waits up to the interpreter's switch interval (5 ms): a 1,500-key lookup that takes 10 ms on an
idle process was measured at seconds with one busy thread beside it. So the hot paths fetch many rows as one
aggregated row (``group_concat`` of hex-encoded fields) and write many rows with one multi-row statement: a
block commit or a batch read steps a handful of times, whatever its size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

#: Rows per statement (each one a few bound parameters, far below SQLite's limit on variables).
ROWS_PER_STATEMENT = 500


def _chunks(items: Sequence[Any], size: int = ROWS_PER_STATEMENT) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _packed(conn: sqlite3.Connection, expr: str, source: str, chunk: Sequence[Any]) -> list[list[str]]:
    """Run ``SELECT group_concat(expr) FROM source`` with ``IN (?…)`` bound to ``chunk``; split into fields.

    ``expr`` joins hex-encoded or integer fields with spaces, so neither separator can occur inside a field.
    """
    sql = f"SELECT group_concat({expr}, ',') FROM {source} IN ({','.join('?' * len(chunk))})"
    (packed,) = conn.execute(sql, chunk).fetchone()
    return [row.split(" ") for row in packed.split(",")] if packed else []


def versions(conn: sqlite3.Connection, keys: Sequence[bytes]) -> dict[bytes, tuple[int, int]]:
    """(block, idx) of every present state key among ``keys``."""
    found: dict[bytes, tuple[int, int]] = {}
    for chunk in _chunks(keys):
        for key, block, idx in _packed(conn, "hex(key)||' '||block||' '||idx", "state WHERE key", chunk):
            found[bytes.fromhex(key)] = (int(block), int(idx))
    return found


def values(conn: sqlite3.Connection, keys: Sequence[bytes]) -> dict[bytes, tuple[bytes, tuple[int, int]]]:
    """Value and (block, idx) of every present state key among ``keys``."""
    found: dict[bytes, tuple[bytes, tuple[int, int]]] = {}
    expr = "hex(key)||' '||hex(value)||' '||block||' '||idx"
    for chunk in _chunks(keys):
        for key, value, block, idx in _packed(conn, expr, "state WHERE key", chunk):
            found[bytes.fromhex(key)] = (bytes.fromhex(value), (int(block), int(idx)))
    return found


def present_tx_ids(conn: sqlite3.Connection, tx_ids: Sequence[str]) -> set[str]:
    """The ids among ``tx_ids`` that some committed transaction already has."""
    found: set[str] = set()
    for chunk in _chunks(tx_ids):
        found.update(bytes.fromhex(f[0]).decode() for f in _packed(conn, "hex(tx_id)", "txs WHERE tx_id", chunk))
    return found


def insert(conn: sqlite3.Connection, head: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``head`` (``INSERT … INTO table``) followed by one multi-row VALUES per chunk of ``rows``."""
    if not rows:
        return
    row_marks = "(" + ",".join("?" * len(rows[0])) + ")"
    for chunk in _chunks(rows):
        conn.execute(f"{head} VALUES {','.join([row_marks] * len(chunk))}", [x for row in chunk for x in row])


def delete_keys(conn: sqlite3.Connection, keys: Sequence[bytes]) -> None:
    """Remove ``keys`` from the state table."""
    for chunk in _chunks(keys):
        conn.execute(f"DELETE FROM state WHERE key IN ({','.join('?' * len(chunk))})", chunk)
