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
from dataclasses import dataclass
from decimal import Clamped, Decimal, DecimalException, Inexact, Rounded, localcontext
from typing import Any

from api.origin.bom import BomResult
from api.origin.decision import decide
from api.origin.evaluation import Evaluation, content_key, evaluate, input_sha256, parse_request
from api.origin.models import Lvc, Purchases, QualifyAnswer, QualifyRequest
from api.origin.rules import Rules, load_rules
from api.origin.rvc import fmt
from api.origin.vehicle import CorePartTotal
from ledger.errors import ValidationError

ZERO = Decimal(0)
_MEMO_LIMIT = 100_000


class _Totals:
    """Sums over the averaged goods, each distinct good added once with its multiplicity."""

    def __init__(self) -> None:
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

    def add(self, ev: Evaluation, times: int) -> None:
        """Add ``ev`` as ``times`` goods: each amount times ``times`` (plain addition when it is 1)."""

        def w(x: Decimal) -> Decimal:
            return x if times == 1 else x * times

        assert ev.nc is not None  # checked by _Sum.add
        as_of = ev.request.as_of
        self.as_of = as_of if self.as_of is None or as_of > self.as_of else self.as_of
        self.nc += w(ev.nc)
        self.total_cost = (
            None if self.total_cost is None or ev.total_cost is None else self.total_cost + w(ev.total_cost)
        )
        self.vnm += w(ev.bom.vnm)
        for mid, value, contrib, non_orig, fails in ev.bom.top:
            acc = self.lines.get(mid)
            if acc is None:
                self.lines[mid] = [w(value), w(contrib), non_orig, fails, times]
            else:
                acc[0] += w(value)
                acc[1] += w(contrib)
                acc[2] = acc[2] or non_orig
                acc[3] = acc[3] or fails
                acc[4] += times
        self.missing.update(ev.bom.missing_evidence)
        self.warnings.update(ev.warnings)
        if self.parts is not None:
            if ev.core_parts is None:
                self.parts = None
            else:
                for name, cp in ev.core_parts.items():
                    acc = self.parts.setdefault(name, [ZERO, ZERO, True])
                    acc[0] += w(cp.net_cost)
                    acc[1] += w(cp.vnm)
                    acc[2] = None if acc[2] is None or cp.originating is None else acc[2] and cp.originating
        self.steel = _add_purchases(self.steel, ev.steel)
        self.aluminum = _add_purchases(self.aluminum, ev.aluminum)
        if self.lvc is not None:
            if ev.lvc is None:
                self.lvc = None
            else:
                self.lvc[0] += w(ev.lvc.material_manufacturing * ev.nc)
                self.lvc[1] += w(ev.lvc.technology * ev.nc)
                self.lvc[2] += w(ev.lvc.assembly * ev.nc)


@dataclass(eq=False)
class _Good:
    """One distinct request among the averaged goods: its sha256 (ASCII), its evaluation, how many goods it is."""

    sha: bytes
    ev: Evaluation
    count: int = 0


class _Sum:
    """The averaged goods in order, counted per distinct good; their amounts are summed at the end (``totals``).

    A model line repeats a few hundred distinct requests over thousands of vehicles, so ``totals`` adds each
    distinct good once, times its count. Where that rounds nothing it is the very ``Decimal`` (value and
    exponent) of adding the goods one by one: every amount is >= 0, so no partial sum has more digits than the
    total. ``totals`` traps any rounding and then adds the goods one by one, in order, as before.
    """

    def __init__(self) -> None:
        self.n = 0
        self.first: Evaluation | None = None
        self.hasher = hashlib.sha256()
        self.goods: list[_Good] = []  # distinct, in order of first appearance
        self.order: list[_Good] | None = []  # every good in order; None once summed one by one (too many)
        self.streamed = _Totals()

    def add(self, good: _Good) -> None:
        ev = good.ev
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
        self.hasher.update(good.sha)
        self.n += 1
        if self.order is None:
            self.streamed.add(ev, 1)
            return
        if not good.count:
            self.goods.append(good)
        good.count += 1
        self.order.append(good)
        if len(self.goods) > _MEMO_LIMIT:  # mostly distinct goods: bound the memory, sum one by one from here
            for g in self.order:
                self.streamed.add(g.ev, 1)
            self.goods, self.order = [], None

    def totals(self) -> _Totals:
        """The sums, exactly those of adding every good one by one in order."""
        if self.order is None:
            return self.streamed
        try:
            with localcontext() as ctx:
                ctx.traps[Inexact] = ctx.traps[Rounded] = ctx.traps[Clamped] = True
                out = _Totals()
                for g in self.goods:
                    out.add(g.ev, g.count)
                return out
        except DecimalException:
            out = _Totals()
            for g in self.order:
                out.add(g.ev, 1)
            return out


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
    return qualify_average_keyed(((None, request) for request in requests), as_of=as_of)


