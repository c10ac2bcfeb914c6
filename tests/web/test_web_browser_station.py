"""Station page in Debian's chromium: keyboard-wedge scans, verdicts, and reads kept while the ledger is away."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import WebServer, screenshot, sign_in

pytestmark = pytest.mark.browser


def _oem_vehicle(web: WebServer) -> tuple[str, str, str]:
    """(uid, GTIN, serial) of a vehicle the OEM holds."""
    with web.client("OemMSP/compliance") as c:
        parts = c.get("/v1/parts", params={"producer": "OemMSP", "part_type": "OemMSP:BJC-SEDAN"}).json()["parts"]
    uid = parts[0]["uid"]
    m = re.search(r"/01/(\d{14})/21/(.+)$", uid)
    assert m
    return uid, m.group(1), m.group(2)


def _scan(page: Any, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def _scan_count(web: WebServer, uid: str) -> int:
    with web.client("OemMSP/compliance") as c:
        return len(c.get(f"/v1/parts/{uid}").json()["scans"])


def test_station_scan_flow_valid_bad_check_digit_unknown(page: Any, web: WebServer) -> None:
    uid, gtin, serial = _oem_vehicle(web)
    before = _scan_count(web, uid)
    page.goto(web.base_url + "/station")
    assert page.url.endswith("/sign-in?next=%2Fstation")
    screenshot(page, "sign-in")
    sign_in(page, web, "OemMSP/station")
    assert page.url.endswith("/station")
    verdict = page.locator("#verdict")
    code_input = page.get_by_label("Scan a part label (or type the code and press Enter)")
    assert code_input.evaluate("el => el === document.activeElement")

    _scan(page, f"(01){gtin}(21){serial}")
    page.wait_for_selector("#verdict.ok")
    assert verdict.locator(".verdict-word").inner_text() == "OK"
    assert "Bajío Compact sedan" in verdict.inner_text()
    assert _scan_count(web, uid) == before + 1

    bad = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    _scan(page, f"(01){bad}(21){serial}")
    page.wait_for_selector("#verdict.refused")
    assert verdict.locator(".verdict-word").inner_text() == "REFUSED"
    assert f"GTIN {bad} has check digit {bad[-1]}, expected {gtin[-1]}" in verdict.inner_text()

    page.locator("h2#recent-h").click()  # focus wanders; the scan field takes it back
    _scan(page, f"(01){gtin}(21)NEVER-MADE-1")
    expect(verdict.locator(".verdict-reason")).to_contain_text("unknown part")
    assert verdict.locator(".verdict-word").inner_text() == "REFUSED"
    assert "NEVER-MADE-1 was never commissioned" in verdict.inner_text()
    assert code_input.evaluate("el => el === document.activeElement")

    # A raw GS1 element string as a keyboard wedge types it: FNC1 between elements arrives as Ctrl+].
    page.keyboard.type(f"01{gtin}21{serial}")
    page.keyboard.press("Control+BracketRight")
    page.keyboard.type("10L2610")
    page.keyboard.press("Enter")
    expect(verdict).to_have_class("verdict ok")
    expect(verdict.locator(".verdict-part")).to_contain_text("Bajío Compact sedan")
    assert _scan_count(web, uid) == before + 2

    rows = page.locator("#recent tbody tr")
    assert [rows.nth(i).locator(".pill").inner_text() for i in range(4)] == ["OK", "REFUSED", "REFUSED", "OK"]
    screenshot(page, "station")

    page.goto(web.base_url + "/oem")
    expect(page.locator("[role=alert]")).to_contain_text(
        "role 'station' of OemMSP may not open this page; it needs compliance or admin"
    )
    screenshot(page, "error-page")


def test_station_keeps_scans_while_ledger_unreachable_and_sends_them_later(page: Any, web: WebServer) -> None:
    uid, gtin, serial = _oem_vehicle(web)
    before = _scan_count(web, uid)
    sign_in(page, web, "OemMSP/station")
    page.route("**/station/scan", lambda route: route.abort("connectionrefused"))
    _scan(page, f"(01){gtin}(21){serial}")
    page.wait_for_selector("#verdict.kept")
    assert "Ledger unreachable" in page.locator("#link-state").inner_text()
    assert page.locator("#queue-count").inner_text() == "1 waiting to be sent"
    assert page.evaluate("JSON.parse(localStorage.getItem('usmca-station-queue')).length") == 1
    screenshot(page, "station-offline")
    assert _scan_count(web, uid) == before

    page.unroute("**/station/scan")
    expect(page.locator("#queue-count")).to_be_hidden(timeout=15_000)
    assert page.evaluate("JSON.parse(localStorage.getItem('usmca-station-queue') || '[]').length") == 0
    assert "Ledger connected" in page.locator("#link-state").inner_text()
    assert "sent later" in page.locator("#recent tbody tr").first.inner_text()
    assert _scan_count(web, uid) == before + 1
