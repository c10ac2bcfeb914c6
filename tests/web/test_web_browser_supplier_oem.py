"""Supplier portal to OEM dashboard in Debian's chromium: a certification submitted by a supplier shows up for the OEM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from api.demo.seed import EXPIRING_IN_DAYS
from tests.helpers import day, today
from tests.web.conftest import WebServer, screenshot, sign_in

pytestmark = pytest.mark.browser
SEAT = "SeatingMSP:SEAT-FRONT-L"


def _demo_cert(name: str) -> str:
    """A certification id of the demo, which names certifications (and requests) by the year it was seeded in."""
    return f"{name}-{today().year}"


def _fill_seat_certification(page: Any, rvc: str) -> None:
    page.get_by_label("Part type", exact=True).select_option(SEAT)
    page.get_by_label("Certification id (optional)", exact=True).fill("CO-SEATING-SEAT-2027")
    # A 12-month period around today, ending well past the 30 days that would show it as expiring.
    page.get_by_label("Blanket from", exact=True).fill(day(-30))
    page.get_by_label("Blanket to", exact=True).fill(day(300))
    page.get_by_label("Origin criterion", exact=True).select_option("B")
    page.get_by_label("RVC method", exact=True).select_option("NC")
    page.get_by_label("RVC declared (%)", exact=True).fill(rvc)
    page.get_by_label("Non-originating share (%)", exact=True).fill("27.5")
    page.get_by_label("Relies on certifications (ids, comma separated)", exact=True).fill(
        _demo_cert("CO-STAMPING-SF-FRONT")
    )
    page.get_by_label("OemMSP", exact=True).check()
    page.get_by_label("Total cost (required)", exact=True).fill("410.00")
    page.get_by_label("Value of non-originating materials (VNM)", exact=True).fill("112.75")
    page.get_by_label("Originating materials", exact=True).fill("190.00")


def test_certification_from_portal_appears_on_oem_dashboard(page: Any, web: WebServer) -> None:
    sign_in(page, web, "OemMSP/compliance")
    gaps = page.locator("#gaps tbody")
    expect(gaps).to_contain_text(f"upstream certification {_demo_cert('CO-FOAM-FC-FRONT')} is revoked")
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

    page.get_by_label("RVC declared (%)", exact=True).fill("72.5")
    page.get_by_role("button", name="Sign and submit certification").click()
    expect(page.locator("#submitted")).to_contain_text("CO-SEATING-SEAT-2027")
    commitment = page.locator("#submitted code").nth(1).inner_text()
    assert len(commitment) == 64
    with web.client("SeatingMSP/certifier") as c:
        stored = c.get("/v1/certifications/CO-SEATING-SEAT-2027").json()
    assert stored["cost_commitment"] == commitment
    assert stored["rvc"] == "72.5"
    assert "410.00" not in str(stored)
    private = page.locator("#private tr", has_text="CO-SEATING-SEAT-2027")
    with web.client("SeatingMSP/certifier") as c:
        figures = c.get("/v1/private/breakdowns/CO-SEATING-SEAT-2027").json()["data"]
    assert figures["total_cost"] == "410"
    expect(private.locator("td.num").first).to_have_text(figures["total_cost"])
    expect(private).to_contain_text("matches ledger")
    screenshot(page, "supplier")
    seat_request = f"REQ-{today().year}-0103"
    request_row = page.locator("#requests tr", has_text=seat_request)
    expect(request_row).to_contain_text("open")
    request_row.get_by_label(f"Certification answering {seat_request}").select_option("CO-SEATING-SEAT-2027")
    request_row.get_by_role("button", name="Answer").click()
    expect(page.locator("#requests tr", has_text=seat_request)).to_contain_text(
        "answered with certification CO-SEATING-SEAT-2027"
    )
    private = page.locator("#private tr", has_text="CO-SEATING-SEAT-2027")
    with page.expect_download() as download:
        private.get_by_role("link", name="Export opening (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    with web.client("SeatingMSP/certifier") as c:
        assert exported == c.get("/v1/certifications/CO-SEATING-SEAT-2027/opening").json()
    page.context.clear_cookies()

    sign_in(page, web, "OemMSP/compliance")
    received = page.locator("#received")
    expect(received).to_contain_text("CO-SEATING-SEAT-2027")
    expect(received.locator("tr", has_text="CO-SEATING-SEAT-2027")).to_contain_text("Valid")
    assert "SeatingMSP" not in gaps.inner_text()
    expect(page.locator("#requests tr", has_text=seat_request)).to_contain_text("answered")
    page.locator("#vehicles tbody a").first.click()
    expect(page.locator("svg.tree")).to_be_visible()
    seat = page.locator("svg.tree a.node", has_text="Front seat assembly").first
    assert "status-originating" in (seat.get_attribute("class") or "")


def test_dashboard_figures_equal_the_api(page: Any, web: WebServer) -> None:
    sign_in(page, web, "OemMSP/compliance")
    period = {
        "from": page.get_by_label("Period from").input_value(),
        "to": page.get_by_label("Period to").input_value(),
    }
    with web.client("OemMSP/compliance") as c:
        vehicles = c.get("/v1/parts", params={"producer": "OemMSP", "part_type": "OemMSP:BJC-SEDAN"}).json()["parts"]
        recall = c.get("/v1/containment", params={"supplier": "CastingsMSP"}).json()
        first = vehicles[0]["uid"]
        report = c.get(f"/v1/reports/vehicles/{quote(first, safe='')}").json()
        line = c.get("/v1/reports/model-lines/OemMSP:BJC-SEDAN", params=period).json()
    assert page.locator("#kpi-vehicles").inner_text() == str(len(vehicles))
    row = page.locator(f'#vehicles tr[data-uid="{first}"]')
    assert row.locator(".rvc-value").inner_text() == f"{float(report['rvc']):.2f} %"
    assert row.locator(".tests").inner_text().count("fail") == sum(not t["passed"] for t in report["answer"]["tests"])
    assert page.locator("#lines .rvc-value").first.inner_text() == f"{float(line['rvc']):.2f} %"
    assert page.locator("#kpi-lines").inner_text() == f"{int(line['qualifies'])} / 1"
    rvc_ok = next(t["passed"] for t in report["answer"]["tests"] if t["name"] == "rvc")
    assert page.locator("#kpi-rvc-pass").inner_text() == f"{int(rvc_ok) * len(vehicles)} / {len(vehicles)}"
    screenshot(page, "oem-dashboard")

    with page.expect_download() as download:
        row.get_by_role("link", name="CSV").click()
    csv_bytes = Path(download.value.path()).read_bytes()
    with web.client("OemMSP/compliance") as c:
        api_csv = c.get(f"/v1/reports/vehicles/{quote(first, safe='')}", params={"format": "csv"}).content
    assert csv_bytes == api_csv

    page.locator("#vehicles tbody a").first.click()
    expect(page.locator("svg.tree")).to_be_visible()
    screenshot(page, "oem-vehicle-tree")
    page.locator("svg.tree a.node", has_text="Transmission case").first.click()
    expect(page.locator("h1")).to_contain_text("Transmission case")
    expect(page.locator("main")).to_contain_text(_demo_cert("CO-CASTINGS-TC-8HP-CASE"))
    screenshot(page, "part")

    page.get_by_role("link", name="Recall containment").click()
    page.get_by_label("Supplier", exact=True).select_option("CastingsMSP")
    page.get_by_role("button", name="Search").click()
    heading = page.locator("#result-h")
    expect(heading).to_contain_text(f"{len(recall['affected'])} affected assemblies")
    expect(heading).to_contain_text(f"{recall['matched_parts']} suspect parts")
    screenshot(page, "containment")

    page.get_by_label("Produced from", exact=True).fill("2026-12-01")
    page.get_by_label("Produced to", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#containment-error")).to_have_text("produced_from 2026-12-01 is after produced_to 2026-01-01")


def test_a_certification_about_to_run_out_is_flagged_to_its_supplier_and_the_oem(
    page: Any, new_context: Any, web: WebServer
) -> None:
    """The demo's steering-rack certification ends in three weeks: both sides see it before it lapses."""
    cert_id = _demo_cert("CO-DRIVELINE-EPS-R-14")
    ends = day(EXPIRING_IN_DAYS)
    sign_in(page, web, "DrivelineMSP/certifier")
    mine = page.locator("section[aria-labelledby=mine-h] tbody tr").filter(has_text=cert_id)
    expect(mine).to_contain_text("Expiring within 30 days")
    expect(mine).to_contain_text(ends)

    oem = new_context().new_page()
    sign_in(oem, web, "OemMSP/compliance")
    kpi = oem.locator(".kpi").filter(has=oem.locator("#kpi-gaps"))
    expect(kpi).to_contain_text("part types without valid certification; 1 more expiring within 30 days")
    missing_or_invalid = oem.locator("#gaps tbody tr").filter(has_not_text="expiring")
    expect(oem.locator("#kpi-gaps")).to_have_text(str(missing_or_invalid.count()))
    gap = oem.locator("#gaps tbody tr").filter(has_text="DrivelineMSP:EPS-R-14")
    expect(gap).to_contain_text("expiring")
    expect(gap).to_contain_text(f"certification {cert_id} expires on {ends}")
    # The analyst chases the renewal from the same row; the supplier sees the request.
    gap.get_by_label("Due date for DrivelineMSP:EPS-R-14").fill(day(14))
    gap.get_by_role("button", name="Request certification").click()
    expect(oem.locator("#gaps tbody tr").filter(has_text="DrivelineMSP:EPS-R-14")).to_contain_text("requested")
    steering = oem.locator("table").filter(has_text="Core parts").get_by_text("steering: Certified originating")
    expect(steering.first).to_contain_text("(expiring)")
    page.reload()
    request = page.locator("#requests tbody tr").filter(has_text="DrivelineMSP:EPS-R-14")
    expect(request).to_contain_text("OemMSP")
    expect(request).to_contain_text(day(14))
