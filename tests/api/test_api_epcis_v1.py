"""Reads and assemblies recorded through /v1 appear in GET /epcis/events, as the node or the station agent built them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.epcis import committed
from scanner.epcis import ObjectEvent, TransformationEvent
from scanner.station.config import StationConfig
from scanner.station.events import assembly_event, scan_event
from scanner.station.outbox import NewEvent, OutboxEvent
from scanner.station.sinks import ApiSink
from tests.api.conftest import ApiServer, commission, register_part_type, uid

T0 = "2026-03-02T12:00:00.000-05:00"
READ_POINT = "urn:usmca:readpoint:SupplierMSP:sup-st1"
FOREIGN_HASH = "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0"
#: 2026-03-02T15:00:00 UTC, the station agent's clock in these tests.
WALL = 1772463600.0


@pytest.fixture
def chain(api_server: ApiServer) -> ApiServer:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", range(8))
    return api_server


def events_of(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    r = client.get("/epcis/events", params=params)
    assert r.status_code == 200, r.text
    return r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def agent(api: ApiServer, **over: Any) -> tuple[StationConfig, ApiSink]:
    """The station agent's config and API sink for SupplierMSP's station, delivering to the test server."""
    token = api.tokens[("SupplierMSP", "station1")]
    cfg = StationConfig(org="SupplierMSP", member="station1", station_id="sup-st1", api_url=api.base_url,
                        token=token, **over)  # fmt: skip
    return cfg, ApiSink(api.base_url, token)


def deliver(sink: ApiSink, events: list[NewEvent]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Deliver events as the agent's forwarder does (outbox rows straight from the station's builders)."""
    rows = [OutboxEvent(i, e.event_id, e.kind, e.uid, e.event, e.payload, "pending", 0, None, WALL)
            for i, e in enumerate(events, 1)]  # fmt: skip
    return sink.deliver(rows)


def without_record_time(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "recordTime"}


def test_single_scan_is_stored_as_the_object_event_the_api_hashed(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    part = uid("SupplierMSP", 0)
    r = station.post("/v1/scans", json={"uid": part, "event_time": T0, "disposition": "in_progress"})
    assert r.status_code == 200, r.text
    scan = r.json()
    (event,) = events_of(station, MATCH_epc=part)
    expected = ObjectEvent(event_time=T0, action="OBSERVE", epc_list=(part,), biz_step="inspecting",
                           disposition="in_progress", read_point=READ_POINT).hash_id()  # fmt: skip
    assert event["eventID"] == scan["event_hash"] == expected
    assert (event["type"], event["action"], event["epcList"], event["eventTime"], event["eventTimeZoneOffset"]) == (
        "ObjectEvent", "OBSERVE", [part], T0, "-05:00",
    )  # fmt: skip
    assert (event["bizStep"], event["disposition"], event["readPoint"]) == (
        "inspecting", "in_progress", {"id": READ_POINT},
    )  # fmt: skip
    assert event["recordTime"] == scan["recorded_at"]
    one = station.get(f"/epcis/events/{quote(expected, safe='')}")
    assert one.status_code == 200
    assert one.json()["eventID"] == expected
    again = station.post("/v1/scans", json={"uid": part, "event_time": T0, "disposition": "in_progress"})
    assert again.json()["duplicate"] is True
    assert [e["eventID"] for e in events_of(station, MATCH_epc=part)] == [expected]
    # Another org's member sees nothing of it; an auditor does.
    assert events_of(chain.client("Tier1MSP", "station1"), MATCH_epc=part) == []
    assert len(events_of(chain.client("AuditMSP", "auditor"), MATCH_epc=part)) == 1


def test_batch_stores_api_hashed_and_agent_hashed_reads_but_invents_no_foreign_event(chain: ApiServer) -> None:
    cfg, _ = agent(chain, disposition="in_progress")
    agent_reads = [scan_event(cfg, uid("SupplierMSP", n), WALL + n) for n in (1, 2)]
    station = chain.client("SupplierMSP", "station1")
    scans = [
        {"uid": uid("SupplierMSP", 0), "event_time": T0, "biz_step": "packing"},
        *(e.payload for e in agent_reads),
        {"uid": uid("SupplierMSP", 3), "event_time": T0, "event_hash": FOREIGN_HASH},
    ]
    r = station.post("/v1/scans/batch", json={"scans": scans})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert r.json()["new"] == 4
    (own,) = events_of(station, MATCH_epc=uid("SupplierMSP", 0))
    assert (own["eventID"], own["bizStep"], own["eventTime"]) == (results[0]["event_hash"], "packing", T0)
    for read in agent_reads:
        (stored,) = events_of(station, MATCH_epc=read.uid)
        assert stored["eventID"] == read.event_id
        assert without_record_time(stored) == read.event  # the very event the agent built and hashed
    assert events_of(station, MATCH_epc=uid("SupplierMSP", 3)) == []
    assert results[3]["event_hash"] == FOREIGN_HASH  # on the ledger, just not in the repository
    everything = events_of(station, eventType="ObjectEvent")
    replay = station.post("/v1/scans/batch", json={"scans": scans})
    assert replay.json()["duplicates"] == 4
    assert events_of(station, eventType="ObjectEvent") == everything


def test_the_station_agent_sink_delivers_reads_and_assemblies_into_the_repository(chain: ApiServer) -> None:
    cfg, sink = agent(chain)
    read = scan_event(cfg, uid("SupplierMSP", 4), WALL)
    children = (uid("SupplierMSP", 6), uid("SupplierMSP", 7))
    assembly = assembly_event(agent(chain, mode="assemble", assemble_count=2)[0], uid("SupplierMSP", 5), children,
                              WALL + 1)  # fmt: skip
    out = deliver(sink, [read, assembly])
    assert {k: v[0] for k, v in out.items()} == {read.event_id: "delivered", assembly.event_id: "delivered"}
    station = chain.client("SupplierMSP", "station1")
    (scan,) = events_of(station, MATCH_epc=read.uid)
    assert without_record_time(scan) == read.event
    (made,) = events_of(station, MATCH_outputEPC=uid("SupplierMSP", 5))
    assert without_record_time(made) == assembly.event
    assert made["readPoint"] == {"id": READ_POINT}  # hashed by the agent, not sent: the node used the station's


def test_an_agent_event_with_a_biz_location_is_not_invented(chain: ApiServer) -> None:
    cfg, sink = agent(chain, biz_location="urn:usmca:site:SupplierMSP:supplier-plant")
    read = scan_event(cfg, uid("SupplierMSP", 1), WALL)
    assert deliver(sink, [read])[read.event_id][0] == "delivered"
    station = chain.client("SupplierMSP", "station1")
    assert events_of(station, MATCH_epc=read.uid) == []
    # Such a station captures its own event instead; the ledger already has the read, so nothing is re-recorded.
    doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
           "schemaVersion": "2.0", "creationDate": "2026-03-02T15:00:00.000Z",
           "epcisBody": {"eventList": [read.event]}}  # fmt: skip
    r = station.post("/epcis/capture", json=doc)
    assert r.status_code == 200, r.text
    (stored,) = events_of(station, MATCH_epc=read.uid)
    assert stored["bizLocation"] == {"id": "urn:usmca:site:SupplierMSP:supplier-plant"}


