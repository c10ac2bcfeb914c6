"""Check digits and calendar rules that the encoders and biip do not enforce.

zxing-cpp happily encodes a GTIN with a wrong check digit and biip only *flags* it, so the ledger would
otherwise accept a mistyped part as a new one. Every check here raises with the offending value in the
message.

>>> gs1_check_digit("0950600013435")
2
>>> gs1_date("271200", "17").isoformat()
'2027-12-31'
"""

from __future__ import annotations

import calendar
import datetime as dt

from scanner.identifiers.errors import IdentifierValidationError


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (weights 3,1,3,... from the right), for GTIN, GLN, SSCC, GRAI..."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def verify_check_digit(kind: str, key: str) -> None:
    """Refuse a GS1 key whose last digit is not its mod-10 check digit.

    Raises:
        IdentifierValidationError: e.g. "GTIN 04012345123457 has check digit 7, expected 6".
    """
    if not key.isdigit() or len(key) < 2:
        raise IdentifierValidationError(f"{kind} {key!r} must be digits", value=key, field=kind)
    expected = gs1_check_digit(key[:-1])
    if int(key[-1]) != expected:
        raise IdentifierValidationError(
            f"{kind} {key} has check digit {key[-1]}, expected {expected}", value=key, field=kind
        )


def normalise_gtin(gtin: str) -> str:
    """Pad a GTIN-8/12/13 to GTIN-14 and verify its check digit (the ledger keys parts by GTIN-14)."""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        raise IdentifierValidationError(f"GTIN {gtin!r} must have 8, 12, 13 or 14 digits", value=gtin, field="gtin")
    verify_check_digit("GTIN", gtin.zfill(14))
    return gtin.zfill(14)


def _gs1_year(two_digits: int, today: dt.date) -> int:
    """Full year of a GS1 two-digit year (GS1 General Specifications 7.12: -49..+50 years around today)."""
    century = today.year - today.year % 100
    diff = two_digits - today.year % 100
    if 51 <= diff <= 99:
        return century - 100 + two_digits
    if -99 <= diff <= -50:
        return century + 100 + two_digits
    return century + two_digits


def gs1_date(value: str, ai: str, *, allow_day_00: bool = True, today: dt.date | None = None) -> dt.date:
    """A GS1 YYMMDD date; day ``00`` means the last day of the month where the AI allows it (11-17).

    Raises:
        IdentifierValidationError: not six digits, or not a calendar date.
    """
    if len(value) != 6 or not value.isdigit():
        raise IdentifierValidationError(f"AI ({ai}) date {value!r} must be YYMMDD", value=value, field=ai)
    year = _gs1_year(int(value[:2]), today or dt.date.today())
    month, day = int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        raise IdentifierValidationError(
            f"AI ({ai}) date {value} has month {value[2:4]}, not 01-12", value=value, field=ai
        )
    if day == 0 and allow_day_00:
        day = calendar.monthrange(year, month)[1]
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise IdentifierValidationError(
            f"AI ({ai}) date {value} is not a calendar date (day {value[4:6]} in {year}-{month:02d})",
            value=value,
            field=ai,
        ) from None


def mh10_date(value: str, di: str) -> dt.date:
    """An MH10 YYYYMMDD date (DI 12D, 14D, 16D...).

    Raises:
        IdentifierValidationError: not eight digits, or not a calendar date.
    """
    if len(value) != 8 or not value.isdigit():
        raise IdentifierValidationError(f"DI {di} date {value!r} must be YYYYMMDD", value=value, field=di)
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise IdentifierValidationError(f"DI {di} date {value} is not a calendar date", value=value, field=di) from None


def mh10_week(value: str, di: str, *, year_digits: int) -> str:
    """An MH10 year-week (9D = YYWW, 11D = YYYYWW); returns it unchanged once the week is 01-53.

    Raises:
        IdentifierValidationError: wrong length or a week outside 01-53 (or 01-52 in a 52-week year).
    """
    size = year_digits + 2
    if len(value) != size or not value.isdigit():
        shape = "YYWW" if year_digits == 2 else "YYYYWW"
        raise IdentifierValidationError(f"DI {di} value {value!r} must be {shape}", value=value, field=di)
    year = int(value[:year_digits]) + (2000 if year_digits == 2 else 0)
    week = int(value[year_digits:])
    if year < 1:
        raise IdentifierValidationError(f"DI {di} value {value} has year 0000", value=value, field=di)
    weeks = dt.date(year, 12, 28).isocalendar()[1]
    if not 1 <= week <= weeks:
        raise IdentifierValidationError(
            f"DI {di} value {value} has week {week:02d}, but {year} has weeks 01-{weeks}",
            value=value,
            field=di,
        )
    return value
