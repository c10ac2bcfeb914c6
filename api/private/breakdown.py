"""The private cost breakdown behind a certification: validated, normalized, and checked against the claim.

The breakdown never goes on the ledger (only its salted commitment does), so nobody downstream can catch a
figure that contradicts the certification. The API therefore checks, before anything is committed, that the
breakdown supports what the certification states: net cost is positive, materials do not exceed the total cost,
and a declared RVC (net cost or transaction value method) is not higher than the one the figures give, nor the
declared non-originating share lower. Pure code: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from api.origin.rvc import fmt, rvc
from ledger.errors import ValidationError

#: Amount fields a breakdown may hold (decimal strings, non-negative). ``total_cost`` is required.
AMOUNTS = (
    "total_cost",
    "sales_promotion",
    "royalties",
    "shipping_packing",
    "non_allowable_interest",
    "vnm",
    "originating_materials",
    "materials",
    "labor",
    "overhead",
    "profit",
    "transaction_value",
    "other_costs",
)
#: Net cost = total cost minus these (USMCA Article 4.5, net cost method).
EXCLUSIONS = ("sales_promotion", "royalties", "shipping_packing", "non_allowable_interest")
#: A declared percentage may exceed the computed one by at most half a unit of its last printed decimal.
ROUNDING = Fraction(5, 100)
MAX_AMOUNT = Decimal("1e15")


@dataclass(frozen=True)
class Claim:
    """What the certification states that the breakdown must support."""

    method: str | None
    rvc: str | None
    non_originating_share: str


def normalize(raw: dict[str, Any]) -> dict[str, str]:
    """The breakdown with every amount as a plain decimal string; unknown fields and bad amounts refused.

    Raises:
        ValidationError: naming the field and the value (``cost_breakdown.vnm '-3' must be ...``).
    """
    if not isinstance(raw, dict):
        raise ValidationError(f"cost_breakdown must be an object, got {type(raw).__name__}", field="cost_breakdown")
    out: dict[str, str] = {}
    for name, value in raw.items():
        field = f"cost_breakdown.{name}"
        if name == "currency":
            if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isascii():
                raise ValidationError(f"{field} {value!r} is not an ISO 4217 code", field=field, value=str(value))
            out[name] = value.upper()
            continue
        if name not in AMOUNTS:
            raise ValidationError(
                f"cost_breakdown has unknown field {name!r} (known: {', '.join(AMOUNTS)}, currency)",
                field=field,
                value=name,
            )
        out[name] = _amount(value, field)
    if "total_cost" not in out:
        raise ValidationError(
            "cost_breakdown is missing required field 'total_cost'", field="cost_breakdown.total_cost"
        )
    return dict(sorted(out.items()))


def _amount(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(
            f"{field} {value!r} must be a decimal string such as '12.50'", field=field, value=str(value)
        )
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError(f"{field} {value!r} is not a decimal amount", field=field, value=str(value)) from exc
    if not d.is_finite() or d < 0 or d >= MAX_AMOUNT:
        raise ValidationError(
            f"{field} {value!r} must be a non-negative amount below 10^15", field=field, value=str(value)
        )
    return fmt(d)


def net_cost(data: dict[str, str]) -> Decimal:
    """Total cost less the exclusions; refused when nothing is left."""
    total = Decimal(data["total_cost"])
    excluded = sum((Decimal(data.get(k, "0")) for k in EXCLUSIONS), Decimal(0))
    nc = total - excluded
    if nc <= 0:
        raise ValidationError(
            f"cost_breakdown.total_cost {data['total_cost']} less exclusions {fmt(excluded)} leaves net cost "
            f"{fmt(nc)}; it must be positive",
            field="cost_breakdown.total_cost",
            value=data["total_cost"],
        )
    return nc


def check_claim(data: dict[str, str], claim: Claim) -> dict[str, str]:
    """Refuse a breakdown that does not support the claim; returns the figures computed from it.

    Raises:
        ValidationError: naming the declared value and the one the breakdown gives.
    """
    nc = net_cost(data)
    total = Decimal(data["total_cost"])
    materials = sum((Decimal(data.get(k, "0")) for k in ("vnm", "originating_materials")), Decimal(0))
    if materials > total:
        raise ValidationError(
            f"cost_breakdown vnm + originating_materials {fmt(materials)} exceed total_cost {data['total_cost']}",
            field="cost_breakdown.vnm",
            value=data.get("vnm", "0"),
        )
    computed: dict[str, str] = {"net_cost": fmt(nc)}
    if claim.method is None:
        return computed
    if "vnm" not in data:
        raise ValidationError(
            f"cost_breakdown needs 'vnm' to support a {claim.method} regional value content claim",
            field="cost_breakdown.vnm",
        )
    vnm = Decimal(data["vnm"])
    if claim.method == "TV":
        if "transaction_value" not in data:
            raise ValidationError(
                "cost_breakdown needs 'transaction_value' to support a TV regional value content claim",
                field="cost_breakdown.transaction_value",
            )
        base = Decimal(data["transaction_value"])
        if base <= 0 or vnm > base:
            raise ValidationError(
                f"cost_breakdown.transaction_value {data['transaction_value']} must be positive and at least vnm "
                f"{data['vnm']}",
                field="cost_breakdown.transaction_value",
                value=data["transaction_value"],
            )
    else:
        base = nc
        if vnm > nc:
            raise ValidationError(
                f"cost_breakdown.vnm {data['vnm']} exceeds net cost {fmt(nc)}",
                field="cost_breakdown.vnm",
                value=data["vnm"],
            )
    actual = rvc(base, vnm)
    share = 100 - actual
    computed |= {"rvc": fmt(round(actual, 4)), "non_originating_share": fmt(round(share, 4))}
    if claim.rvc is not None and Fraction(Decimal(claim.rvc)) > actual + ROUNDING:
        raise ValidationError(
            f"rvc {claim.rvc} is higher than the {fmt(round(actual, 4))} % the cost breakdown gives "
            f"({claim.method}: base {fmt(base)}, vnm {data['vnm']})",
            field="rvc",
            value=claim.rvc,
        )
    if Fraction(Decimal(claim.non_originating_share)) < share - ROUNDING:
        raise ValidationError(
            f"non_originating_share {claim.non_originating_share} is lower than the {fmt(round(share, 4))} % the "
            f"cost breakdown gives (vnm {data['vnm']} of {fmt(base)})",
            field="non_originating_share",
            value=claim.non_originating_share,
        )
    return computed
