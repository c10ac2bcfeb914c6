"""Custody transfer between organizations, two-sided: the sender ships, the receiver confirms.

Ship marks the listed parts in transit to a registered org and opens ``shipment~FROM~ID``; custody only moves
when the destination receives exactly those parts, so neither side can move parts into or out of the other's
books alone. A mismatch is refused naming the missing and extra identifiers, which is what a receiving clerk
needs to reconcile a short or over shipment.
"""

from __future__ import annotations

from typing import Any

from chaincode.contracts.parts import (
    ACTIVE,
    IN_TRANSIT,
    MAX_BATCH,
    PRODUCERS,
    part_must_exist,
    require_custody,
)
from chaincode.contracts.registry import org_must_exist
from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import PART, SHIPMENT, Tx, answer
from chaincode.validate import Fields, check_ident, check_uri, parse_object
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError

OPEN, RECEIVED, CANCELLED = "open", "received", "cancelled"
_SHOWN = 5


def _listing(uids: list[str]) -> str:
    shown = ", ".join(uids[:_SHOWN])
    return shown + (f" and {len(uids) - _SHOWN} more" if len(uids) > _SHOWN else "")


async def _shipment(tx: Tx, from_msp: str, shipment_id: str) -> dict[str, Any]:
    doc = await tx.get(tx.key(SHIPMENT, from_msp, shipment_id))
    if doc is None:
        raise NotFound(f"shipment {shipment_id} from {from_msp} does not exist", field="shipment_id", value=shipment_id)
    return doc


