"""ISO/IEC 15434 envelopes with MH10.8.2 DIs: constructs, canonical uid, envelope and value errors."""

from __future__ import annotations

import pytest

from ledger.errors import ParseError, ValidationError
from scanner.identifiers import IdentifierParseError, IdentifierValidationError, SerialRequiredError, parse

GS, RS, EOT = "\x1d", "\x1e", "\x04"


def msg(*fields: str, fmt: str = "06") -> str:
    return "[)>" + RS + fmt + GS + GS.join(fields) + RS + EOT


UII = "urn:usmca:uii:UN123456789SN0001234"


@pytest.mark.parametrize(
    "text",
    [
        msg("25SUN123456789SN0001234", "P84512345", "1P98765-432", "16D20250314", "4LDE"),
        msg("18VUN123456789", "SSN0001234", "P84512345"),
        msg("12V123456789", "SSN0001234"),
        msg("P84512345", "13V123456789", "SSN0001234"),
        msg("25SUN123456789SN0001234", "12V123456789", "SSN0001234"),
        msg("25SUN123456789SN0001234").replace(RS, "\u241e").replace(GS, "\u241d").replace(EOT, "\u2404"),
        "]d1" + msg("12V123456789", "SSN0001234"),
    ],
)
def test_equivalent_mh10_constructs_give_the_same_uid(text: str) -> None:
    part = parse(text, require_serial=True)
    assert part.scheme == "mh10"
    assert part.uid == UII
    assert part.serial == "SN0001234"
    assert part.duns == "123456789"


@pytest.mark.parametrize(
    ("fields", "uid", "serialized", "construct"),
    [
        (
            ("P12345678", "12V123456789", "1TA2B4C6D8E"),
            "urn:usmca:lot:UN123456789:12345678:A2B4C6D8E",
            False,
            "lot",
        ),
        (("P84512345", "V123456"), "urn:usmca:class:v.123456:84512345", False, "class"),
        (
            ("1P98765-432", "18VUN123456789", "TLOT7"),
            "urn:usmca:lot:UN123456789:98765-432:LOT7",
            False,
            "lot",
        ),
        (("V123456", "P1K0615123AB", "S0000012345"), "urn:usmca:vsn:123456:0000012345", True, "V+S"),
        (("18S1ABC5SER42",), "urn:usmca:uii:D1ABC5SER42", True, "18S"),
        (("37SUN123456789PN-7+SER42",), "urn:usmca:uii:UN123456789PN-7SER42", True, "37S"),
        (("25SLH1234SER/9",), "urn:usmca:uii:LH1234SER%2F9", True, "25S"),
    ],
)
def test_uid_constructs(fields: tuple[str, ...], uid: str, serialized: bool, construct: str) -> None:
    part = parse(msg(*fields))
    assert (part.uid, part.serialized, part.primary_key) == (uid, serialized, construct)


def test_typed_fields_come_from_their_dis() -> None:
    part = parse(
        msg(
            "P84512345",
            "1P98765-432",
            "Q250",
            "1TLOT2503A",
            "9D2511",
            "4LMX",
            "12V123456789",
            "14D20270131",
            "16D20250314",
            "V77",
            "ZFREE TEXT",
        )
    )
    assert part.part_number == "84512345"
    assert part.supplier_part_number == "98765-432"
    assert part.quantity == 250
    assert part.lot == "LOT2503A"
    assert part.country_of_origin == "MX"
    assert part.duns == "123456789"
    assert part.supplier_code == "77"
    assert part.production_date == "2025-03-14"
    assert part.expiry_date == "2027-01-31"
    assert part.fields["9D"] == "2511"
    assert part.fields["Z"] == "FREE TEXT"


def test_format_05_and_06_envelopes_in_one_message_merge() -> None:
    text = "[)>" + RS + "06" + GS + "12V123456789" + GS + "SSN1" + RS + "05" + GS + "0104012345123456" + RS + EOT
    part = parse(text)
    assert part.scheme == "mh10"
    assert part.uid == "urn:usmca:uii:UN123456789SN1"
    assert part.gtin == "04012345123456"
    assert part.fields == {"01": "04012345123456", "12V": "123456789", "S": "SN1"}


