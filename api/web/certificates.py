"""Certificates of origin page: issue one for a finished part, list them with status, download, revoke.

The form becomes the API's own ``CreateCertificate`` body and goes through the API's own ``create`` (origin
computed from the ledger with the org's private prices, Annex 5-A checks, signature, ledger record, private
copy), so the page refuses exactly what ``POST /v1/certificates`` refuses, next to the field concerned.
The certifier block defaults to the one on the org's last certificate, else to the org's registered name and
address: a certifier signs many certificates with the same contact data.
"""

from __future__ import annotations

from typing import Any, get_args

import pydantic
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.certificates.build import IncompleteCertificate
from api.compliance.issue import CertificateStore
from api.core.credentials import Principal
from api.core.deps import ServicesDep
from api.core.services import Services
from api.origin.models import EndUse
from api.routes.certificates import (
    CertificateSummary,
    CreateCertificate,
    Revocation,
    base_url,
    create,
    list_certificates,
)
from api.routes.certificates import revoke_certificate as revoke
from api.web.auth import WebPrincipal, require
from api.web.forms import refusal
from api.web.pages import PageRoute, render
from ledger.errors import LedgerError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
READERS = ("certifier", "compliance", "admin")
PARTY_FIELDS = ("name", "title", "address", "country", "phone", "email")
#: Labels of the origin engine's end uses, in its order (a new end use without a label fails at import).
END_USE_LABELS: dict[str, str] = {
    "oe_pv_lt": "Original equipment: passenger vehicle or light truck",
    "oe_heavy_truck": "Original equipment: heavy truck",
    "other_vehicle": "Other vehicle",
    "aftermarket": "Aftermarket",
}
END_USES = tuple((k, END_USE_LABELS[k]) for k in get_args(EndUse))
#: Finished goods offered in the part picker (any uid can still be typed or scanned in).
PICKER_LIMIT = 200


def _party(form: dict[str, str], prefix: str, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: form[f"{prefix}_{k}"].strip() for k in keys if form.get(f"{prefix}_{k}", "").strip()}


