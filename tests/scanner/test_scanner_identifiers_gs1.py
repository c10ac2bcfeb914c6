"""GS1 spellings (element string, ]d2, leading GS, HRI, Digital Link, 15434 format 05) and their validation."""

from __future__ import annotations

import pytest

from ledger.errors import ParseError, ValidationError
from scanner.identifiers import (
    IdentifierParseError,
    IdentifierValidationError,
    SerialRequiredError,
    parse,
)

GS, RS, EOT = "\x1d", "\x1e", "\x04"
UID = "https://id.gs1.org/01/04012345123456/21/SN000187"


@pytest.mark.parametrize(
    "text",
    [
        "01040123451234561125031421SN000187" + GS + "10LOT42",
        "]d201040123451234561125031421SN000187" + GS + "10LOT42",
        GS + "01040123451234561125031421SN000187" + GS + "10LOT42",
        "]C10104012345123456" + "21SN000187",
        "]Q30104012345123456" + "21SN000187",
        "(01)04012345123456(11)250314(21)SN000187(10)LOT42",
        "(01)04012345123456(21)SN000187",
        "https://id.gs1.org/01/04012345123456/21/SN000187",
        "https://id.gs1.org/01/04012345123456/10/LOT42/21/SN000187?11=250314",
        "https://brand.example.com/products/01/04012345123456/21/SN000187?linkType=gs1:pip",
        "HTTP://Example.COM/01/4012345123456/21/SN000187",
        "https://brand.example.com/2024/05/01/04012345123456/21/SN000187",
        "[)>" + RS + "05" + GS + "0104012345123456" + GS + "21SN000187" + RS + EOT,
        "01040123451234561125031421SN000187\u241d10LOT42",
        "(01)04012345123456(21)SN000187\r\n",
        "]d1(01)04012345123456(21)SN000187",
    ],
)
def test_every_gs1_spelling_of_one_part_gives_the_same_uid(text: str) -> None:
    part = parse(text)
    assert part.scheme == "gs1"
    assert part.uid == UID
    assert part.serialized
    assert part.gtin == "04012345123456"
    assert part.serial == "SN000187"


def test_element_string_fields_are_typed_and_kept_raw() -> None:
    part = parse(
        "]d2010401234512345611250314172712002"
        + "1SN000187"
        + GS
        + "10LOT42"
        + GS
        + "2418W0-123-456-A"
        + GS
        + "422484"
        + GS
        + "30250"
    )
    assert part.production_date == "2025-03-14"
    assert part.expiry_date == "2027-12-31"
    assert part.lot == "LOT42"
    assert part.part_number == "8W0-123-456-A"
    assert part.country_of_origin == "MX"
    assert part.quantity == 250
    assert part.fields == {
        "01": "04012345123456",
        "11": "250314",
        "17": "271200",
        "21": "SN000187",
        "10": "LOT42",
        "241": "8W0-123-456-A",
        "422": "484",
        "30": "250",
    }
    assert part.as_dict()["fields"]["422"] == "484"


def test_processing_countries_are_validated_code_by_code() -> None:
    part = parse("(01)04012345123456(21)X(422)484(423)840124(424)484(426)124")
    assert part.country_of_origin == "MX"
    assert part.fields["423"] == "840124"
    with pytest.raises(IdentifierValidationError) as exc:
        parse("(01)04012345123456(423)484840999")
    assert exc.value.message == "AI (423) country 999 is not an ISO 3166-1 numeric code"


