"""Which certifications an org may see, and the certification graph, answered from the read model.

Certifications are shared ledger data, but a supplier must not browse another chain's statements: an org sees
what it issued, what is addressed to it (``customers``), and everything upstream of those (the chain it relies
on); auditors see all. The graph questions (visible set, upstream closure, who relies on a certification) are
recursive SQL over the read model's ``cert`` table, so a list never scans the ledger; statuses are computed with
the chaincode's own :mod:`chaincode.lineage` so the API and the chaincode cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from chaincode import lineage
from chaincode.validate import iso_z
from ledger.readmodel.builder import ReadModel
from ledger.readmodel.queries import Queries

TABLE = "cert"


def status_of(cert_id: str, certs: dict[str, dict[str, Any] | None], now: dt.datetime) -> dict[str, Any]:
    """The status of one certification at ``now`` given its upstream closure (as the chaincode computes it)."""
    return lineage.evaluate(cert_id, certs, now.date()).as_dict(iso_z(now))


class CertGraph:
    """Graph queries over the read model's certifications."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model
        self.db = model.db
        self.queries = Queries(model)
        self._exists = TABLE in self.db.table_names()
        cols = self.db[TABLE].columns_dict if self._exists else {}
        # A column appears only once some certification carried the field; treat a missing one as NULL.
        self._upstream = f"{TABLE}.upstream" if "upstream" in cols else "NULL"
        self._customers = f"{TABLE}.customers" if "customers" in cols else "NULL"

    def _ids(self, sql: str, params: Iterable[Any]) -> list[str]:
        if not self._exists:
            return []
        return [r[0] for r in self.db.execute(sql, list(params)).fetchall()]

    def visible_ids(self, msp_id: str) -> set[str]:
        """Ids an org may see: issued by it, addressed to it, and their upstream closure."""
        sql = f"""
            WITH RECURSIVE vis(id) AS (
                SELECT {TABLE}.cert_id FROM {TABLE} WHERE {TABLE}.issuer_msp = :org
                   OR EXISTS (SELECT 1 FROM json_each(COALESCE({self._customers}, '[]')) WHERE value = :org)
                UNION
                SELECT j.value FROM vis JOIN {TABLE} ON {TABLE}.cert_id = vis.id,
                       json_each(COALESCE({self._upstream}, '[]')) j
            ) SELECT id FROM vis"""
        if not self._exists:
            return set()
        return {r[0] for r in self.db.execute(sql, {"org": msp_id}).fetchall()}

    def fetch(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Certification documents by id (ids without a row are left out)."""
        wanted = sorted(set(ids))
        if not self._exists or not wanted:
            return {}
        rows = self.queries.table(TABLE, "cert_id IN (SELECT value FROM json_each(?))", [json.dumps(wanted)])
        return {r["cert_id"]: r for r in rows}

    def docs(
        self,
        ids: set[str] | None,
        *,
        part_type: str | None = None,
        issuer: str | None = None,
        customer: str | None = None,
    ) -> list[dict[str, Any]]:
        """Certifications (all when ``ids`` is None) matching the filters, by id."""
        if not self._exists:
            return []
        where, params = [], []
        if ids is not None:
            where.append("cert_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(ids)))
        if part_type is not None:
            where.append("part_type = ?")
            params.append(part_type)
        if issuer is not None:
            where.append("issuer_msp = ?")
            params.append(issuer)
        if customer is not None:
            where.append(f"EXISTS (SELECT 1 FROM json_each(COALESCE({self._customers}, '[]')) WHERE value = ?)")
            params.append(customer)
        rows = self.queries.table(TABLE, " AND ".join(where), params)
        return sorted(rows, key=lambda r: r["cert_id"])

    def closure(
        self, roots: Iterable[str], known: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, dict[str, Any] | None]:
        """Every certification reachable upstream from ``roots`` (roots included; None for a missing id).

        ``known`` documents (already read by the caller) are not read again.
        """
        sql = f"""
            WITH RECURSIVE up(id) AS (
                SELECT value FROM json_each(?)
                UNION
                SELECT j.value FROM up JOIN {TABLE} ON {TABLE}.cert_id = up.id,
                       json_each(COALESCE({self._upstream}, '[]')) j
            ) SELECT id FROM up"""
        ids = self._ids(sql, [json.dumps(sorted(set(roots)))]) if self._exists else list(roots)
        have = known or {}
        found = {**self.fetch(i for i in ids if i not in have), **{i: d for i, d in have.items() if i in ids}}
        return {i: found.get(i) for i in ids}

    def dependants(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """For each id, the certifications that list it as upstream directly, by id."""
        wanted = sorted(set(ids))
        if not self._exists or not wanted:
            return {}
        sql = f"""
            SELECT j.value, {TABLE}.cert_id FROM {TABLE}, json_each(COALESCE({self._upstream}, '[]')) j
            WHERE j.value IN (SELECT value FROM json_each(?)) ORDER BY {TABLE}.cert_id"""
        out: dict[str, list[str]] = {}
        for up, down in self.db.execute(sql, [json.dumps(wanted)]).fetchall():
            out.setdefault(up, []).append(down)
        return out

    def lineage(
        self, cert_id: str, visible: set[str] | None, now: dt.datetime, *, root: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(upstream trees, downstream trees) of a certification as nested summaries with statuses.

        Downstream keeps only ``visible`` ids (None: all), and does not descend through a hidden one. ``root``
        is the certification as the chaincode returned it, used when the read model has not applied it yet.
        """
        down_edges: dict[str, list[str]] = {}
        seen = {cert_id}
        frontier = [cert_id]
        while frontier:
            found = self.dependants(frontier)
            frontier = []
            for up, downs in found.items():
                kept = [d for d in downs if visible is None or d in visible]
                down_edges[up] = kept
                for d in kept:
                    if d not in seen:
                        seen.add(d)
                        frontier.append(d)
        certs = self.closure(seen)
        if certs.get(cert_id) is None and root is not None:
            certs[cert_id] = root
            certs.update({k: v for k, v in self.closure(root.get("upstream") or []).items() if k not in certs})

        def node(cid: str, direction: str, path: frozenset[str]) -> dict[str, Any]:
            doc = certs.get(cid)
            st = status_of(cid, certs, now)
            nexts = (doc.get("upstream") or []) if direction == "up" and doc else down_edges.get(cid, [])
            if direction == "up" and not doc:
                nexts = []
            return {
                "cert_id": cid,
                "issuer_msp": doc["issuer_msp"] if doc else None,
                "part_type": doc["part_type"] if doc else None,
                "status": st["status"],
                "valid": st["valid"],
                "reasons": st["reasons"],
                "expires_at": st["expires_at"],
                "links": [node(n, direction, path | {n}) for n in nexts if n not in path],
            }

        top = certs.get(cert_id) or {}
        up = [node(u, "up", frozenset({cert_id, u})) for u in top.get("upstream") or []]
        down = [node(d, "down", frozenset({cert_id, d})) for d in down_edges.get(cert_id, [])]
        return up, down
