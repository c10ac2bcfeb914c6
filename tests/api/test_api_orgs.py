"""Orgs, sites, stations and part types through a real server."""

from __future__ import annotations

from tests.api.conftest import ApiServer, register_part_type


def test_registry_reads(api_server: ApiServer) -> None:
    c = api_server.client("SupplierMSP", "station1")
    orgs = c.get("/v1/orgs").json()["orgs"]
    assert [o["msp_id"] for o in orgs] == ["AuditMSP", "OemMSP", "SupplierMSP", "Tier1MSP"]
    oem = c.get("/v1/orgs/OemMSP").json()
    assert (oem["tier"], oem["country"], oem["gs1_prefixes"]) == ("oem", "MX", ["7501234"])
    assert [s["site_id"] for s in oem["sites"]] == ["oem-plant"]
    site = c.get("/v1/orgs/OemMSP/sites/oem-plant").json()
    assert [s["station_id"] for s in site["stations"]] == ["oem-st1"]
    assert [s["site_id"] for s in c.get("/v1/orgs/Tier1MSP/sites").json()["sites"]] == ["tier1-plant"]
    stations = c.get("/v1/orgs/Tier1MSP/stations").json()["stations"]
    assert [(s["station_id"], s["read_point"]) for s in stations] == [("t1-st1", "urn:usmca:readpoint:Tier1MSP:t1-st1")]
    missing = c.get("/v1/orgs/NopeMSP")
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        "organization NopeMSP is not registered (RegisterOrg first)",
    )
    assert c.get("/v1/orgs/OemMSP/sites/nowhere").status_code == 404


def test_admin_updates_its_own_org_site_and_station(api_server: ApiServer) -> None:
    admin = api_server.client("SupplierMSP", "admin")
    org = {"legal_name": "Castings Renamed Ltd", "tier": "tier3", "country": "CA", "address": "2 Foundry Rd",
           "gs1_prefixes": ["0628000"]}  # fmt: skip
    r = admin.put("/v1/orgs/SupplierMSP", json=org)
    assert (r.status_code, r.json()["legal_name"], r.json()["tier"]) == (200, "Castings Renamed Ltd", "tier3")
    site = {"name": "Plant 2", "address": "3 Foundry Rd", "country": "CA", "lat": "42.30", "lon": "-83.00"}
    assert admin.put("/v1/orgs/SupplierMSP/sites/plant-2", json=site).status_code == 200
    station = {
        "site_id": "plant-2",
        "read_point": "urn:usmca:readpoint:SupplierMSP:sup-st2",
        "default_biz_step": "packing",
    }
    r = admin.put("/v1/orgs/SupplierMSP/stations/sup-st2", json=station)
    assert (r.status_code, r.json()["default_biz_step"]) == (200, "packing")
    stations = admin.get("/v1/orgs/SupplierMSP/stations").json()["stations"]
    assert sorted(s["station_id"] for s in stations) == ["sup-st1", "sup-st2"]
    other = admin.put("/v1/orgs/OemMSP", json=org)
    assert (other.status_code, other.json()["detail"]) == (
        403,
        "admin of SupplierMSP may not change the records of OemMSP",
    )
    taken = admin.put("/v1/orgs/SupplierMSP", json={**org, "gs1_prefixes": ["0614141"]})
    assert (taken.status_code, taken.json()["detail"]) == (409, "GS1 company prefix 0614141 is registered to Tier1MSP")
    bad = admin.put("/v1/orgs/SupplierMSP/sites/plant-3", json={**site, "lat": "91"})
    assert bad.status_code == 422
    assert "91" in bad.json()["detail"]
    assert api_server.client("SupplierMSP", "compliance").put("/v1/orgs/SupplierMSP", json=org).status_code == 403


def test_part_types(api_server: ApiServer) -> None:
    created = register_part_type(api_server, "SupplierMSP")
    assert (created["id"], created["gtin"], created["hs_code"]) == ("SupplierMSP:CAST-1", "00628000000013", "870840")
    c = api_server.client("OemMSP", "compliance")
    assert [p["id"] for p in c.get("/v1/part-types").json()["part_types"]] == ["SupplierMSP:CAST-1"]
    assert c.get("/v1/part-types/SupplierMSP:CAST-1").json()["producer_msp"] == "SupplierMSP"
    assert c.get("/v1/part-types/by-gtin/0628000000013").json()["id"] == "SupplierMSP:CAST-1"
    bad_digit = c.get("/v1/part-types/by-gtin/00628000000017")
    assert bad_digit.status_code == 422
    assert "00628000000017" in bad_digit.json()["detail"]
    assert c.get("/v1/part-types/OemMSP:NOPE").status_code == 404
    body = {"part_number": "X-1", "description": "x", "hs_code": "8708.40", "usmca_category": "other", "unit": "each",
            "gtin": "00628000000013"}  # fmt: skip
    foreign = api_server.client("OemMSP", "admin").post("/v1/part-types", json=body)
    assert foreign.status_code == 403
    assert "does not start with a GS1 company prefix of OemMSP" in foreign.json()["detail"]
    assert api_server.client("OemMSP", "certifier").post("/v1/part-types", json=body).status_code == 403
    bad_hs = api_server.client("OemMSP", "admin").post("/v1/part-types", json={**body, "gtin": None, "hs_code": "7701"})
    assert bad_hs.status_code == 422
