"""Rendering pages: the Jinja2 environment, and a route class that turns every error into a page, not a trace.

``PageRoute`` wraps each page handler: a missing or revoked credential redirects to the sign-in page (keeping
where the user was going), a project error renders ``error.html`` with its HTTP status and the message that names
the offending value, and anything unexpected is logged and shown as a plain apology. JSON endpoints used by page
scripts (``/station/scan``) answer problem+json through the app's handlers instead (see ``JsonRoute``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.core.clock import today
from api.web.auth import check_same_origin, nav_for, token_from
from ledger.errors import LedgerError, Unauthenticated, to_problem

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
log = logging.getLogger("usmca.web")

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _pct(value: Any) -> str:
    """A decimal-string percentage as shown to people: two decimals (the exact value stays in the data)."""
    if value is None or value == "":
        return "-"
    try:
        return f"{float(value):.2f} %"
    except (TypeError, ValueError):
        return str(value)


def _short_uid(uid: Any) -> str:
    """The readable tail of a GS1 Digital Link uid: GTIN/serial."""
    text = str(uid or "")
    if "/01/" in text and "/21/" in text:
        gtin = text.split("/01/", 1)[1].split("/", 1)[0]
        serial = text.split("/21/", 1)[1]
        return f"{gtin} · {serial}"
    return text


def _when(value: Any) -> str:
    """An RFC 3339 UTC timestamp as people read it: ``2026-10-09 08:52:00 UTC``."""
    text = str(value or "")
    if len(text) >= 19 and text[10] == "T":
        return f"{text[:10]} {text[11:19]}" + (" UTC" if text.endswith("Z") else text[23:].replace(".", ""))
    return text or "-"


templates.env.filters["pct"] = _pct
templates.env.filters["when"] = _when
templates.env.filters["short_uid"] = _short_uid
templates.env.filters["urlq"] = lambda s: quote(str(s), safe="")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the signed-in principal (when there is one) and its navigation."""
    principal = context.get("principal")
    base = {
        "request": request,
        "principal": principal,
        "nav": nav_for(principal.role) if principal is not None else (),
        "path": request.url.path,
        "today": today().isoformat(),
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    )
    return response


def _principal_or_none(request: Request) -> Any:
    services = getattr(request.app.state, "services", None)
    token = token_from(request)
    if services is None or token is None:
        return None
    try:
        return services.credentials.authenticate(token)
    except LedgerError:
        return None


class PageRoute(APIRoute):
    """An APIRoute whose errors become HTML pages (or a redirect to sign in)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        """Wrap FastAPI's handler with the page error policy."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                if request.method not in ("GET", "HEAD"):
                    check_same_origin(request)
                return await handler(request)
            except Unauthenticated:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
            except LedgerError as err:
                p = to_problem(err)
                return error_page(request, p.status, p.title, p.detail)
            except (RequestValidationError, pydantic.ValidationError) as err:
                first = err.errors()[0] if err.errors() else {}
                where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body", "form"))
                detail = f"{where or 'request'}: {first.get('msg', 'invalid request')}"
                if first.get("input") not in (None, {}):
                    detail += f" (got {first.get('input')!r})"
                return error_page(request, 422, "Invalid request", detail)
            except Exception:
                log.exception("page %s %s failed", request.method, request.url.path)
                return error_page(
                    request, 500, "Something went wrong", "the page could not be shown; the error was logged"
                )

        return page_handler


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """The one error page: a heading, the message that names the offending value, and the navigation."""
    principal = _principal_or_none(request)
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "principal": principal},
        status_code=status,
    )
