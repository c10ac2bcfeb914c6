"""Who is looking at a page: the credential from the session cookie (or a bearer header), and role navigation.

Sign-in stores the pasted credential in an HttpOnly, SameSite=Strict cookie, so page scripts never see it and no
other site can send it. Pages authenticate with the same ``CredentialStore`` as the JSON API; a revoked
credential stops working on the next page load. ``api/core/deps.py`` stays bearer-only for the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from api.core.credentials import Principal
from api.core.deps import ServicesDep
from ledger.errors import Forbidden, Unauthenticated

COOKIE_NAME = "usmca_session"
#: A working shift: long enough for a station tablet, short enough that a forgotten session expires.
COOKIE_MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class NavItem:
    """One entry of the top navigation."""

    href: str
    label: str


#: The pages each role works in, first one is its home page.
NAV_BY_ROLE: dict[str, tuple[NavItem, ...]] = {
    "station": (NavItem("/station", "Station"),),
    "certifier": (NavItem("/supplier", "Supplier portal"), NavItem("/certificates", "Certificates")),
    "compliance": (
        NavItem("/oem", "Compliance dashboard"),
        NavItem("/oem/containment", "Recall containment"),
        NavItem("/supplier", "Supplier portal"),
        NavItem("/certificates", "Certificates"),
    ),
    "auditor": (NavItem("/auditor", "Verify certificate"), NavItem("/auditor/anomalies", "Anomalies")),
    "admin": (
        NavItem("/oem", "Compliance dashboard"),
        NavItem("/oem/containment", "Recall containment"),
        NavItem("/supplier", "Supplier portal"),
        NavItem("/certificates", "Certificates"),
        NavItem("/auditor/anomalies", "Anomalies"),
    ),
}


def nav_for(role: str) -> tuple[NavItem, ...]:
    """The navigation of a role (empty for a role without pages, e.g. a peer identity)."""
    return NAV_BY_ROLE.get(role, ())


def home_for(role: str) -> str:
    """Where a role lands after signing in."""
    items = nav_for(role)
    return items[0].href if items else "/sign-in"


def token_from(request: Request) -> str | None:
    """The credential of a request: ``Authorization: Bearer`` first (scripts, tests), then the session cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME) or None


def web_principal(request: Request, services: ServicesDep) -> Principal:
    """The member behind the cookie or bearer credential; Unauthenticated sends the browser to sign in."""
    token = token_from(request)
    if token is None:
        raise Unauthenticated("sign in with a credential to see this page")
    return services.credentials.authenticate(token)


WebPrincipal = Annotated[Principal, Depends(web_principal)]


def require(principal: Principal, *roles: str) -> Principal:
    """Refuse a page to roles it is not for, naming the role and what the page needs."""
    if principal.role not in roles:
        raise Forbidden(
            f"role {principal.role!r} of {principal.msp_id} may not open this page; it needs {' or '.join(roles)}",
            value=principal.role,
            field="role",
        )
    return principal


def set_session(response: Response, token: str, *, secure: bool) -> None:
    """Store the credential in the session cookie (HttpOnly, SameSite=Strict, whole site)."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def clear_session(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")


def check_same_origin(request: Request) -> None:
    """Refuse a state-changing request sent from another origin (defence in depth on top of SameSite=Strict)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise Forbidden(f"request from origin {origin} refused: pages accept forms only from {host}", value=origin)


def safe_next(target: str | None, default: str) -> str:
    """A post-sign-in redirect that stays on this site (an absolute or protocol-relative URL is ignored)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
