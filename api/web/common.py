"""Sign-in, sign-out, the landing redirect, static assets, and the part page every role links to.

The part page reads through the JSON API's own route functions (``api.routes.parts.get_part``), so the pages
show exactly what the API would answer the same member, visibility rules included.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.core.deps import ServicesDep
from api.routes.parts import get_part
from api.web.auth import (
    WebPrincipal,
    clear_session,
    home_for,
    safe_next,
    set_session,
    token_from,
)
from api.web.certs import part_type_certifications
from api.web.pages import STATIC_DIR, PageRoute, render
from ledger.errors import LedgerError, NotFound, Unauthenticated

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_ASSET = re.compile(r"^[a-z0-9][a-z0-9._-]*\.(css|js|svg|png|ico)$")
_MEDIA = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon"}


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, services: ServicesDep) -> Response:
    """Signed in: the role's home page; otherwise the sign-in page."""
    token = token_from(request)
    if token:
        try:
            return RedirectResponse(home_for(services.credentials.authenticate(token).role), status_code=303)
        except LedgerError:
            pass
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The credential form."""
    return render(request, "sign_in.html", {"next": safe_next(next, ""), "error": None, "title": "Sign in"})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    services: ServicesDep,
    credential: Annotated[str, Form(max_length=512)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Check the pasted credential with the credential store and keep it in the session cookie."""
    token = credential.strip()
    try:
        if not token:
            raise Unauthenticated("paste a credential (it starts with usm_)")
        principal = services.credentials.authenticate(token)
    except Unauthenticated as err:
        context = {"next": safe_next(next, ""), "error": err.message, "title": "Sign in"}
        return render(request, "sign_in.html", context, status_code=401)
    response = RedirectResponse(safe_next(next, home_for(principal.role)), status_code=303)
    set_session(response, token, secure=request.url.scheme == "https")
    return response


@router.post("/sign-out")
def sign_out() -> Response:
    """Forget the credential in this browser."""
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session(response)
    return response


@router.get("/static/{name}")
def static_asset(name: str) -> Response:
    """The pages' own CSS and scripts (nothing is loaded from another site)."""
    if not _ASSET.match(name) or not (STATIC_DIR / name).is_file():
        raise NotFound(f"no static asset {name!r}", value=name)
    return FileResponse(
        STATIC_DIR / name, media_type=_MEDIA[name.rsplit(".", 1)[1]], headers={"Cache-Control": "max-age=300"}
    )


@router.get("/parts/{uid:path}", response_class=HTMLResponse)
def part_page(request: Request, services: ServicesDep, principal: WebPrincipal, uid: str) -> HTMLResponse:
    """A part's record, custody history, scans, anomalies, assembly links and its part type's certifications."""
    detail = get_part(services, principal, uid).model_dump()
    client = services.client(principal)
    part_type: dict[str, Any] | None
    try:
        part_type = client.get_part_type(detail["part"]["part_type"])
    except LedgerError:
        part_type = None
    certs = part_type_certifications(services, principal, detail["part"]["part_type"])
    return render(
        request,
        "part.html",
        {"principal": principal, "d": detail, "part_type": part_type, "certs": certs, "title": "Part " + uid},
    )
