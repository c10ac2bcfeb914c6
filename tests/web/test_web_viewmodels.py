"""Pure view-model code of the pages: verdicts, statuses, form mapping, gauges, filters, redirects."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from api.reports.models import ComplianceReport, SupplierIssue
from api.routes.certifications import CertificationIn
from api.web.auth import home_for, nav_for, safe_next
from api.web.certificates import form_name as certificate_form_name
from api.web.certificates import form_to_body as certificate_form_to_body
from api.web.certs import cert_row, display_status
from api.web.compliance import gauge, group_issues
from api.web.forms import field_errors, refusal
from api.web.oem import origin_status
from api.web.pages import _short_uid, _when
from api.web.station import verdict_for
from api.web.supplier import form_to_body
from ledger.errors import NotFound, ValidationError

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("flags", "details", "expected"),
    [
        ([], {}, ("ok", "recorded on the ledger", [])),
        (["clock_skew"], {}, ("ok", "recorded on the ledger", ["station clock is ahead of the ledger"])),
        (
            ["unknown_part"],
            {"unknown_part": "U was never commissioned"},
            ("refused", "unknown part: U was never commissioned", []),
        ),
        (["not_in_custody"], {}, ("refused", "not in our custody: U", [])),
        (
            ["consumed", "impossible_travel"],
            {"impossible_travel": "1200 km in 3 min"},
            ("refused", "already consumed: U; clone suspected: 1200 km in 3 min", []),
        ),
    ],
)
def test_station_verdict_uses_the_station_agents_rules(flags: list[str], details: dict, expected: tuple) -> None:
    assert verdict_for({"uid": "U", "anomalies": flags, "anomaly_details": details}) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"status": "valid", "expires_at": "2026-12-23"}, "expiring"),
        ({"status": "valid", "expires_at": "2026-12-24"}, "valid"),
        ({"status": "valid", "expires_at": "2026-11-01"}, "expiring"),
        ({"status": "revoked", "expires_at": "2026-12-01"}, "revoked"),
        ({"status": "upstream_invalid", "expires_at": "2027-06-01"}, "upstream_invalid"),
        ({"status": "valid", "expires_at": "not a date"}, "valid"),
        ({}, "valid"),
    ],
)
def test_certification_display_status_flags_30_days_ahead(status: dict, expected: str) -> None:
    assert display_status(status, TODAY) == expected


def _cert(cert_id: str, status: str, originating: bool = True) -> dict:
    return {
        "cert_id": cert_id,
        "part_type": "S:P",
        "issuer_msp": "S",
        "originating": originating,
        "origin_criterion": "B",
        "status": {"status": status, "expires_at": "2027-06-30", "reasons": [f"{cert_id} is {status}"]},
    }


@pytest.mark.parametrize(
    ("producer", "certs", "expected"),
    [
        ("OemMSP", [], ("in_house", "Made in-house")),
        ("S", [], ("uncertified", "No certification")),
        ("S", [_cert("C1", "revoked"), _cert("C2", "valid")], ("originating", "Certified originating")),
        ("S", [_cert("C1", "valid", originating=False)], ("non_originating", "Certified non-originating")),
        ("S", [_cert("C1", "upstream_invalid")], ("invalid", "Upstream revoked or expired")),
    ],
)
def test_origin_status_of_a_part_type(producer: str, certs: list[dict], expected: tuple) -> None:
    st = origin_status("S:P", producer, "OemMSP", [cert_row(c, TODAY) for c in certs])
    assert (st.status, st.label) == expected


FORM = {
    "part_type": "SeatingMSP:SEAT-FRONT-L",
    "cert_id": " CO-1 ",
    "scope_kind": "blanket",
    "scope_from": "2026-07-01",
    "scope_to": "2027-06-30",
    "origin_criterion": "B",
    "originating": "yes",
    "method": "NC",
    "rvc": "72.5",
    "non_originating_share": "27.5",
    "upstream": "CO-A, CO-B\nCO-C",
    "cost_total_cost": "410.00",
    "cost_vnm": "112.75",
    "cost_royalties": "",
}


def test_form_maps_to_the_api_request_body() -> None:
    body = form_to_body(FORM, ["OemMSP"])
    assert body == {
        "part_type": "SeatingMSP:SEAT-FRONT-L",
        "cert_id": "CO-1",
        "scope": {"kind": "blanket", "from": "2026-07-01", "to": "2027-06-30"},
        "origin_criterion": "B",
        "originating": True,
        "method": "NC",
        "rvc": "72.5",
        "non_originating_share": "27.5",
        "upstream": ["CO-A", "CO-B", "CO-C"],
        "customers": ["OemMSP"],
        "cost_breakdown": {"total_cost": "410.00", "vnm": "112.75"},
    }
    CertificationIn.model_validate(body)
    lots = form_to_body({**FORM, "scope_kind": "lots", "scope_items": "L1, L2"}, [])
    assert lots["scope"] == {"kind": "lots", "lots": ["L1", "L2"]}


def test_field_errors_point_at_form_inputs_and_name_the_value() -> None:
    bad = {**FORM, "rvc": "seventy", "cost_vnm": "-1", "origin_criterion": "Z"}
    with pytest.raises(pydantic.ValidationError) as caught:
        CertificationIn.model_validate(form_to_body(bad, []))
    errors = field_errors(caught.value)
    assert errors["rvc"] == "String should match pattern '^\\d{1,15}(\\.\\d{1,12})?$' (got 'seventy')"
    assert errors["cost_vnm"].endswith("(got '-1')")
    assert errors["origin_criterion"] == "Input should be 'A', 'B', 'C' or 'D' (got 'Z')"


def test_a_long_refused_value_is_shortened_in_its_message() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        CertificationIn.model_validate(form_to_body({**FORM, "rvc": "9" * 5000}, []))
    message = field_errors(caught.value)["rvc"]
    assert message.endswith("(got '" + "9" * 78 + "…)")
    assert len(message) < 200


def test_a_ledger_refusal_without_a_field_is_marked_at_the_forms_main_input() -> None:
    unknown = NotFound("part urn:x does not exist", value="urn:x")
    assert refusal(unknown, "No certificate was issued", str, default="uid") == (
        "No certificate was issued: part urn:x does not exist",
        {"uid": "part urn:x does not exist"},
    )
    assert refusal(unknown, "Refused", str)[1] == {}
    named = ValidationError("bad date", field="blanket_period.to", value="x")
    assert refusal(named, "Refused", certificate_form_name, default="uid")[1] == {"period_to": "bad date"}


def test_gauge_clamps_to_the_bar_and_keeps_the_exact_text() -> None:
    g = gauge("79.86299065420560747663551402", "75", True)
    assert (g.rvc, g.threshold, g.passed) == ("79.86299065420560747663551402", "75", True)
    assert (round(g.fill, 4), g.mark) == (79.863, 75.0)
    assert gauge("-5", "120", False).fill == 0.0
    assert gauge("-5", "120", False).mark == 100.0
    assert gauge(None, None, False).fill == 0.0


def test_report_issues_are_grouped_per_supplier_certification_and_kind() -> None:
    def issue(supplier: str, cert: str | None, kind: str, material: str) -> SupplierIssue:
        return SupplierIssue(
            supplier=supplier, material=material, certification=cert, issue=kind, detail=f"{kind} {cert}"
        )

    report = ComplianceReport(
        kind="model_line", subject="L", generated_on="2026-11-23", period_from=None, period_to=None, vehicles=2,
        qualifies=False, rvc="70", threshold="75", answer={}, rules_version="r", strict_evidence=True,
        supplier_issues=[issue("B", "C2", "revoked", "m1"), issue("A", None, "missing", "m2"),
                         issue("B", "C2", "revoked", "m3"), issue("B", "C2", "expiring", "m4")],
    )  # fmt: skip
    groups = [(g.supplier, g.certification, g.issue, g.materials) for g in group_issues(report)]
    assert groups == [("A", None, "missing", 1), ("B", "C2", "expiring", 1), ("B", "C2", "revoked", 2)]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/oem?from=2026-01-01", "/oem?from=2026-01-01"),
        ("https://evil.example/", "/home"),
        ("//evil.example/x", "/home"),
        ("/\\evil.example", "/home"),
        ("", "/home"),
        (None, "/home"),
    ],
)
def test_sign_in_redirect_stays_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target, "/home") == expected


@pytest.mark.parametrize(
    ("role", "home", "pages"),
    [
        ("station", "/station", ["/station"]),
        ("certifier", "/supplier", ["/supplier", "/certificates"]),
        ("compliance", "/oem", ["/oem", "/oem/containment", "/supplier", "/certificates"]),
        ("auditor", "/auditor", ["/auditor", "/auditor/anomalies"]),
        ("admin", "/oem", ["/oem", "/oem/containment", "/supplier", "/certificates", "/auditor/anomalies"]),
        ("peer", "/sign-in", []),
    ],
)
def test_navigation_by_role(role: str, home: str, pages: list[str]) -> None:
    assert home_for(role) == home
    assert [item.href for item in nav_for(role)] == pages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-09T08:52:00.000Z", "2026-10-09 08:52:00 UTC"),
        ("2026-10-09T08:52:00.000-05:00", "2026-10-09 08:52:00-05:00"),
        ("", "-"),
        ("yesterday", "yesterday"),
    ],
)
def test_timestamps_read_as_people_write_them(value: str, expected: str) -> None:
    assert _when(value) == expected


def test_short_uid_keeps_gtin_and_serial() -> None:
    assert _short_uid("https://id.gs1.org/01/07501055001101/21/BJC-000001") == "07501055001101 · BJC-000001"
    assert _short_uid("urn:epc:id:sgtin:1.2.3") == "urn:epc:id:sgtin:1.2.3"


def test_certificate_form_becomes_the_api_body() -> None:
    form = {
        "uid": " https://id.gs1.org/01/07501055001101/21/BJC-000001 ",
        "end_use": "oe_pv_lt",
        "as_of": "",
        "period": "single",
        "invoice": " FAC-1 ",
        "period_from": "2026-01-01",
        "certifier_role": "producer",
        "certifier_name": "Ana",
        "certifier_phone": " ",
        "importer_name": "",
        "description": "",
    }
    assert certificate_form_to_body(form) == {
        "uid": "https://id.gs1.org/01/07501055001101/21/BJC-000001",
        "end_use": "oe_pv_lt",
        "parties": {"certifier": {"role": "producer", "name": "Ana"}, "invoice": "FAC-1"},
    }
    blanket = certificate_form_to_body(
        {
            "uid": "u",
            "period": "blanket",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "importer_country": "US",
        }
    )
    assert blanket["parties"]["blanket_period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert blanket["parties"]["importer"] == {"country": "US"}


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("certifier.phone", "certifier_phone"),
        ("importer.country", "importer_country"),
        ("blanket_period.to", "period_to"),
        ("blanket_period", "period_from"),
        ("goods[0].invoice", "invoice"),
        ("goods[0].hs", "uid"),
        ("answer.qualifies", "uid"),
        ("end_use", "end_use"),
    ],
)
def test_certificate_errors_land_on_their_form_field(field: str, name: str) -> None:
    assert certificate_form_name(field) == name
