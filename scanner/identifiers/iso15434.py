r"""ISO/IEC 15434 message envelopes: ``[)>`` RS, one or more format envelopes, RS EOT.

Why strict: a truncated read (a damaged label, a scanner buffer cut short) must not become a part with a
missing field, so a message without its trailer, an envelope without a format header or trailing data after
EOT are refused. Format ``06`` carries MH10.8.2 DIs, format ``05`` GS1 element strings; other formats (EDI,
free text) do not identify parts and are refused by name.

>>> parse_message("[)>\x1e06\x1dP123\x1d12V123456789\x1e\x04")
[Envelope(format='06', fields=('P123', '12V123456789'))]
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.identifiers.errors import IdentifierParseError
from scanner.identifiers.text import EOT, GS, RS, show

HEADER = "[)>" + RS
TRAILER = RS + EOT
SUPPORTED_FORMATS = ("05", "06")


@dataclass(frozen=True)
class Envelope:
    """One format envelope: its two-digit format and its GS-separated fields, in order."""

    format: str
    fields: tuple[str, ...]


def parse_message(text: str) -> list[Envelope]:
    """Split a 15434 message into its format envelopes.

    Raises:
        IdentifierParseError: a missing header or trailer, data after EOT, an envelope without a format
            header, an unsupported format, or an empty envelope.
    """
    if not text.startswith(HEADER):
        raise IdentifierParseError(f"ISO/IEC 15434 message {show(text)} must start with '[)>' and RS", value=text)
    end = text.find(EOT)
    if end < 0:
        raise IdentifierParseError(f"truncated ISO/IEC 15434 message {show(text)}: no EOT trailer", value=text)
    if end != len(text) - 1:
        raise IdentifierParseError(
            f"ISO/IEC 15434 message has data {show(text[end + 1 :])} after its EOT trailer", value=text
        )
    if not text.endswith(TRAILER):
        raise IdentifierParseError(
            f"ISO/IEC 15434 message {show(text)} must end with RS EOT (the last envelope is unterminated)",
            value=text,
        )
    body = text[len(HEADER) : -len(TRAILER)]
    if not body:
        raise IdentifierParseError("ISO/IEC 15434 message has no format envelope", value=text)
    envelopes: list[Envelope] = []
    for raw in body.split(RS):
        fmt, sep, rest = raw.partition(GS)
        if len(fmt) != 2 or not fmt.isdigit() or not sep:
            raise IdentifierParseError(
                f"ISO/IEC 15434 envelope {show(raw)} must start with a two-digit format and GS", value=raw
            )
        if fmt not in SUPPORTED_FORMATS:
            raise IdentifierParseError(
                f"ISO/IEC 15434 format {fmt} is not supported (only 05 GS1 and 06 MH10.8.2 identify parts)",
                value=fmt,
            )
        fields = tuple(rest.split(GS))
        if fields[-1] == "":
            fields = fields[:-1]
        if not fields or any(not f for f in fields):
            raise IdentifierParseError(f"ISO/IEC 15434 format {fmt} envelope {show(raw)} has an empty field", value=raw)
        envelopes.append(Envelope(fmt, fields))
    return envelopes
