"""Many-row reads and writes in a few SQLite steps: the same rows as the one-row-per-step statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledger.embedded import bulk
from ledger.embedded.store import Store

#: Keys with the bytes the packed encoding must survive: composite-key NULs, the field and row separators,
#: non-ASCII text, and more than one statement's worth of them.
ODD = [b"\x00scan\x00a b\x00", b"\x00part\x00x,y\x00", "\x00t\x00é\x00".encode(), b"\x00"]
MANY = [f"\x00k\x00{i:05d}\x00".encode() for i in range(1_234)]


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return Store(tmp_path / "ledger.db").conn


def _rows(keys: list[bytes]) -> list[tuple[bytes, bytes, int, int]]:
    return [(k, b"v" * (i % 7) + k, i, i % 3) for i, k in enumerate(keys)]


def test_insert_then_read_back_versions_and_values(conn: sqlite3.Connection) -> None:
    rows = _rows(ODD + MANY)
    bulk.insert(conn, "INSERT INTO state", rows)
    stored = {k: (v, (b, i)) for k, v, b, i in conn.execute("SELECT key, value, block, idx FROM state")}
    assert stored == {k: (v, (b, i)) for k, v, b, i in rows}
    wanted = ODD + MANY[::3] + [b"\x00absent\x00", b"\x00k\x0099999\x00"]
    assert bulk.values(conn, wanted) == {k: stored[k] for k in wanted if k in stored}
    assert bulk.versions(conn, wanted) == {k: stored[k][1] for k in wanted if k in stored}


def test_reads_of_no_present_key_are_empty(conn: sqlite3.Connection) -> None:
    assert bulk.versions(conn, [b"\x00none\x00"]) == {}
    assert bulk.values(conn, []) == {}


def test_insert_or_replace_keeps_the_last_row(conn: sqlite3.Connection) -> None:
    bulk.insert(conn, "INSERT INTO state", _rows(MANY))
    bulk.insert(conn, "INSERT OR REPLACE INTO state", [(MANY[7], b"new", 99, 1)])
    assert bulk.values(conn, [MANY[7]]) == {MANY[7]: (b"new", (99, 1))}
    assert conn.execute("SELECT COUNT(*) FROM state").fetchone()[0] == len(MANY)


def test_a_duplicate_row_fails_the_whole_statement(conn: sqlite3.Connection) -> None:
    bulk.insert(conn, "INSERT INTO history", [(b"k", 1, 0)])
    with pytest.raises(sqlite3.IntegrityError):
        bulk.insert(conn, "INSERT INTO history", [(b"j", 1, 0), (b"k", 1, 0)])
    assert conn.execute("SELECT key FROM history").fetchall() == [(b"k",)]


def test_delete_keys(conn: sqlite3.Connection) -> None:
    bulk.insert(conn, "INSERT INTO state", _rows(ODD + MANY))
    bulk.delete_keys(conn, ODD + MANY[:600])
    assert {r[0] for r in conn.execute("SELECT key FROM state")} == set(MANY[600:])


def test_present_tx_ids(conn: sqlite3.Connection) -> None:
    ids = [f"{i:064x}" for i in range(700)] + ["a,b c", "é"]
    bulk.insert(conn, "INSERT INTO txs", [(1, i, tx_id, "VALID", b"") for i, tx_id in enumerate(ids)])
    asked = [*ids[::2], "a,b c", "é", "f" * 64]
    assert bulk.present_tx_ids(conn, asked) == set(ids[::2]) | {"a,b c", "é"}
