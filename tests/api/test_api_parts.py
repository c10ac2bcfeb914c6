"""Parts through a real server: commission, read with history, trees, search, decommission, anomalies, visibility."""

from __future__ import annotations

import pytest

from tests.api.conftest import (
    ApiServer,
    commission,
    part_type_id,
    path_uid,
    register_part_type,
    ship_and_receive,
    uid,
)

T0 = "2026-03-02T12:00:00.000-05:00"


@pytest.fixture
def built(api_server: ApiServer) -> ApiServer:
    """Supplier castings 0-1 shipped to Tier-1 and assembled into transmission 0; casting 2 stays home."""
    for org in ("SupplierMSP", "Tier1MSP"):
        register_part_type(api_server, org)
    commission(api_server, "SupplierMSP", range(3), lot="L7")
    commission(api_server, "Tier1MSP", [0])
    castings = [uid("SupplierMSP", 0), uid("SupplierMSP", 1)]
    ship_and_receive(api_server, "SupplierMSP", "Tier1MSP", castings, "ASN-1")
    r = api_server.client("Tier1MSP", "station1").post(
        "/v1/assemblies", json={"parent_uid": uid("Tier1MSP", 0), "child_uids": castings, "event_time": T0}
    )
    assert r.status_code == 201, r.text
    return api_server


