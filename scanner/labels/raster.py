"""PNG labels with Pillow, for label printers that take bitmaps and for on-screen previews.

The symbol is drawn with a whole number of pixels per module: a fractional module size would blur module
edges and cost scan reliability, so the module is rounded down (never below one pixel) at the requested dpi.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scanner.labels.content import LabelContent
from scanner.labels.layout import DEFAULT_SIZE_PT, QUIET_ZONE_MODULES, layout

#: Monospace fonts tried in order (Debian fonts-dejavu-core, then Liberation); Pillow's own font otherwise.
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
_FONT_FILES = {
    False: ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf"),
    True: ("DejaVuSansMono-Bold.ttf",),
}


@lru_cache(maxsize=64)
def _font(px: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in _FONT_FILES[bold] + _FONT_FILES[False]:
        for folder in _FONT_DIRS:
            path = Path(folder) / name
            if path.is_file():
                return ImageFont.truetype(str(path), px)
    return ImageFont.load_default(px)


def render_image(
    content: LabelContent,
    *,
    width_pt: float = DEFAULT_SIZE_PT[0],
    height_pt: float = DEFAULT_SIZE_PT[1],
    dpi: int = 300,
) -> Image.Image:
    """Draw one label as an 8-bit grayscale image of ``width_pt`` x ``height_pt`` points at ``dpi``."""
    lay = layout(content, width_pt, height_pt)
    k = dpi / 72.0
    img = Image.new("L", (round(lay.width * k), round(lay.height * k)), 255)
    module_px = max(1, int(lay.module * k))
    symbol = Image.fromarray(content.symbol.to_image(module_px=module_px, quiet_zone=QUIET_ZONE_MODULES))
    side = lay.module * (content.symbol.size + 2 * QUIET_ZONE_MODULES) * k
    x = round((lay.symbol_x - QUIET_ZONE_MODULES * lay.module) * k + (side - symbol.width) / 2)
    y = round((lay.symbol_y - QUIET_ZONE_MODULES * lay.module) * k + (side - symbol.height) / 2)
    img.paste(symbol, (x, y))
    draw = ImageDraw.Draw(img)
    for line in lay.lines:
        font = _font(max(1, round(line.size * k)), line.bold)
        draw.text((line.x * k, line.y * k), line.text, fill=0, font=font, anchor="ls")
    return img


def render_png(content: LabelContent, **options: float) -> bytes:
    """One label as PNG bytes (options as :func:`render_image`), with its dpi recorded in the file."""
    dpi = int(options.get("dpi", 300))
    buf = io.BytesIO()
    render_image(content, **options).save(buf, format="PNG", dpi=(dpi, dpi))  # type: ignore[arg-type]
    return buf.getvalue()
