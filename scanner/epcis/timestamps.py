"""EPCIS timestamps: strict parsing for event fields and the canonical UTC form the event hash uses.

EPCIS 2.0 requires ``eventTime`` as an XSD dateTimeStamp (offset mandatory) plus a separate
``eventTimeZoneOffset``. The hash compares instants, not spellings, so it rewrites every time value to UTC
with exactly three fractional digits and a ``Z`` (``2025-03-14T09:15:27.1234+01:00`` becomes
``2025-03-14T08:15:27.123Z``), rounding the microseconds half-to-even to milliseconds as the reference tool
does (Python's ``round``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from ledger.errors import ValidationError

_STRICT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](?:\d{2}):(?:\d{2}))$",
)
# What the hash canonicalises: the strict form plus the lenient spellings dateutil also reads.
_LENIENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$",
)
#: The GS1 schema's pattern for ``eventTimeZoneOffset``.
TZ_OFFSET = re.compile(r"^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$")


def _build(m: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "").ljust(6, "0")[:6])
    zone = m.group(8)
    if zone in ("Z", "z"):
        tz = UTC
    else:
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
        if hours > 23 or minutes > 59:
            raise ValueError(f"offset {zone} out of range")
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


def parse_timestamp(value: object, *, field: str = "eventTime") -> datetime:
    """Parse an XSD dateTimeStamp (``2025-03-14T09:15:27.123+01:00`` or ``...Z``) into an aware datetime.

    Raises ValidationError naming the field and value when the text has no offset or is no real instant.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {value!r}", value=value, field=field)
    m = _STRICT.match(value)
    if m is None:
        raise ValidationError(
            f"{field} {value!r} is not an ISO 8601 date-time with offset (e.g. 2025-03-14T09:15:27.123+01:00)",
            value=value,
            field=field,
        )
    try:
        return _build(m)
    except ValueError as err:
        raise ValidationError(f"{field} {value!r} is not a valid instant: {err}", value=value, field=field) from None


def format_timestamp(moment: datetime) -> str:
    """Write an aware datetime as EPCIS JSON does: milliseconds and its own offset (``Z`` for UTC)."""
    if moment.tzinfo is None:
        raise ValidationError(f"timestamp {moment.isoformat()} has no UTC offset", value=moment.isoformat())
    text = moment.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def offset_of(moment: datetime) -> str:
    """The ``eventTimeZoneOffset`` (``+01:00``) of an aware datetime."""
    delta = moment.utcoffset()
    if delta is None:
        raise ValidationError(f"timestamp {moment.isoformat()} has no UTC offset", value=moment.isoformat())
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def check_offset(value: object, *, field: str = "eventTimeZoneOffset") -> str:
    """Validate an ``eventTimeZoneOffset`` against the GS1 schema pattern (``-14:00`` .. ``+14:00``)."""
    if not isinstance(value, str) or TZ_OFFSET.match(value) is None:
        raise ValidationError(
            f"{field} {value!r} is not a UTC offset between -14:00 and +14:00 (e.g. +01:00)",
            value=value,
            field=field,
        )
    return value


@lru_cache(maxsize=65536)
def hash_timestamp(value: str) -> str | None:
    """The hash's canonical UTC millisecond form of a time value, or None when it is not a timestamp.

    Half-to-even rounding of the microseconds matches the reference; where that rounds up to the next
    second (``.9996``) the reference fails on the event, we carry into the next second instead.
    """
    m = _LENIENT.match(value)
    if m is None:
        return None
    try:
        moment = _build(m).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    millis = round(moment.microsecond, -3)
    moment = moment.replace(microsecond=0) + timedelta(microseconds=millis)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
