"""POST/GET /v1/certifications through a real uvicorn server: commitments, visibility, lineage, revocation."""

from __future__ import annotations

import json
from typing import Any

from ledger.commitment import Opening
from ledger.connect import committed_blocks
from tests.api.certs_fixtures import (
    AUDIT,
    ENGINE,
    OEM,
    SUPPLIER,
    TIER1,
    TRANS,
    cert_body,
    chain,
    post_cert,
    problem,
    ready,
)
from tests.api.conftest import ApiServer


def test_submit_puts_only_the_commitment_on_the_ledger(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    figures = {"total_cost": "987654.321", "vnm": "123456.789", "originating_materials": "345678.9", "labor": "4242.17"}
    out = post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-SECRET", rvc="87.5", non_originating_share="12.5",
                                                   cost_breakdown=figures))  # fmt: skip
    cert, private = out["certification"], out["private"]
    assert private["breakdown"] == figures
    assert private["computed"] == {"net_cost": "987654.321", "rvc": "87.5", "non_originating_share": "12.5"}
    assert cert["cost_commitment"] == private["commitment"]
    assert cert["issuer_msp"] == SUPPLIER
    assert cert["issued_by"] == "certifier"
    assert cert["status"]["status"] == "valid"
    assert "cost_breakdown" not in cert
    salt = certs_api.client(SUPPLIER, "certifier").get("/v1/certifications/C-SECRET/opening").json()["salt"]
    assert Opening(figures, salt).commitment() == cert["cost_commitment"]
    ledger_bytes = b""
    for block in committed_blocks(certs_api.home):
        for tx in block.transactions:
            ledger_bytes += b"".join(w.value or b"" for w in tx.writes)
            ledger_bytes += tx.event.payload if tx.event else b""
    assert cert["cost_commitment"].encode() in ledger_bytes
    for secret in [*figures.values(), salt]:
        assert secret.encode() not in ledger_bytes, secret


