"""RecordScan and RecordScans: station identity, idempotency on the event hash, anomaly flags."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from chaincode_harness import OEM, T1, T2, World, event_hash, make_member, uid

from ledger.errors import Forbidden, NotFound, ValidationError


def test_station_records_a_clean_scan(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    scan = world.scan(T1, part, step="https://ref.gs1.org/cbv/BizStep-packing")
    doc = world.h.submit(world.station(T1), "RecordScan", {**scan, "disposition": "in_progress"})
    assert doc["anomalies"] == []
    assert doc["anomaly_details"] == {}
    assert doc["duplicate"] is False
    assert (doc["site_id"], doc["read_point"]) == ("toledo", "urn:usmca:rp:TierOneMSP:toledo:line1")
    assert (doc["biz_step"], doc["disposition"]) == ("packing", "in_progress")
    assert world.h.events[-1] == ("ScansRecorded", {"station_id": "st-TierOneMSP", "new": 1, "flagged": 0})
    got = world.h.evaluate(world.m(OEM, "auditor"), "GetPart", part)
    assert [s["event_hash"] for s in got["scans"]] == [scan["event_hash"]]
    assert got["last_seen"]["site_id"] == "toledo"


def test_default_biz_step_comes_from_the_station(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    assert world.h.submit(world.station(T1), "RecordScan", world.scan(T1, part))["biz_step"] == "inspecting"


def test_same_event_twice_is_stored_once(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    scan = world.scan(T1, part)
    first = world.h.submit(world.station(T1), "RecordScan", scan)
    world.h.advance(minutes=10)
    again = world.h.submit(world.station(T1), "RecordScan", scan)
    assert again == {**first, "duplicate": True}
    batch = world.h.submit(world.station(T1), "RecordScans", [scan, scan])
    assert [d["duplicate"] for d in batch] == [True, True]
    assert len(world.h.evaluate(world.admin(T1), "GetPart", part)["scans"]) == 1


def test_same_event_twice_in_one_batch(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    scan = world.scan(T1, part)
    docs = world.h.submit(world.station(T1), "RecordScans", [scan, scan])
    assert [d["duplicate"] for d in docs] == [False, True]
    assert docs[1] == {**docs[0], "duplicate": True}
    assert world.h.events[-1][1] == {"station_id": "st-TierOneMSP", "new": 1, "flagged": 0}


@pytest.mark.parametrize("role", ["admin", "certifier", "auditor"])
def test_only_stations_record_scans(world: World, role: str) -> None:
    part = world.commission(T1, "S1")[0]
    err = world.h.error(world.m(T1, role), "RecordScan", world.scan(T1, part))
    assert isinstance(err, Forbidden)
    assert err.message == f"{role} '{role}@TierOneMSP' of TierOneMSP may not record scans: needs role station"


def test_station_cannot_impersonate_another_station(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    err = world.h.error(world.station(T1), "RecordScan", {**world.scan(T1, part), "station_id": "st-OemMSP"})
    assert isinstance(err, Forbidden)
    assert err.message == "station st-TierOneMSP may not record scans as station st-OemMSP"
    err = world.h.error(make_member(T1, "nobody", "station"), "RecordScan", world.scan(T1, part))
    assert err.message == "station certificate 'nobody' of TierOneMSP names no station id"


def test_read_point_must_be_the_stations(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    err = world.h.error(world.station(T1), "RecordScan", {**world.scan(T1, part), "read_point": "urn:x:elsewhere"})
    assert isinstance(err, ValidationError)
    assert err.message == (
        "scan read_point 'urn:x:elsewhere' is not the read point 'urn:usmca:rp:TierOneMSP:toledo:line1' "
        "registered for station st-TierOneMSP"
    )


def test_unknown_part_is_recorded_with_a_flag(world: World) -> None:
    ghost = uid(T1, "NEVER")
    doc = world.h.submit(world.station(T1), "RecordScan", world.scan(T1, ghost))
    assert doc["anomalies"] == ["unknown_part"]
    assert doc["anomaly_details"]["unknown_part"] == f"{ghost} was never commissioned"
    assert world.h.events[-1][1]["flagged"] == 1


def test_part_in_another_orgs_custody(world: World) -> None:
    part = world.commission(T2, "C1")[0]
    doc = world.h.submit(world.station(T1), "RecordScan", world.scan(T1, part))
    assert doc["anomalies"] == ["not_in_custody"]
    assert doc["anomaly_details"]["not_in_custody"] == f"{part} is in the custody of CastCoMSP, not TierOneMSP"
    anomalies = world.h.evaluate(world.admin(T2), "GetPart", part)["anomalies"]
    assert [(a["anomalies"], a["station_id"]) for a in anomalies] == [(["not_in_custody"], "st-TierOneMSP")]


def test_inbound_part_in_transit_is_not_flagged(world: World) -> None:
    part = world.commission(T2, "C1")[0]
    world.ship(T2, T1, "ASN-1", [part])
    world.h.advance(hours=2)
    assert world.h.submit(world.station(T1), "RecordScan", world.scan(T1, part, step="receiving"))["anomalies"] == []
    world.h.advance(days=5)
    assert world.h.submit(world.station(OEM), "RecordScan", world.scan(OEM, part))["anomalies"] == ["not_in_custody"]


def test_decommissioned_and_consumed_parts_are_flagged(world: World) -> None:
    h = world.h
    scrap, child, parent = world.commission(T1, "SCRAP", "CHILD", "PARENT")
    h.submit(world.admin(T1), "Decommission", scrap, "scrap")
    h.submit(
        world.admin(T1),
        "Assemble",
        {
            "parent_uid": parent,
            "child_uids": [child],
            "event_hash": event_hash("asm"),
            "event_time": "2026-03-02T12:00:00Z",
        },
    )
    docs = h.submit(world.station(T1), "RecordScans", [world.scan(T1, scrap), world.scan(T1, child)])
    assert [d["anomalies"] for d in docs] == [["decommissioned"], ["consumed"]]
    assert docs[1]["anomaly_details"]["consumed"] == f"{child} was consumed by {parent}"


def test_impossible_travel_between_sites(world: World) -> None:
    """Toledo to Silao is about 2,850 km: one hour apart is impossible, four days apart is a truck."""
    h = world.h
    part = world.commission(T1, "S1")[0]
    t = h.now
    h.submit(world.station(T1), "RecordScan", world.scan(T1, part, at=t))
    h.advance(hours=2)
    doc = h.submit(world.station(OEM), "RecordScan", world.scan(OEM, part, at=t + dt.timedelta(hours=1)))
    assert doc["anomalies"] == ["impossible_travel", "not_in_custody"]
    assert doc["anomaly_details"]["impossible_travel"] == (
        f"{part} read at OemMSP/silao and at TierOneMSP/toledo 2,849 km apart within 1.00 h (2,849 km/h); "
        "faster than 1,000 km/h"
    )
    h.advance(days=5)
    later = h.submit(world.station(T1), "RecordScan", world.scan(T1, part, at=t + dt.timedelta(days=4)))
    assert later["anomalies"] == []


def test_same_site_never_flags_travel(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    t = world.h.now
    docs = world.h.submit(
        world.station(T1),
        "RecordScans",
        [world.scan(T1, part, at=t), world.scan(T1, part, at=t + dt.timedelta(seconds=1))],
    )
    assert [d["anomalies"] for d in docs] == [[], []]


def test_travel_checked_within_one_batch(world: World) -> None:
    """A transaction never reads its own writes, so the batch must remember where it saw each part."""
    part = world.commission(T1, "S1")[0]
    h = world.h
    h.submit(
        world.admin(T1),
        "RegisterSite",
        {
            "site_id": "far",
            "name": "Far",
            "address": "a",
            "country": "MX",
            "lat": "20.9431",
            "lon": "-101.4270",
        },
    )
    h.submit(
        world.admin(T1),
        "RegisterStation",
        {"station_id": "st-far", "site_id": "far", "read_point": "urn:rp:far"},
    )
    far = make_member(T1, "far", "station", station="st-far")
    t = h.now
    scans = [
        {
            "uid": part,
            "station_id": "st-far",
            "event_time": (t + dt.timedelta(minutes=m)).isoformat(),
            "event_hash": event_hash(part, str(m)),
        }
        for m in (0, 1)
    ]
    h.submit(world.station(T1), "RecordScan", world.scan(T1, part, at=t - dt.timedelta(minutes=30)))
    docs = h.submit(far, "RecordScans", scans)
    assert [d["anomalies"] for d in docs] == [["impossible_travel"], []]


def test_clock_skew_is_flagged(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    doc = world.h.submit(world.station(T1), "RecordScan", world.scan(T1, part, at=world.h.now + dt.timedelta(hours=1)))
    assert doc["anomalies"] == ["clock_skew"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"event_hash": "ni:///sha-256;XYZ?ver=CBV2.0"},
            "scan event_hash 'ni:///sha-256;XYZ?ver=CBV2.0' is not an EPCIS event hash ni:///sha-256;<64 hex>?ver=CBV2.0",
        ),
        ({"biz_step": "welding"}, "bizStep 'welding' is neither a CBV 2.0 business step nor an absolute URI"),
        (
            {"disposition": "broken"},
            "disposition 'broken' is neither a CBV 2.0 disposition nor an absolute URI",
        ),
        ({"event_time": "yesterday"}, "scan event_time 'yesterday' is not an RFC 3339 date-time"),
        ({"uid": ""}, "scan uid '' must not be blank"),
        ({"extra": 1}, "scan has unknown field 'extra'"),
    ],
)
def test_scan_validation(world: World, change: dict, message: str) -> None:
    part = world.commission(T1, "S1")[0]
    err = world.h.error(world.station(T1), "RecordScan", {**world.scan(T1, part), **change})
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_batch_errors_name_the_item_and_refuse_everything(world: World) -> None:
    part = world.commission(T1, "S1")[0]
    good = world.scan(T1, part)
    err = world.h.error(world.station(T1), "RecordScans", [good, {**good, "event_time": "2026-13-01T00:00:00Z"}])
    assert err.message == "scans[1] event_time '2026-13-01T00:00:00Z' is not an RFC 3339 date-time"
    err = world.h.error(world.station(T1), "RecordScans", [good] * 5001)
    assert err.message == "scans has 5001 items, at most 5000 allowed"


def test_station_of_deleted_site_setup_is_refused(world: World) -> None:
    err = world.h.error(make_member(T2, "s", "station", station="st-none"), "RecordScans", [world.scan(T2, "urn:a:b")])
    assert isinstance(err, NotFound)
    assert err.message == "station st-none of CastCoMSP is not registered"


def test_consumed_part_scanned_at_the_next_tier_is_not_a_custody_anomaly(world: World) -> None:
    h = world.h
    child, parent = world.commission(T1, "CHILD", "PARENT")
    h.submit(
        world.admin(T1),
        "Assemble",
        {
            "parent_uid": parent,
            "child_uids": [child],
            "event_hash": event_hash("asm"),
            "event_time": "2026-03-02T12:00:00Z",
        },
    )
    world.ship(T1, OEM, "ASN-9", [parent])
    world.receive(T1, OEM, "ASN-9", [parent])
    h.advance(days=5)
    docs = h.submit(world.station(OEM), "RecordScans", [world.scan(OEM, parent), world.scan(OEM, child)])
    assert [d["anomalies"] for d in docs] == [[], ["consumed"]]


def test_batch_answer_is_canonical_json_of_the_stored_scans(world: World) -> None:
    """RecordScans splices "duplicate" into the stored bytes; the answer must be what encoding would give."""
    from ledger.canonical import canonical_json

    parts = world.commission(T1, "S1", "S2")
    first = world.scan(T1, parts[0])
    world.h.submit(world.station(T1), "RecordScan", first)
    scans = [first, world.scan(T1, parts[1]), world.scan(T1, uid(T1, "NEVER"))]
    resp, stub = world.h.invoke(world.station(T1), "RecordScans", json.dumps(scans))
    docs = json.loads(resp.payload)
    assert resp.payload == canonical_json(docs)
    assert [d["duplicate"] for d in docs] == [True, False, False]
    for doc in docs[1:]:
        stored = json.loads(stub.rwset.writes[stub.create_composite_key("scan", [doc["uid"], doc["event_hash"]])])
        assert {**stored, "duplicate": False} == doc


class _ShimLikeStub:
    """The embedded stub without the batch read, as fabric-chaincode-python 2.5.4 offers it on a Fabric peer."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        if name == "get_multiple_states":
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_batch_read_and_key_by_key_reads_give_the_same_result_and_read_set(world: World) -> None:
    parts = world.commission(T1, "S1", "S2", "S3")
    scans = [world.scan(T1, p) for p in parts]
    world.h.submit(world.station(T1), "RecordScan", scans[0])
    world.h.advance(minutes=5)
    batch = json.dumps([*scans, scans[1], scans[2]])
    batched = world.h.stub(world.station(T1), "RecordScans", batch)
    one_by_one = world.h.stub(world.station(T1), "RecordScans", batch)
    one_by_one.tx_id = batched.tx_id
    first = world.h.loop.run_until_complete(world.h.cc.invoke(batched))
    second = world.h.loop.run_until_complete(world.h.cc.invoke(_ShimLikeStub(one_by_one)))
    assert first.status == second.status == 200
    assert first.payload == second.payload
    assert batched.rwset.reads == one_by_one.rwset.reads
    assert batched.rwset.writes == one_by_one.rwset.writes
    assert [d["duplicate"] for d in json.loads(first.payload)] == [True, False, False, True, True]