def test_assembly_posted_without_a_hash_is_stored_as_the_api_built_it(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    body = {"parent_uid": uid("SupplierMSP", 0), "child_uids": [uid("SupplierMSP", 1), uid("SupplierMSP", 2)],
            "event_time": T0}  # fmt: skip
    r = station.post("/v1/assemblies", json=body)
    assert r.status_code == 201, r.text
    expected = TransformationEvent(event_time=T0, input_epc_list=tuple(body["child_uids"]),
                                   output_epc_list=(body["parent_uid"],), biz_step="assembling",
                                   disposition="active").hash_id()  # fmt: skip
    (event,) = events_of(station, MATCH_inputEPC=uid("SupplierMSP", 2))
    assert event["eventID"] == r.json()["event_hash"] == expected
    assert (event["outputEPCList"], event["inputEPCList"], event["bizStep"], event["disposition"]) == (
        [body["parent_uid"]], body["child_uids"], "assembling", "active",
    )  # fmt: skip
    assert "readPoint" not in event
    assert event["recordTime"] == r.json()["assembled_at"]
    assert station.post("/v1/assemblies", json=body).json()["duplicate"] is True
    foreign = {"parent_uid": uid("SupplierMSP", 3), "child_uids": [uid("SupplierMSP", 4)], "event_time": T0,
               "event_hash": FOREIGN_HASH}  # fmt: skip
    assert station.post("/v1/assemblies", json=foreign).status_code == 201
    assert [e["eventID"] for e in events_of(station, eventType="TransformationEvent")] == [expected]


def test_a_repository_failure_does_not_fail_the_read_and_a_replay_catches_up(chain: ApiServer) -> None:
    blocker = chain.home / "epcis.db"
    blocker.mkdir()  # SQLite cannot open a directory: every repository write fails
    station = chain.client("SupplierMSP", "station1")
    read = {"uid": uid("SupplierMSP", 0), "event_time": T0}
    first = station.post("/v1/scans", json=read)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    assert committed.settle(timeout=30)  # the server (a thread of this process) has tried, and failed, to store it
    blocker.rmdir()
    assert events_of(station, MATCH_epc=read["uid"]) == []
    again = station.post("/v1/scans", json=read)
    assert again.json()["duplicate"] is True
    (event,) = events_of(station, MATCH_epc=read["uid"])
    assert (event["eventID"], event["recordTime"]) == (first.json()["event_hash"], first.json()["recorded_at"])
