"""OEM compliance pages: dashboard, one vehicle's as-built tree, recall containment, requests, downloads."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.core.clock import today as utc_today
from api.core.deps import ServicesDep
from api.routes.certificates import certificate_pdf, list_certificates
from api.routes.containment import DATE, containment
from api.routes.reports import model_line, vehicle
from api.routes.solicitations import RequestIn, create_request, list_requests
from api.web.auth import WebPrincipal, require
from api.web.compliance import (
    default_period,
    gauge,
    group_issues,
    model_line_compliance,
    vehicle_compliance,
    vehicle_reports,
)
from api.web.oem import OemView
from api.web.pages import PageRoute, render
from api.web.svg import STATUSES, tree_svg
from ledger.errors import LedgerError, ValidationError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ANALYSTS = ("compliance", "admin")
#: Vehicles per dashboard page: each row is one compliance report.
PAGE_SIZE = 25
Fmt = Literal["csv", "pdf"]


def _period(period_from: dt.date | None, period_to: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    start, end = default_period(today)
    start, end = period_from or start, period_to or end
    if start > end:
        raise ValidationError(f"period from {start} is after period to {end}", field="from", value=str(start))
    return start, end


@router.get("/oem", response_class=HTMLResponse)
def dashboard(
    request: Request,
    services: ServicesDep,
    principal: WebPrincipal,
    period_from: Annotated[dt.date | None, Query(alias="from")] = None,
    period_to: Annotated[dt.date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Model lines and vehicles with RVC against the threshold and each test, supplier issues, requests.

    Vehicles are listed a page at a time (each row is a report); model-line figures cover every vehicle.
    """
    require(principal, *ANALYSTS)
    today = utc_today()
    start, end = _period(period_from, period_to, today)
    view = OemView(services, principal)
    uids = view.vehicle_uids()
    pages = max(1, -(-len(uids) // PAGE_SIZE))
    shown = uids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    vehicles = [view.vehicle(u) for u in shown]
    reports: dict[str, Any] = {}
    lines: dict[str, dict[str, Any]] = {}
    issues: list[Any] = []
    computes = principal.role == "compliance"
    for part_type, built in view.model_lines().items():
        ptype = view.part_types.get(part_type) or {}
        lines[part_type] = {"part_type": part_type, "name": ptype.get("description") or part_type, "built": built}
        lines[part_type]["report"] = None
    if computes:
        for uid, report in vehicle_reports(services, principal, shown, today).items():
            reports[uid] = {"report": report, "gauge": gauge(report.rvc, report.threshold, report.qualifies)}
    if computes:
        for line in lines.values():
            report = model_line_compliance(services, principal, line["part_type"], start, end, today)
            line["report"] = report
            line["gauge"] = gauge(report.rvc, report.threshold, report.qualifies)
            issues += [(line["part_type"], g) for g in group_issues(report)]
    rvc_passing = sum(
        1
        for r in reports.values()
        if any(t.get("name") == "rvc" and t.get("passed") for t in r["report"].answer["tests"])
    )
    requests = list_requests(services, principal, side="requester", status=None, org=None).requests
    return render(
        request,
        "oem.html",
        {
            "principal": principal,
            "vehicles": vehicles,
            "reports": reports,
            "lines": list(lines.values()),
            "issues": issues,
            "computes": computes,
            "rvc_passing": rvc_passing,
            "period": (start.isoformat(), end.isoformat()),
            "gaps": view.supplier_gaps(),
            "total_vehicles": len(uids),
            "page": page,
            "pages": pages,
            "requests": requests,
            "requested": {(r.supplier_msp, r.part_type) for r in requests if r.status.status != "cancelled"},
            "received": [c for rows in view.certs_by_type.values() for c in rows if principal.msp_id in c.customers],
            "certificates": list_certificates(services, principal),
            "title": "Compliance dashboard",
        },
    )


@router.get("/oem/vehicles/{uid:path}", response_class=HTMLResponse)
def vehicle_page(request: Request, services: ServicesDep, principal: WebPrincipal, uid: str) -> HTMLResponse:
    """One vehicle: its report (RVC, tests), its as-built tree as SVG coloured by origin status, its core parts."""
    require(principal, *ANALYSTS, "auditor")
    view = OemView(services, principal)
    v = view.vehicle(uid)
    svg = tree_svg(view.svg_tree(uid), title=f"As-built tree of {v.model_line} {uid}")
    report = None
    if principal.role == "compliance":
        report = vehicle_compliance(services, principal, uid, utc_today())
    return render(
        request,
        "vehicle.html",
        {
            "principal": principal,
            "v": v,
            "svg": svg,
            "statuses": STATUSES,
            "report": report,
            "gauge": gauge(report.rvc, report.threshold, report.qualifies) if report else None,
            "title": f"Vehicle {uid}",
        },
    )


@router.get("/oem/download/vehicle-report")
def download_vehicle_report(
    services: ServicesDep,
    principal: WebPrincipal,
    uid: Annotated[str, Query(min_length=1, max_length=512)],
    fmt: Annotated[Fmt, Query(alias="format")] = "pdf",
) -> Response:
    """The vehicle report as CSV or PDF (the report route's own rendering)."""
    require(principal, "compliance")
    return _attachment(vehicle(services, principal, uid, format=fmt, as_of=None, on=None))


@router.get("/oem/download/model-line-report")
def download_model_line_report(
    services: ServicesDep,
    principal: WebPrincipal,
    part_type: Annotated[str, Query(min_length=1, max_length=128)],
    period_from: Annotated[dt.date, Query(alias="from")],
    period_to: Annotated[dt.date, Query(alias="to")],
    fmt: Annotated[Fmt, Query(alias="format")] = "pdf",
) -> Response:
    """The averaged model-line report as CSV or PDF."""
    require(principal, "compliance")
    report = model_line(
        services, principal, part_type, period_from=period_from, period_to=period_to, format=fmt, on=None
    )
    return _attachment(report)


@router.get("/oem/download/certificate")
def download_certificate(
    request: Request,
    services: ServicesDep,
    principal: WebPrincipal,
    certificate_id: Annotated[str, Query(alias="id", min_length=1, max_length=128)],
) -> Response:
    """A certificate of origin the org issued, as its PDF (with the QR code to the public verification)."""
    require(principal, "certifier", "admin", "compliance")
    return _attachment(certificate_pdf(services, principal, certificate_id, request))


def _attachment(response: Response) -> Response:
    """Make the browser save the file rather than navigate away from the dashboard."""
    disposition = response.headers.get("content-disposition", "")
    if disposition.startswith("inline"):
        response.headers["content-disposition"] = "attachment" + disposition[len("inline") :]
    return response


@router.get("/oem/containment", response_class=HTMLResponse)
def containment_page(
    request: Request,
    services: ServicesDep,
    principal: WebPrincipal,
    lot: Annotated[str | None, Query(max_length=64)] = None,
    supplier: Annotated[str | None, Query(max_length=64)] = None,
    part_type: Annotated[str | None, Query(max_length=128)] = None,
    produced_from: Annotated[str | None, Query(max_length=10)] = None,
    produced_to: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """Recall containment search through the API's containment function; errors show above the form."""
    require(principal, "compliance", "auditor", "admin")
    form = {
        "lot": lot or None,
        "supplier": supplier or None,
        "part_type": part_type or None,
        "produced_from": produced_from or None,
        "produced_to": produced_to or None,
    }
    result = None
    error = None
    if any(form.values()):
        bad = [k for k in ("produced_from", "produced_to") if form[k] and not re.match(DATE, str(form[k]))]
        if bad:
            error = f"{bad[0]} {form[bad[0]]!r} is not a date (YYYY-MM-DD)"
        else:
            try:
                result = containment(services, principal, **form)  # type: ignore[arg-type]
            except LedgerError as err:
                error = err.message
    orgs = sorted(r["msp_id"] for r in services.queries().table("org"))
    part_types = sorted(r["id"] for r in services.queries().table("parttype"))
    return render(
        request,
        "containment.html",
        {
            "principal": principal,
            "form": form,
            "result": result,
            "error": error,
            "orgs": orgs,
            "part_types": part_types,
            "title": "Recall containment",
        },
        status_code=422 if error else 200,
    )


@router.post("/oem/requests", response_class=HTMLResponse)
def request_certification(
    services: ServicesDep,
    principal: WebPrincipal,
    supplier_msp: Annotated[str, Form(max_length=64)],
    part_type: Annotated[str, Form(max_length=128)],
    due_date: Annotated[str, Form(max_length=10)],
) -> Response:
    """Ask a supplier for a certification (the API's create_request), then back to the dashboard."""
    require(principal, *ANALYSTS)
    body = RequestIn(supplier_msp=supplier_msp, part_type=part_type, due_date=due_date or None)
    create_request(services, principal, body, Response())
    return RedirectResponse("/oem#requests", status_code=303)
