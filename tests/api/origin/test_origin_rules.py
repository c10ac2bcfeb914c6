"""Thresholds by category, method and date (every phase-in boundary), and category derivation from HS."""

from __future__ import annotations

import datetime as dt

import pytest

from api.origin.hs import derive_category, normalize_hs
from api.origin.rules import load_rules
from ledger.errors import ValidationError

D = dt.date

# (category, method, last day of the old step, old pct, first day of the new step, new pct) - the steps of
# CA-ROO s.13, s.14(13)/(15)/(17), s.15(2)/(3) as tabulated in usmca-tables.md (b).
BOUNDARIES = [
    ("pv_lt_vehicle", "NC", D(2021, 6, 30), "66", D(2021, 7, 1), "69"),
    ("pv_lt_vehicle", "NC", D(2022, 6, 30), "69", D(2022, 7, 1), "72"),
    ("pv_lt_vehicle", "NC", D(2023, 6, 30), "72", D(2023, 7, 1), "75"),
    ("table_a1_core", "NC", D(2021, 6, 30), "66", D(2021, 7, 1), "69"),
    ("table_a1_core", "NC", D(2022, 6, 30), "69", D(2022, 7, 1), "72"),
    ("table_a1_core", "NC", D(2023, 6, 30), "72", D(2023, 7, 1), "75"),
    ("table_a1_core", "TV", D(2021, 6, 30), "76", D(2021, 7, 1), "79"),
    ("table_a1_core", "TV", D(2022, 6, 30), "79", D(2022, 7, 1), "82"),
    ("table_a1_core", "TV", D(2023, 6, 30), "82", D(2023, 7, 1), "85"),
    ("table_b_principal", "NC", D(2021, 6, 30), "62.5", D(2021, 7, 1), "65"),
    ("table_b_principal", "NC", D(2022, 6, 30), "65", D(2022, 7, 1), "67.5"),
    ("table_b_principal", "NC", D(2023, 6, 30), "67.5", D(2023, 7, 1), "70"),
    ("table_b_principal", "TV", D(2021, 6, 30), "72.5", D(2021, 7, 1), "75"),
    ("table_b_principal", "TV", D(2022, 6, 30), "75", D(2022, 7, 1), "77.5"),
    ("table_b_principal", "TV", D(2023, 6, 30), "77.5", D(2023, 7, 1), "80"),
    ("table_c_complementary", "NC", D(2021, 6, 30), "62", D(2021, 7, 1), "63"),
    ("table_c_complementary", "NC", D(2022, 6, 30), "63", D(2022, 7, 1), "64"),
    ("table_c_complementary", "NC", D(2023, 6, 30), "64", D(2023, 7, 1), "65"),
    ("table_c_complementary", "TV", D(2021, 6, 30), "72", D(2021, 7, 1), "73"),
    ("table_c_complementary", "TV", D(2023, 6, 30), "74", D(2023, 7, 1), "75"),
    ("heavy_truck_vehicle", "NC", D(2024, 6, 30), "60", D(2024, 7, 1), "64"),
    ("heavy_truck_vehicle", "NC", D(2027, 6, 30), "64", D(2027, 7, 1), "70"),
    ("table_d_ht_parts", "NC", D(2024, 6, 30), "60", D(2024, 7, 1), "64"),
    ("table_d_ht_parts", "NC", D(2027, 6, 30), "64", D(2027, 7, 1), "70"),
    ("table_d_ht_parts", "TV", D(2024, 6, 30), "70", D(2024, 7, 1), "74"),
    ("table_d_ht_parts", "TV", D(2027, 6, 30), "74", D(2027, 7, 1), "80"),
    ("table_e_ht_parts", "NC", D(2024, 6, 30), "50", D(2024, 7, 1), "54"),
    ("table_e_ht_parts", "NC", D(2027, 6, 30), "54", D(2027, 7, 1), "60"),
    ("table_e_ht_parts", "TV", D(2024, 6, 30), "60", D(2024, 7, 1), "64"),
    ("table_e_ht_parts", "TV", D(2027, 6, 30), "64", D(2027, 7, 1), "70"),
]


@pytest.mark.parametrize(("category", "method", "before", "old", "after", "new"), BOUNDARIES)
def test_threshold_changes_on_1_july(category, method, before, old, after, new):
    rules = load_rules()
    assert str(rules.threshold(category, method, before).pct) == old
    th = rules.threshold(category, method, after)
    assert str(th.pct) == new
    assert th.effective_from == after
    assert th.verified is True


@pytest.mark.parametrize(
    ("category", "first"),
    [("pv_lt_vehicle", "66"), ("table_e_ht_parts", "50"), ("art10_other_62_5", "62.5"), ("art10_other_60", "60")],
)
def test_first_day_of_usmca_and_the_day_before(category, first):
    rules = load_rules()
    assert str(rules.threshold(category, "NC", D(2020, 7, 1)).pct) == first
    with pytest.raises(ValidationError, match=r"as_of 2020-06-30 is before the first"):
        rules.threshold(category, "NC", D(2020, 6, 30))


def test_final_steps_hold_far_in_the_future():
    rules = load_rules()
    assert str(rules.threshold("table_a1_core", "NC", D(2040, 1, 1)).pct) == "75"
    assert rules.threshold("table_a1_core", "NC", D(2040, 1, 1)).effective_to is None
    assert str(rules.threshold("heavy_truck_vehicle", "NC", D(2040, 1, 1)).pct) == "70"


