"""The one place where errors become HTTP answers: RFC 9457 problem+json with the offending value.

Domain errors (``ledger.errors``) map by their class; request-validation errors name the field and the value
received; unknown errors become a 500 problem without a traceback (and are logged), so a client never sees a
stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import LedgerError, to_problem

PROBLEM_BASE = "https://usmca-ledger.dev/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("usmca.api")


def problem_response(status: int, kind: str, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response."""
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _short(value: Any) -> Any:
    text = value if isinstance(value, str | int | float | bool) or value is None else repr(value)
    return text[:200] + "…" if isinstance(text, str) and len(text) > 200 else text


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        p = to_problem(exc)
        return problem_response(p.status, p.kind, p.title, p.detail, request.url.path, **p.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg", ""),
                # A missing field's "input" is the whole enclosing object: never echo it back.
                "value": None if e.get("type") == "missing" else _short(e.get("input")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request", "value": None}
        detail = f"{first['field'] or 'request'}: {first['message']}"
        if first.get("value") is not None:
            detail += f" (got {first['value']!r})"
        return problem_response(422, "validation_error", "Invalid request", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }.get(exc.status_code, "http_error")
        title = kind.replace("_", " ").capitalize()
        resp = problem_response(exc.status_code, kind, title, str(exc.detail), request.url.path)
        if exc.status_code == 401:
            resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal_error",
            "Internal error",
            "the service failed unexpectedly; the error was logged",
            request.url.path,
        )
