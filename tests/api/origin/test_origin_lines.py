"""The plain BOM reader against pydantic: it accepts only what ``Material`` accepts, reads the same values, and
the engine answers the same whichever reader validated the lines."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from api.origin import QualifyRequest, answer_json, qualify
from api.origin.lines import lines_from_json, lines_from_models
from api.origin.models import Material
from ledger.errors import ValidationError

MATERIALS = pydantic.TypeAdapter(list[Material])

plain_amount = st.decimals(min_value=0, max_value=10**7, places=2).map(str)
odd_amount = st.sampled_from(
    ["-5", "-0", "0", "007.50", "1.", ".5", "1E+2", "1e-3", " 4", "1_000", "+1", "NaN", "inf", "abc", "١٢", ""]
)
odd_value = st.one_of(odd_amount, st.sampled_from([3, -2, 0, 2.5, True, None, [], {}]))
amount = st.one_of(plain_amount, plain_amount, odd_value)
text = st.one_of(st.none(), st.sampled_from(["a", "", "E-1"]), st.integers(0, 3))


accepted = st.one_of(plain_amount, plain_amount, plain_amount, st.sampled_from(["-5", "0", "1E+2", 3, 2.5]))


@st.composite
def material_lists(draw, odd=True):
    """BOMs of up to 8 lines; ``odd`` mixes in values pydantic refuses, else only ones it accepts."""
    n = draw(st.integers(min_value=0, max_value=8))
    basic = draw(st.booleans())  # only id, value, origin, parent: the column-by-column path
    money = amount if odd else accepted
    out = []
    for i in range(n):
        m = {
            "id": draw(st.sampled_from([f"m{i}", f"m{i}", "m0", "", 7] if odd else [f"m{i}", f"m{i}", "m0"])),
            "value": draw(money),
            "origin": draw(
                st.sampled_from(["originating", "non_originating", "unknown", "unknown", "foreign"][: 5 if odd else 4])
            ),
        }
        if i and draw(st.booleans()):
            m["parent"] = draw(st.sampled_from([f"m{i - 1}", "m0", None, 3 if odd else "m9"]))
        if odd and draw(st.integers(0, 9)) == 0:
            del m[draw(st.sampled_from(["id", "value", "origin"]))]
        if not basic:
            for key in ("regional_content", "non_originating_content"):
                if draw(st.booleans()):
                    m[key] = draw(money)
            if draw(st.booleans()):
                m["core_part"] = draw(st.sampled_from([None, "engine", "axle", "wheel" if odd else "steering"]))
            if draw(st.booleans()):
                m["fails_tariff_shift"] = draw(
                    st.sampled_from([True, False, "true", 1, None] if odd else [True, False])
                )
            for key in ("evidence", "description", "hs", "supplier"):
                if draw(st.booleans()):
                    m[key] = draw(text if odd else st.sampled_from([None, "a", "E-1"]))
            if draw(st.integers(0, 4)) == 0:
                m[draw(st.sampled_from(["regional_contnet", "notes"]))] = draw(text)
        out.append(m)
    return out


@settings(max_examples=400, deadline=None)
@given(material_lists())
def test_plain_reader_is_a_subset_of_pydantic_with_the_same_values(materials):
    lines = lines_from_json(materials)
    try:
        models = MATERIALS.validate_python(materials)
    except pydantic.ValidationError:
        assert lines is None
        return
    if lines is not None:
        # repr compares the Decimals' exponents too ("7.50" stays 7.50), not only their values
        assert repr(lines) == repr(lines_from_models(models))


@settings(max_examples=200, deadline=None)
@given(material_lists(odd=False), st.sampled_from(["us", "panel"]))
def test_same_answer_whichever_reader(materials, rollup):
    request = {
        "good": {"hs": "8703.23", "vehicle_type": "passenger"},
        "as_of": "2025-06-01",
        "net_cost": "20000",
        "policy": {"core_part_rollup": rollup},
        "materials": materials,
    }
    try:
        model = QualifyRequest.model_validate(request)
    except pydantic.ValidationError:
        return
    assert _outcome(request) == _outcome(model)


def _outcome(request: dict[str, Any] | QualifyRequest) -> dict[str, Any]:
    """The answer without its input hash (a model's hash is over its own dump), or the refusal."""
    try:
        answer = json.loads(answer_json(qualify(request)))
    except ValidationError as err:
        return {"refused": err.to_dict()}
    return {**answer, "input_sha256": ""}


def test_plain_lines_keep_decimal_text_and_warn_about_unknown_fields():
    lines = lines_from_json(
        [
            {"id": "a", "value": "7.50", "origin": "originating"},
            {"id": "b", "value": 3, "origin": "unknown", "parent": "a", "evidence": "C-1", "vlaue": "1"},
        ]
    )
    assert lines is not None
    assert lines.ids == ("a", "b")
    assert [str(v) for v in lines.values] == ["7.50", "3"]
    assert lines.parents == (None, "a")
    assert lines.evidence == (None, "C-1")
    assert lines.warnings == ("unknown field 'materials[1].vlaue' ignored",)
    assert lines_from_json([{"id": "a", "value": 1.5, "origin": "originating"}]) is None  # floats: pydantic decides
    assert lines_from_json([{"id": "a", "value": Decimal(1), "origin": "originating"}]) is None
