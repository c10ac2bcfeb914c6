"""SVG labels: vector output for print workflows and web pages, sharing the PNG/PDF layout.

The symbol is one ``<path>`` of horizontal runs (far smaller than one ``<rect>`` per module, and free of
hairline gaps between adjacent modules); text is escaped, since part numbers may contain ``<`` or ``&``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from scanner.labels.content import LabelContent
from scanner.labels.layout import DEFAULT_SIZE_PT, layout

_FONT = "DejaVu Sans Mono, Liberation Mono, Courier New, monospace"


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def render_svg(
    content: LabelContent, *, width_pt: float = DEFAULT_SIZE_PT[0], height_pt: float = DEFAULT_SIZE_PT[1]
) -> str:
    """One label as an SVG document whose user unit is the point."""
    lay = layout(content, width_pt, height_pt)
    m = lay.module
    d = "".join(
        f"M{_n(lay.symbol_x + x * m)} {_n(lay.symbol_y + y * m)}h{_n(n * m)}v{_n(m)}h{_n(-n * m)}z"
        for y, x, n in content.symbol.to_svg_rects()
    )
    texts = "\n".join(
        f'  <text x="{_n(t.x)}" y="{_n(t.y)}" font-size="{_n(t.size)}"'
        f"{' font-weight=' + quoteattr('bold') if t.bold else ''}>{escape(t.text)}</text>"
        for t in lay.lines
    )
    w, h = _n(lay.width), _n(lay.height)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}">\n'
        f"  <title>{escape(content.identifier.uid)}</title>\n"
        f'  <rect width="{w}" height="{h}" fill="#fff"/>\n'
        f'  <path d="{d}" fill="#000" shape-rendering="crispEdges"/>\n'
        f'  <g font-family={quoteattr(_FONT)} fill="#000">\n{texts}\n  </g>\n'
        f"</svg>\n"
    )
