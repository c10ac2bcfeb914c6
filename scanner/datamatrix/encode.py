"""Encode a validated part identifier as a Data Matrix symbol (GS1 with FNC1 first, or ISO/IEC 15434).

Why validate first: zint (inside zxing-cpp) checks AI lengths but accepts wrong check digits and impossible
dates, and a label is the one place a bad identifier becomes permanent. ``forceSquare=True`` because zint
otherwise picks rectangular DMRE sizes that libdmtx 0.7.7 cannot read (identifiers.md section 2.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

from ledger.errors import ValidationError
from scanner.identifiers import PartIdentifier, parse, payload_for, to_bracketed
from scanner.identifiers.text import show


class EncodeError(ValidationError):
    """zint refused a payload that passed our validation (too long for any square Data Matrix...)."""


@dataclass(frozen=True)
class Symbol:
    """An encoded Data Matrix and what a reader must transmit when it scans it.

    Attributes:
        identifier: The part identifier the symbol carries.
        encoded: The encoder input (``[01]...`` bracketed AIs for GS1, the 15434 message for MH10).
        raw: What a reader transmits after the symbology identifier (GS as U+001D).
        symbology_identifier: ``]d2`` for GS1 (FNC1 first), ``]d1`` otherwise.
        modules: Module matrix without quiet zone, True = dark.
    """

    identifier: PartIdentifier
    encoded: str
    raw: str
    symbology_identifier: str
    modules: np.ndarray

    @property
    def size(self) -> int:
        """Symbol size in modules (square: 10 to 144)."""
        return int(self.modules.shape[0])

    def to_image(self, *, module_px: int = 8, quiet_zone: int = 2) -> np.ndarray:
        """Grayscale uint8 image (0 = dark, 255 = light) with a quiet zone of ``quiet_zone`` modules."""
        dark = np.pad(self.modules, quiet_zone, constant_values=False)
        img = np.where(dark, 0, 255).astype(np.uint8)
        return np.kron(img, np.ones((module_px, module_px), dtype=np.uint8))

    def to_svg_rects(self) -> list[tuple[int, int, int]]:
        """Dark runs as (row, first column, length) in module units, for vector output (SVG, PDF)."""
        runs: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.modules):
            x = 0
            width = len(row)
            while x < width:
                if row[x]:
                    start = x
                    while x < width and row[x]:
                        x += 1
                    runs.append((y, start, x - start))
                else:
                    x += 1
        return runs


def encode(item: PartIdentifier | str) -> Symbol:
    """Encode a part identifier (or any spelling :func:`scanner.identifiers.parse` accepts).

    Raises:
        ledger.errors.ParseError / ValidationError: the payload is not a valid identifier.
        EncodeError: the encoder refused it.
    """
    identifier = parse(item) if isinstance(item, str) else parse(payload_for(item))
    gs1 = identifier.scheme == "gs1"
    encoded = to_bracketed(list(identifier.fields.items())) if gs1 else payload_for(identifier)
    # Misspelled zxing-cpp options are ignored silently, so the keywords are spelled out exactly here.
    options = {"gs1": True, "forceSquare": True} if gs1 else {"forceSquare": True}
    try:
        bc = zxingcpp.create_barcode(encoded, zxingcpp.BarcodeFormat.DataMatrix, **options)
    except (ValueError, RuntimeError) as err:
        raise EncodeError(f"Data Matrix encoder refused {show(encoded)}: {err}", value=encoded) from None
    matrix = np.asarray(bc.to_image(scale=1, add_quiet_zones=False)) < 128
    return Symbol(
        identifier=identifier,
        encoded=encoded,
        raw=bc.bytes.decode("latin-1"),
        symbology_identifier=bc.symbology_identifier,
        modules=matrix,
    )
