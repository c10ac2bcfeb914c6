"""Certificates of origin: create (signed, anchored, PDF), read, revoke, and verify - the last one by anyone.

Creating and revoking need the issuing org's certifier (revoking also its admin); the JSON and PDF are served to
the issuing org, which keeps them. Verification is public on purpose: a customs officer or a buyer holding the
paper has no credential on this network. ``POST /v1/certificates/verify`` takes the JSON, the PDF (body or
multipart upload) or the QR content; ``GET /verify/{id}?h=...`` is what the QR code opens. Both reveal only
what the certificate itself shows (id, issuer, goods HS, period, dates) plus its ledger status.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.compliance import coo
from api.compliance.coo import pdf_with_json, verify_bytes, verify_url
from api.compliance.issue import CertificateStore, issue_certificate, part_answer
from api.core.clock import today as utc_today
from api.core.credentials import Principal
from api.core.deps import ServicesDep, require_roles
from api.core.services import Services
from api.origin.models import EndUse, QualifyAnswer
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.errors import NotFound, ParseError, ValidationError

router = APIRouter(tags=["certificates of origin"], responses=PROBLEM_RESPONSES)

Issuer = Annotated[Principal, Depends(require_roles("certifier"))]
Revoker = Annotated[Principal, Depends(require_roles("certifier", "admin"))]
Reader = Annotated[Principal, Depends(require_roles("certifier", "admin", "compliance"))]
CertificateId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class CreateCertificate(BaseModel):
    """Either a part uid (origin computed from the ledger) or a qualification answer, plus the parties."""

    model_config = ConfigDict(extra="forbid")

    uid: str | None = Field(None, min_length=1, max_length=512, description="Part whose origin is computed.")
    qualification: QualifyAnswer | None = Field(None, description="A qualifying answer of the origin engine.")
    as_of: dt.date | None = Field(None, description="Thresholds date for a uid (default today).")
    end_use: EndUse = "oe_pv_lt"
    extra: dict[str, Any] | None = Field(
        None, description="Producer figures the ledger does not hold for a uid: steel, aluminum, lvc, core_parts."
    )
    parties: dict[str, Any] = Field(description="certifier, producer, exporter, importer, blanket_period, ...")


class Created(BaseModel):
    """A signed certificate anchored on the ledger."""

    certificate: dict[str, Any]
    ledger: dict[str, Any]
    verify_url: str
    pdf_url: str


class Revocation(BaseModel):
    """Why a certificate is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)


class VerifyAnswer(BaseModel):
    """The verdict: valid or not, every reason, each check, and the public part of the ledger record."""

    valid: bool
    certificate_id: str | None
    content_hash: str | None
    reasons: list[str]
    checks: dict[str, bool]
    ledger: dict[str, Any] | None


def base_url(services: Services, request: Request) -> str:
    """``public_url`` when configured (a proxy in front), else the URL this request reached."""
    return services.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")


def public_record(services: Services, certificate_id: str) -> dict[str, Any] | None:
    """The anchored record with its status now, from the read model (no identity needed)."""
    return coo.public_record(services.readmodel, certificate_id)


def _from_qr(services: Services, text: str) -> coo.Verdict:
    """Verify QR content (kept for api/web/auditor.py; prefer :func:`api.compliance.coo.verify_qr`)."""
    return coo.verify_qr(services.readmodel, text)


