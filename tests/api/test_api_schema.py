"""Schemathesis against the real server's /openapi.json for the supply-chain and EPCIS routes.

Bounded (20 positive and 5 negative examples per operation, derandomized): no 5xx, every status, content type
and body as documented. Station-only scan routes are called as a station, the rest as the supplier's admin (who
may call every other route).
"""

from __future__ import annotations

from schemathesis import GenerationMode

from tests.api.conftest import ApiServer, commission, register_part_type
from tests.api.schema_checks import check_operations

OURS = r"^/(v1/(orgs|part-types|parts|anomalies|scans|assemblies|shipments|containment)|epcis/)"


def test_routes_conform_to_their_schema(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", range(2))
    count, failures = check_operations(
        api_server.base_url,
        OURS,
        lambda op: api_server.headers("SupplierMSP", "station1" if op.path.startswith("/v1/scans") else "admin"),
        runs=((GenerationMode.POSITIVE, 20), (GenerationMode.NEGATIVE, 5)),
    )
    assert count >= 25
    assert failures == {}
