"""Vehicle tests, hand-checked: RVC, core parts and the super-core, steel, aluminum, LVC, and the core-part
roll-up policy (us vs panel)."""

from __future__ import annotations

import pytest

from api.origin import qualify


def car(**over):
    """A gasoline passenger car (8703.23) in 2024: RVC 75 NC, core parts 75 NC, steel/aluminum 70, LVC 40/25.

    NC 30000; VNM = 4000 (infotainment, non-originating) + 2000 (seats, unknown) = 6000;
    RVC = (30000 - 6000) / 30000 x 100 = 80.
    """
    req = {
        "good": {"description": "Sedan", "hs": "8703.23", "vehicle_type": "passenger"},
        "as_of": "2024-02-01",
        "net_cost": "30000",
        "materials": [
            {
                "id": "engine",
                "value": "5000",
                "origin": "originating",
                "core_part": "engine",
                "non_originating_content": "1000",
            },
            {"id": "infotainment", "value": "4000", "origin": "non_originating"},
            {"id": "seats", "value": "2000", "origin": "unknown"},
            {"id": "body", "value": "9000", "origin": "originating", "core_part": "body_chassis"},
        ],
        "core_parts": [
            {"part": "engine", "net_cost": "5000", "vnm": "1000"},
            {"part": "transmission", "net_cost": "3000", "vnm": "600"},
            {"part": "body_chassis", "net_cost": "9000", "vnm": "1000"},
            {"part": "axle", "net_cost": "1500", "vnm": "300"},
            {"part": "suspension", "net_cost": "1200", "vnm": "240"},
            {"part": "steering", "net_cost": "800", "vnm": "160"},
        ],
        "steel": {"purchases": "1000000", "originating": "720000"},
        "aluminum": {"purchases": "500000", "originating": "400000"},
        "lvc": {"material_manufacturing": "27", "technology": "9", "assembly": "5"},
    }
    req.update(over)
    return req


def by_name(answer):
    return {t.name: t for t in answer.tests}


def test_car_qualifies_under_us_policy_by_default():
    """Default policy us: the originating engine's 1000 non-originating content stays in VNM:
    VNM = 1000 + 4000 + 2000 = 7000; RVC = (30000 - 7000) / 30000 x 100 = 76.666...67 >= 75.
    Core parts: engine (5000-1000)/5000 = 80, transmission 80, body 88.888..., axle 80, suspension 80,
    steering 80 -> all >= 75. Steel 720000/1000000 = 72 >= 70; aluminum 80 >= 70.
    LVC 27 + 9 + 5 = 41 >= 40 with M&M 27 >= 25."""
    a = qualify(car())
    assert a.policy == {"core_part_rollup": "us"}
    assert (a.vnm, a.rvc, a.threshold) == ("7000", "76.66666666666666666666666667", "75")
    t = by_name(a)
    assert [x.name for x in a.tests] == ["rvc", "core_parts", "steel", "aluminum", "lvc"]
    assert t["core_parts"].passed and t["core_parts"].value == "80"
    assert (t["steel"].value, t["aluminum"].value, t["lvc"].value) == ("72", "80", "41")
    assert a.qualifies is True
    assert a.missing_evidence == ["seats"]
    assert a.what_if is None


def test_panel_policy_counts_originating_core_part_wholly():
    """panel: engine counts 100 % originating: VNM = 4000 + 2000 = 6000; RVC = 24000 / 30000 = 80."""
    a = qualify(car(policy={"core_part_rollup": "panel"}))
    assert (a.vnm, a.rvc) == ("6000", "80")
    assert a.policy == {"core_part_rollup": "panel"}


def test_policy_decides_a_borderline_car():
    """Infotainment 4500: us VNM = 1000 + 4500 + 2000 = 7500 -> RVC 75 (passes at exactly 75);
    infotainment 4600: us VNM 7600 -> 74.666... fails; panel VNM 6600 -> 78 passes."""
    req = car()
    req["materials"][1]["value"] = "4600"
    assert qualify(req).qualifies is False
    req["policy"] = {"core_part_rollup": "panel"}
    a = qualify(req)
    assert (a.rvc, a.qualifies) == ("78", True)


