"""Hand-checked RVC cases: TV and NC, net-cost exclusions, roll-up, the (d)(4)(B) credit, multi-tier BOMs,
tariff shift with de minimis, method choice and the answer contract. Each test shows its arithmetic."""

from __future__ import annotations

import copy
import json

import pytest

from api.origin import qualify, qualify_json
from ledger.errors import ParseError, ValidationError


def part(**over):
    """A Table B principal part (8708.30 brakes, original equipment for a PV/LT) in 2024: 70 NC / 80 TV."""
    req = {
        "good": {"description": "Brake caliper", "hs": "8708.30", "end_use": "oe_pv_lt"},
        "as_of": "2024-03-01",
        "method": "NC",
        "net_cost": "1000",
        "materials": [
            {"id": "casting", "value": "200", "origin": "non_originating"},
            {"id": "pads", "value": "100", "origin": "originating", "evidence": "CERT-1"},
        ],
    }
    req.update(over)
    return req


def test_nc_method_basic():
    """NC = 1000, VNM = 200 (casting); RVC = (1000 - 200) / 1000 x 100 = 80 >= 70 (Table B, from 2023-07-01)."""
    a = qualify(part())
    assert (a.qualifies, a.method, a.rvc, a.threshold, a.base, a.vnm) == (True, "NC", "80", "70", "1000", "200")
    assert a.category == "table_b_principal"
    assert [t.name for t in a.tests] == ["rvc"]
    assert a.tests[0].detail.startswith("NC: (1000 - 200) / 1000 x 100 = 80 >= 70")


def test_net_cost_derived_from_cost_exclusions():
    """NC = 1500 - 100 promotion - 50 royalties - 30 shipping - 20 interest = 1300;
    VNM = 200 -> RVC = (1300 - 200) / 1300 x 100 = 1100/13 = 84.61538461538461538461538462 (unrounded)."""
    req = part(net_cost=None)
    del req["net_cost"]
    req["cost"] = {
        "total_cost": "1500",
        "sales_promotion": "100",
        "royalties": "50",
        "shipping_packing": "30",
        "non_allowable_interest": "20",
    }
    a = qualify(req)
    assert a.net_cost == "1300"
    assert a.base == "1300"
    assert a.rvc == "84.61538461538461538461538462"


def test_net_cost_contradicting_cost_is_refused():
    req = part(cost={"total_cost": "1100", "royalties": "50"})  # derived NC 1050, stated 1000
    with pytest.raises(ValidationError) as err:
        qualify(req)
    assert err.value.message == "net_cost 1000 differs from the net cost 1050 derived from cost"


def test_exclusions_consuming_total_cost_are_refused():
    req = part(cost={"total_cost": "100", "sales_promotion": "100"})
    del req["net_cost"]
    with pytest.raises(ValidationError, match=r"cost.total_cost 100 less exclusions 100 leaves net cost 0"):
        qualify(req)


def test_tv_method_when_the_rule_offers_it():
    """8413.30 pump (Table B, chapter 84) with rule.tv_offered: TV 1250, VNM 200 ->
    (1250 - 200) / 1250 x 100 = 84 >= 80 (TV, from 2023-07-01)."""
    req = part(good={"hs": "8413.30", "end_use": "oe_pv_lt"}, method="TV", transaction_value="1250")
    req["rule"] = {"tv_offered": True}
    a = qualify(req)
    assert (a.method, a.rvc, a.threshold, a.qualifies) == ("TV", "84", "80", True)


def test_tv_refused_for_chapter_87_parts():
    req = part(method="TV", transaction_value="1250", rule={"tv_offered": True})
    with pytest.raises(ValidationError) as err:
        qualify(req)
    assert err.value.message.startswith("method TV is not offered for category table_b_principal (offered: NC)")


def test_tv_refused_for_vehicles():
    req = {"good": {"hs": "8703.23"}, "as_of": "2024-01-01", "method": "TV", "transaction_value": "100"}
    with pytest.raises(ValidationError) as err:
        qualify(req)
    assert err.value.message == (
        "method TV is not offered for category pv_lt_vehicle (offered: NC) (vehicle rules are net cost only, "
        "19 USC 4531(d)(5))"
    )


