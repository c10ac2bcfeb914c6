"""Schemathesis against the real server's /openapi.json for the certification-side routes.

Bounded (12 positive examples per operation, derandomized): no 5xx, every status, content type and body as
documented. Each operation is called by a member whose role it admits, so the examples reach the business
rules instead of stopping at 403: certifier for submitting and answering, compliance for requests, the auditing
org's auditor for verifying openings, the supplier's admin for the rest.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.certs_fixtures import AUDIT, SUPPLIER, TIER1, cert_body, chain, post_cert, ready
from tests.api.conftest import ApiServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
OURS = r"^/v1/(certifications|private|audit|certification-requests)"


def caller(method: str, path: str) -> tuple[str, str]:
    """The member whose role the operation admits."""
    if path.startswith("/v1/audit"):
        return AUDIT, "auditor"
    if (method, path) == ("POST", "/v1/certifications") or path.endswith("/answer"):
        return SUPPLIER, "certifier"
    if path.startswith("/v1/certification-requests") and method == "POST":
        return TIER1, "compliance"
    return SUPPLIER, "admin"


def test_routes_conform_to_their_schema(api_server: ApiServer) -> None:
    api = ready(api_server)
    chain(api)
    post_cert(api, SUPPLIER, cert_body(cert_id="C-SPARE"))
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json").include(path_regex=OURS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            checker(operation, api.headers(*caller(operation.method.upper(), operation.path)))()
        except Exception as exc:
            failures[operation.label] = str(exc)[:2000]
    assert failures == {}


def checker(operation: schemathesis.APIOperation, headers: dict[str, str]) -> Callable[[], None]:
    """A bounded hypothesis test of one operation, called with ``headers``."""

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    return check
