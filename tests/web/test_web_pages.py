"""Pages over HTTP against a real server: sign-in cookie, role checks, error pages, assets, the station endpoint."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote

import httpx
import pytest

from api.core.credentials import CredentialStore
from api.core.services import CREDENTIALS_FILE
from api.web.auth import COOKIE_NAME
from tests.helpers import day, today
from tests.web.conftest import WebServer


def _signed_in(web: WebServer, key: str):
    client = web.client()
    r = client.post("/sign-in", data={"credential": web.token(key), "next": ""})
    assert r.status_code == 303
    return client


def test_sign_in_sets_a_strict_httponly_cookie_and_lands_on_the_role_page(web: WebServer) -> None:
    with web.client() as c:
        r = c.post("/sign-in", data={"credential": web.token("OemMSP/compliance"), "next": ""})
        assert r.status_code == 303
        assert r.headers["location"] == "/oem"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}={web.token('OemMSP/compliance')};")
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=43200"):
            assert attribute in cookie
        page = c.get("/oem")
        assert page.status_code == 200
        assert "Compliance dashboard · OemMSP" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert c.get("/").headers["location"] == "/oem"
        out = c.post("/sign-out")
        assert out.status_code == 303
        assert f'{COOKIE_NAME}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
        assert c.get("/oem").headers["location"] == "/sign-in?next=%2Foem"


def test_sign_in_keeps_where_the_user_was_going(web: WebServer) -> None:
    with web.client() as c:
        first = c.get("/oem/containment?lot=L1")
        assert first.headers["location"] == "/sign-in?next=%2Foem%2Fcontainment%3Flot%3DL1"
        form = c.get(first.headers["location"])
        assert 'name="next" value="/oem/containment?lot=L1"' in form.text
        r = c.post("/sign-in", data={"credential": web.token("OemMSP/compliance"), "next": "/oem/containment?lot=L1"})
        assert r.headers["location"] == "/oem/containment?lot=L1"
        evil = c.post("/sign-in", data={"credential": web.token("OemMSP/compliance"), "next": "//evil.example/"})
        assert evil.headers["location"] == "/oem"


@pytest.mark.parametrize(
    ("credential", "message"),
    [("usm_not-a-real-token", "unknown or revoked credential"), ("  ", "paste a credential (it starts with usm_)")],
)
def test_a_bad_credential_is_refused_on_the_form(web: WebServer, credential: str, message: str) -> None:
    with web.client() as c:
        r = c.post("/sign-in", data={"credential": credential})
        assert r.status_code == 401
        assert "set-cookie" not in r.headers
        assert f'<p class="alert alert-error" role="alert" id="signin-error">{message}</p>' in r.text


def test_a_revoked_credential_stops_working_on_the_next_page(web: WebServer) -> None:
    c = _signed_in(web, "OemMSP/compliance")
    assert c.get("/oem").status_code == 200
    store = CredentialStore(web.home / CREDENTIALS_FILE)
    cred = next(x for x in store.list() if x["msp_id"] == "OemMSP" and x["role"] == "compliance")
    store.revoke(str(cred["id"]))
    assert c.get("/oem").headers["location"] == "/sign-in?next=%2Foem"
    c.close()


@pytest.mark.parametrize(
    ("key", "path", "message"),
    [
        ("OemMSP/station", "/oem", "role 'station' of OemMSP may not open this page; it needs compliance or admin"),
        ("SeatingMSP/certifier", "/station", "role 'certifier' of SeatingMSP may not open this page; it needs station"),
        ("OemMSP/compliance", "/auditor", "role 'compliance' of OemMSP may not open this page; it needs auditor"),
        (
            "OemMSP/station",
            "/certificates",
            "role 'station' of OemMSP may not open this page; it needs certifier or compliance or admin",
        ),
    ],
)
def test_pages_refuse_other_roles_with_a_readable_page(web: WebServer, key: str, path: str, message: str) -> None:
    c = _signed_in(web, key)
    r = c.get(path)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert f"<strong>403</strong> · {message}" in html.unescape(r.text)
    assert "Traceback" not in r.text
    c.close()


def test_errors_are_pages_naming_the_value_never_traces(web: WebServer) -> None:
    c = _signed_in(web, "OemMSP/compliance")
    uid = "https://id.gs1.org/01/07501055001101/21/NO-SUCH-CAR"
    r = c.get("/parts/" + quote(uid, safe=""))
    assert r.status_code == 404
    assert f"no part {uid} is visible to OemMSP" in r.text
    bad_period = c.get("/oem", params={"from": "2026-12-01", "to": "2026-01-01"})
    assert bad_period.status_code == 422
    assert "period from 2026-12-01 is after period to 2026-01-01" in bad_period.text
    not_a_date = c.get("/oem", params={"from": "someday"})
    assert not_a_date.status_code == 422
    assert "Input should be a valid date" in not_a_date.text and "'someday'" in html.unescape(not_a_date.text)
    assert "Traceback" not in bad_period.text + not_a_date.text + r.text
    c.close()


def test_forms_posted_from_another_site_are_refused(web: WebServer) -> None:
    c = _signed_in(web, "OemMSP/compliance")
    due = day(45)  # the ledger refuses due dates not after the request time
    r = c.post(
        "/oem/requests",
        data={"supplier_msp": "ForgingMSP", "part_type": "ForgingMSP:GS-8HP-PLAN", "due_date": due},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert "request from origin https://evil.example refused" in r.text
    with web.client("ForgingMSP/compliance") as api:
        assert api.get("/v1/certification-requests", params={"side": "supplier"}).json()["requests"] == []
    ok = c.post(
        "/oem/requests",
        data={"supplier_msp": "ForgingMSP", "part_type": "ForgingMSP:GS-8HP-PLAN", "due_date": due},
        headers={"Origin": web.base_url},
    )
    assert ok.status_code == 303
    with web.client("ForgingMSP/compliance") as api:
        inbox = api.get("/v1/certification-requests", params={"side": "supplier"}).json()["requests"]
    assert [(r["requester_msp"], r["part_type"], r["due_date"]) for r in inbox] == [
        ("OemMSP", "ForgingMSP:GS-8HP-PLAN", due)
    ]
    c.close()


def test_assets_come_from_the_app_and_pages_stay_out_of_the_openapi(web: WebServer) -> None:
    with web.client() as c:
        css = c.get("/static/app.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert c.get("/static/station.js").headers["content-type"].startswith("text/javascript")
        missing = c.get("/static/nope.js")
        assert missing.status_code == 404 and "no static asset 'nope.js'" in html.unescape(missing.text)
        assert c.get("/static/..%2Fweb%2Fauth.py").status_code == 404
        paths = c.get("/openapi.json").json()["paths"]
        assert not [
            p for p in paths if p.startswith(("/station", "/oem", "/supplier", "/auditor", "/sign-", "/static"))
        ]
        assert "/v1/scans" in paths


def test_station_endpoint_answers_problem_json(web: WebServer) -> None:
    with web.client("OemMSP/station") as c:
        bad = c.post("/station/scan", json={"code": "(01)07501055001102(21)X", "event_time": "2026-11-23T10:00:00Z"})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["detail"] == "GTIN 07501055001102 has check digit 2, expected 1"
        junk = c.post("/station/scan", json={"code": "hello", "event_time": "2026-11-23T10:00:00Z"})
        assert junk.json()["detail"].startswith("unrecognised identifier 'hello'")
        missing = c.post("/station/scan", json={"code": "x"})
        assert missing.status_code == 422 and missing.json()["detail"].startswith("event_time: Field required")
    with web.client("SeatingMSP/certifier") as c:
        refused = c.post("/station/scan", json={"code": "x", "event_time": "2026-11-23T10:00:00Z"})
        assert refused.status_code == 403
        assert refused.json()["detail"] == ("role 'certifier' of SeatingMSP may not open this page; it needs station")


@pytest.mark.parametrize(
    ("key", "pages"),
    [
        ("OemMSP/station", ["/station"]),
        ("SeatingMSP/certifier", ["/supplier", "/certificates"]),
        ("OemMSP/compliance", ["/oem", "/oem/containment", "/supplier", "/certificates"]),
        ("AuditMSP/auditor", ["/auditor", "/auditor/anomalies"]),
        ("OemMSP/admin", ["/oem", "/oem/containment", "/supplier", "/certificates", "/auditor/anomalies"]),
    ],
)
def test_every_navigation_link_opens(web: WebServer, key: str, pages: list[str]) -> None:
    c = _signed_in(web, key)
    home = c.get("/")
    assert home.headers["location"] == pages[0]
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        for other in pages:
            assert f'href="{other}"' in r.text
    c.close()


def test_dashboard_lists_vehicles_a_page_at_a_time(web: WebServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.web.oem_pages.PAGE_SIZE", 1)
    c = _signed_in(web, "OemMSP/compliance")
    first, second = c.get("/oem"), c.get("/oem", params={"page": 2})
    for r in (first, second):
        assert '<span class="n" id="kpi-vehicles">2</span>' in r.text
        assert r.text.count("<tr data-uid=") == 1
    assert "Page 1 of 2 (2 vehicles)" in first.text and "Next →" in first.text
    assert "Page 2 of 2 (2 vehicles)" in second.text and "← Previous" in second.text
    assert first.text.split("<tr data-uid=")[1][:80] != second.text.split("<tr data-uid=")[1][:80]
    c.close()


def test_certification_form_shows_ledger_refusals_next_to_the_form(web: WebServer) -> None:
    c = _signed_in(web, "SeatingMSP/certifier")
    taken_id = f"CO-SEATING-SEAT-FRONT-L-{today().year}"  # the demo's certification, named by the seeding year
    form = {
        "part_type": "SeatingMSP:SEAT-FRONT-L",
        "cert_id": taken_id,
        "scope_kind": "blanket",
        "scope_from": day(-30),
        "scope_to": day(300),
        "origin_criterion": "B",
        "originating": "yes",
        "method": "NC",
        "rvc": "72.5",
        "non_originating_share": "27.5",
        "customers": "OemMSP",
        "cost_total_cost": "410.00",
        "cost_vnm": "112.75",
    }
    taken = c.post("/supplier/certifications", data=form, headers={"Origin": web.base_url})
    assert taken.status_code == 422
    assert "The certification was not submitted: SeatingMSP already holds a cost breakdown for certification " in (
        html.unescape(taken.text)
    )
    assert f'value="{taken_id}"' in taken.text  # the form keeps what was typed
    past_12_months = day(400)
    too_long = c.post(
        "/supplier/certifications",
        data={**form, "cert_id": "CO-X", "scope_to": past_12_months},
        headers={"Origin": web.base_url},
    )
    assert too_long.status_code == 422
    assert f'id="scope_to" name="scope_to" type="date" value="{past_12_months}" aria-invalid="true"' in too_long.text
    with web.client("SeatingMSP/certifier") as api:
        assert api.get("/v1/certifications/CO-X").status_code == 404
    c.close()


def test_station_page_lists_its_own_latest_reads_first(web: WebServer) -> None:
    with web.client("OemMSP/compliance") as api:
        cars = api.get("/v1/parts", params={"producer": "OemMSP", "part_type": "OemMSP:BJC-SEDAN"}).json()["parts"]
    gtin, serial = cars[0]["uid"].split("/01/")[1].split("/21/")
    # Times just before now: later than every read the demo story made, whatever day the tests run.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first, second = now - dt.timedelta(minutes=20), now - dt.timedelta(minutes=10)
    with web.client("OemMSP/station") as c:
        for when, code in (
            (first.strftime("%Y-%m-%dT%H:%M:%S.000Z"), f"(01){gtin}(21){serial}"),
            (second.strftime("%Y-%m-%dT%H:%M:%S.000Z"), f"(01){gtin}(21)NEVER-MADE-9"),
        ):
            assert c.post("/station/scan", json={"code": code, "event_time": when}).status_code == 200
        page = c.get("/station").text
    rows = page.split("<tbody>", 1)[1].split("<tr ")[1:3]
    assert (
        second.strftime("%Y-%m-%d %H:%M:%S UTC") in rows[0]
        and "REFUSED" in rows[0]
        and "NEVER-MADE-9 was never commissioned" in rows[0]
    )
    assert first.strftime("%Y-%m-%d %H:%M:%S UTC") in rows[1] and "OK" in rows[1] and serial in rows[1]


def _demo_certificate(web: WebServer) -> str:
    with web.client("OemMSP/certifier") as api:
        (only,) = api.get("/v1/certificates").json()
    return only["certificate_id"]


def test_the_demo_certificate_shows_to_analysts_who_cannot_issue_or_revoke(web: WebServer) -> None:
    cid = _demo_certificate(web)
    c = _signed_in(web, "OemMSP/compliance")
    listing = c.get("/certificates")
    assert listing.status_code == 200
    assert f"<code>{cid}</code>" in listing.text and '<span class="pill valid">valid</span>' in listing.text
    assert "Issue a certificate of origin" not in listing.text and "Revoke" not in listing.text
    dashboard = c.get("/oem")
    assert f"<code>{cid}</code>" in dashboard.text and f"/oem/download/certificate?id={cid}" in dashboard.text
    pdf = c.get("/oem/download/certificate", params={"id": cid})
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{cid}.pdf"'
    issue = c.post("/certificates", data={"uid": "x"}, headers={"Origin": web.base_url})
    assert issue.status_code == 403 and "it needs certifier" in html.unescape(issue.text)
    revoke = c.post(f"/certificates/{cid}/revoke", data={"reason": "x"}, headers={"Origin": web.base_url})
    assert revoke.status_code == 403 and "it needs certifier or admin" in html.unescape(revoke.text)
    c.close()


def test_revoking_needs_a_reason_and_the_issuers_own_certificate(web: WebServer) -> None:
    cid = _demo_certificate(web)
    oem = _signed_in(web, "OemMSP/certifier")
    blank = oem.post(f"/certificates/{cid}/revoke", data={"reason": "  "}, headers={"Origin": web.base_url})
    assert blank.status_code == 422
    assert f"Certificate {cid} was not revoked: give the reason for revoking it." in blank.text
    other = _signed_in(web, "DrivelineMSP/certifier")
    foreign = other.post(f"/certificates/{cid}/revoke", data={"reason": "not ours"}, headers={"Origin": web.base_url})
    assert foreign.status_code == 404
    assert f"certificate of origin {cid} was not issued by DrivelineMSP" in foreign.text
    unknown = oem.post("/certificates/COO-OEM-NOPE/revoke", data={"reason": "x"}, headers={"Origin": web.base_url})
    assert unknown.status_code == 404 and "COO-OEM-NOPE" in unknown.text
    status = httpx.get(
        f"{web.base_url}/v1/certificates/{cid}", headers={"Authorization": f"Bearer {web.token('OemMSP/certifier')}"}
    )
    assert status.json()["ledger"]["status"]["status"] == "valid"
    done = oem.post(
        f"/certificates/{cid}/revoke", data={"reason": "importer changed"}, headers={"Origin": web.base_url}
    )
    assert done.status_code == 303 and done.headers["location"] == "/certificates#issued-list"
    again = oem.post(f"/certificates/{cid}/revoke", data={"reason": "twice"}, headers={"Origin": web.base_url})
    assert again.status_code == 409 and cid in again.text
    oem.close()
    other.close()
