"""OEM compliance pages: dashboard, one vehicle's as-built tree, recall containment, certification requests."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.core.deps import ServicesDep
from api.routes.containment import DATE, containment
from api.routes.solicitations import RequestIn, create_request, list_requests
from api.web.auth import WebPrincipal, require
from api.web.oem import OemView
from api.web.pages import PageRoute, render
from api.web.svg import STATUSES, tree_svg
from ledger.errors import LedgerError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ANALYSTS = ("compliance", "admin")


@router.get("/oem", response_class=HTMLResponse)
def dashboard(request: Request, services: ServicesDep, principal: WebPrincipal) -> HTMLResponse:
    """Vehicles and model lines, core parts, supplier gaps, requests the org made."""
    require(principal, *ANALYSTS)
    view = OemView(services, principal)
    uids = view.vehicle_uids()
    vehicles = [view.vehicle(u) for u in uids]
    lines: dict[str, dict[str, object]] = {}
    for v in vehicles:
        line = lines.setdefault(v.part_type, {"part_type": v.part_type, "name": v.model_line, "vehicles": 0})
        line["vehicles"] = int(line["vehicles"]) + 1  # type: ignore[call-overload]
    gaps = view.supplier_gaps(uids)
    requests = list_requests(services, principal, side="requester", status=None, org=None).requests
    return render(
        request,
        "oem.html",
        {
            "principal": principal,
            "vehicles": vehicles,
            "lines": list(lines.values()),
            "gaps": gaps,
            "requests": requests,
            "received": [c for rows in view.certs_by_type.values() for c in rows if principal.msp_id in c.customers],
            "requested": {(r.supplier_msp, r.part_type) for r in requests if r.status.status != "cancelled"},
            "title": "Compliance dashboard",
        },
    )


@router.get("/oem/vehicles/{uid:path}", response_class=HTMLResponse)
def vehicle_page(request: Request, services: ServicesDep, principal: WebPrincipal, uid: str) -> HTMLResponse:
    """One vehicle: its as-built tree as SVG (parts coloured by origin status) and its core parts."""
    require(principal, *ANALYSTS, "auditor")
    view = OemView(services, principal)
    vehicle = view.vehicle(uid)
    svg = tree_svg(view.svg_tree(uid), title=f"As-built tree of {vehicle.model_line} {uid}")
    return render(
        request,
        "vehicle.html",
        {"principal": principal, "v": vehicle, "svg": svg, "statuses": STATUSES, "title": f"Vehicle {uid}"},
    )


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
