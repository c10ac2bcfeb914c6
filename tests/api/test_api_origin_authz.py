"""Authorization matrix of the origin, certificate-of-origin and report routes: every member of every org.

Probes name records that do not exist or carry invalid bodies, so an admitted caller gets 404 or 422 and a refused
one 403, without writing anything; unauthenticated callers get 401 except on the public verification routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api.conftest import ApiServer
from tests.api.origin_fixtures import chain_server_fixture, chain_template_fixture  # noqa: F401 - fixtures

Rule = Callable[[str], int]
NOPE = "urn%3Ausmca%3Anope"


def roles(allowed: set[str], ok: int) -> Rule:
    return lambda role: ok if role in allowed else 403


PROBES: list[tuple[str, str, Rule, Any]] = [
    ("POST", "/v1/origin/qualify", lambda role: 422, {}),
    ("GET", f"/v1/origin/parts/{NOPE}", roles({"compliance", "certifier"}, 404), None),
    ("POST", "/v1/certificates", roles({"certifier"}, 422), {}),
    ("GET", "/v1/certificates", roles({"certifier", "admin", "compliance"}, 200), None),
    ("GET", "/v1/certificates/COO-NOPE", roles({"certifier", "admin", "compliance"}, 404), None),
    ("GET", "/v1/certificates/COO-NOPE.pdf", roles({"certifier", "admin", "compliance"}, 404), None),
    ("POST", "/v1/certificates/COO-NOPE/revoke", roles({"certifier", "admin"}, 404), {"reason": "x"}),
    ("GET", f"/v1/reports/vehicles/{NOPE}", roles({"compliance"}, 404), None),
    ("GET", "/v1/reports/model-lines/OemMSP:NOPE?from=2026-01-01&to=2026-01-31", roles({"compliance"}, 422), None),
]
PUBLIC: list[tuple[str, str, int, Any]] = [
    ("POST", "/v1/certificates/verify", 422, {"qr": "nope"}),
    ("GET", f"/verify/COO-NOPE?h={'0' * 64}", 404, None),
]


def test_every_member_against_every_route(chain_server: ApiServer) -> None:
    got: dict[tuple[str, str, str], int] = {}
    want: dict[tuple[str, str, str], int] = {}
    for (org, member), role in sorted(chain_server.roles.items()):
        client = chain_server.client(org, member)
        for method, path, rule, body in PROBES:
            key = (f"{org}/{member}", method, path)
            got[key] = client.request(method, path, json=body).status_code
            want[key] = rule(role)
        for method, path, status, body in PUBLIC:
            got[(f"{org}/{member}", method, path)] = client.request(method, path, json=body).status_code
            want[(f"{org}/{member}", method, path)] = status
    anonymous = httpx.Client(base_url=chain_server.base_url, timeout=30)
    for method, path, _rule, body in PROBES:
        got[("anonymous", method, path)] = anonymous.request(method, path, json=body).status_code
        want[("anonymous", method, path)] = 401
    for method, path, status, body in PUBLIC:
        got[("anonymous", method, path)] = anonymous.request(method, path, json=body).status_code
        want[("anonymous", method, path)] = status
    anonymous.close()
    assert {k: v for k, v in got.items() if want[k] != v} == {}
    assert len(got) == (len(chain_server.roles) + 1) * (len(PROBES) + len(PUBLIC))