def test_step_reports_its_end_date():
    th = load_rules().threshold("table_b_principal", "NC", D(2022, 1, 15))
    assert th.describe()["effective_from"] == "2021-07-01"
    assert th.describe()["effective_to"] == "2022-06-30"


def test_vehicle_has_no_tv_threshold():
    with pytest.raises(ValidationError) as err:
        load_rules().threshold("pv_lt_vehicle", "TV", D(2024, 1, 1))
    assert err.value.message == "method TV is not offered for category pv_lt_vehicle (it has NC)"


def test_unknown_category_is_named():
    with pytest.raises(ValidationError, match=r"category 'table_z' has no built-in threshold"):
        load_rules().threshold("table_z", "NC", D(2024, 1, 1))


@pytest.mark.parametrize(
    ("vehicle_type", "day", "total", "mm_min"),
    [
        ("passenger", D(2021, 6, 30), "30", "15"),
        ("passenger", D(2021, 7, 1), "33", "18"),
        ("passenger", D(2022, 7, 1), "36", "21"),
        ("passenger", D(2023, 6, 30), "36", "21"),
        ("passenger", D(2023, 7, 1), "40", "25"),
        ("light_truck", D(2020, 7, 1), "45", "30"),
        ("heavy_truck", D(2030, 1, 1), "45", "30"),
    ],
)
def test_lvc_requirement_by_type_and_date(vehicle_type, day, total, mm_min):
    req = load_rules().lvc(vehicle_type, day)
    assert (str(req.total), str(req.mm_min), str(req.tech_max), str(req.assembly_max)) == (total, mm_min, "10", "5")


def test_every_threshold_row_has_source_and_flag():
    raw = load_rules().raw
    for name, entry in raw["thresholds"].items():
        assert entry["source"], name
        assert isinstance(entry["verified"], bool), name
    assert raw["policy_defaults"]["core_part_rollup"]["verified"] is False
    assert raw["core_parts"]["heavy_truck"]["verified"] is False


@pytest.mark.parametrize(
    ("text", "digits"), [("8708.40", "870840"), ("870840", "870840"), ("8708.40.50", "87084050"), ("8708", "8708")]
)
def test_normalize_hs(text, digits):
    assert normalize_hs(text) == digits


@pytest.mark.parametrize("bad", ["87084", "8708.4x", "", "87.08.40.1"])
def test_normalize_hs_rejects(bad):
    with pytest.raises(ValidationError, match=f"HS code {bad!r} is not a valid HS number"):
        normalize_hs(bad)


@pytest.mark.parametrize(
    ("hs", "end_use", "vehicle_type", "category"),
    [
        ("870840", "oe_pv_lt", None, "table_a1_core"),  # gear boxes, Table A.1
        ("840734", "oe_pv_lt", None, "table_a1_core"),  # engines > 1,000 cc
        ("840991", "oe_pv_lt", None, "table_a1_core"),  # engine parts are A.1, not B
        ("848340", "oe_pv_lt", None, "table_b_principal"),  # gearing is Table B, not A.1
        ("870810", "oe_pv_lt", None, "table_b_principal"),  # bumpers are B, not C
        ("851140", "oe_pv_lt", None, "table_b_principal"),  # starters are B for PV/LT
        ("851220", "oe_pv_lt", None, "table_c_complementary"),  # lighting
        ("854430", "oe_pv_lt", None, "table_c_complementary"),  # wiring sets
        ("870829", "oe_heavy_truck", None, "table_d_ht_parts"),
        ("851140", "oe_heavy_truck", None, "table_d_ht_parts"),
        ("848210", "oe_heavy_truck", None, "table_e_ht_parts"),
        ("870323", None, None, "pv_lt_vehicle"),
        ("870380", None, None, "pv_lt_vehicle"),  # HS 2017 electric PV, HS 2012 8703.90
        ("870421", None, "light_truck", "pv_lt_vehicle"),
        ("870120", None, None, "heavy_truck_vehicle"),
        ("870432", None, None, "heavy_truck_vehicle"),
        ("870332", None, None, "art10_other_62_5"),  # diesel PV is an Article 10 vehicle
        ("870410", None, None, "art10_other_60"),  # dumpers
    ],
)
def test_derive_category(hs, end_use, vehicle_type, category):
    assert derive_category(load_rules(), hs, end_use, vehicle_type) == category


@pytest.mark.parametrize(
    ("hs", "end_use", "message"),
    [
        ("870829", "oe_pv_lt", "HS 870829 is split between tables by 'ex' lines"),
        ("870899", "oe_pv_lt", "HS 870899 is split between tables by 'ex' lines"),
        ("401110", "oe_pv_lt", "HS 401110 is in none of the automotive tables for end use oe_pv_lt"),
        ("870840", "aftermarket", "HS 870840 for aftermarket use follows its own product-specific rule"),
        ("870840", "other_vehicle", "HS 870840 for an Article 10 vehicle"),
        ("850760", "oe_pv_lt", "HS 8507.60 lithium-ion traction batteries"),
        ("870840", None, "good.end_use is needed to derive the category of HS 870840"),
        ("870210", None, "HS 870210 is a vehicle line the tables cannot classify alone"),
    ],
)
def test_derive_category_refuses_to_guess(hs, end_use, message):
    with pytest.raises(ValidationError) as err:
        derive_category(load_rules(), hs, end_use, None)
    assert err.value.message.startswith(message)
