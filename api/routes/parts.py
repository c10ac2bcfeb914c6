"""Serialized parts: commission (one or a batch), read with history, as-built trees, search, decommission, anomalies.

Visibility: a part is visible to its producer, its current owner, every org that held it (custody history or a
shipment), every org that produced or owns an assembly it is in or a part it contains, and to auditors (members
with role ``auditor`` or of an org of tier ``auditor``). Anyone else gets the same 404 as for a part that does not
exist, so the API never reveals that a competitor's serial is on the ledger.

Part identifiers are URIs (``https://id.gs1.org/01/.../21/...``); put them in the path URL-encoded
(``/v1/parts/https%3A%2F%2Fid.gs1.org%2F01%2F...``) or as they are.
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from api.core.services import Services
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.embedded.ledger import EmbeddedLedger
from ledger.errors import GatewayError, LedgerError, NotFound, PayloadTooLarge
from ledger.identity.config import Tier

router = APIRouter(prefix="/v1", tags=["parts"], responses=PROBLEM_RESPONSES)

MAX_BATCH_PARTS = 5000
_JSON_FIELDS = ("shipment", "decommissioned", "anomalies", "anomaly_details", "child_uids", "uids", "cancelled")
Producer = Annotated[Principal, Depends(require_roles("station", "admin"))]
Inspector = Annotated[Principal, Depends(require_roles("auditor", "compliance", "admin"))]
EXAMPLE_PART = {
    "uid": "https://id.gs1.org/01/00628000000013/21/CAST-0001",
    "part_type": "SupplierMSP:CAST-1",
    "lot": "L2026-03",
    "production_date": "2026-03-01",
    "site_id": "supplier-plant",
}


class PartIn(BaseModel):
    """One serialized part to commission."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_PART]})

    uid: str = Field(min_length=1, max_length=512, description="Canonical identifier (absolute URI).")
    part_type: str = Field(min_length=1, max_length=128, description="Part type id (producer org's).")
    lot: str | None = Field(None, max_length=64)
    production_date: str = Field(min_length=1, max_length=10, description="YYYY-MM-DD.")
    site_id: str | None = Field(None, max_length=64, description="Default for a station: its own site.")


class PartBatchIn(BaseModel):
    """Up to 5,000 parts commissioned in one transaction, all or nothing."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"parts": [EXAMPLE_PART]}]})

    parts: list[PartIn] = Field(min_length=1)


class Part(BaseModel):
    """A part's current record."""

    model_config = ConfigDict(extra="allow")

    uid: str
    part_type: str
    producer_msp: str
    lot: str | None = None
    production_date: str
    site_id: str
    owner_msp: str
    status: str = Field(description="active, in_transit, consumed or decommissioned.")
    parent: str | None = None
    shipment: dict[str, Any] | None = None
    decommissioned: dict[str, Any] | None = None
    commissioned_at: str
    commissioned_by: str
    updated_at: str


class PartBatchOut(BaseModel):
    """The commissioned parts in input order."""

    parts: list[Part]


class CustodyEntry(BaseModel):
    """One committed version of the part record."""

    tx_id: str
    timestamp: str
    owner_msp: str
    status: str
    shipment: dict[str, Any] | None = None
    parent: str | None = None


class PartDetail(BaseModel):
    """A part with its whole story, read from the ledger."""

    part: Part
    ancestors: list[str] = Field(description="Parent, grandparent, ... (nearest first).")
    children: list[str]
    custody: list[CustodyEntry]
    scans: list[dict[str, Any]]
    anomalies: list[dict[str, Any]]
    last_seen: dict[str, Any] | None


class TreeNode(BaseModel):
    """A node of an as-built tree."""

    uid: str
    part: Part | None
    children: list[TreeNode]


class WhereUsed(BaseModel):
    """The chain of assemblies a part is in, nearest first, and the outermost one."""

    uid: str
    ancestors: list[Part]
    top_level: Part | None


class PartPage(BaseModel):
    """One page of a part search."""

    parts: list[Part]
    next_offset: int | None = Field(description="Pass as offset for the next page; null on the last page.")


