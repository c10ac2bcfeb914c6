"""api.private.breakdown: normalizing a private cost breakdown and checking it supports the certification's claim."""

from __future__ import annotations

from typing import Any

import pytest

from api.private.breakdown import Claim, check_claim, normalize
from ledger.errors import ValidationError

NC = Claim("NC", "71.4", "28.6")


def test_normalize_sorts_and_strips_trailing_zeros() -> None:
    raw = {"vnm": "80.00", "total_cost": 280, "currency": "usd", "labor": " 55.250 "}
    assert normalize(raw) == {"currency": "USD", "labor": "55.25", "total_cost": "280", "vnm": "80"}


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"vnm": "1"}, "cost_breakdown.total_cost", "cost_breakdown is missing required field 'total_cost'"),
        ({"total_cost": "-1"}, "cost_breakdown.total_cost",
         "cost_breakdown.total_cost '-1' must be a non-negative amount below 10^15"),
        ({"total_cost": "NaN"}, "cost_breakdown.total_cost",
         "cost_breakdown.total_cost 'NaN' must be a non-negative amount below 10^15"),
        ({"total_cost": "12,5"}, "cost_breakdown.total_cost", "cost_breakdown.total_cost '12,5' is not a decimal amount"),
        ({"total_cost": 1.5}, "cost_breakdown.total_cost",
         "cost_breakdown.total_cost 1.5 must be a decimal string such as '12.50'"),
        ({"total_cost": True}, "cost_breakdown.total_cost",
         "cost_breakdown.total_cost True must be a decimal string such as '12.50'"),
        ({"total_cost": "1", "currency": "EURO"}, "cost_breakdown.currency",
         "cost_breakdown.currency 'EURO' is not an ISO 4217 code"),
        ({"total_cost": "1", "margin": "3"}, "cost_breakdown.margin",
         "cost_breakdown has unknown field 'margin' (known: total_cost, sales_promotion, royalties, shipping_packing, "
         "non_allowable_interest, vnm, originating_materials, materials, labor, overhead, profit, transaction_value, "
         "other_costs, currency)"),
    ],
)  # fmt: skip
def test_normalize_refuses_naming_the_field(raw: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalize(raw)
    assert (info.value.field, info.value.message) == (field, message)


@pytest.mark.parametrize(
    ("data", "claim", "computed"),
    [
        ({"total_cost": "280", "vnm": "80"}, NC, {"net_cost": "280", "rvc": "71.4286", "non_originating_share": "28.5714"}),
        # exclusions reduce the net cost base: (250 - 80) / 250 = 68 %
        ({"total_cost": "280", "royalties": "20", "shipping_packing": "10", "vnm": "80"}, Claim("NC", "68", "32"),
         {"net_cost": "250", "rvc": "68", "non_originating_share": "32"}),
        ({"total_cost": "280", "vnm": "80", "transaction_value": "400"}, Claim("TV", "80", "20"),
         {"net_cost": "280", "rvc": "80", "non_originating_share": "20"}),
        # wholly obtained (criterion A): no method, no RVC to support
        ({"total_cost": "100"}, Claim(None, None, "0"), {"net_cost": "100"}),
        # a declared RVC below the computed one is conservative and accepted; so is rounding by 0.05
        ({"total_cost": "280", "vnm": "80"}, Claim("NC", "60", "40"),
         {"net_cost": "280", "rvc": "71.4286", "non_originating_share": "28.5714"}),
        ({"total_cost": "280", "vnm": "80"}, Claim("NC", "71.47", "28.53"),
         {"net_cost": "280", "rvc": "71.4286", "non_originating_share": "28.5714"}),
    ],
)  # fmt: skip
def test_claims_the_figures_support(data: dict[str, str], claim: Claim, computed: dict[str, str]) -> None:
    assert check_claim(data, claim) == computed


@pytest.mark.parametrize(
    ("data", "claim", "field", "message"),
    [
        ({"total_cost": "280", "vnm": "80"}, Claim("NC", "71.48", "28.6"), "rvc",
         "rvc 71.48 is higher than the 71.4286 % the cost breakdown gives (NC: base 280, vnm 80)"),
        ({"total_cost": "280", "vnm": "80"}, Claim("NC", "71.4", "28.52"), "non_originating_share",
         "non_originating_share 28.52 is lower than the 28.5714 % the cost breakdown gives (vnm 80 of 280)"),
        ({"total_cost": "280", "royalties": "100", "vnm": "200"}, NC, "cost_breakdown.vnm",
         "cost_breakdown.vnm 200 exceeds net cost 180"),
        ({"total_cost": "280", "vnm": "80"}, Claim("TV", "80", "20"), "cost_breakdown.transaction_value",
         "cost_breakdown needs 'transaction_value' to support a TV regional value content claim"),
        ({"total_cost": "280", "vnm": "80", "transaction_value": "50"}, Claim("TV", "80", "20"),
         "cost_breakdown.transaction_value",
         "cost_breakdown.transaction_value 50 must be positive and at least vnm 80"),
        ({"total_cost": "10", "sales_promotion": "10"}, Claim(None, None, "0"), "cost_breakdown.total_cost",
         "cost_breakdown.total_cost 10 less exclusions 10 leaves net cost 0; it must be positive"),
    ],
)  # fmt: skip
def test_claims_the_figures_do_not_support(data: dict[str, str], claim: Claim, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_claim(data, claim)
    assert (info.value.field, info.value.message) == (field, message)