def test_us_policy_derives_core_part_content_from_sub_lines():
    """Engine without non_originating_content but with tier-2 lines: pistons non-originating 700 and
    block originating 2000 -> the engine's non-originating content is 700; VNM = 700 + 4000 + 2000 = 6700."""
    req = car()
    del req["materials"][0]["non_originating_content"]
    req["materials"] += [
        {"id": "pistons", "value": "700", "origin": "non_originating", "parent": "engine"},
        {"id": "block", "value": "2000", "origin": "originating", "parent": "engine"},
    ]
    assert qualify(req).vnm == "6700"


def test_one_failing_core_part_fails_the_vehicle():
    """Transmission VNM 900 of 3000 -> (3000 - 900) / 3000 = 70 < 75 -> core_parts fails."""
    req = car()
    req["core_parts"][1]["vnm"] = "900"
    a = qualify(req)
    t = by_name(a)["core_parts"]
    assert (t.passed, t.value, t.required) == (False, "70", "75")
    assert t.detail.startswith("failing: transmission; ")
    assert a.qualifies is False
    assert a.what_if["also_needed"] == ["core part transmission must become originating"]


def test_super_core_averages_the_parts():
    """Same failing transmission, tested as a super-core: sum NC = 5000+3000+9000+1500+1200+800 = 20500,
    sum VNM = 1000+900+1000+300+240+160 = 3600 -> (20500 - 3600) / 20500 = 82.439... >= 75 -> passes."""
    req = car(super_core=True)
    req["core_parts"][1]["vnm"] = "900"
    t = by_name(qualify(req))["core_parts"]
    assert t.passed is True
    assert t.value == "82.43902439024390243902439024"
    assert t.detail.startswith(
        "super-core (axle, body_chassis, engine, steering, suspension, transmission): (20500 - 3600)"
    )


def test_core_parts_threshold_follows_the_phase_in():
    """Transmission at 70 % passes on 2022-06-30 (69) and fails on 2022-07-01 (72)."""
    req = car(as_of="2022-06-30")
    req["core_parts"][1]["vnm"] = "900"
    assert by_name(qualify(req))["core_parts"].passed is True
    req["as_of"] = "2022-07-01"
    assert by_name(qualify(req))["core_parts"].passed is False


def test_entries_of_the_same_part_are_summed():
    """Front suspension 1200/240 plus rear 800/300: (2000 - 540) / 2000 = 73 < 75 -> fails."""
    req = car()
    req["core_parts"].append({"part": "suspension", "net_cost": "800", "vnm": "300"})
    t = by_name(qualify(req))["core_parts"]
    assert "suspension 73" in t.detail
    assert t.passed is False


def test_missing_core_part_fails():
    req = car()
    req["core_parts"] = [cp for cp in req["core_parts"] if cp["part"] != "axle"]
    t = by_name(qualify(req))["core_parts"]
    assert (t.passed, t.detail) == (False, "missing core part(s): axle")


def test_ev_needs_battery_instead_of_engine():
    """An EV lists advanced_battery (originating under its own rule, s.14(5)-(6)) and no engine: passes."""
    req = car()
    req["core_parts"][0] = {"part": "advanced_battery", "net_cost": "12000", "vnm": "6000", "originating": True}
    t = by_name(qualify(req))["core_parts"]
    assert t.passed is True
    assert "advanced_battery originating under its own rule" in t.detail


def test_no_propulsion_part_fails():
    req = car()
    req["core_parts"] = req["core_parts"][1:]
    assert by_name(qualify(req))["core_parts"].detail == "missing core part(s): engine or advanced_battery"


@pytest.mark.parametrize(
    ("name", "purchases", "originating", "passed", "value"),
    [
        ("steel", "1000", "700", True, "70"),  # 700 / 1000 = 70 >= 70
        ("steel", "1000", "699.99", False, "69.999"),
        ("aluminum", "400", "300", True, "75"),
        ("aluminum", "300", "200", False, "66.66666666666666666666666667"),
    ],
)
def test_steel_and_aluminum_70_percent(name, purchases, originating, passed, value):
    t = by_name(qualify(car(**{name: {"purchases": purchases, "originating": originating}})))[name]
    assert (t.passed, t.value, t.required) == (passed, value, "70")


