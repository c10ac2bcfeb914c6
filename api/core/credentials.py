"""API credentials: bearer tokens bound to one member identity, stored hashed, revocable.

A token is shown once when created; the service keeps only its SHA-256. A token maps to (org, member), and the
service signs ledger transactions with that member's key. Key custody: in a multi-org deployment each org runs
its own API node whose home holds only its own members' keys; the single-node demo holds every org's keys.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import NotFound, Unauthenticated

TOKEN_PREFIX = "usm_"  # noqa: S105 - a public prefix that makes leaked tokens easy to scan for
SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials(
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    msp_id TEXT NOT NULL,
    member TEXT NOT NULL,
    role TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the member identity a credential is bound to."""

    credential_id: str
    msp_id: str
    member: str
    role: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CredentialStore:
    """The credentials file of an API node (``home/credentials.db``)."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def create(self, msp_id: str, member: str, role: str, label: str = "") -> tuple[str, str]:
        """Issue a token; returns (credential id, token). The token is not stored and cannot be shown again."""
        cred_id = "cred_" + secrets.token_hex(6)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._conn.execute(
            "INSERT INTO credentials(id, token_sha256, msp_id, member, role, label, created_at) VALUES (?,?,?,?,?,?,?)",
            (cred_id, _hash(token), msp_id, member, role, label, time.time()),
        )
        return cred_id, token

    def revoke(self, cred_id: str) -> None:
        """Revoke a credential; every API process sees it on the next request (lookups are not cached)."""
        cur = self._conn.execute(
            "UPDATE credentials SET revoked_at=? WHERE id=? AND revoked_at IS NULL", (time.time(), cred_id)
        )
        if cur.rowcount != 1:
            raise NotFound(f"no active credential {cred_id!r}", value=cred_id)

    def authenticate(self, token: str) -> Principal:
        """The principal of a bearer token, or Unauthenticated."""
        row = self._conn.execute(
            "SELECT id, msp_id, member, role FROM credentials WHERE token_sha256=? AND revoked_at IS NULL",
            (_hash(token),),
        ).fetchone()
        if row is None:
            raise Unauthenticated("unknown or revoked credential")
        return Principal(*row)

    def list(self) -> list[dict[str, object]]:
        """Every credential (without secrets)."""
        rows = self._conn.execute(
            "SELECT id, msp_id, member, role, label, created_at, revoked_at FROM credentials ORDER BY created_at"
        )
        keys = ("id", "msp_id", "member", "role", "label", "created_at", "revoked_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]
