"""PDF rendering: rendered to PNG with pdftoppm, text checked with pdftotext, QR decoded with zxing-cpp."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image

from api.certificates import content_hash, render_certificate_pdf
from api.origin.rules import load_rules
from ledger.errors import ValidationError
from tests.api.certificates.test_cert_validate import cert

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")

URL = "https://ledger.example.com/verify/certificates/CERT-2026-0042?h="


def _png(pdf: bytes, tmp_path, dpi: int = 150):
    src = tmp_path / "cert.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(src), str(tmp_path / "page")], check=True)
    return tmp_path / "page.png"


def test_pdf_renders_and_qr_decodes_to_verify_url(tmp_path):
    data = cert()
    url = URL + content_hash(data)
    pdf = render_certificate_pdf(data, verify_url=url)
    assert pdf.startswith(b"%PDF-")
    png = _png(pdf, tmp_path)
    image = Image.open(png)
    assert image.size == (1275, 1650)  # US Letter at 150 dpi
    results = zxingcpp.read_barcodes(image)
    qr = [r for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert [r.text for r in qr] == [url]


def test_pdf_text_has_every_element_and_the_exact_statement(tmp_path):
    data = cert()
    data["goods"].append(
        {"description": "Control arm LH", "hs": "8708.80.65", "origin_criterion": "C", "schedule_ii": True}
    )
    src = tmp_path / "c.pdf"
    src.write_bytes(render_certificate_pdf(data, verify_url=URL))
    text = subprocess.run(["pdftotext", "-raw", str(src), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    statement = load_rules().raw["certification"]["statement"]
    assert statement in flat
    for needle in (
        "1. Certifier",
        "Role: Producer",
        "Ana Torres",
        "Title: Trade Compliance Manager",
        "ana.torres@frontera-axle.mx",
        "2. Exporter",
        "Same as certifier",
        "3. Producer",
        "4. Importer",
        "Great Lakes Assembly LLC",
        "Rear drive axle RA-220",
        "8708.50",
        "8708.80.65",
        "Schedule II of the USMCA Rules of Origin Uniform Regulations",
        "From 2026-01-01 to 2026-12-31",
        "2025-12-15",
        content_hash(data),
    ):
        assert needle in flat, needle


def test_pdf_is_deterministic():
    assert render_certificate_pdf(cert(), verify_url=URL) == render_certificate_pdf(cert(), verify_url=URL)


def test_invalid_certificate_is_not_rendered():
    with pytest.raises(ValidationError, match=r"cannot render an invalid certificate: goods\[0\].hs: hs '87'"):
        render_certificate_pdf(cert(goods=[{"description": "x", "hs": "87", "origin_criterion": "B"}]), verify_url=URL)


def test_empty_url_refused():
    with pytest.raises(ValidationError, match="verify_url is empty"):
        render_certificate_pdf(cert(), verify_url=" ")
