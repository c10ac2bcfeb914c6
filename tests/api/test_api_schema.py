"""Schemathesis against the real server's /openapi.json for the supply-chain and EPCIS routes.

Bounded (20 positive examples per operation): no 5xx, every status and body as documented. Station-only scan
routes are called as a station, the rest as the supplier's admin (who may call every other route).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import ApiServer, commission, register_part_type

OURS = r"^/(v1/(orgs|part-types|parts|anomalies|scans|assemblies|shipments|containment)|epcis/)"


@pytest.fixture
def api_schema(api_server: ApiServer) -> schemathesis.BaseSchema:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", range(2))
    schema = schemathesis.openapi.from_url(f"{api_server.base_url}/openapi.json")
    schema.app_server = api_server  # type: ignore[attr-defined]
    return schema.include(path_regex=OURS)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_routes_conform_to_their_schema(case: schemathesis.Case) -> None:
    server: ApiServer = case.operation.schema.app_server  # type: ignore[attr-defined]
    member = "station1" if case.operation.path.startswith("/v1/scans") else "admin"
    case.call_and_validate(headers=server.headers("SupplierMSP", member), timeout=60)
