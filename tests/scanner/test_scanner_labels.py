"""Labels: PNG decodes back, SVG is XML, PDF has the expected pages and its symbols decode; CSV sheets."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from ledger.errors import ValidationError
from scanner.datamatrix import decode
from scanner.labels import (
    SheetSpec,
    content_from_fields,
    label_content,
    read_parts_csv,
    render_pdf,
    render_svg,
    write_labels,
)

GS1 = {
    "gtin": "04012345123456",
    "serial": "SN000187",
    "lot": "LOT42",
    "production_date": "2025-03-14",
    "part_number": "8W0-123-456-A",
    "country_of_origin": "MX",
}
MH10 = {"part_number": "84512345", "serial": "SN0001234", "duns": "123456789", "country_of_origin": "DE"}
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")

CSV = """scheme,gtin,serial,lot,part_number,duns,country_of_origin,description,payload
gs1,04012345123456,S{n},L1,,,US,Caliper {n},
mh10,,S{n},,P-{n},123456789,MX,,
,,,,,,,From payload {n},(01)04012345123456(21)P{n}
"""


def csv_text(rows: int) -> str:
    head, *templates = CSV.strip().splitlines()
    lines = [head] + [templates[i % 3].format(n=i) for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_png_label_decodes_back_to_the_same_part(tmp_path: Path) -> None:
    content = content_from_fields("gs1", description="Brake caliper LH", **GS1)
    out = write_labels([content], tmp_path / "label.png")
    with Image.open(out) as img:
        assert img.size == (1200, 600)
        assert round(img.info["dpi"][0]) == 300
    [res] = decode(out)
    assert res.part == content.identifier
    assert content.title == "Brake caliper LH"
    assert content.lines == (
        "(01) 04012345123456",
        "(11) 250314",
        "(21) SN000187",
        "(10) LOT42",
        "(241) 8W0-123-456-A",
        "(422) 484  Mexico",
    )


def test_mh10_label_lines_show_dis(tmp_path: Path) -> None:
    content = content_from_fields("mh10", **MH10)
    assert content.title == "PART 84512345"
    assert content.lines == (
        "(P) PART NO 84512345",
        "(12V) MFR DUNS 123456789",
        "(S) SERIAL SN0001234",
        "(4L) ORIGIN DE",
    )
    out = write_labels([content], tmp_path / "label.png", width_pt=144, height_pt=72, dpi=600)
    assert decode(out)[0].part == content.identifier


def test_svg_is_xml_with_the_symbol_and_escaped_text() -> None:
    content = label_content("(01)04012345123456(21)A<B&C", description="<Caliper & Co>")
    svg = render_svg(content)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "288pt"
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    assert texts == ["<Caliper & Co>", "(01) 04012345123456", "(21) A<B&C"]
    path = root.find("s:path", ns)
    assert path is not None
    assert path.get("d").count("z") == len(content.symbol.to_svg_rects())
    assert root.find("s:title", ns).text == "https://id.gs1.org/01/04012345123456/21/A%3CB%26C"


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


def test_single_label_pdf_is_one_page_per_label() -> None:
    contents = [content_from_fields("gs1", **GS1), content_from_fields("mh10", **MH10)]
    data = render_pdf(contents)
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_pages(data) == 2


@needs_poppler
def test_csv_sheet_pdf_pages_and_every_symbol_decodes(tmp_path: Path) -> None:
    contents = read_parts_csv(csv_text(23))
    assert len(contents) == 23
    out = write_labels(contents, tmp_path / "sheet.pdf", sheet=SheetSpec(page="letter", cols=2, rows=5))
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M)
    assert re.search(r"^Page size:\s+612 x 792 pts", info, re.M)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
        check=True,
    )
    [page] = sorted(tmp_path.glob("p*.png"))
    uids = sorted(r.part.uid for r in decode(page, all=True) if r.part is not None)
    assert uids == sorted(c.identifier.uid for c in contents[:10])


def test_csv_rows_cover_fields_and_payloads() -> None:
    contents = read_parts_csv(csv_text(3))
    assert [c.identifier.uid for c in contents] == [
        "https://id.gs1.org/01/04012345123456/21/S0",
        "urn:usmca:uii:UN123456789S1",
        "https://id.gs1.org/01/04012345123456/21/P2",
    ]
    assert [c.title for c in contents] == ["Caliper 0", "PART P-1", "From payload 2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gtin,colour\n04012345123456,red\n", "CSV column 'colour' is not one of"),
        (
            "gtin,serial\n04012345123456,S1\n04012345123457,S2\n",
            "row 3: GTIN 04012345123457 has check digit 7, expected 6",
        ),
        ("scheme,gtin,duns\ngs1,04012345123456,123456789\n", "row 2: gs1 labels do not carry duns"),
        ("scheme,part_number\nxyz,P1\n", "row 2: scheme 'xyz' must be gs1 or mh10"),
        ("gtin,quantity\n04012345123456,ten\n", "row 2: quantity 'ten' is not a whole number"),
        ("gtin\n", "CSV has no part rows"),
        ("gtin\n04012345123456,extra\n", "row 2: more cells than header columns"),
        ("payload\n(01)04012345123456(21)A B\n", "row 2: AI (21) value 'A B' contains ' '"),
    ],
)
def test_csv_errors_name_the_row(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        read_parts_csv(text)
    assert exc.value.message.startswith(message)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page": "legal"}, "page size 'legal' is not one of letter, a4"),
        ({"cols": 0}, "grid 0x5 must be 1-20 columns and 1-40 rows"),
        ({"cols": 20, "rows": 40}, "grid 20x40 on letter leaves labels of 18x9 pt; too small"),
    ],
)
def test_sheet_spec_refuses_impossible_grids(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        SheetSpec(**kwargs)
    assert exc.value.message == message


def test_write_labels_refuses_bad_outputs(tmp_path: Path) -> None:
    content = content_from_fields("gs1", **GS1)
    with pytest.raises(ValidationError, match=r"output '.*label.gif' must end in .png, .svg or .pdf"):
        write_labels([content], tmp_path / "label.gif")
    with pytest.raises(ValidationError, match=r"2 labels need a PDF output, not 'label\.png'"):
        write_labels([content, content], tmp_path / "label.png")
    with pytest.raises(ValidationError, match="no labels to print"):
        render_pdf([])
