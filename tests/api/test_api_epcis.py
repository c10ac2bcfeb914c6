"""EPCIS 2.0 capture and query through a real server: mapping to ledger transactions, idempotency, queries."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from epcis_event_hash_generator import hash_generator, json_to_py

from tests.api.conftest import ApiServer, commission, path_uid, register_part_type, uid

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"usmca": "https://usmca-ledger.dev/epcis/"},
]
READ_POINT = {"id": "urn:usmca:readpoint:Tier1MSP:t1-st1"}
T1_TYPE = "Tier1MSP:TX-1"


def document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-03-02T12:00:00.000Z", "epcisBody": {"eventList": events}}  # fmt: skip


def event(kind: str, time: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": time, "eventTimeZoneOffset": "-05:00", **fields}


def tier1_document() -> dict[str, Any]:
    """Commission a transmission, observe it, assemble two received castings into it, plus two refused events."""
    tx = uid("Tier1MSP", 0)
    return document([
        event("ObjectEvent", "2026-03-02T08:00:00.000-05:00", epcList=[tx], action="ADD", bizStep="commissioning",
              readPoint=READ_POINT, ilmd={"usmca:partType": T1_TYPE, "cbvmda:lotNumber": "TXL-1"}),
        event("ObjectEvent", "2026-03-02T09:00:00.000-05:00", epcList=[tx], action="OBSERVE", bizStep="inspecting",
              readPoint=READ_POINT, bizLocation={"id": "urn:usmca:site:Tier1MSP:tier1-plant"}),
        event("TransformationEvent", "2026-03-02T10:00:00.000-05:00", inputEPCList=[uid("SupplierMSP", 0)],
              outputEPCList=[tx], bizStep="assembling", readPoint=READ_POINT),
        event("AggregationEvent", "2026-03-02T10:30:00.000-05:00", parentID=tx, childEPCs=[uid("SupplierMSP", 1)],
              action="ADD", bizStep="assembling"),
        event("ObjectEvent", "2026-03-02T11:00:00.000-05:00", epcList=[tx], action="ADD", bizStep="shipping"),
        event("ObjectEvent", "2026-03-02T11:30:00.000-05:00", epcList=["urn:usmca:part:Tier1MSP:TX-1:0099"],
              action="ADD", bizStep="commissioning"),
    ])  # fmt: skip


def prepare(api: ApiServer) -> None:
    register_part_type(api, "SupplierMSP")
    register_part_type(api, "Tier1MSP")
    castings = commission(api, "SupplierMSP", range(2))
    r = api.client("SupplierMSP", "admin").post(
        "/v1/shipments", json={"shipment_id": "A1", "to_msp": "Tier1MSP", "uids": castings}
    )
    assert r.status_code == 201
    r = api.client("Tier1MSP", "admin").post("/v1/shipments/SupplierMSP/A1/receipt", json={"uids": castings})
    assert r.status_code == 200


def test_capture_maps_events_and_a_second_capture_records_nothing(api_server: ApiServer) -> None:
    prepare(api_server)
    station = api_server.client("Tier1MSP", "station1")
    doc = tier1_document()
    r = station.post("/epcis/capture", json=doc, headers={"Content-Type": "application/ld+json"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(e["outcome"], e["transaction"]) for e in out["events"]] == [
        ("recorded", "CommissionParts"), ("recorded", "RecordScans"), ("recorded", "Assemble"),
        ("recorded", "Assemble"), ("refused", None), ("refused", None),
    ]  # fmt: skip
    assert (out["recorded"], out["duplicates"], out["refused"]) == (4, 0, 2)
    assert (
        "ObjectEvent action ADD with bizStep https://ref.gs1.org/cbv/BizStep-shipping has no ledger"
        in out["events"][4]["reason"]
    )
    assert "names no part type" in out["events"][5]["reason"]
    tx = station.get(f"/v1/parts/{path_uid(uid('Tier1MSP', 0))}").json()
    assert (tx["part"]["lot"], sorted(tx["children"])) == ("TXL-1", [uid("SupplierMSP", 0), uid("SupplierMSP", 1)])
    assert len(tx["scans"]) == 1
    height = station.get("/healthz").json()["ledger_height"]
    again = station.post("/epcis/capture", json=doc).json()
    assert [e["outcome"] for e in again["events"]] == ["duplicate"] * 4 + ["refused"] * 2
    assert [e["event_id"] for e in again["events"][:4]] == [e["event_id"] for e in out["events"][:4]]
    assert station.get("/healthz").json()["ledger_height"] == height


def test_event_ids_are_the_reference_canonical_hash(api_server: ApiServer) -> None:
    prepare(api_server)
    doc = tier1_document()
    out = api_server.client("Tier1MSP", "station1").post("/epcis/capture", json=doc).json()
    json_to_py._namespaces.clear()
    events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(doc))
    expected = hash_generator.calculate_hashes_from_pre_hashes(
        hash_generator.derive_prehashes_from_events(events, ""), "sha256"
    )
    assert [e["event_id"] for e in out["events"][:4]] == expected[:4]


def test_capture_refusals(api_server: ApiServer) -> None:
    prepare(api_server)
    station = api_server.client("Tier1MSP", "station1")
    bad = document([event("ObjectEvent", "2026-03-02T08:00:00.000-05:00", epcList=["urn:x:1"], action="MOVE")])
    r = station.post("/epcis/capture", json=bad)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("epcisBody.eventList[0].action")
    wrong_station = document([event("ObjectEvent", "2026-03-02T08:00:00.000-05:00", epcList=["urn:x:1"], action="OBSERVE",
                                    readPoint={"id": "urn:usmca:readpoint:Tier1MSP:other"})])  # fmt: skip
    out = station.post("/epcis/capture", json=wrong_station).json()
    assert out["events"][0]["outcome"] == "refused"
    assert "is not the read point 'urn:usmca:readpoint:Tier1MSP:t1-st1'" in out["events"][0]["reason"]
    admin_scan = api_server.client("Tier1MSP", "admin").post("/epcis/capture", json=tier1_document()).json()
    assert admin_scan["events"][1]["outcome"] == "refused"
    assert admin_scan["events"][1]["reason"].startswith("forbidden: ")
    assert api_server.client("Tier1MSP", "compliance").post("/epcis/capture", json=bad).status_code == 403
    huge = document(
        [event("ObjectEvent", "2026-03-02T08:00:00.000-05:00", epcList=["urn:x:1"], action="OBSERVE")] * 5001
    )
    assert station.post("/epcis/capture", json=huge).status_code == 413


def test_query_events(api_server: ApiServer) -> None:
    prepare(api_server)
    station = api_server.client("Tier1MSP", "station1")
    captured = station.post("/epcis/capture", json=tier1_document()).json()["events"]
    ids = [e["event_id"] for e in captured[:4]]

    def query(client: Any = station, **params: str) -> list[str]:
        r = client.get("/epcis/events", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["type"], body["epcisBody"]["queryResults"]["queryName"]) == (
            "EPCISQueryDocument",
            "SimpleEventQuery",
        )
        return [e["eventID"] for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]

    assert query() == list(reversed(ids))
    assert query(EQ_bizStep="assembling") == [ids[3], ids[2]]
    assert query(EQ_bizStep="commissioning|inspecting", orderDirection="ASC") == ids[:2]
    assert query(MATCH_epc=uid("SupplierMSP", 1)) == [ids[3]]
    assert query(GE_eventTime="2026-03-02T14:00:00Z", LT_eventTime="2026-03-02T15:30:00Z") == [ids[2], ids[1]]
    assert query(EQ_bizLocation="urn:usmca:site:Tier1MSP:tier1-plant") == [ids[1]]
    assert query(client=api_server.client("SupplierMSP", "station1")) == []
    assert query(client=api_server.client("AuditMSP", "auditor"), eventType="TransformationEvent") == [ids[2]]
    page = station.get("/epcis/events", params={"perPage": "3"})
    first = [e["eventID"] for e in page.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
    assert first == list(reversed(ids))[:3]
    link = page.headers["Link"]
    assert link.endswith('>; rel="next"')
    nxt = station.get(link[1 : link.index(">")]).json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["eventID"] for e in nxt] == [ids[0]]
    bad = station.get("/epcis/events", params={"EQ_colour": "red"})
    assert (bad.status_code, bad.json()["detail"]) == (422, "unknown EPCIS query parameter 'EQ_colour'")
    one = station.get(f"/epcis/events/{quote(ids[2], safe='')}")
    assert one.status_code == 200
    body = one.json()
    assert (body["eventID"], body["type"], body["outputEPCList"]) == (
        ids[2],
        "TransformationEvent",
        [uid("Tier1MSP", 0)],
    )
    assert "recordTime" in body and body["@context"][0] == CONTEXT[0]
    other = api_server.client("OemMSP", "admin").get(f"/epcis/events/{quote(ids[2], safe='')}")
    assert other.status_code == 404
    assert station.get("/epcis/events/" + quote("urn:uuid:nope", safe="")).status_code == 404
