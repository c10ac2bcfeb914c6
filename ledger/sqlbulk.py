"""Many rows in a few SQLite steps.

Python's ``sqlite3`` releases the GIL around every ``sqlite3_step`` and takes it back after each row. While
other threads of the process are busy (client threads encoding envelopes, an API server's request workers),
every one of those re-acquisitions waits up to the interpreter's switch interval (5 ms): a 1,500-key lookup that
takes 10 ms in an idle process was measured at seconds with one busy thread beside it. So the hot paths (block
commits, batch reads, the read model) fetch many rows as one aggregated row and write many rows with one
multi-row statement: they step a handful of times, whatever the size of the block.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

#: Rows per statement, unless the connection's limit on bound variables asks for fewer.
ROWS_PER_STATEMENT = 500


def chunks(items: Sequence[Any], size: int = ROWS_PER_STATEMENT) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices of at most ``size``."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def select_packed(conn: sqlite3.Connection, expr: str, source: str, values: Sequence[Any]) -> list[list[str]]:
    """Rows of ``SELECT expr FROM source IN (values)`` as lists of fields, fetched as one row per chunk.

    ``source`` ends with the column the values are matched against (``"state WHERE key"``); ``expr`` joins
    hex-encoded or integer fields with spaces, so neither that separator nor the row separator (a comma) can
    occur inside a field.
    """
    out: list[list[str]] = []
    for chunk in chunks(values):
        sql = f"SELECT group_concat({expr}, ',') FROM {source} IN ({','.join('?' * len(chunk))})"
        (packed,) = conn.execute(sql, chunk).fetchone()
        if packed:
            out.extend(row.split(" ") for row in packed.split(","))
    return out


def present(conn: sqlite3.Connection, table: str, column: str, values: Sequence[str]) -> set[str]:
    """Which of the text ``values`` occur in ``column`` of ``table`` (names fixed by the caller, never input)."""
    rows = select_packed(conn, f"hex({column})", f"{table} WHERE {column}", values)
    return {bytes.fromhex(row[0]).decode() for row in rows}


def insert(conn: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]]) -> None:
    """``head`` (``INSERT … INTO table [(columns)]``) with one multi-row VALUES per chunk of ``rows``."""
    if not rows:
        return
    width = len(rows[0])
    row_marks = "(" + ",".join("?" * width) + ")"
    per = max(1, min(ROWS_PER_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    for chunk in chunks(rows, per):
        conn.execute(f"{head} VALUES {','.join([row_marks] * len(chunk))}", [x for row in chunk for x in row])


def delete_in(conn: sqlite3.Connection, table: str, column: str, values: Sequence[Any]) -> None:
    """Delete the rows of ``table`` whose ``column`` is among ``values``."""
    for chunk in chunks(values):
        conn.execute(f"DELETE FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk)
