"""Certification requests: an OEM or Tier-1 asks a supplier to certify the origin of a part type it buys.

Solicitation is cross-org (the requester and the supplier each run their own API node), so the request and its
answer live on the ledger. The requester's compliance or admin member opens a request with a due date; the
supplier's certifier answers it by linking a certification addressed to the requester. The status (open,
overdue, answered, expiring soon, lapsed, cancelled) is computed on every read at the transaction time, never
stored, so a request turns overdue, or its answer starts expiring, without anyone writing to the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chaincode import lineage
from chaincode.contracts.certifications import _cert, _closure
from chaincode.contracts.parttypes import part_type_must_exist
from chaincode.contracts.registry import org_must_exist
from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import Tx, answer
from chaincode.validate import Fields, check_ident, iso_z, parse_object
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError
from ledger.identity.attrs import Role

#: Composite-key object types (see docs/chaincode.md "Keys and documents").
CERT_REQUEST = "certreq"
CERT_REQUEST_BY_REQUESTER = "certreqbyrequester"
CERT_REQUEST_BY_SUPPLIER = "certreqbysupplier"

OPEN, OVERDUE, ANSWERED, EXPIRING_SOON, LAPSED, CANCELLED = (
    "open",
    "overdue",
    "answered",
    "expiring_soon",
    "lapsed",
    "cancelled",
)
STATUSES = (OPEN, OVERDUE, ANSWERED, EXPIRING_SOON, LAPSED, CANCELLED)
#: An answered request reads "expiring soon" when its certification can be relied on for at most this many days.
EXPIRING_DAYS = 30
SIDES = ("requester", "supplier")
MAX_NOTE = 1024


def _due(f: Fields, now: dt.datetime) -> dt.datetime:
    """The deadline from exactly one of ``due_date`` (end of that UTC day) or ``due_at`` (RFC 3339)."""
    has_date, has_at = f.doc.get("due_date") is not None, f.doc.get("due_at") is not None
    if has_date == has_at:
        f.raw("due_date", required=False)
        f.raw("due_at", required=False)
        raise ValidationError(
            "certification request needs exactly one of 'due_date' (YYYY-MM-DD) or 'due_at' (RFC 3339)",
            field="due_date",
        )
    if has_date:
        f.raw("due_at", required=False)
        day = f.date("due_date")
        due = dt.datetime.combine(day, dt.time(23, 59, 59, 999000), dt.UTC)
        shown = day.isoformat()
    else:
        f.raw("due_date", required=False)
        due = f.timestamp("due_at").astimezone(dt.UTC)
        shown = f.doc["due_at"]
    if due <= now:
        raise ValidationError(
            f"certification request due {shown} is not after the request time {iso_z(now)}",
            field="due_at" if has_at else "due_date",
            value=shown,
        )
    return due


async def request_must_exist(tx: Tx, request_id: str) -> dict[str, Any]:
    """The request document; NotFound naming the id."""
    doc = await tx.get(tx.key(CERT_REQUEST, check_ident(request_id, "certification request id", "request_id")))
    if doc is None:
        raise NotFound(f"certification request {request_id} does not exist", field="request_id", value=request_id)
    return doc


async def with_status(tx: Tx, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each request with ``status`` computed at the transaction time (answers' lineage read once)."""
    roots = [d["answer"]["cert_id"] for d in docs if d.get("answer")]
    cache = await _closure(tx, roots, {})
    today = tx.now.date()
    out = []
    for d in docs:
        out.append({**d, "status": request_status(d, cache, tx.now, today)})
    return out


def request_status(
    doc: dict[str, Any], certs: dict[str, dict[str, Any] | None], now: dt.datetime, today: dt.date
) -> dict[str, Any]:
    """The computed status of one request: the word, why, and the answering certification's own status."""
    status: dict[str, Any] = {"evaluated_at": iso_z(now), "certification": None}
    due = dt.datetime.fromisoformat(doc["due_at"])
    if doc.get("cancellation"):
        c = doc["cancellation"]
        return {**status, "status": CANCELLED, "reason": f"cancelled at {c['at']}: {c['reason']}"}
    ans = doc.get("answer")
    if not ans:
        if now > due:
            late = (now - due).days
            return {**status, "status": OVERDUE, "reason": f"due {doc['due_at']}, not answered ({late} days late)"}
        return {**status, "status": OPEN, "reason": f"due {doc['due_at']}"}
    cert_status = lineage.evaluate(ans["cert_id"], certs, today)
    status["certification"] = {"cert_id": ans["cert_id"], **cert_status.as_dict(iso_z(now))}
    if not cert_status.valid:
        detail = cert_status.reasons[0] if cert_status.reasons else cert_status.status
        return {
            **status,
            "status": LAPSED,
            "reason": f"certification {ans['cert_id']} is {cert_status.status}: {detail}",
        }
    left = (dt.date.fromisoformat(cert_status.expires_at) - today).days
    if left <= EXPIRING_DAYS:
        return {
            **status,
            "status": EXPIRING_SOON,
            "reason": f"certification {ans['cert_id']} expires {cert_status.expires_at} (in {left} days)",
        }
    return {**status, "status": ANSWERED, "reason": f"answered with certification {ans['cert_id']}"}


