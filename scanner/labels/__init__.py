"""Part labels: a Data Matrix with human-readable text, as PNG, SVG or PDF (single labels or sheets).

>>> content = content_from_fields("gs1", gtin="09506000134352", serial="SN1")
>>> content.lines
('(01) 09506000134352', '(21) SN1')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ledger.errors import ValidationError
from scanner.labels.content import LabelContent, label_content
from scanner.labels.layout import DEFAULT_SIZE_PT
from scanner.labels.parts import content_from_fields, read_parts_csv
from scanner.labels.pdf import SheetSpec, render_pdf
from scanner.labels.raster import render_image, render_png
from scanner.labels.svg import render_svg

FORMATS = ("png", "svg", "pdf")


def format_for(path: str | Path) -> str:
    """Output format from a file name's suffix.

    Raises:
        ValidationError: a suffix other than .png, .svg or .pdf.
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationError(f"output {str(path)!r} must end in .png, .svg or .pdf", value=str(path))
    return fmt


def write_labels(
    contents: Sequence[LabelContent],
    out: str | Path,
    *,
    sheet: SheetSpec | None = None,
    width_pt: float = DEFAULT_SIZE_PT[0],
    height_pt: float = DEFAULT_SIZE_PT[1],
    dpi: int = 300,
) -> Path:
    """Write labels to ``out`` in the format its suffix names; several labels need PDF.

    Raises:
        ValidationError: an unknown suffix, or several labels for PNG/SVG.
    """
    path = Path(out)
    fmt = format_for(path)
    if fmt != "pdf" and len(contents) != 1:
        raise ValidationError(f"{len(contents)} labels need a PDF output, not {path.name!r}", value=str(path))
    if fmt == "png":
        path.write_bytes(render_png(contents[0], width_pt=width_pt, height_pt=height_pt, dpi=dpi))
    elif fmt == "svg":
        path.write_text(render_svg(contents[0], width_pt=width_pt, height_pt=height_pt), encoding="utf-8")
    else:
        path.write_bytes(render_pdf(contents, sheet=sheet, width_pt=width_pt, height_pt=height_pt))
    return path


__all__ = [
    "FORMATS",
    "LabelContent",
    "SheetSpec",
    "content_from_fields",
    "format_for",
    "label_content",
    "read_parts_csv",
    "render_image",
    "render_pdf",
    "render_png",
    "render_svg",
    "write_labels",
]
