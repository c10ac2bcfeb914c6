"""Audit openings: a supplier exports the figures behind one certification; an auditor checks them on the ledger.

The ledger holds ``sha256(salt || canonical_json(breakdown))`` per certification. The issuing org exports the
*opening* (breakdown, salt, scheme) of exactly one certification and hands it to an auditor, who posts it back
to ``/v1/audit/openings/verify``: the API recomputes the commitment and compares it with the one recorded on the
ledger, answering with both values, so a changed figure, a wrong salt or another certification's opening shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import Auditor, ServicesDep, require_roles
from api.private.store import PrivateStore
from api.routes.certifications import CertStatus
from api.routes.scans import PROBLEM_RESPONSES
from chaincode.validate import iso_z
from ledger.commitment import SCHEME, Opening
from ledger.errors import NotFound

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)

Exporter = Annotated[Principal, Depends(require_roles("certifier", "admin", "compliance"))]
CertId = Annotated[str, Path(min_length=1, max_length=128)]


class OpeningDoc(BaseModel):
    """The opening of one certification's cost commitment, as handed to an auditor."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cert_id": "CO-SUPPLIER-3F9A0C12",
                    "issuer_msp": "SupplierMSP",
                    "scheme": SCHEME,
                    "salt": "5f" * 32,
                    "data": {"total_cost": "280", "vnm": "80"},
                    "commitment": "0" * 64,
                }
            ]
        },
    )

    cert_id: str = Field(min_length=1, max_length=128)
    issuer_msp: str | None = Field(None, max_length=64, description="Informative; the ledger's issuer is used.")
    scheme: str = Field(SCHEME, max_length=64)
    salt: str = Field(min_length=1, max_length=128, description="64 hex digits.")
    data: dict[str, Any] = Field(description="The cost breakdown exactly as committed.")
    commitment: str | None = Field(None, max_length=64, description="Informative; recomputed from data and salt.")


class Verification(BaseModel):
    """Whether an opening matches the commitment recorded on the ledger."""

    cert_id: str
    issuer_msp: str
    matches: bool
    recomputed: str = Field(description="sha256(salt || canonical_json(data)) from the posted opening.")
    ledger: str = Field(description="The cost_commitment recorded in the certification on the ledger.")
    scheme: str
    certification_status: CertStatus
    checked_at: str


@router.get(
    "/v1/certifications/{cert_id}/opening",
    summary="Export the opening of one of the caller org's certifications (certifier, admin, compliance)",
)
def export_opening(services: ServicesDep, principal: Exporter, cert_id: CertId) -> OpeningDoc:
    """Only the issuing org holds the figures; for any other org this is a 404."""
    opening = PrivateStore(services.home, principal.msp_id).opening(cert_id)
    doc = services.client(principal).get_certification(cert_id)
    if doc["issuer_msp"] != principal.msp_id:
        raise NotFound(f"{principal.msp_id} holds no cost breakdown for certification {cert_id!r}", value=cert_id)
    return OpeningDoc(
        cert_id=cert_id,
        issuer_msp=principal.msp_id,
        scheme=opening.scheme,
        salt=opening.salt,
        data=opening.data,
        commitment=opening.commitment(),
    )


@router.post("/v1/audit/openings/verify", summary="Check an opening against the ledger commitment (auditor)")
def verify_opening(services: ServicesDep, principal: Auditor, body: OpeningDoc) -> Verification:
    """``matches`` false (200) when a figure or the salt differs; 422 for a malformed salt or unknown scheme."""
    opening = Opening(data=body.data, salt=body.salt, scheme=body.scheme)
    recomputed = opening.commitment()
    cert = services.client(principal).get_certification(body.cert_id)
    ledger_value = cert["cost_commitment"]
    return Verification(
        cert_id=body.cert_id,
        issuer_msp=cert["issuer_msp"],
        matches=opening.matches(ledger_value),
        recomputed=recomputed,
        ledger=ledger_value,
        scheme=body.scheme,
        certification_status=CertStatus.model_validate(cert["status"]),
        checked_at=iso_z(dt.datetime.now(dt.UTC)),
    )
