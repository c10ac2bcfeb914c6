"""The FastAPI application: one service for stations, suppliers, OEMs and auditors.

``create_app(settings)`` wires the routers, the problem+json error handlers, the request-size limit, and the
services (identities, credentials, gateways, read model) started in the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from api.core.problems import install_problem_handlers, problem_response
from api.core.services import Services
from api.core.settings import Settings
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

ROUTERS = [health.router, ledger_routes.router]
ROUTERS += [orgs.router, parttypes.router, parts.router, scans.router, custody.router, containment.router, epcis.router]
ROUTERS += [web_router]
ROUTERS += [certification_routes.router, private_routes.router, audit_routes.router, solicitation_routes.router]
ROUTERS += [origin_routes.router, certificate_routes.router, report_routes.router]


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one ledger home."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.start(settings)
        app.state.services = services
        try:
            yield
        finally:
            services.stop()

    app = FastAPI(
        title="USMCA traceability ledger",
        version="1.0.0",
        description="Part provenance, origin certifications and USMCA regional value content on a permissioned "
        "ledger. Authenticate with `Authorization: Bearer <credential>` (see `usmca credential create`).",
        lifespan=lifespan,
    )
    install_problem_handlers(app)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return problem_response(
                413,
                "payload_too_large",
                "Payload too large",
                f"request body of {length} bytes exceeds the limit of {settings.max_body_bytes} bytes",
                request.url.path,
                value=length,
            )
        return await call_next(request)

    for router in ROUTERS:
        app.include_router(router)
    return app
