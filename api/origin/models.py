"""Request and answer models of the origin engine: the field names are the public contract (issue 4).

Money and percentages are ``Decimal`` on the way in (numbers or decimal strings are accepted) and decimal
strings on the way out, so answers survive JSON without binary-float drift and hash the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal[
    "pv_lt_vehicle",
    "heavy_truck_vehicle",
    "table_a1_core",
    "table_b_principal",
    "table_c_complementary",
    "table_d_ht_parts",
    "table_e_ht_parts",
    "art10_other_62_5",
    "art10_other_60",
    "general",
]
EndUse = Literal["oe_pv_lt", "oe_heavy_truck", "other_vehicle", "aftermarket"]
VehicleType = Literal["passenger", "light_truck", "heavy_truck"]
Origin = Literal["originating", "non_originating", "unknown"]
CorePart = Literal["engine", "transmission", "body_chassis", "axle", "suspension", "steering", "advanced_battery"]
Method = Literal["TV", "NC"]

Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Pct = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]

VEHICLE_CATEGORIES = frozenset({"pv_lt_vehicle", "heavy_truck_vehicle"})


class _In(BaseModel):
    """Input models ignore unknown keys but keep them so the answer can warn about likely typos."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Good(_In):
    """The good being qualified."""

    description: str = ""
    hs: str | None = None
    category: Category | None = None
    end_use: EndUse | None = None
    vehicle_type: VehicleType | None = None


class Cost(_In):
    """Total cost and the four exclusions that net cost subtracts (19 USC 4531(a)(8))."""

    total_cost: Money
    sales_promotion: Money = Decimal(0)
    royalties: Money = Decimal(0)
    shipping_packing: Money = Decimal(0)
    non_allowable_interest: Money = Decimal(0)


class Rule(_In):
    """A product-specific rule for goods outside the built-in tables (or to state that TV is offered)."""

    rvc: dict[Method, Pct] | None = None
    tariff_shift: bool = False
    combine: Literal["or", "and"] | None = None
    tv_offered: bool | None = None


class Material(_In):
    """One BOM line. ``parent`` (another line's id) makes multi-tier BOMs: only top-level lines enter VNM."""

    id: str = Field(min_length=1)
    # Plain Decimal (finite is checked by pydantic); the engine checks >= 0 itself, which validates
    # 5,000-line BOMs several times faster than a constrained type.
    value: Decimal
    origin: Origin
    regional_content: Decimal | None = None
    fails_tariff_shift: bool = False
    core_part: CorePart | None = None
    non_originating_content: Decimal | None = None
    evidence: str | None = None
    parent: str | None = None
    description: str | None = None
    hs: str | None = None
    supplier: str | None = None


class CorePartInput(_In):
    """Net cost and VNM of one Table A.2 core part; ``originating`` is the battery's own-PSR result."""

    part: CorePart
    net_cost: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    vnm: Money
    originating: bool | None = None


class Purchases(_In):
    """Steel or aluminum purchases of the vehicle producer and the originating part of them."""

    purchases: Money
    originating: Money


class Lvc(_In):
    """Labor value content components, in percentage points."""

    material_manufacturing: Pct
    technology: Pct = Decimal(0)
    assembly: Pct = Decimal(0)


class Policy(_In):
    """Policy switches where the law is disputed; the defaults are the conservative choice."""

    core_part_rollup: Literal["panel", "us"] | None = None
    ht_lvc_credit: bool | None = None


class QualifyRequest(_In):
    """One qualification request."""

    good: Good
    as_of: dt.date
    method: Literal["TV", "NC", "best"] = "best"
    transaction_value: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    net_cost: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    cost: Cost | None = None
    rule: Rule | None = None
    materials: list[Material] = Field(default_factory=list)
    core_parts: list[CorePartInput] | None = None
    super_core: bool = False
    steel: Purchases | None = None
    aluminum: Purchases | None = None
    lvc: Lvc | None = None
    policy: Policy = Field(default_factory=Policy)


class TestResult(BaseModel):
    """One test of the answer; ``value`` and ``required`` are decimal strings (or null when not measurable)."""

    model_config = ConfigDict(frozen=True)

    name: Literal["rvc", "tariff_shift", "de_minimis", "core_parts", "steel", "aluminum", "lvc"]
    passed: bool
    value: str | None
    required: str | None
    detail: str


class QualifyAnswer(BaseModel):
    """The engine's answer. ``rvc`` is an unrounded decimal string (see docs/origin.md)."""

    model_config = ConfigDict(frozen=True)

    qualifies: bool
    method: Method | None
    rvc: str | None
    threshold: str | None
    base: str | None
    vnm: str
    tests: list[TestResult]
    missing_evidence: list[str]
    lines: list[dict[str, Any]]
    rules_version: str
    input_sha256: str
    category: str
    as_of: str
    good: dict[str, Any]
    policy: dict[str, str]
    net_cost: str | None
    transaction_value: str | None
    margin: str | None
    methods: dict[str, dict[str, Any]]
    threshold_source: dict[str, Any] | None
    what_if: dict[str, Any] | None
    warnings: list[str]
    core_parts: list[dict[str, Any]] | None = None
    vehicles: int | None = None