def test_best_picks_the_method_that_qualifies():
    """Custom rule TV 60 / NC 50. TV 1000, NC 800, VNM 450:
    TV (1000 - 450) / 1000 = 55 < 60 fails; NC (800 - 450) / 800 = 43.75 < 50 fails -> higher margin:
    TV margin -5 vs NC -6.25 -> TV. With VNM 350: TV 65 (+5), NC 56.25 (+6.25), both pass -> NC (larger margin)."""
    req = {
        "good": {"hs": "3926.90", "category": "general"},
        "as_of": "2024-01-01",
        "transaction_value": "1000",
        "net_cost": "800",
        "rule": {"rvc": {"TV": 60, "NC": 50}},
        "materials": [{"id": "resin", "value": "450", "origin": "non_originating"}],
    }
    a = qualify(req)
    assert (a.method, a.rvc, a.margin, a.qualifies) == ("TV", "55", "-5", False)
    assert a.methods["NC"] == {"rvc": "43.75", "threshold": "50", "passed": False, "margin": "-6.25"}
    req["materials"][0]["value"] = "350"
    a = qualify(req)
    assert (a.method, a.rvc, a.margin, a.qualifies) == ("NC", "56.25", "6.25", True)


def test_exactly_at_threshold_qualifies():
    """NC 1000, VNM 300 -> RVC exactly 70 = threshold 70: qualifies (comparison is >= on the unrounded value)."""
    req = part()
    req["materials"][0]["value"] = "300"
    a = qualify(req)
    assert (a.rvc, a.qualifies) == ("70", True)


def test_just_below_threshold_fails():
    """VNM 300.01 -> RVC (1000 - 300.01) / 1000 x 100 = 69.999 < 70."""
    req = part()
    req["materials"][0]["value"] = "300.01"
    a = qualify(req)
    assert (a.rvc, a.qualifies) == ("69.999", False)


def test_unknown_origin_counts_as_non_originating_and_is_listed():
    """casting 200 non-originating + pads 100 unknown -> VNM 300, RVC 70."""
    req = part()
    req["materials"][1]["origin"] = "unknown"
    a = qualify(req)
    assert (a.vnm, a.rvc) == ("300", "70")
    assert a.missing_evidence == ["pads"]
    assert a.lines[1]["why"] == "origin unknown: counted as non-originating: full value in VNM"


def test_regional_content_credit_d4b():
    """casting 200 non-originating with 80 of regional processing and originating materials inside:
    VNM contribution 200 - 80 = 120; RVC = (1000 - 120) / 1000 x 100 = 88."""
    req = part()
    req["materials"][0]["regional_content"] = "80"
    a = qualify(req)
    assert (a.vnm, a.rvc) == ("120", "88")
    assert a.lines[0]["originating"] == "80"
    assert "(d)(4)(B) credit 80 (declared regional_content)" in a.lines[0]["why"]


def test_credit_is_capped_at_the_material_value():
    """regional_content 250 on a 200 material counts 200 at most: VNM 0, RVC 100."""
    req = part()
    req["materials"][0]["regional_content"] = "250"
    assert qualify(req).vnm == "0"


def test_roll_up_ignores_non_originating_inside_originating_material():
    """Tier 2: pads (originating, 100) contain friction (non-originating, 60). Roll-up: pads count 100 %
    originating, so VNM stays 200 (casting only); RVC 80."""
    req = part()
    req["materials"].append({"id": "friction", "value": "60", "origin": "non_originating", "parent": "pads"})
    a = qualify(req)
    assert (a.vnm, a.rvc) == ("200", "80")
    sub = a.lines[2]
    assert sub["vnm"] == "0"
    assert sub["why"] == "inside 'pads', whose declared status decides"


def test_multi_tier_credit_derived_from_sub_lines():
    """casting (non-originating, 200) was made in the territory from: iron (originating, 50) and
    alloy (non-originating, 90, itself holding 30 of originating scrap, tier 3).
    alloy's originating content = 30 -> its VNM 60; casting's credit = 50 (iron) + 30 (alloy) = 80
    -> casting contributes 200 - 80 = 120; RVC = (1000 - 120) / 1000 x 100 = 88."""
    req = part()
    req["materials"] += [
        {"id": "iron", "value": "50", "origin": "originating", "parent": "casting"},
        {"id": "alloy", "value": "90", "origin": "non_originating", "parent": "casting"},
        {"id": "scrap", "value": "30", "origin": "originating", "parent": "alloy"},
    ]
    a = qualify(req)
    assert (a.vnm, a.rvc) == ("120", "88")
    lines = {ln["id"]: ln for ln in a.lines}
    assert lines["casting"]["originating"] == "80"
    assert lines["alloy"]["originating"] == "30"


def test_unknown_sub_line_of_non_originating_parent_is_missing_evidence():
    """The parent's credit comes from its sub-lines, so an unknown sub-line matters (and counts 0 credit)."""
    req = part()
    req["materials"].append({"id": "bolt", "value": "5", "origin": "unknown", "parent": "casting"})
    assert qualify(req).missing_evidence == ["bolt"]


