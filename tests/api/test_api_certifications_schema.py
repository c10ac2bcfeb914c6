"""Schemathesis against the real server's /openapi.json for the certification-side routes.

Bounded (12 positive examples per operation, derandomized): no 5xx, every status, content type and body as
documented. Each operation is called by a member whose role it admits, so the examples reach the business
rules instead of stopping at 403: certifier for submitting and answering, compliance for requests, the auditing
org's auditor for verifying openings, the supplier's admin for the rest.
"""

from __future__ import annotations

from tests.api.certs_fixtures import AUDIT, SUPPLIER, TIER1, cert_body, chain, post_cert, ready
from tests.api.conftest import ApiServer
from tests.api.schema_checks import check_operations

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
    count, failures = check_operations(api.base_url, OURS, lambda op: api.headers(*caller(op.method.upper(), op.path)))
    assert count == 22
    assert failures == {}
