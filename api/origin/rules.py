"""The versioned rules data: loading it once and looking thresholds up by category, method and date.

Legal numbers never live in code. They come from ``data/usmca-rules.yaml`` (thresholds, de minimis, LVC, steel
and aluminum, certification text) and ``data/hs-tables.yaml`` (the automotive HS tables), each number with its
source and effective dates, so a change in law is a data change with a new ``rules_version``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ledger.errors import ValidationError

DATA_DIR = Path(__file__).parent / "data"
RULES_FILE = DATA_DIR / "usmca-rules.yaml"
TABLES_FILE = DATA_DIR / "hs-tables.yaml"

_METHODS = ("NC", "TV")


@dataclass(frozen=True)
class Threshold:
    """One threshold row in force on a date, with where it comes from."""

    category: str
    method: str
    pct: Decimal
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    verified: bool

    def describe(self) -> dict[str, Any]:
        """JSON-ready description used in answers (dates as ISO strings, pct as a decimal string)."""
        return {
            "category": self.category,
            "method": self.method,
            "pct": str(self.pct),
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "source": self.source,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class LvcRequirement:
    """Labor value content requirement for a vehicle type on a date (percentage points)."""

    total: Decimal
    mm_min: Decimal
    tech_max: Decimal
    assembly_max: Decimal
    effective_from: dt.date
    source: str


@dataclass(frozen=True, eq=False)
class Rules:
    """The loaded rules data; ``raw`` keeps the YAML as parsed for the less-used parts."""

    version: str
    raw: dict[str, Any]
    tables: dict[str, Any]

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories that have built-in thresholds."""
        return tuple(self.raw["thresholds"])

    def threshold(self, category: str, method: str, as_of: dt.date) -> Threshold:
        """The threshold for ``category`` and ``method`` in force on ``as_of``.

        Raises:
            ValidationError: unknown category, a method the category does not have, or a date before the
                first row (USMCA entered into force on 2020-07-01).
        """
        entry = self.raw["thresholds"].get(category)
        if entry is None:
            known = ", ".join(self.categories)
            raise ValidationError(
                f"category {category!r} has no built-in threshold (known: {known})", field="good.category"
            )
        rows = entry.get(method)
        if not rows:
            raise ValidationError(
                f"method {method} is not offered for category {category} "
                f"(it has {', '.join(m for m in _METHODS if m in entry)})",
                field="method",
                value=method,
            )
        return _pick(rows, category, method, as_of, entry["source"], bool(entry.get("verified")))

    def lvc(self, vehicle_type: str, as_of: dt.date) -> LvcRequirement:
        """The LVC requirement for ``vehicle_type`` (passenger, light_truck, heavy_truck) on ``as_of``."""
        rows = self.raw["lvc"].get(vehicle_type)
        if rows is None:
            raise ValidationError(f"no LVC requirement for vehicle_type {vehicle_type!r}", field="good.vehicle_type")
        current = None
        for row in rows:
            if row["from"] <= as_of:
                current = row
        if current is None:
            raise ValidationError(f"as_of {as_of.isoformat()} is before the first LVC requirement", field="as_of")
        return LvcRequirement(
            total=Decimal(current["total"]),
            mm_min=Decimal(current["mm_min"]),
            tech_max=Decimal(current["tech_max"]),
            assembly_max=Decimal(current["assembly_max"]),
            effective_from=current["from"],
            source=self.raw["lvc"]["source"],
        )

    @property
    def de_minimis_pct(self) -> Decimal:
        """De minimis share of TV or total cost, in percent."""
        return Decimal(self.raw["de_minimis"]["pct"])

    @property
    def steel_aluminum_pct(self) -> Decimal:
        """Minimum originating share of steel and of aluminum purchases, in percent."""
        return Decimal(self.raw["steel_aluminum"]["pct"])

    def default_policy(self, name: str) -> str:
        """The documented default of a policy switch."""
        return str(self.raw["policy_defaults"][name]["value"])


def _pick(
    rows: list[dict[str, Any]], category: str, method: str, as_of: dt.date, source: str, verified: bool
) -> Threshold:
    ordered = sorted(rows, key=lambda r: r["from"])
    for i, row in enumerate(ordered):
        nxt = ordered[i + 1]["from"] if i + 1 < len(ordered) else None
        if row["from"] <= as_of and (nxt is None or as_of < nxt):
            to = nxt - dt.timedelta(days=1) if nxt else None
            return Threshold(category, method, Decimal(row["pct"]), row["from"], to, source, verified)
    raise ValidationError(
        f"as_of {as_of.isoformat()} is before the first {category} {method} threshold "
        f"({ordered[0]['from'].isoformat()}; USMCA entered into force on 2020-07-01)",
        field="as_of",
        value=as_of.isoformat(),
    )


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """Load and check the packaged rules data once per process."""
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    tables = yaml.safe_load(TABLES_FILE.read_text(encoding="utf-8"))
    _check(raw)
    return Rules(version=str(raw["rules_version"]), raw=raw, tables=tables)


def _check(raw: dict[str, Any]) -> None:
    """Refuse a data file whose rows are unsourced, undated or out of order (a broken file is a bug)."""
    for category, entry in raw["thresholds"].items():
        if not entry.get("source") or "verified" not in entry:
            raise ValidationError(f"rules data: category {category} lacks source or verified flag", field=category)
        for method in _METHODS:
            rows = entry.get(method) or []
            dates = [r["from"] for r in rows]
            if dates != sorted(dates) or len(set(dates)) != len(dates):
                raise ValidationError(f"rules data: {category} {method} rows out of order", field=category)
            for r in rows:
                if not isinstance(r["from"], dt.date) or Decimal(r["pct"]) <= 0:
                    raise ValidationError(f"rules data: bad row {r!r} in {category} {method}", field=category)
