"""Averaging NC and VNM over a period and model line (CA-ROO s.16, 19 CFR 182.100)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.origin import qualify, qualify_average
from ledger.errors import ValidationError


def vehicle(nc, vnm, as_of="2024-01-10", engine_vnm="1000"):
    return {
        "good": {"hs": "8703.23", "vehicle_type": "passenger"},
        "as_of": as_of,
        "net_cost": nc,
        "materials": [{"id": "imported", "value": vnm, "origin": "non_originating"}],
        "core_parts": [
            {"part": "engine", "net_cost": "5000", "vnm": engine_vnm},
            {"part": "body_chassis", "net_cost": "9000", "vnm": "1000"},
            {"part": "axle", "net_cost": "1000", "vnm": "200"},
            {"part": "suspension", "net_cost": "1000", "vnm": "200"},
            {"part": "steering", "net_cost": "1000", "vnm": "200"},
        ],
        "steel": {"purchases": "1000", "originating": "800"},
        "aluminum": {"purchases": "500", "originating": "350"},
        "lvc": {"material_manufacturing": "26", "technology": "10", "assembly": "5"},
    }


def test_average_lets_a_line_qualify_where_one_vehicle_fails():
    """Vehicle 1: NC 30000, VNM 9000 -> 70 < 75 (fails alone). Vehicle 2: NC 30000, VNM 3000 -> 90.
    Average: (60000 - 12000) / 60000 x 100 = 80 >= 75."""
    one, two = vehicle("30000", "9000"), vehicle("30000", "3000")
    assert qualify(one).qualifies is False
    a = qualify_average([one, two])
    assert (a.vehicles, a.method, a.base, a.vnm, a.rvc, a.qualifies) == (2, "NC", "60000", "12000", "80", True)
    assert a.lines == [
        {
            "id": "imported",
            "value": "12000",
            "vnm": "12000",
            "originating": "0",
            "goods": 2,
            "why": "summed over the averaged goods",
        }
    ]


def test_average_is_weighted_by_net_cost():
    """NC 10000 / VNM 1000 (90 %) and NC 40000 / VNM 14000 (65 %): (50000 - 15000) / 50000 = 70, not the
    plain mean of 90 and 65 (77.5)."""
    a = qualify_average([vehicle("10000", "1000"), vehicle("40000", "14000")])
    assert a.rvc == "70"


def test_core_parts_are_averaged_part_by_part():
    """Engine VNM 1500 of 5000 (70 %) in one vehicle and 500 (90 %) in the other: (10000 - 2000) / 10000 = 80."""
    a = qualify_average([vehicle("30000", "3000", engine_vnm="1500"), vehicle("30000", "3000", engine_vnm="500")])
    engine = next(cp for cp in a.core_parts if cp["part"] == "engine")
    assert (engine["net_cost"], engine["vnm"], engine["rvc"], engine["passed"]) == ("10000", "2000", "80", True)


def _test(answer, name):
    return next(t for t in answer.tests if t.name == name)


def test_period_steel_and_aluminum_figures_count_once():
    """Every vehicle of the line carries the producer's period purchases (steel 800 of 1000, aluminum 350 of
    500): the line's purchases are those figures, not three times them."""
    a = qualify_average([vehicle("30000", "3000"), vehicle("30000", "3000"), vehicle("30000", "6000")])
    assert a.vehicles == 3
    assert _test(a, "steel").detail.startswith("800 / 1000 x 100 = 80 >= 70")
    assert _test(a, "aluminum").detail.startswith("350 / 500 x 100 = 70 >= 70")


