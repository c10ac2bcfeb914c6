"""Serialized parts: commissioning, assembly into parents, decommissioning, and the part's full story.

A part is keyed by its canonical identifier (``part~UID``) and that one record carries custody and status,
so its key history is the custody history. Commissioning an identifier twice is refused: two physical parts
with one serial means one of them is a clone. Assembly links a parent to its children (``child~PARENT~CHILD``)
and marks each child consumed with its parent, which is what the as-built tree is read from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chaincode.contracts.parttypes import part_type_must_exist
from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import ANOMALY, CHILD, LAST_SEEN, PART, SCAN, SITE, STATION, Tx, answer
from chaincode.validate import Fields, check_uri, parse_list, parse_object
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError
from ledger.identity.attrs import Role

MAX_BATCH = 5000
MAX_CHILDREN = 1000
MAX_DEPTH = 64
ACTIVE, IN_TRANSIT, CONSUMED, DECOMMISSIONED = "active", "in_transit", "consumed", "decommissioned"
PRODUCERS = (Role.STATION, Role.ADMIN)


async def part_must_exist(tx: Tx, uid: str) -> dict[str, Any]:
    """The part record; NotFound naming the uid."""
    doc = await tx.get(tx.key(PART, check_uri(uid, "part uid", "uid")))
    if doc is None:
        raise NotFound(f"part {uid} was never commissioned", value=uid, field="uid")
    return doc


async def caller_station(tx: Tx) -> dict[str, Any] | None:
    """The station record of a station caller (None for other roles); refuses unregistered stations."""
    if tx.caller.role != Role.STATION:
        return None
    return registered_station(tx, await tx.get(station_key(tx)))


def station_key(tx: Tx) -> str:
    """The ledger key of the calling station's record; refuses a station certificate that names no station."""
    station_id = tx.caller.station
    if not station_id:
        raise Forbidden(
            f"station certificate {tx.caller.common_name!r} of {tx.msp} names no station id", field="station"
        )
    return tx.key(STATION, tx.msp, station_id)


def registered_station(tx: Tx, doc: dict[str, Any] | None) -> dict[str, Any]:
    """The calling station's record as read from :func:`station_key`; NotFound when it is not registered."""
    if doc is None:
        station_id = tx.caller.station
        raise NotFound(f"station {station_id} of {tx.msp} is not registered", value=station_id, field="station_id")
    return doc


def require_custody(part: dict[str, Any], msp: str, action: str) -> None:
    """Refuse acting on a part another org holds."""
    if part["owner_msp"] != msp:
        raise Forbidden(
            f"{msp} may not {action} part {part['uid']}: it is in the custody of {part['owner_msp']}",
            field="uid",
            value=part["uid"],
        )


class _Commissioner:
    """Commissions a batch of parts with per-batch caches (a transaction never reads its own writes)."""

    def __init__(self, tx: Tx, station: dict[str, Any] | None) -> None:
        self.tx = tx
        self.station = station
        self.types: dict[str, dict[str, Any]] = {}
        self.sites: set[str] = set()
        self.uids: set[str] = set()

    async def one(self, item: Any, what: str) -> dict[str, Any]:
        tx = self.tx
        f = Fields(item, what)
        uid = f.uri("uid")
        type_id = f.ident("part_type")
        lot = f.opt_text("lot", max_len=64)
        produced = f.date("production_date")
        site_id = f.opt_ident("site_id")
        f.done()
        if self.station is not None:
            site_id = site_id or self.station["site_id"]
            if site_id != self.station["site_id"]:
                raise Forbidden(
                    f"station {self.station['station_id']} is at site {self.station['site_id']}, "
                    f"it may not commission parts at site {site_id}",
                    field="site_id",
                    value=site_id,
                )
        elif site_id is None:
            raise ValidationError(f"{what} is missing required field 'site_id'", field="site_id")
        if produced > tx.now.date() + dt.timedelta(days=1):
            raise ValidationError(
                f"{what} production_date {produced.isoformat()} is after the transaction date {tx.now.date()}",
                field="production_date",
                value=produced.isoformat(),
            )
        ptype = self.types.get(type_id)
        if ptype is None:
            ptype = self.types[type_id] = await part_type_must_exist(tx, type_id)
        if ptype["producer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not commission parts of part type {type_id}: it is produced by {ptype['producer_msp']}",
                field="part_type",
                value=type_id,
            )
        if site_id not in self.sites:
            await tx.must_get(tx.key(SITE, tx.msp, site_id), f"site {site_id} of {tx.msp}")
            self.sites.add(site_id)
        key = tx.key(PART, uid)
        existing = None if uid in self.uids else await tx.get(key)
        if uid in self.uids or existing is not None:
            by = existing["producer_msp"] if existing else tx.msp
            raise Conflict(f"part {uid} was already commissioned by {by}: clone suspected", field="uid", value=uid)
        self.uids.add(uid)
        doc = {
            "doc_type": "part",
            "uid": uid,
            "part_type": type_id,
            "producer_msp": tx.msp,
            "lot": lot,
            "production_date": produced.isoformat(),
            "site_id": site_id,
            "owner_msp": tx.msp,
            "status": ACTIVE,
            "parent": None,
            "shipment": None,
            "commissioned_at": tx.now_iso,
            "commissioned_by": tx.caller.common_name,
            "updated_at": tx.now_iso,
        }
        await tx.put(key, doc)
        return doc


