"""PDF labels with reportlab: one label per page (label printers) or sheets of many labels (office printers).

Vector modules print sharp at any printer resolution. Sheets use a configurable grid on Letter or A4 with
margins and gaps, so they match common die-cut label stock; a light cut frame shows each label's edge.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from ledger.errors import ValidationError
from scanner.labels.content import LabelContent
from scanner.labels.layout import DEFAULT_SIZE_PT, layout

PAGE_SIZES = {"letter": LETTER, "a4": A4}
_CREATOR = "usmca-ledger label"


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of labels: page size, grid and spacing in points.

    Attributes:
        page: ``"letter"`` or ``"a4"``.
        cols: Labels across.
        rows: Labels down.
        margin_pt: Page margin on every side.
        gap_pt: Space between neighbouring labels.
        frame: Draw a thin grey frame around each label (cutting guide).
    """

    page: str = "letter"
    cols: int = 2
    rows: int = 5
    margin_pt: float = 36.0
    gap_pt: float = 9.0
    frame: bool = True

    def __post_init__(self) -> None:
        """Refuse grids that cannot fit a page."""
        if self.page not in PAGE_SIZES:
            raise ValidationError(f"page size {self.page!r} is not one of letter, a4", value=self.page)
        if not (1 <= self.cols <= 20 and 1 <= self.rows <= 40):
            raise ValidationError(
                f"grid {self.cols}x{self.rows} must be 1-20 columns and 1-40 rows",
                value=f"{self.cols}x{self.rows}",
            )
        w, h = self.label_size
        if w < 36 or h < 18:
            raise ValidationError(
                f"grid {self.cols}x{self.rows} on {self.page} leaves labels of {w:.0f}x{h:.0f} pt; too small",
                value=f"{self.cols}x{self.rows}",
            )

    @property
    def per_page(self) -> int:
        """Labels on one sheet."""
        return self.cols * self.rows

    @property
    def label_size(self) -> tuple[float, float]:
        """Width and height of one label cell in points."""
        page_w, page_h = PAGE_SIZES[self.page]
        w = (page_w - 2 * self.margin_pt - (self.cols - 1) * self.gap_pt) / self.cols
        h = (page_h - 2 * self.margin_pt - (self.rows - 1) * self.gap_pt) / self.rows
        return w, h


def _draw(canvas: Canvas, content: LabelContent, left: float, top: float, w: float, h: float) -> None:
    """Draw one label with its top-left corner at (left, top) in PDF coordinates (y up)."""
    lay = layout(content, w, h)
    m = lay.module
    canvas.setFillGray(0)
    for y, x, n in content.symbol.to_svg_rects():
        canvas.rect(left + lay.symbol_x + x * m, top - lay.symbol_y - (y + 1) * m, n * m, m, stroke=0, fill=1)
    for line in lay.lines:
        canvas.setFont("Courier-Bold" if line.bold else "Courier", line.size)
        canvas.drawString(left + line.x, top - line.y, line.text)


def render_pdf(
    contents: Sequence[LabelContent],
    *,
    sheet: SheetSpec | None = None,
    width_pt: float = DEFAULT_SIZE_PT[0],
    height_pt: float = DEFAULT_SIZE_PT[1],
) -> bytes:
    """Labels as a PDF: one per page of ``width_pt`` x ``height_pt``, or laid out on ``sheet`` pages.

    Raises:
        ValidationError: no labels to print.
    """
    if not contents:
        raise ValidationError("no labels to print", value=0)
    buf = io.BytesIO()
    if sheet is None:
        canvas = Canvas(buf, pagesize=(width_pt, height_pt), invariant=True)
        canvas.setCreator(_CREATOR)
        for content in contents:
            _draw(canvas, content, 0, height_pt, width_pt, height_pt)
            canvas.showPage()
        canvas.save()
        return buf.getvalue()
    page_w, page_h = PAGE_SIZES[sheet.page]
    w, h = sheet.label_size
    canvas = Canvas(buf, pagesize=(page_w, page_h), invariant=True)
    canvas.setCreator(_CREATOR)
    for i, content in enumerate(contents):
        slot = i % sheet.per_page
        if i and slot == 0:
            canvas.showPage()
        row, col = divmod(slot, sheet.cols)
        left = sheet.margin_pt + col * (w + sheet.gap_pt)
        top = page_h - sheet.margin_pt - row * (h + sheet.gap_pt)
        if sheet.frame:
            canvas.setStrokeGray(0.75)
            canvas.setLineWidth(0.25)
            canvas.rect(left, top - h, w, h, stroke=1, fill=0)
        _draw(canvas, content, left, top, w, h)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
