"""Authorization matrix of the certification-side routes: every member of every org, allowed or refused as designed.

One server per test; the routes are exercised in an order where earlier calls cannot change a later answer
(mutating calls by allowed members act on records of their own). Every mismatch is collected and reported
together as ``route: org/member expected X got Y (detail)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.private.store import PrivateStore
from ledger.client import LedgerClient
from ledger.connect import connect
from tests.api.certs_fixtures import (
    AUDIT,
    CAST,
    ENGINE,
    OEM,
    SUPPLIER,
    TIER1,
    TRANS,
    cert_body,
    chain,
    post_cert,
    ready,
)
from tests.api.conftest import MEMBERS, ApiServer

OWN_TYPE = {SUPPLIER: CAST, TIER1: TRANS, OEM: ENGINE, AUDIT: CAST}
PRIVATE_ROLES = {"certifier", "admin", "compliance"}
#: Producer figures (steel, aluminum, LVC of the org's model lines): compliance and admin only.
FIGURE_ROLES = {"admin", "compliance"}
VEHICLE = "OemMSP:SEDAN-1"
#: Whom each requester member asks for what in the request-creation row (no two rows collide).
ASKS = {
    (TIER1, "admin"): (SUPPLIER, CAST),
    (TIER1, "compliance"): (OEM, ENGINE),
    (OEM, "admin"): (TIER1, TRANS),
    (OEM, "compliance"): (SUPPLIER, CAST),
    (SUPPLIER, "admin"): (TIER1, TRANS),
    (SUPPLIER, "compliance"): (OEM, ENGINE),
    (AUDIT, "admin"): (SUPPLIER, CAST),
}
DUE = "2099-12-31"
#: Made by the request-creation row of the write matrix (Tier-1's admin asks the supplier for the casting).
RQ_T1_ADMIN = f"RQ-{TIER1}-admin"


@dataclass(frozen=True)
class Row:
    """One route: how each member calls it and what each member must get."""

    name: str
    method: str
    path: Callable[[str, str], str]
    expect: Callable[[str, str, str], int]
    body: Callable[[str, str], Any] | None = None


def role_of(org: str, member: str) -> str:
    return {"station1": "station"}.get(member, member)


def sees_cast(org: str, role: str) -> bool:
    """C-CAST: issued by the supplier, addressed to Tier-1, upstream of C-TRANS (addressed to the OEM)."""
    return org in (SUPPLIER, TIER1, OEM) or role == "auditor"


def private(org: str, role: str, _m: str, *, ok: int = 200) -> int:
    return ok if role in PRIVATE_ROLES else 403


def figures(org: str, role: str, _m: str) -> int:
    return 200 if role in FIGURE_ROLES else 403


def own_figures(org: str, role: str, _m: str, *, other: int = 404) -> int:
    """Only the OEM holds (or may set) figures of its model line; other orgs' keepers get ``other``."""
    return 403 if role not in FIGURE_ROLES else 200 if org == OEM else other


READS = [
    Row("list certifications", "GET", lambda o, m: "/v1/certifications", lambda o, r, m: 200),
    Row("get certification", "GET", lambda o, m: "/v1/certifications/C-CAST",
        lambda o, r, m: 200 if sees_cast(o, r) else 404),
    Row("lineage", "GET", lambda o, m: "/v1/certifications/C-CAST/lineage",
        lambda o, r, m: 200 if sees_cast(o, r) else 404),
    Row("export opening", "GET", lambda o, m: "/v1/certifications/C-CAST/opening",
        lambda o, r, m: 403 if r not in PRIVATE_ROLES else 200 if o == SUPPLIER else 404),
    Row("get prices", "GET", lambda o, m: "/v1/private/prices", private),
    Row("list breakdowns", "GET", lambda o, m: "/v1/private/breakdowns", private),
    Row("get breakdown", "GET", lambda o, m: "/v1/private/breakdowns/C-CAST",
        lambda o, r, m: 403 if r not in PRIVATE_ROLES else 200 if o == SUPPLIER else 404),
    Row("list producer figures", "GET", lambda o, m: "/v1/private/producer-figures", figures),
    Row("get producer figures", "GET", lambda o, m: f"/v1/private/producer-figures/{VEHICLE}", own_figures),
    Row("list requests", "GET", lambda o, m: "/v1/certification-requests",
        lambda o, r, m: 403 if r == "station" else 200),
    Row("get request", "GET", lambda o, m: "/v1/certification-requests/RQ-1",
        lambda o, r, m: 403 if r == "station" else 200 if o in (TIER1, SUPPLIER) or r == "auditor" else 404),
]  # fmt: skip


