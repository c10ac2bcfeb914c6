"""The decision: thresholds per offered method, method choice, the tests, and the answer with its what-if."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from api.origin import whatif
from api.origin.evaluation import Evaluation
from api.origin.models import VEHICLE_CATEGORIES, QualifyAnswer, TestResult
from api.origin.rules import Rules, Threshold
from api.origin.rvc import fmt, max_vnm, pct, rvc
from api.origin.vehicle import core_parts_test, lvc_test, purchases_test, tagged_core_parts_test
from ledger.errors import ValidationError


def _ht_credit(ev: Evaluation, rules: Rules, th: Threshold) -> Threshold:
    """Heavy-truck LVC credit (s.18(22)): M&M points above 30 lower the RVC requirement, never below 60."""
    if ev.category != "heavy_truck_vehicle" or not ev.request.policy.ht_lvc_credit or ev.lvc is None:
        return th
    spec = rules.raw["ht_lvc_credit"]
    excess = ev.lvc.material_manufacturing - Decimal(spec["mm_base"])
    if ev.request.as_of >= spec["until"] or excess <= 0:
        return th
    pct = max(th.pct - excess, Decimal(spec["rvc_floor"]))
    source = f"{th.source}; lowered from {fmt(th.pct)} by the LVC credit of {fmt(excess)} points ({spec['source']})"
    return Threshold(th.category, th.method, pct, th.effective_from, th.effective_to, source, th.verified)


def _tv_could_apply(ev: Evaluation, rules: Rules) -> bool:
    tv_rules = rules.raw["tv_offered_by_default"]
    entry = rules.raw["thresholds"].get(ev.category, {})
    return (
        "TV" in entry
        and ev.category not in tv_rules["vehicle_categories"]
        and not (ev.hs and ev.hs[:2] in tv_rules["never_for_chapters"])
    )


def _thresholds(ev: Evaluation, rules: Rules) -> dict[str, Threshold]:
    """Thresholds per offered method: the built-in table, or the request's rule for ``general`` goods."""
    req = ev.request
    rule = req.rule
    as_of = req.as_of
    if ev.category == "general":
        if rule is None or (not rule.rvc and not rule.tariff_shift):
            raise ValidationError(
                "good.category general needs a rule (rule.rvc thresholds and/or rule.tariff_shift)",
                field="rule",
            )
        return {
            m: Threshold("general", m, Decimal(v), as_of, None, "request rule", False)
            for m, v in sorted((rule.rvc or {}).items())
        }
    out = {"NC": _ht_credit(ev, rules, rules.threshold(ev.category, "NC", as_of))}
    if _tv_could_apply(ev, rules):
        if rule and (rule.tv_offered or (rule.rvc and "TV" in rule.rvc)):
            out["TV"] = rules.threshold(ev.category, "TV", as_of)
        elif req.method == "TV":
            # An explicit TV request states that the line's own rule has a TV option (we cannot check it).
            out["TV"] = rules.threshold(ev.category, "TV", as_of)
            ev.warnings.append(
                f"method TV taken as offered by the product rule of {ev.hs or 'this good'} (not in the rules data); "
                "set rule.tv_offered to say so explicitly"
            )
    if rule is not None and rule.rvc:
        for m, v in rule.rvc.items():
            if m in out and Decimal(v) != out[m].pct:
                ev.warnings.append(
                    f"rule.rvc {m} {fmt(v)} ignored: category {ev.category} has the built-in {fmt(out[m].pct)}"
                )
    return out