@pytest.mark.parametrize(
    ("text", "uid", "serialized", "key"),
    [
        ("(01)04012345123456(10)LOT42", "https://id.gs1.org/01/04012345123456/10/LOT42", False, "01"),
        ("(01)04012345123456", "https://id.gs1.org/01/04012345123456", False, "01"),
        ("(01)04012345123456(22)V2(21)S1", "https://id.gs1.org/01/04012345123456/22/V2/21/S1", True, "01"),
        (
            "(8006)040123451234560102(21)SN000187",
            "https://id.gs1.org/8006/040123451234560102/21/SN000187",
            True,
            "8006",
        ),
        ("(8004)4012345ENG00077", "https://id.gs1.org/8004/4012345ENG00077", True, "8004"),
        ("(8003)04012345000016SER9", "https://id.gs1.org/8003/04012345000016SER9", True, "8003"),
        ("(8003)04012345000016", "https://id.gs1.org/8003/04012345000016", False, "8003"),
        ("(00)340123450000000017", "https://id.gs1.org/00/340123450000000017", True, "00"),
        ("(8010)4012345ABC(8011)77", "https://id.gs1.org/8010/4012345ABC/8011/77", True, "8010"),
        ("(01)04012345123456(21)A/B%C", "https://id.gs1.org/01/04012345123456/21/A%2FB%25C", True, "01"),
    ],
)
def test_uid_uses_the_primary_key_and_identity_qualifiers_only(text: str, uid: str, serialized: bool, key: str) -> None:
    part = parse(text)
    assert (part.uid, part.serialized, part.primary_key) == (uid, serialized, key)


def test_digital_link_percent_encoding_round_trips_to_the_same_uid() -> None:
    hri = parse("(01)04012345123456(21)A/B%C")
    assert parse(hri.uid).uid == hri.uid
    assert parse(hri.uid).serial == "A/B%C"


def test_gtin_8_12_13_in_a_digital_link_is_padded_to_14() -> None:
    assert parse("https://x.example/01/9506000134352/21/1").gtin == "09506000134352"


