"""Parsing a request and evaluating it: category, net cost and each BOM line's contribution.

Split from the decision so that averaging can build one ``Evaluation`` from many goods and reuse the same
decision code. An evaluation is never changed after it is built, so it can be shared.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic

from api.origin.bom import BomResult, evaluate_bom
from api.origin.hs import derive_category, normalize_hs, vehicle_category
from api.origin.lines import BomLines, lines_from_json, lines_from_models
from api.origin.models import VEHICLE_CATEGORIES, Lvc, Purchases, QualifyRequest
from api.origin.rules import Rules
from api.origin.rvc import fmt, net_cost_from
from api.origin.vehicle import CorePartTotal, total_core_parts
from ledger.errors import ValidationError


@dataclass
class Evaluation:
    """Everything the decision needs, after parsing; averaging builds one from many vehicles.

    ``request`` carries no BOM (see ``ParsedRequest``): what the decision needs from the lines is in ``bom``.
    """

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


@dataclass(frozen=True)
class ParsedRequest:
    """A validated request: everything but the BOM as the pydantic model, the BOM as columns of plain values.

    ``request.materials`` is always empty: the engine reads the BOM from ``lines`` only. ``raw`` is the form
    that ``input_sha256`` is computed over.
    """

    request: QualifyRequest
    lines: BomLines
    raw: dict[str, Any]


def parse_request(request: dict[str, Any] | QualifyRequest) -> ParsedRequest:
    """Validate a request: a plain JSON BOM without pydantic (``lines``), anything else whole by pydantic.

    Raises:
        ValidationError: the first problems, each naming the field path and the value received.
    """
    if isinstance(request, QualifyRequest):
        raw = request.model_dump(mode="json", exclude_unset=True)
        return ParsedRequest(request.model_copy(update={"materials": []}), lines_from_models(request.materials), raw)
    if not isinstance(request, dict):
        raise ValidationError(f"a request must be a JSON object, got {type(request).__name__}", field="$")
    lines = lines_from_json(request.get("materials", []))
    if lines is not None:
        try:
            head = QualifyRequest.model_validate({k: v for k, v in request.items() if k != "materials"})
        except pydantic.ValidationError:
            pass  # validated whole below, so the report lists the problems exactly as pydantic orders them
        else:
            return ParsedRequest(head, lines, request)
    try:
        full = QualifyRequest.model_validate(request)
    except pydantic.ValidationError as err:
        raise pydantic_to_error(err) from None
    return ParsedRequest(full.model_copy(update={"materials": []}), lines_from_models(full.materials), request)


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


def content_key(value: Any) -> bytes | None:
    """A 32-byte key, equal only for equal values built of plain types (as parsed JSON is), else ``None``.

    Caches of identical requests key on it: marshal (C code, several times faster than the canonical JSON of
    ``input_sha256``) writes only exact built-in types and refuses the rest (``Decimal``, dates, subclasses),
    and equal bytes load back as equal values; their sha256 keeps the key short. Equal values may still give
    different bytes (dict order; objects shared elsewhere are written as references): that only misses a reuse.
    """
    try:
        return hashlib.sha256(marshal.dumps(value)).digest()
    except ValueError:
        return None


def _unknown_field_warnings(req: QualifyRequest) -> list[str]:
    out = [f"unknown field {k!r} ignored" for k in sorted(req.model_extra or {})]
    for name in ("good", "cost", "rule", "policy", "steel", "aluminum", "lvc"):
        sub = getattr(req, name)
        if sub is not None and sub.model_extra:
            out.extend(f"unknown field '{name}.{k}' ignored" for k in sorted(sub.model_extra))
    return out


def evaluate(parsed: ParsedRequest, rules: Rules, *, detail: bool = True) -> Evaluation:
    """Derive the category, net cost and BOM contributions of one request (``detail``: per-line reasons)."""
    req = parsed.request
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
    warnings = _unknown_field_warnings(req) + list(parsed.lines.warnings)
    if req.cost is not None:
        derived = net_cost_from(req.cost)
        if nc is not None and nc != derived:
            raise ValidationError(
                f"net_cost {fmt(nc)} differs from the net cost {fmt(derived)} derived from cost",
                field="net_cost",
            )
        nc = derived
    rollup = req.policy.core_part_rollup or rules.default_policy("core_part_rollup")
    bom = evaluate_bom(parsed.lines, rollup=rollup, detail=detail)
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
