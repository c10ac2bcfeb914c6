"""What-if: the smallest set of materials that, sourced as originating, would make a failing good qualify.

Sourcing a non-originating line as originating removes its VNM contribution and its tariff-shift failure.
For the RVC alone the smallest set is the prefix of lines sorted by contribution (largest first), which is
optimal for cardinality. When a tariff shift *and* an RVC are both needed the engine tries every count of
shift-failing lines (largest first) and fills the RVC gap greedily - minimal in practice, not proven so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate

_MAX_SHIFT_TRIES = 256


@dataclass(frozen=True)
class Line:
    """A top-level material as the what-if sees it."""

    id: str
    value: Decimal
    vnm: Decimal
    non_originating: bool
    fails_tariff_shift: bool


def _rvc_set(lines: Sequence[Line], need: Fraction, exclude: frozenset[str] = frozenset()) -> list[Line] | None:
    if need <= 0:
        return []
    pool = sorted((ln for ln in lines if ln.id not in exclude and ln.vnm > 0), key=lambda ln: (-ln.vnm, ln.id))
    for i, total in enumerate(accumulate(Fraction(ln.vnm) for ln in pool)):
        if total >= need:
            return pool[: i + 1]
    return None


def _shift_set(lines: Sequence[Line], need: Fraction) -> list[Line] | None:
    if need <= 0:
        return []
    pool = sorted((ln for ln in lines if ln.fails_tariff_shift), key=lambda ln: (-ln.value, ln.id))
    for i, total in enumerate(accumulate(Fraction(ln.value) for ln in pool)):
        if total >= need:
            return pool[: i + 1]
    return None


def smallest_set(
    lines: Sequence[Line], *, rvc_need: Fraction | None, shift_need: Fraction | None, combine: str
) -> list[Line] | None:
    """Smallest set meeting the needs; ``None`` means no set of materials can make the good qualify.

    Args:
        lines: top-level lines that are counted non-originating.
        rvc_need: VNM reduction still needed for the RVC (None when no RVC applies).
        shift_need: value of shift-failing lines still to remove (None when no tariff shift applies).
        combine: "and" when both must hold, "or" when either suffices.
    """
    cands = [ln for ln in lines if ln.non_originating]
    if rvc_need is None and shift_need is None:
        return []
    if rvc_need is None:
        return _shift_set(cands, shift_need or Fraction(0))
    if shift_need is None:
        return _rvc_set(cands, rvc_need)
    if combine == "or":
        options = [s for s in (_rvc_set(cands, rvc_need), _shift_set(cands, shift_need)) if s is not None]
        return min(options, key=len) if options else None
    shifters = sorted((ln for ln in cands if ln.fails_tariff_shift), key=lambda ln: (-ln.value, ln.id))
    best: list[Line] | None = None
    removed_value = Fraction(0)
    removed_vnm = Fraction(0)
    for k in range(min(len(shifters), _MAX_SHIFT_TRIES) + 1):
        if k:
            removed_value += Fraction(shifters[k - 1].value)
            removed_vnm += Fraction(shifters[k - 1].vnm)
        if removed_value < shift_need:
            continue
        chosen = shifters[:k]
        rest = _rvc_set(cands, rvc_need - removed_vnm, frozenset(ln.id for ln in chosen))
        if rest is not None and (best is None or k + len(rest) < len(best)):
            best = chosen + rest
    return best
