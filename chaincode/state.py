"""A transaction's view of the ledger: caller, time, typed JSON state access and events.

Every transaction builds one :class:`Tx` from its context. It hides the stub's byte-level API behind
``get``/``put`` of canonical-JSON documents, checks the caller's org and role against what the action needs,
and takes the time from the proposal (endorsing peers must agree, so the local clock is never used).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chaincode.fabric import TransactionContextInterface
from chaincode.validate import iso_z
from ledger.errors import Forbidden, NotFound, Unauthenticated
from ledger.identity.attrs import CertIdentity, Role, identity_from_cert

#: Object types of composite keys (the read model switches on them; see docs/chaincode.md).
ORG = "org"
GS1_PREFIX = "gs1prefix"
SITE = "site"
STATION = "station"
PART_TYPE = "parttype"
GTIN = "gtin"
PART = "part"
SCAN = "scan"
LAST_SEEN = "lastseen"
ANOMALY = "anomaly"
ASSEMBLY = "assembly"
DISASSEMBLY = "disassembly"
CHILD = "child"
SHIPMENT = "shipment"
CERT = "cert"
CERT_BY_TYPE = "certbytype"
CERT_BY_ORG = "certbyorg"
MAX_RUNE = "\U0010ffff"

#: Canonical JSON (the same bytes as :func:`ledger.canonical.canonical_json`) without its float scan:
#: every value the chaincode stores passed :class:`chaincode.validate.Fields`, which refuses floats on the
#: way in, and walking each document again cost a third of a 500-scan batch.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(doc: Any) -> bytes:
    """Canonical JSON bytes of a document built from validated input."""
    return _ENCODER.encode(doc).encode("utf-8")


class Tx:
    """One transaction: the stub, the verified caller and the proposal time."""

    def __init__(self, ctx: TransactionContextInterface) -> None:
        self.stub = ctx.get_stub()
        creator = self.stub.get_creator() or {}
        cert = creator.get("idBytes")
        if not cert or not creator.get("mspid"):
            raise Unauthenticated("the proposal carries no creator identity", field="creator")
        self.caller: CertIdentity = identity_from_cert(
            str(creator["mspid"]), bytes(cert, "utf-8") if isinstance(cert, str) else bytes(cert)
        )
        ts = self.stub.get_tx_timestamp()
        self.now = dt.datetime.fromtimestamp(ts.seconds, dt.UTC) + dt.timedelta(microseconds=ts.nanos // 1000)
        self.now_iso = iso_z(self.now)
        self.tx_id: str = self.stub.get_txid()

    # -- access control --------------------------------------------------------------------------------------
    @property
    def msp(self) -> str:
        """The caller's organization."""
        return self.caller.msp_id

    def require(self, action: str, *roles: Role, msp: str | None = None) -> CertIdentity:
        """Refuse callers without one of ``roles`` (any role when none given) or outside org ``msp``."""
        who = self.caller
        if roles and who.role not in roles:
            needed = " or ".join(r.value for r in roles)
            raise Forbidden(
                f"{who.role.value} {who.common_name!r} of {who.msp_id} may not {action}: needs role {needed}",
                value=who.role.value,
                field="role",
            )
        if msp is not None and who.msp_id != msp:
            raise Forbidden(f"{who.msp_id} may not {action}: only {msp} may", value=who.msp_id, field="msp_id")
        return who

    # -- keys and state --------------------------------------------------------------------------------------
    def key(self, object_type: str, *attrs: str) -> str:
        """Fabric composite key of an object type and its attributes."""
        return self.stub.create_composite_key(object_type, list(attrs))

    async def get(self, key: str) -> dict[str, Any] | None:
        """The committed document under a key, None when absent."""
        raw = await self.stub.get_state(key)
        return json.loads(raw) if raw else None

    async def get_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        """The committed documents under many keys, in order (None when absent).

        One batch read where the peer offers it (the embedded ledger's stub), one read per key otherwise (the
        fabric-chaincode-python 2.5.4 shim on a Fabric peer): the read set is the same either way.
        """
        many = getattr(self.stub, "get_multiple_states", None)
        raws = await many(keys) if many is not None else [await self.stub.get_state(k) for k in keys]
        return [json.loads(raw) if raw else None for raw in raws]

    async def must_get(self, key: str, what: str) -> dict[str, Any]:
        """The committed document under a key; NotFound naming ``what`` when absent."""
        doc = await self.get(key)
        if doc is None:
            raise NotFound(f"{what} does not exist", value=what)
        return doc

    async def put(self, key: str, doc: dict[str, Any]) -> None:
        """Write a document as canonical JSON."""
        await self.stub.put_state(key, canonical_bytes(doc))

    async def delete(self, key: str) -> None:
        """Delete a key."""
        await self.stub.delete_state(key)

    async def entries(self, object_type: str, *attrs: str) -> list[tuple[list[str], dict[str, Any]]]:
        """Every (attributes, document) under a partial composite key, in key order."""
        it = await self.stub.get_state_by_partial_composite_key(object_type, list(attrs))
        out: list[tuple[list[str], dict[str, Any]]] = []
        async for kv in it:
            _, parts = self.stub.split_composite_key(kv.key)
            out.append((parts, json.loads(kv.value)))
        return out

    async def keys_with_prefix(self, object_type: str, prefix: str) -> list[tuple[str, dict[str, Any]]]:
        """Entries whose first attribute starts with ``prefix`` (e.g. GS1 prefixes nested in a new one)."""
        start = self.key(object_type) + prefix
        it = await self.stub.get_state_by_range(start, start + MAX_RUNE)
        out: list[tuple[str, dict[str, Any]]] = []
        async for kv in it:
            _, parts = self.stub.split_composite_key(kv.key)
            out.append((parts[0], json.loads(kv.value)))
        return out

    async def history(self, key: str) -> list[dict[str, Any]]:
        """Every committed version of a key, oldest first, as ``{tx_id, timestamp, deleted, value}``."""
        it = await self.stub.get_history_for_key(key)
        out: list[dict[str, Any]] = []
        async for mod in it:
            when = dt.datetime.fromtimestamp(mod.timestamp.seconds, dt.UTC) + dt.timedelta(
                microseconds=mod.timestamp.nanos // 1000
            )
            out.append(
                {
                    "tx_id": mod.tx_id,
                    "timestamp": iso_z(when),
                    "deleted": bool(mod.is_delete),
                    "value": json.loads(mod.value) if mod.value and not mod.is_delete else None,
                }
            )
        return out

    # -- events and answers ----------------------------------------------------------------------------------
    def emit(self, name: str, payload: dict[str, Any]) -> None:
        """Set the transaction's chaincode event (Fabric keeps one per transaction)."""
        self.stub.set_event(name, canonical_bytes(payload))


def answer(doc: Any) -> str:
    """The JSON text a transaction returns to the client."""
    return _ENCODER.encode(doc)
