"""Schemathesis against the real server's /openapi.json for the supply-chain and EPCIS routes.

Bounded (20 positive and 5 negative examples per operation, derandomized): no 5xx, every status, content type
and body as documented. Station-only scan routes are called as a station, the rest as the supplier's admin (who
may call every other route).
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ApiServer, commission, register_part_type

#: Business rules (check digits, HS chapters, custody) refuse schema-valid data by design, so "positive data
#: acceptance" does not apply; everything about the responses does.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
OURS = r"^/(v1/(orgs|part-types|parts|anomalies|scans|assemblies|shipments|containment)|epcis/)"


def conformance_test(
    operation: schemathesis.APIOperation, headers: dict[str, str], mode: GenerationMode, examples: int
) -> Callable[[], None]:
    """A bounded hypothesis test calling one operation with ``headers`` and checking every response."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    return check


def test_routes_conform_to_their_schema(api_server: ApiServer) -> None:
    register_part_type(api_server, "SupplierMSP")
    commission(api_server, "SupplierMSP", range(2))
    schema = schemathesis.openapi.from_url(f"{api_server.base_url}/openapi.json").include(path_regex=OURS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: dict[str, str] = {}
    for operation in operations:
        member = "station1" if operation.path.startswith("/v1/scans") else "admin"
        for mode, examples in ((GenerationMode.POSITIVE, 20), (GenerationMode.NEGATIVE, 5)):
            try:
                conformance_test(operation, api_server.headers("SupplierMSP", member), mode, examples)()
            except Exception as exc:  # collect every operation's failure, then report them all
                failures[f"{mode.value} {operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    assert failures == {}