class DecommissionIn(BaseModel):
    """Why a part leaves service."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "scrapped: porosity"}]})

    reason: str = Field(min_length=1, max_length=512)


class Anomaly(BaseModel):
    """A scan stored with anomaly flags."""

    model_config = ConfigDict(extra="allow")

    uid: str
    event_hash: str
    msp_id: str
    station_id: str
    site_id: str
    event_time: str
    anomalies: list[str]
    anomaly_details: dict[str, str]
    detected_at: str


class AnomalyList(BaseModel):
    """Flagged scans, newest first."""

    anomalies: list[Anomaly]


# -- helpers shared with custody and containment ---------------------------------------------------------------


def doc(row: dict[str, Any]) -> dict[str, Any]:
    """A read-model row as the ledger document (internal columns dropped, JSON columns decoded)."""
    out = {k: v for k, v in row.items() if not k.startswith("_") and k != "doc_type"}
    for name in _JSON_FIELDS:
        if isinstance(out.get(name), str):
            with contextlib.suppress(ValueError):
                out[name] = json.loads(out[name])
    return out


def is_auditor(services: Services, principal: Principal) -> bool:
    """Auditors (role, or any member of an auditing org) see every part."""
    if principal.role == "auditor":
        return True
    try:
        return services.network.org(principal.msp_id).tier == Tier.AUDITOR
    except LookupError:
        return False


def catch_up(services: Services, timeout: float = 3.0) -> None:
    """Wait until the read model holds every block committed so far (read-your-writes for list endpoints)."""
    height = EmbeddedLedger.open(services.home).store.height()
    services.wait_for_readmodel(height, timeout=timeout)


def readmodel_part(services: Services, uid: str) -> dict[str, Any] | None:
    """A part from the read model, waiting for it to catch up once when the part is not there yet."""
    rows = services.queries().table("part", "_key = ?", [uid])
    if not rows:
        catch_up(services)
        rows = services.queries().table("part", "_key = ?", [uid])
    return doc(rows[0]) if rows else None


def related_orgs(services: Services, uid: str, part: dict[str, Any]) -> set[str]:
    """Orgs that may see ``uid``: producers and owners of it, its assemblies and its contents, past holders."""
    q = services.queries()
    orgs = {part.get("producer_msp"), part.get("owner_msp")}
    related = [*q.as_built_up(uid), *(n.part or {} for n in q.as_built_down(uid).walk()[1:])]
    for other in related:
        orgs |= {other.get("producer_msp"), other.get("owner_msp")}
    if "shipment" in services.readmodel.db.table_names():
        rows = services.readmodel.db.execute(
            "SELECT s.from_msp, s.to_msp FROM shipment s, json_each(s.uids) j WHERE j.value = ?", [uid]
        ).fetchall()
        for from_msp, to_msp in rows:
            orgs |= {from_msp, to_msp}
    return {o for o in orgs if o}


def is_not_found(err: LedgerError) -> bool:
    """True for NotFound, raised here or by the chaincode (wrapped in a gateway error)."""
    return isinstance(err, NotFound) or (isinstance(err, GatewayError) and isinstance(err.cause, NotFound))


def hidden(uid: str, principal: Principal) -> NotFound:
    """The one answer for a part that does not exist and for one the caller may not see."""
    return NotFound(f"no part {uid} is visible to {principal.msp_id}", value=uid, field="uid")


def visible_part(services: Services, principal: Principal, uid: str) -> dict[str, Any]:
    """The read-model record of a part the caller may see, else the 404 of :func:`hidden`."""
    part = readmodel_part(services, uid)
    if part is None:
        raise hidden(uid, principal)
    if is_auditor(services, principal) or principal.msp_id in related_orgs(services, uid, part):
        return part
    raise hidden(uid, principal)


# -- routes ----------------------------------------------------------------------------------------------------


@router.post("/parts", summary="Commission one serialized part", status_code=201)
def commission(services: ServicesDep, principal: Producer, body: PartIn) -> Part:
    """The part type's producer (station at its site, or admin naming a site) commissions a part."""
    args = json.dumps(body.model_dump(exclude_none=True))
    return Part.model_validate(submit(services, principal, "CommissionPart", args, wait=True))


@router.post("/parts/batch", summary="Commission up to 5,000 parts in one transaction", status_code=201)
def commission_batch(services: ServicesDep, principal: Producer, body: PartBatchIn) -> PartBatchOut:
    """All or nothing: a bad item (named by index) or a clone refuses the whole batch."""
    if len(body.parts) > MAX_BATCH_PARTS:
        raise PayloadTooLarge(
            f"batch of {len(body.parts)} parts exceeds the limit of {MAX_BATCH_PARTS}", value=len(body.parts)
        )
    args = json.dumps([p.model_dump(exclude_none=True) for p in body.parts])
    docs = submit(services, principal, "CommissionParts", args, wait=True)
    return PartBatchOut(parts=[Part.model_validate(d) for d in docs])


