"""Validated scalar types of network.yaml: identifiers, digit strings, countries, GLNs and coordinates.

Each validator raises ``ValueError`` with a sentence naming the bad value; ``config.py`` turns pydantic's
report into one :class:`ledger.errors.ValidationError` with the field path. Digit strings must be quoted in
YAML: PyYAML reads ``0614141`` as an octal number, silently losing the leading zero a GS1 prefix depends on.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

#: ISO 3166-1 alpha-2 codes (Debian iso-codes 4.15.0, 249 entries).
_ISO_TEXT = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA "
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
)
ISO_COUNTRIES = frozenset(_ISO_TEXT.split())
#: The USMCA parties.
USMCA_COUNTRIES = frozenset({"US", "MX", "CA"})

_MSP_ID = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NETWORK = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_CHANNEL = re.compile(r"[a-z][a-z0-9.-]{0,248}")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _no_number(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError(
            f"{value!r} is a number; quote digit strings in YAML (e.g. '0614141') so leading zeros are kept"
        )
    return value


def _matcher(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


def _digits(lo: int, hi: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value.isascii() or not value.isdigit() or not lo <= len(value) <= hi:
            size = f"{lo}" if lo == hi else f"{lo} to {hi}"
            raise ValueError(f"{what} {value!r} must be {size} digits")
        return value

    return AfterValidator(check)


def _gln(value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) != 13:
        raise ValueError(f"GLN {value!r} must be 13 digits")
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise ValueError(f"GLN {value} has check digit {value[-1]}, expected {expected}")
    return value


def _country(value: str) -> str:
    code = value.upper()
    if code not in ISO_COUNTRIES:
        raise ValueError(f"country {value!r} is not an ISO 3166-1 alpha-2 code")
    return code


MspId = Annotated[str, _matcher(_MSP_ID, "MSP id (a letter, then letters, digits, '.' or '-')")]
Name = Annotated[str, _matcher(_NAME, "name (letters, digits, '.', '_' or '-', at most 64)")]
NetworkName = Annotated[str, _matcher(_NETWORK, "network name (lowercase letters, digits and '-')")]
ChannelName = Annotated[str, _matcher(_CHANNEL, "channel name (lowercase, starting with a letter)")]
Host = Annotated[str, _matcher(_HOST, "host name or IP address")]
Country = Annotated[str, AfterValidator(_country)]
GS1Prefix = Annotated[str, BeforeValidator(_no_number), _digits(6, 12, "GS1 company prefix")]
Duns = Annotated[str, BeforeValidator(_no_number), _digits(9, 9, "DUNS number")]
Gln = Annotated[str, BeforeValidator(_no_number), AfterValidator(_gln)]
