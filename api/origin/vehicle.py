"""The vehicle tests beyond RVC: core parts (or the super-core), steel, aluminum and labor value content.

Each returns a ``TestResult``; a test whose inputs are missing is reported as not passed with the reason, as a
vehicle cannot be shown originating without it (CA-ROO s.14(4), s.17, s.18).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from api.origin.models import CorePartInput, Lvc, Purchases, TestResult
from api.origin.rules import Rules
from api.origin.rvc import fmt, pct, rvc

ZERO = Decimal(0)


@dataclass(frozen=True)
class CorePartTotal:
    """One core part's net cost and VNM, summed over its entries (and over vehicles when averaging)."""

    part: str
    net_cost: Decimal
    vnm: Decimal
    originating: bool | None


def total_core_parts(core_parts: Sequence[CorePartInput]) -> dict[str, CorePartTotal]:
    """Sum entries of the same part (front and rear suspension are one 'suspension')."""
    out: dict[str, CorePartTotal] = {}
    for cp in core_parts:
        prev = out.get(cp.part)
        if prev is None:
            out[cp.part] = CorePartTotal(cp.part, cp.net_cost, cp.vnm, cp.originating)
        else:
            orig = None if prev.originating is None or cp.originating is None else prev.originating and cp.originating
            out[cp.part] = CorePartTotal(cp.part, prev.net_cost + cp.net_cost, prev.vnm + cp.vnm, orig)
    return out


def core_parts_test(
    rules: Rules, category: str, as_of: dt.date, parts: dict[str, CorePartTotal] | None, super_core: bool
) -> tuple[TestResult, list[str]]:
    """Every core part originating, or the listed core parts tested as one super-core.

    Returns the test and the failing parts (for the what-if answer).
    """
    spec = rules.raw["core_parts"]["pv_lt" if category == "pv_lt_vehicle" else "heavy_truck"]
    threshold = rules.threshold(spec["threshold_category"], "NC", as_of)
    required = fmt(threshold.pct)
    if not parts:
        return TestResult(
            name="core_parts", passed=False, value=None, required=required, detail="no core_parts given"
        ), []
    unknown = sorted(set(parts) - set(spec["parts"]))
    if unknown:
        return TestResult(
            name="core_parts",
            passed=False,
            value=None,
            required=required,
            detail=f"core part(s) {', '.join(unknown)} are not core parts of a {category}",
        ), unknown
    missing = [p for p in spec["always_used"] if p not in parts]
    if spec["propulsion_any_of"] and not any(p in parts for p in spec["propulsion_any_of"]):
        missing.append(" or ".join(spec["propulsion_any_of"]))
    note = "" if spec.get("verified") else " [rule unverified, see rules data]"
    if missing:
        return TestResult(
            name="core_parts",
            passed=False,
            value=None,
            required=required,
            detail=f"missing core part(s): {', '.join(missing)}{note}",
        ), missing
    if super_core:
        nc = sum((p.net_cost for p in parts.values()), ZERO)
        vnm = sum((p.vnm for p in parts.values()), ZERO)
        value = rvc(nc, vnm)
        ok = value >= threshold.pct
        names = ", ".join(sorted(parts))
        return TestResult(
            name="core_parts",
            passed=ok,
            value=fmt(value),
            required=required,
            detail=f"super-core ({names}): ({fmt(nc)} - {fmt(vnm)}) / {fmt(nc)} x 100 = {fmt(value)} "
            f"{'>=' if ok else '<'} {required} ({threshold.source}){note}",
        ), ([] if ok else sorted(parts))
    failing: list[str] = []
    bits: list[str] = []
    lowest = None
    for name in sorted(parts):
        p = parts[name]
        if name == "advanced_battery" and p.originating is not None:
            bits.append(f"advanced_battery {'originating' if p.originating else 'not originating'} under its own rule")
            if not p.originating:
                failing.append(name)
            continue
        value = rvc(p.net_cost, p.vnm)
        lowest = value if lowest is None else min(lowest, value)
        ok = value >= threshold.pct
        bits.append(f"{name} {fmt(value)}")
        if not ok:
            failing.append(name)
    detail = "; ".join(bits)
    detail += f"; each must reach {required} ({threshold.source})" + note
    if failing:
        detail = f"failing: {', '.join(failing)}; " + detail
    return TestResult(
        name="core_parts",
        passed=not failing,
        value=fmt(lowest) if lowest is not None else None,
        required=required,
        detail=detail,
    ), failing


