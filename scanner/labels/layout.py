"""Pure geometry of one label: where the symbol and each text line go, in points (1/72 inch).

Why a separate layout: PNG, SVG and PDF must print the same label, so they share one computation and differ
only in how they draw rectangles and text. The symbol fills the label height (with its 2-module quiet zone),
the text column takes the rest, and the font shrinks until the longest line fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.labels.content import LabelContent

#: Monospace advance width as a fraction of the font size (DejaVu Sans Mono, Courier: 0.6).
MONO_ADVANCE = 0.6
QUIET_ZONE_MODULES = 2
MIN_FONT_PT = 4.0
MAX_FONT_PT = 14.0
#: Default label: 4 x 2 inches, the common thermal-transfer part label.
DEFAULT_SIZE_PT = (288.0, 144.0)


@dataclass(frozen=True)
class TextLine:
    """One line of text: baseline position, font size and whether it is the bold title."""

    x: float
    y: float
    size: float
    text: str
    bold: bool


@dataclass(frozen=True)
class Layout:
    """Positions for one label of ``width`` x ``height`` points, origin top-left, y downwards."""

    width: float
    height: float
    symbol_x: float
    symbol_y: float
    module: float
    lines: tuple[TextLine, ...]


def layout(content: LabelContent, width: float = DEFAULT_SIZE_PT[0], height: float = DEFAULT_SIZE_PT[1]) -> Layout:
    """Place the symbol on the left and the title and lines on the right of a ``width`` x ``height`` label."""
    pad = max(2.0, 0.06 * min(width, height))
    n_modules = content.symbol.size + 2 * QUIET_ZONE_MODULES
    side = min(height - 2 * pad, 0.5 * width)
    module = side / n_modules
    symbol_x = pad + QUIET_ZONE_MODULES * module
    symbol_y = (height - side) / 2 + QUIET_ZONE_MODULES * module
    text_x = pad + side + pad / 2
    text_w = max(1.0, width - text_x - pad)
    texts = [content.title, *content.lines]
    longest = max(len(t) for t in texts)
    size = min(MAX_FONT_PT, (height - 2 * pad) / (1.25 * len(texts)), text_w / (MONO_ADVANCE * longest))
    size = max(MIN_FONT_PT, size)
    step = 1.25 * size
    top = pad + size
    lines = tuple(TextLine(x=text_x, y=top + i * step, size=size, text=t, bold=i == 0) for i, t in enumerate(texts))
    return Layout(width, height, symbol_x, symbol_y, module, lines)