def opening_body(api: ApiServer) -> dict[str, Any]:
    return api.client(SUPPLIER, "compliance").get("/v1/certifications/C-CAST/opening").json()


def register_vehicle(api: ApiServer) -> None:
    """The OEM's sedan (HS 8703.23), the model line producer figures are set for."""
    body = {"part_number": "SEDAN-1", "description": "Compact sedan", "hs_code": "8703.23", "usmca_category": "other"}
    LedgerClient(connect(api.home, OEM, "admin")).register_part_type({**body, "unit": "EA"})


def setup(api: ApiServer) -> None:
    """The casting chain, Tier-1's requests to the supplier (RQ-1) and the OEM (RQ-2), the OEM's sedan figures."""
    chain(api)
    PrivateStore(api.home, OEM).set_producer_figures(VEHICLE, lvc={"material_manufacturing": "30"})
    resp = api.client(TIER1, "compliance").post(
        "/v1/certification-requests",
        json={"request_id": "RQ-1", "supplier_msp": SUPPLIER, "part_type": CAST, "due_date": DUE},
    )
    assert resp.status_code == 201, resp.text
    resp = api.client(TIER1, "admin").post(
        "/v1/certification-requests",
        json={"request_id": "RQ-2", "supplier_msp": OEM, "part_type": ENGINE, "due_date": DUE},
    )
    assert resp.status_code == 201, resp.text


def run(api: ApiServer, rows: list[Row]) -> list[str]:
    wrong = []
    for row in rows:
        anonymous = api.client().request(
            row.method, row.path(SUPPLIER, "admin"), json=row.body and row.body(SUPPLIER, "admin")
        )
        if anonymous.status_code != 401:
            wrong.append(f"{row.name}: anonymous expected 401 got {anonymous.status_code}")
        for org, member in MEMBERS:
            role = role_of(org, member)
            want = row.expect(org, role, member)
            body = row.body(org, member) if row.body else None
            resp = api.client(org, member).request(row.method, row.path(org, member), json=body)
            if resp.status_code != want:
                wrong.append(f"{row.name}: {org}/{member} expected {want} got {resp.status_code} ({resp.text[:160]})")
            elif want >= 400:
                assert resp.headers["content-type"].startswith("application/problem+json")
    return wrong