def tagged_core_parts_test(
    rules: Rules, category: str, as_of: dt.date, tagged: dict[str, bool], super_core: bool
) -> tuple[TestResult, list[str]]:
    """Core-parts test from BOM lines tagged ``core_part`` when no ``core_parts`` figures are given.

    A tagged line's declared origin decides (an originating core part met its RVC; the supplier certified it).
    The super-core needs net cost and VNM per part, so it cannot be tested this way.
    """
    spec = rules.raw["core_parts"]["pv_lt" if category == "pv_lt_vehicle" else "heavy_truck"]
    required = fmt(rules.threshold(spec["threshold_category"], "NC", as_of).pct)
    if super_core:
        detail = "super_core needs core_parts with net_cost and vnm per part"
        return TestResult(name="core_parts", passed=False, value=None, required=required, detail=detail), []
    missing = [p for p in spec["always_used"] if p not in tagged]
    if spec["propulsion_any_of"] and not any(p in tagged for p in spec["propulsion_any_of"]):
        missing.append(" or ".join(spec["propulsion_any_of"]))
    failing = sorted(p for p, ok in tagged.items() if not ok)
    bits = [f"{p} {'originating' if tagged[p] else 'not originating'}" for p in sorted(tagged)]
    detail = "from BOM lines tagged core_part: " + "; ".join(bits)
    if missing:
        detail = f"missing core part(s): {', '.join(missing)}; " + detail
    if failing:
        detail = f"failing: {', '.join(failing)}; " + detail
    passed = not missing and not failing
    return TestResult(name="core_parts", passed=passed, value=None, required=required, detail=detail), failing


def purchases_test(rules: Rules, name: str, purchases: Purchases | None, as_of: dt.date | None = None) -> TestResult:
    """At least 70 % of the producer's steel (or aluminum) purchases originating (CA-ROO s.17).

    From 2027-07-01 originating steel must also be melted and poured in the region; the engine takes the
    producer's originating figure as declared and says so in the detail.
    """
    required = fmt(rules.steel_aluminum_pct)
    source = rules.raw["steel_aluminum"]["source"]
    melted = rules.raw["steel_aluminum"]["melted_and_poured_from"]
    if name == "steel" and as_of is not None and as_of >= melted:
        source += f"; steel counts as originating only if melted and poured in the region (from {melted})"
    if purchases is None:
        return TestResult(name=name, passed=False, value=None, required=required, detail=f"no {name} purchases given")
    if purchases.originating > purchases.purchases:
        return TestResult(
            name=name,
            passed=False,
            value=None,
            required=required,
            detail=f"{name}.originating {fmt(purchases.originating)} exceeds "
            f"{name}.purchases {fmt(purchases.purchases)}",
        )
    if purchases.purchases == 0:
        return TestResult(
            name=name,
            passed=False,
            value=None,
            required=required,
            detail=f"{name}.purchases is 0: share undefined",
        )
    share = pct(purchases.originating, purchases.purchases)
    ok = share >= rules.steel_aluminum_pct
    return TestResult(
        name=name,
        passed=ok,
        value=fmt(share),
        required=required,
        detail=f"{fmt(purchases.originating)} / {fmt(purchases.purchases)} x 100 = {fmt(share)} "
        f"{'>=' if ok else '<'} {required} ({source})",
    )


def lvc_test(rules: Rules, vehicle_type: str, as_of: dt.date, lvc: Lvc | None) -> TestResult:
    """LVC = material and manufacturing + technology (capped) + assembly (capped), with the M&M minimum."""
    req = rules.lvc(vehicle_type, as_of)
    required = fmt(req.total)
    if lvc is None:
        return TestResult(name="lvc", passed=False, value=None, required=required, detail="no lvc given")
    tech = min(lvc.technology, req.tech_max)
    assembly = min(lvc.assembly, req.assembly_max)
    total = lvc.material_manufacturing + tech + assembly
    mm_ok = lvc.material_manufacturing >= req.mm_min
    ok = mm_ok and total >= req.total
    capped = []
    if lvc.technology > req.tech_max:
        capped.append(f"technology {fmt(lvc.technology)} capped at {fmt(req.tech_max)}")
    if lvc.assembly > req.assembly_max:
        capped.append(f"assembly {fmt(lvc.assembly)} capped at {fmt(req.assembly_max)}")
    detail = (
        f"{fmt(lvc.material_manufacturing)} + {fmt(tech)} + {fmt(assembly)} = {fmt(total)} "
        f"{'>=' if total >= req.total else '<'} {required} ({vehicle_type}, from {req.effective_from.isoformat()}); "
        f"material and manufacturing {fmt(lvc.material_manufacturing)} {'>=' if mm_ok else '<'} "
        f"minimum {fmt(req.mm_min)}"
    )
    if capped:
        detail += "; " + "; ".join(capped)
    return TestResult(name="lvc", passed=ok, value=fmt(total), required=required, detail=detail + f" ({req.source})")