def test_unknown_sub_line_inside_originating_parent_does_not_matter():
    req = part()
    req["materials"].append({"id": "bolt", "value": "5", "origin": "unknown", "parent": "pads"})
    assert qualify(req).missing_evidence == []


@pytest.mark.parametrize(
    ("materials", "message"),
    [
        ([{"id": "a", "value": 1, "origin": "originating"}] * 2, "material id 'a' appears twice"),
        ([{"id": "a", "value": 1, "origin": "originating", "parent": "zz"}], "material 'a' names parent 'zz'"),
        (
            [
                {"id": "a", "value": 1, "origin": "originating", "parent": "b"},
                {"id": "b", "value": 1, "origin": "originating", "parent": "a"},
            ],
            "material 'a' is its own ancestor (parent cycle)",
        ),
        (
            [{"id": "a", "value": -1, "origin": "originating"}],
            "materials[0].value -1 is negative; amounts must be >= 0",
        ),
        (
            [{"id": "a", "value": 1, "origin": "originating", "regional_content": "-0.5"}],
            "materials[0].regional_content -0.5 is negative",
        ),
        ([{"id": "a", "value": "NaN", "origin": "originating"}], "materials[0].value: Input should be a finite number"),
        ([{"id": "a", "value": 1, "origin": "maybe"}], "materials[0].origin: Input should be 'originating'"),
    ],
)
def test_bad_materials_are_named(materials, message):
    with pytest.raises(ValidationError) as err:
        qualify(part(materials=materials))
    assert err.value.message.startswith(message)


def shift_rule(**rule):
    """A general good under a custom rule: tariff shift, and/or RVC TV 60 / NC 50."""
    return {
        "good": {"hs": "8482.10", "category": "general"},
        "as_of": "2024-01-01",
        "transaction_value": "1000",
        "cost": {"total_cost": "900"},
        "rule": rule,
        "materials": [
            {"id": "rings", "value": "80", "origin": "non_originating", "fails_tariff_shift": True},
            {"id": "balls", "value": "300", "origin": "non_originating"},
        ],
    }


def test_de_minimis_rescues_tariff_shift_and_stays_in_vnm():
    """Shift-failing non-originating rings = 80; de minimis limit 10 % of TV 1000 = 100; 80 <= 100 passes.
    RVC still counts rings: VNM = 80 + 300 = 380; TV RVC = (1000 - 380) / 1000 = 62 >= 60."""
    a = qualify(shift_rule(tariff_shift=True, rvc={"TV": 60}, combine="and"))
    tests = {t.name: t for t in a.tests}
    assert tests["tariff_shift"].passed is False
    assert tests["de_minimis"].passed is True
    assert tests["de_minimis"].value == "8"  # 80 / 1000 x 100
    assert (a.vnm, a.rvc, a.qualifies) == ("380", "62", True)


def test_de_minimis_exceeded_fails_the_shift():
    """Rule = tariff shift only. rings 120 > 10 % of the larger base (TV 1000 -> 100) -> the shift fails;
    the what-if sources rings as originating (removes all 120 of shift-failing value)."""
    req = shift_rule(tariff_shift=True)
    req["materials"][0]["value"] = "120"
    a = qualify(req)
    assert a.qualifies is False
    assert {t.name: t.passed for t in a.tests} == {"tariff_shift": False, "de_minimis": False}
    assert a.what_if["materials"] == ["rings"]


def test_combine_or_lets_rvc_carry_the_good():
    """rings 120 fail the shift (12 % > 10 %); RVC TV = (1000 - 420) / 1000 = 58 < 60 fails too; NC base:
    total cost 900 -> NC 900, (900 - 420) / 900 = 53.33... >= 50 passes -> combine=or qualifies by RVC."""
    req = shift_rule(tariff_shift=True, rvc={"TV": 60, "NC": 50}, combine="or")
    req["materials"][0]["value"] = "120"
    a = qualify(req)
    assert (a.qualifies, a.method, a.rvc) == (True, "NC", "53.33333333333333333333333333")
    assert a.policy == {"core_part_rollup": "us", "combine": "or"}


def test_combine_defaults_to_and():
    req = shift_rule(tariff_shift=True, rvc={"NC": 50})
    req["materials"][0]["value"] = "120"
    a = qualify(req)
    assert a.policy["combine"] == "and"
    assert a.qualifies is False


def test_general_without_rule_is_refused():
    with pytest.raises(ValidationError, match=r"good.category general needs a rule"):
        qualify({"good": {"category": "general"}, "as_of": "2024-01-01", "net_cost": 1})


def test_as_of_before_usmca_is_refused():
    with pytest.raises(ValidationError, match=r"as_of 2020-06-30 is before the first table_b_principal NC"):
        qualify(part(as_of="2020-06-30"))


