"""Assemblies (EPCIS TransformationEvent), shipments and receipts: how parts change hands and end up in vehicles.

``POST /v1/assemblies`` records that a parent part consumed child parts; it is idempotent by the
TransformationEvent's canonical hash, which the API computes when the caller sends none (see
:func:`assembly_event`). Shipments move custody between orgs: the sender ships, the receiver confirms exactly
the parts it got, and the sender may cancel an open shipment. A shipment is visible to its two orgs and to
auditors; anyone else gets 404.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from api.core.services import Services
from api.epcis import committed
from api.routes.parts import catch_up, doc, is_auditor, is_not_found
from api.routes.scans import EVENT_HASH_PATTERN, PROBLEM_RESPONSES, station_record, submit
from ledger.errors import LedgerError, NotFound
from scanner.epcis import TransformationEvent
from scanner.epcis.timestamps import parse_timestamp

router = APIRouter(prefix="/v1", tags=["custody"], responses=PROBLEM_RESPONSES)
Handler = Annotated[Principal, Depends(require_roles("station", "admin"))]

EXAMPLE_ASSEMBLY = {
    "parent_uid": "https://id.gs1.org/01/00614141000029/21/TX-0001",
    "child_uids": ["https://id.gs1.org/01/00628000000013/21/CAST-0001"],
    "event_time": "2026-03-05T08:30:00.000-05:00",
}


class AssemblyIn(BaseModel):
    """A parent part consumes child parts (TransformationEvent: inputs = children, output = parent)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ASSEMBLY]})

    parent_uid: str = Field(min_length=1, max_length=512)
    child_uids: list[str] = Field(min_length=1, max_length=1000)
    event_time: str = Field(min_length=1, max_length=64, description="RFC 3339 with offset.")
    event_hash: str | None = Field(
        None, pattern=EVENT_HASH_PATTERN, description="The TransformationEvent's CBV 2.0 hash; computed if absent."
    )
    read_point: str | None = Field(None, max_length=512, description="Hashed when given (readPoint.id).")


class Assembly(BaseModel):
    """The stored assembly (the first record when ``duplicate``)."""

    model_config = ConfigDict(extra="allow")

    event_hash: str
    parent_uid: str
    child_uids: list[str]
    msp_id: str
    station_id: str | None
    event_time: str
    assembled_at: str
    tx_id: str
    duplicate: bool


class ShipmentIn(BaseModel):
    """Parts the caller's org ships to another org."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "shipment_id": "ASN-2026-0001",
                    "to_msp": "Tier1MSP",
                    "uids": ["https://id.gs1.org/01/00628000000013/21/CAST-0001"],
                    "reference": "BOL 884512",
                }
            ]
        },
    )

    shipment_id: str = Field(min_length=1, max_length=64)
    to_msp: str = Field(min_length=1, max_length=64)
    uids: list[str] = Field(min_length=1, max_length=5000)
    reference: str | None = Field(None, max_length=256, description="ASN, bill of lading...")


class ReceiptIn(BaseModel):
    """Exactly the parts received (any order); a mismatch is refused naming both sides."""

    model_config = ConfigDict(extra="forbid")

    uids: list[str] = Field(min_length=1, max_length=5000)


class CancelIn(BaseModel):
    """Why an open shipment is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)


class Shipment(BaseModel):
    """A shipment record."""

    model_config = ConfigDict(extra="allow")

    shipment_id: str
    from_msp: str
    to_msp: str
    uids: list[str]
    reference: str | None = None
    status: str = Field(description="open, received or cancelled.")
    shipped_at: str
    shipped_by: str
    received_at: str | None = None
    received_by: str | None = None


class ShipmentList(BaseModel):
    """Shipments of the caller's org."""

    shipments: list[Shipment]


def assembly_event(body: AssemblyIn) -> TransformationEvent:
    """The TransformationEvent hashed when no ``event_hash`` is sent.

    Hashed fields: ``inputEPCList`` = child_uids, ``outputEPCList`` = [parent_uid], ``eventTime`` and its offset,
    ``bizStep`` assembling, ``disposition`` active, and ``readPoint`` when given.
    """
    when = parse_timestamp(body.event_time, field="event_time")
    try:
        return TransformationEvent(
            event_time=when,
            input_epc_list=tuple(body.child_uids),
            output_epc_list=(body.parent_uid,),
            biz_step="assembling",
            disposition="active",
            read_point=body.read_point,
        )
    except LedgerError as err:
        raise type(err)(f"assembly: {err.message}", value=err.value, field=err.field) from None