def _wait_record(services: Services, certificate_id: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while public_record(services, certificate_id) is None and time.monotonic() < deadline:
        time.sleep(0.02)


def create(services: Services, principal: Principal, body: CreateCertificate, base_url: str) -> Created:
    """Compute (for a uid) or take the qualifying answer, sign, anchor and keep the certificate.

    Shared by ``POST /v1/certificates`` and the certificates page, so both refuse the same way.
    """
    if (body.uid is None) == (body.qualification is None):
        raise ValidationError("give exactly one of uid and qualification", field="uid", value=body.uid)
    if body.uid is not None:
        today = utc_today()
        answer = part_answer(services.readmodel, services.home, principal.msp_id, body.uid,
                             as_of=body.as_of or today, on=today, end_use=body.end_use, extra=body.extra)  # fmt: skip
    else:
        answer = body.qualification.model_dump(mode="json") if body.qualification else {}
    member = services.network.member(principal.msp_id, principal.member)
    issued = issue_certificate(
        services.client(principal),
        member,
        answer,
        body.parties,
        base_url=base_url,
        store=CertificateStore(services.home, principal.msp_id),
    )
    cid = issued.certificate["certificate_id"]
    _wait_record(services, cid)
    return Created(certificate=issued.certificate, ledger=issued.ledger, verify_url=issued.verify_url,
                   pdf_url=f"/v1/certificates/{cid}.pdf")  # fmt: skip


@router.post("/v1/certificates", status_code=201, summary="Create a certificate of origin (certifier)")
def create_certificate(
    services: ServicesDep, principal: Issuer, body: CreateCertificate, request: Request, response: Response
) -> Created:
    """From a part uid (computed from the ledger with the org's prices) or a qualifying answer."""
    created = create(services, principal, body, base_url(services, request))
    response.headers["Location"] = f"/v1/certificates/{created.certificate['certificate_id']}"
    return created


class CertificateSummary(BaseModel):
    """One issued certificate: what it covers and its ledger status."""

    certificate_id: str
    signed_date: str
    goods: list[dict[str, Any]]
    blanket_period: dict[str, str] | None
    status: dict[str, Any] | None = Field(description="Ledger status now (null while the record is not yet read).")


@router.get("/v1/certificates", summary="Certificates of origin the caller's org issued, with ledger status")
def list_certificates(services: ServicesDep, principal: Reader) -> list[CertificateSummary]:
    """Newest id last; the status comes from the ledger record (revoked, expired, valid)."""
    store = CertificateStore(services.home, principal.msp_id)
    out = []
    for cid in store.ids():
        cert = store.get(cid)
        record = public_record(services, cid)
        out.append(
            CertificateSummary(
                certificate_id=cid,
                signed_date=str(cert.get("signed_date")),
                goods=[{k: g.get(k) for k in ("description", "hs", "origin_criterion")} for g in cert.get("goods", [])],
                blanket_period=cert.get("blanket_period"),
                status=record["status"] if record else None,
            )
        )
    return out


@router.get("/v1/certificates/{certificate_id}.pdf", summary="The certificate as PDF (issuing org)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})  # fmt: skip
def certificate_pdf(
    services: ServicesDep, principal: Reader, certificate_id: CertificateId, request: Request
) -> Response:
    """The PDF carries the signed JSON as an embedded file and a QR code to the public verification URL."""
    cert = CertificateStore(services.home, principal.msp_id).get(certificate_id)
    url = verify_url(base_url(services, request), certificate_id, cert["signature"]["content_hash"])
    return Response(pdf_with_json(cert, url), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{certificate_id}.pdf"'})  # fmt: skip


@router.get("/v1/certificates/{certificate_id}", summary="The signed certificate JSON with its ledger status")
def get_certificate(services: ServicesDep, principal: Reader, certificate_id: CertificateId) -> dict[str, Any]:
    """Issuing org only (the document holds the parties' contact data); others verify it instead."""
    cert = CertificateStore(services.home, principal.msp_id).get(certificate_id)
    return {"certificate": cert, "ledger": services.client(principal).get_certificate_of_origin(certificate_id)}


@router.post("/v1/certificates/{certificate_id}/revoke", summary="Revoke a certificate of the caller's org")
def revoke_certificate(
    services: ServicesDep, principal: Revoker, certificate_id: CertificateId, body: Revocation
) -> dict[str, Any]:
    """Certifier or admin of the issuing org; verification fails from now on, naming the reason."""
    return submit(services, principal, "RevokeCertificateOfOrigin", certificate_id, body.reason, wait=True)


@router.post("/v1/certificates/verify", summary="Verify a certificate: JSON, PDF or QR content (no credential)")
async def verify_certificate(services: ServicesDep, request: Request) -> VerifyAnswer:
    """Body: the certificate JSON, its PDF (``application/pdf`` or a multipart ``file``), or ``{"qr": URL}``."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationError("multipart upload needs a 'file' part", field="file")
        data, name = await upload.read(), upload.filename or "upload"
    else:
        data, name = await request.body(), "request body"
    if not data.strip():
        raise ParseError('empty body: send the certificate JSON, its PDF, or {"qr": URL}', field="body")
    if data.lstrip()[:1] == b"{":
        try:
            maybe = json.loads(data)
        except ValueError:
            maybe = None
        if isinstance(maybe, dict) and set(maybe) == {"qr"} and isinstance(maybe["qr"], str):
            return VerifyAnswer(**coo.verify_qr(services.readmodel, maybe["qr"]).as_dict())
    return VerifyAnswer(**verify_bytes(services.readmodel, data, name).as_dict())


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Certificate {cid}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:sans-serif;
max-width:40rem;margin:2rem auto"><h1>USMCA certification of origin {cid}</h1><p style="font-size:1.4rem">
<strong style="color:{color}">{verdict}</strong></p><ul>{items}</ul><p>Issuer: {issuer} - signed {signed} -
goods HS {hs}</p></body></html>"""


@router.get("/verify/{certificate_id}", summary="Public verification page/endpoint the QR code opens")
def verify_public(
    services: ServicesDep,
    request: Request,
    certificate_id: CertificateId,
    h: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$", description="Content hash printed on the certificate.")],
) -> Any:
    """JSON by default; an HTML page for browsers (``Accept: text/html``)."""
    verdict = coo.verify_hash(services.readmodel, certificate_id, h)
    if "text/html" in request.headers.get("accept", ""):
        from html import escape

        led = verdict.ledger or {}
        items = "".join(f"<li>{escape(r)}</li>" for r in verdict.reasons) or "<li>signature, hash and status check</li>"
        return HTMLResponse(_PAGE.format(
            cid=escape(certificate_id), color="green" if verdict.valid else "#b00020",
            verdict="VALID" if verdict.valid else "NOT VALID", items=items, issuer=escape(str(led.get("issuer_msp"))),
            signed=escape(str(led.get("signed_date"))), hs=escape(", ".join(led.get("goods_hs") or []))))  # fmt: skip
    if verdict.ledger is None:
        raise NotFound(f"certificate of origin {certificate_id} does not exist", value=certificate_id)
    return VerifyAnswer(**verdict.as_dict())
