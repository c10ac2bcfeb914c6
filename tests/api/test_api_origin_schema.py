"""Schemathesis against the origin, certificate-of-origin and report routes: no 5xx, responses as documented.

Bounded (6 examples per operation, derandomized) over a server holding one small chain and one certificate, so
generated ids sometimes hit real records. Reports are called as the OEM's compliance member, everything else as
its certifier (the public verification routes ignore the credential).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OURS = r"^/(v1/(origin|certificates|reports)|verify/)"


def checker(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    """A bounded Hypothesis test of one operation, called with one member's credential."""

    @given(case=operation.as_strategy())
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    return check


def test_origin_routes_never_fail_on_bad_input(chain_server: ApiServer) -> None:
    small_chain(chain_server)
    body = {"qualification": qualify(SEAT_REQUEST).model_dump(mode="json"), "parties": {"certifier": CERTIFIER,
            "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}}}  # fmt: skip
    ok(chain_server.client(OEM, "certifier").post("/v1/certificates", json=body), 201)
    schema = schemathesis.openapi.from_url(f"{chain_server.base_url}/openapi.json").include(path_regex=OURS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    failures: dict[str, str] = {}
    for operation in operations:
        member = "compliance" if operation.path.startswith("/v1/reports") else "certifier"
        try:
            checker(operation, chain_server.headers(OEM, member))()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    assert failures == {}