class CustodyTransactions:
    """Ship, Receive, CancelShipment, GetShipment."""

    @submit
    async def Ship(self, ctx: TransactionContextInterface, shipment_json: str) -> str:
        """The custodian ships parts to another registered org; they are in transit until received."""
        tx = Tx(ctx)
        tx.require("ship parts", *PRODUCERS)
        f = Fields(parse_object(shipment_json, "shipment"), "shipment")
        shipment_id = f.ident("shipment_id")
        to_msp = f.msp("to_msp")
        uids = f.str_list("uids", max_items=MAX_BATCH)
        reference = f.opt_text("reference", max_len=128)
        f.done()
        if to_msp == tx.msp:
            raise ValidationError(
                f"shipment {shipment_id} is addressed to its sender {to_msp}", field="to_msp", value=to_msp
            )
        await org_must_exist(tx, tx.msp)
        destination = await org_must_exist(tx, to_msp)
        if destination["tier"] == "auditor":
            raise ValidationError(
                f"{to_msp} is an auditor organization and cannot take custody of parts", field="to_msp", value=to_msp
            )
        key = tx.key(SHIPMENT, tx.msp, shipment_id)
        if await tx.get(key) is not None:
            raise Conflict(
                f"shipment {shipment_id} from {tx.msp} already exists", field="shipment_id", value=shipment_id
            )
        parts = []
        for uid in uids:
            part = await part_must_exist(tx, check_uri(uid, "shipment uids item", "uids"))
            require_custody(part, tx.msp, "ship")
            if part["status"] != ACTIVE:
                detail = f" in {part['parent']}" if part.get("parent") and part["status"] == "consumed" else ""
                raise Conflict(f"part {uid} is {part['status']}{detail} and cannot be shipped", field="uids", value=uid)
            parts.append(part)
        ref = {"from_msp": tx.msp, "shipment_id": shipment_id, "to_msp": to_msp}
        for part in parts:
            await tx.put(
                tx.key(PART, part["uid"]),
                {**part, "status": IN_TRANSIT, "shipment": ref, "updated_at": tx.now_iso},
            )
        doc = {
            "doc_type": "shipment",
            "shipment_id": shipment_id,
            "from_msp": tx.msp,
            "to_msp": to_msp,
            "uids": sorted(uids),
            "reference": reference,
            "status": OPEN,
            "shipped_at": tx.now_iso,
            "shipped_by": tx.caller.common_name,
            "received_at": None,
            "received_by": None,
        }
        await tx.put(key, doc)
        tx.emit(
            "ShipmentSent",
            {"from_msp": tx.msp, "to_msp": to_msp, "shipment_id": shipment_id, "parts": len(uids)},
        )
        return answer(doc)

    @submit
    async def Receive(self, ctx: TransactionContextInterface, receipt_json: str) -> str:
        """The destination confirms an open shipment with exactly its parts; custody then moves to it."""
        tx = Tx(ctx)
        tx.require("receive parts", *PRODUCERS)
        f = Fields(parse_object(receipt_json, "receipt"), "receipt")
        shipment_id = f.ident("shipment_id")
        from_msp = f.msp("from_msp")
        uids = f.str_list("uids", max_items=MAX_BATCH)
        f.done()
        shipment = await _shipment(tx, from_msp, shipment_id)
        if shipment["to_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not receive shipment {shipment_id}: it is addressed to {shipment['to_msp']}",
                field="shipment_id",
                value=shipment_id,
            )
        if shipment["status"] == CANCELLED:
            raise Conflict(
                f"shipment {shipment_id} from {from_msp} was cancelled at {shipment['cancelled']['at']}",
                field="shipment_id",
                value=shipment_id,
            )
        if shipment["status"] != OPEN:
            raise Conflict(
                f"shipment {shipment_id} from {from_msp} was already received at {shipment['received_at']}",
                field="shipment_id",
                value=shipment_id,
            )
        expected, got = set(shipment["uids"]), set(uids)
        if expected != got:
            problems = []
            if expected - got:
                problems.append(f"missing {_listing(sorted(expected - got))}")
            if got - expected:
                problems.append(f"not shipped {_listing(sorted(got - expected))}")
            raise Conflict(
                f"receipt does not match shipment {shipment_id} from {from_msp}: {'; '.join(problems)}",
                field="uids",
                value=sorted(expected ^ got)[0],
            )
        for uid in shipment["uids"]:
            part = await part_must_exist(tx, uid)
            await tx.put(
                tx.key(PART, uid),
                {**part, "status": ACTIVE, "owner_msp": tx.msp, "shipment": None, "updated_at": tx.now_iso},
            )
        doc = {
            **shipment,
            "status": RECEIVED,
            "received_at": tx.now_iso,
            "received_by": tx.caller.common_name,
        }
        await tx.put(tx.key(SHIPMENT, from_msp, shipment_id), doc)
        tx.emit("ShipmentReceived", {"from_msp": from_msp, "to_msp": tx.msp, "shipment_id": shipment_id})
        return answer(doc)

    @submit
    async def CancelShipment(self, ctx: TransactionContextInterface, shipment_id: str, reason: str) -> str:
        """The sender withdraws a shipment not yet received (wrong destination, truck never left)."""
        tx = Tx(ctx)
        tx.require("cancel shipments", *PRODUCERS)
        if not reason.strip() or len(reason) > 512:
            raise ValidationError(f"cancellation reason {reason[:40]!r} must be 1-512 characters", field="reason")
        shipment = await _shipment(tx, tx.msp, check_ident(shipment_id, "shipment id", "shipment_id"))
        if shipment["status"] != OPEN:
            raise Conflict(
                f"shipment {shipment_id} from {tx.msp} is {shipment['status']} and cannot be cancelled",
                field="shipment_id",
                value=shipment_id,
            )
        for uid in shipment["uids"]:
            part = await part_must_exist(tx, uid)
            await tx.put(tx.key(PART, uid), {**part, "status": ACTIVE, "shipment": None, "updated_at": tx.now_iso})
        doc = {
            **shipment,
            "status": CANCELLED,
            "cancelled": {"at": tx.now_iso, "by": tx.caller.common_name, "reason": reason},
        }
        await tx.put(tx.key(SHIPMENT, tx.msp, shipment_id), doc)
        tx.emit("ShipmentCancelled", {"from_msp": tx.msp, "to_msp": shipment["to_msp"], "shipment_id": shipment_id})
        return answer(doc)

    @evaluate
    async def GetShipment(self, ctx: TransactionContextInterface, from_msp: str, shipment_id: str) -> str:
        """One shipment with its status."""
        tx = Tx(ctx)
        tx.require("read shipments")
        check_ident(from_msp, "MSP id", "from_msp")
        return answer(await _shipment(tx, from_msp, check_ident(shipment_id, "shipment id", "shipment_id")))
