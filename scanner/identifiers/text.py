"""Character-level rules shared by the GS1 and MH10 parsers: separators, control pictures, garbage, CSET 82.

Why a separate module: every parser must refuse the same junk (stray control codes from a misconfigured
keyboard wedge, binary from a wrong symbology, non-ASCII from a copy-paste) with the same message, and the
messages must show the offending text readably, with separators written as ``<GS>``.

>>> show("01" + GS + "21")
"'01<GS>21'"
>>> first_outside_cset82("SN 1")
' '
"""

from __future__ import annotations

from scanner.identifiers.errors import IdentifierParseError

GS = "\x1d"
RS = "\x1e"
EOT = "\x04"

#: Unicode control pictures that zxing-cpp's HRI text and some scanner drivers emit instead of the codes.
_PICTURES = str.maketrans({"\u241d": GS, "\u241e": RS, "\u2404": EOT})
_SHOWN = {GS: "<GS>", RS: "<RS>", EOT: "<EOT>"}

#: GS1 "CSET 82" (GS1 General Specifications, figure 7.11-1): the characters allowed in X-type AI values.
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")

#: Longest scan we accept; a Data Matrix holds at most 2,335 alphanumerics, so more is not a part label.
MAX_SCAN_LENGTH = 3116


_ESCAPES = {"<GS>": GS, "<RS>": RS, "<EOT>": EOT, "\\x1d": GS, "\\x1e": RS, "\\x04": EOT}


def unescape(text: str) -> str:
    r"""Spelled-out separators as typed on a command line or sent by some wedges: ``<GS>``, ``\x1d``...

    Not applied by :func:`scanner.identifiers.parse` itself (a real ``<GS>`` could be data); callers that
    take typed input opt in.

    >>> unescape("[)><RS>06<GS>P1") == "[)>" + RS + "06" + GS + "P1"
    True
    """
    for spelled, char in _ESCAPES.items():
        text = text.replace(spelled, char)
    return text


def show(text: str, limit: int = 80) -> str:
    """Quote scanned text for an error message, with separators spelled out and long input shortened."""
    out = "".join(_SHOWN.get(ch, ch) if ch in _SHOWN or ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    if len(out) > limit:
        out = out[: limit - 3] + "..."
    return "'" + out.replace("'", "\\'") + "'"


def normalise(text: str) -> str:
    """Map control pictures to real separators and drop the CR/LF a scanner appends, then refuse garbage.

    Raises:
        IdentifierParseError: empty input, oversized input, a control character other than GS/RS/EOT, or a
            character outside printable ASCII.
    """
    text = text.translate(_PICTURES).rstrip("\r\n")
    if not text:
        raise IdentifierParseError("empty scan: nothing to parse", value="")
    if len(text) > MAX_SCAN_LENGTH:
        raise IdentifierParseError(
            f"scan of {len(text)} characters is longer than any Data Matrix payload ({MAX_SCAN_LENGTH})",
            value=text[:40],
        )
    for pos, ch in enumerate(text):
        if ch in _SHOWN:
            continue
        code = ord(ch)
        if code < 0x20 or code == 0x7F:
            raise IdentifierParseError(f"control character U+{code:04X} at position {pos} in {show(text)}", value=text)
        if code > 0x7E:
            raise IdentifierParseError(
                f"non-ASCII character {ch!r} (U+{code:04X}) at position {pos} in {show(text)}", value=text
            )
    return text


def first_outside_cset82(value: str) -> str | None:
    """The first character of ``value`` that GS1 CSET 82 does not allow, or None."""
    for ch in value:
        if ch not in CSET82:
            return ch
    return None