async def ancestors(tx: Tx, part: dict[str, Any]) -> list[str]:
    """The chain of parents above a part, nearest first."""
    chain: list[str] = []
    parent = part.get("parent")
    while parent and len(chain) < MAX_DEPTH:
        chain.append(parent)
        doc = await tx.get(tx.key(PART, parent))
        parent = doc.get("parent") if doc else None
    return chain


class PartTransactions:
    """CommissionPart(s), Decommission, GetPart (assembly lives in chaincode/contracts/assembly.py)."""

    @submit
    async def CommissionPart(self, ctx: TransactionContextInterface, part_json: str) -> str:
        """The part type's producer (station or admin) commissions one serialized part."""
        tx = Tx(ctx)
        tx.require("commission parts", *PRODUCERS)
        doc = await _Commissioner(tx, await caller_station(tx)).one(parse_object(part_json, "part"), "part")
        tx.emit("PartsCommissioned", {"count": 1, "uids": [doc["uid"]]})
        return answer(doc)

    @submit
    async def CommissionParts(self, ctx: TransactionContextInterface, parts_json: str) -> str:
        """Commission up to 5000 parts in one transaction; one bad item refuses the whole batch."""
        tx = Tx(ctx)
        tx.require("commission parts", *PRODUCERS)
        items = parse_list(parts_json, "parts", max_items=MAX_BATCH)
        worker = _Commissioner(tx, await caller_station(tx))
        docs = [await worker.one(item, f"parts[{i}]") for i, item in enumerate(items)]
        tx.emit("PartsCommissioned", {"count": len(docs), "uids": [d["uid"] for d in docs[:10]]})
        return answer(docs)

    @submit
    async def Decommission(self, ctx: TransactionContextInterface, uid: str, reason: str) -> str:
        """The custodian retires a part (scrapped, destroyed, returned for recycling)."""
        tx = Tx(ctx)
        tx.require("decommission parts", *PRODUCERS)
        if not reason.strip() or len(reason) > 512:
            raise ValidationError(f"decommission reason {reason[:40]!r} must be 1-512 characters", field="reason")
        part = await part_must_exist(tx, uid)
        if part["status"] == CONSUMED:
            raise Conflict(
                f"part {uid} is consumed in {part['parent']}; decommission the assembly it is in",
                field="uid",
                value=uid,
            )
        require_custody(part, tx.msp, "decommission")
        if part["status"] != ACTIVE:
            raise Conflict(f"part {uid} is {part['status']}", field="uid", value=uid)
        doc = {
            **part,
            "status": DECOMMISSIONED,
            "decommissioned": {"at": tx.now_iso, "by": tx.caller.common_name, "reason": reason},
            "updated_at": tx.now_iso,
        }
        await tx.put(tx.key(PART, uid), doc)
        tx.emit("PartDecommissioned", {"uid": uid})
        return answer(doc)

    @evaluate
    async def GetPart(self, ctx: TransactionContextInterface, uid: str) -> str:
        """A part with its full story: custody versions, scans, anomalies, children, parent chain."""
        tx = Tx(ctx)
        tx.require("read parts")
        part = await part_must_exist(tx, uid)
        versions = await tx.history(tx.key(PART, uid))
        custody = [
            {
                "tx_id": v["tx_id"],
                "timestamp": v["timestamp"],
                "owner_msp": v["value"]["owner_msp"],
                "status": v["value"]["status"],
                "shipment": v["value"].get("shipment"),
                "parent": v["value"].get("parent"),
            }
            for v in versions
            if v["value"] is not None
        ]
        scans = sorted((d for _, d in await tx.entries(SCAN, uid)), key=lambda d: (d["event_time"], d["event_hash"]))
        return answer(
            {
                "part": part,
                "ancestors": await ancestors(tx, part),
                "children": [d["child_uid"] for _, d in await tx.entries(CHILD, uid)],
                "custody": custody,
                "scans": scans,
                "anomalies": [d for _, d in await tx.entries(ANOMALY, uid)],
                "last_seen": await tx.get(tx.key(LAST_SEEN, uid)),
            }
        )
