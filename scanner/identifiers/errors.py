"""Errors raised while reading part identifiers, as subclasses of the project's one hierarchy.

Callers (the CLI, the station agent, the API) catch :class:`ledger.errors.ParseError` and
:class:`ledger.errors.ValidationError`; the subclasses only let tests and the station tell *why* a scan was
refused (for example :class:`SerialRequiredError` becomes "not a serialized part" at a station).
"""

from __future__ import annotations

from ledger.errors import ParseError, ValidationError


class IdentifierParseError(ParseError):
    """The scanned text is not a readable GS1 / ISO 15434 payload (garbage, truncated envelope...)."""

    kind = "parse_error"


class IdentifierValidationError(ValidationError):
    """The payload is well formed but a value breaks a rule (check digit, date, format, country)."""

    kind = "validation_error"


class SerialRequiredError(IdentifierValidationError):
    """A lot- or class-level identifier was scanned where a serialized part is required."""
