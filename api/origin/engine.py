"""``qualify``: one request in, one answer out, byte for byte the same every time.

The engine is pure: the rules data is loaded from the package, nothing else is read or written. It parses the
request, evaluates the BOM once, computes the RVC under each method the rule offers, runs the tests that apply
to the category, and for a failing good works out the smallest what-if sourcing change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pydantic

from api.origin import whatif
from api.origin.bom import BomResult, evaluate_bom
from api.origin.hs import derive_category, normalize_hs, vehicle_category
from api.origin.models import VEHICLE_CATEGORIES, Lvc, Purchases, QualifyAnswer, QualifyRequest, TestResult
from api.origin.rules import Rules, Threshold, load_rules
from api.origin.rvc import fmt, max_vnm, net_cost_from, pct, rvc
from api.origin.vehicle import CorePartTotal, core_parts_test, lvc_test, purchases_test, total_core_parts
from ledger.errors import ParseError, ValidationError


@dataclass
class Evaluation:
    """Everything the decision needs, after parsing; averaging builds one from many vehicles."""

    category: str
    vehicle_type: str | None
    request: QualifyRequest
    hs: str | None
    tv: Decimal | None
    nc: Decimal | None
    total_cost: Decimal | None
    bom: BomResult
    core_parts: dict[str, CorePartTotal] | None
    steel: Purchases | None
    aluminum: Purchases | None
    lvc: Lvc | None
    rollup: str
    warnings: list[str] = field(default_factory=list)
    vehicles: int | None = None


def parse_request(request: dict[str, Any] | QualifyRequest) -> tuple[QualifyRequest, dict[str, Any]]:
    """Validate a request; returns the model and the raw form that ``input_sha256`` is computed over.

    Raises:
        ValidationError: the first problems, each naming the field path and the value received.
    """
    if isinstance(request, QualifyRequest):
        return request, request.model_dump(mode="json", exclude_unset=True)
    if not isinstance(request, dict):
        raise ValidationError(f"a request must be a JSON object, got {type(request).__name__}", field="$")
    try:
        return QualifyRequest.model_validate(request), request
    except pydantic.ValidationError as err:
        raise pydantic_to_error(err) from None


def pydantic_to_error(err: pydantic.ValidationError) -> ValidationError:
    """Turn pydantic's report into one project error whose message names the path and the value."""
    parts = []
    first_path = ""
    for e in err.errors()[:3]:
        path = ""
        for loc in e["loc"]:
            path += f"[{loc}]" if isinstance(loc, int) else (f".{loc}" if path else str(loc))
        first_path = first_path or path
        got = e.get("input")
        shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
        parts.append(f"{path}: {e['msg']} (got {shown[:80]})")
    more = len(err.errors()) - 3
    text = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return ValidationError(text, field=first_path or None)


def input_sha256(raw: dict[str, Any]) -> str:
    """sha256 of the request as received, in canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unknown_field_warnings(req: QualifyRequest) -> list[str]:
    out = [f"unknown field {k!r} ignored" for k in sorted(req.model_extra or {})]
    for name in ("good", "cost", "rule", "policy", "steel", "aluminum", "lvc"):
        sub = getattr(req, name)
        if sub is not None and sub.model_extra:
            out.extend(f"unknown field '{name}.{k}' ignored" for k in sorted(sub.model_extra))
    for i, m in enumerate(req.materials):
        if m.model_extra:
            out.extend(f"unknown field 'materials[{i}].{k}' ignored" for k in sorted(m.model_extra))
    return out


def evaluate(req: QualifyRequest, rules: Rules, *, detail: bool = True) -> Evaluation:
    """Derive the category, net cost and BOM contributions of one request (``detail``: per-line reasons)."""
    hs = normalize_hs(req.good.hs) if req.good.hs is not None else None
    category = req.good.category or _category(req, rules, hs)
    vehicle_type = req.good.vehicle_type
    if category in VEHICLE_CATEGORIES and vehicle_type is None:
        found = vehicle_category(rules, hs, None) if hs else None
        vehicle_type = found[1] if found else ("heavy_truck" if category == "heavy_truck_vehicle" else None)
    if category == "pv_lt_vehicle" and vehicle_type == "heavy_truck":
        raise ValidationError(
            "good.vehicle_type heavy_truck contradicts category pv_lt_vehicle", field="good.vehicle_type"
        )
    nc = req.net_cost
    total_cost = req.cost.total_cost if req.cost else None
    warnings = _unknown_field_warnings(req)
    if req.cost is not None:
        derived = net_cost_from(req.cost)
        if nc is not None and nc != derived:
            raise ValidationError(
                f"net_cost {fmt(nc)} differs from the net cost {fmt(derived)} derived from cost",
                field="net_cost",
            )
        nc = derived
    rollup = req.policy.core_part_rollup or rules.default_policy("core_part_rollup")
    bom = evaluate_bom(req.materials, rollup=rollup, fmt=fmt, detail=detail)
    return Evaluation(
        category=category,
        vehicle_type=vehicle_type,
        request=req,
        hs=hs,
        tv=req.transaction_value,
        nc=nc,
        total_cost=total_cost,
        bom=bom,
        core_parts=total_core_parts(req.core_parts) if req.core_parts is not None else None,
        steel=req.steel,
        aluminum=req.aluminum,
        lvc=req.lvc,
        rollup=rollup,
        warnings=warnings,
    )


def _category(req: QualifyRequest, rules: Rules, hs: str | None) -> str:
    """Derive the category; a good the tables cannot place but that brings its own rule is ``general``."""
    try:
        return derive_category(rules, hs, req.good.end_use, req.good.vehicle_type)
    except ValidationError:
        if req.rule is not None and (req.rule.rvc or req.rule.tariff_shift):
            return "general"
        raise


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
    entry = rules.raw["thresholds"][ev.category]
    out = {"NC": rules.threshold(ev.category, "NC", as_of)}
    tv_rules = rules.raw["tv_offered_by_default"]
    tv_possible = "TV" in entry and ev.category not in tv_rules["vehicle_categories"]
    if tv_possible and not (ev.hs and ev.hs[:2] in tv_rules["never_for_chapters"]):
        if rule and rule.tv_offered:
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
        core, failing_core = core_parts_test(rules, ev.category, req.as_of, ev.core_parts, req.super_core)
        vt = ev.vehicle_type or "passenger"
        tests.extend(
            [
                core,
                purchases_test(rules, "steel", ev.steel),
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


def qualify(request: dict[str, Any] | QualifyRequest) -> QualifyAnswer:
    """Qualify one good: the library call behind ``usmca origin qualify``.

    Raises:
        ValidationError: a request that breaks the contract, with the offending field and value.
    """
    rules = load_rules()
    req, raw = parse_request(request)
    return decide(evaluate(req, rules), rules, input_sha256(raw))


def answer_json(answer: QualifyAnswer) -> str:
    """The canonical text form of an answer (sorted keys, two-space indent, UTF-8)."""
    return json.dumps(answer.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False)


def qualify_json(text: str) -> str:
    """Qualify a JSON request given as text and return the JSON answer; same text, same bytes.

    Raises:
        ParseError: text that is not JSON, naming the position.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"request is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    return answer_json(qualify(data))