def test_purchases_inconsistent():
    t = by_name(qualify(car(steel={"purchases": "10", "originating": "11"})))["steel"]
    assert (t.passed, t.detail) == (False, "steel.originating 11 exceeds steel.purchases 10")


@pytest.mark.parametrize(
    ("lvc", "as_of", "passed", "value"),
    [
        ({"material_manufacturing": 25, "technology": 10, "assembly": 5}, "2024-01-01", True, "40"),  # 25+10+5
        ({"material_manufacturing": 24, "technology": 10, "assembly": 5}, "2024-01-01", False, "39"),
        ({"material_manufacturing": 30, "technology": 15, "assembly": 9}, "2024-01-01", True, "45"),  # 30+10+5 caps
        ({"material_manufacturing": 24, "technology": 10, "assembly": 5}, "2023-06-30", True, "39"),  # 39>=36, 24>=21
        ({"material_manufacturing": 20, "technology": 10, "assembly": 5}, "2023-06-30", False, "35"),  # 35<36
        ({"material_manufacturing": 24, "technology": 3, "assembly": 5}, "2023-06-30", False, "32"),
    ],
)
def test_lvc_passenger(lvc, as_of, passed, value):
    t = by_name(qualify(car(lvc=lvc, as_of=as_of)))["lvc"]
    assert (t.passed, t.value) == (passed, value)


def test_lvc_minimum_material_and_manufacturing():
    """2022-07-01 step (36, minimum 21): M&M 23 + tech 10 + assembly 5 = 38 >= 36 and 23 >= 21: passes."""
    t = by_name(qualify(car(lvc={"material_manufacturing": 23, "technology": 10, "assembly": 5}, as_of="2023-01-01")))
    assert t["lvc"].passed is True
    t = by_name(qualify(car(lvc={"material_manufacturing": 20, "technology": 10, "assembly": 5}, as_of="2022-01-01")))
    # 2021-07-01 step: total 33, minimum 18 -> 20 + 10 + 5 = 35 >= 33 and 20 >= 18
    assert t["lvc"].passed is True
    t = by_name(qualify(car(lvc={"material_manufacturing": 17, "technology": 10, "assembly": 5}, as_of="2022-01-01")))
    # 17 + 10 + 5 = 32 < 33 and 17 < 18
    assert t["lvc"].passed is False
    assert "material and manufacturing 17 < minimum 18" in t["lvc"].detail


def test_lvc_light_truck_45_with_30_minimum():
    """Light truck: M&M 29 + 10 + 5 = 44 < 45 and 29 < 30 -> fails; M&M 30 -> 45 passes."""
    truck = car(good={"hs": "8704.21", "vehicle_type": "light_truck"})
    truck["lvc"] = {"material_manufacturing": 29, "technology": 10, "assembly": 5}
    assert by_name(qualify(truck))["lvc"].passed is False
    truck["lvc"]["material_manufacturing"] = 30
    assert by_name(qualify(truck))["lvc"].value == "45"
    assert by_name(qualify(truck))["lvc"].passed is True


def test_vehicle_tests_without_inputs_fail_with_reason():
    a = qualify({"good": {"hs": "8703.23"}, "as_of": "2024-01-01", "net_cost": "100"})
    t = by_name(a)
    assert t["rvc"].passed is True  # no materials: RVC 100
    assert {n: t[n].detail for n in ("core_parts", "steel", "aluminum", "lvc")} == {
        "core_parts": "no core_parts given",
        "steel": "no steel purchases given",
        "aluminum": "no aluminum purchases given",
        "lvc": "no lvc given",
    }
    assert a.qualifies is False


