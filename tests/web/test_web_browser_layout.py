"""Every page at 1280x800 and on a station tablet: no sideways scrolling, named controls, nothing fetched elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.web.conftest import WebServer, sign_in

pytestmark = pytest.mark.browser
VEHICLE = "https://id.gs1.org/01/07501055001101/21/BJC-000001"
#: (demo credential, pages that role works in)
PAGES = (
    ("OemMSP/station", ["/station"]),
    ("SeatingMSP/certifier", ["/supplier"]),
    ("OemMSP/certifier", ["/certificates"]),
    (
        "OemMSP/compliance",
        ["/oem", "/oem/vehicles/" + VEHICLE, "/oem/containment?lot=L2610", "/parts/" + quote(VEHICLE, safe="")],
    ),
    ("AuditMSP/auditor", ["/auditor", "/auditor/anomalies"]),
)
#: A 10" tablet in portrait and in landscape, as mounted at a station.
SCREENS = {"desktop": (1280, 800), "tablet-portrait": (800, 1280), "tablet-landscape": (1024, 768)}
#: Controls without an accessible name, and the page's horizontal overflow (tables scroll inside their own box).
AUDIT_JS = """() => {
  const unnamed = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map(el => el.outerHTML.slice(0, 120));
  return {unnamed, overflow: document.documentElement.scrollWidth - window.innerWidth,
          h1: document.querySelectorAll('h1').length, main: document.querySelectorAll('main').length,
          lang: document.documentElement.lang};
}"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_pages_fit_the_screen_name_their_controls_and_load_only_from_the_app(
    new_context: Callable[..., Any], web: WebServer, screen: str
) -> None:
    width, height = SCREENS[screen]
    elsewhere: list[str] = []
    for key, paths in PAGES:
        page = new_context(width, height, touch=screen != "desktop").new_page()
        page.on("request", lambda r: r.url.startswith(web.base_url) or elsewhere.append(r.url))
        sign_in(page, web, key)
        for path in paths:
            response = page.goto(web.base_url + path)
            assert response is not None and response.status == 200, (key, path)
            audit = page.evaluate(AUDIT_JS)
            where = f"{path} as {key} on {screen}"
            assert audit["unnamed"] == [], where
            assert audit["overflow"] <= 0, f"{where}: {audit['overflow']} px wider than the screen"
            assert (audit["lang"], audit["main"], audit["h1"]) == ("en", 1, 1), where
    assert elsewhere == [], f"fetched from outside the app: {elsewhere}"


def test_station_tablet_scan_shows_the_verdict_without_scrolling(
    new_context: Callable[..., Any], web: WebServer
) -> None:
    page = new_context(800, 1280, touch=True).new_page()
    sign_in(page, web, "OemMSP/station")
    field = page.get_by_label("Scan a part label")
    expect(field).to_be_focused()
    page.keyboard.type("(01)07501055001101(21)BJC-000001")
    page.keyboard.press("Enter")
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("OK")
    expect(verdict).to_be_in_viewport()
    expect(field).to_be_focused()
    box = page.locator("#verdict .verdict-word").bounding_box()
    assert box is not None and box["height"] >= 48, box  # readable from arm's length