def test_require_serial_refuses_lot_level_identifiers() -> None:
    with pytest.raises(SerialRequiredError) as exc:
        parse("(01)04012345123456(10)LOT42", require_serial=True)
    assert exc.value.message == (
        "https://id.gs1.org/01/04012345123456/10/LOT42 identifies a lot or product class, not a serialized part"
    )
    assert isinstance(exc.value, ValidationError)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("0104012345123457", IdentifierValidationError, "GTIN 04012345123457 has check digit 7, expected 6"),
        (
            "https://id.gs1.org/01/04012345123457/21/X",
            IdentifierValidationError,
            "GTIN 04012345123457 has check digit 7, expected 6",
        ),
        (
            "(00)340123450000000018",
            IdentifierValidationError,
            "SSCC 340123450000000018 has check digit 8, expected 7",
        ),
        (
            "(01)04012345123456(21)X(414)4012345000008",
            IdentifierValidationError,
            "GLN 4012345000008 has check digit 8, expected 9",
        ),
        (
            "(8006)040123451234570102(21)X",
            IdentifierValidationError,
            "GTIN 04012345123457 has check digit 7, expected 6",
        ),
        (
            "(01)04012345123456(11)251340(21)X",
            IdentifierValidationError,
            "AI (11) date 251340 has month 13, not 01-12",
        ),
        (
            "(01)04012345123456(17)250230(21)X",
            IdentifierValidationError,
            "AI (17) date 250230 is not a calendar date (day 30 in 2025-02)",
        ),
        (
            "(01)04012345123456(7006)250300(21)X",
            IdentifierValidationError,
            "AI (7006) date 250300 is not a calendar date (day 00 in 2025-03)",
        ),
        (
            "(01)04012345123456(21)SN 1",
            IdentifierValidationError,
            "AI (21) value 'SN 1' contains ' ', which GS1 character set 82 does not allow",
        ),
        (
            "(01)04012345123456(21)SN#1",
            IdentifierValidationError,
            "AI (21) value 'SN#1' contains '#', which GS1 character set 82 does not allow",
        ),
        (
            "(01)04012345123456(21)" + "A" * 21,
            IdentifierValidationError,
            "AI (21) value 'AAAAAAAAAAAAAAAAAAAAA' does not match format X..20",
        ),
        (
            "(01)0401234512345(21)X",
            IdentifierValidationError,
            "AI (01) value '0401234512345' does not match format N14",
        ),
        (
            "(01)04012345123456(422)999",
            IdentifierValidationError,
            "AI (422) country 999 is not an ISO 3166-1 numeric code",
        ),
        (
            "(01)04012345123456(422)27",
            IdentifierValidationError,
            "AI (422) value '27' does not match format N3",
        ),
        ("(01)04012345123456(21)", IdentifierValidationError, "AI (21) has an empty value"),
        (
            "(01)04012345123456(21)A(21)B",
            IdentifierValidationError,
            "AI (21) appears twice with different values 'A' and 'B'",
        ),
        ("(21)SN1", IdentifierValidationError, "AI (21) 'SN1' requires (01) or (8006) in the same message"),
        (
            "(414)4012345000009(254)X",
            IdentifierValidationError,
            "GS1 message '(414)4012345000009(254)X' has no part key: expected one of AI 01, 8006, 8004, 8003, 00, 8010",
        ),
        ("0104012345", IdentifierParseError, "AI (01) needs 14 characters, got '04012345'"),
        (
            "010401234512345621SN1" + GS + "23X",
            IdentifierParseError,
            "unknown GS1 Application Identifier at '23X'",
        ),
        ("(01)04012345123456(999)X", IdentifierParseError, "unknown GS1 Application Identifier (999)"),
        (
            "X(01)04012345123456",
            IdentifierParseError,
            "unrecognised identifier 'X(01)04012345123456': expected GS1 element strings, GS1 HRI '(01)...', "
            "a GS1 Digital Link URI or an ISO/IEC 15434 message '[)>'",
        ),
        (
            "https://id.gs1.org/about",
            IdentifierParseError,
            "Digital Link URI 'https://id.gs1.org/about' has no /AI/value path",
        ),
        (
            "https://id.gs1.org/01/04012345123456/21",
            IdentifierParseError,
            "Digital Link URI 'https://id.gs1.org/01/04012345123456/21' has an AI without a value (21)",
        ),
        (
            "(8006)040123451234560302(21)X",
            IdentifierValidationError,
            "AI (8006) 040123451234560302 is piece 03 of 02; pieces run from 01 to the total",
        ),
        (
            "(8006)040123451234560002(21)X",
            IdentifierValidationError,
            "AI (8006) 040123451234560002 is piece 00 of 02; pieces run from 01 to the total",
        ),
        ("", IdentifierParseError, "empty scan: nothing to parse"),
        ("\r\n", IdentifierParseError, "empty scan: nothing to parse"),
        (
            "0104012345123456\x0721X",
            IdentifierParseError,
            "control character U+0007 at position 16 in '0104012345123456\\x0721X'",
        ),
        (
            "(01)04012345123456(21)SNé",
            IdentifierParseError,
            "non-ASCII character 'é' (U+00E9) at position 24 in '(01)04012345123456(21)SNé'",
        ),
        ("\x00\x01\x02", IdentifierParseError, "control character U+0000 at position 0 in '\\x00\\x01\\x02'"),
    ],
)
def test_gs1_errors_name_the_offending_value(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as exc:
        parse(text)
    assert exc.value.message == message
    assert isinstance(exc.value, ParseError | ValidationError)


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(IdentifierParseError, match="scan of 5000 characters is longer than any Data Matrix payload"):
        parse("0" * 5000)


def test_non_text_input_is_a_parse_error() -> None:
    with pytest.raises(IdentifierParseError, match="scan must be text, got bytes"):
        parse(b"0104012345123456")  # type: ignore[arg-type]


def test_parentheses_inside_values_survive_element_strings_and_digital_links() -> None:
    part = parse("0104012345123456" + "21X(21)Y" + GS + "10L")
    assert part.fields == {"01": "04012345123456", "21": "X(21)Y", "10": "L"}
    assert parse(part.uid).serial == "X(21)Y"
