"""Schemathesis against the origin, certificate-of-origin and report routes: no 5xx, responses as documented.

Bounded (6 examples per operation, derandomized) over a server holding one small chain and one certificate, so
generated ids sometimes hit real records. Reports are called as the OEM's compliance member, everything else as
its certifier (the public verification routes ignore the credential).
"""

from __future__ import annotations

from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_headers_conformance

from api.origin import qualify
from tests.api.conftest import ApiServer
from tests.api.origin_fixtures import (  # noqa: F401 - fixtures
    CERTIFIER,
    OEM,
    SEAT_REQUEST,
    chain_server_fixture,
    chain_template_fixture,
    ok,
    small_chain,
)
from tests.api.schema_checks import CHECKS, check_operations

#: Everything but response headers (the verify page answers HTML to browsers).
ORIGIN_CHECKS = [c for c in CHECKS if c is not response_headers_conformance]
OURS = r"^/(v1/(origin|certificates|reports)|verify/)"


def test_origin_routes_never_fail_on_bad_input(chain_server: ApiServer) -> None:
    small_chain(chain_server)
    body = {"qualification": qualify(SEAT_REQUEST).model_dump(mode="json"), "parties": {"certifier": CERTIFIER,
            "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}}}  # fmt: skip
    ok(chain_server.client(OEM, "certifier").post("/v1/certificates", json=body), 201)
    count, failures = check_operations(
        chain_server.base_url,
        OURS,
        lambda op: chain_server.headers(OEM, "compliance" if op.path.startswith("/v1/reports") else "certifier"),
        runs=((GenerationMode.POSITIVE, 6),),
        checks=ORIGIN_CHECKS,
    )
    assert count == 11
    assert failures == {}
