"""OEM compliance view models: vehicles and model lines, the as-built tree, supplier certification gaps.

Everything is read through the JSON API's functions: parts and trees from ``api.routes.parts``, certification
statuses from ``api.routes.certifications`` (via :mod:`api.web.certs`). A part's origin status in the tree is its
part type's certification as the member sees it: made in-house, certified originating or non-originating,
certification not valid (revoked, expired, upstream revoked), or none on record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from api.core.credentials import Principal
from api.core.services import Services
from api.routes.parts import TreeNode, catch_up, tree_down
from api.web.certs import CertRow, certifications
from api.web.svg import SvgNode

GOOD = ("valid", "expiring")


@dataclass(frozen=True)
class PartTypeStatus:
    """What the member knows about the origin of one part type."""

    part_type: str
    producer: str
    status: str
    label: str
    certs: tuple[CertRow, ...] = ()


@dataclass(frozen=True)
class SupplierGap:
    """A purchased part type whose certification is missing, not valid, or expiring soon."""

    supplier: str
    part_type: str
    description: str
    issue: str
    detail: str
    vehicles: int
    cert_id: str | None


@dataclass
class Vehicle:
    """One top-level assembly of the member's org with its core parts' status."""

    uid: str
    part_type: str
    model_line: str
    production_date: str
    owner: str
    status: str
    last_seen: dict[str, Any] | None
    parts: int
    core_parts: list[tuple[str, PartTypeStatus]] = field(default_factory=list)


def origin_status(part_type: str, producer: str, me: str, certs: list[CertRow]) -> PartTypeStatus:
    """The origin status of a part type from the certifications the member sees."""
    if producer == me:
        return PartTypeStatus(part_type, producer, "in_house", "Made in-house")
    good = [c for c in certs if c.status in GOOD]
    if any(c.originating for c in good):
        soon = any(c.status == "expiring" for c in good if c.originating)
        label = "Certified originating" + (" (expiring)" if soon else "")
        return PartTypeStatus(part_type, producer, "originating", label, tuple(certs))
    if good:
        return PartTypeStatus(part_type, producer, "non_originating", "Certified non-originating", tuple(certs))
    if certs:
        return PartTypeStatus(part_type, producer, "invalid", certs[0].label, tuple(certs))
    return PartTypeStatus(part_type, producer, "uncertified", "No certification", ())


class OemView:
    """One page's worth of OEM questions, sharing the certification lookups."""

    def __init__(self, services: Services, principal: Principal) -> None:
        self.services = services
        self.principal = principal
        self.q = services.queries()
        catch_up(services, timeout=2.0)
        self.part_types = {r["id"]: r for r in self.q.table("parttype")}
        by_type: dict[str, list[CertRow]] = defaultdict(list)
        for c in certifications(services, principal):
            by_type[c.part_type].append(c)
        self.certs_by_type = by_type
        self._status: dict[str, PartTypeStatus] = {}

    def status(self, part_type: str) -> PartTypeStatus:
        """Origin status of a part type (cached for the page)."""
        if part_type not in self._status:
            producer = (self.part_types.get(part_type) or {}).get("producer_msp") or part_type.split(":", 1)[0]
            self._status[part_type] = origin_status(
                part_type, producer, self.principal.msp_id, self.certs_by_type.get(part_type, [])
            )
        return self._status[part_type]

    def vehicle_uids(self) -> list[str]:
        """Top-level assemblies the org produced: parts of its own with children and no parent."""
        rows = (
            self.services.readmodel.db.execute(
                "SELECT p._key FROM part p WHERE p.producer_msp = ? AND (p.parent IS NULL OR p.parent = '') "
                "AND EXISTS (SELECT 1 FROM child c WHERE c._a0 = p._key) ORDER BY p._key",
                [self.principal.msp_id],
            ).fetchall()
            if {"part", "child"} <= set(self.services.readmodel.db.table_names())
            else []
        )
        return [r[0] for r in rows]

    def model_lines(self) -> dict[str, int]:
        """Part types of the org's top-level assemblies (its model lines) with how many were built."""
        db = self.services.readmodel.db
        if not {"part", "child"} <= set(db.table_names()):
            return {}
        rows = db.execute(
            "SELECT p.part_type, COUNT(*) FROM part p WHERE p.producer_msp = ? AND (p.parent IS NULL OR p.parent = '') "
            "AND EXISTS (SELECT 1 FROM child c WHERE c._a0 = p._key) GROUP BY p.part_type ORDER BY p.part_type",
            [self.principal.msp_id],
        ).fetchall()
        return {pt: int(n) for pt, n in rows}

    def tree(self, uid: str) -> TreeNode:
        """The as-built tree through the API's own route (visibility included)."""
        return tree_down(self.services, self.principal, uid)

    def vehicle(self, uid: str) -> Vehicle:
        """A vehicle row: identity, where it is, and its core parts' origin status."""
        root = self.tree(uid)
        part = root.part
        assert part is not None
        nodes = _walk(root)
        core = []
        for n in nodes[1:]:
            if n.part is None:
                continue
            ptype = self.part_types.get(n.part.part_type) or {}
            if ptype.get("usmca_category") == "core_part":
                core.append((str(ptype.get("core_family") or ptype.get("part_number")), self.status(n.part.part_type)))
        pt = self.part_types.get(part.part_type) or {}
        return Vehicle(
            uid=uid,
            part_type=part.part_type,
            model_line=str(pt.get("description") or part.part_type),
            production_date=part.production_date,
            owner=part.owner_msp,
            status=part.status,
            last_seen=self.q.last_seen(uid),
            parts=len(nodes),
            core_parts=core,
        )

    def svg_tree(self, uid: str) -> SvgNode:
        """The vehicle's tree as drawing nodes, each linking to the part's page."""

        def convert(node: TreeNode) -> SvgNode:
            if node.part is None:
                return SvgNode(node.uid, node.uid, "not visible", "uncertified", _part_href(node.uid))
            pt = self.part_types.get(node.part.part_type) or {}
            st = self.status(node.part.part_type)
            label = str(pt.get("description") or node.part.part_type)
            sub = f"{node.part.producer_msp} · {st.label}"
            return SvgNode(
                node.uid,
                label,
                sub,
                st.status,
                _part_href(node.uid),
                tuple(convert(c) for c in node.children),
            )

        return convert(self.tree(uid))

    def purchased_part_types(self) -> dict[str, int]:
        """Part types of other producers inside the org's top-level assemblies, with how many contain each.

        One recursive query down the ``child`` table from every top-level assembly, so ten thousand vehicles cost
        one statement, not ten thousand tree walks.
        """
        db = self.services.readmodel.db
        if not {"part", "child"} <= set(db.table_names()):
            return {}
        rows = db.execute(
            """
            WITH RECURSIVE tops(uid) AS (
                SELECT p._key FROM part p WHERE p.producer_msp = :me AND (p.parent IS NULL OR p.parent = '')
                   AND EXISTS (SELECT 1 FROM child c WHERE c._a0 = p._key)
            ), tree(top, uid) AS (
                SELECT t.uid, c._a1 FROM tops t JOIN child c ON c._a0 = t.uid
                UNION ALL
                SELECT tree.top, c._a1 FROM tree JOIN child c ON c._a0 = tree.uid
            )
            SELECT p.part_type, COUNT(DISTINCT tree.top) FROM tree JOIN part p ON p._key = tree.uid
             WHERE p.producer_msp != :me GROUP BY p.part_type ORDER BY p.part_type
            """,
            {"me": self.principal.msp_id},
        ).fetchall()
        return {pt: int(n) for pt, n in rows}

    def supplier_gaps(self) -> list[SupplierGap]:
        """Purchased part types, at any tier, whose certification is missing, not valid, or expiring."""
        gaps = []
        for part_type, vehicles in self.purchased_part_types().items():
            st = self.status(part_type)
            pt = self.part_types.get(part_type) or {}
            good = [c for c in st.certs if c.status in GOOD]
            if st.status == "uncertified":
                issue, detail, cert = "missing", "no certification on record for this part type", None
            elif st.status == "invalid":
                issue, detail, cert = st.certs[0].status, "; ".join(st.certs[0].reasons), st.certs[0].cert_id
            elif good and all(c.status == "expiring" for c in good):
                c = good[0]
                issue, detail, cert = "expiring", f"certification {c.cert_id} expires on {c.expires_at}", c.cert_id
            else:
                continue
            gaps.append(
                SupplierGap(st.producer, part_type, str(pt.get("description") or ""), issue, detail, vehicles, cert)
            )
        return sorted(gaps, key=lambda g: (g.supplier, g.part_type))


def _walk(node: TreeNode) -> list[TreeNode]:
    out = [node]
    for c in node.children:
        out.extend(_walk(c))
    return out


def _part_href(uid: str) -> str:
    return "/parts/" + quote(uid, safe="")
