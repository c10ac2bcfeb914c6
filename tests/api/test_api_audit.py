"""Audit openings through a real server: the issuer exports one opening; an auditor verifies it on the ledger."""

from __future__ import annotations

from typing import Any

from tests.api.certs_fixtures import (
    AUDIT,
    BREAKDOWN,
    SUPPLIER,
    TIER1,
    cert_body,
    post_cert,
    problem,
    ready,
)
from tests.api.conftest import ApiServer


def exported(api: ApiServer) -> dict[str, Any]:
    post_cert(api, SUPPLIER, cert_body(cert_id="C-CAST"))
    resp = api.client(SUPPLIER, "compliance").get("/v1/certifications/C-CAST/opening")
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_export_then_verify_matches(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    opening = exported(certs_api)
    assert opening["data"] == {"labor": "55.25", "originating_materials": "120", "total_cost": "280", "vnm": "80"}
    assert opening["scheme"] == "sha256-salted-canonical-json-v1"
    assert len(opening["salt"]) == 64
    ledger = certs_api.client(TIER1, "compliance").get("/v1/certifications/C-CAST").json()["cost_commitment"]
    assert opening["commitment"] == ledger
    resp = certs_api.client(AUDIT, "auditor").post("/v1/audit/openings/verify", json=opening)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["matches"], out["recomputed"], out["ledger"], out["issuer_msp"]) == (True, ledger, ledger, SUPPLIER)
    assert out["certification_status"]["status"] == "valid"


#: Changes to an exported opening that must not match the ledger commitment.
TAMPERED: list[dict[str, Any]] = [
    {"data": {**BREAKDOWN, "vnm": "60.00"}},
    {"data": {"labor": "55.25", "originating_materials": "120", "total_cost": "280", "vnm": "79.99"}},
    {"salt": "ab" * 32},
]


def test_tampered_opening_does_not_match(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    opening = exported(certs_api)
    for tamper in TAMPERED:
        out = certs_api.client(AUDIT, "auditor").post("/v1/audit/openings/verify", json={**opening, **tamper}).json()
        assert out["matches"] is False, tamper
        assert out["recomputed"] != out["ledger"]
        assert out["ledger"] == opening["commitment"]


def test_opening_of_another_certification_does_not_match(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    opening = exported(certs_api)
    post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-OTHER"))
    out = (
        certs_api.client(AUDIT, "auditor")
        .post("/v1/audit/openings/verify", json={**opening, "cert_id": "C-OTHER"})
        .json()
    )
    assert out["matches"] is False


#: (opening change, status, detail) for openings the API refuses.
BAD_OPENINGS: list[tuple[dict[str, Any], int, str]] = [
    ({"salt": "zz"}, 422, "salt 'zz' is not hex"),
    ({"salt": "ab"}, 422, "salt must be 32 bytes, got 1"),
    ({"scheme": "md5"}, 422, "unknown commitment scheme 'md5'"),
    ({"data": {"total_cost": 280.5}}, 422, "$.total_cost is a float (280.5); use a decimal string"),
    ({"cert_id": "C-NONE"}, 404, "certification C-NONE does not exist"),
]


def test_bad_openings_are_refused_naming_the_value(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    opening = exported(certs_api)
    auditor = certs_api.client(AUDIT, "auditor")
    for change, status, detail in BAD_OPENINGS:
        body = problem(auditor.post("/v1/audit/openings/verify", json={**opening, **change}), status)
        assert body["detail"] == detail


def test_only_the_issuer_exports(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    exported(certs_api)
    for org, member in ((TIER1, "compliance"), (AUDIT, "admin")):
        body = problem(certs_api.client(org, member).get("/v1/certifications/C-CAST/opening"), 404)
        assert body["detail"] == f"{org} holds no cost breakdown for certification 'C-CAST'"
    body = problem(certs_api.client(AUDIT, "auditor").get("/v1/certifications/C-CAST/opening"), 403)
    assert body["detail"] == "role 'auditor' of AuditMSP may not do this; needs certifier or admin or compliance"
