"""RVC arithmetic: net cost from its parts, the TV and NC formulas, and exact comparison with a threshold.

Ratios are exact ``Fraction``s so that a good exactly at the threshold qualifies (comparison is ``>=`` on
unrounded values; no rounding rule exists in the statute). ``fmt`` turns them into decimal strings: exact when
the decimal expansion ends within 28 significant digits, else rounded half-even at 28 digits.
"""

from __future__ import annotations

from decimal import Context, Decimal
from fractions import Fraction

from api.origin.models import Cost
from ledger.errors import ValidationError

_CTX = Context(prec=28)
HUNDRED = Fraction(100)


def net_cost_from(cost: Cost) -> Decimal:
    """Net cost = total cost - sales promotion - royalties - shipping and packing - non-allowable interest.

    Raises:
        ValidationError: the exclusions consume the whole total cost.
    """
    excluded = cost.sales_promotion + cost.royalties + cost.shipping_packing + cost.non_allowable_interest
    nc = cost.total_cost - excluded
    if nc <= 0:
        raise ValidationError(
            f"cost.total_cost {fmt(cost.total_cost)} less exclusions {fmt(excluded)} leaves net cost {fmt(nc)}; "
            "it must be positive",
            field="cost",
            value=str(cost.total_cost),
        )
    return nc


def rvc(base: Decimal, vnm: Decimal) -> Fraction:
    """(base - VNM) / base x 100, the TV (4531(d)(2)) and NC (4531(d)(3)) formula, unrounded."""
    b = Fraction(base)
    return (b - Fraction(vnm)) / b * HUNDRED


def max_vnm(base: Decimal, threshold: Decimal) -> Fraction:
    """The largest VNM that still meets ``threshold`` on ``base``: base x (1 - threshold / 100)."""
    return Fraction(base) * (1 - Fraction(threshold) / HUNDRED)


def pct(part: Decimal | Fraction, whole: Decimal | Fraction) -> Fraction:
    """Part / whole x 100 as an exact fraction."""
    return Fraction(part) / Fraction(whole) * HUNDRED


def fmt(x: Decimal | Fraction | int) -> str:
    """Plain decimal string without exponent or trailing zeros ("75", "66.5", "-3.25")."""
    if type(x) is Decimal:
        text = str(x)
        if "E" not in text:
            if "." not in text:
                return "0" if text == "-0" else text
            if text[-1] != "0":
                return text
            if len(text) <= 28:  # at most 27 digits, which normalizing would keep: just drop the trailing zeros
                text = text.rstrip("0").rstrip(".")
                return "0" if text in ("0", "-0") else text
        d = x
    elif isinstance(x, Fraction):
        d = _CTX.divide(Decimal(x.numerator), Decimal(x.denominator))
    else:
        d = Decimal(x)
    if d == 0:
        return "0"
    return format(d.normalize(_CTX), "f")