def test_location_header_and_read_back(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    resp = certs_api.client(SUPPLIER, "certifier").post("/v1/certifications", json=cert_body())
    assert resp.status_code == 201
    cert_id = resp.json()["certification"]["cert_id"]
    assert cert_id.startswith("CO-SUPPLIER-")
    assert resp.headers["location"] == f"/v1/certifications/{cert_id}"
    got = certs_api.client(TIER1, "compliance").get(resp.headers["location"]).json()
    assert got["cert_id"] == cert_id
    assert got["status"]["valid"] is True
    assert "relied_on_by" not in got or got["relied_on_by"] is None


#: (body change, status, field, detail): each refused by the API or the chaincode before anything is stored.
REFUSALS: list[tuple[dict[str, Any], int, str, str]] = [
    ({"rvc": "75.0"}, 422, "rvc",
     "rvc 75.0 is higher than the 71.4286 % the cost breakdown gives (NC: base 280, vnm 80)"),
    ({"non_originating_share": "20"}, 422, "non_originating_share",
     "non_originating_share 20 is lower than the 28.5714 % the cost breakdown gives (vnm 80 of 280)"),
    ({"cost_breakdown": {"total_cost": "280", "royalties": "300"}}, 422, "cost_breakdown.total_cost",
     "cost_breakdown.total_cost 280 less exclusions 300 leaves net cost -20; it must be positive"),
    ({"cost_breakdown": {"total_cost": "280"}}, 422, "cost_breakdown.vnm",
     "cost_breakdown needs 'vnm' to support a NC regional value content claim"),
    ({"cost_breakdown": {"total_cost": "100", "vnm": "80", "originating_materials": "30"}}, 422,
     "cost_breakdown.vnm", "cost_breakdown vnm + originating_materials 110 exceed total_cost 100"),
    ({"part_type": "SupplierMSP:NOPE"}, 404, "part_type", "part type SupplierMSP:NOPE does not exist"),
    ({"part_type": TRANS}, 403, "part_type",
     "SupplierMSP may not certify part type Tier1MSP:TRANS-1: it is produced by Tier1MSP"),
    ({"upstream": ["C-GHOST"]}, 404, "upstream", "upstream certification C-GHOST does not exist"),
    ({"customers": ["GhostMSP"]}, 404, "msp_id", "organization GhostMSP is not registered (RegisterOrg first)"),
    ({"scope": {"kind": "blanket", "from": "2026-01-01", "to": "2027-06-30"}}, 422, "scope.to",
     "blanket period 2026-01-01..2027-06-30 is longer than 12 months"),
]  # fmt: skip

#: (body change, field, value): malformed bodies, refused by request validation.
MALFORMED: list[tuple[dict[str, Any], str, Any]] = [
    ({"cost_breakdown": {**cert_body()["cost_breakdown"], "vnm": "-1"}}, "cost_breakdown.vnm", "-1"),
    ({"cost_breakdown": {**cert_body()["cost_breakdown"], "vnm": 80.5}}, "cost_breakdown.vnm", 80.5),
    ({"cost_breakdown": {**cert_body()["cost_breakdown"], "secret_sauce": "1"}},
     "cost_breakdown.secret_sauce", "1"),
    ({"origin_criterion": "E"}, "origin_criterion", "E"),
    ({"rvc": "seventy"}, "rvc", "seventy"),
    ({"cost_breakdown": ...}, "cost_breakdown", ...),
]  # fmt: skip


def test_refusals_name_the_value(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    certifier = certs_api.client(SUPPLIER, "certifier")
    for change, status, field, detail in REFUSALS:
        body = problem(certifier.post("/v1/certifications", json=cert_body(**change)), status)
        assert (body["field"], body["detail"]) == (field, detail)
    assert certifier.get("/v1/private/breakdowns").json()["breakdowns"] == []
    assert certifier.get("/v1/certifications").json()["total"] == 0


def test_malformed_bodies_are_422_naming_field_and_value(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    for change, field, value in MALFORMED:
        body = problem(
            certs_api.client(SUPPLIER, "certifier").post("/v1/certifications", json=cert_body(**change)), 422
        )
        assert body["errors"][0]["field"] == field
        if value is ...:
            assert body["detail"].startswith("cost_breakdown: Field required")
        else:
            assert body["errors"][0]["value"] == value


def test_duplicate_cert_id_keeps_the_first_breakdown(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    first = post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-1"))
    body = problem(
        certs_api.client(SUPPLIER, "certifier").post(
            "/v1/certifications", json=cert_body(cert_id="C-1", cost_breakdown={**cert_body()["cost_breakdown"],
                                                                                 "labor": "1"})
        ),
        409,
    )  # fmt: skip
    assert body["detail"] == "SupplierMSP already holds a cost breakdown for certification 'C-1'"
    kept = certs_api.client(SUPPLIER, "compliance").get("/v1/private/breakdowns/C-1").json()
    assert kept["commitment"] == first["certification"]["cost_commitment"]
    assert kept["on_ledger"] is True


def test_visibility_issuer_customer_chain_auditor(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    ids = chain(certs_api)
    other = post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-CAST-OEM", customers=[OEM]))["certification"]
    engine = post_cert(certs_api, OEM, cert_body(ENGINE, cert_id="C-ENG", customers=[]))["certification"]

    def listed(org: str, member: str, **params: str) -> list[str]:
        resp = certs_api.client(org, member).get("/v1/certifications", params=params)
        assert resp.status_code == 200, resp.text
        return [c["cert_id"] for c in resp.json()["certifications"]]

    assert listed(SUPPLIER, "compliance") == ["C-CAST", "C-CAST-OEM"]
    assert listed(TIER1, "station1") == ["C-CAST", "C-TRANS"]
    assert listed(OEM, "admin") == ["C-CAST", "C-CAST-OEM", "C-ENG", "C-TRANS"]
    assert listed(AUDIT, "auditor") == ["C-CAST", "C-CAST-OEM", "C-ENG", "C-TRANS"]
    assert listed(AUDIT, "admin") == []
    assert listed(OEM, "compliance", issuer=SUPPLIER) == ["C-CAST", "C-CAST-OEM"]
    assert listed(OEM, "compliance", part_type=TRANS) == ["C-TRANS"]
    assert listed(OEM, "compliance", customer=OEM) == ["C-CAST-OEM", "C-TRANS"]
    assert listed(OEM, "compliance", expiring_within="400") == ["C-CAST", "C-CAST-OEM", "C-ENG", "C-TRANS"]
    assert listed(OEM, "compliance", expiring_within="30") == []
    # Tier-1 relies on C-CAST but may not see the supplier's certification addressed to the OEM, nor the engine.
    for cert_id in (other["cert_id"], engine["cert_id"]):
        body = problem(certs_api.client(TIER1, "compliance").get(f"/v1/certifications/{cert_id}"), 404)
        assert body["detail"] == f"certification {cert_id} does not exist"
        problem(certs_api.client(TIER1, "compliance").get(f"/v1/certifications/{cert_id}/lineage"), 404)
    # The OEM sees the casting through its chain (C-TRANS relies on it), with the figures left out.
    got = certs_api.client(OEM, "compliance").get(f"/v1/certifications/{ids['cast']}").json()
    assert got["issuer_msp"] == SUPPLIER
    assert got.get("relied_on_by") is None
    assert "breakdown" not in json.dumps(got)
    mine = certs_api.client(SUPPLIER, "certifier").get(f"/v1/certifications/{ids['cast']}").json()
    assert mine["relied_on_by"] == ["C-TRANS"]


def test_revoke_flips_downstream_status_and_lineage(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    chain(certs_api)
    lineage = certs_api.client(SUPPLIER, "certifier").get("/v1/certifications/C-CAST/lineage").json()
    assert [(n["cert_id"], n["status"]) for n in lineage["downstream"]] == [("C-TRANS", "valid")]
    refused = problem(
        certs_api.client(TIER1, "admin").post("/v1/certifications/C-CAST/revoke", json={"reason": "not ours"}), 403
    )
    assert refused["detail"] == "Tier1MSP may not revoke certification C-CAST: it was issued by SupplierMSP"
    revoked = certs_api.client(SUPPLIER, "admin").post(
        "/v1/certifications/C-CAST/revoke", json={"reason": "audit found Chinese aluminium"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"]["status"] == "revoked"
    trans = certs_api.client(OEM, "compliance").get("/v1/certifications/C-TRANS").json()
    assert trans["status"]["status"] == "upstream_invalid"
    assert trans["status"]["reasons"][0].startswith("upstream certification C-CAST is revoked (revoked at ")
    listed = certs_api.client(OEM, "compliance").get("/v1/certifications", params={"status": "upstream_invalid"})
    assert [c["cert_id"] for c in listed.json()["certifications"]] == ["C-TRANS"]
    up = certs_api.client(OEM, "compliance").get("/v1/certifications/C-TRANS/lineage").json()
    assert up["status"]["status"] == "upstream_invalid"
    assert [(n["cert_id"], n["status"], n["issuer_msp"]) for n in up["upstream"]] == [("C-CAST", "revoked", SUPPLIER)]
    again = problem(
        certs_api.client(SUPPLIER, "certifier").post("/v1/certifications/C-CAST/revoke", json={"reason": "again"}), 409
    )
    assert again["detail"].startswith("certification C-CAST was already revoked at ")
    # A certification relying on a revoked one cannot be submitted any more.
    body = problem(
        certs_api.client(TIER1, "certifier").post(
            "/v1/certifications",
            json=cert_body(TRANS, upstream=["C-CAST"], customers=[OEM], rvc="71.4", non_originating_share="28.6"),
        ),
        409,
    )
    assert body["detail"].startswith("upstream certification C-CAST is revoked: revoked at ")


def test_unknown_certification_is_404(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    for path in ("/v1/certifications/C-NONE", "/v1/certifications/C-NONE/lineage"):
        body = problem(certs_api.client(AUDIT, "auditor").get(path), 404)
        assert body["detail"] == "certification C-NONE does not exist"
        assert body["value"] == "C-NONE"
