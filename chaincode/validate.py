"""Reading transaction arguments: JSON objects field by field, with GS1, HS and date rules.

Chaincode arguments arrive as strings; complex ones as one JSON object. :class:`Fields` reads such an object
one field at a time and refuses unknown fields, so a typo (``hs_cod``) is an error instead of a silently
missing value. Every error names the record, the field and the offending value. Floats are refused
(amounts, percentages and coordinates are decimal strings) because their text form is not canonical.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.errors import ParseError, ValidationError

_MSP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_DECIMAL_RE = re.compile(r"^-?\d{1,15}(\.\d{1,12})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_EVENT_HASH_RE = re.compile(r"^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$")
MAX_ID = 128
MAX_UID = 512
MAX_TEXT = 1024
#: Public names of the patterns, for fast paths that must accept exactly what :class:`Fields` accepts.
URI_RE = _URI_RE
EVENT_HASH_RE = _EVENT_HASH_RE


def parse_object(text: str, what: str) -> dict[str, Any]:
    """Decode one JSON object argument."""
    value = _loads(text, what)
    if not isinstance(value, dict):
        raise ParseError(f"{what} must be a JSON object, got {type(value).__name__}", value=_short(text))
    return value


def parse_list(text: str, what: str, *, max_items: int) -> list[Any]:
    """Decode one non-empty JSON array argument of at most ``max_items`` elements."""
    value = _loads(text, what)
    if not isinstance(value, list):
        raise ParseError(f"{what} must be a JSON array, got {type(value).__name__}", value=_short(text))
    if not value:
        raise ValidationError(f"{what} is empty", value="[]")
    if len(value) > max_items:
        raise ValidationError(f"{what} has {len(value)} items, at most {max_items} allowed", value=len(value))
    return value


def _loads(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{what} is not valid JSON: {exc}", value=_short(text)) from exc


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (weights 3,1,3,... from the right), as for GTIN and GLN."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def check_gs1_key(kind: str, key: str, lengths: Iterable[int]) -> str:
    """Refuse a GS1 key of the wrong length or with a wrong check digit; return it unchanged."""
    allowed = tuple(lengths)
    if not key.isdigit() or not key.isascii() or len(key) not in allowed:
        sizes = ", ".join(str(n) for n in allowed)
        raise ValidationError(f"{kind} {key!r} must have {sizes} digits", value=key, field=kind.lower())
    expected = gs1_check_digit(key[:-1])
    if int(key[-1]) != expected:
        raise ValidationError(
            f"{kind} {key} has check digit {key[-1]}, expected {expected}", value=key, field=kind.lower()
        )
    return key


def normalize_gtin(gtin: str) -> str:
    """GTIN-8/12/13/14 as GTIN-14 (the form GS1 company prefixes are matched against)."""
    return check_gs1_key("GTIN", gtin, (8, 12, 13, 14)).zfill(14)


def normalize_hs_code(code: str) -> str:
    """An HS/HTS/TIGIE tariff code as 6, 8 or 10 digits (dots and spaces dropped), chapter 01-97, not 77."""
    digits = code.replace(".", "").replace(" ", "")
    if not digits.isdigit() or not digits.isascii() or len(digits) not in (6, 8, 10):
        raise ValidationError(f"HS code {code!r} must have 6, 8 or 10 digits", value=code, field="hs_code")
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        raise ValidationError(
            f"HS code {code!r} is in chapter {digits[:2]}, which does not exist", value=code, field="hs_code"
        )
    return digits


def iso_z(moment: dt.datetime) -> str:
    """UTC timestamp text with millisecond precision, e.g. ``2026-11-23T10:19:28.123Z``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso_z(text: str) -> dt.datetime:
    """Inverse of :func:`iso_z` for values this chaincode stored itself."""
    return dt.datetime.fromisoformat(text)


