"""The as-built tree: a parent part consumes children (Assemble) and gives them back (Disassemble).

Assembly is an EPCIS TransformationEvent whose canonical hash is the idempotency key, so a station replaying
its outbox records each assembly once. A child is consumed by one parent at a time and a part can never
contain itself or one of its ancestors. Disassembly (rework, warranty replacement, remanufacturing) returns
children to the custodian of the parent as active parts, deletes their ``child~PARENT~CHILD`` links and
keeps the story in the children's key history.
"""

from __future__ import annotations

from typing import Any

from chaincode.contracts.parts import (
    ACTIVE,
    CONSUMED,
    DECOMMISSIONED,
    IN_TRANSIT,
    MAX_CHILDREN,
    PRODUCERS,
    ancestors,
    caller_station,
    part_must_exist,
    require_custody,
)
from chaincode.errors import submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import ASSEMBLY, CHILD, DISASSEMBLY, PART, Tx, answer
from chaincode.validate import Fields, check_uri, iso_z, parse_object
from ledger.errors import Conflict


def _read_event(text: str, what: str) -> tuple[str, list[str], str, str, Fields]:
    f = Fields(parse_object(text, what), what)
    parent_uid = f.uri("parent_uid")
    child_uids = f.str_list("child_uids", max_items=MAX_CHILDREN)
    event_hash = f.event_hash("event_hash")
    event_time = iso_z(f.timestamp("event_time"))
    for uid in child_uids:
        check_uri(uid, f"{what} child_uids item", "child_uids")
    return parent_uid, child_uids, event_hash, event_time, f


async def _replayed(tx: Tx, key: str, parent_uid: str, child_uids: list[str], event_hash: str) -> str | None:
    """The first record's answer when this event hash was recorded already (Conflict if for other parts)."""
    first = await tx.get(key)
    if first is None:
        return None
    if first["parent_uid"] != parent_uid or sorted(first["child_uids"]) != sorted(child_uids):
        raise Conflict(
            f"event hash {event_hash} was already recorded for parent {first['parent_uid']} with other children",
            field="event_hash",
            value=event_hash,
        )
    return answer({**first, "duplicate": True})


async def _parent_in_hand(tx: Tx, parent_uid: str, action: str) -> dict[str, Any]:
    parent = await part_must_exist(tx, parent_uid)
    require_custody(parent, tx.msp, action)
    if parent["status"] in (IN_TRANSIT, DECOMMISSIONED):
        raise Conflict(f"parent {parent_uid} is {parent['status']}", field="parent_uid", value=parent_uid)
    return parent


class AssemblyTransactions:
    """Assemble and Disassemble."""

    @submit
    async def Assemble(self, ctx: TransactionContextInterface, assembly_json: str) -> str:
        """The custodian of a parent and its children records that the parent consumed them.

        The EPCIS TransformationEvent hash is the idempotency key: the same event again returns the first
        record.
        """
        tx = Tx(ctx)
        tx.require("assemble parts", *PRODUCERS)
        parent_uid, child_uids, event_hash, event_time, f = _read_event(assembly_json, "assembly")
        f.done()
        station = await caller_station(tx)
        key = tx.key(ASSEMBLY, event_hash)
        replay = await _replayed(tx, key, parent_uid, child_uids, event_hash)
        if replay is not None:
            return replay
        if parent_uid in child_uids:
            raise Conflict(f"part {parent_uid} cannot contain itself", field="child_uids", value=parent_uid)
        parent = await _parent_in_hand(tx, parent_uid, "assemble into")
        above = set(await ancestors(tx, parent))
        children = []
        for uid in child_uids:
            child = await part_must_exist(tx, uid)
            require_custody(child, tx.msp, "assemble")
            if uid in above:
                raise Conflict(
                    f"part {uid} already contains {parent_uid}; assembling it into {parent_uid} would make a cycle",
                    field="child_uids",
                    value=uid,
                )
            if child["status"] == CONSUMED:
                raise Conflict(
                    f"part {uid} was already consumed by parent {child['parent']}",
                    field="child_uids",
                    value=uid,
                )
            if child["status"] != ACTIVE:
                raise Conflict(f"part {uid} is {child['status']}", field="child_uids", value=uid)
            children.append(child)
        doc = {
            "doc_type": "assembly",
            "event_hash": event_hash,
            "parent_uid": parent_uid,
            "child_uids": child_uids,
            "msp_id": tx.msp,
            "station_id": station["station_id"] if station else None,
            "event_time": event_time,
            "assembled_at": tx.now_iso,
            "tx_id": tx.tx_id,
        }
        await tx.put(key, doc)
        for child in children:
            link = {
                "doc_type": "child",
                "parent_uid": parent_uid,
                "child_uid": child["uid"],
                "event_hash": event_hash,
                "assembled_at": tx.now_iso,
            }
            await tx.put(tx.key(CHILD, parent_uid, child["uid"]), link)
            await tx.put(
                tx.key(PART, child["uid"]),
                {**child, "status": CONSUMED, "parent": parent_uid, "updated_at": tx.now_iso},
            )
        tx.emit("PartsAssembled", {"parent_uid": parent_uid, "children": len(children), "event_hash": event_hash})
        return answer({**doc, "duplicate": False})

    @submit
    async def Disassemble(self, ctx: TransactionContextInterface, disassembly_json: str) -> str:
        """The custodian of a parent takes children out of it; they become active parts in its custody.

        The EPCIS event hash (a TransformationEvent with the parent in and the children out, or an
        AggregationEvent DELETE) is the idempotency key, as for Assemble.
        """
        tx = Tx(ctx)
        tx.require("disassemble parts", *PRODUCERS)
        parent_uid, child_uids, event_hash, event_time, f = _read_event(disassembly_json, "disassembly")
        reason = f.text("reason", max_len=512)
        f.done()
        station = await caller_station(tx)
        key = tx.key(DISASSEMBLY, event_hash)
        replay = await _replayed(tx, key, parent_uid, child_uids, event_hash)
        if replay is not None:
            return replay
        await _parent_in_hand(tx, parent_uid, "disassemble")
        children = []
        for uid in child_uids:
            child = await part_must_exist(tx, uid)
            if child["status"] != CONSUMED or child.get("parent") != parent_uid:
                where = f"in {child['parent']}" if child["status"] == CONSUMED else child["status"]
                raise Conflict(f"part {uid} is not in {parent_uid} (it is {where})", field="child_uids", value=uid)
            children.append(child)
        doc = {
            "doc_type": "disassembly",
            "event_hash": event_hash,
            "parent_uid": parent_uid,
            "child_uids": child_uids,
            "reason": reason,
            "msp_id": tx.msp,
            "station_id": station["station_id"] if station else None,
            "event_time": event_time,
            "disassembled_at": tx.now_iso,
            "tx_id": tx.tx_id,
        }
        await tx.put(key, doc)
        for child in children:
            await tx.delete(tx.key(CHILD, parent_uid, child["uid"]))
            await tx.put(
                tx.key(PART, child["uid"]),
                {**child, "status": ACTIVE, "parent": None, "owner_msp": tx.msp, "updated_at": tx.now_iso},
            )
        tx.emit("PartsDisassembled", {"parent_uid": parent_uid, "children": len(children), "event_hash": event_hash})
        return answer({**doc, "duplicate": False})
