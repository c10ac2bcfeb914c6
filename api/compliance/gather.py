"""Reading what :func:`api.compliance.ledger_bom.build_request` needs: read model, certifications, own prices.

Everything comes from the read model (committed ledger state, so a tree of thousands of parts is a couple of
SQL statements) and the requester's own private store (prices, and the producer figures of its model lines:
steel and aluminum purchases, LVC, which the vehicle tests need); nothing here writes. Parts the requester may not see
answer NotFound, exactly like a part that does not exist, so uids of other chains do not leak.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from api.compliance.ledger_bom import LedgerBom, build_request
from api.private.store import PrivateStore
from api.private.visibility import CertGraph
from api.reports.models import CertificationStatus, VehicleInput
from chaincode import lineage
from ledger.errors import NotFound, ValidationError
from ledger.readmodel.builder import ReadModel
from ledger.readmodel.queries import Queries, TreeNode

MAX_VEHICLES = 100_000
#: Roots per batched tree query.
CHUNK = 500


def _visible_part(q: Queries, uid: str, requester: str, sees_all: bool) -> TreeNode:
    tree = q.as_built_down(uid)
    part = tree.part
    if part is None or not (sees_all or requester in (part.get("producer_msp"), part.get("owner_msp"))):
        raise NotFound(f"part {uid} does not exist", value=uid)
    return tree


def _prices(home: Path, requester: str) -> dict[tuple[str, str], Decimal]:
    store = PrivateStore(home, requester)
    return {(p["part_type"], p["supplier_msp"]): Decimal(p["unit_price"]) for p in store.prices()}


class LedgerOrigin:
    """Builds ledger-backed qualify requests for one requesting org (one read-model snapshot per call)."""

    def __init__(self, readmodel: ReadModel, home: Path, requester: str, *, sees_all: bool = False) -> None:
        self.readmodel = readmodel
        self.queries = Queries(readmodel)
        self.graph = CertGraph(readmodel)
        self.requester = requester
        self.sees_all = sees_all
        self._prices = _prices(home, requester)
        self._figures = PrivateStore(home, requester).producer_figures()
        self._visible = None if sees_all else self.graph.visible_ids(requester)
        self._types: dict[str, dict[str, Any]] = {}
        self._certs: dict[str, dict[str, Any] | None] = {}
        self._certs_of_type: set[str] = set()
        self._status_memo: dict[tuple[str, dt.date], lineage.Status] = {}

    def _load_types(self, tree: TreeNode) -> None:
        wanted = {n.part["part_type"] for n in tree.walk() if n.part} - self._types.keys()
        for pt in sorted(wanted):
            rows = (
                self.queries.table("parttype", "id = ?", [pt]) if "parttype" in self.readmodel.db.table_names() else []
            )
            self._types[pt] = rows[0] if rows else {}
            if pt not in self._certs_of_type:
                self._certs_of_type.add(pt)
                ids = [d["cert_id"] for d in self.graph.docs(None, part_type=pt)]
                if ids:
                    self._certs.update(self.graph.closure(ids))

    def bom(
        self,
        uid: str,
        *,
        as_of: dt.date,
        on: dt.date | None = None,
        end_use: str = "oe_pv_lt",
        strict: bool = True,
        extra: Mapping[str, Any] | None = None,
        tree: TreeNode | None = None,
    ) -> LedgerBom:
        """The request for one part (NotFound when the requester may not see it); ``tree`` when already read.

        The requester's producer figures of the part's type fill ``steel``, ``aluminum`` and ``lvc``; ``extra``
        wins over them.
        """
        tree = tree if tree is not None else _visible_part(self.queries, uid, self.requester, self.sees_all)
        self._load_types(tree)
        own = self._figures.get(str((tree.part or {}).get("part_type")), {})
        return build_request(
            tree.as_dict(),
            requester=self.requester,
            part_types=self._types,
            certs=self._certs,
            visible=self._visible,
            prices=self._prices,
            as_of=as_of,
            on=on,
            end_use=end_use,
            strict=strict,
            extra={**own, **(extra or {})},
            memo=self._status_memo,
        )

    def vehicle_input(
        self,
        uid: str,
        *,
        as_of: dt.date,
        on: dt.date | None = None,
        end_use: str = "oe_pv_lt",
        extra: Mapping[str, Any] | None = None,
        tree: TreeNode | None = None,
    ) -> VehicleInput:
        """A compliance-report input: claimed origins plus each certification's status for the report to judge."""
        bom = self.bom(uid, as_of=as_of, on=on, end_use=end_use, strict=False, extra=extra, tree=tree)
        statuses = {
            e.cert_id: CertificationStatus(
                id=e.cert_id,
                supplier=e.supplier,
                status=e.status,  # type: ignore[arg-type]
                valid_until=dt.date.fromisoformat(e.valid_until) if e.valid_until else None,
            )
            for e in bom.evidence
            if e.cert_id
        }
        return VehicleInput(
            vin=bom.uid,
            model_line=bom.part_type,
            produced_on=dt.date.fromisoformat(bom.produced_on[:10]) if bom.produced_on else None,
            request=bom.request,
            certifications=list(statuses.values()),
        )

    def model_line_uids(self, part_type: str, period_from: dt.date, period_to: dt.date) -> list[str]:
        """Parts of a part type produced in the period that the requester produced (its model line)."""
        if period_to < period_from:
            raise ValidationError(f"to {period_to} is before from {period_from}", field="to", value=str(period_to))
        where = "part_type = ? AND production_date >= ? AND production_date <= ?"
        params: list[Any] = [part_type, period_from.isoformat(), period_to.isoformat()]
        if not self.sees_all:
            where += " AND producer_msp = ?"
            params.append(self.requester)
        return [p["uid"] for p in self.queries.parts(where, params, limit=MAX_VEHICLES)]

    def trees(self, uids: Sequence[str]) -> dict[str, TreeNode]:
        """As-built trees of many roots in one recursive query per chunk (a model line has thousands)."""
        out: dict[str, TreeNode] = {}
        db = self.readmodel.db
        has_child = "child" in db.table_names()
        for i in range(0, len(uids), CHUNK):
            chunk = list(uids[i : i + CHUNK])
            marks = ",".join("?" * len(chunk))
            edges: list[tuple[str, str, str]] = []
            if has_child:
                edges = db.execute(
                    f"""
                    WITH RECURSIVE tree(root, parent, child) AS (
                        SELECT _a0, _a0, _a1 FROM child WHERE _a0 IN ({marks})
                        UNION ALL
                        SELECT t.root, c._a0, c._a1 FROM child c JOIN tree t ON c._a0 = t.child
                    ) SELECT root, parent, child FROM tree
                    """,
                    chunk,
                ).fetchall()
            parts = self._parts({*chunk, *(c for _, _, c in edges)})
            nodes: dict[tuple[str, str], TreeNode] = {}
            for root in chunk:
                nodes[(root, root)] = TreeNode(root, parts.get(root))
            edges.sort()
            for root, _, child in edges:
                nodes.setdefault((root, child), TreeNode(child, parts.get(child)))
            for root, parent, child in edges:
                nodes[(root, parent)].children.append(nodes[(root, child)])
            out.update({root: nodes[(root, root)] for root in chunk})
        return out

    def _parts(self, uids: set[str]) -> dict[str, dict[str, Any]]:
        if not uids or "part" not in self.readmodel.db.table_names():
            return {}
        rows = self.queries.table("part", "_key IN (SELECT value FROM json_each(?))", [json.dumps(sorted(uids))])
        return {r["uid"]: r for r in rows}

    def vehicle_inputs(
        self, uids: Sequence[str], *, as_of: dt.date, on: dt.date | None = None, end_use: str = "oe_pv_lt"
    ) -> Iterator[VehicleInput]:
        """Report inputs for many vehicles, reading their trees a chunk at a time (lazy: feeds averaging)."""
        for i in range(0, len(uids), CHUNK):
            chunk = uids[i : i + CHUNK]
            trees = self.trees(chunk)
            for uid in chunk:
                tree = trees[uid]
                part = tree.part
                if part is None or not (
                    self.sees_all or self.requester in (part.get("producer_msp"), part.get("owner_msp"))
                ):
                    raise NotFound(f"part {uid} does not exist", value=uid)
                self._load_types(tree)
                yield self.vehicle_input(uid, as_of=as_of, on=on, end_use=end_use, tree=tree)