def test_different_period_figures_are_added_each_once():
    """Two plants' figures (800 of 1000 and 300 of 500), each on two vehicles: 1100 of 1500 = 73.33 %."""
    one, two = vehicle("30000", "3000"), vehicle("30000", "3000")
    two["steel"] = {"purchases": "500", "originating": "300"}
    a = qualify_average([one, two, dict(one, as_of="2024-01-11"), dict(two, as_of="2024-01-11")])
    assert _test(a, "steel").detail.startswith("1100 / 1500 x 100 = 73.33")
    assert _test(a, "steel").passed is True
    assert _test(a, "aluminum").detail.startswith("350 / 500 x 100 = 70 >= 70")


def test_latest_as_of_applies_by_default():
    """Vehicles of 2023-06-20 (72) and 2023-07-05 (75): the averaged answer uses 75, the conservative step."""
    a = qualify_average([vehicle("30000", "7950", as_of="2023-06-20"), vehicle("30000", "7950", as_of="2023-07-05")])
    assert (a.threshold, a.as_of) == ("75", "2023-07-05")
    import datetime as dt

    assert qualify_average([vehicle("30000", "7950")], as_of=dt.date(2023, 6, 30)).threshold == "72"


def test_averaging_is_deterministic_and_order_sensitive_hash():
    a = qualify_average([vehicle("30000", "9000"), vehicle("30000", "3000")])
    b = qualify_average([vehicle("30000", "9000"), vehicle("30000", "3000")])
    assert a == b
    c = qualify_average([vehicle("30000", "3000"), vehicle("30000", "9000")])
    assert c.rvc == a.rvc
    assert c.input_sha256 != a.input_sha256


def test_mixed_categories_refused():
    truck = vehicle("30000", "3000")
    truck["good"] = {"hs": "8701.20"}
    with pytest.raises(
        ValidationError, match=r"cannot average category heavy_truck_vehicle with pv_lt_vehicle \(item 1\)"
    ):
        qualify_average([vehicle("30000", "3000"), truck])


def test_empty_and_bad_items():
    with pytest.raises(ValidationError, match="nothing to average"):
        qualify_average([])
    bad = vehicle("30000", "3000")
    bad["net_cost"] = "-1"
    with pytest.raises(ValidationError) as err:
        qualify_average([vehicle("30000", "3000"), bad])
    assert err.value.message.startswith("item 1: net_cost: Input should be greater than 0")


def test_repeated_goods_sum_as_one_by_one_even_when_sums_round():
    """30 identical vehicles whose import is 0.333...3 (28 digits): the running VNM needs more than 28 digits, so
    each addition rounds. The answer keeps the one-by-one sum (...991), not 30 x the value (...999)."""
    third = "0.3333333333333333333333333333"
    one_by_one = Decimal(0)
    for _ in range(30):
        one_by_one += Decimal(third)
    assert one_by_one != Decimal(third) * 30  # the case only matters where the two differ
    a = qualify_average([vehicle("30000", third) for _ in range(30)])
    assert a.vnm == str(one_by_one) == "9.999999999999999999999999991"
    assert a.lines[0]["value"] == str(one_by_one)
    assert a.base == "900000"


def test_repeated_goods_give_the_answer_of_distinct_ones():
    """Two configurations, each repeated: the same answer as the same vehicles written out as distinct objects
    with their keys in another order (so no reuse key matches), input hash included."""
    goods = [vehicle("30000", "9000"), vehicle("31000", "2500.25", engine_vnm="700")]
    fleet = [goods[i % 2] for i in range(40)]
    reordered = [dict(reversed(list(g.items()))) for g in fleet]
    assert qualify_average(fleet) == qualify_average(reordered)
    assert qualify_average(fleet).vnm == "230005"


def test_content_key_tells_plain_values_apart():
    from api.origin.evaluation import content_key

    assert content_key({"a": [1, "x"]}) == content_key({"a": [1, "x"]})
    keys = {content_key({"v": v}) for v in (1, True, 1.0, "1", None, [1])}
    assert len(keys) == 6
    assert content_key({"a": 1, "b": 2}) != content_key({"b": 2, "a": 1})  # order counts: only a missed reuse
    assert content_key({"v": Decimal(1)}) is None
