"""The FastAPI application: one service for stations, suppliers, OEMs and auditors.

``create_app(settings)`` wires the routers, the problem+json error handlers, the request-size limit, and the
services (identities, credentials, gateways, read model) started in the lifespan.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.core.problems import install_problem_handlers, problem_response
from api.core.services import Services
from api.core.settings import Settings
from api.epcis import committed
from api.routes import audit as audit_routes
from api.routes import certificates as certificate_routes
from api.routes import certifications as certification_routes
from api.routes import containment, custody, epcis, health, orgs, parts, parttypes, scans
from api.routes import ledger as ledger_routes
from api.routes import origin as origin_routes
from api.routes import private as private_routes
from api.routes import reports as report_routes
from api.routes import solicitations as solicitation_routes
from api.web import router as web_router

#: Matched in this order: station scans, the busiest routes by far, first (no other route matches their paths).
ROUTERS = [scans.router, health.router, ledger_routes.router]
ROUTERS += [orgs.router, parttypes.router, parts.router, custody.router, containment.router, epcis.router]
ROUTERS += [web_router]
ROUTERS += [certification_routes.router, private_routes.router, audit_routes.router, solicitation_routes.router]
ROUTERS += [origin_routes.router, certificate_routes.router, report_routes.router]

#: Net allocations between young-generation collections while the app serves (CPython's default: 700). A batch
#: request holds tens of thousands of live objects at once (parsed scans, write sets, read-model rows), so with
#: the default the collector runs over and over, promoting them into ever older generations and full collections
#: of the heap; raising it cut the server CPU per batched scan from about 218 to 155 us (benchmarks/api.py).
GC_YOUNG_THRESHOLD = 100_000


class BodyLimit:
    """413 for a request whose Content-Length exceeds ``max_bytes``, before the body is read.

    A plain ASGI middleware: Starlette's ``@app.middleware("http")`` (BaseHTTPMiddleware) wraps every request in
    a task group and memory streams, which cost more CPU than recording a coalesced single scan.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 or pass the request on."""
        if scope["type"] == "http":
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
                text = length.decode("latin-1")
                response = problem_response(
                    413,
                    "payload_too_large",
                    "Payload too large",
                    f"request body of {text} bytes exceeds the limit of {self.max_bytes} bytes",
                    scope["path"],
                    value=text,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one ledger home."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.start(settings)
        app.state.services = services
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            committed.settle(timeout=30)  # events of committed reads still being stored in the EPCIS repository
            services.stop()

    app = FastAPI(
        title="USMCA traceability ledger",
        version="1.0.0",
        description="Part provenance, origin certifications and USMCA regional value content on a permissioned "
        "ledger. Authenticate with `Authorization: Bearer <credential>` (see `usmca credential create`).",
        lifespan=lifespan,
    )
    install_problem_handlers(app)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    return app