def test_heavy_truck_thresholds_and_core_parts():
    """Road tractor 8701.20 on 2025-01-01: RVC 64; core parts engine/transmission/body_chassis at Table D 64.
    NC 100000, VNM 35000 -> 65 >= 64. Engine (20000 - 7000) / 20000 = 65 >= 64."""
    req = {
        "good": {"hs": "8701.20"},
        "as_of": "2025-01-01",
        "net_cost": "100000",
        "materials": [{"id": "imports", "value": "35000", "origin": "non_originating"}],
        "core_parts": [
            {"part": "engine", "net_cost": "20000", "vnm": "7000"},
            {"part": "transmission", "net_cost": "8000", "vnm": "2000"},
            {"part": "body_chassis", "net_cost": "10000", "vnm": "3000"},
        ],
        "steel": {"purchases": "10", "originating": "8"},
        "aluminum": {"purchases": "10", "originating": "8"},
        "lvc": {"material_manufacturing": 31, "technology": 10, "assembly": 5},
    }
    a = qualify(req)
    assert (a.category, a.good["vehicle_type"], a.threshold, a.rvc) == (
        "heavy_truck_vehicle",
        "heavy_truck",
        "64",
        "65",
    )
    assert a.qualifies is True
    assert "[rule unverified, see rules data]" in by_name(a)["core_parts"].detail
    req["as_of"] = "2027-07-01"  # 70 from 1 July 2027
    assert qualify(req).qualifies is False


@pytest.mark.parametrize(
    ("mm", "as_of", "policy", "threshold", "passed"),
    [
        # 2025: threshold 64; RVC 62. Without the election: 62 < 64 fails.
        ("33", "2025-01-01", {}, "64", False),
        # With the election, M&M 33 gives 3 points: 64 - 3 = 61 <= 62 passes.
        ("33", "2025-01-01", {"ht_lvc_credit": True}, "61", True),
        # M&M 40 gives 10 points, but the requirement never goes below 60.
        ("40", "2025-01-01", {"ht_lvc_credit": True}, "60", True),
        # From 2027-07-01 the credit is gone: threshold 70.
        ("40", "2027-07-01", {"ht_lvc_credit": True}, "70", False),
    ],
)
def test_heavy_truck_lvc_credit(mm, as_of, policy, threshold, passed):
    """Road tractor: NC 100000, VNM 38000 -> RVC 62; CA-ROO s.18(22) credit of (M&M - 30) points until 2027-07-01."""
    req = {
        "good": {"hs": "8701.20"},
        "as_of": as_of,
        "net_cost": "100000",
        "materials": [{"id": "imports", "value": "38000", "origin": "non_originating"}],
        "lvc": {"material_manufacturing": mm, "technology": 10, "assembly": 5},
        "policy": policy,
    }
    a = qualify(req)
    t = by_name(a)["rvc"]
    assert (a.rvc, a.threshold, t.passed) == ("62", threshold, passed)
    assert a.policy["ht_lvc_credit"] == ("true" if policy else "false")


def test_steel_melted_and_poured_note_from_july_2027():
    before = by_name(qualify(car(as_of="2027-06-30")))["steel"].detail
    after = by_name(qualify(car(as_of="2027-07-01")))["steel"].detail
    assert "melted and poured" not in before
    assert after.endswith("steel counts as originating only if melted and poured in the region (from 2027-07-01))")


def test_core_parts_from_tagged_bom_lines_when_no_figures():
    """No core_parts figures: the tagged BOM lines decide. All six tagged and originating -> passes;
    the axle line non-originating -> fails with axle in the what-if."""
    req = car()
    del req["core_parts"]
    req["materials"] = [
        {"id": p, "value": "1000", "origin": "originating", "core_part": p}
        for p in ("engine", "transmission", "body_chassis", "axle", "suspension", "steering")
    ]
    t = by_name(qualify(req))["core_parts"]
    assert t.passed is True
    assert t.detail.startswith("from BOM lines tagged core_part: axle originating;")
    req["materials"][3]["origin"] = "non_originating"
    a = qualify(req)
    assert by_name(a)["core_parts"].detail.startswith("failing: axle; ")
    assert "core part axle must become originating" in a.what_if["also_needed"]
    req["materials"] = req["materials"][:2]
    assert by_name(qualify(req))["core_parts"].detail.startswith(
        "missing core part(s): body_chassis, axle, suspension, steering; "
    )
