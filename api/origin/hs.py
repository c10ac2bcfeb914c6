"""HS codes: normalising what users type and deriving the rules category from ``hs`` and ``end_use``.

Derivation is deliberately strict: when a subheading sits in two tables only through an "ex" line (8708.29 body
stampings are Table A.1, other 8708.29 body parts Table B) the engine refuses to guess and asks for
``good.category``, because a wrong guess changes the threshold by several points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from api.origin.rules import Rules
from ledger.errors import ValidationError

_HS_RE = re.compile(r"^\d{4}(\d{2}(\d{2}(\d{2})?)?)?$")

#: Which table gives which category for each original-equipment end use.
_TABLE_CATEGORY = {
    "oe_pv_lt": (("A.1", "table_a1_core"), ("B", "table_b_principal"), ("C", "table_c_complementary")),
    "oe_heavy_truck": (("D", "table_d_ht_parts"), ("E", "table_e_ht_parts")),
}


def normalize_hs(value: str, *, field: str = "good.hs", min_digits: int = 4) -> str:
    """Digits only: "8708.40" and "870840" both give "870840"; 4, 6, 8 or 10 digits are accepted.

    Raises:
        ValidationError: anything else, naming the value.
    """
    digits = re.sub(r"[.\s]", "", str(value))
    if not _HS_RE.match(digits) or len(digits) < min_digits:
        raise ValidationError(
            f"HS code {value!r} is not a valid HS number (4, 6, 8 or 10 digits, dots allowed)",
            field=field,
            value=value,
        )
    return digits


@dataclass(frozen=True)
class TableHit:
    """One line of an HS table matching a code."""

    table: str
    hs: str
    ex: bool
    description: str


@lru_cache(maxsize=8)
def _index(rules: Rules) -> dict[str, list[TableHit]]:
    out: dict[str, list[TableHit]] = {}
    for table, rows in rules.tables["tables"].items():
        for row in rows:
            hit = TableHit(table, row["hs"], bool(row.get("ex")), row.get("d", ""))
            out.setdefault(row["hs"], []).append(hit)
    return out


def table_hits(rules: Rules, hs: str) -> list[TableHit]:
    """Every table line covering ``hs`` (6-digit lines, and 4-digit heading lines)."""
    idx = _index(rules)
    return [*idx.get(hs[:6], []), *idx.get(hs[:4], [])] if len(hs) >= 6 else list(idx.get(hs[:4], []))


def vehicle_category(rules: Rules, hs: str, vehicle_type: str | None) -> tuple[str, str] | None:
    """(category, vehicle_type) for a vehicle subheading, or None when ``hs`` is not a vehicle line."""
    vehicles = rules.raw["vehicles"]
    six = hs[:6]
    if six in vehicles["passenger"]:
        return "pv_lt_vehicle", vehicle_type or "passenger"
    if six in vehicles["light_truck"]:
        return "pv_lt_vehicle", vehicle_type or "light_truck"
    if six in vehicles["heavy_truck"]:
        return "heavy_truck_vehicle", vehicle_type or "heavy_truck"
    if six in vehicles["art10_other_62_5"]:
        return "art10_other_62_5", vehicle_type or ""
    if six in vehicles["art10_other_60"]:
        return "art10_other_60", vehicle_type or ""
    return None


def derive_category(rules: Rules, hs: str | None, end_use: str | None, vehicle_type: str | None) -> str:
    """The rules category for a good, from its HS subheading and end use.

    Raises:
        ValidationError: when the tables cannot decide (no HS, ambiguous "ex" lines, aftermarket goods, other
            vehicles) - the message says which ``good.category`` values fit.
    """
    if hs is None:
        raise ValidationError("good.category is missing and good.hs is not given to derive it", field="good.category")
    found = vehicle_category(rules, hs, vehicle_type)
    if found is not None:
        return found[0]
    if hs.startswith(("8702", "8703", "8704", "8701", "8705")):
        raise ValidationError(
            f"HS {hs} is a vehicle line the tables cannot classify alone (off-road, bus seating or body type); "
            "give good.category",
            field="good.category",
            value=hs,
        )
    if end_use is None:
        raise ValidationError(
            f"good.end_use is needed to derive the category of HS {hs} (oe_pv_lt, oe_heavy_truck, other_vehicle, "
            "aftermarket)",
            field="good.end_use",
            value=hs,
        )
    if end_use == "aftermarket":
        raise ValidationError(
            f"HS {hs} for aftermarket use follows its own product-specific rule (the automotive table percentages "
            "apply to original equipment only, CA-ROO s.14(18)); give good.category general and a rule",
            field="rule",
            value=hs,
        )
    if end_use == "other_vehicle":
        raise ValidationError(
            f"HS {hs} for an Article 10 vehicle: give good.category art10_other_62_5 or art10_other_60 according "
            "to the vehicle it is used in",
            field="good.category",
            value=hs,
        )
    if end_use == "oe_pv_lt" and hs[:6] == "850760":
        raise ValidationError(
            "HS 8507.60 lithium-ion traction batteries for electric PV/LT are excepted from the Table A.1 RVC "
            "(CA-ROO s.14(2)-(3)); give good.category general and the battery's rule",
            field="good.category",
            value=hs,
        )
    hits = table_hits(rules, hs)
    candidates: list[tuple[str, TableHit]] = [
        (category, hit) for table, category in _TABLE_CATEGORY[end_use] for hit in hits if hit.table == table
    ]
    categories = sorted({c for c, _ in candidates})
    if not categories:
        raise ValidationError(
            f"HS {hs} is in none of the automotive tables for end use {end_use}; give good.category general "
            "and its product-specific rule",
            field="good.category",
            value=hs,
        )
    if len(categories) > 1:
        options = "; ".join(f"{c} ({h.description})" for c, h in candidates)
        raise ValidationError(
            f"HS {hs} is split between tables by 'ex' lines: {options}; give good.category",
            field="good.category",
            value=hs,
        )
    return categories[0]


def steel_aluminum_kind(rules: Rules, hs: str) -> str | None:
    """Steel or aluminum when ``hs`` is a Table S line (stampings count for both; steel is returned)."""
    for hit in table_hits(rules, hs):
        if hit.table == "S_steel":
            return "steel"
        if hit.table == "S_aluminum":
            return "aluminum"
    return None