def test_lot_label_is_refused_where_a_serial_is_required() -> None:
    with pytest.raises(SerialRequiredError, match="urn:usmca:lot:UN123456789:12345678:A2B4C6D8E identifies a lot"):
        parse(msg("P12345678", "12V123456789", "1TA2B4C6D8E"), require_serial=True)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "[)>" + RS + "06" + GS + "P1" + GS + "S2",
            IdentifierParseError,
            "truncated ISO/IEC 15434 message '[)><RS>06<GS>P1<GS>S2': no EOT trailer",
        ),
        (
            "[)>" + RS + "06" + GS + "P1" + EOT,
            IdentifierParseError,
            "ISO/IEC 15434 message '[)><RS>06<GS>P1<EOT>' must end with RS EOT (the last envelope is unterminated)",
        ),
        (
            "[)>06" + GS + "P1" + RS + EOT,
            IdentifierParseError,
            "ISO/IEC 15434 message '[)>06<GS>P1<RS><EOT>' must start with '[)>' and RS",
        ),
        (msg("P1") + "X", IdentifierParseError, "ISO/IEC 15434 message has data 'X' after its EOT trailer"),
        ("[)>" + RS + RS + EOT, IdentifierParseError, "ISO/IEC 15434 message has no format envelope"),
        ("[)>" + RS + EOT, IdentifierParseError, "ISO/IEC 15434 message has no format envelope"),
        (
            "[)>" + RS + "06" + GS + "P1" + RS + RS + EOT,
            IdentifierParseError,
            "ISO/IEC 15434 envelope '' must start with a two-digit format and GS",
        ),
        (
            msg("25S UN1"),
            IdentifierValidationError,
            "DI 25S value ' UN1' does not match format IAC + CIN + serial, an..50",
        ),
        (
            "[)>" + RS + "6" + GS + "P1" + RS + EOT,
            IdentifierParseError,
            "ISO/IEC 15434 envelope '6<GS>P1' must start with a two-digit format and GS",
        ),
        (
            msg("X", fmt="07"),
            IdentifierParseError,
            "ISO/IEC 15434 format 07 is not supported (only 05 GS1 and 06 MH10.8.2 identify parts)",
        ),
        (
            msg("P1", "", "S1"),
            IdentifierParseError,
            "ISO/IEC 15434 format 06 envelope '06<GS>P1<GS><GS>S1' has an empty field",
        ),
        (
            msg("1234"),
            IdentifierParseError,
            "field '1234' does not start with a Data Identifier (digits and a letter)",
        ),
        (
            msg("12V12345678", "SX"),
            IdentifierValidationError,
            "DI 12V value '12345678' does not match format n9 or n13",
        ),
        (msg("12V123456789", "S"), IdentifierValidationError, "DI S has an empty value"),
        (
            msg("12V123456789", "S" + "A" * 36),
            IdentifierValidationError,
            "DI S value '" + "A" * 36 + "' does not match format an..35",
        ),
        (
            msg("P1", "12V123456789", "16D20250230"),
            IdentifierValidationError,
            "DI 16D date 20250230 is not a calendar date",
        ),
        (
            msg("P1", "12V123456789", "14D2025013"),
            IdentifierValidationError,
            "DI 14D value '2025013' does not match format YYYYMMDD",
        ),
        (
            msg("P1", "12V123456789", "9D2554"),
            IdentifierValidationError,
            "DI 9D value 2554 has week 54, but 2025 has weeks 01-52",
        ),
        (
            msg("P1", "12V123456789", "11D202600"),
            IdentifierValidationError,
            "DI 11D value 202600 has week 00, but 2026 has weeks 01-53",
        ),
        (
            msg("P1", "12V123456789", "4LXX"),
            IdentifierValidationError,
            "DI 4L country XX is not an ISO 3166-1 alpha-2 code",
        ),
        (
            msg("P1", "12V123456789", "4Lde"),
            IdentifierValidationError,
            "DI 4L value 'de' does not match format ISO 3166 alpha-2",
        ),
        (
            msg("P1", "12V123456789", "QTEN"),
            IdentifierValidationError,
            "DI Q value 'TEN' does not match format n..10",
        ),
        (
            msg("SSN1", "P1"),
            IdentifierValidationError,
            "serial SSN1 has no issuer: add 25S, 18V, 12V, 13V or V",
        ),
        (
            msg("P1", "1TLOT"),
            IdentifierValidationError,
            "MH10 message 'P1|1TLOT' identifies no part: it has no serial and no an issuer (18V, 12V, 13V or V)",
        ),
        (
            msg("12V123456789", "1TLOT"),
            IdentifierValidationError,
            "MH10 message '12V123456789|1TLOT' identifies no part: it has no serial and no a part number (P or 1P)",
        ),
        (
            msg("25SUN123456789SN1", "12V123456789", "SSN2"),
            IdentifierValidationError,
            "25S UN123456789SN1 contradicts 12V+S, which give UN123456789SN2",
        ),
        (
            msg("P1", "P2", "12V123456789"),
            IdentifierValidationError,
            "DI P appears twice with different values '1' and '2'",
        ),
        (
            msg("37SUN123456789PN-7SER42"),
            IdentifierValidationError,
            "DI 37S value 'UN123456789PN-7SER42' does not match format IAC + CIN + part '+' serial",
        ),
        (
            msg("25SUN123456789" + "X" * 40),
            IdentifierValidationError,
            "DI 25S value 'UN123456789" + "X" * 40 + "' is 51 characters, longer than a UII (50)",
        ),
    ],
)
def test_mh10_errors_name_the_offending_value(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as exc:
        parse(text)
    assert exc.value.message == message
    assert isinstance(exc.value, ParseError | ValidationError)
