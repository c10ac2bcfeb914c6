"""Compliance report renderers: JSON (stable bytes), CSV (one table with a ``section`` column) and PDF."""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_DOWN, Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from api.reports.models import ComplianceReport

CSV_COLUMNS = ("section", "name", "passed", "value", "required", "detail")


def display_pct(value: str | None) -> str:
    """Two decimals for people, truncated so 74.999 never shows as 75.00 (JSON and CSV stay unrounded)."""
    if value in (None, ""):
        return ""
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def report_to_json(report: ComplianceReport) -> str:
    """Sorted-key JSON; the same report gives the same bytes."""
    return json.dumps(report.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False)


def _rows(report: ComplianceReport) -> list[tuple[str, str, str, str, str, str]]:
    a = report.answer
    rows: list[tuple[str, str, str, str, str, str]] = [
        ("summary", "subject", "", report.subject, "", report.kind),
        ("summary", "period", "", f"{report.period_from or ''}..{report.period_to or ''}", "", ""),
        ("summary", "vehicles", "", str(report.vehicles), "", ""),
        (
            "summary",
            "qualifies",
            _b(report.qualifies),
            a.get("rvc") or "",
            a.get("threshold") or "",
            f"method {a.get('method')}",
        ),
        ("summary", "rules_version", "", report.rules_version, "", f"input_sha256 {a.get('input_sha256')}"),
    ]
    rows += [
        ("test", t["name"], _b(t["passed"]), t["value"] or "", t["required"] or "", t["detail"]) for t in a["tests"]
    ]
    for cp in a.get("core_parts") or []:
        rows.append(
            (
                "core_part",
                cp["part"],
                _b(cp["passed"]),
                cp["rvc"],
                cp["required"],
                f"net cost {cp['net_cost']}, VNM {cp['vnm']}",
            )
        )
    for s in report.supplier_issues:
        detail = f"{s.detail}; vehicles {s.vehicles}"
        rows.append(("supplier", s.supplier, "", s.issue, s.certification or "", f"material {s.material}: {detail}"))
    for mid in a.get("missing_evidence", []):
        rows.append(("missing_evidence", mid, "", "", "", "counted as non-originating"))
    w = a.get("what_if")
    if w:
        mats = " ".join(w.get("materials") or []) if w.get("materials") is not None else "none possible"
        rows.append(
            (
                "what_if",
                w.get("method") or "",
                _b(w.get("qualifies_after")),
                mats,
                w.get("rvc_after") or "",
                w.get("detail", ""),
            )
        )
        rows += [("what_if", "also_needed", "", "", "", text) for text in w.get("also_needed", [])]
    return rows


def _b(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def _cell(index: int, value: str) -> str:
    """Columns 2 and 3 of the PDF tables are value and required: long decimals are shortened for display."""
    if index in (2, 3) and value and value.replace(".", "", 1).replace("-", "", 1).isdigit() and len(value) > 8:
        return display_pct(value)
    return value


def report_to_csv(report: ComplianceReport) -> str:
    """CSV with columns section, name, passed, value, required, detail (RFC 4180 quoting, CRLF rows)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_rows(report))
    return buf.getvalue()


def report_to_pdf(report: ComplianceReport) -> bytes:
    """A landscape PDF: summary, tests, core parts, supplier issues and the what-if."""
    styles = getSampleStyleSheet()
    body = ParagraphStyle("b", parent=styles["BodyText"], fontSize=8, leading=10)
    head = ParagraphStyle("h", parent=body, fontName="Helvetica-Bold")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(LETTER),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"USMCA compliance report {report.subject}",
        invariant=1,
    )
    a = report.answer
    verdict = "QUALIFIES" if report.qualifies else "DOES NOT QUALIFY"
    period = (
        f" - {report.period_from} to {report.period_to}, {report.vehicles} vehicles (averaged)"
        if report.kind == "model_line"
        else ""
    )
    story: list[Any] = [
        Paragraph(escape(f"USMCA compliance report: {report.subject}{period}"), styles["Heading1"]),
        Paragraph(
            escape(
                f"{verdict} as originating. RVC {display_pct(a.get('rvc'))} % ({a.get('method')}) against "
                f"{a.get('threshold')} % (percentages shown truncated to 2 decimals; JSON and CSV are unrounded). "
                f"Generated {report.generated_on}; rules {report.rules_version}; "
                f"core-part roll-up policy {a['policy'].get('core_part_rollup')}; "
                f"input {a.get('input_sha256', '')[:16]}."
            ),
            body,
        ),
        Spacer(1, 3 * mm),
    ]
    width = doc.width
    sections = [
        (
            "Tests",
            ("Test", "Passed", "Value", "Required", "Detail"),
            [r[1:] for r in _rows(report) if r[0] == "test"],
        ),
        (
            "Core parts",
            ("Part", "Passed", "RVC", "Required", "Net cost and VNM"),
            [r[1:] for r in _rows(report) if r[0] == "core_part"],
        ),
        (
            "Supplier certifications",
            ("Supplier", "", "Issue", "Certification", "Detail"),
            [r[1:] for r in _rows(report) if r[0] == "supplier"],
        ),
        (
            "What-if",
            ("Method", "Qualifies after", "Materials to source as originating", "RVC after", "Detail"),
            [r[1:] for r in _rows(report) if r[0] == "what_if"],
        ),
    ]
    widths = [width * f for f in (0.14, 0.08, 0.12, 0.1, 0.56)]
    for title, header, rows in sections:
        story.append(Paragraph(escape(title), styles["Heading3"]))
        if not rows:
            story.append(Paragraph("None.", body))
            continue
        cells = [[_cell(i, str(c)) for i, c in enumerate(r)] for r in rows]
        data = [[Paragraph(escape(h), head) for h in header]]
        data += [[Paragraph(escape(c), body) for c in r] for r in cells]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(t)
    doc.build(story)
    return buf.getvalue()
