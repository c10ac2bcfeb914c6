"""Questions the read model answers without touching the ledger: as-built trees, containment, anomalies.

Tables are those written by the chaincode (see docs/chaincode.md): ``part`` (key: uid), ``child`` (key:
parent uid, child uid), ``scan`` (key: uid, event hash), ``shipment``, ``cert``, ``parttype``, ``org``, ``site``.
Trees are walked with recursive SQL so a vehicle with thousands of parts is one query.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from ledger import sqlbulk
from ledger.readmodel.builder import ReadModel

_JSON_COLUMNS = {
    "shipment",
    "decommissioned",
    "anomalies",
    "anomaly_details",
    "flags",
    "details",
    "flag_details",
    "child_uids",
    "uids",
    "scope",
    "upstream",
    "customers",
    "revocation",
    "gs1_prefixes",
}


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    for k in _JSON_COLUMNS & out.keys():
        if isinstance(out[k], str):
            with contextlib.suppress(ValueError):
                out[k] = json.loads(out[k])
    return out


def part_filter(
    *,
    lot: str | None = None,
    producer: str | None = None,
    part_type: str | None = None,
    produced_from: str | None = None,
    produced_to: str | None = None,
) -> tuple[str, list[Any]]:
    """The SQL condition on the part table for a recall search ('' when no filter is given)."""
    conds, params = [], []
    for column, value in (("lot", lot), ("producer_msp", producer), ("part_type", part_type)):
        if value:
            conds.append(f"{column} = ?")
            params.append(value)
    if produced_from:
        conds.append("production_date >= ?")
        params.append(produced_from)
    if produced_to:
        conds.append("production_date <= ?")
        params.append(produced_to)
    return " AND ".join(conds), params


def _has(model: ReadModel, table: str) -> bool:
    return table in model.db.table_names()


@dataclass
class TreeNode:
    """One part in an as-built tree, with its children."""

    uid: str
    part: dict[str, Any] | None
    children: list[TreeNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (recursive)."""
        return {"uid": self.uid, "part": self.part, "children": [c.as_dict() for c in self.children]}

    def walk(self) -> list[TreeNode]:
        """Every node, depth first, this one included."""
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


class Queries:
    """Read-model queries (a thin layer over the tables; every method is one or two SQL statements)."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model
        self.db = model.db

    def part(self, uid: str) -> dict[str, Any] | None:
        """One part's current record."""
        if not _has(self.model, "part"):
            return None
        rows = list(self.db["part"].rows_where("_key = ?", [uid]))
        return _decode(rows[0]) if rows else None

    def parts(self, where: str = "", params: list[Any] | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Parts matching a SQL condition on the part table's columns."""
        if not _has(self.model, "part"):
            return []
        rows = self.db["part"].rows_where(where or None, params or [], order_by="_key", limit=limit)
        return [_decode(r) for r in rows]

    def as_built_down(self, uid: str) -> TreeNode:
        """The tree of everything assembled into ``uid``."""
        descendants: list[tuple[str, str]] = []
        if _has(self.model, "child"):
            descendants = self.db.execute(
                """
                WITH RECURSIVE tree(parent, child) AS (
                    SELECT _a0, _a1 FROM child WHERE _a0 = ?
                    UNION ALL
                    SELECT c._a0, c._a1 FROM child c JOIN tree t ON c._a0 = t.child
                ) SELECT parent, child FROM tree
                """,
                [uid],
            ).fetchall()
        uids = {uid} | {c for _, c in descendants}
        parts = self._parts_by_uid(uids)
        nodes = {u: TreeNode(u, parts.get(u)) for u in uids}
        for parent, child in sorted(descendants):
            nodes[parent].children.append(nodes[child])
        return nodes[uid]

    def as_built_up(self, uid: str) -> list[dict[str, Any]]:
        """The chain of parents of ``uid`` up to the top-level assembly (nearest first)."""
        chain: list[dict[str, Any]] = []
        seen = {uid}
        current = self.part(uid)
        while current is not None and current.get("parent"):
            parent_uid = current["parent"]
            if parent_uid in seen:
                break
            seen.add(parent_uid)
            current = self.part(parent_uid)
            chain.append(current or {"uid": parent_uid})
        return chain

    def top_level(self, uid: str) -> dict[str, Any] | None:
        """The outermost assembly containing ``uid`` (itself when it is not consumed)."""
        chain = self.as_built_up(uid)
        return chain[-1] if chain else self.part(uid)

    def containment(
        self,
        *,
        lot: str | None = None,
        producer: str | None = None,
        part_type: str | None = None,
        produced_from: str | None = None,
        produced_to: str | None = None,
        limit: int = 10000,
    ) -> list[dict[str, Any]]:
        """For a recall: every top-level assembly containing matching parts, and where each is now."""
        where, params = part_filter(
            lot=lot, producer=producer, part_type=part_type, produced_from=produced_from, produced_to=produced_to
        )
        if not where:
            return []
        affected: dict[str, dict[str, Any]] = {}
        for p in self.parts(where, params, limit=limit):
            top = self.top_level(p["uid"]) or p
            entry = affected.setdefault(
                top["uid"],
                {
                    "uid": top["uid"],
                    "part_type": top.get("part_type"),
                    "owner_msp": top.get("owner_msp"),
                    "status": top.get("status"),
                    "last_seen": self.last_seen(top["uid"]),
                    "contains": [],
                },
            )
            entry["contains"].append({"uid": p["uid"], "lot": p.get("lot"), "part_type": p.get("part_type")})
        return sorted(affected.values(), key=lambda e: e["uid"])

    def last_seen(self, uid: str) -> dict[str, Any] | None:
        """Where and when a part was last scanned."""
        if not _has(self.model, "lastseen"):
            return None
        rows = list(self.db["lastseen"].rows_where("_key = ?", [uid]))
        return _decode(rows[0]) if rows else None

    def scans(self, uid: str) -> list[dict[str, Any]]:
        """Every scan of a part, oldest first."""
        if not _has(self.model, "scan"):
            return []
        return [_decode(r) for r in self.db["scan"].rows_where("_a0 = ?", [uid], order_by="event_time")]

    def anomalies(self, flag: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Scans recorded with anomaly flags (suspected clones, reads outside custody, ...), newest first."""
        if not _has(self.model, "anomaly"):
            return []
        column = "anomalies" if "anomalies" in self.db["anomaly"].columns_dict else "flags"
        where, params = (f"{column} LIKE ?", [f'%"{flag}"%']) if flag else ("", [])
        rows = self.db["anomaly"].rows_where(where or None, params, order_by="event_time DESC", limit=limit)
        return [_decode(r) for r in rows]

    def table(self, name: str, where: str = "", params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Decoded rows of any object table."""
        return [_decode(r) for r in self.model.rows(name, where, params or [])]

    def _parts_by_uid(self, uids: set[str]) -> dict[str, dict[str, Any]]:
        if not uids or not _has(self.model, "part"):
            return {}
        out: dict[str, dict[str, Any]] = {}
        for chunk in sqlbulk.chunks(sorted(uids)):
            marks = ",".join("?" * len(chunk))
            for r in self.db["part"].rows_where(f"_key IN ({marks})", chunk):
                out[r["_key"]] = _decode(r)
        return out
