"""Assemblies, shipments, receipts and recall containment through a real server."""

from __future__ import annotations

from scanner.epcis import TransformationEvent
from tests.api.conftest import ApiServer, commission, path_uid, register_part_type, ship_and_receive, uid

T0 = "2026-03-05T08:30:00.000-05:00"


def test_assembly_hash_idempotency_and_refusals(api_server: ApiServer) -> None:
    register_part_type(api_server, "Tier1MSP")
    commission(api_server, "Tier1MSP", range(4))
    station = api_server.client("Tier1MSP", "station1")
    body = {"parent_uid": uid("Tier1MSP", 0), "child_uids": [uid("Tier1MSP", 1), uid("Tier1MSP", 2)], "event_time": T0}
    r = station.post("/v1/assemblies", json=body)
    assert r.status_code == 201, r.text
    expected = TransformationEvent(
        event_time=T0, input_epc_list=tuple(body["child_uids"]), output_epc_list=(body["parent_uid"],),
        biz_step="assembling", disposition="active",
    ).hash_id()  # fmt: skip
    assert (r.json()["event_hash"], r.json()["duplicate"], r.json()["station_id"]) == (expected, False, "t1-st1")
    again = station.post("/v1/assemblies", json=body)
    assert (again.status_code, again.json()["duplicate"]) == (201, True)
    consumed = station.post(
        "/v1/assemblies", json={**body, "parent_uid": uid("Tier1MSP", 3), "child_uids": [uid("Tier1MSP", 1)]}
    )
    assert consumed.status_code == 409
    assert consumed.json()["detail"] == f"part {uid('Tier1MSP', 1)} was already consumed by parent {uid('Tier1MSP', 0)}"
    cycle = station.post(
        "/v1/assemblies", json={**body, "parent_uid": uid("Tier1MSP", 1), "child_uids": [uid("Tier1MSP", 1)]}
    )
    assert cycle.status_code == 409
    foreign = api_server.client("OemMSP", "admin").post(
        "/v1/assemblies", json={**body, "event_time": "2026-03-05T09:00:00Z"}
    )
    assert foreign.status_code == 403
    assert api_server.client("Tier1MSP", "compliance").post("/v1/assemblies", json=body).status_code == 403


