"""Many-row reads and writes in a few SQLite steps (ledger.sqlbulk and the ledger file's lookups built on it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledger import sqlbulk
from ledger.embedded.store import SnapshotReader, Store, committed_tx_ids, state_versions

#: Keys with the bytes the packed encoding must survive: composite-key NULs, the field and row separators,
#: non-ASCII text, and more than one statement's worth of them.
ODD = ["\x00scan\x00a b\x00", "\x00part\x00x,y\x00", "\x00t\x00é\x00", "\x00"]
MANY = [f"\x00k\x00{i:05d}\x00" for i in range(1_234)]


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return Store(tmp_path / "ledger.db").conn


def _rows(keys: list[str]) -> list[tuple[bytes, bytes, int, int]]:
    return [(k.encode(), b"v" * (i % 7) + k.encode(), i, i % 3) for i, k in enumerate(keys)]


def test_insert_then_read_back_versions_and_values(conn: sqlite3.Connection) -> None:
    rows = _rows(ODD + MANY)
    sqlbulk.insert(conn, "INSERT INTO state", rows)
    stored = {k.decode(): (v, (b, i)) for k, v, b, i in conn.execute("SELECT key, value, block, idx FROM state")}
    assert stored == {k.decode(): (v, (b, i)) for k, v, b, i in rows}
    wanted = [*ODD, *MANY[::3], "\x00absent\x00", "\x00k\x0099999\x00"]
    assert SnapshotReader(conn).get_many(wanted) == {k: stored[k] for k in wanted if k in stored}
    assert state_versions(conn, wanted) == {k: stored[k][1] for k in wanted if k in stored}


def test_reads_of_no_present_key_are_empty(conn: sqlite3.Connection) -> None:
    assert state_versions(conn, ["\x00none\x00"]) == {}
    assert SnapshotReader(conn).get_many([]) == {}


def test_insert_or_replace_keeps_the_last_row(conn: sqlite3.Connection) -> None:
    sqlbulk.insert(conn, "INSERT INTO state", _rows(MANY))
    sqlbulk.insert(conn, "INSERT OR REPLACE INTO state", [(MANY[7].encode(), b"new", 99, 1)])
    assert SnapshotReader(conn).get_many([MANY[7]]) == {MANY[7]: (b"new", (99, 1))}
    assert conn.execute("SELECT COUNT(*) FROM state").fetchone()[0] == len(MANY)


def test_a_duplicate_row_fails_the_whole_statement(conn: sqlite3.Connection) -> None:
    sqlbulk.insert(conn, "INSERT INTO history", [(b"k", 1, 0)])
    with pytest.raises(sqlite3.IntegrityError):
        sqlbulk.insert(conn, "INSERT INTO history", [(b"j", 1, 0), (b"k", 1, 0)])
    assert conn.execute("SELECT key FROM history").fetchall() == [(b"k",)]


def test_delete_keys(conn: sqlite3.Connection) -> None:
    sqlbulk.insert(conn, "INSERT INTO state", _rows(ODD + MANY))
    sqlbulk.delete_in(conn, "state", "key", [k.encode() for k in ODD + MANY[:600]])
    assert {r[0].decode() for r in conn.execute("SELECT key FROM state")} == set(MANY[600:])


def test_present_tx_ids(conn: sqlite3.Connection) -> None:
    ids = [f"{i:064x}" for i in range(700)] + ["a,b c", "é"]
    sqlbulk.insert(conn, "INSERT INTO txs", [(1, i, tx_id, "VALID", b"") for i, tx_id in enumerate(ids)])
    asked = [*ids[::2], "a,b c", "é", "f" * 64]
    assert committed_tx_ids(conn, asked) == set(ids[::2]) | {"a,b c", "é"}
    assert sqlbulk.present(conn, "txs", "tx_id", asked) == set(ids[::2]) | {"a,b c", "é"}
    assert sqlbulk.present(conn, "txs", "tx_id", []) == set()


def test_wide_rows_stay_under_the_variable_limit(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
    conn.execute(f"CREATE TABLE wide({', '.join(f'c{i}' for i in range(30))})")
    rows = [tuple(range(r, r + 30)) for r in range(50)]
    sqlbulk.insert(conn, "INSERT INTO wide", rows)
    assert conn.execute("SELECT * FROM wide ORDER BY c0").fetchall() == rows