@router.post("/assemblies", summary="Assemble child parts into a parent (TransformationEvent)", status_code=201)
def assemble(services: ServicesDep, principal: Handler, body: AssemblyIn) -> Assembly:
    """The custodian of the parent and every child records the assembly; replaying the same event is harmless."""
    event_hash = body.event_hash or assembly_event(body).hash_id()
    args = {
        "parent_uid": body.parent_uid,
        "child_uids": body.child_uids,
        "event_hash": event_hash,
        "event_time": body.event_time,
    }
    stored = submit(services, principal, "Assemble", json.dumps(args), wait=True)
    committed.keep(
        services.home, principal.msp_id, "Assemble", lambda: [_assembly_event(services, principal, args, body, stored)]
    )
    return Assembly.model_validate(stored)


def _assembly_event(
    services: Services, principal: Principal, args: dict[str, Any], body: AssemblyIn, stored: dict[str, Any]
) -> TransformationEvent | None:
    """The committed TransformationEvent for the EPCIS repository: the API's own event, else the station agent's.

    The station agent hashes its event with the station's registered read point and sends none, so the
    station's record is read only when the API's event is not the committed one. A replay of another org's
    assembly stores nothing under the caller's org.
    """
    if stored.get("msp_id") != principal.msp_id:
        return None
    event = committed.assembly_event(args, stored, [body.read_point])
    station_id = stored.get("station_id")
    if event is None and body.read_point is None and station_id:
        read_point = station_record(services, principal, station_id).get("read_point")
        event = committed.assembly_event(args, stored, [read_point])
    return event


@router.post("/shipments", summary="Ship parts to another org", status_code=201)
def ship(services: ServicesDep, principal: Handler, body: ShipmentIn) -> Shipment:
    """The custodian of every part ships them; they are in transit until the receiver confirms."""
    args = json.dumps(body.model_dump(exclude_none=True))
    return Shipment.model_validate(submit(services, principal, "Ship", args, wait=True))


@router.post("/shipments/{from_msp}/{shipment_id}/receipt", summary="Receive an open shipment")
def receive(services: ServicesDep, principal: Handler, from_msp: str, shipment_id: str, body: ReceiptIn) -> Shipment:
    """The destination confirms the parts it received; custody moves to it."""
    args = json.dumps({"shipment_id": shipment_id, "from_msp": from_msp, "uids": body.uids})
    return Shipment.model_validate(submit(services, principal, "Receive", args, wait=True))


@router.post("/shipments/{shipment_id}/cancel", summary="Cancel an open shipment of the caller's org")
def cancel(services: ServicesDep, principal: Handler, shipment_id: str, body: CancelIn) -> Shipment:
    """The sender withdraws an open shipment; its parts return to active in the sender's custody."""
    return Shipment.model_validate(submit(services, principal, "CancelShipment", shipment_id, body.reason, wait=True))


def _visible(services: Any, principal: Principal, shipment: dict[str, Any]) -> bool:
    return principal.msp_id in (shipment["from_msp"], shipment["to_msp"]) or is_auditor(services, principal)


@router.get("/shipments", summary="Shipments sent or received by the caller's org")
def list_shipments(
    services: ServicesDep,
    principal: PrincipalDep,
    direction: Annotated[str, Query(pattern="^(in|out|both)$")] = "both",
    status: Annotated[str | None, Query(pattern="^(open|received|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ShipmentList:
    """Newest first, from the read model."""
    catch_up(services, timeout=1.0)
    db = services.readmodel.db
    if "shipment" not in db.table_names():
        return ShipmentList(shipments=[])
    sides = {"in": "to_msp = ?", "out": "from_msp = ?", "both": "(from_msp = ? OR to_msp = ?)"}[direction]
    params: list[Any] = [principal.msp_id] * sides.count("?")
    where = sides
    if status:
        where += " AND status = ?"
        params.append(status)
    rows = db["shipment"].rows_where(where, params, order_by="shipped_at DESC", limit=limit)
    return ShipmentList(shipments=[Shipment.model_validate(doc(r)) for r in rows])


@router.get("/shipments/{from_msp}/{shipment_id}", summary="One shipment (its two orgs and auditors)")
def get_shipment(services: ServicesDep, principal: PrincipalDep, from_msp: str, shipment_id: str) -> Shipment:
    """Read from the ledger; 404 when it does not exist or the caller is neither sender nor receiver."""
    gone = NotFound(f"no shipment {shipment_id} from {from_msp} is visible to {principal.msp_id}", value=shipment_id)
    try:
        shipment = services.client(principal).get_shipment(from_msp, shipment_id)
    except LedgerError as err:
        if is_not_found(err):
            raise gone from None
        raise
    if not _visible(services, principal, shipment):
        raise gone
    return Shipment.model_validate(shipment)
