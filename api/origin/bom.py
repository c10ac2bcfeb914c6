"""Bill-of-materials evaluation: each line's contribution to VNM, with roll-up and the (d)(4)(B) credit.

Multi-tier BOMs are given flat, each line naming its ``parent``; only top-level lines enter the good's VNM.
One post-order pass computes every line's contribution (O(n)), so a 5-tier BOM of thousands of lines costs
milliseconds:

* an originating material counts wholly as originating (roll-up, 19 USC 4531(d)(4)(A)), except an originating
  core part under ``core_part_rollup = "us"``, whose non-originating content stays in VNM;
* a non-originating (or unknown) material counts at its value less the regional content inside it
  (19 USC 4531(d)(4)(B)): ``regional_content`` when given, else derived from its own sub-lines, capped at its
  value.

The pass works on the columns of plain values that ``lines`` reads and formats numbers only for the
explanations the answer shows; sums keep the line order, so the ``Decimal`` results are those of a plain
per-line walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from api.origin.lines import BomLines
from api.origin.rvc import fmt
from ledger.errors import ValidationError

ZERO = Decimal(0)
_ROLLUP = "originating: counts wholly as originating (roll-up, 19 USC 4531(d)(4)(A))"


@dataclass(frozen=True)
class BomResult:
    """What the rest of the engine needs from the BOM."""

    vnm: Decimal
    lines: list[dict[str, Any]]
    missing_evidence: list[str]
    top: tuple[tuple[str, Decimal, Decimal, bool, bool], ...]
    """Top-level lines as (id, value, vnm contribution, counted non-originating, fails tariff shift)."""
    tariff_shift_failures: tuple[str, ...]
    tariff_shift_value: Decimal
    tagged_core_parts: dict[str, bool] = field(default_factory=dict)
    """Top-level lines tagged ``core_part``: part -> every such line originating."""


def _check_amounts_and_ids(lines: BomLines) -> None:
    """Refuse the first negative amount or repeated id, in line order (the caller's quick test found one)."""
    seen: set[str] = set()
    columns = zip(lines.ids, lines.values, lines.regional_content, lines.non_originating_content, strict=True)
    for i, (mid, value, rc, noc) in enumerate(columns):
        for name, amount in (("value", value), ("regional_content", rc), ("non_originating_content", noc)):
            if amount is not None and amount < 0:
                raise ValidationError(
                    f"materials[{i}].{name} {amount} is negative; amounts must be >= 0",
                    field=f"materials[{i}].{name}",
                    value=str(amount),
                )
        if mid in seen:
            raise ValidationError(f"material id {mid!r} appears twice", field=f"materials[{i}].id", value=mid)
        seen.add(mid)


def _children_index(lines: BomLines) -> dict[int, list[int]]:
    """Each parent's sub-lines in line order, after refusing negative amounts, repeated ids and unknown parents."""
    ids = lines.ids
    index = dict(zip(ids, range(len(ids)), strict=True))
    # C-level tests first; the per-line check only runs to name the first offender.
    if (
        len(index) < len(ids)
        or min(lines.values) < 0
        or min(filter(None, lines.regional_content), default=ZERO) < 0
        or min(filter(None, lines.non_originating_content), default=ZERO) < 0
    ):
        _check_amounts_and_ids(lines)
    children: dict[int, list[int]] = {}
    for i, parent in enumerate(lines.parents):
        if parent is not None:
            p = index.get(parent)
            if p is None:
                raise ValidationError(
                    f"material {ids[i]!r} names parent {parent!r}, which is not in materials",
                    field=f"materials[{i}].parent",
                    value=parent,
                )
            kids = children.get(p)
            if kids is None:
                children[p] = [i]
            else:
                kids.append(i)
    return children


def _post_order(ids: tuple[str, ...], parents: tuple[str | None, ...], children: dict[int, list[int]]) -> list[int]:
    """Children before parents (reversed breadth-first order from the top-level lines).

    A line not reachable from a top-level line sits on a parent cycle, which is refused.
    """
    order = [i for i, parent in enumerate(parents) if parent is None]
    for i in order:  # a list iterator sees what is appended while it runs: this walks breadth-first
        kids = children.get(i)
        if kids:
            order.extend(kids)
    if len(order) < len(ids):
        seen = set(order)
        bad = next(mid for i, mid in enumerate(ids) if i not in seen)
        raise ValidationError(f"material {bad!r} is its own ancestor (parent cycle)", field="materials", value=bad)
    order.reverse()
    return order


def evaluate_bom(lines: BomLines, *, rollup: str, detail: bool = True) -> BomResult:
    """Contribution of every line to VNM under the core-part roll-up policy (``"panel"`` or ``"us"``).

    ``detail=False`` skips the per-line explanations (averaging over many goods only needs the numbers).
    """
    n = len(lines)
    if not n:
        return BomResult(ZERO, [], [], (), (), ZERO)
    ids, values, origins, parents = lines.ids, lines.values, lines.origins, lines.parents
    rcs, nocs, cores, fails = (
        lines.regional_content,
        lines.non_originating_content,
        lines.core_parts,
        lines.fails_tariff_shift,
    )
    children = _children_index(lines)
    order = _post_order(ids, parents, children) if children else range(n)
    us = rollup == "us"
    contrib: list[Decimal] = [ZERO] * n
    credit: list[Decimal] = [ZERO] * n  # (d)(4)(B) credit of a non-originating line
    how: list[str] = [""] * n  # where the credit or the core part's non-originating content comes from
    for i in order:
        if origins[i] == "originating":
            if us and cores[i] is not None:
                noc = nocs[i]
                if noc is not None:
                    how[i] = "declared"
                elif kids := children.get(i):
                    noc = ZERO
                    for c in kids:
                        noc += contrib[c]
                    how[i] = "from its sub-lines"
                else:
                    noc, how[i] = ZERO, "none declared"
                contrib[i] = min(noc, values[i])
        else:
            value, rc = values[i], rcs[i]
            if rc is not None:
                how[i] = "declared regional_content"
            elif kids := children.get(i):
                rc = ZERO
                for c in kids:
                    rc += values[c] - contrib[c]
                how[i] = "originating content of its sub-lines"
            else:
                rc = ZERO
            rc = min(rc, value)
            credit[i] = rc
            contrib[i] = value - rc
    # Walk down from the top to mark absorbed sub-lines and collect unknowns that matter.
    absorbed_by: list[str | None] = [None] * n
    matters = [parent is None for parent in parents]
    if children:
        for i in reversed(order):
            kids = children.get(i)
            if kids is None:
                continue
            if not matters[i]:
                outer = absorbed_by[i]
                for c in kids:
                    absorbed_by[c] = outer
            elif (
                (cores[i] is None or not us or nocs[i] is not None)
                if origins[i] == "originating"
                else rcs[i] is not None
            ):
                for c in kids:
                    absorbed_by[c] = ids[i]
            else:
                for c in kids:
                    matters[c] = True
    vnm = ZERO
    top: list[tuple[str, Decimal, Decimal, bool, bool]] = []
    ts_ids: list[str] = []
    ts_value = ZERO
    tagged: dict[str, bool] = {}
    for i, parent in enumerate(parents):
        if parent is not None:
            continue
        mid, value, c = ids[i], values[i], contrib[i]
        non_orig = origins[i] != "originating"
        vnm += c
        top.append((mid, value, c, non_orig, fails[i]))
        if non_orig and fails[i]:
            ts_ids.append(mid)
            ts_value += value
        if cores[i] is not None:
            tagged[cores[i]] = tagged.get(cores[i], True) and not non_orig
    missing = [
        mid
        for mid, origin, matter, outer in zip(ids, origins, matters, absorbed_by, strict=True)
        if origin == "unknown" and matter and outer is None
    ]
    out = _explain(lines, contrib, credit, how, absorbed_by, us) if detail else []
    return BomResult(vnm, out, missing, tuple(top), tuple(ts_ids), ts_value, tagged)


def _explain(
    lines: BomLines,
    contrib: list[Decimal],
    credit: list[Decimal],
    how: list[str],
    absorbed_by: list[str | None],
    us: bool,
) -> list[dict[str, Any]]:
    """The answer's per-line rows: amounts as decimal strings and why each line counts as it does."""
    out: list[dict[str, Any]] = []
    inside: dict[str, str] = {}
    columns = zip(
        lines.ids,
        lines.values,
        lines.origins,
        lines.parents,
        lines.core_parts,
        lines.evidence,
        contrib,
        credit,
        how,
        absorbed_by,
        strict=True,
    )
    for mid, value, origin, parent, core, evidence, c, rc, source, outer in columns:
        shown = fmt(value)
        if outer is not None:  # a sub-line inside a line whose declared status decides
            why = inside.get(outer)
            if why is None:
                why = inside[outer] = f"inside {outer!r}, whose declared status decides"
            line: dict[str, Any] = {
                "id": mid,
                "value": shown,
                "origin": origin,
                "parent": parent,
                "vnm": "0",
                "originating": "0",
                "why": why,
            }
        else:
            if origin != "originating":
                what = "origin unknown: counted as non-originating" if origin == "unknown" else "non-originating"
                why = (
                    f"{what}; (d)(4)(B) credit {fmt(rc)} ({source}) counted as originating"
                    if rc
                    else f"{what}: full value in VNM"
                )
            elif us and core is not None:
                why = (
                    f"originating core part ({core}); its non-originating content {fmt(c)} "
                    f"({source}) stays in VNM under core_part_rollup=us"
                )
            else:
                why = _ROLLUP
            line = {
                "id": mid,
                "value": shown,
                "origin": origin,
                "parent": parent,
                "vnm": fmt(c) if parent is None and c else "0",
                "originating": fmt(value - c) if c else shown,
                "why": why if parent is None else f"sub-line of {parent!r}: {why}; enters VNM only through its parent",
            }
        if evidence is not None:
            line["evidence"] = evidence
        out.append(line)
    return out
