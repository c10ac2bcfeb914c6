"""The certificates-of-origin page in Debian's chromium: issue from a vehicle on the ledger, download, verify, revoke."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from api.compliance.issue import CertificateStore
from tests.web.conftest import WebServer, screenshot, sign_in

pytestmark = pytest.mark.browser
#: The demo's two vehicles: the first qualifies, the second fails the core-parts test (its seats' lineage).
QUALIFYING = "https://id.gs1.org/01/07501055001101/21/BJC-000001"
FAILING = "https://id.gs1.org/01/07501055001101/21/BJC-000002"


def _rows(page: Any) -> Any:
    return page.locator("#issued-list tbody tr")


def test_certifier_issues_downloads_and_revokes_a_certificate_the_auditor_checks(
    page: Any, new_context: Callable[..., Any], web: WebServer, tmp_path: Path
) -> None:
    sign_in(page, web, "OemMSP/certifier")
    page.get_by_role("navigation").get_by_role("link", name="Certificates", exact=True).click()
    expect(page.get_by_role("heading", name="Certificates of origin · OemMSP")).to_be_visible()
    # The demo's own certificate, and the certifier block filled from it.
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).first).to_contain_text("Bajío Compact sedan")
    expect(_rows(page).first).to_contain_text("valid")
    expect(page.get_by_label("Name", exact=True).first).to_have_value("Lucía Ramírez Ortega")

    # A vehicle that does not qualify gets no certificate, and the reason sits next to the part field.
    page.get_by_label("Part (a finished good").fill(FAILING)
    page.get_by_label("Covers").select_option("single")
    page.get_by_label("Invoice number (single shipment)").fill("FAC-2026-11881")
    page.get_by_role("button", name="Compute origin, sign and record").click()
    expect(page.locator("#form-error")).to_contain_text("does not qualify")
    expect(page.locator("#err-uid")).to_contain_text("core_parts")
    expect(page.get_by_label("Invoice number (single shipment)")).to_have_value("FAC-2026-11881")
    expect(_rows(page)).to_have_count(1)

    page.get_by_label("Part (a finished good").fill(QUALIFYING)
    page.get_by_role("button", name="Compute origin, sign and record").click()
    issued = page.locator("#issued")
    expect(issued).to_contain_text("is signed and recorded on the ledger")
    expect(_rows(page)).to_have_count(2)
    screenshot(page, "certificates")
    cid = issued.locator("code").first.inner_text()
    assert cid in CertificateStore(web.home, "OemMSP").ids()

    with page.expect_download() as download:
        issued.get_by_role("link", name="Download the PDF").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.name == f"{cid}.pdf" and pdf.read_bytes()[:5] == b"%PDF-"

    # The auditor, signed in elsewhere, checks the downloaded PDF against the ledger.
    audit_page = new_context().new_page()
    sign_in(audit_page, web, "AuditMSP/auditor")
    audit_page.get_by_label("Certificate file (JSON or PDF)").set_input_files(str(pdf))
    audit_page.get_by_role("button", name="Verify certificate").click()
    expect(audit_page.locator("#verdict")).to_contain_text(f"VALID · {cid}")

    row = _rows(page).filter(has_text=cid)
    row.get_by_label(f"Reason for revoking {cid}").fill("invoice FAC-2026-11881 cancelled by the importer")
    row.get_by_role("button", name="Revoke").click()
    expect(_rows(page).filter(has_text=cid)).to_contain_text("revoked")
    expect(_rows(page).filter(has_text=cid)).to_contain_text("invoice FAC-2026-11881 cancelled by the importer")

    audit_page.get_by_label("Certificate file (JSON or PDF)").set_input_files(str(pdf))
    audit_page.get_by_role("button", name="Verify certificate").click()
    expect(audit_page.locator("#verdict")).to_contain_text("NOT VALID")
    expect(audit_page.locator("#verdict")).to_contain_text("invoice FAC-2026-11881 cancelled by the importer")


def test_missing_data_elements_are_marked_and_nothing_is_issued(page: Any, web: WebServer) -> None:
    before = CertificateStore(web.home, "OemMSP").ids()
    sign_in(page, web, "OemMSP/certifier")
    page.goto(web.base_url + "/certificates")
    page.get_by_label("Part (a finished good").fill(QUALIFYING)
    page.get_by_label("Blanket from").fill("2026-12-01")
    page.get_by_label("Blanket to").fill("2027-11-30")
    page.locator("#certifier_phone").fill("")
    for field, value in {"name": "Autohaus Import GmbH", "address": "Hafenstrasse 1, Bremen", "country": "DE",
                         "phone": "+49 421 555 0100", "email": "zoll@autohaus.example"}.items():  # fmt: skip
        page.locator(f"#importer_{field}").fill(value)
    page.get_by_role("button", name="Compute origin, sign and record").click()
    expect(page.locator("#form-error")).to_contain_text("2 required data element(s) missing or wrong")
    expect(page.locator("#err-certifier_phone")).to_contain_text("phone is required")
    expect(page.locator("#err-importer_country")).to_contain_text("country 'DE' is not a USMCA country code")
    expect(page.locator("#importer_country")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "certificates-form-error")
    assert CertificateStore(web.home, "OemMSP").ids() == before
    with httpx.Client(base_url=web.base_url, headers={"Authorization": f"Bearer {web.token('OemMSP/certifier')}"}) as c:
        assert [x["certificate_id"] for x in c.get("/v1/certificates").json()] == before
