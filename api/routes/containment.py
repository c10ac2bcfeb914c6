"""Containment for recalls: every vehicle or top-level assembly holding suspect parts, and where each is now.

``GET /v1/containment`` takes any combination of lot, supplier (producer MSP), part type and production date
range, finds the matching parts in the read model, walks each one up its as-built chain to the outermost
assembly, and answers one entry per top-level assembly with its owner, status, last sighting and the suspect
parts inside it. Compliance officers, auditors and admins may ask. Non-auditors see the entries they are party
to: assemblies their org produced or holds, and those containing parts their org produced or held (a
supplier tracing its own lot sees every vehicle its castings went into).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.core.credentials import Principal
from api.core.deps import ServicesDep, require_roles
from api.routes.parts import catch_up, doc, is_auditor
from api.routes.scans import PROBLEM_RESPONSES
from ledger.errors import ValidationError
from ledger.readmodel.queries import part_filter

router = APIRouter(prefix="/v1", tags=["containment"], responses=PROBLEM_RESPONSES)
Inspector = Annotated[Principal, Depends(require_roles("compliance", "auditor", "admin"))]
DATE = r"^\d{4}-\d{2}-\d{2}$"
MAX_MATCHES = 20_000


class Contained(BaseModel):
    """A matching part inside a top-level assembly."""

    uid: str
    part_type: str
    lot: str | None
    producer_msp: str
    production_date: str


class ContainmentEntry(BaseModel):
    """A vehicle or top-level assembly (or a matching part not assembled into anything) and where it is now."""

    uid: str
    part_type: str | None
    producer_msp: str | None
    owner_msp: str | None
    status: str | None
    last_seen: dict[str, Any] | None = Field(description="Latest sighting: org, site, station, time.")
    contains: list[Contained]


class ContainmentOut(BaseModel):
    """The answer to a containment query."""

    matched_parts: int = Field(description="Matching parts inside the entries below.")
    truncated: bool = Field(description="True when more than 20,000 parts matched; narrow the filters.")
    affected: list[ContainmentEntry]


@router.get("/containment", summary="Recall containment: every top-level assembly holding matching parts")
def containment(
    services: ServicesDep,
    principal: Inspector,
    lot: Annotated[str | None, Query(max_length=64)] = None,
    supplier: Annotated[str | None, Query(max_length=64, description="Producer MSP id.")] = None,
    part_type: Annotated[str | None, Query(max_length=128)] = None,
    produced_from: Annotated[str | None, Query(pattern=DATE, description="YYYY-MM-DD, inclusive.")] = None,
    produced_to: Annotated[str | None, Query(pattern=DATE, description="YYYY-MM-DD, inclusive.")] = None,
) -> ContainmentOut:
    """At least one filter is required; entries are sorted by uid."""
    filters = {"lot": lot, "producer_msp": supplier, "part_type": part_type}
    if not any(filters.values()) and not produced_from and not produced_to:
        raise ValidationError("give at least one of lot, supplier, part_type, produced_from, produced_to", field="lot")
    if produced_from and produced_to and produced_from > produced_to:
        raise ValidationError(
            f"produced_from {produced_from} is after produced_to {produced_to}",
            value=produced_from,
            field="produced_from",
        )
    catch_up(services, timeout=1.0)
    where, params = part_filter(
        lot=lot, producer=supplier, part_type=part_type, produced_from=produced_from, produced_to=produced_to
    )
    q = services.queries()
    matches = [doc(p) for p in q.parts(where, params, limit=MAX_MATCHES + 1)]
    truncated = len(matches) > MAX_MATCHES
    matches = matches[:MAX_MATCHES]
    auditor = is_auditor(services, principal)
    entries: dict[str, dict[str, Any]] = {}
    parties: dict[str, set[str]] = {}
    for part in matches:
        top = q.top_level(part["uid"]) or part
        entry = entries.setdefault(
            top["uid"],
            {
                "uid": top["uid"],
                "part_type": top.get("part_type"),
                "producer_msp": top.get("producer_msp"),
                "owner_msp": top.get("owner_msp"),
                "status": top.get("status"),
                "last_seen": q.last_seen(top["uid"]),
                "contains": [],
            },
        )
        entry["contains"].append({k: part.get(k) for k in Contained.model_fields})
        parties.setdefault(top["uid"], {top.get("producer_msp"), top.get("owner_msp")}).update(
            {part.get("producer_msp"), part.get("owner_msp")}
        )
    affected = [
        ContainmentEntry.model_validate(e)
        for uid, e in sorted(entries.items())
        if auditor or principal.msp_id in parties[uid]
    ]
    return ContainmentOut(matched_parts=sum(len(e.contains) for e in affected), truncated=truncated, affected=affected)
