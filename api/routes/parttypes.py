"""Part types: what a producer makes (part number, HS code, USMCA category, GTIN), readable by every member.

Only an admin of the producing org registers its part types; the chaincode enforces the GS1 rule (a GTIN must
start with one of the producer's registered GS1 company prefixes) and answers 403 naming the prefixes.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.core.deps import Admin, PrincipalDep, ServicesDep
from api.routes.scans import PROBLEM_RESPONSES, submit

router = APIRouter(prefix="/v1/part-types", tags=["part types"], responses=PROBLEM_RESPONSES)


class PartType(BaseModel):
    """A registered part type."""

    model_config = ConfigDict(extra="allow")

    id: str
    part_number: str
    description: str
    hs_code: str
    producer_msp: str
    usmca_category: str = Field(description="core_part, principal, complementary or other.")
    core_family: str | None = None
    unit: str
    gtin: str | None = Field(None, description="GTIN-14.")
    registered_at: str
    updated_at: str


class PartTypeIn(BaseModel):
    """A part type of the caller's org (id defaults to ``MSP:part_number``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "part_number": "CAST-1",
                    "description": "Transmission case casting, aluminium",
                    "hs_code": "8708.40",
                    "usmca_category": "core_part",
                    "core_family": "transmission",
                    "unit": "each",
                    "gtin": "00628000000013",
                }
            ]
        },
    )

    part_number: str = Field(min_length=1, max_length=64)
    id: str | None = Field(None, max_length=128)
    description: str = Field(min_length=1, max_length=512)
    hs_code: str = Field(min_length=1, max_length=16, description="6, 8 or 10 digits; dots and spaces ignored.")
    usmca_category: str = Field(pattern="^(core_part|principal|complementary|other)$")
    core_family: str | None = Field(
        None, description="For core_part only: engine, transmission, body_chassis, axle, suspension, steering, ..."
    )
    unit: str = Field(min_length=1, max_length=16)
    gtin: str | None = Field(None, max_length=14, description="GTIN-8/12/13/14 with a valid check digit.")


class PartTypeList(BaseModel):
    """Every part type, by id."""

    part_types: list[PartType]


@router.get("", summary="Every registered part type")
def list_part_types(services: ServicesDep, principal: PrincipalDep) -> PartTypeList:
    """From the ledger, by id."""
    return PartTypeList(part_types=[PartType.model_validate(p) for p in services.client(principal).list_part_types()])


@router.get("/by-gtin/{gtin}", summary="The part type a scanned GTIN identifies")
def by_gtin(
    services: ServicesDep, principal: PrincipalDep, gtin: Annotated[str, Path(min_length=1, max_length=14)]
) -> PartType:
    """GTIN-8/12/13/14 accepted; the check digit is verified (422 naming the expected digit)."""
    raw = services.gateway(principal).evaluate("GetPartTypeByGtin", gtin)
    return PartType.model_validate(json.loads(raw))


@router.get("/{part_type_id}", summary="One part type")
def get_part_type(
    services: ServicesDep, principal: PrincipalDep, part_type_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> PartType:
    """404 names the id when it is not registered."""
    return PartType.model_validate(services.client(principal).get_part_type(part_type_id))


@router.post("", summary="Register or update a part type of the caller's org (admin)", status_code=201)
def register_part_type(services: ServicesDep, principal: Admin, body: PartTypeIn) -> PartType:
    """GTIN outside the org's GS1 prefixes: 403; a GTIN or id of another org: 409."""
    args = json.dumps(body.model_dump(exclude_none=True))
    return PartType.model_validate(submit(services, principal, "RegisterPartType", args, wait=True))
