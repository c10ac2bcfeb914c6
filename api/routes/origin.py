"""Origin: qualify a request (the CLI's contract) or a part straight from the ledger with the caller's own prices.

``POST /v1/origin/qualify`` is the pure engine behind an authenticated door. ``GET /v1/origin/parts/{uid}``
builds the request from the as-built tree, the part types, the certifications the caller's org may see (valid
ones only; anything else is origin unknown and listed in ``missing_evidence``) and the caller's private prices,
then qualifies it; the answer shows the request it built and the evidence behind each line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel

from api.compliance.gather import LedgerOrigin
from api.core.clock import today
from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from api.origin.engine import qualify
from api.origin.models import EndUse, QualifyAnswer
from api.routes.scans import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/origin", tags=["origin"], responses=PROBLEM_RESPONSES)

Computer = Annotated[Principal, Depends(require_roles("compliance", "certifier"))]
EXAMPLE = {
    "good": {"description": "Transmission case", "hs": "8708.40", "end_use": "oe_pv_lt"},
    "as_of": "2026-11-23",
    "method": "NC",
    "net_cost": "280",
    "materials": [{"id": "ingot", "value": "120", "origin": "originating"},
                  {"id": "bolts", "value": "80", "origin": "non_originating"}],
}  # fmt: skip


class PartOrigin(BaseModel):
    """The ledger-built request, the evidence behind each material, and the engine's answer."""

    uid: str
    part_type: str
    requester: str
    produced_on: str | None
    request: dict[str, Any]
    evidence: list[dict[str, Any]]
    notes: list[str]
    answer: QualifyAnswer


@router.post("/qualify", summary="Qualify one good (the same request/answer contract as `usmca origin qualify`)")
def qualify_route(
    principal: PrincipalDep,
    request: Annotated[dict[str, Any], Body(openapi_examples={"part": {"value": EXAMPLE}})],
) -> QualifyAnswer:
    """Any authenticated member; the engine is pure, so nothing is read or written."""
    return qualify(request)


@router.get("/parts/{uid:path}", summary="Origin of a part computed from the ledger and the caller's own prices")
def part_origin(
    services: ServicesDep,
    principal: Computer,
    uid: Annotated[str, Path(min_length=1, max_length=512)],
    as_of: Annotated[dt.date | None, Query(description="Date whose thresholds apply (default today).")] = None,
    end_use: Annotated[EndUse, Query(description="End use of a part (derives its category).")] = "oe_pv_lt",
    method: Annotated[Literal["TV", "NC", "best"], Query()] = "best",
) -> PartOrigin:
    """Compliance or certifier of the part's producer or current owner; 404 for anyone else."""
    day = as_of or today()
    lo = LedgerOrigin(services.readmodel, services.home, principal.msp_id)
    bom = lo.bom(uid, as_of=day, on=today(), end_use=end_use, extra={"method": method})
    return PartOrigin(**bom.as_dict(), answer=qualify(bom.request))
