"""A qualify request for one part or vehicle, built from the ledger as the requesting org sees it.

The origin engine is pure; this module is the bridge from ledger facts to its request. The as-built tree gives
the bill of materials (the direct children of the good are its materials; an in-house sub-assembly is opened up
so the materials the requester bought enter directly), each node's part type gives HS code, USMCA category and
core family, and each supplied part's origin comes from the supplier's certification *as the requester sees
it*: only certifications the requester may see (issued by it, addressed to it, or upstream of those) count, and
only when valid at the evaluation date. A revoked, expired or upstream-invalid certification, or none at all,
makes the origin ``unknown`` (non-originating, listed in ``missing_evidence``) - 19 CFR 182.107 does not let an
importer rely on a certification it knows to be wrong. Values are the requester's own private purchase prices
(a supplier-specific price wins), never another org's figures.

``build_request`` is pure (data in, request out); :mod:`api.compliance.gather` reads the read model and the
private store and calls it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from api.origin.hs import derive_category
from api.origin.rules import load_rules
from chaincode import lineage
from ledger.errors import ValidationError

#: Ledger part-type category -> engine category when the HS tables cannot decide.
CATEGORY_FALLBACK = {
    "core_part": "table_a1_core",
    "principal": "table_b_principal",
    "complementary": "table_c_complementary",
    "other": "general",
}
VEHICLE_CATEGORIES = ("pv_lt_vehicle", "heavy_truck_vehicle")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Evidence:
    """What backs (or fails to back) the origin of one supplied part, as the requester sees it."""

    uid: str
    part_type: str
    supplier: str
    value: str
    origin: str
    status: str
    cert_id: str | None = None
    reasons: tuple[str, ...] = ()
    valid_until: str | None = None
    claimed_originating: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (shown with the answer so a user sees why a line counted as it did)."""
        return {
            "uid": self.uid,
            "part_type": self.part_type,
            "supplier": self.supplier,
            "value": self.value,
            "origin": self.origin,
            "status": self.status,
            "cert_id": self.cert_id,
            "reasons": list(self.reasons),
            "valid_until": self.valid_until,
        }


@dataclass(frozen=True)
class LedgerBom:
    """A request built from the ledger, with the evidence behind each material."""

    uid: str
    part_type: str
    requester: str
    request: dict[str, Any]
    evidence: tuple[Evidence, ...]
    produced_on: str | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "uid": self.uid,
            "part_type": self.part_type,
            "requester": self.requester,
            "produced_on": self.produced_on,
            "request": self.request,
            "evidence": [e.as_dict() for e in self.evidence],
            "notes": list(self.notes),
        }


def _covers(cert: Mapping[str, Any], part: Mapping[str, Any], day: dt.date) -> bool:
    """Does a certification's scope cover this part (blanket period, lot or serial)?"""
    scope = cert.get("scope") or {}
    kind = scope.get("kind")
    if kind == "blanket":
        when = str(part.get("production_date") or day.isoformat())[:10]
        return str(scope.get("from", "")) <= when <= str(scope.get("to", ""))
    if kind == "lots":
        return part.get("lot") in (scope.get("lots") or [])
    if kind == "serials":
        return part.get("uid") in (scope.get("uids") or [])
    return False


def pick_certification(
    part: Mapping[str, Any],
    certs: Mapping[str, Mapping[str, Any] | None],
    visible: set[str] | None,
    on: dt.date,
    memo: dict[tuple[str, dt.date], lineage.Status] | None = None,
) -> tuple[Mapping[str, Any] | None, lineage.Status | None]:
    """The certification the requester can rely on for a part: visible, of its type and producer, in scope.

    A valid one wins over an invalid one; among equals the latest issued wins. None when nothing covers it.
    ``memo`` keeps statuses between calls (a model line evaluates the same certifications for every vehicle).
    """
    best: tuple[bool, str, Mapping[str, Any], lineage.Status] | None = None
    for cid, cert in certs.items():
        if cert is None or cert.get("part_type") != part.get("part_type"):
            continue
        if cert.get("issuer_msp") != part.get("producer_msp"):
            continue
        if visible is not None and cid not in visible:
            continue
        if not _covers(cert, part, on):
            continue
        status = memo.get((cid, on)) if memo is not None else None
        if status is None:
            status = lineage.evaluate(cid, certs, on)
            if memo is not None:
                memo[(cid, on)] = status
        key = (status.valid, str(cert.get("issued_at", "")))
        if best is None or key > best[:2]:
            best = (*key, cert, status)
    return (best[2], best[3]) if best else (None, None)


def _category(ptype: Mapping[str, Any], end_use: str) -> str:
    hs = str(ptype.get("hs_code") or "")
    try:
        return derive_category(load_rules(), hs or None, end_use, None)
    except ValidationError:
        return CATEGORY_FALLBACK.get(str(ptype.get("usmca_category")), "general")


