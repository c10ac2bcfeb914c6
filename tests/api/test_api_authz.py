"""Authorization matrix: every member of every org against every supply-chain and EPCIS route, through one server.

Each route has a probe request and a rule giving the status each (org, role) must get. Probes for routes a role may
use carry a body that fails validation (422) or name something missing (404), so the matrix checks who gets past
authorization without writing; PUTs of registry records use real bodies because the own-org rule is checked on
the record. Unauthenticated calls must get 401 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from tests.api.conftest import MEMBERS, ApiServer, commission, path_uid, register_part_type, uid

Rule = Callable[[str, str], int]
P0 = uid("SupplierMSP", 0)
ORG_BODY = {"legal_name": "Castings Test Ltd", "tier": "tier2", "country": "CA", "address": "1 Industrial Way, Windsor",
            "gs1_prefixes": ["0628000"], "duns": "345678912"}  # fmt: skip
SITE_BODY = {"name": "Castings Test Ltd plant", "address": "1 Industrial Way, Windsor", "country": "CA",
             "lat": "42.310000", "lon": "-83.040000"}  # fmt: skip
STATION_BODY = {"site_id": "supplier-plant", "read_point": "urn:usmca:readpoint:SupplierMSP:sup-st1",
                "name": "station1"}  # fmt: skip


def anyone(status: int) -> Rule:
    return lambda org, role: status


def roles(allowed: set[str], ok: int) -> Rule:
    return lambda org, role: ok if role in allowed else 403


def own_admin(org_id: str) -> Rule:
    return lambda org, role: 200 if (org, role) == (org_id, "admin") else 403


def sees_p0(org: str, role: str) -> int:
    return 200 if org in ("SupplierMSP", "AuditMSP") else 404


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    rule: Rule
    json: Any = None
    params: dict[str, str] | None = None


STATION, PRODUCER = {"station"}, {"station", "admin"}
INSPECTOR = {"auditor", "compliance", "admin"}
PROBES = [
    Probe("GET", "/v1/orgs", anyone(200)),
    Probe("GET", "/v1/orgs/OemMSP", anyone(200)),
    Probe("GET", "/v1/orgs/OemMSP/sites", anyone(200)),
    Probe("GET", "/v1/orgs/OemMSP/sites/oem-plant", anyone(200)),
    Probe("GET", "/v1/orgs/OemMSP/stations", anyone(200)),
    Probe("PUT", "/v1/orgs/SupplierMSP", own_admin("SupplierMSP"), ORG_BODY),
    Probe("PUT", "/v1/orgs/SupplierMSP/sites/supplier-plant", own_admin("SupplierMSP"), SITE_BODY),
    Probe("PUT", "/v1/orgs/SupplierMSP/stations/sup-st1", own_admin("SupplierMSP"), STATION_BODY),
    Probe("GET", "/v1/part-types", anyone(200)),
    Probe("GET", "/v1/part-types/SupplierMSP:CAST-1", anyone(200)),
    Probe("GET", "/v1/part-types/by-gtin/00628000000013", anyone(200)),
    Probe("POST", "/v1/part-types", roles({"admin"}, 422), {}),
    Probe("POST", "/v1/parts", roles(PRODUCER, 422), {}),
    Probe("POST", "/v1/parts/batch", roles(PRODUCER, 422), {}),
    Probe("GET", "/v1/parts", anyone(200), params={"lot": "L1"}),
    Probe("GET", f"/v1/parts/{path_uid(P0)}", sees_p0),
    Probe("GET", f"/v1/parts/{path_uid(P0)}/tree", sees_p0),
    Probe("GET", f"/v1/parts/{path_uid(P0)}/where-used", sees_p0),
    Probe("POST", f"/v1/parts/{path_uid(P0)}/decommission", roles(PRODUCER, 422), {}),
    Probe("GET", "/v1/anomalies", roles(INSPECTOR, 200)),
    Probe("POST", "/v1/scans", roles(STATION, 422), {}),
    Probe("POST", "/v1/scans/batch", roles(STATION, 422), {}),
    Probe("POST", "/v1/assemblies", roles(PRODUCER, 422), {}),
    Probe("POST", "/v1/shipments", roles(PRODUCER, 422), {}),
    Probe("GET", "/v1/shipments", anyone(200)),
    Probe("POST", "/v1/shipments/SupplierMSP/ASN-0/receipt", roles(PRODUCER, 422), {}),
    Probe("POST", "/v1/shipments/ASN-0/cancel", roles(PRODUCER, 422), {}),
    Probe("GET", "/v1/shipments/SupplierMSP/ASN-0", anyone(404)),
    Probe("GET", "/v1/containment", roles(INSPECTOR, 200), params={"lot": "L1"}),
    Probe("POST", "/epcis/capture", roles(PRODUCER, 422), {}),
    Probe("GET", "/epcis/events", anyone(200)),
    Probe("GET", "/epcis/events/urn%3Auuid%3Anone", anyone(404)),
]


def test_every_route_has_a_probe() -> None:
    from starlette.routing import Match

    from api.routes import containment, custody, epcis, orgs, parts, parttypes, scans

    routes = [r for mod in (orgs, parttypes, parts, scans, custody, containment, epcis) for r in mod.router.routes]
    covered = set()
    for probe in PROBES:
        scope = {"type": "http", "path": unquote(probe.path), "method": probe.method}
        first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
        covered.add(id(first))
    assert [f"{r.methods} {r.path}" for r in routes if id(r) not in covered] == []


def test_authorization_matrix(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", [0])
    clients = {m: api_server.client(*m) for m in MEMBERS}
    anonymous = api_server.client()
    wrong: list[str] = []
    for probe in PROBES:
        r = anonymous.request(probe.method, probe.path, json=probe.json, params=probe.params)
        if r.status_code != 401:
            wrong.append(f"anonymous {probe.method} {probe.path}: {r.status_code}")
        for (org, member), client in clients.items():
            role = api_server.roles[(org, member)]
            expected = probe.rule(org, role)
            r = client.request(probe.method, probe.path, json=probe.json, params=probe.params)
            if r.status_code != expected:
                wrong.append(
                    f"{org}/{member} ({role}) {probe.method} {probe.path}: {r.status_code}, expected {expected}"
                )
            elif r.status_code >= 400:
                assert r.headers["content-type"] == "application/problem+json"
    assert wrong == []
