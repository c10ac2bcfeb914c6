"""Fixtures for the certification-side API tests: part types on the test network and certification bodies.

``ready(api_server)`` takes the real-server fixture (tests/api/conftest.py) and has the supplier, Tier-1 and
OEM register one part type each, signed by their own admins through the ledger client. ``cert_body`` builds a POST body whose
private cost breakdown supports its RVC claim (NC method: (280 - 80) / 280 = 71.43 %).
"""

from __future__ import annotations

from typing import Any

import httpx

from ledger.client import LedgerClient
from ledger.connect import connect
from tests.api.conftest import ApiServer
from tests.helpers import day

OEM, TIER1, SUPPLIER, AUDIT = "OemMSP", "Tier1MSP", "SupplierMSP", "AuditMSP"
CAST = "SupplierMSP:CAST-1"
TRANS = "Tier1MSP:TRANS-1"
ENGINE = "OemMSP:ENG-1"
#: A blanket period around today, so certifications are valid whenever the tests run.
BLANKET = {"kind": "blanket", "from": day(-30), "to": day(300)}
BREAKDOWN = {"total_cost": "280.00", "vnm": "80.00", "originating_materials": "120.00", "labor": "55.25"}

PART_TYPES = {
    SUPPLIER: {"part_number": "CAST-1", "description": "Transmission case casting", "hs_code": "8708.40"},
    TIER1: {"part_number": "TRANS-1", "description": "8-speed transmission", "hs_code": "8708.40"},
    OEM: {"part_number": "ENG-1", "description": "1.5 L engine", "hs_code": "8407.34"},
}


def register_part_types(home: Any) -> None:
    """Each producer's admin registers its part type."""
    for msp, doc in PART_TYPES.items():
        LedgerClient(connect(home, msp, "admin")).register_part_type({**doc, "usmca_category": "other", "unit": "EA"})


def cert_body(part_type: str = CAST, **change: Any) -> dict[str, Any]:
    """A POST /v1/certifications body (``...`` removes a field)."""
    body: dict[str, Any] = {
        "part_type": part_type,
        "scope": BLANKET,
        "origin_criterion": "B",
        "method": "NC",
        "rvc": "71.4",
        "originating": True,
        "non_originating_share": "28.6",
        "upstream": [],
        "customers": [TIER1],
        "cost_breakdown": dict(BREAKDOWN),
    }
    body.update(change)
    return {k: v for k, v in body.items() if v is not ...}


def post_cert(api: ApiServer, org: str, body: dict[str, Any], member: str = "certifier") -> dict[str, Any]:
    """Submit a certification and return the 201 answer (fails the test otherwise)."""
    resp = api.client(org, member).post("/v1/certifications", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def chain(api: ApiServer) -> dict[str, str]:
    """Supplier certifies the casting for Tier-1; Tier-1 certifies the transmission for the OEM relying on it."""
    cast = post_cert(api, SUPPLIER, cert_body(CAST, cert_id="C-CAST"))
    trans_breakdown = {"total_cost": "1900", "vnm": "450", "originating_materials": "980"}
    trans = post_cert(
        api,
        TIER1,
        cert_body(
            TRANS,
            cert_id="C-TRANS",
            upstream=["C-CAST"],
            customers=[OEM],
            rvc="76.3",
            non_originating_share="23.7",
            cost_breakdown=trans_breakdown,
        ),
    )
    return {"cast": cast["certification"]["cert_id"], "trans": trans["certification"]["cert_id"]}


def problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of a refused request (fails the test on another status or media type)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    return resp.json()


def ready(api: ApiServer) -> ApiServer:
    """The real-server fixture with the three producers' part types registered (call first in each test)."""
    register_part_types(api.home)
    return api