def _price(
    prices: Mapping[tuple[str, str], Decimal], part_type: str, supplier: str, requester: str, uid: str
) -> Decimal:
    for key in ((part_type, supplier), (part_type, "")):
        if key in prices:
            return prices[key]
    raise ValidationError(
        f"{requester} has no purchase price for part type {part_type} (supplier {supplier}, part {uid}); "
        f"set it with PUT /v1/private/prices/{part_type}",
        field="part_type",
        value=part_type,
    )


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def build_request(
    tree: Mapping[str, Any],
    *,
    requester: str,
    part_types: Mapping[str, Mapping[str, Any]],
    certs: Mapping[str, Mapping[str, Any] | None],
    visible: set[str] | None,
    prices: Mapping[tuple[str, str], Decimal],
    as_of: dt.date,
    on: dt.date | None = None,
    end_use: str = "oe_pv_lt",
    strict: bool = True,
    extra: Mapping[str, Any] | None = None,
    memo: dict[tuple[str, dt.date], lineage.Status] | None = None,
) -> LedgerBom:
    """The qualify request of the tree's root, as ``requester`` sees the ledger.

    Args:
        tree: ``{"uid", "part", "children": [...]}`` as :meth:`TreeNode.as_dict` gives it.
        requester: the MSP id whose view (visibility, prices) is used.
        part_types: part-type records by id (HS code, USMCA category, core family).
        certs: every certification that may matter with its upstream closure (None for a missing id).
        visible: ids the requester may see (None: all, for auditors).
        prices: the requester's prices by (part type, supplier MSP); supplier ``""`` is the general price.
        as_of: the date whose thresholds apply.
        on: the date certification statuses are judged at (default ``as_of``).
        end_use: end use of a part good (``oe_pv_lt`` ...), which derives its category with the HS code.
        strict: True turns a claim without valid evidence into ``unknown``; False keeps the claimed origin
            and evidence id so a compliance report can judge it and list it as a supplier issue.
        extra: request fields the ledger does not hold (``steel``, ``aluminum``, ``lvc``, ``core_parts``,
            ``net_cost``, ``cost``, ``transaction_value``, ``method``, ``rule``, ``policy``); they win.
        memo: certification statuses already evaluated (see :func:`pick_certification`).

    Raises:
        ValidationError: the root is not a known part, or a price the calculation needs is missing.
    """
    day = on or as_of
    root = tree.get("part")
    if not root:
        raise ValidationError(f"part {tree.get('uid')} is not on the ledger", field="uid", value=tree.get("uid"))
    rtype = part_types.get(root["part_type"]) or {}
    category = _category(rtype, end_use)
    materials: list[dict[str, Any]] = []
    evidence: list[Evidence] = []
    notes: list[str] = []

    def add(node: Mapping[str, Any]) -> None:
        part = node.get("part") or {}
        uid = str(node.get("uid"))
        ptype_id = str(part.get("part_type", ""))
        ptype = part_types.get(ptype_id) or {}
        supplier = str(part.get("producer_msp", ""))
        if supplier == requester and node.get("children"):
            notes.append(f"in-house {ptype_id} {uid}: its own components enter as materials")
            for child in node["children"]:
                add(child)
            return
        value = _price(prices, ptype_id, supplier, requester, uid)
        cert, status = pick_certification(part, certs, visible, day, memo)
        line: dict[str, Any] = {"id": uid, "value": _fmt(value), "supplier": supplier,
                                "description": str(ptype.get("description") or ptype_id)}  # fmt: skip
        if ptype.get("hs_code"):
            line["hs"] = str(ptype["hs_code"])
        if ptype.get("usmca_category") == "core_part" and ptype.get("core_family"):
            line["core_part"] = ptype["core_family"]
        if cert is None or status is None:
            kind = "in_house" if supplier == requester else "missing"
            why = (
                f"in-house part without recorded components or a certification of {ptype_id}"
                if kind == "in_house"
                else f"no certification of {ptype_id} by {supplier} visible to {requester} covers this part"
            )
            line["origin"] = "unknown"
            evidence.append(Evidence(uid, ptype_id, supplier, line["value"], "unknown", kind, reasons=(why,)))
        else:
            claimed = bool(cert.get("originating"))
            usable = status.valid or not strict
            origin = ("originating" if claimed else "non_originating") if usable else "unknown"
            line["origin"] = origin
            line["evidence"] = cert["cert_id"]
            share = Decimal(str(cert.get("non_originating_share") or "0"))
            if origin == "originating" and "core_part" in line:
                line["non_originating_content"] = _fmt(value * share / HUNDRED)
            evidence.append(
                Evidence(
                    uid,
                    ptype_id,
                    supplier,
                    line["value"],
                    origin,
                    status.status,
                    cert["cert_id"],
                    status.reasons,
                    status.expires_at or None,
                    claimed,
                )
            )
        materials.append(line)

    for child in tree.get("children") or []:
        add(child)
    request: dict[str, Any] = {
        "good": {
            "description": str(rtype.get("description") or root["part_type"]),
            "hs": str(rtype.get("hs_code") or ""),
            "category": category,
            "end_use": end_use,
        },
        "as_of": as_of.isoformat(),
        "method": "best",
        "materials": materials,
    }
    if not request["good"]["hs"]:
        del request["good"]["hs"]
    own = prices.get((root["part_type"], "")) or prices.get((root["part_type"], requester))
    if own is not None:
        request["net_cost"] = _fmt(own)
    if category in VEHICLE_CATEGORIES:
        core = [m for m in materials if m.get("core_part")]
        if core:
            request["core_parts"] = [
                {"part": m["core_part"], "net_cost": m["value"],
                 "vnm": m.get("non_originating_content", "0") if m["origin"] == "originating" else m["value"]}
                for m in core
            ]  # fmt: skip
            notes.append("core_parts: net cost = purchase price; VNM = the certified non-originating share")
    for key, value in (extra or {}).items():
        request[key] = value
    if "net_cost" not in request and "cost" not in request and "transaction_value" not in request:
        raise ValidationError(
            f"{requester} has no price (net cost) for its own part type {root['part_type']}; set it with "
            f"PUT /v1/private/prices/{root['part_type']} or pass net_cost",
            field="net_cost",
            value=root["part_type"],
        )
    return LedgerBom(
        uid=str(tree["uid"]),
        part_type=str(root["part_type"]),
        requester=requester,
        request=request,
        evidence=tuple(evidence),
        produced_on=root.get("production_date"),
        notes=tuple(notes),
    )