def form_to_body(form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /v1/certificates`` body a submitted form stands for (empty optional fields left out)."""
    parties: dict[str, Any] = {"certifier": _party(form, "certifier", ("role", *PARTY_FIELDS))}
    importer = _party(form, "importer", tuple(k for k in PARTY_FIELDS if k != "title"))
    if importer:
        parties["importer"] = importer
    if form.get("period") == "single":
        parties["invoice"] = form.get("invoice", "").strip()
    else:
        parties["blanket_period"] = {"from": form.get("period_from", ""), "to": form.get("period_to", "")}
    if form.get("description", "").strip():
        parties["description"] = form["description"].strip()
    body: dict[str, Any] = {"uid": form.get("uid", "").strip(), "end_use": form.get("end_use") or "oe_pv_lt"}
    if form.get("as_of"):
        body["as_of"] = form["as_of"]
    return body | {"parties": parties}


def form_name(field: str) -> str:
    """The form input a certificate field error refers to (``certifier.phone`` -> ``certifier_phone``)."""
    if field.startswith("blanket_period"):
        return "period_" + field.rpartition(".")[2] if "." in field else "period_from"
    if field.startswith("goods") and field.endswith("invoice"):
        return "invoice"
    if field.startswith("goods") or field in {"answer.qualifies", "uid"}:
        return "uid"
    return field.replace(".", "_")


def _defaults(services: Services, principal: Principal, certificates: list[CertificateSummary]) -> dict[str, str]:
    """Certifier data from the org's newest certificate (of those listed), else its registered name and address."""
    form = {"period": "blanket", "end_use": "oe_pv_lt", "certifier_role": "producer"}
    newest = max(certificates, key=lambda c: c.signed_date, default=None)
    if newest is not None:
        certifier = CertificateStore(services.home, principal.msp_id).get(newest.certificate_id).get("certifier")
        if isinstance(certifier, dict):
            return form | {f"certifier_{k}": str(v) for k, v in certifier.items()}
    org = next(iter(services.queries().table("org", "msp_id = ?", [principal.msp_id])), {})
    return form | {
        "certifier_name": str(org.get("legal_name") or ""),
        "certifier_address": str(org.get("address") or ""),
        "certifier_country": str(org.get("country") or ""),
    }


def _finished_goods(services: Services, principal: Principal) -> list[dict[str, Any]]:
    """Active parts the org produced and has not built into anything: what it sells, newest first."""
    rows = services.queries().parts(
        "producer_msp = ? AND parent IS NULL AND status = 'active'", [principal.msp_id], limit=PICKER_LIMIT * 10
    )
    rows.sort(key=lambda r: (str(r.get("production_date") or ""), str(r.get("uid"))), reverse=True)
    return rows[:PICKER_LIMIT]


def _context(services: Services, principal: Principal, form: dict[str, str] | None = None) -> dict[str, Any]:
    """The page's data; the form as submitted, or else its defaults."""
    certificates = list(reversed(list_certificates(services, principal)))
    return {
        "principal": principal,
        "certificates": certificates,
        "form": form if form is not None else _defaults(services, principal, certificates),
        "goods": _finished_goods(services, principal) if principal.role == "certifier" else [],
        "end_uses": END_USES,
        "party_fields": PARTY_FIELDS,
        "can_issue": principal.role == "certifier",
        "can_revoke": principal.role in ("certifier", "admin"),
        "title": "Certificates of origin",
        "errors": {},
        "error": None,
    }


@router.get("/certificates", response_class=HTMLResponse)
def certificates_page(
    request: Request, services: ServicesDep, principal: WebPrincipal, issued: str | None = None
) -> HTMLResponse:
    """The org's certificates of origin, and for a certifier the form that issues one."""
    require(principal, *READERS)
    context = _context(services, principal)
    if issued:
        context["issued"] = next((c for c in context["certificates"] if c.certificate_id == issued), None)
    return render(request, "certificates.html", context)


@router.post("/certificates", response_class=HTMLResponse)
async def issue_from_form(request: Request, services: ServicesDep, principal: WebPrincipal) -> Response:
    """Issue through the API's ``create``; on a problem show the form again with every field marked."""
    require(principal, "certifier")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        body = CreateCertificate.model_validate(form_to_body(form))
        created = create(services, principal, body, base_url(services, request))
    except IncompleteCertificate as err:
        errors = {form_name(e.field): e.message for e in reversed(err.errors)}
        error = f"No certificate was issued: {len(err.errors)} required data element(s) missing or wrong, marked below."
    except (pydantic.ValidationError, LedgerError) as err:
        error, errors = refusal(err, "No certificate was issued", form_name, default="uid")
    else:
        cid = created.certificate["certificate_id"]
        return RedirectResponse(f"/certificates?issued={cid}", status_code=303)
    context = _context(services, principal, form) | {"errors": errors, "error": error}
    return render(request, "certificates.html", context, status_code=422)


@router.post("/certificates/{certificate_id}/revoke", response_class=HTMLResponse)
async def revoke_from_form(
    request: Request, services: ServicesDep, principal: WebPrincipal, certificate_id: str
) -> Response:
    """Revoke with the reason typed next to it (the API's revoke function: certifier or admin of the issuer)."""
    require(principal, "certifier", "admin")
    reason = str((await request.form()).get("reason") or "").strip()
    try:
        body = Revocation(reason=reason)
    except pydantic.ValidationError:
        context = _context(services, principal)
        context["error"] = f"Certificate {certificate_id} was not revoked: give the reason for revoking it."
        return render(request, "certificates.html", context, status_code=422)
    CertificateStore(services.home, principal.msp_id).get(certificate_id)
    revoke(services, principal, certificate_id, body)
    return RedirectResponse("/certificates#issued-list", status_code=303)
