"""The as-built tree of one vehicle drawn as SVG: pure code, a tree in, a string out.

Layout is a left-to-right tidy tree: each leaf takes the next row, a parent sits at the middle of its children,
a column per depth. Every part is a link (to its history and certification) whose colour *and* text say its
origin status, so the drawing does not rely on colour alone; the SVG carries a title and a description for
screen readers. All text is XML-escaped: labels come from ledger data that other organisations wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

#: Origin statuses a node may have, with the legend text and the colours (fill, stroke); contrast >= 4.5:1.
STATUSES: dict[str, tuple[str, str, str]] = {
    "originating": ("Certified originating", "#e3f4e8", "#1b6e34"),
    "non_originating": ("Certified non-originating", "#fff1d6", "#8a5300"),
    "invalid": ("Certification revoked, expired or upstream invalid", "#fde4e4", "#a4161a"),
    "uncertified": ("No certification on record", "#eceff3", "#44505e"),
    "in_house": ("Made in-house (own cost data)", "#e3edfb", "#1f4e96"),
}

BOX_W = 230
BOX_H = 46
COL_GAP = 50
ROW_GAP = 12
PAD = 10


@dataclass(frozen=True)
class SvgNode:
    """One part to draw: what the box says, where it links, its origin status, and its children."""

    uid: str
    label: str
    sublabel: str
    status: str
    href: str
    children: tuple[SvgNode, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown origin status {self.status!r}; expected one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class _Placed:
    node: SvgNode
    depth: int
    y: float


def _place(root: SvgNode) -> tuple[list[_Placed], list[tuple[_Placed, _Placed]]]:
    placed: list[_Placed] = []
    edges: list[tuple[_Placed, _Placed]] = []
    next_row = [0]

    def visit(node: SvgNode, depth: int) -> _Placed:
        if not node.children:
            y = float(next_row[0])
            next_row[0] += 1
            me = _Placed(node, depth, y)
            placed.append(me)
            return me
        kids = [visit(c, depth + 1) for c in node.children]
        me = _Placed(node, depth, (kids[0].y + kids[-1].y) / 2)
        placed.append(me)
        edges.extend((me, k) for k in kids)
        return me

    visit(root, 0)
    return placed, edges


def _xy(p: _Placed) -> tuple[float, float]:
    return PAD + p.depth * (BOX_W + COL_GAP), PAD + p.y * (BOX_H + ROW_GAP)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tree_svg(root: SvgNode, *, title: str = "As-built tree") -> str:
    """The SVG document (a string) of the tree under ``root``."""
    placed, edges = _place(root)
    depth = max(p.depth for p in placed)
    rows = max(p.y for p in placed) + 1
    width = int(2 * PAD + (depth + 1) * BOX_W + depth * COL_GAP)
    height = int(2 * PAD + rows * BOX_H + (rows - 1) * ROW_GAP)
    counts: dict[str, int] = {}
    for p in placed:
        counts[p.node.status] = counts.get(p.node.status, 0) + 1
    desc = f"{len(placed)} parts; " + ", ".join(f"{n} {STATUSES[s][0].lower()}" for s, n in sorted(counts.items()))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="tree-title tree-desc">',
        f'<title id="tree-title">{escape(title)}</title>',
        f'<desc id="tree-desc">{escape(desc)}</desc>',
    ]
    for parent, child in edges:
        px, py = _xy(parent)
        cx, cy = _xy(child)
        x1, y1 = px + BOX_W, py + BOX_H / 2
        x2, y2 = cx, cy + BOX_H / 2
        mid = (x1 + x2) / 2
        out.append(
            f'<path class="edge" d="M{x1:g},{y1:g} C{mid:g},{y1:g} {mid:g},{y2:g} {x2:g},{y2:g}" '
            'fill="none" stroke="#8793a1" stroke-width="1.5"/>'
        )
    for p in sorted(placed, key=lambda q: (q.depth, q.y)):
        x, y = _xy(p)
        legend, fill, stroke = STATUSES[p.node.status]
        label = f"{p.node.label}, {p.node.sublabel}: {legend}"
        out.append(
            f'<a href={quoteattr(p.node.href)} class="node status-{p.node.status}" aria-label={quoteattr(label)}>'
            f"<title>{escape(p.node.uid)} — {escape(legend)}</title>"
            f'<rect x="{x:g}" y="{y:g}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
            'stroke-width="2"/>'
            f'<text x="{x + 8:g}" y="{y + 18:g}" font-size="13" font-weight="600" fill="#111">'
            f"{escape(_clip(p.node.label, 27))}</text>"
            f'<text x="{x + 8:g}" y="{y + 36:g}" font-size="11" fill="{stroke}">'
            f"{escape(_clip(p.node.sublabel, 34))}</text>"
            "</a>"
        )
    out.append("</svg>")
    return "".join(out)
