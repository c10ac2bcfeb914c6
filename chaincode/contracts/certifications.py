"""Origin certifications: a supplier's signed USMCA statement about a part type, and its lineage.

The certifier of the producing org submits a body (scope, origin criterion, method, RVC, the non-originating
value share customers roll up, a salted commitment to the private cost breakdown, upstream certification ids
and addressees) with an ECDSA signature over ``canonical_json(body)``. The body is stored exactly as signed so
anyone can re-verify it later; the status (revoked, expired, or broken by an upstream) is computed on every
read at the transaction time, never stored, so it cannot go stale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chaincode import lineage
from chaincode.contracts.parttypes import part_type_must_exist
from chaincode.contracts.registry import org_must_exist
from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.signature import verify_detached
from chaincode.state import CERT, CERT_BY_ORG, CERT_BY_TYPE, PART, Tx, answer
from chaincode.validate import Fields, check_ident, check_uri, parse_object
from ledger.canonical import canonical_json
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError
from ledger.identity.attrs import Role

CRITERIA = ("A", "B", "C", "D")
METHODS = ("TV", "NC")
MAX_LIST = 1000
MAX_UPSTREAM = 200
BLANKET_MONTHS = 12
#: Fields the certifier signs (everything in the submitted object except ``signature``).
SIGNED_FIELDS = (
    "cert_id", "part_type", "issuer_msp", "scope", "origin_criterion", "method", "rvc", "originating",
    "non_originating_share", "cost_commitment", "upstream", "customers",
)  # fmt: skip


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _scope(raw: Any) -> None:
    f = Fields(raw, "certification scope")
    kind = f.choice("kind", ("blanket", "lots", "serials"))
    if kind == "blanket":
        start, end = f.date("from"), f.date("to")
        if end < start:
            raise ValidationError(
                f"blanket period ends {end.isoformat()} before it starts {start.isoformat()}",
                field="scope.to",
                value=end.isoformat(),
            )
        if end >= _add_months(start, BLANKET_MONTHS):
            raise ValidationError(
                f"blanket period {start.isoformat()}..{end.isoformat()} is longer than {BLANKET_MONTHS} months",
                field="scope.to",
                value=end.isoformat(),
            )
    elif kind == "lots":
        f.str_list("lots", max_items=MAX_LIST)
    else:
        for uid in f.str_list("uids", max_items=MAX_LIST):
            check_uri(uid, "certification scope uid", "scope.uids")
    f.done()


def _validate_body(body: dict[str, Any]) -> Fields:
    f = Fields(body, "certification")
    f.ident("cert_id")
    f.ident("part_type")
    f.msp("issuer_msp")
    _scope(f.raw("scope"))
    f.choice("origin_criterion", CRITERIA)
    method = f.raw("method", required=False)
    if method is not None:
        f.choice("method", METHODS)
        f.percent("rvc")
    elif body.get("rvc") is not None:
        raise ValidationError("certification rvc is given without a method (TV or NC)", field="method")
    else:
        f.raw("rvc", required=False)
    f.boolean("originating")
    f.percent("non_originating_share")
    f.hex64("cost_commitment")
    f.str_list("upstream", max_items=MAX_UPSTREAM, required=False)
    f.str_list("customers", max_items=MAX_LIST, required=False)
    for up in body.get("upstream") or []:
        check_ident(up, "upstream certification", "upstream")
    return f


async def _closure(
    tx: Tx, roots: list[str], cache: dict[str, dict[str, Any] | None]
) -> dict[str, dict[str, Any] | None]:
    """Every certification reachable from ``roots`` through upstream references (reads each once)."""
    todo = list(roots)
    while todo:
        cid = todo.pop()
        if cid in cache:
            continue
        doc = await tx.get(tx.key(CERT, cid))
        cache[cid] = doc
        if doc:
            todo.extend(doc.get("upstream") or [])
    return cache


async def _with_status(tx: Tx, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cache: dict[str, dict[str, Any] | None] = {d["cert_id"]: d for d in docs}
    for d in docs:
        await _closure(tx, d.get("upstream") or [], cache)
    today = tx.now.date()
    return [{**d, "status": lineage.evaluate(d["cert_id"], cache, today).as_dict(tx.now_iso)} for d in docs]


async def _cert(tx: Tx, cert_id: str) -> dict[str, Any]:
    doc = await tx.get(tx.key(CERT, check_ident(cert_id, "certification id", "cert_id")))
    if doc is None:
        raise NotFound(f"certification {cert_id} does not exist", field="cert_id", value=cert_id)
    return doc


async def _check_serials(tx: Tx, uids: list[str], type_id: str) -> None:
    """A serial-scoped certification may only name commissioned parts of the certified part type."""
    for uid in uids:
        part = await tx.get(tx.key(PART, uid))
        if part is None:
            raise NotFound(f"certification scope part {uid} was never commissioned", field="scope.uids", value=uid)
        if part["part_type"] != type_id:
            raise ValidationError(
                f"certification scope part {uid} is of part type {part['part_type']}, not {type_id}",
                field="scope.uids",
                value=uid,
            )


class CertificationTransactions:
    """SubmitCertification, RevokeCertification and the certification reads."""

    @submit
    async def SubmitCertification(self, ctx: TransactionContextInterface, certification_json: str) -> str:
        """A certifier of the part type's producer submits a signed origin certification."""
        tx = Tx(ctx)
        who = tx.require("submit certifications", Role.CERTIFIER)
        body = parse_object(certification_json, "certification")
        signature = body.pop("signature", None)
        if signature is None:
            raise ValidationError("certification is missing required field 'signature'", field="signature")
        if not isinstance(signature, str):
            raise ValidationError(
                f"certification signature {signature!r} must be a base64 string",
                field="signature",
                value=str(signature),
            )
        f = _validate_body(body)
        f.done()
        cert_id = body["cert_id"]
        if body["issuer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not submit certification {cert_id} on behalf of {body['issuer_msp']}",
                field="issuer_msp",
                value=body["issuer_msp"],
            )
        ptype = await part_type_must_exist(tx, body["part_type"])
        if ptype["producer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not certify part type {ptype['id']}: it is produced by {ptype['producer_msp']}",
                field="part_type",
                value=ptype["id"],
            )
        verify_detached(who, canonical_json(body), signature, f"certification {cert_id}")
        key = tx.key(CERT, cert_id)
        if await tx.get(key) is not None:
            raise Conflict(f"certification {cert_id} already exists", field="cert_id", value=cert_id)
        upstream = body.get("upstream") or []
        cache = await _closure(tx, upstream, {})
        today = tx.now.date()
        for up in upstream:
            if cache.get(up) is None:
                raise NotFound(f"upstream certification {up} does not exist", field="upstream", value=up)
            status = lineage.evaluate(up, cache, today)
            if not status.valid:
                raise Conflict(
                    f"upstream certification {up} is {status.status}: {status.reasons[0]}",
                    field="upstream",
                    value=up,
                )
        for customer in body.get("customers") or []:
            await org_must_exist(tx, customer)
        if body["scope"]["kind"] == "serials":
            await _check_serials(tx, body["scope"]["uids"], ptype["id"])
        doc = {
            **body,
            "signature": signature,
            "doc_type": "certification",
            "issued_at": tx.now_iso,
            "issued_by": who.common_name,
            "signer_cert": who.cert_pem.decode("ascii"),
            "tx_id": tx.tx_id,
            "revocation": None,
        }
        await tx.put(key, doc)
        index = {
            "doc_type": "certindex",
            "cert_id": cert_id,
            "part_type": body["part_type"],
            "issuer_msp": tx.msp,
        }
        await tx.put(tx.key(CERT_BY_TYPE, body["part_type"], cert_id), index)
        await tx.put(tx.key(CERT_BY_ORG, tx.msp, cert_id), index)
        tx.emit(
            "CertificationSubmitted",
            {"cert_id": cert_id, "part_type": body["part_type"], "issuer_msp": tx.msp},
        )
        return answer((await _with_status(tx, [doc]))[0])

    @submit
    async def RevokeCertification(self, ctx: TransactionContextInterface, cert_id: str, reason: str) -> str:
        """A certifier or admin of the issuing org withdraws a certification; dependants read as not valid."""
        tx = Tx(ctx)
        tx.require("revoke certifications", Role.CERTIFIER, Role.ADMIN)
        if not reason.strip() or len(reason) > 512:
            raise ValidationError(f"revocation reason {reason[:40]!r} must be 1-512 characters", field="reason")
        doc = await _cert(tx, cert_id)
        if doc["issuer_msp"] != tx.msp:
            raise Forbidden(
                f"{tx.msp} may not revoke certification {cert_id}: it was issued by {doc['issuer_msp']}",
                field="cert_id",
                value=cert_id,
            )
        if doc.get("revocation"):
            raise Conflict(
                f"certification {cert_id} was already revoked at {doc['revocation']['at']}",
                field="cert_id",
                value=cert_id,
            )
        doc = {**doc, "revocation": {"at": tx.now_iso, "by": tx.caller.common_name, "reason": reason}}
        await tx.put(tx.key(CERT, cert_id), doc)
        tx.emit("CertificationRevoked", {"cert_id": cert_id, "issuer_msp": tx.msp})
        return answer((await _with_status(tx, [doc]))[0])

    @evaluate
    async def GetCertification(self, ctx: TransactionContextInterface, cert_id: str) -> str:
        """One certification with its status computed now (revoked, expired, or an upstream not valid)."""
        tx = Tx(ctx)
        tx.require("read certifications")
        return answer((await _with_status(tx, [await _cert(tx, cert_id)]))[0])

    @evaluate
    async def ListCertificationsByPartType(self, ctx: TransactionContextInterface, part_type_id: str) -> str:
        """Every certification of a part type, with status."""
        tx = Tx(ctx)
        tx.require("read certifications")
        index = await tx.entries(CERT_BY_TYPE, check_ident(part_type_id, "part type", "part_type"))
        return answer(await _with_status(tx, [await _cert(tx, d["cert_id"]) for _, d in index]))

    @evaluate
    async def ListCertificationsByOrg(self, ctx: TransactionContextInterface, msp_id: str) -> str:
        """Every certification an organization issued, with status."""
        tx = Tx(ctx)
        tx.require("read certifications")
        index = await tx.entries(CERT_BY_ORG, check_ident(msp_id, "MSP id", "msp_id"))
        return answer(await _with_status(tx, [await _cert(tx, d["cert_id"]) for _, d in index]))