def test_unknown_fields_are_warned_not_silently_used():
    req = part()
    req["transaction_vaule"] = "5"
    req["materials"][0]["orign"] = "x"
    a = qualify(req)
    assert a.warnings == ["unknown field 'transaction_vaule' ignored", "unknown field 'materials[0].orign' ignored"]


def test_same_request_same_bytes_and_hash():
    text = json.dumps(part())
    one, two = qualify_json(text), qualify_json(json.dumps(json.loads(text)))
    assert one == two
    assert json.loads(one)["input_sha256"] == qualify(part()).input_sha256


def test_hash_changes_with_the_request():
    other = copy.deepcopy(part())
    other["materials"][0]["value"] = "201"
    assert qualify(other).input_sha256 != qualify(part()).input_sha256


def test_hs_with_or_without_dots_answers_the_same():
    a = qualify(part())
    b = qualify(part(good={"description": "Brake caliper", "hs": "870830", "end_use": "oe_pv_lt"}))
    assert (
        (a.rvc, a.category, a.good["hs"]) == (b.rvc, b.category, b.good["hs"]) == ("80", "table_b_principal", "870830")
    )


def test_invalid_json_text():
    with pytest.raises(ParseError, match=r"request is not valid JSON: Expecting value at line 1 column 1"):
        qualify_json("nope")


def test_answer_numbers_are_strings():
    """Floats in the request are read as their decimal text: 0.1 + 0.2 of VNM is exactly 0.3."""
    req = part(
        materials=[
            {"id": "a", "value": 0.1, "origin": "non_originating"},
            {"id": "b", "value": 0.2, "origin": "unknown"},
        ]
    )
    a = json.loads(qualify_json(json.dumps(req)))
    assert a["vnm"] == "0.3"
    assert a["rvc"] == "99.97"


def test_good_outside_the_tables_with_its_own_rule_is_general():
    """A plastic part (3926.90) with rule NC 50: NC 100, VNM 40 -> 60 >= 50."""
    req = {
        "good": {"hs": "3926.90"},
        "as_of": "2024-01-01",
        "net_cost": "100",
        "rule": {"rvc": {"NC": 50}},
        "materials": [{"id": "resin", "value": "40", "origin": "non_originating"}],
    }
    a = qualify(req)
    assert (a.category, a.rvc, a.threshold, a.qualifies) == ("general", "60", "50", True)
    assert a.threshold_source["verified"] is False


def test_explicit_tv_for_a_chapter_84_table_line_is_taken_with_a_warning():
    """8413.30 (Table B) with method TV and no rule: TV 1000, VNM 150 -> 85 >= 80, with a warning."""
    req = part(good={"hs": "8413.30", "end_use": "oe_pv_lt"}, method="TV", transaction_value="1000")
    req["materials"][0]["value"] = "150"
    a = qualify(req)
    assert (a.method, a.rvc, a.threshold) == ("TV", "85", "80")
    assert a.warnings == [
        "method TV taken as offered by the product rule of 841330 (not in the rules data); set rule.tv_offered "
        "to say so explicitly"
    ]
    best = qualify(part(good={"hs": "8413.30", "end_use": "oe_pv_lt"}, method="best", transaction_value="1000"))
    assert list(best.methods) == ["NC"]  # best never assumes a TV option


def test_unused_transaction_value_is_warned():
    a = qualify(part(method="best", transaction_value="1250"))
    assert a.method == "NC"
    assert a.warnings == ["transaction_value 1250 not used: no TV method is offered for category table_b_principal"]


def test_model_object_input_gives_the_same_result():
    from api.origin import QualifyRequest

    a = qualify(QualifyRequest.model_validate(part()))
    b = qualify(part())
    assert (a.rvc, a.vnm, a.lines) == (b.rvc, b.vnm, b.lines)


def test_unused_transaction_value_hint_for_chapter_84():
    a = qualify(part(good={"hs": "8413.30", "end_use": "oe_pv_lt"}, method="best", transaction_value="1250"))
    assert a.warnings == [
        "transaction_value 1250 not used: no TV method is offered for category table_b_principal "
        "(set rule.tv_offered if the product rule has one)"
    ]


def test_rule_rvc_with_tv_offers_tv_but_built_in_numbers_win():
    """8413.30 with rule.rvc TV 75: TV is offered, the built-in Table B TV threshold (80 in 2024) applies."""
    req = part(good={"hs": "8413.30", "end_use": "oe_pv_lt"}, method="TV", transaction_value="1000")
    req["rule"] = {"rvc": {"TV": 75}}
    a = qualify(req)
    assert (a.method, a.threshold) == ("TV", "80")
    assert a.warnings == ["rule.rvc TV 75 ignored: category table_b_principal has the built-in 80"]
