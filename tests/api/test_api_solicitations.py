"""/v1/certification-requests through a real server: request, supplier inbox, answer, overdue, lapse, cancel."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from tests.api.certs_fixtures import (
    AUDIT,
    CAST,
    OEM,
    SUPPLIER,
    TIER1,
    TRANS,
    cert_body,
    post_cert,
    problem,
    ready,
)
from tests.api.conftest import ApiServer
from tests.helpers import day

DUE = day(45)


def ask(api: ApiServer, **change: Any) -> dict[str, Any]:
    body = {"request_id": "RQ-1", "supplier_msp": SUPPLIER, "part_type": CAST, "due_date": DUE, **change}
    resp = api.client(TIER1, "compliance").post("/v1/certification-requests", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def inbox(api: ApiServer, who: str, member: str, **params: str) -> list[tuple[str, str]]:
    resp = api.client(who, member).get("/v1/certification-requests", params=params)
    assert resp.status_code == 200, resp.text
    return [(r["request_id"], r["status"]["status"]) for r in resp.json()["requests"]]


def test_request_answer_flow(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    made = ask(certs_api, note="model year 2027")
    assert made["status"]["status"] == "open"
    assert made["due_at"] == f"{DUE}T23:59:59.999Z"
    assert inbox(certs_api, SUPPLIER, "certifier", side="supplier") == [("RQ-1", "open")]
    assert inbox(certs_api, SUPPLIER, "certifier", side="requester") == []
    assert inbox(certs_api, TIER1, "admin") == [("RQ-1", "open")]
    assert inbox(certs_api, OEM, "compliance") == []
    problem(certs_api.client(OEM, "compliance").get("/v1/certification-requests/RQ-1"), 404)
    assert certs_api.client(AUDIT, "auditor").get("/v1/certification-requests/RQ-1").json()["requester_msp"] == TIER1
    assert inbox(certs_api, AUDIT, "auditor", org=SUPPLIER) == [("RQ-1", "open")]
    post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-CAST"))
    answered = certs_api.client(SUPPLIER, "certifier").post(
        "/v1/certification-requests/RQ-1/answer", json={"cert_id": "C-CAST"}
    )
    assert answered.status_code == 200, answered.text
    status = answered.json()["status"]
    assert status["status"] == "answered"
    assert status["certification"]["cert_id"] == "C-CAST"
    assert inbox(certs_api, TIER1, "compliance", status="answered") == [("RQ-1", "answered")]
    assert inbox(certs_api, TIER1, "compliance", status="open") == []
    certs_api.client(SUPPLIER, "certifier").post("/v1/certifications/C-CAST/revoke", json={"reason": "recalled"})
    assert inbox(certs_api, TIER1, "compliance") == [("RQ-1", "lapsed")]


def test_request_turns_overdue(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    # Far enough ahead that a loaded machine still records the request before it is due.
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    made = ask(certs_api, due_date=None, due_at=due.isoformat())
    assert made["status"]["status"] == "open"
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)
    got = certs_api.client(SUPPLIER, "admin").get("/v1/certification-requests/RQ-1").json()
    assert got["status"]["status"] == "overdue"
    assert got["status"]["reason"].endswith("not answered (0 days late)")
    assert inbox(certs_api, SUPPLIER, "compliance", status="overdue") == [("RQ-1", "overdue")]


def test_cancel_then_answer_is_refused(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    ask(certs_api)
    refused = problem(
        certs_api.client(SUPPLIER, "admin").post("/v1/certification-requests/RQ-1/cancel", json={"reason": "x"}), 403
    )
    assert refused["detail"] == "SupplierMSP may not cancel certification request RQ-1: it was made by Tier1MSP"
    done = certs_api.client(TIER1, "admin").post("/v1/certification-requests/RQ-1/cancel", json={"reason": "resourced"})
    assert done.json()["status"]["status"] == "cancelled"
    post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-CAST"))
    body = problem(
        certs_api.client(SUPPLIER, "certifier").post(
            "/v1/certification-requests/RQ-1/answer", json={"cert_id": "C-CAST"}
        ),
        409,
    )
    assert body["detail"].startswith("certification request RQ-1 was cancelled at ")


#: (body change, status, detail start) of requests the chaincode refuses.
BAD_REQUESTS: list[tuple[dict[str, Any], int, str]] = [
    ({"part_type": TRANS}, 422, "part type Tier1MSP:TRANS-1 is produced by Tier1MSP, not SupplierMSP"),
    ({"supplier_msp": "GhostMSP"}, 404, "organization GhostMSP is not registered (RegisterOrg first)"),
    ({"due_date": "2020-01-01"}, 422, "certification request due 2020-01-01 is not after the request time "),
    ({"due_date": "2026-13-01"}, 422, "certification request due_date '2026-13-01' is not a valid date "),
    ({"due_date": None}, 422,
     "certification request needs exactly one of 'due_date' (YYYY-MM-DD) or 'due_at' (RFC 3339)"),
]  # fmt: skip


def test_bad_requests_name_the_value(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    for change, status, detail in BAD_REQUESTS:
        body = {"request_id": "RQ-1", "supplier_msp": SUPPLIER, "part_type": CAST, "due_date": DUE, **change}
        out = problem(certs_api.client(TIER1, "compliance").post("/v1/certification-requests", json=body), status)
        assert out["detail"].startswith(detail)
    assert inbox(certs_api, TIER1, "compliance") == []


def test_answer_needs_a_certification_addressed_to_the_requester(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    ask(certs_api)
    post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-OEM", customers=[OEM]))
    out = problem(
        certs_api.client(SUPPLIER, "certifier").post(
            "/v1/certification-requests/RQ-1/answer", json={"cert_id": "C-OEM"}
        ),
        422,
    )
    assert out["detail"] == "certification C-OEM is not addressed to Tier1MSP (customers: OemMSP)"
    assert out["value"] == "C-OEM"
    second = problem(
        certs_api.client(TIER1, "compliance").post(
            "/v1/certification-requests",
            json={"request_id": "RQ-2", "supplier_msp": SUPPLIER, "part_type": CAST, "due_date": DUE},
        ),
        409,
    )
    assert (
        second["detail"] == "Tier1MSP already has open certification request RQ-1 to SupplierMSP for part type " + CAST
    )
