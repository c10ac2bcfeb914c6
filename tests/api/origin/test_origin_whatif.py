"""What-if: the smallest set of materials that, sourced as originating, makes a failing good qualify."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from api.origin import qualify
from api.origin.whatif import Line, smallest_set


def gearbox(values):
    """8708.40 gear box (Table A.1) in 2024: 75 % NC. NC 1000; every listed material non-originating."""
    return {
        "good": {"hs": "8708.40", "end_use": "oe_pv_lt"},
        "as_of": "2024-01-01",
        "net_cost": "1000",
        "materials": [{"id": k, "value": v, "origin": "non_originating"} for k, v in values.items()],
    }


def test_one_large_material_is_enough():
    """VNM = 150 + 100 + 60 = 310 -> RVC 69 < 75. Max VNM = 1000 x 25 % = 250; need 60 less.
    Any one of a (150) or c (60) removes enough; the largest-first prefix takes a, a single material."""
    a = qualify(gearbox({"a": "150", "b": "100", "c": "60"}))
    assert (a.rvc, a.qualifies) == ("69", False)
    assert a.what_if["materials"] == ["a"]
    assert a.what_if["qualifies_after"] is True


def test_two_materials_needed():
    """VNM = 90 + 80 + 70 + 60 = 300. NC 600: RVC 50 < 75; max VNM = 600 x 25 % = 150 -> remove >= 150:
    no single line is enough (90 < 150); 90 + 80 = 170 -> two materials, RVC after
    (600 - 130) / 600 x 100 = 78.333..."""
    req = gearbox({"a": "90", "b": "80", "c": "70", "d": "60"})
    req["net_cost"] = "600"
    w = qualify(req).what_if
    assert w["materials"] == ["a", "b"]
    assert w["vnm_after"] == "130"
    assert w["rvc_after"] == "78.33333333333333333333333333"
    assert w["detail"] == "source 2 material(s) as originating"


def test_credit_lowers_a_lines_weight():
    """a 200 with regional_content 150 contributes only 50; b contributes 120. VNM 170, NC 600 ->
    RVC 71.67 < 75; max VNM 150, need 20 less: b (120) comes first by contribution although a's value is larger."""
    req = gearbox({"a": "200", "b": "120"})
    req["materials"][0]["regional_content"] = "150"
    req["net_cost"] = "600"
    assert qualify(req).what_if["materials"] == ["b"]


def test_impossible_when_only_originating_core_content_remains():
    """us policy: an originating core part's 400 of non-originating content cannot be fixed by re-sourcing
    the part (it already is originating): VNM 400 of NC 1000 -> 60 < 75 and no candidate."""
    req = gearbox({})
    req["materials"] = [
        {
            "id": "case",
            "value": "900",
            "origin": "originating",
            "core_part": "transmission",
            "non_originating_content": "400",
        }
    ]
    w = qualify(req).what_if
    assert w["materials"] is None
    assert w["detail"] == "no choice of materials sourced as originating makes the good qualify"


def test_and_rule_needs_both_shift_and_rvc():
    """Lines: x 100 (fails shift), y 300, z 50 (fails shift); TV 1000, limit 10 % = 100.
    Shift-failing value 150 > 100 -> must remove >= 50 of it; RVC needs VNM <= 400 from 450 -> remove >= 50.
    Removing x (100) fixes both at once -> one material."""
    lines = [
        Line("x", Decimal(100), Decimal(100), True, True),
        Line("y", Decimal(300), Decimal(300), True, False),
        Line("z", Decimal(50), Decimal(50), True, True),
    ]
    chosen = smallest_set(lines, rvc_need=Fraction(50), shift_need=Fraction(50), combine="and")
    assert [ln.id for ln in chosen] == ["x"]


def test_and_rule_prefers_fewer_total_materials():
    """Shift need 10 (any shifter); RVC need 350: y (300) + x (100) = 2 materials, covering both."""
    lines = [
        Line("x", Decimal(100), Decimal(100), True, True),
        Line("y", Decimal(300), Decimal(300), True, False),
        Line("z", Decimal(20), Decimal(20), True, True),
    ]
    chosen = smallest_set(lines, rvc_need=Fraction(350), shift_need=Fraction(10), combine="and")
    assert sorted(ln.id for ln in chosen) == ["x", "y"]


def test_or_rule_takes_the_cheaper_route():
    lines = [
        Line("x", Decimal(100), Decimal(100), True, True),
        Line("y", Decimal(300), Decimal(300), True, False),
        Line("w", Decimal(250), Decimal(250), True, False),
    ]
    chosen = smallest_set(lines, rvc_need=Fraction(500), shift_need=Fraction(1), combine="or")
    assert [ln.id for ln in chosen] == ["x"]


def test_vehicle_failures_outside_materials_are_listed():
    req = {
        "good": {"hs": "8703.23"},
        "as_of": "2024-01-01",
        "net_cost": "100",
        "materials": [{"id": "m", "value": "30", "origin": "non_originating"}],
        "steel": {"purchases": "10", "originating": "5"},
    }
    w = qualify(req).what_if
    assert w["materials"] == ["m"]  # RVC 70 < 75; removing m gives 100
    assert w["qualifies_after"] is False
    assert w["also_needed"][0] == "steel: 5 / 10 x 100 = 50 < 70 (CA-ROO s.17; CFR-182.94)"
    assert "core_parts: no core_parts given" in w["also_needed"]