class Fields:
    """Reads the fields of one JSON object argument, naming ``what`` in every error."""

    def __init__(self, doc: Any, what: str) -> None:
        if not isinstance(doc, dict):
            raise ValidationError(f"{what} must be a JSON object, got {type(doc).__name__}", value=str(doc))
        self.doc = doc
        self.what = what
        self._seen: set[str] = set()

    def _fail(self, name: str, problem: str, value: Any) -> ValidationError:
        text = repr(value) if isinstance(value, str) else json.dumps(value)
        shown = value if isinstance(value, str | int | bool) else text
        return ValidationError(f"{self.what} {name} {text} {problem}", field=name, value=shown)

    def _get(self, name: str, required: bool) -> Any:
        self._seen.add(name)
        value = self.doc.get(name)
        if value is None and required:
            raise ValidationError(f"{self.what} is missing required field {name!r}", field=name)
        if isinstance(value, float):
            raise self._fail(name, "is a float; use a decimal string", value)
        return value

    def done(self) -> None:
        """Refuse fields this record does not have (typos would otherwise be dropped silently)."""
        extra = sorted(set(self.doc) - self._seen)
        if extra:
            raise ValidationError(f"{self.what} has unknown field {extra[0]!r}", field=extra[0], value=extra[0])

    # -- scalars ---------------------------------------------------------------------------------------------
    def text(self, name: str, *, max_len: int = MAX_TEXT) -> str:
        """A required non-blank string."""
        value = self._get(name, True)
        if not isinstance(value, str):
            raise self._fail(name, "must be a string", value)
        if not value.strip():
            raise self._fail(name, "must not be blank", value)
        if len(value) > max_len or "\x00" in value:
            raise self._fail(name, f"must be at most {max_len} characters without NUL", value[:40])
        return value

    def opt_text(self, name: str, *, max_len: int = MAX_TEXT) -> str | None:
        """An optional non-blank string (absent or null gives None)."""
        if self.doc.get(name) is None:
            self._seen.add(name)
            return None
        return self.text(name, max_len=max_len)

    def ident(self, name: str, *, max_len: int = MAX_ID) -> str:
        """An identifier usable as a composite-key part: printable, no surrounding blanks."""
        value = self.text(name, max_len=max_len)
        return check_ident(value, f"{self.what} {name}", name)

    def opt_ident(self, name: str) -> str | None:
        """An optional identifier."""
        if self.doc.get(name) is None:
            self._seen.add(name)
            return None
        return self.ident(name)

    def msp(self, name: str) -> str:
        """An MSP id (``Org1MSP``)."""
        value = self.text(name, max_len=64)
        if not _MSP_RE.match(value):
            raise self._fail(name, "is not an MSP id (letters, digits, '.', '_', '-')", value)
        return value

    def uri(self, name: str, *, max_len: int = MAX_UID) -> str:
        """An absolute URI (part uid, read point): scheme, colon, no white space."""
        value = self.text(name, max_len=max_len)
        return check_uri(value, f"{self.what} {name}", name)

    def choice(self, name: str, allowed: Iterable[str]) -> str:
        """One of a fixed set of words."""
        options = tuple(allowed)
        value = self._get(name, True)
        if value not in options:
            raise self._fail(name, f"is not one of {', '.join(options)}", value)
        return str(value)

    def boolean(self, name: str) -> bool:
        """A JSON true/false."""
        value = self._get(name, True)
        if not isinstance(value, bool):
            raise self._fail(name, "must be true or false", value)
        return value

    def decimal(self, name: str, *, low: Decimal | None = None, high: Decimal | None = None) -> str:
        """A decimal string (integers accepted and turned into text) within [low, high]."""
        value = self._get(name, True)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _DECIMAL_RE.match(value):
            raise self._fail(name, "is not a decimal string such as '12.5'", value)
        number = Decimal(value)
        if (low is not None and number < low) or (high is not None and number > high):
            raise self._fail(name, f"is outside {low}..{high}", value)
        return value

    def percent(self, name: str) -> str:
        """A percentage 0..100 as a decimal string."""
        return self.decimal(name, low=Decimal(0), high=Decimal(100))

    def date(self, name: str) -> dt.date:
        """A calendar date ``YYYY-MM-DD``."""
        value = self.text(name, max_len=10)
        if not _DATE_RE.match(value):
            raise self._fail(name, "is not a date YYYY-MM-DD", value)
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise self._fail(name, f"is not a valid date ({exc})", value) from exc

    def timestamp(self, name: str) -> dt.datetime:
        """An RFC 3339 date-time with a UTC offset (EPCIS ``eventTime``)."""
        value = self.text(name, max_len=40)
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise self._fail(name, "is not an RFC 3339 date-time", value) from exc
        if moment.tzinfo is None:
            raise self._fail(name, "has no UTC offset", value)
        return moment

    def hex64(self, name: str) -> str:
        """64 lower-case hex digits (a SHA-256 digest)."""
        value = self.text(name, max_len=64)
        if not _HEX64_RE.match(value):
            raise self._fail(name, "is not 64 lower-case hex digits", value)
        return value

    def event_hash(self, name: str) -> str:
        """A GS1 CBV 2.0 event hash id ``ni:///sha-256;<64 hex>?ver=CBV2.0``."""
        value = self.text(name, max_len=128)
        if not _EVENT_HASH_RE.match(value):
            raise self._fail(name, "is not an EPCIS event hash ni:///sha-256;<64 hex>?ver=CBV2.0", value)
        return value

    def coordinate(self, name: str, limit: int) -> str:
        """Latitude (limit 90) or longitude (limit 180) in degrees as a decimal string."""
        return self.decimal(name, low=Decimal(-limit), high=Decimal(limit))

    # -- lists and objects -----------------------------------------------------------------------------------
    def raw(self, name: str, *, required: bool = True) -> Any:
        """The value as decoded JSON, for nested structures read with another :class:`Fields`."""
        return self._get(name, required)

    def str_list(self, name: str, *, max_items: int, required: bool = True, unique: bool = True) -> list[str]:
        """A list of non-blank strings (an absent optional list is empty)."""
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self._fail(name, "must be a list of non-blank strings", value)
        if required and not value:
            raise self._fail(name, "must not be empty", value)
        if len(value) > max_items:
            raise self._fail(name, f"has {len(value)} items, at most {max_items} allowed", len(value))
        if unique:
            seen: set[str] = set()
            for v in value:
                if v in seen:
                    raise self._fail(name, "lists a value twice", v)
                seen.add(v)
        return value


def check_ident(value: str, what: str, field: str) -> str:
    """Refuse an id that cannot be a composite-key part or would be ambiguous when printed."""
    if not value.isprintable() or value != value.strip() or not value or len(value) > MAX_ID:
        raise ValidationError(
            f"{what} {value!r} must be 1-{MAX_ID} printable characters without surrounding blanks",
            field=field,
            value=value,
        )
    return value


def check_uri(value: str, what: str, field: str) -> str:
    """Refuse a value that is not an absolute URI."""
    if len(value) > MAX_UID or not _URI_RE.match(value) or not value.isprintable():
        raise ValidationError(f"{what} {value!r} is not an absolute URI", field=field, value=value)
    return value


def parse_decimal(text: str) -> Decimal:
    """A stored decimal string as a Decimal (values were validated on the way in)."""
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - stored values are validated
        raise ValidationError(f"{text!r} is not a decimal", value=text) from exc