class SolicitationTransactions:
    """RequestCertification, AnswerCertificationRequest, CancelCertificationRequest and the request reads."""

    @submit
    async def RequestCertification(self, ctx: TransactionContextInterface, request_json: str) -> str:
        """A compliance or admin member asks a supplier to certify the origin of a part type it produces."""
        tx = Tx(ctx)
        who = tx.require("request certifications", Role.COMPLIANCE, Role.ADMIN)
        f = Fields(parse_object(request_json, "certification request"), "certification request")
        request_id = f.ident("request_id")
        supplier = f.msp("supplier_msp")
        type_id = f.ident("part_type")
        due = _due(f, tx.now)
        note = f.opt_text("note", max_len=MAX_NOTE)
        f.done()
        await org_must_exist(tx, tx.msp)
        if supplier == tx.msp:
            raise ValidationError(
                f"{tx.msp} may not request a certification from itself", field="supplier_msp", value=supplier
            )
        await org_must_exist(tx, supplier)
        ptype = await part_type_must_exist(tx, type_id)
        if ptype["producer_msp"] != supplier:
            raise ValidationError(
                f"part type {type_id} is produced by {ptype['producer_msp']}, not {supplier}",
                field="part_type",
                value=type_id,
            )
        key = tx.key(CERT_REQUEST, request_id)
        if await tx.get(key) is not None:
            raise Conflict(f"certification request {request_id} already exists", field="request_id", value=request_id)
        for _, idx in await tx.entries(CERT_REQUEST_BY_REQUESTER, tx.msp):
            if idx["supplier_msp"] != supplier or idx["part_type"] != type_id:
                continue
            other = await request_must_exist(tx, idx["request_id"])
            if not other.get("answer") and not other.get("cancellation"):
                raise Conflict(
                    f"{tx.msp} already has open certification request {other['request_id']} to {supplier} "
                    f"for part type {type_id}",
                    field="part_type",
                    value=type_id,
                )
        doc = {
            "doc_type": "certrequest",
            "request_id": request_id,
            "requester_msp": tx.msp,
            "supplier_msp": supplier,
            "part_type": type_id,
            "due_at": iso_z(due),
            "due_date": due.date().isoformat(),
            "note": note,
            "requested_at": tx.now_iso,
            "requested_by": who.common_name,
            "tx_id": tx.tx_id,
            "answer": None,
            "previous_answers": [],
            "cancellation": None,
        }
        await tx.put(key, doc)
        index = {
            "doc_type": "certrequestindex",
            "request_id": request_id,
            "requester_msp": tx.msp,
            "supplier_msp": supplier,
            "part_type": type_id,
        }
        await tx.put(tx.key(CERT_REQUEST_BY_REQUESTER, tx.msp, request_id), index)
        await tx.put(tx.key(CERT_REQUEST_BY_SUPPLIER, supplier, request_id), index)
        tx.emit(
            "CertificationRequested",
            {"request_id": request_id, "requester_msp": tx.msp, "supplier_msp": supplier, "part_type": type_id},
        )
        return answer((await with_status(tx, [doc]))[0])

    @submit
    async def AnswerCertificationRequest(self, ctx: TransactionContextInterface, request_id: str, cert_id: str) -> str:
        """The supplier's certifier answers a request with a valid certification addressed to the requester."""
        tx = Tx(ctx)
        who = tx.require("answer certification requests", Role.CERTIFIER)
        doc = await request_must_exist(tx, request_id)
        if doc["supplier_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not answer certification request {request_id}: it is addressed to {doc['supplier_msp']}",
                field="request_id",
                value=request_id,
            )
        if doc.get("cancellation"):
            raise Conflict(
                f"certification request {request_id} was cancelled at {doc['cancellation']['at']}",
                field="request_id",
                value=request_id,
            )
        cert = await _cert(tx, cert_id)
        if doc.get("answer") and doc["answer"]["cert_id"] == cert_id:
            raise Conflict(
                f"certification request {request_id} is already answered with certification {cert_id}",
                field="cert_id",
                value=cert_id,
            )
        if cert["issuer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not answer with certification {cert_id}: it was issued by {cert['issuer_msp']}",
                field="cert_id",
                value=cert_id,
            )
        if cert["part_type"] != doc["part_type"]:
            raise ValidationError(
                f"certification {cert_id} covers part type {cert['part_type']}, "
                f"but request {request_id} asks for {doc['part_type']}",
                field="cert_id",
                value=cert_id,
            )
        customers = cert.get("customers") or []
        if doc["requester_msp"] not in customers:
            raise ValidationError(
                f"certification {cert_id} is not addressed to {doc['requester_msp']} "
                f"(customers: {', '.join(customers) or 'none'})",
                field="cert_id",
                value=cert_id,
            )
        cache = await _closure(tx, [cert_id], {})
        status = lineage.evaluate(cert_id, cache, tx.now.date())
        if not status.valid:
            raise Conflict(
                f"certification {cert_id} is {status.status}: {status.reasons[0]}", field="cert_id", value=cert_id
            )
        previous = list(doc.get("previous_answers") or [])
        if doc.get("answer"):
            previous.append(doc["answer"])
        doc = {
            **doc,
            "answer": {"cert_id": cert_id, "at": tx.now_iso, "by": who.common_name, "tx_id": tx.tx_id},
            "previous_answers": previous,
        }
        await tx.put(tx.key(CERT_REQUEST, request_id), doc)
        tx.emit(
            "CertificationRequestAnswered",
            {
                "request_id": request_id,
                "requester_msp": doc["requester_msp"],
                "supplier_msp": tx.msp,
                "cert_id": cert_id,
            },
        )
        return answer((await with_status(tx, [doc]))[0])

    @submit
    async def CancelCertificationRequest(self, ctx: TransactionContextInterface, request_id: str, reason: str) -> str:
        """The requester withdraws a request it no longer needs (part type dropped, supplier changed)."""
        tx = Tx(ctx)
        who = tx.require("cancel certification requests", Role.COMPLIANCE, Role.ADMIN)
        if not reason.strip() or len(reason) > 512:
            raise ValidationError(f"cancellation reason {reason[:40]!r} must be 1-512 characters", field="reason")
        doc = await request_must_exist(tx, request_id)
        if doc["requester_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not cancel certification request {request_id}: it was made by {doc['requester_msp']}",
                field="request_id",
                value=request_id,
            )
        if doc.get("cancellation"):
            raise Conflict(
                f"certification request {request_id} was already cancelled at {doc['cancellation']['at']}",
                field="request_id",
                value=request_id,
            )
        doc = {**doc, "cancellation": {"at": tx.now_iso, "by": who.common_name, "reason": reason}}
        await tx.put(tx.key(CERT_REQUEST, request_id), doc)
        tx.emit(
            "CertificationRequestCancelled",
            {"request_id": request_id, "requester_msp": tx.msp, "supplier_msp": doc["supplier_msp"]},
        )
        return answer((await with_status(tx, [doc]))[0])

    @evaluate
    async def GetCertificationRequest(self, ctx: TransactionContextInterface, request_id: str) -> str:
        """One request with its status computed now."""
        tx = Tx(ctx)
        tx.require("read certification requests")
        return answer((await with_status(tx, [await request_must_exist(tx, request_id)]))[0])

    @evaluate
    async def ListCertificationRequests(self, ctx: TransactionContextInterface, msp_id: str, side: str) -> str:
        """The requests an org made (``side`` requester) or received (``side`` supplier), with status, by id."""
        tx = Tx(ctx)
        tx.require("read certification requests")
        check_ident(msp_id, "MSP id", "msp_id")
        if side not in SIDES:
            raise ValidationError(f"side {side!r} is not one of {', '.join(SIDES)}", field="side", value=side)
        object_type = CERT_REQUEST_BY_REQUESTER if side == "requester" else CERT_REQUEST_BY_SUPPLIER
        index = await tx.entries(object_type, msp_id)
        docs = [await request_must_exist(tx, d["request_id"]) for _, d in index]
        return answer(await with_status(tx, docs))