def test_read_routes_matrix(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    setup(certs_api)
    verify = Row("verify opening", "POST", lambda o, m: "/v1/audit/openings/verify",
                 lambda o, r, m: 200 if r == "auditor" else 403, lambda o, m: opening)  # fmt: skip
    opening = opening_body(certs_api)
    assert run(certs_api, [*READS, verify]) == []


def test_write_routes_matrix(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    chain(certs_api)
    register_vehicle(certs_api)
    for org in (OEM, TIER1, SUPPLIER, AUDIT):
        PrivateStore(certs_api.home, org).set_price(TRANS, "1")
    for member in ("certifier", "admin"):
        post_cert(certs_api, SUPPLIER, cert_body(cert_id=f"C-REV-{member}", customers=[TIER1, OEM]))

    def submit_body(org: str, member: str) -> dict[str, Any]:
        customers = [TIER1] if org != TIER1 else [OEM]
        return cert_body(OWN_TYPE[org], cert_id=f"C-NEW-{org}-{member}", customers=customers)

    def revoke_path(org: str, member: str) -> str:
        own = org == SUPPLIER and member in ("certifier", "admin")
        return f"/v1/certifications/{'C-REV-' + member if own else 'C-CAST'}/revoke"

    def revoke_expect(org: str, role: str, member: str) -> int:
        if role not in ("certifier", "admin"):
            return 403
        if org == SUPPLIER:
            return 200
        return 403 if sees_cast(org, role) else 404

    def ask_body(org: str, member: str) -> dict[str, Any]:
        supplier, part_type = ASKS.get((org, member), (SUPPLIER, CAST))
        return {"request_id": f"RQ-{org}-{member}", "supplier_msp": supplier, "part_type": part_type, "due_date": DUE}

    def answer_expect(org: str, role: str, member: str) -> int:
        if role != "certifier":
            return 403
        return {SUPPLIER: 200, TIER1: 403}.get(org, 404)

    def cancel_path(org: str, member: str) -> str:
        own = f"RQ-{TIER1}-compliance" if (org, member) == (TIER1, "compliance") else RQ_T1_ADMIN
        return f"/v1/certification-requests/{own}/cancel"

    def cancel_expect(org: str, role: str, member: str) -> int:
        if role not in ("compliance", "admin"):
            return 403
        if org == TIER1:
            return 200
        return 403 if org == SUPPLIER else 404

    rows = [
        Row("submit certification", "POST", lambda o, m: "/v1/certifications",
            lambda o, r, m: 201 if r == "certifier" else 403, submit_body),
        Row("revoke certification", "POST", revoke_path, revoke_expect, lambda o, m: {"reason": "matrix"}),
        Row("replace prices", "PUT", lambda o, m: "/v1/private/prices", private,
            lambda o, m: {"prices": [{"part_type": TRANS, "unit_price": "2"}, {"part_type": CAST, "unit_price": "3"}]}),
        Row("set one price", "PUT", lambda o, m: f"/v1/private/prices/{CAST}", private, lambda o, m: {"unit_price": "4"}),
        Row("set producer figures", "PUT", lambda o, m: f"/v1/private/producer-figures/{VEHICLE}",
            lambda o, r, m: own_figures(o, r, m, other=422), lambda o, m: {"lvc": {"material_manufacturing": "30"}}),
        Row("request certification", "POST", lambda o, m: "/v1/certification-requests",
            lambda o, r, m: 201 if r in ("compliance", "admin") else 403, ask_body),
        Row("answer request", "POST", lambda o, m: f"/v1/certification-requests/{RQ_T1_ADMIN}/answer", answer_expect,
            lambda o, m: {"cert_id": "C-CAST"}),
        Row("cancel request", "POST", cancel_path, cancel_expect, lambda o, m: {"reason": "matrix"}),
    ]  # fmt: skip
    wrong = run(certs_api, rows[:5])
    # Deleting: the price is set again before each member's call, so every allowed member gets 204.
    for org, member in MEMBERS:
        PrivateStore(certs_api.home, org).set_price(CAST, "5")
        role = role_of(org, member)
        resp = certs_api.client(org, member).delete(f"/v1/private/prices/{CAST}")
        want = 204 if role in PRIVATE_ROLES else 403
        if resp.status_code != want:
            wrong.append(f"delete price: {org}/{member} expected {want} got {resp.status_code}")
        # Each org may forget figures of its own store only (the OEM's sedan, stored again for every member).
        PrivateStore(certs_api.home, org).set_producer_figures(VEHICLE, lvc={"material_manufacturing": "30"})
        resp = certs_api.client(org, member).delete(f"/v1/private/producer-figures/{VEHICLE}")
        want = 204 if role in FIGURE_ROLES else 403
        if resp.status_code != want:
            wrong.append(f"delete producer figures: {org}/{member} expected {want} got {resp.status_code}")
    wrong += run(certs_api, rows[5:])
    assert wrong == []
    revoked = certs_api.client(AUDIT, "auditor").get("/v1/certifications", params={"status": "revoked"}).json()
    assert [c["cert_id"] for c in revoked["certifications"]] == ["C-REV-admin", "C-REV-certifier"]
