"""Supplier portal to OEM dashboard in Debian's chromium: a certification submitted by a supplier shows up for the OEM."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import WebServer, screenshot, sign_in

pytestmark = pytest.mark.browser
SEAT = "SeatingMSP:SEAT-FRONT-L"


def _fill_seat_certification(page: Any, rvc: str) -> None:
    page.get_by_label("Part type").select_option(SEAT)
    page.get_by_label("Certification id (optional)").fill("CO-SEATING-SEAT-2027")
    page.get_by_label("Blanket from").fill("2026-07-01")
    page.get_by_label("Blanket to").fill("2027-06-30")
    page.get_by_label("Origin criterion").select_option("B")
    page.get_by_label("RVC method").select_option("NC")
    page.get_by_label("RVC declared (%)").fill(rvc)
    page.get_by_label("Non-originating share (%)").fill("27.5")
    page.get_by_label("Relies on certifications (ids, comma separated)").fill("CO-STAMPING-SF-FRONT-2026")
    page.get_by_label("OemMSP").check()
    page.get_by_label("Total cost (required)").fill("410.00")
    page.get_by_label("Value of non-originating materials (VNM)").fill("112.75")
    page.get_by_label("Originating materials").fill("190.00")


def test_certification_from_portal_appears_on_oem_dashboard(page: Any, web: WebServer) -> None:
    sign_in(page, web, "OemMSP/compliance")
    gaps = page.locator("#gaps tbody")
    expect(gaps).to_contain_text("upstream certification CO-FOAM-FC-FRONT-2026 is revoked")
    assert "CO-SEATING-SEAT-2027" not in page.locator("#received").inner_text()
    page.context.clear_cookies()

    sign_in(page, web, "SeatingMSP/certifier")
    assert page.url.endswith("/supplier")
    _fill_seat_certification(page, rvc="80.0")
    page.get_by_role("button", name="Sign and submit certification").click()
    expect(page.locator("#form-error")).to_contain_text("The certification was not submitted")
    assert page.locator("#rvc").get_attribute("aria-invalid") == "true"
    assert "80.0" in page.locator("#err-rvc").inner_text()
    screenshot(page, "supplier-form-error")

    page.get_by_label("RVC declared (%)").fill("72.5")
    page.get_by_role("button", name="Sign and submit certification").click()
    expect(page.locator("#submitted")).to_contain_text("CO-SEATING-SEAT-2027")
    commitment = page.locator("#submitted code").nth(1).inner_text()
    assert len(commitment) == 64
    with web.client("SeatingMSP/certifier") as c:
        stored = c.get("/v1/certifications/CO-SEATING-SEAT-2027").json()
    assert stored["cost_commitment"] == commitment
    assert stored["rvc"] == "72.5"
    assert "410.00" not in str(stored)
    screenshot(page, "supplier")
    page.context.clear_cookies()

    sign_in(page, web, "OemMSP/compliance")
    received = page.locator("#received")
    expect(received).to_contain_text("CO-SEATING-SEAT-2027")
    expect(received.locator("tr", has_text="CO-SEATING-SEAT-2027")).to_contain_text("Valid")
    assert "SeatingMSP" not in gaps.inner_text()
    page.locator("#vehicles tbody a").first.click()
    expect(page.locator("svg.tree")).to_be_visible()
    seat = page.locator("svg.tree a.node", has_text="Front seat assembly").first
    assert "status-originating" in (seat.get_attribute("class") or "")


def test_dashboard_figures_equal_the_api(page: Any, web: WebServer) -> None:
    sign_in(page, web, "OemMSP/compliance")
    with web.client("OemMSP/compliance") as c:
        vehicles = c.get("/v1/parts", params={"producer": "OemMSP", "part_type": "OemMSP:BJC-SEDAN"}).json()["parts"]
        recall = c.get("/v1/containment", params={"supplier": "CastingsMSP"}).json()
    assert page.locator("#kpi-vehicles").inner_text() == str(len(vehicles))
    screenshot(page, "oem-dashboard")

    page.locator("#vehicles tbody a").first.click()
    expect(page.locator("svg.tree")).to_be_visible()
    screenshot(page, "oem-vehicle-tree")
    page.locator("svg.tree a.node", has_text="Transmission case").first.click()
    expect(page.locator("h1")).to_contain_text("Transmission case")
    expect(page.locator("main")).to_contain_text("CO-CASTINGS-TC-8HP-CASE-2026")
    screenshot(page, "part")

    page.get_by_role("link", name="Recall containment").click()
    page.get_by_label("Supplier").select_option("CastingsMSP")
    page.get_by_role("button", name="Search").click()
    heading = page.locator("#result-h")
    expect(heading).to_contain_text(f"{len(recall['affected'])} affected assemblies")
    expect(heading).to_contain_text(f"{recall['matched_parts']} suspect parts")
    screenshot(page, "containment")

    page.get_by_label("Produced from").fill("2026-12-01")
    page.get_by_label("Produced to").fill("2026-01-01")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#containment-error")).to_have_text("produced_from 2026-12-01 is after produced_to 2026-01-01")
