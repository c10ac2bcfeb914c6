"""Averaging over a period and a model line: one answer from the summed net cost and VNM of many goods.

The Uniform Regulations let a vehicle producer average the RVC over a model line and period (CA-ROO s.16,
19 CFR 182.100) and a parts producer average over a plant and period (s.16(10)): the RVC is
(sum NC - sum VNM) / sum NC, core parts are summed part by part, and LVC points are weighted by net cost.
Steel and aluminum purchases are the producer's figures for the whole period (s.17), not per vehicle: every
vehicle of a line carries the same figures, so each distinct figure counts once (two plants' different figures
are added). Averaging is a net-cost method, so the answer's method is always NC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from api.origin.bom import BomResult
from api.origin.decision import decide
from api.origin.evaluation import Evaluation, evaluate, input_sha256, parse_request
from api.origin.models import Lvc, Purchases, QualifyAnswer, QualifyRequest
from api.origin.rules import load_rules
from api.origin.rvc import fmt
from api.origin.vehicle import CorePartTotal
from ledger.errors import ValidationError

ZERO = Decimal(0)
_MEMO_LIMIT = 100_000


class _Sum:
    """Running totals over the averaged goods."""

    def __init__(self) -> None:
        self.n = 0
        self.first: Evaluation | None = None
        self.as_of: dt.date | None = None
        self.nc = ZERO
        self.total_cost: Decimal | None = ZERO
        self.vnm = ZERO
        self.lines: dict[str, list[Any]] = {}
        self.missing: set[str] = set()
        self.parts: dict[str, list[Any]] | None = {}
        self.steel: set[tuple[Decimal, Decimal]] | None = set()
        self.aluminum: set[tuple[Decimal, Decimal]] | None = set()
        self.lvc: list[Decimal] | None = [ZERO, ZERO, ZERO]
        self.warnings: set[str] = set()
        self.hasher = hashlib.sha256()

    def add(self, ev: Evaluation, sha: str) -> None:
        if self.first is None:
            self.first = ev
        elif ev.category != self.first.category:
            raise ValidationError(
                f"cannot average category {ev.category} with {self.first.category} (item {self.n})",
                field=f"[{self.n}].good.category",
                value=ev.category,
            )
        if ev.nc is None:
            raise ValidationError(
                f"item {self.n} has no net_cost or cost; averaging needs net cost",
                field=f"[{self.n}].net_cost",
            )
        self.hasher.update(sha.encode())
        self.n += 1
        as_of = ev.request.as_of
        self.as_of = as_of if self.as_of is None or as_of > self.as_of else self.as_of
        self.nc += ev.nc
        self.total_cost = None if self.total_cost is None or ev.total_cost is None else self.total_cost + ev.total_cost
        self.vnm += ev.bom.vnm
        for mid, value, contrib, non_orig, fails in ev.bom.top:
            acc = self.lines.get(mid)
            if acc is None:
                self.lines[mid] = [value, contrib, non_orig, fails, 1]
            else:
                acc[0] += value
                acc[1] += contrib
                acc[2] = acc[2] or non_orig
                acc[3] = acc[3] or fails
                acc[4] += 1
        self.missing.update(ev.bom.missing_evidence)
        self.warnings.update(ev.warnings)
        if self.parts is not None:
            if ev.core_parts is None:
                self.parts = None
            else:
                for name, cp in ev.core_parts.items():
                    acc = self.parts.setdefault(name, [ZERO, ZERO, True])
                    acc[0] += cp.net_cost
                    acc[1] += cp.vnm
                    acc[2] = None if acc[2] is None or cp.originating is None else acc[2] and cp.originating
        self.steel = _add_purchases(self.steel, ev.steel)
        self.aluminum = _add_purchases(self.aluminum, ev.aluminum)
        if self.lvc is not None:
            if ev.lvc is None:
                self.lvc = None
            else:
                self.lvc[0] += ev.lvc.material_manufacturing * ev.nc
                self.lvc[1] += ev.lvc.technology * ev.nc
                self.lvc[2] += ev.lvc.assembly * ev.nc


def _add_purchases(
    acc: set[tuple[Decimal, Decimal]] | None, p: Purchases | None
) -> set[tuple[Decimal, Decimal]] | None:
    """Collect distinct period figures (a vehicle without them makes the line's figures unknown)."""
    if acc is None or p is None:
        return None
    acc.add((p.purchases, p.originating))  # Decimal hashes by value: "1000" and "1000.00" are one figure
    return acc


def _total_purchases(acc: set[tuple[Decimal, Decimal]] | None) -> Purchases | None:
    """The line's purchases: each distinct period figure once."""
    if not acc:
        return None
    return Purchases(purchases=sum((p for p, _ in acc), ZERO), originating=sum((o for _, o in acc), ZERO))


def qualify_average(
    requests: Iterable[dict[str, Any] | QualifyRequest], *, as_of: dt.date | None = None
) -> QualifyAnswer:
    """Average many requests of one category (a model line over a period) into one NC answer.

    Args:
        requests: each good's request (for vehicles, one per vehicle produced in the period).
        as_of: the date whose thresholds apply; by default the latest ``as_of`` among the requests, which is
            the conservative choice because thresholds only rise over time.

    Raises:
        ValidationError: no requests, mixed categories, or a request without net cost.
    """
    rules = load_rules()
    acc = _Sum()
    # Vehicles of one configuration built on the same day send identical requests: evaluate each distinct
    # request (by its sha256) once. Evaluations are not changed after they are built, so reuse is exact.
    seen: dict[str, Evaluation] = {}
    for i, request in enumerate(requests):
        try:
            if isinstance(request, dict):
                sha = input_sha256(request)
                ev = seen.get(sha)
                if ev is None:
                    ev = evaluate(parse_request(request), rules, detail=False)
            else:
                parsed = parse_request(request)
                sha = input_sha256(parsed.raw)
                ev = seen.get(sha) or evaluate(parsed, rules, detail=False)
        except ValidationError as err:
            raise ValidationError(f"item {i}: {err.message}", field=f"[{i}].{err.field or ''}".rstrip(".")) from None
        if len(seen) < _MEMO_LIMIT:
            seen[sha] = ev
        acc.add(ev, sha)
    if acc.first is None:
        raise ValidationError("nothing to average: no requests given", field="requests")
    first = acc.first
    when = as_of or acc.as_of
    req = first.request.model_copy(update={"as_of": when, "method": "NC", "super_core": first.request.super_core})
    top = tuple((mid, a[0], a[1], a[2], a[3]) for mid, a in sorted(acc.lines.items()))
    lines = [
        {
            "id": mid,
            "value": fmt(v),
            "vnm": fmt(c),
            "originating": fmt(v - c),
            "goods": n,
            "why": "summed over the averaged goods",
        }
        for mid, v, c, _, _, n in ((mid, *a[:4], a[4]) for mid, a in sorted(acc.lines.items()))
    ]
    ts_ids = tuple(mid for mid, _, _, non_orig, fails in top if non_orig and fails)
    ts_value = sum((v for mid, v, _, non_orig, fails in top if non_orig and fails), ZERO)
    bom = BomResult(acc.vnm, lines, sorted(acc.missing), top, ts_ids, ts_value)
    parts = {name: CorePartTotal(name, a[0], a[1], a[2]) for name, a in acc.parts.items()} if acc.parts else None
    lvc = None
    if acc.lvc is not None:
        lvc = Lvc(
            material_manufacturing=acc.lvc[0] / acc.nc,
            technology=acc.lvc[1] / acc.nc,
            assembly=acc.lvc[2] / acc.nc,
        )
    ev = Evaluation(
        category=first.category,
        vehicle_type=first.vehicle_type,
        request=req,
        hs=first.hs,
        tv=None,
        nc=acc.nc,
        total_cost=acc.total_cost,
        bom=bom,
        core_parts=parts,
        steel=_total_purchases(acc.steel),
        aluminum=_total_purchases(acc.aluminum),
        lvc=lvc,
        rollup=first.rollup,
        warnings=sorted(acc.warnings),
        vehicles=acc.n,
    )
    return decide(ev, rules, acc.hasher.hexdigest())
