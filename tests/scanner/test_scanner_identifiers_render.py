"""Payload builders (element string, HRI, Digital Link, 15434) are the exact inverse of parse()."""

from __future__ import annotations

import pytest

from ledger.errors import ValidationError
from scanner.identifiers import (
    build_gs1,
    build_mh10,
    gs1_pairs,
    mh10_pairs,
    parse,
    payload_for,
    to_15434,
    to_digital_link,
    to_gs1_element_string,
    to_hri,
)

GS, RS, EOT = "\x1d", "\x1e", "\x04"


def test_element_string_puts_predefined_length_ais_first_and_separators_only_where_needed() -> None:
    pairs = [("21", "SN1"), ("01", "04012345123456"), ("10", "L1"), ("17", "271231"), ("422", "484")]
    assert to_gs1_element_string(pairs) == "01040123451234561727123121SN1" + GS + "10L1" + GS + "422484"
    assert to_gs1_element_string(pairs, symbology_identifier="]d2").startswith("]d201")
    assert to_hri(pairs) == "(01)04012345123456(17)271231(21)SN1(10)L1(422)484"


@pytest.mark.parametrize(
    "fields",
    [
        {"gtin": "4012345123456", "serial": "SN1"},
        {"gtin": "04012345123456", "lot": "L-7", "expiry_date": "2027-12-31", "quantity": 12},
        {
            "gtin": "95060002",
            "serial": "A/B",
            "part_number": "8W0-123",
            "country_of_origin": "ca",
            "production_date": "2024-02-29",
        },
    ],
)
def test_every_gs1_rendering_parses_back_to_the_same_part(fields: dict) -> None:
    pairs = gs1_pairs(**fields)
    part = build_gs1(**fields)
    for text in (
        to_hri(pairs),
        to_gs1_element_string(pairs),
        to_gs1_element_string(pairs, symbology_identifier="]d2"),
        GS + to_gs1_element_string(pairs),
        to_digital_link(pairs),
        payload_for(part),
    ):
        again = parse(text)
        assert again.uid == part.uid
        assert again.fields == part.fields


def test_digital_link_carries_attributes_as_query() -> None:
    pairs = gs1_pairs(gtin="04012345123456", serial="S/1", lot="L", expiry_date="2027-12-31")
    assert to_digital_link(pairs) == "https://id.gs1.org/01/04012345123456/21/S%2F1?17=271231&10=L"


@pytest.mark.parametrize(
    "fields",
    [
        {"part_number": "84512345", "serial": "SN1", "duns": "123456789"},
        {
            "uii": "UN123456789SN1",
            "part_number": "P 1",
            "country_of_origin": "DE",
            "production_date": "2025-03-14",
        },
        {"supplier_code": "77", "part_number": "P1", "lot": "L2", "quantity": 5, "expiry_date": "2026-01-31"},
    ],
)
def test_every_mh10_rendering_parses_back_to_the_same_part(fields: dict) -> None:
    part = build_mh10(**fields)
    text = to_15434(mh10_pairs(**fields))
    assert parse(text) == part
    assert parse(payload_for(part)) == part


def test_15434_with_gs1_envelope() -> None:
    text = to_15434([("12V", "123456789"), ("S", "X")], gs1_pairs=[("01", "04012345123456")])
    assert text == "[)>" + RS + "06" + GS + "12V123456789" + GS + "SX" + RS + "05" + GS + "0104012345123456" + RS + EOT
    assert parse(payload_for(parse(text))) == parse(text)


@pytest.mark.parametrize(
    ("builder", "fields", "message"),
    [
        (build_gs1, {"gtin": "4012345123457"}, "GTIN 04012345123457 has check digit 7, expected 6"),
        (build_gs1, {"gtin": "40123"}, "GTIN '40123' must have 8, 12, 13 or 14 digits"),
        (
            build_gs1,
            {"gtin": "4012345123456", "expiry_date": "2027-02-30"},
            "expiry_date '2027-02-30' is not an ISO date (YYYY-MM-DD)",
        ),
        (
            build_mh10,
            {"part_number": "P", "serial": "S", "duns": "123456789", "country_of_origin": "Mexico"},
            "country of origin 'Mexico' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            build_mh10,
            {"part_number": "P", "serial": "S"},
            "serial SS has no issuer: add 25S, 18V, 12V, 13V or V",
        ),
    ],
)
def test_builders_validate(builder, fields: dict, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        builder(**fields)
    assert exc.value.message == message
