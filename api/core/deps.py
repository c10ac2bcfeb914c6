"""Request dependencies as ``Annotated`` aliases: services, the authenticated principal, role checks.

The ones every request runs are ``async def`` as they do no I/O worth a thread: FastAPI runs each plain ``def``
dependency in the thread pool, and that hop cost more CPU than the work itself (the credential lookup is one
indexed SQLite read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.core.credentials import Principal
from api.core.services import Services
from ledger.client import LedgerClient
from ledger.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="A credential made with `usmca credential create`.")


async def get_services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(
    services: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The member a bearer credential is bound to; 401 when missing, unknown or revoked."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise Unauthenticated("missing bearer credential (Authorization: Bearer <credential>)")
    return services.credentials.authenticate(creds.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only principals with one of ``roles``."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"role {principal.role!r} of {principal.msp_id} may not do this; needs {' or '.join(roles)}",
                value=principal.role,
                field="role",
            )
        return principal

    return check


def get_client(services: ServicesDep, principal: PrincipalDep) -> LedgerClient:
    """Chaincode calls signed as the principal (in the thread pool: a member's first gateway may connect)."""
    return services.client(principal)


ClientDep = Annotated[LedgerClient, Depends(get_client)]

Station = Annotated[Principal, Depends(require_roles("station"))]
Certifier = Annotated[Principal, Depends(require_roles("certifier"))]
Compliance = Annotated[Principal, Depends(require_roles("compliance"))]
Auditor = Annotated[Principal, Depends(require_roles("auditor"))]
Admin = Annotated[Principal, Depends(require_roles("admin"))]
