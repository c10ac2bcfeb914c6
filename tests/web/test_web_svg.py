"""The as-built tree SVG: layout, links, statuses in text as well as colour, escaping, and refusals."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from api.web.svg import BOX_H, BOX_W, COL_GAP, PAD, ROW_GAP, STATUSES, SvgNode, tree_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def leaf(uid: str, status: str = "originating", label: str = "Part") -> SvgNode:
    return SvgNode(uid=uid, label=label, sublabel="Supplier · status", status=status, href=f"/parts/{uid}")


def vehicle() -> SvgNode:
    tx = SvgNode(
        "tx", "Transmission", "Driveline", "originating", "/parts/tx", (leaf("case"), leaf("tcu", "uncertified"))
    )
    seat = SvgNode("seat", "Seat", "Seating", "invalid", "/parts/seat", (leaf("foam", "invalid"),))
    return SvgNode("car", "Sedan", "OEM", "in_house", "/parts/car", (tx, leaf("engine", "in_house"), seat))


def boxes(svg: str) -> dict[str, tuple[float, float]]:
    root = ET.fromstring(svg)
    out = {}
    for a in root.findall("s:a", NS):
        rect = a.find("s:rect", NS)
        assert rect is not None
        out[a.get("href", "")] = (float(rect.get("x", "")), float(rect.get("y", "")))
    return out


def test_tree_is_laid_out_left_to_right_with_parents_centred_on_children() -> None:
    svg = tree_svg(vehicle())
    pos = boxes(svg)
    assert len(pos) == 7
    col = BOX_W + COL_GAP
    row = BOX_H + ROW_GAP
    assert pos["/parts/car"][0] == PAD
    assert pos["/parts/tx"][0] == PAD + col
    assert pos["/parts/case"][0] == PAD + 2 * col
    assert [pos[f"/parts/{u}"][1] for u in ("case", "tcu", "engine", "foam")] == [PAD + i * row for i in range(4)]
    assert pos["/parts/tx"][1] == PAD + row / 2
    assert pos["/parts/seat"][1] == pos["/parts/foam"][1]
    assert pos["/parts/car"][1] == (pos["/parts/tx"][1] + pos["/parts/seat"][1]) / 2
    root = ET.fromstring(svg)
    assert root.get("width") == str(2 * PAD + 3 * BOX_W + 2 * COL_GAP)
    assert root.get("height") == str(2 * PAD + 4 * BOX_H + 3 * ROW_GAP)
    assert len(root.findall("s:path", NS)) == 6


def test_every_part_links_and_says_its_status_in_text() -> None:
    svg = tree_svg(vehicle(), title="As-built tree of VIN1")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == "As-built tree of VIN1"  # type: ignore[union-attr]
    assert root.find("s:desc", NS).text == (  # type: ignore[union-attr]
        "7 parts; 2 made in-house (own cost data), 2 certification revoked, expired or upstream invalid, "
        "2 certified originating, 1 no certification on record"
    )
    labels = {a.get("href"): a.get("aria-label") for a in root.findall("s:a", NS)}
    assert labels["/parts/tcu"] == "Part, Supplier · status: No certification on record"
    assert labels["/parts/seat"] == "Seat, Seating: Certification revoked, expired or upstream invalid"
    classes = {a.get("href"): a.get("class") for a in root.findall("s:a", NS)}
    assert classes["/parts/foam"] == "node status-invalid"


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_each_status_has_its_own_fill_and_stroke(status: str) -> None:
    svg = tree_svg(leaf("x", status))
    _, fill, stroke = STATUSES[status]
    assert f'fill="{fill}" stroke="{stroke}"' in svg
    assert len({(f, s) for _, f, s in STATUSES.values()}) == len(STATUSES)


def test_ledger_text_is_escaped_and_long_labels_clipped() -> None:
    evil = SvgNode(
        uid='a"<b>&',
        label="<script>alert(1)</script> with a very long description indeed",
        sublabel="S&P <Corp>",
        status="uncertified",
        href='/parts/a"><script>',
    )
    svg = tree_svg(evil, title="T<1>")
    root = ET.fromstring(svg)  # well-formed XML
    assert "<script>" not in svg
    assert ">&lt;script&gt;alert(1)&lt;/script&gt; …</text>" in svg
    assert "S&amp;P &lt;Corp&gt;" in svg
    assert root.find("s:a", NS).get("href") == '/parts/a"><script>'  # type: ignore[union-attr]
    assert root.find("s:a/s:title", NS).text == 'a"<b>& — No certification on record'  # type: ignore[union-attr]


def test_unknown_status_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="unknown origin status 'green'; expected one of originating, "):
        leaf("x", "green")
