"""GS1 syntax: split element strings, HRI and Digital Link URIs into (AI, value) pairs and validate each pair.

Why our own splitter on top of biip's AI table: biip accepts a wrong check digit (it only flags it), and its
errors do not say which value was wrong. We use biip only as the source of the GS1 syntax dictionary (AI
formats, patterns, whether a separator is required) and apply every rule ourselves, so all three spellings go
through the same checks and produce the same messages.

>>> split_element_string("01040123451234561125031421SN000187" + GS + "10LOT42")
[('01', '04012345123456'), ('11', '250314'), ('21', 'SN000187'), ('10', 'LOT42')]
>>> parse_hri("(01)04012345123456(21)SN000187")
[('01', '04012345123456'), ('21', 'SN000187')]
>>> parse_digital_link("https://example.com/p/01/04012345123456/21/SN%2F1?17=271200")
[('01', '04012345123456'), ('21', 'SN/1'), ('17', '271200')]
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from biip import ParseError as BiipParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from scanner.identifiers.checks import gs1_date, verify_check_digit
from scanner.identifiers.countries import alpha2_from_numeric
from scanner.identifiers.errors import IdentifierParseError, IdentifierValidationError
from scanner.identifiers.text import GS, first_outside_cset82, show

Pairs = list[tuple[str, str]]

#: AIs whose value (or its leading digits) is a GS1 key with a mod-10 check digit: AI -> (name, slice).
CHECKED_KEYS: dict[str, tuple[str, slice]] = {
    "00": ("SSCC", slice(0, 18)),
    "01": ("GTIN", slice(0, 14)),
    "02": ("GTIN", slice(0, 14)),
    "8006": ("GTIN", slice(0, 14)),
    "8003": ("GRAI", slice(1, 14)),
    "253": ("GDTI", slice(0, 13)),
    "255": ("GCN", slice(0, 13)),
    "402": ("GSIN", slice(0, 17)),
    "8017": ("GSRN", slice(0, 18)),
    "8018": ("GSRN", slice(0, 18)),
    **{f"41{d}": ("GLN", slice(0, 13)) for d in "01234567"},
}

#: YYMMDD date AIs; day 00 ("end of month") is allowed only for 11-17 (GS1 General Specifications 3.4).
DATE_AIS = {"11", "12", "13", "15", "16", "17", "7006"}
DATE_PREFIX_AIS = {"7003", "4324", "4325", "4326", "8008", "7007"}

#: Origin and processing-country AIs (ISO 3166-1 numeric; 423 and 425 list up to five countries).
COUNTRY_AIS = frozenset({"422", "423", "424", "425", "426"})

#: AIs that are only meaningful together with another (GS1 syntax dictionary ``req`` attribute, subset).
REQUIRES: dict[str, tuple[str, ...]] = {
    "21": ("01", "8006"),
    "10": ("01", "02", "8006", "8026"),
    "22": ("01", "8006"),
    "250": ("21",),
    "254": ("414",),
    "8011": ("8010",),
}

#: AIs that can be the primary key of a GS1 Digital Link URI (GS1 DL standard 1.2, table 4-1).
DL_PRIMARY_KEYS = frozenset(
    {
        "00",
        "01",
        "253",
        "255",
        "401",
        "402",
        "414",
        "417",
        "8003",
        "8004",
        "8006",
        "8010",
        "8013",
        "8017",
        "8018",
    }
)

_HRI_AI = re.compile(r"\((\d{2,4})\)")


@lru_cache(maxsize=512)
def lookup_ai(text: str) -> GS1ApplicationIdentifier:
    """The GS1 AI that ``text`` starts with (its digits only are used).

    Raises:
        IdentifierParseError: no known AI starts the text.
    """
    try:
        return GS1ApplicationIdentifier.extract(text)
    except BiipParseError:
        raise IdentifierParseError(
            f"unknown GS1 Application Identifier at {show(text[:6])}", value=text[:6], field="ai"
        ) from None


def _fixed_length(ai: GS1ApplicationIdentifier) -> int | None:
    """Value length of a predefined-length AI (e.g. 14 for 01), read from its syntax-dictionary format."""
    parts = ai.format.split("+")[1:]
    total = 0
    for part in parts:
        m = re.fullmatch(r"[NX](\d+)", part)
        if m is None:
            return None
        total += int(m.group(1))
    return total


def split_element_string(data: str) -> Pairs:
    """Split GS1 element strings (GS-separated, leading GS tolerated) into (AI, raw value) pairs.

    Predefined-length AIs (01, 11, 17...) are cut at their fixed length; all others run to the next GS.

    Raises:
        IdentifierParseError: unknown AI, or a predefined-length value cut short.
    """
    pairs: Pairs = []
    pos = 0
    while pos < len(data):
        if data[pos] == GS:
            pos += 1
            continue
        ai = lookup_ai(data[pos : pos + 4])
        start = pos + len(ai.ai)
        size = None if ai.separator_required else _fixed_length(ai)
        if size is not None:
            end = start + size
            if end > len(data) or GS in data[start:end]:
                got = data[start:end].split(GS, maxsplit=1)[0]
                raise IdentifierParseError(
                    f"AI ({ai.ai}) needs {size} characters, got {show(got)}",
                    value=data[start:end],
                    field=ai.ai,
                )
        else:
            end = data.find(GS, start)
            end = len(data) if end < 0 else end
        pairs.append((ai.ai, data[start:end]))
        pos = end
    if not pairs:
        raise IdentifierParseError(f"no GS1 element strings in {show(data)}", value=data)
    return pairs


def parse_hri(text: str) -> Pairs:
    """Split GS1 human-readable text ``(01)...(21)...`` into (AI, value) pairs.

    Raises:
        IdentifierParseError: text before the first ``(AI)`` or an unknown AI.
    """
    pieces = _HRI_AI.split(text)
    if pieces[0] or len(pieces) < 3:
        raise IdentifierParseError(f"GS1 HRI {show(text)} must start with '(AI)'", value=text)
    pairs: Pairs = []
    for i in range(1, len(pieces), 2):
        ai = lookup_ai(pieces[i])
        if ai.ai != pieces[i]:
            raise IdentifierParseError(f"unknown GS1 Application Identifier ({pieces[i]})", value=pieces[i])
        pairs.append((ai.ai, pieces[i + 1]))
    return pairs


def parse_digital_link(uri: str) -> Pairs:
    """Read a GS1 Digital Link URI on any domain (and any path prefix) into (AI, value) pairs.

    The primary key is the first ``/AI/value`` path pair whose AI is numeric; the following pairs are its
    qualifiers; numeric query parameters are data attributes (others, like ``linkType``, are ignored).

    Raises:
        IdentifierParseError: no ``/AI/value`` path, an odd number of segments after the key, an unknown AI.
    """
    try:
        parts = urlsplit(uri)
    except ValueError as err:
        raise IdentifierParseError(f"Digital Link URI {show(uri)} is not a URI: {err}", value=uri) from None
    segments = [s for s in parts.path.split("/") if s]
    # The key is the first primary-key AI followed by a value, so a brand's own path prefix ("/2024/")
    # is skipped as the Digital Link standard allows.
    start = next(
        (i for i, s in enumerate(segments) if s in DL_PRIMARY_KEYS and i + 1 < len(segments)),
        None,
    )
    if start is None:
        raise IdentifierParseError(f"Digital Link URI {show(uri)} has no /AI/value path", value=uri)
    tail = segments[start:]
    if len(tail) % 2:
        raise IdentifierParseError(f"Digital Link URI {show(uri)} has an AI without a value ({tail[-1]})", value=uri)
    pairs: Pairs = []
    for i in range(0, len(tail), 2):
        ai = lookup_ai(tail[i])
        if ai.ai != tail[i]:
            raise IdentifierParseError(f"unknown GS1 Application Identifier /{tail[i]}/ in {show(uri)}", value=uri)
        value = unquote(tail[i + 1])
        if ai.ai in ("01", "02") and value.isdigit() and len(value) in (8, 12, 13):
            value = value.zfill(14)  # Digital Link allows GTIN-8/12/13 in the path (GS1 DL 1.2, 4.4)
        pairs.append((ai.ai, value))
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.isdigit():
            ai = lookup_ai(key)
            if ai.ai != key:
                raise IdentifierParseError(f"unknown GS1 Application Identifier ?{key}= in {show(uri)}", value=uri)
            pairs.append((key, value))
    return pairs


def validate_pair(ai_code: str, value: str) -> None:
    """Apply the GS1 rules to one element: format and length, CSET 82, check digits, dates, country.

    Raises:
        IdentifierValidationError: naming the AI and the value.
    """
    ai = lookup_ai(ai_code)
    if not value:
        raise IdentifierValidationError(f"AI ({ai_code}) has an empty value", value=value, field=ai_code)
    if ai_code in DATE_AIS and len(value) == 6 and value.isdigit():
        gs1_date(value, ai_code, allow_day_00=ai_code != "7006")
    if re.fullmatch(ai.pattern, ai_code + value) is None:
        bad = first_outside_cset82(value) if "X" in ai.format else None
        if bad is not None:
            raise IdentifierValidationError(
                f"AI ({ai_code}) value {show(value)} contains {bad!r}, which GS1 character set 82 does not allow",
                value=value,
                field=ai_code,
            )
        raise IdentifierValidationError(
            f"AI ({ai_code}) value {show(value)} does not match format {ai.format.split('+', 1)[1]}",
            value=value,
            field=ai_code,
        )
    if ai_code in CHECKED_KEYS:
        name, cut = CHECKED_KEYS[ai_code]
        verify_check_digit(name, value[cut])
    if ai_code == "8006" and not 1 <= int(value[14:16]) <= int(value[16:18]):
        raise IdentifierValidationError(
            f"AI (8006) {value} is piece {value[14:16]} of {value[16:18]}; pieces run from 01 to the total",
            value=value,
            field=ai_code,
        )
    if ai_code in DATE_PREFIX_AIS:
        gs1_date(value[:6], ai_code, allow_day_00=False)
        if ai_code == "7007" and len(value) == 12:
            gs1_date(value[6:], ai_code, allow_day_00=False)
    if ai_code in COUNTRY_AIS:
        for i in range(0, len(value), 3):
            if alpha2_from_numeric(value[i : i + 3]) is None:
                raise IdentifierValidationError(
                    f"AI ({ai_code}) country {value[i : i + 3]} is not an ISO 3166-1 numeric code",
                    value=value,
                    field=ai_code,
                )


def validate_message(pairs: Pairs) -> dict[str, str]:
    """Validate every pair and the message as a whole; return AI -> value in scan order.

    Raises:
        IdentifierValidationError: a bad element, an AI repeated with two values, or a missing companion AI.
    """
    fields: dict[str, str] = {}
    for ai, value in pairs:
        validate_pair(ai, value)
        if ai in fields and fields[ai] != value:
            raise IdentifierValidationError(
                f"AI ({ai}) appears twice with different values {show(fields[ai])} and {show(value)}",
                value=value,
                field=ai,
            )
        fields[ai] = value
    for ai, needs in REQUIRES.items():
        if ai in fields and not any(n in fields for n in needs):
            wanted = " or ".join(f"({n})" for n in needs)
            raise IdentifierValidationError(
                f"AI ({ai}) {show(fields[ai])} requires {wanted} in the same message",
                value=fields[ai],
                field=ai,
            )
    return fields
