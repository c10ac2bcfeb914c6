"""Auditor pages: verify a certificate of origin, verify a supplier's cost opening, browse anomalies.

Each check calls the JSON API's own function (``verify_opening``, ``anomalies``, the certificate verification),
so the page and the API cannot disagree about what matches the ledger.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from api.compliance.coo import load_document, verify_document
from api.core.deps import ServicesDep
from api.core.services import Services
from api.routes.audit import OpeningDoc, verify_opening
from api.routes.certificates import VerifyAnswer, _from_qr, public_record
from api.routes.parts import anomalies
from api.web.auth import WebPrincipal, require
from api.web.pages import PageRoute, render
from ledger.errors import LedgerError, ParseError, to_problem

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FLAGS = ("unknown_part", "not_in_custody", "decommissioned", "consumed", "impossible_travel", "clock_skew")
FLAG_LABELS = {
    "unknown_part": "Unknown part (label never commissioned)",
    "not_in_custody": "Scan outside custody",
    "decommissioned": "Decommissioned part scanned",
    "consumed": "Consumed part scanned",
    "impossible_travel": "Suspected clone (impossible travel)",
    "clock_skew": "Station clock skew",
}
MAX_UPLOAD = 4 * 1024 * 1024


async def read_upload_or_text(upload: UploadFile | None, text: str | None, what: str) -> bytes:
    """The bytes of an uploaded file, else the pasted text; ParseError naming ``what`` when both are empty."""
    if upload is not None and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise ParseError(
                f"{what} file {upload.filename!r} is larger than {MAX_UPLOAD} bytes", value=upload.filename
            )
        if data:
            return data
    if text and text.strip():
        return text.strip().encode()
    raise ParseError(f"give the {what}: upload a file or paste its content", field=what)


def parse_opening(raw: bytes) -> OpeningDoc:
    """An opening document (as exported by ``GET /v1/certifications/{id}/opening``), validated like the API."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ParseError(f"the opening is not JSON: {err}", field="opening") from None
    try:
        return OpeningDoc.model_validate(data)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "opening"
        raise ParseError(
            f"opening {where}: {first.get('msg')}", field=where, value=str(first.get("input"))[:80]
        ) from None


def verify_certificate_input(services: Services, document: bytes | None, qr: str | None) -> VerifyAnswer:
    """Verify an uploaded certificate (JSON or PDF) or pasted QR content, the way ``/v1/certificates/verify`` does."""
    if qr and qr.strip():
        return VerifyAnswer(**_from_qr(services, qr.strip()).as_dict())
    if not document or not document.strip():
        raise ParseError("give the certificate: upload its JSON or PDF, or paste the QR code content", field="file")
    cert = load_document(document, "the uploaded certificate")
    cid = cert.get("certificate_id")
    record = public_record(services, cid) if isinstance(cid, str) else None
    return VerifyAnswer(**verify_document(cert, record).as_dict())


def ledger_block(services: Services, certificate_id: str | None) -> int | None:
    """The block that recorded a certificate (the read model keeps it with every row)."""
    db = services.readmodel.db
    if not certificate_id or "certorigin" not in db.table_names():
        return None
    row = db.execute("SELECT _block FROM certorigin WHERE _key = ?", [certificate_id]).fetchone()
    return int(row[0]) if row else None


def _page(request: Request, principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "principal": principal,
        "title": "Auditor",
        "opening": None,
        "opening_error": None,
        "verdict": None,
        "verify_error": None,
        **extra,
    }


@router.get("/auditor", response_class=HTMLResponse)
def auditor_page(request: Request, principal: WebPrincipal) -> HTMLResponse:
    """The verification forms."""
    require(principal, "auditor")
    return render(request, "auditor.html", _page(request, principal))


@router.post("/auditor/certificate", response_class=HTMLResponse)
async def certificate_check(request: Request, services: ServicesDep, principal: WebPrincipal) -> HTMLResponse:
    """Verify a certificate of origin against the ledger and show the proof."""
    require(principal, "auditor")
    form = await request.form()
    upload = form.get("certificate_file")
    qr = form.get("qr")
    try:
        data = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise ParseError(f"file {upload.filename!r} is larger than {MAX_UPLOAD} bytes", value=upload.filename)
        verdict = verify_certificate_input(services, data, qr if isinstance(qr, str) else None)
    except LedgerError as err:
        context = _page(request, principal, verify_error=to_problem(err).detail, qr=qr)
        return render(request, "auditor.html", context, status_code=422)
    block = ledger_block(services, verdict.certificate_id)
    return render(request, "auditor.html", _page(request, principal, verdict=verdict, block=block, qr=qr))


@router.post("/auditor/opening", response_class=HTMLResponse)
async def opening_check(request: Request, services: ServicesDep, principal: WebPrincipal) -> HTMLResponse:
    """Check a supplier's opening (uploaded or pasted JSON) against the ledger commitment."""
    require(principal, "auditor")
    form = await request.form()
    upload = form.get("opening_file")
    text = form.get("opening_text")
    try:
        raw = await read_upload_or_text(
            upload if isinstance(upload, UploadFile) else None, text if isinstance(text, str) else None, "opening"
        )
        result = verify_opening(services, principal, parse_opening(raw))
    except LedgerError as err:
        context = _page(request, principal, opening_error=to_problem(err).detail, opening_text=text)
        return render(request, "auditor.html", context, status_code=422)
    return render(request, "auditor.html", _page(request, principal, opening=result, opening_text=text))


@router.get("/auditor/anomalies", response_class=HTMLResponse)
def anomalies_page(
    request: Request,
    services: ServicesDep,
    principal: WebPrincipal,
    flag: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """Flagged scans, newest first, filtered by flag (the API's anomalies function and visibility)."""
    require(principal, "auditor", "compliance", "admin")
    chosen = flag if flag in FLAGS else None
    found = anomalies(services, principal, flag=chosen, limit=500).anomalies
    return render(
        request,
        "anomalies.html",
        {
            "principal": principal,
            "anomalies": found,
            "flag": chosen,
            "flags": FLAG_LABELS,
            "title": "Anomalies",
        },
    )
