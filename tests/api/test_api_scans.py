"""POST /v1/scans and /v1/scans/batch through a real server: flags, idempotency, computed hashes, limits."""

from __future__ import annotations

import threading

import httpx
import pytest

from scanner.epcis import ObjectEvent
from tests.api.conftest import ApiServer, commission, path_uid, register_part_type, uid

T0 = "2026-03-02T12:00:00.000-05:00"


@pytest.fixture
def chain(api_server: ApiServer) -> ApiServer:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", range(3))
    return api_server


def test_single_scan_is_recorded_with_the_hash_of_its_object_event(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    r = station.post("/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": T0, "disposition": "in_progress"})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = ObjectEvent(
        event_time=T0,
        action="OBSERVE",
        epc_list=(uid("SupplierMSP", 0),),
        biz_step="inspecting",
        disposition="in_progress",
        read_point="urn:usmca:readpoint:SupplierMSP:sup-st1",
    ).hash_id()
    assert body["event_hash"] == expected
    assert (body["duplicate"], body["anomalies"], body["station_id"], body["site_id"]) == (
        False,
        [],
        "sup-st1",
        "supplier-plant",
    )
    again = station.post(
        "/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": T0, "disposition": "in_progress"}
    )
    assert again.json()["duplicate"] is True
    assert again.json()["tx_id"] == body["tx_id"]


def test_batch_reports_each_scan_with_flags_and_duplicates(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    scans = [
        {"uid": uid("SupplierMSP", 0), "event_time": T0},
        {"uid": uid("SupplierMSP", 1), "event_time": T0, "biz_step": "packing"},
        {"uid": "urn:usmca:part:SupplierMSP:CAST-1:9999", "event_time": T0},
    ]
    r = station.post("/v1/scans/batch", json={"scans": scans})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["new"], out["duplicates"], out["flagged"]) == (3, 0, 1)
    assert [x["uid"] for x in out["results"]] == [s["uid"] for s in scans]
    assert out["results"][1]["biz_step"] == "packing"
    assert out["results"][2]["anomalies"] == ["unknown_part"]
    assert "never commissioned" in out["results"][2]["anomaly_details"]["unknown_part"]
    replay = station.post("/v1/scans/batch", json={"scans": [*scans, {"uid": uid("SupplierMSP", 2), "event_time": T0}]})
    out2 = replay.json()
    assert (out2["new"], out2["duplicates"]) == (1, 3)
    assert [x["duplicate"] for x in out2["results"]] == [True, True, True, False]


def test_scan_of_a_part_held_by_another_org_is_flagged(chain: ApiServer) -> None:
    r = chain.client("Tier1MSP", "station1").post("/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": T0})
    assert r.status_code == 200
    assert r.json()["anomalies"] == ["not_in_custody"]


def test_explicit_event_hash_is_the_idempotency_key(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    h = "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0"
    first = station.post("/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": T0, "event_hash": h})
    assert first.json()["event_hash"] == h
    later = station.post(
        "/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": "2026-03-02T13:00:00Z", "event_hash": h}
    )
    assert later.json()["duplicate"] is True
    assert later.json()["event_time"] == "2026-03-02T17:00:00.000Z"


BAD_SCANS = [
    (
        {"uid": "urn:x:1", "event_time": "yesterday"},
        422,
        "scan.event_time 'yesterday' is not an ISO 8601 date-time",
    ),
    ({"uid": "urn:x:1", "event_time": T0, "event_hash": "sha:1"}, 422, "event_hash: String should match pattern"),
    ({"uid": "urn:x:1", "event_time": T0, "color": "red"}, 422, "color: Extra inputs are not permitted"),
    ({"uid": "not a uri", "event_time": T0}, 422, "not a uri"),
    ({"uid": "urn:x:1", "event_time": T0, "station_id": "t1-st1"}, 403, "may not record scans as station t1-st1"),
    ({"uid": "urn:x:1", "event_time": T0, "read_point": "urn:elsewhere"}, 422, "is not the read point"),
]


def test_bad_scans_are_refused_with_the_value(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    for payload, status, detail in BAD_SCANS:
        r = station.post("/v1/scans", json=payload)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert detail in r.json()["detail"]


def test_batch_errors_name_the_item_and_record_nothing(chain: ApiServer) -> None:
    station = chain.client("SupplierMSP", "station1")
    scans = [{"uid": uid("SupplierMSP", 0), "event_time": T0}, {"uid": uid("SupplierMSP", 1), "event_time": "noon"}]
    r = station.post("/v1/scans/batch", json={"scans": scans})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("scans[1].event_time 'noon'")
    first = station.post("/v1/scans", json=scans[0]).json()
    assert first["duplicate"] is False


def test_batch_over_the_limit_is_413(chain: ApiServer) -> None:
    scans = [{"uid": f"urn:x:{i}", "event_time": T0} for i in range(5001)]
    r = chain.client("SupplierMSP", "station1").post("/v1/scans/batch", json={"scans": scans})
    assert r.status_code == 413
    assert r.json()["detail"] == "batch of 5001 scans exceeds the limit of 5000"


def test_empty_batch_is_422(chain: ApiServer) -> None:
    r = chain.client("SupplierMSP", "station1").post("/v1/scans/batch", json={"scans": []})
    assert r.status_code == 422


def test_only_stations_scan(chain: ApiServer) -> None:
    for org, member in [("SupplierMSP", "admin"), ("AuditMSP", "auditor"), ("OemMSP", "compliance")]:
        r = chain.client(org, member).post("/v1/scans", json={"uid": uid("SupplierMSP", 0), "event_time": T0})
        assert r.status_code == 403
        assert r.json()["detail"].endswith("needs station")


def test_missing_or_revoked_credential_is_401(chain: ApiServer) -> None:
    r = chain.client().post("/v1/scans/batch", json={"scans": []})
    assert r.status_code == 401
    r = chain.client().post("/v1/scans", json={}, headers={"Authorization": "Bearer usm_nope"})
    assert (r.status_code, r.json()["detail"]) == (401, "unknown or revoked credential")


def test_concurrent_single_scans_each_get_their_own_answer(chain: ApiServer) -> None:
    station_headers = chain.headers("SupplierMSP", "station1")
    payloads = [
        {"uid": uid("SupplierMSP", n % 3), "event_time": f"2026-03-02T12:00:{n:02d}.000-05:00"} for n in range(12)
    ]
    payloads.append({"uid": uid("SupplierMSP", 0), "event_time": T0, "read_point": "urn:elsewhere"})
    answers: dict[int, httpx.Response] = {}

    def post(i: int) -> None:
        with httpx.Client(base_url=chain.base_url, headers=station_headers, timeout=60) as c:
            answers[i] = c.post("/v1/scans", json=payloads[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [answers[i].status_code for i in range(12)] == [200] * 12
    assert answers[12].status_code == 422
    assert "is not the read point" in answers[12].json()["detail"]
    assert [answers[i].json()["uid"] for i in range(12)] == [p["uid"] for p in payloads[:12]]
    assert len({answers[i].json()["event_hash"] for i in range(12)}) == 12
    detail = chain.client("SupplierMSP", "admin").get(f"/v1/parts/{path_uid(uid('SupplierMSP', 0))}").json()
    assert len(detail["scans"]) == 4
