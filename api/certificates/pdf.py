"""PDF rendering of a certification of origin: every Annex 5-A element, the exact statement, and a QR code.

The QR code encodes the verification URL (which carries the ledger reference and content hash), so anyone
holding the paper can check it against the ledger. Output is deterministic for the same input (reportlab
invariant mode), which keeps rendered files diffable and cacheable.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from api.certificates.canonical import content_hash
from api.certificates.fields import validate_certificate
from api.origin.rules import load_rules
from ledger.errors import ValidationError

_WORDS = {
    "same_as_certifier": "Same as certifier",
    "same_as_exporter": "Same as exporter",
    "various": "Various",
    "unknown": "Unknown",
    "available_upon_request": "Available upon request by the importing authorities",
}


def qr_png(text: str) -> bytes:
    """A PNG QR code (error correction M) encoding ``text``."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _party_text(value: Any, *, certifier: bool = False) -> str:
    if value is None:
        return "Not given"
    if isinstance(value, str):
        return _WORDS.get(value, value)
    lines = [value.get("name", "")]
    if certifier:
        lines.insert(0, f"Role: {value.get('role', '').capitalize()}")
        lines.append(f"Title: {value.get('title', '')}")
    lines += [
        f"{value.get('address', '')}, {value.get('country', '')}",
        f"Tel. {value.get('phone', '')}",
        value.get("email", ""),
    ]
    return "\n".join(line for line in lines if line)


def render_certificate_pdf(cert: dict[str, Any], *, verify_url: str) -> bytes:
    """Render a valid certificate to PDF bytes (US Letter).

    Raises:
        ValidationError: the certificate is incomplete (the message lists the problems) or the URL is empty.
    """
    errors = validate_certificate(cert)
    if errors:
        listing = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise ValidationError(f"cannot render an invalid certificate: {listing}", field=errors[0].field)
    if not verify_url.strip():
        raise ValidationError("verify_url is empty", field="verify_url", value=verify_url)
    rules = load_rules().raw["certification"]
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=8)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=14, spaceAfter=2)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=LETTER,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title="USMCA Certification of Origin",
        author=str(cert["certifier"].get("name", "")),
        invariant=1,
    )
    width = doc.width
    chash = content_hash(cert)
    story: list[Any] = [
        _p("USMCA / CUSMA / T-MEC Certification of Origin", title),
        _p("Minimum data elements of USMCA Annex 5-A and 19 CFR 182.12", body),
        Spacer(1, 4 * mm),
    ]
    blanket = cert.get("blanket_period")
    period = f"From {blanket['from']} to {blanket['to']}" if blanket else "Single shipment (see invoice numbers)"
    parties = [
        [_p("1. Certifier", head), _p("2. Exporter", head)],
        [
            _p(_party_text(cert["certifier"], certifier=True), body),
            _p(_party_text(cert.get("exporter")), body),
        ],
        [_p("3. Producer", head), _p("4. Importer", head)],
        [_p(_party_text(cert.get("producer")), body), _p(_party_text(cert.get("importer")), body)],
    ]
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ]
    )
    t = Table(parties, colWidths=[width / 2, width / 2])
    t.setStyle(grid)
    t.setStyle(TableStyle([("BACKGROUND", (0, 2), (-1, 2), colors.HexColor("#e8e8e8"))]))
    story += [t, Spacer(1, 3 * mm)]
    rows = [[_p(h, head) for h in ("5. Description of goods", "6. HS code", "7. Origin criterion", "Invoice")]]
    for good in cert["goods"]:
        desc = good["description"]
        if good.get("schedule_ii"):
            desc += f"\n{rules['schedule_ii_phrase']}"
        if good.get("rule"):
            desc += f"\nRule: {good['rule']}"
        rows.append(
            [
                _p(desc, body),
                _p(str(good["hs"]), body),
                _p(good["origin_criterion"], body),
                _p(good.get("invoice", ""), body),
            ]
        )
    gt = Table(rows, colWidths=[width * 0.52, width * 0.16, width * 0.14, width * 0.18], repeatRows=1)
    gt.setStyle(grid)
    story += [gt, Spacer(1, 3 * mm)]
    signer = cert.get("signer") or cert["certifier"]
    tail = [
        [_p("8. Blanket period", head), _p(period, body)],
        [_p("9. Certification", head), _p(rules["statement"], body)],
        [_p("Authorized signature", head), _p(f"{signer.get('name', '')}, {signer.get('title', '')}", body)],
        [_p("Date", head), _p(str(cert["signed_date"]), body)],
    ]
    if cert.get("signature"):
        sig = cert["signature"]
        tail.append(
            [
                _p("Digital signature", head),
                _p(f"{sig.get('algorithm', '')} by {sig.get('signer', '')}", body),
            ]
        )
    tt = Table(tail, colWidths=[width * 0.22, width * 0.78])
    tt.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [tt, Spacer(1, 4 * mm)]
    qr = Image(io.BytesIO(qr_png(verify_url)), width=38 * mm, height=38 * mm)
    reference = (
        f"Ledger reference: {cert['certificate_id']} ({cert.get('issuer_msp', '')})\n"
        if isinstance(cert.get("certificate_id"), str)
        else ""
    )
    verify = _p(
        f"{reference}Verify this certification on the ledger:\n{verify_url}\n\nContent hash (sha256):\n{chash}\n\n"
        f"Valid for {rules['validity_years']} years from the date it was completed (19 CFR 182.12(h)).",
        body,
    )
    vt = Table([[qr, verify]], colWidths=[44 * mm, width - 44 * mm])
    vt.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(vt)
    doc.build(story)
    return buf.getvalue()