def _method_results(ev: Evaluation, thresholds: dict[str, Threshold]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m, th in thresholds.items():
        base = ev.tv if m == "TV" else ev.nc
        if base is None:
            continue
        value = rvc(base, ev.bom.vnm)
        out[m] = {"base": base, "rvc": value, "threshold": th, "margin": value - Fraction(th.pct)}
    return out


def _choose(ev: Evaluation, results: dict[str, dict[str, Any]], thresholds: dict[str, Threshold]) -> str | None:
    wanted = ev.request.method
    if wanted != "best":
        if wanted not in thresholds:
            offered = ", ".join(thresholds) or "none"
            why = (
                " (vehicle rules are net cost only, 19 USC 4531(d)(5))"
                if ev.category in VEHICLE_CATEGORIES
                else " (TV only where the product rule offers it: set rule.tv_offered)"
            )
            raise ValidationError(
                f"method {wanted} is not offered for category {ev.category} (offered: {offered}){why}",
                field="method",
                value=wanted,
            )
        if wanted not in results:
            need = "transaction_value" if wanted == "TV" else "net_cost or cost"
            raise ValidationError(f"method {wanted} needs {need}", field=need.split(maxsplit=1)[0])
        return wanted
    if not thresholds:
        return None
    if not results:
        raise ValidationError("no base to compute the RVC: give transaction_value, net_cost or cost", field="net_cost")
    return max(sorted(results), key=lambda m: (results[m]["margin"] >= 0, results[m]["margin"]))


def _shift_tests(ev: Evaluation, rules: Rules) -> tuple[list[TestResult], bool, Fraction | None]:
    """Tariff shift and de minimis tests; returns them, whether the shift holds, and the value still to remove."""
    bom = ev.bom
    if not bom.tariff_shift_failures:
        return (
            [
                TestResult(
                    name="tariff_shift",
                    passed=True,
                    value="0",
                    required="0",
                    detail="every non-originating material makes the required shift",
                )
            ],
            True,
            None,
        )
    pct_dm = rules.de_minimis_pct
    limits = []
    if ev.tv is not None:
        limits.append(("transaction value", ev.tv))
    if ev.total_cost is not None:
        limits.append(("total cost", ev.total_cost))
    ids = ", ".join(bom.tariff_shift_failures)
    shift = TestResult(
        name="tariff_shift",
        passed=False,
        value=fmt(bom.tariff_shift_value),
        required="0",
        detail=f"non-originating materials failing the shift: {ids} (value {fmt(bom.tariff_shift_value)})",
    )
    src = rules.raw["de_minimis"]["source"]
    if not limits:
        dm = TestResult(
            name="de_minimis",
            passed=False,
            value=fmt(bom.tariff_shift_value),
            required=None,
            detail="de minimis needs transaction_value or cost.total_cost",
        )
        return [shift, dm], False, Fraction(bom.tariff_shift_value)
    best_name, best_base = max(limits, key=lambda x: x[1])
    limit = Fraction(best_base) * Fraction(pct_dm) / 100
    share = pct(bom.tariff_shift_value, best_base)
    ok = Fraction(bom.tariff_shift_value) <= limit
    dm = TestResult(
        name="de_minimis",
        passed=ok,
        value=fmt(share),
        required=fmt(pct_dm),
        detail=f"{fmt(bom.tariff_shift_value)} / {best_name} {fmt(best_base)} x 100 = {fmt(share)} "
        f"{'<=' if ok else '>'} {fmt(pct_dm)} ({src}); the value stays in VNM for the RVC",
    )
    return [shift, dm], ok, None if ok else Fraction(bom.tariff_shift_value) - limit


def decide(ev: Evaluation, rules: Rules, sha: str) -> QualifyAnswer:
    """Run the tests and build the answer."""
    req = ev.request
    thresholds = _thresholds(ev, rules)
    results = _method_results(ev, thresholds)
    if ev.tv is not None and "TV" not in thresholds and ev.vehicles is None:
        ev.warnings.append(
            f"transaction_value {fmt(ev.tv)} not used: no TV method is offered for category {ev.category}"
            + (" (set rule.tv_offered if the product rule has one)" if _tv_could_apply(ev, rules) else "")
        )
    method = _choose(ev, results, thresholds)
    tests: list[TestResult] = []
    chosen = results.get(method) if method else None
    rvc_ok = True
    if chosen is not None:
        th: Threshold = chosen["threshold"]
        value = chosen["rvc"]
        rvc_ok = chosen["margin"] >= 0
        flag = "" if th.verified else " [unverified]"
        tests.append(
            TestResult(
                name="rvc",
                passed=rvc_ok,
                value=fmt(value),
                required=fmt(th.pct),
                detail=f"{method}: ({fmt(chosen['base'])} - {fmt(ev.bom.vnm)}) / {fmt(chosen['base'])} x 100 = "
                f"{fmt(value)} {'>=' if rvc_ok else '<'} {fmt(th.pct)} ({th.source}){flag}",
            )
        )
    shift_ok = True
    shift_need: Fraction | None = None
    rule = req.rule
    combine = (rule.combine if rule and rule.combine else rules.default_policy("combine")) if rule else "and"
    if rule is not None and rule.tariff_shift:
        shift_tests, shift_ok, shift_need = _shift_tests(ev, rules)
        tests.extend(shift_tests)
    failing_core: list[str] = []
    if ev.category in VEHICLE_CATEGORIES:
        tagged = _tagged_core_parts(ev)
        if ev.core_parts is None and tagged:
            core, failing_core = tagged_core_parts_test(rules, ev.category, req.as_of, tagged, req.super_core)
        else:
            core, failing_core = core_parts_test(rules, ev.category, req.as_of, ev.core_parts, req.super_core)
        vt = ev.vehicle_type or "passenger"
        tests.extend(
            [
                core,
                purchases_test(rules, "steel", ev.steel, req.as_of),
                purchases_test(rules, "aluminum", ev.aluminum),
                lvc_test(rules, vt, req.as_of, ev.lvc),
            ]
        )
    has_rvc = chosen is not None
    has_shift = rule is not None and rule.tariff_shift
    if has_rvc and has_shift:
        origin_ok = (rvc_ok or shift_ok) if combine == "or" else (rvc_ok and shift_ok)
    else:
        origin_ok = rvc_ok and shift_ok
    others_ok = all(t.passed for t in tests if t.name in {"core_parts", "steel", "aluminum", "lvc"})
    qualifies = origin_ok and others_ok
    what_if = (
        None if qualifies else _what_if(ev, results, shift_need if has_shift else None, combine, tests, failing_core)
    )
    policy = {"core_part_rollup": ev.rollup}
    if ev.category == "heavy_truck_vehicle":
        policy["ht_lvc_credit"] = "true" if req.policy.ht_lvc_credit else "false"
    if has_rvc and has_shift:
        policy["combine"] = combine
    good = {
        "description": req.good.description,
        "hs": ev.hs,
        "category": ev.category,
        "end_use": req.good.end_use,
        "vehicle_type": ev.vehicle_type,
    }
    # The fields are built here from validated parts; skipping re-validation keeps large BOMs fast.
    return QualifyAnswer.model_construct(
        qualifies=qualifies,
        method=method if chosen is not None else None,
        rvc=fmt(chosen["rvc"]) if chosen else None,
        threshold=fmt(chosen["threshold"].pct) if chosen else None,
        base=fmt(chosen["base"]) if chosen else None,
        vnm=fmt(ev.bom.vnm),
        tests=tests,
        missing_evidence=ev.bom.missing_evidence,
        lines=ev.bom.lines,
        rules_version=rules.version,
        input_sha256=sha,
        category=ev.category,
        as_of=req.as_of.isoformat(),
        good=good,
        policy=policy,
        net_cost=fmt(ev.nc) if ev.nc is not None else None,
        transaction_value=fmt(ev.tv) if ev.tv is not None else None,
        margin=fmt(chosen["margin"]) if chosen else None,
        methods={
            m: {
                "rvc": fmt(r["rvc"]),
                "threshold": fmt(r["threshold"].pct),
                "passed": r["margin"] >= 0,
                "margin": fmt(r["margin"]),
            }
            for m, r in sorted(results.items())
        },
        threshold_source=chosen["threshold"].describe() if chosen else None,
        what_if=what_if,
        warnings=ev.warnings,
        core_parts=_core_part_rows(ev, rules) if ev.category in VEHICLE_CATEGORIES and ev.core_parts else None,
        vehicles=ev.vehicles,
    )


def _tagged_core_parts(ev: Evaluation) -> dict[str, bool]:
    """Top-level BOM lines tagged ``core_part``: part -> every such line originating (single goods only)."""
    return {} if ev.vehicles is not None else ev.bom.tagged_core_parts


def _core_part_rows(ev: Evaluation, rules: Rules) -> list[dict[str, Any]]:
    spec = rules.raw["core_parts"]["pv_lt" if ev.category == "pv_lt_vehicle" else "heavy_truck"]
    th = rules.threshold(spec["threshold_category"], "NC", ev.request.as_of).pct
    rows = []
    for name, p in sorted((ev.core_parts or {}).items()):
        value = rvc(p.net_cost, p.vnm)
        rows.append(
            {
                "part": name,
                "net_cost": fmt(p.net_cost),
                "vnm": fmt(p.vnm),
                "rvc": fmt(value),
                "required": fmt(th),
                "passed": bool(p.originating)
                if name == "advanced_battery" and p.originating is not None
                else value >= th,
            }
        )
    return rows


def _what_if(
    ev: Evaluation,
    results: dict[str, dict[str, Any]],
    shift_need: Fraction | None,
    combine: str,
    tests: list[TestResult],
    failing_core: list[str],
) -> dict[str, Any]:
    lines = [whatif.Line(i, v, c, n, f) for (i, v, c, n, f) in ev.bom.top]
    also = [f"core part {p} must become originating" for p in failing_core]
    also += [f"{t.name}: {t.detail}" for t in tests if t.name in {"steel", "aluminum", "lvc"} and not t.passed]
    if ev.category in VEHICLE_CATEGORIES and not failing_core:
        also += [f"core_parts: {t.detail}" for t in tests if t.name == "core_parts" and not t.passed]
    best: dict[str, Any] | None = None
    candidates = results.items() if results else [(None, None)]
    for method, r in candidates:
        rvc_need = None
        if r is not None and r["margin"] < 0:
            rvc_need = Fraction(ev.bom.vnm) - max_vnm(r["base"], r["threshold"].pct)
        elif r is not None and r["margin"] >= 0:
            rvc_need = Fraction(0)
        chosen = whatif.smallest_set(lines, rvc_need=rvc_need, shift_need=shift_need, combine=combine)
        if chosen is None:
            option = {"method": method, "materials": None, "qualifies_after": False}
        else:
            new_vnm = ev.bom.vnm - sum((ln.vnm for ln in chosen), Decimal(0))
            option = {
                "method": method,
                "materials": [ln.id for ln in chosen],
                "vnm_after": fmt(new_vnm),
                "rvc_after": fmt(rvc(r["base"], new_vnm)) if r is not None else None,
                "qualifies_after": not also,
            }
        if best is None or _better(option, best):
            best = option
    assert best is not None
    if best["materials"] is None:
        best["detail"] = "no choice of materials sourced as originating makes the good qualify"
    else:
        best["detail"] = (
            f"source {len(best['materials'])} material(s) as originating"
            if best["materials"]
            else "no material change needed for the RVC or tariff shift"
        )
        if also:
            best["detail"] += "; the tests in also_needed must be fixed too"
    best["also_needed"] = also
    return best


def _better(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if (a["materials"] is None) != (b["materials"] is None):
        return a["materials"] is not None
    if a["materials"] is None:
        return False
    return len(a["materials"]) < len(b["materials"])