def test_shipment_lifecycle(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    uids = commission(api_server, "SupplierMSP", range(3))
    sup = api_server.client("SupplierMSP", "station1")
    r = sup.post(
        "/v1/shipments", json={"shipment_id": "ASN-9", "to_msp": "Tier1MSP", "uids": uids[:2], "reference": "BOL 1"}
    )
    assert (r.status_code, r.json()["status"]) == (201, "open")
    dup = sup.post("/v1/shipments", json={"shipment_id": "ASN-9", "to_msp": "Tier1MSP", "uids": uids[2:]})
    assert dup.status_code == 409
    t1 = api_server.client("Tier1MSP", "admin")
    wrong = t1.post("/v1/shipments/SupplierMSP/ASN-9/receipt", json={"uids": uids[:1]})
    assert wrong.status_code == 409
    assert f"missing {uids[1]}" in wrong.json()["detail"]
    not_mine = api_server.client("OemMSP", "admin").post(
        "/v1/shipments/SupplierMSP/ASN-9/receipt", json={"uids": uids[:2]}
    )
    assert not_mine.status_code == 403
    got = t1.post("/v1/shipments/SupplierMSP/ASN-9/receipt", json={"uids": list(reversed(uids[:2]))})
    assert (got.status_code, got.json()["status"], got.json()["received_by"]) == (200, "received", "admin")
    assert t1.get("/v1/shipments/SupplierMSP/ASN-9").json()["status"] == "received"
    assert api_server.client("AuditMSP", "auditor").get("/v1/shipments/SupplierMSP/ASN-9").status_code == 200
    hidden = api_server.client("OemMSP", "admin").get("/v1/shipments/SupplierMSP/ASN-9")
    assert (hidden.status_code, hidden.json()["detail"]) == (
        404,
        "no shipment ASN-9 from SupplierMSP is visible to OemMSP",
    )
    assert api_server.client("OemMSP", "admin").get("/v1/shipments/SupplierMSP/NOPE").json()["detail"] == hidden.json()[
        "detail"
    ].replace("ASN-9", "NOPE")
    part = t1.get(f"/v1/parts/{path_uid(uids[0])}").json()["part"]
    assert (part["owner_msp"], part["status"]) == ("Tier1MSP", "active")
    sup.post("/v1/shipments", json={"shipment_id": "ASN-10", "to_msp": "OemMSP", "uids": uids[2:]})
    cancelled = sup.post("/v1/shipments/ASN-10/cancel", json={"reason": "wrong truck"})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    outgoing = api_server.client("SupplierMSP", "compliance").get("/v1/shipments", params={"direction": "out"}).json()
    assert sorted((s["shipment_id"], s["status"]) for s in outgoing["shipments"]) == [
        ("ASN-10", "cancelled"),
        ("ASN-9", "received"),
    ]
    incoming = t1.get("/v1/shipments", params={"direction": "in", "status": "received"}).json()
    assert [s["shipment_id"] for s in incoming["shipments"]] == ["ASN-9"]


def test_containment_finds_every_vehicle_and_where_it_is(api_server: ApiServer) -> None:
    for org in ("SupplierMSP", "Tier1MSP", "OemMSP"):
        register_part_type(api_server, org)
    castings = commission(api_server, "SupplierMSP", range(3), lot="BAD", date="2026-01-05")
    commission(api_server, "SupplierMSP", [10], lot="GOOD", date="2026-02-01")
    transmissions = commission(api_server, "Tier1MSP", range(2))
    vehicles = commission(api_server, "OemMSP", range(2))
    ship_and_receive(api_server, "SupplierMSP", "Tier1MSP", castings[:2], "ASN-1")
    t1 = api_server.client("Tier1MSP", "station1")
    for i in range(2):
        r = t1.post(
            "/v1/assemblies", json={"parent_uid": transmissions[i], "child_uids": [castings[i]], "event_time": T0}
        )
        assert r.status_code == 201, r.text
    ship_and_receive(api_server, "Tier1MSP", "OemMSP", transmissions, "ASN-2")
    oem_station = api_server.client("OemMSP", "station1")
    for i in range(2):
        oem_station.post(
            "/v1/assemblies", json={"parent_uid": vehicles[i], "child_uids": [transmissions[i]], "event_time": T0}
        )
    oem_station.post(
        "/v1/scans", json={"uid": vehicles[0], "event_time": "2026-03-06T10:00:00Z", "biz_step": "shipping"}
    )
    audit = api_server.client("AuditMSP", "auditor").get("/v1/containment", params={"lot": "BAD"}).json()
    assert [(e["uid"], e["owner_msp"]) for e in audit["affected"]] == [
        (vehicles[0], "OemMSP"), (vehicles[1], "OemMSP"), (castings[2], "SupplierMSP"),
    ]  # fmt: skip
    assert audit["matched_parts"] == 3
    v0 = audit["affected"][0]
    assert [c["uid"] for c in v0["contains"]] == [castings[0]]
    assert (v0["last_seen"]["station_id"], v0["last_seen"]["site_id"]) == ("oem-st1", "oem-plant")
    dated = api_server.client("SupplierMSP", "compliance").get(
        "/v1/containment",
        params={"supplier": "SupplierMSP", "produced_from": "2026-01-01", "produced_to": "2026-01-31"},
    )
    assert len(dated.json()["affected"]) == 3
    tier1 = api_server.client("Tier1MSP", "compliance").get("/v1/containment", params={"lot": "BAD"}).json()
    assert [e["uid"] for e in tier1["affected"]] == [vehicles[0], vehicles[1]]
    assert api_server.client("Tier1MSP", "compliance").get("/v1/containment").status_code == 422
    backwards = api_server.client("OemMSP", "admin").get(
        "/v1/containment", params={"produced_from": "2026-02-01", "produced_to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert api_server.client("OemMSP", "station1").get("/v1/containment", params={"lot": "BAD"}).status_code == 403