def _evaluated(request: dict[str, Any] | QualifyRequest, rules: Rules, seen: dict[str, _Good]) -> _Good:
    """One request's good, shared with an identical request's (same sha256) when one was seen."""
    if isinstance(request, dict):
        sha = input_sha256(request)
        good = seen.get(sha)
        if good is None:
            good = _Good(sha.encode(), evaluate(parse_request(request), rules, detail=False))
    else:
        parsed = parse_request(request)
        sha = input_sha256(parsed.raw)
        good = seen.get(sha) or _Good(sha.encode(), evaluate(parsed, rules, detail=False))
    if len(seen) < _MEMO_LIMIT:
        seen[sha] = good
    return good


def qualify_average_keyed(
    items: Iterable[tuple[bytes | None, dict[str, Any] | QualifyRequest]], *, as_of: dt.date | None = None
) -> QualifyAnswer:
    """``qualify_average`` over ``(key, request)`` pairs, for callers that already know which requests repeat.

    Equal non-``None`` keys promise equal requests (the model-line report keys each vehicle's inputs, from which
    its request follows); a ``None`` key is replaced by the request's ``content_key``. Either way a repeated
    request costs a dictionary look-up, not its canonical JSON and sha256.

    Raises:
        ValidationError: as ``qualify_average``.
    """
    rules = load_rules()
    acc = _Sum()
    # Vehicles of one configuration built on the same day send identical requests: evaluate each distinct
    # request once. Evaluations are not changed after they are built, so reuse is exact.
    seen: dict[str, _Good] = {}
    known: dict[bytes, _Good] = {}
    for i, (given, request) in enumerate(items):
        key = content_key(request) if given is None and isinstance(request, dict) else given
        good = known.get(key) if key is not None else None
        if good is None:
            try:
                good = _evaluated(request, rules, seen)
            except ValidationError as err:
                raise ValidationError(
                    f"item {i}: {err.message}", field=f"[{i}].{err.field or ''}".rstrip(".")
                ) from None
            if key is not None and len(known) < _MEMO_LIMIT:
                known[key] = good
        acc.add(good)
    if acc.first is None:
        raise ValidationError("nothing to average: no requests given", field="requests")
    first = acc.first
    sums = acc.totals()
    when = as_of or sums.as_of
    req = first.request.model_copy(update={"as_of": when, "method": "NC", "super_core": first.request.super_core})
    top = tuple((mid, a[0], a[1], a[2], a[3]) for mid, a in sorted(sums.lines.items()))
    lines = [
        {
            "id": mid,
            "value": fmt(v),
            "vnm": fmt(c),
            "originating": fmt(v - c),
            "goods": n,
            "why": "summed over the averaged goods",
        }
        for mid, v, c, _, _, n in ((mid, *a[:4], a[4]) for mid, a in sorted(sums.lines.items()))
    ]
    ts_ids = tuple(mid for mid, _, _, non_orig, fails in top if non_orig and fails)
    ts_value = sum((v for mid, v, _, non_orig, fails in top if non_orig and fails), ZERO)
    bom = BomResult(sums.vnm, lines, sorted(sums.missing), top, ts_ids, ts_value)
    parts = {name: CorePartTotal(name, a[0], a[1], a[2]) for name, a in sums.parts.items()} if sums.parts else None
    lvc = None
    if sums.lvc is not None:
        lvc = Lvc(
            material_manufacturing=sums.lvc[0] / sums.nc,
            technology=sums.lvc[1] / sums.nc,
            assembly=sums.lvc[2] / sums.nc,
        )
    ev = Evaluation(
        category=first.category,
        vehicle_type=first.vehicle_type,
        request=req,
        hs=first.hs,
        tv=None,
        nc=sums.nc,
        total_cost=sums.total_cost,
        bom=bom,
        core_parts=parts,
        steel=_total_purchases(sums.steel),
        aluminum=_total_purchases(sums.aluminum),
        lvc=lvc,
        rollup=first.rollup,
        warnings=sorted(sums.warnings),
        vehicles=acc.n,
    )
    return decide(ev, rules, acc.hasher.hexdigest())
