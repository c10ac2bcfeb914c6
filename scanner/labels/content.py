"""What a part label shows: the symbol, a title and the human-readable lines, whatever the format.

Why HRI under GS1 and DI lines under MH10: a person must be able to key the part in when the symbol is
damaged, and the text must be the same data the symbol carries, so both come from the validated identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.datamatrix import Symbol, encode
from scanner.identifiers import PartIdentifier
from scanner.identifiers.countries import alpha2_from_numeric, country_name
from scanner.identifiers.mh10 import DIS
from scanner.identifiers.render import ordered_pairs

#: Short captions for the DI lines of MH10 labels (AIAG B-4 / GM 1737 style).
_DI_CAPTIONS = {
    "P": "PART NO",
    "1P": "SUPPLIER PART",
    "S": "SERIAL",
    "25S": "UII",
    "18V": "PARTY",
    "12V": "MFR DUNS",
    "13V": "SUPPLIER DUNS",
    "V": "SUPPLIER",
    "1T": "LOT",
    "T": "LOT",
    "Q": "QTY",
    "4L": "ORIGIN",
    "16D": "PROD DATE",
    "14D": "EXPIRY",
    "12D": "DATE",
}


@dataclass(frozen=True)
class LabelContent:
    """Everything one label prints; backends (PNG, SVG, PDF) only decide where.

    Attributes:
        symbol: The encoded Data Matrix.
        title: First line, bold: the description, else the part number, else the uid.
        lines: Human-readable lines, one per AI (``(01) 04012345123456``) or DI (``P  PART NO 84512345``).
    """

    symbol: Symbol
    title: str
    lines: tuple[str, ...]

    @property
    def identifier(self) -> PartIdentifier:
        """The part the label identifies."""
        return self.symbol.identifier


def _hri_lines(identifier: PartIdentifier) -> list[str]:
    out = []
    for ai, value in ordered_pairs(list(identifier.fields.items())):
        line = f"({ai}) {value}"
        if ai == "422":
            line += f"  {country_name(alpha2_from_numeric(value) or '') or ''}".rstrip()
        out.append(line)
    return out


def _di_lines(identifier: PartIdentifier) -> list[str]:
    out = []
    for di, value in identifier.fields.items():
        caption = _DI_CAPTIONS.get(di) or (DIS[di].title.upper() if di in DIS else "")
        out.append(f"({di}) {caption} {value}".replace("  ", " "))
    return out


def label_content(item: PartIdentifier | str, *, description: str | None = None) -> LabelContent:
    """Validate and encode an identifier (or any parseable spelling) and compose its label text.

    Raises:
        ledger.errors.ParseError / ValidationError: the identifier is invalid.
    """
    symbol = encode(item)
    identifier = symbol.identifier
    title = description or (f"PART {identifier.part_number}" if identifier.part_number else identifier.uid)
    lines = _hri_lines(identifier) if identifier.scheme == "gs1" else _di_lines(identifier)
    return LabelContent(symbol=symbol, title=title, lines=tuple(lines))
