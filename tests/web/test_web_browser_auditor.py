"""Auditor pages in Debian's chromium: certificates of origin and cost openings checked against the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import today
from tests.web.conftest import WebServer, screenshot, sign_in

pytestmark = pytest.mark.browser
CERTIFIER = {
    "role": "producer",
    "name": "Gulf Drivetrain LLC",
    "title": "Trade compliance manager",
    "address": "1 Industrial Way, Toledo, OH",
    "country": "US",
    "phone": "+1 419 555 0100",
    "email": "origin@driveline.example",
}
QUALIFY = {
    "good": {"description": "8-speed automatic transmission", "hs": "8708.40", "end_use": "oe_pv_lt"},
    "as_of": "2026-11-23",
    "method": "NC",
    "net_cost": "2140",
    "materials": [
        {"id": "case", "value": "312", "origin": "originating"},
        {"id": "gears", "value": "268", "origin": "non_originating"},
    ],
}


def _issue_certificate(web: WebServer) -> dict[str, Any]:
    """A certificate of origin issued through the API by the Tier-1's certifier (and its PDF)."""
    with web.client("DrivelineMSP/certifier") as c:
        answer = c.post("/v1/origin/qualify", json=QUALIFY).json()
        assert answer["qualifies"] is True
        parties = {"certifier": CERTIFIER, "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}}
        created = c.post("/v1/certificates", json={"qualification": answer, "parties": parties})
        assert created.status_code == 201, created.text
        body = created.json()
        body["pdf"] = c.get(body["pdf_url"]).content
    return body


def test_certificate_verified_on_auditor_page(page: Any, web: WebServer, tmp_path: Path) -> None:
    issued = _issue_certificate(web)
    cert = issued["certificate"]
    cid = cert["certificate_id"]
    good_json = tmp_path / f"{cid}.json"
    good_json.write_text(json.dumps(cert))
    pdf = tmp_path / f"{cid}.pdf"
    pdf.write_bytes(issued["pdf"])
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**cert, "blanket_period": {"from": "2026-01-01", "to": "2027-06-30"}}))

    sign_in(page, web, "AuditMSP/auditor")
    assert page.url.endswith("/auditor")
    verdict = page.locator("#verdict")

    page.get_by_label("Certificate file (JSON or PDF)").set_input_files(str(good_json))
    page.get_by_role("button", name="Verify certificate").click()
    expect(verdict).to_contain_text(f"VALID · {cid}")
    proof = page.locator("#ledger-proof")
    expect(proof).to_contain_text(issued["ledger"]["tx_id"])
    expect(proof).to_contain_text(issued["ledger"]["content_hash"])
    expect(proof).to_contain_text("in block")
    screenshot(page, "auditor")

    page.get_by_label("Certificate file (JSON or PDF)").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify certificate").click()
    expect(verdict).to_contain_text(f"VALID · {cid}")

    page.get_by_label("…or paste the QR code content").fill(issued["verify_url"])
    page.get_by_role("button", name="Verify certificate").click()
    expect(verdict).to_contain_text(f"VALID · {cid}")

    page.get_by_label("…or paste the QR code content").fill("")
    page.get_by_label("Certificate file (JSON or PDF)").set_input_files(str(forged))
    page.get_by_role("button", name="Verify certificate").click()
    expect(verdict).to_contain_text("NOT VALID")
    expect(page.locator("#verdict-reasons")).to_contain_text("differs from the ledger record's")

    page.get_by_label("…or paste the QR code content").fill("https://example.org/nothing")
    page.get_by_role("button", name="Verify certificate").click()
    expect(page.locator("#verify-error")).to_contain_text("'https://example.org/nothing' is not a verification URL")

    page.context.clear_cookies()
    sign_in(page, web, "DrivelineMSP/compliance")
    with page.expect_download() as download:
        page.locator("#certificates").get_by_role("link", name="PDF").click()
    assert Path(download.value.path()).read_bytes() == issued["pdf"]


def test_cost_opening_and_anomalies_on_auditor_pages(page: Any, web: WebServer) -> None:
    with web.client("SeatingMSP/certifier") as c:
        # The demo names its certifications by the year it was seeded in.
        opening = c.get(f"/v1/certifications/CO-SEATING-SEAT-FRONT-L-{today().year}/opening").json()
    sign_in(page, web, "AuditMSP/auditor")
    page.get_by_label("…or paste the opening JSON").fill(json.dumps(opening))
    page.get_by_role("button", name="Verify opening").click()
    result = page.locator("#opening-result")
    expect(result).to_contain_text("The opening matches the ledger commitment")
    expect(result).to_contain_text(opening["commitment"])

    tampered = {**opening, "data": {**opening["data"], "total_cost": "999.00"}}
    page.get_by_label("…or paste the opening JSON").fill(json.dumps(tampered))
    page.get_by_role("button", name="Verify opening").click()
    expect(result).to_contain_text("does NOT match")
    screenshot(page, "auditor-opening")

    page.get_by_label("…or paste the opening JSON").fill("{not json")
    page.get_by_role("button", name="Verify opening").click()
    expect(page.locator("#opening-error")).to_contain_text("the opening is not JSON")

    page.get_by_role("link", name="Anomalies").click()
    with web.client("AuditMSP/auditor") as c:
        api = c.get("/v1/anomalies", params={"limit": 500}).json()["anomalies"]
    expect(page.locator("#an-h")).to_have_text(f"{len(api)} flagged scans")
    page.get_by_label("Flag", exact=True).select_option("impossible_travel")
    page.get_by_role("button", name="Show").click()
    clones = [a for a in api if "impossible_travel" in a["anomalies"]]
    expect(page.locator("#an-h")).to_have_text(f"{len(clones)} flagged scan" + ("" if len(clones) == 1 else "s"))
    expect(page.locator("#anomalies")).to_contain_text("Suspected clone (impossible travel)")
    screenshot(page, "anomalies")