def test_commission_one_by_station_and_clone_is_409(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    station = api_server.client("SupplierMSP", "station1")
    body = {"uid": uid("SupplierMSP", 5), "part_type": part_type_id("SupplierMSP"), "production_date": "2026-01-02"}
    r = station.post("/v1/parts", json=body)
    assert r.status_code == 201, r.text
    part = r.json()
    assert (part["site_id"], part["owner_msp"], part["status"], part["lot"]) == (
        "supplier-plant",
        "SupplierMSP",
        "active",
        None,
    )
    clone = station.post("/v1/parts", json=body)
    assert clone.status_code == 409
    assert (
        clone.json()["detail"]
        == f"part {uid('SupplierMSP', 5)} was already commissioned by SupplierMSP: clone suspected"
    )


def test_commission_refusals(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    tier1 = api_server.client("Tier1MSP", "admin")
    other = {"uid": "urn:x:1", "part_type": part_type_id("SupplierMSP"), "production_date": "2026-01-02",
             "site_id": "tier1-plant"}  # fmt: skip
    r = tier1.post("/v1/parts", json=other)
    assert r.status_code == 403
    assert "it is produced by SupplierMSP" in r.json()["detail"]
    batch = [{**other, "part_type": "Tier1MSP:NOPE"}]
    r = tier1.post("/v1/parts/batch", json={"parts": batch})
    assert r.status_code == 404
    assert "Tier1MSP:NOPE" in r.json()["detail"]
    r = api_server.client("SupplierMSP", "certifier").post("/v1/parts", json=other)
    assert r.status_code == 403
    r = tier1.post("/v1/parts/batch", json={"parts": [other] * 5001})
    assert (r.status_code, r.json()["detail"]) == (413, "batch of 5001 parts exceeds the limit of 5000")


def test_part_detail_tree_and_where_used(built: ApiServer) -> None:
    tier1 = built.client("Tier1MSP", "compliance")
    detail = tier1.get(f"/v1/parts/{path_uid(uid('SupplierMSP', 0))}")
    assert detail.status_code == 200, detail.text
    d = detail.json()
    assert (d["part"]["status"], d["part"]["parent"], d["ancestors"]) == (
        "consumed",
        uid("Tier1MSP", 0),
        [uid("Tier1MSP", 0)],
    )
    assert [c["owner_msp"] for c in d["custody"]] == ["SupplierMSP", "SupplierMSP", "Tier1MSP", "Tier1MSP"]
    assert [c["status"] for c in d["custody"]] == ["active", "in_transit", "active", "consumed"]
    tree = tier1.get(f"/v1/parts/{path_uid(uid('Tier1MSP', 0))}/tree").json()
    assert tree["uid"] == uid("Tier1MSP", 0)
    assert sorted(c["uid"] for c in tree["children"]) == sorted([uid("SupplierMSP", 0), uid("SupplierMSP", 1)])
    assert all(c["part"]["status"] == "consumed" for c in tree["children"])
    up = built.client("SupplierMSP", "admin").get(f"/v1/parts/{path_uid(uid('SupplierMSP', 1))}/where-used").json()
    assert [a["uid"] for a in up["ancestors"]] == [uid("Tier1MSP", 0)]
    assert up["top_level"]["owner_msp"] == "Tier1MSP"


VISIBILITY = [
    ("SupplierMSP", "compliance", ("SupplierMSP", 2), 200),  # producer
    ("Tier1MSP", "admin", ("SupplierMSP", 0), 200),  # owner of the assembly it is in
    ("SupplierMSP", "admin", ("Tier1MSP", 0), 200),  # producer of a part it contains
    ("AuditMSP", "auditor", ("SupplierMSP", 2), 200),  # auditor
    ("AuditMSP", "admin", ("Tier1MSP", 0), 200),  # auditing org
    ("OemMSP", "admin", ("SupplierMSP", 0), 404),  # unrelated org
    ("Tier1MSP", "admin", ("SupplierMSP", 2), 404),  # never held this one
    ("OemMSP", "compliance", ("OemMSP", 9), 404),  # does not exist: same answer
]


def test_visibility(built: ApiServer) -> None:
    for org, member, target, status in VISIBILITY:
        client = built.client(org, member)
        u = uid(*target)
        for suffix in ("", "/tree", "/where-used"):
            r = client.get(f"/v1/parts/{path_uid(u)}{suffix}")
            assert r.status_code == status, (org, member, target, suffix, r.text)
            if status == 404:
                assert r.json()["detail"] == f"no part {u} is visible to {org}"


def test_search_filters_and_pages(built: ApiServer) -> None:
    sup = built.client("SupplierMSP", "compliance")
    r = sup.get("/v1/parts", params={"lot": "L7"})
    assert [p["uid"] for p in r.json()["parts"]] == [uid("SupplierMSP", n) for n in range(3)]
    r = sup.get("/v1/parts", params={"lot": "L7", "status": "consumed", "limit": 1})
    page = r.json()
    assert ([p["uid"] for p in page["parts"]], page["next_offset"]) == ([uid("SupplierMSP", 0)], 1)
    page2 = sup.get("/v1/parts", params={"lot": "L7", "status": "consumed", "limit": 1, "offset": 1}).json()
    assert ([p["uid"] for p in page2["parts"]], page2["next_offset"]) == ([uid("SupplierMSP", 1)], None)
    oem = built.client("OemMSP", "admin").get("/v1/parts", params={"producer": "SupplierMSP"}).json()
    assert oem["parts"] == []
    audit = built.client("AuditMSP", "auditor").get("/v1/parts", params={"part_type": part_type_id("Tier1MSP")}).json()
    assert [p["uid"] for p in audit["parts"]] == [uid("Tier1MSP", 0)]
    assert sup.get("/v1/parts", params={"status": "lost"}).status_code == 422


def test_decommission_and_anomalies(built: ApiServer) -> None:
    sup = built.client("SupplierMSP", "admin")
    u = uid("SupplierMSP", 2)
    r = sup.post(f"/v1/parts/{path_uid(u)}/decommission", json={"reason": "scrapped: porosity"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decommissioned"]["reason"]) == ("decommissioned", "scrapped: porosity")
    again = sup.post(f"/v1/parts/{path_uid(u)}/decommission", json={"reason": "twice"})
    assert (again.status_code, again.json()["detail"]) == (409, f"part {u} is decommissioned")
    station = built.client("SupplierMSP", "station1")
    station.post("/v1/scans", json={"uid": u, "event_time": T0})
    built.client("OemMSP", "station1").post("/v1/scans", json={"uid": "urn:usmca:part:ghost:1", "event_time": T0})
    mine = sup.get("/v1/anomalies").json()["anomalies"]
    assert [(a["uid"], a["anomalies"]) for a in mine] == [(u, ["decommissioned"])]
    everything = built.client("AuditMSP", "auditor").get("/v1/anomalies").json()["anomalies"]
    assert sorted(a["uid"] for a in everything) == sorted([u, "urn:usmca:part:ghost:1"])
    ghosts = built.client("AuditMSP", "auditor").get("/v1/anomalies", params={"flag": "unknown_part"}).json()
    assert [a["uid"] for a in ghosts["anomalies"]] == ["urn:usmca:part:ghost:1"]
    assert sup.get("/v1/anomalies", params={"flag": "weird"}).status_code == 422
    assert built.client("SupplierMSP", "station1").get("/v1/anomalies").status_code == 403
