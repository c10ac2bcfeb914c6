"""The supplier portal: my part types, submit a certification, my certifications, requests from customers.

The certification form is turned into the API's own ``CertificationIn`` model and handed to the API's own
``submit_certification``: the same field validation, the same check that the private figures support the claim,
the same commitment, signature and private store. Validation problems come back next to their fields.
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.core.credentials import Principal
from api.core.deps import ServicesDep
from api.core.services import Services
from api.routes.audit import export_opening
from api.routes.certifications import CertificationIn, submit_certification
from api.routes.parttypes import list_part_types
from api.routes.private import list_breakdowns
from api.routes.solicitations import AnswerIn, answer_request, list_requests
from api.web.auth import WebPrincipal, require
from api.web.certs import certifications
from api.web.forms import refusal
from api.web.pages import PageRoute, render
from ledger.errors import LedgerError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
READERS = ("certifier", "compliance", "admin")
COST_FIELDS = (
    ("total_cost", "Total cost", True),
    ("vnm", "Value of non-originating materials (VNM)", False),
    ("originating_materials", "Originating materials", False),
    ("sales_promotion", "Sales promotion, marketing, after-sales", False),
    ("royalties", "Royalties", False),
    ("shipping_packing", "Shipping and packing", False),
    ("non_allowable_interest", "Non-allowable interest", False),
    ("transaction_value", "Transaction value (TV method)", False),
    ("labor", "Direct labour", False),
    ("overhead", "Overhead", False),
)


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.replace("\n", ",").split(",") if x.strip()]


def form_to_body(form: dict[str, Any], customers: list[str]) -> dict[str, Any]:
    """The API request body a submitted form stands for (empty optional fields left out)."""
    kind = form.get("scope_kind") or "blanket"
    scope: dict[str, Any] = {"kind": kind}
    if kind == "blanket":
        scope |= {"from": form.get("scope_from") or None, "to": form.get("scope_to") or None}
    elif kind == "lots":
        scope["lots"] = _split(str(form.get("scope_items") or ""))
    else:
        scope["uids"] = _split(str(form.get("scope_items") or ""))
    body: dict[str, Any] = {
        "part_type": form.get("part_type") or "",
        "scope": {k: v for k, v in scope.items() if v is not None},
        "origin_criterion": form.get("origin_criterion") or "",
        "originating": form.get("originating") == "yes",
        "non_originating_share": (form.get("non_originating_share") or "").strip(),
        "upstream": _split(str(form.get("upstream") or "")),
        "customers": customers,
        "cost_breakdown": {
            name: str(form.get(f"cost_{name}")).strip() for name, _, _ in COST_FIELDS if form.get(f"cost_{name}")
        },
    }
    for name in ("cert_id", "method", "rvc"):
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = value
    return body


def _portal(services: Services, principal: Principal) -> dict[str, Any]:
    part_types = [p for p in list_part_types(services, principal).part_types if p.producer_msp == principal.msp_id]
    requests = list_requests(services, principal, side="supplier", status=None, org=None).requests
    mine = certifications(services, principal, issuer=principal.msp_id)
    chain = [c for c in certifications(services, principal) if principal.msp_id in c.customers]
    orgs = sorted(r["msp_id"] for r in services.queries().table("org") if r["msp_id"] != principal.msp_id)
    breakdowns = list_breakdowns(services, principal).breakdowns
    return {
        "principal": principal,
        "part_types": part_types,
        "requests": requests,
        "mine": mine,
        "addressed": chain,
        "orgs": orgs,
        "breakdowns": breakdowns,
        "cost_fields": COST_FIELDS,
        "can_submit": principal.role == "certifier",
        "title": "Supplier portal",
    }


@router.get("/supplier", response_class=HTMLResponse)
def supplier_page(
    request: Request, services: ServicesDep, principal: WebPrincipal, submitted: str | None = None
) -> HTMLResponse:
    """The portal of the member's org."""
    require(principal, *READERS)
    context = _portal(services, principal)
    context |= {"form": {"scope_kind": "blanket", "originating": "yes"}, "errors": {}, "error": None}
    if submitted:
        context["submitted"] = next((c for c in context["mine"] if c.cert_id == submitted), None)
    return render(request, "supplier.html", context)


@router.post("/supplier/certifications", response_class=HTMLResponse)
async def submit_from_form(request: Request, services: ServicesDep, principal: WebPrincipal) -> Response:
    """Submit the form through the API's submit function; on a problem, show the form again with it."""
    require(principal, "certifier")
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    customers = [c for c in raw.getlist("customers") if isinstance(c, str)]
    try:
        body = CertificationIn.model_validate(form_to_body(form, customers))
        result = submit_certification(services, principal, body, Response())
    except (pydantic.ValidationError, LedgerError) as err:
        error, errors = refusal(err, "The certification was not submitted", _form_name)
    else:
        return RedirectResponse(f"/supplier?submitted={result.certification.cert_id}", status_code=303)
    context = _portal(services, principal) | {"form": form | {"customers": customers}, "errors": errors, "error": error}
    return render(request, "supplier.html", context, status_code=422)


def _form_name(field: str) -> str:
    """The form input a domain error's field refers to."""
    if field in {name for name, _, _ in COST_FIELDS}:
        return f"cost_{field}"
    return {"scope.from": "scope_from", "scope.to": "scope_to"}.get(field, field)


@router.get("/supplier/opening")
def download_opening(
    services: ServicesDep, principal: WebPrincipal, cert_id: Annotated[str, Query(min_length=1, max_length=128)]
) -> Response:
    """The opening of one certification's commitment, as a JSON file to hand to an auditor (and nobody else)."""
    require(principal, *READERS)
    opening = export_opening(services, principal, cert_id)
    return Response(
        opening.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="opening-{cert_id}.json"'},
    )


@router.post("/supplier/requests/{request_id}/answer", response_class=HTMLResponse)
async def answer_from_form(
    request: Request, services: ServicesDep, principal: WebPrincipal, request_id: str
) -> Response:
    """Answer a customer's request with one of the org's certifications (the API's answer function)."""
    require(principal, "certifier")
    raw = await request.form()
    answer_request(services, principal, request_id, AnswerIn(cert_id=str(raw.get("cert_id") or "")))
    return RedirectResponse("/supplier#requests", status_code=303)
