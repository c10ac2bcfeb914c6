"""Certification requests: an OEM or Tier-1 asks its suppliers for origin certifications; suppliers answer.

Requests live on the ledger (``RequestCertification``, ``AnswerCertificationRequest``,
``CancelCertificationRequest``) because the requester and the supplier run separate API nodes. Status (open,
overdue, answered, expiring_soon, lapsed, cancelled) is computed by the chaincode on every read. An org sees the
requests it made and those addressed to it; an auditor of an auditing org may read any org's with ``org``;
anything else is a 404.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import Certifier, ServicesDep, require_roles
from api.core.services import Services
from api.routes.certifications import sees_all
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.errors import Forbidden, NotFound

router = APIRouter(prefix="/v1/certification-requests", tags=["certification requests"], responses=PROBLEM_RESPONSES)

Requester = Annotated[Principal, Depends(require_roles("compliance", "admin"))]
Reader = Annotated[Principal, Depends(require_roles("compliance", "admin", "certifier", "auditor"))]
RequestId = Annotated[str, Path(min_length=1, max_length=128)]
StatusWord = Literal["open", "overdue", "answered", "expiring_soon", "lapsed", "cancelled"]


class RequestIn(BaseModel):
    """Ask a supplier to certify a part type it produces, by a deadline."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "supplier_msp": "SupplierMSP",
                    "part_type": "SupplierMSP:CAST-1",
                    "due_date": "2026-12-15",
                    "note": "USMCA certification for model year 2027",
                }
            ]
        },
    )

    request_id: str | None = Field(
        None, min_length=1, max_length=128, pattern=r"^\S(.*\S)?$", description="Default: RQ-<random>."
    )
    supplier_msp: str = Field(min_length=1, max_length=64)
    part_type: str = Field(min_length=1, max_length=128)
    due_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD: due at the end of that day, UTC.")
    due_at: str | None = Field(None, max_length=40, description="Or an exact deadline, RFC 3339 with offset.")
    note: str | None = Field(None, min_length=1, max_length=1024)


class AnswerIn(BaseModel):
    """The certification that answers a request."""

    model_config = ConfigDict(extra="forbid")

    cert_id: str = Field(min_length=1, max_length=128)


class CancelIn(BaseModel):
    """Why the requester withdraws a request."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)


class RequestStatus(BaseModel):
    """Status computed at the moment of reading."""

    status: StatusWord
    reason: str
    evaluated_at: str
    certification: dict[str, Any] | None = Field(None, description="The answering certification's own status.")


class CertificationRequest(BaseModel):
    """A request as stored on the ledger, with its computed status."""

    model_config = ConfigDict(extra="allow")

    request_id: str
    requester_msp: str
    supplier_msp: str
    part_type: str
    due_at: str
    due_date: str
    note: str | None = None
    requested_at: str
    requested_by: str
    tx_id: str
    answer: dict[str, Any] | None = None
    previous_answers: list[dict[str, Any]] = Field(default_factory=list)
    cancellation: dict[str, Any] | None = None
    status: RequestStatus


class RequestList(BaseModel):
    """Requests, by id."""

    requests: list[CertificationRequest]


def _visible(services: Services, principal: Principal, doc: dict[str, Any]) -> dict[str, Any]:
    if principal.msp_id in (doc["requester_msp"], doc["supplier_msp"]) or sees_all(services, principal):
        return doc
    raise NotFound(
        f"certification request {doc['request_id']} does not exist", field="request_id", value=doc["request_id"]
    )


@router.post("", status_code=201, summary="Request a certification from a supplier (compliance or admin)")
def create_request(
    services: ServicesDep, principal: Requester, body: RequestIn, response: Response
) -> CertificationRequest:
    """The supplier must produce the part type; one open request per supplier and part type (409 otherwise)."""
    doc = body.model_dump(exclude_none=True)
    doc["request_id"] = body.request_id or f"RQ-{secrets.token_hex(5).upper()}"
    stored = submit(
        services, principal, "RequestCertification", json.dumps(doc, sort_keys=True, separators=(",", ":")), wait=True
    )
    response.headers["Location"] = f"/v1/certification-requests/{doc['request_id']}"
    return CertificationRequest.model_validate(stored)


@router.get("", summary="Requests the caller's org made or received")
def list_requests(
    services: ServicesDep,
    principal: Reader,
    side: Annotated[Literal["requester", "supplier", "both"], Query()] = "both",
    status: Annotated[StatusWord | None, Query()] = None,
    org: Annotated[str | None, Query(max_length=64, description="Auditing orgs' auditors only: whose.")] = None,
) -> RequestList:
    """``side=supplier`` is the supplier's inbox; ``side=requester`` the buyer's follow-up list."""
    msp = org or principal.msp_id
    if msp != principal.msp_id and not sees_all(services, principal):
        raise Forbidden(f"{principal.msp_id} may not list the requests of {msp}", field="org", value=msp)
    client = services.client(principal)
    sides = ("requester", "supplier") if side == "both" else (side,)
    found: dict[str, dict[str, Any]] = {}
    for s in sides:
        for doc in client.certification_requests(msp, s):
            found[doc["request_id"]] = doc
    docs = [found[k] for k in sorted(found) if status is None or found[k]["status"]["status"] == status]
    return RequestList(requests=[CertificationRequest.model_validate(d) for d in docs])


@router.get("/{request_id}", summary="One request with its status")
def get_request(services: ServicesDep, principal: Reader, request_id: RequestId) -> CertificationRequest:
    """Visible to the requester, the supplier and auditors."""
    doc = services.client(principal).get_certification_request(request_id)
    return CertificationRequest.model_validate(_visible(services, principal, doc))


@router.post("/{request_id}/answer", summary="Answer a request with a certification (supplier's certifier)")
def answer_request(
    services: ServicesDep, principal: Certifier, request_id: RequestId, body: AnswerIn
) -> CertificationRequest:
    """The certification must be the supplier's, of the requested part type, addressed to the requester, valid."""
    _visible(services, principal, services.client(principal).get_certification_request(request_id))
    doc = submit(services, principal, "AnswerCertificationRequest", request_id, body.cert_id, wait=True)
    return CertificationRequest.model_validate(doc)


@router.post("/{request_id}/cancel", summary="Withdraw a request (requester's compliance or admin)")
def cancel_request(
    services: ServicesDep, principal: Requester, request_id: RequestId, body: CancelIn
) -> CertificationRequest:
    """A cancelled request can no longer be answered."""
    _visible(services, principal, services.client(principal).get_certification_request(request_id))
    doc = submit(services, principal, "CancelCertificationRequest", request_id, body.reason, wait=True)
    return CertificationRequest.model_validate(doc)