@router.get("/parts", summary="Search parts (lot, part type, producer, owner, status)")
def search(
    services: ServicesDep,
    principal: PrincipalDep,
    lot: Annotated[str | None, Query(max_length=64)] = None,
    part_type: Annotated[str | None, Query(max_length=128)] = None,
    producer: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(active|in_transit|consumed|decommissioned)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PartPage:
    """Parts matching every given filter, by uid. Non-auditors see the parts their org produced or holds."""
    catch_up(services, timeout=1.0)
    conds, params = [], []
    for column, value in (("lot", lot), ("part_type", part_type), ("producer_msp", producer), ("owner_msp", owner)):
        if value is not None:
            conds.append(f"{column} = ?")
            params.append(value)
    if status is not None:
        conds.append("status = ?")
        params.append(status)
    if not is_auditor(services, principal):
        conds.append("(producer_msp = ? OR owner_msp = ?)")
        params += [principal.msp_id, principal.msp_id]
    db = services.readmodel.db
    if "part" not in db.table_names():
        return PartPage(parts=[], next_offset=None)
    rows = list(
        db["part"].rows_where(" AND ".join(conds) or None, params, order_by="_key", limit=limit + 1, offset=offset)
    )
    more = len(rows) > limit
    return PartPage(
        parts=[Part.model_validate(doc(r)) for r in rows[:limit]], next_offset=offset + limit if more else None
    )


@router.get("/parts/{uid:path}/tree", summary="As-built tree down: everything assembled into the part")
def tree_down(services: ServicesDep, principal: PrincipalDep, uid: str) -> TreeNode:
    """The part and, recursively, the parts it consumed (from the read model)."""
    visible_part(services, principal, uid)
    root = services.queries().as_built_down(uid)

    def convert(node: Any) -> TreeNode:
        part = doc(node.part) if node.part else None
        return TreeNode(
            uid=node.uid,
            part=Part.model_validate(part) if part else None,
            children=[convert(c) for c in node.children],
        )

    return convert(root)


@router.get("/parts/{uid:path}/where-used", summary="As-built tree up: the assemblies the part is in")
def tree_up(services: ServicesDep, principal: PrincipalDep, uid: str) -> WhereUsed:
    """Parent, grandparent, ... up to the top-level assembly (a vehicle, or a part still unassembled)."""
    part = visible_part(services, principal, uid)
    chain = [doc(p) for p in services.queries().as_built_up(uid) if p.get("producer_msp")]
    return WhereUsed(
        uid=uid,
        ancestors=[Part.model_validate(p) for p in chain],
        top_level=Part.model_validate(chain[-1] if chain else part),
    )


@router.post("/parts/{uid:path}/decommission", summary="Take a part out of service")
def decommission(services: ServicesDep, principal: Producer, uid: str, body: DecommissionIn) -> Part:
    """The custodian (station or admin) retires a part: scrapped, destroyed, recycled."""
    return Part.model_validate(submit(services, principal, "Decommission", uid, body.reason, wait=True))


@router.get("/parts/{uid:path}", summary="A part with custody history, scans, anomalies and assembly links")
def get_part(services: ServicesDep, principal: PrincipalDep, uid: str) -> PartDetail:
    """Read from the ledger (GetPart); 404 for parts the caller may not see."""
    try:
        story = services.client(principal).get_part(uid)
    except LedgerError as err:
        if is_not_found(err):
            raise hidden(uid, principal) from None
        raise
    part = story["part"]
    holders = {part["producer_msp"], part["owner_msp"], *(c["owner_msp"] for c in story["custody"])}
    if (
        principal.msp_id not in holders
        and not is_auditor(services, principal)
        and principal.msp_id not in related_orgs(services, uid, part)
    ):
        raise hidden(uid, principal)
    return PartDetail.model_validate(story)


@router.get("/anomalies", summary="Scans flagged as anomalies (auditor, compliance, admin)")
def anomalies(
    services: ServicesDep,
    principal: Inspector,
    flag: Annotated[
        str | None,
        Query(pattern="^(unknown_part|not_in_custody|decommissioned|consumed|impossible_travel|clock_skew)$"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AnomalyList:
    """Newest first. Auditors see all; others the flags raised by their own stations or on parts they hold."""
    catch_up(services, timeout=1.0)
    db = services.readmodel.db
    if "anomaly" not in db.table_names():
        return AnomalyList(anomalies=[])
    conds, params = [], []
    if flag:
        conds.append("a.anomalies LIKE ?")
        params.append(f'%"{flag}"%')
    if not is_auditor(services, principal):
        if "part" in db.table_names():
            conds.append("(a.msp_id = ? OR a.uid IN (SELECT _key FROM part WHERE producer_msp = ? OR owner_msp = ?))")
            params += [principal.msp_id] * 3
        else:
            conds.append("a.msp_id = ?")
            params.append(principal.msp_id)
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    cursor = db.execute(f"SELECT a.* FROM anomaly a {where} ORDER BY a.event_time DESC LIMIT ?", [*params, limit])
    names = [d[0] for d in cursor.description]
    return AnomalyList(anomalies=[Anomaly.model_validate(doc(dict(zip(names, r, strict=True)))) for r in cursor])
