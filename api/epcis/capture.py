"""EPCIS 2.0 capture: map each event of a document to a ledger transaction and report its outcome.

Mapping (anything else is refused with the reason, never silently dropped):

==================================================  ============================================================
event                                               ledger transaction
==================================================  ============================================================
ObjectEvent OBSERVE                                 ``RecordScans``: one scan per EPC, as the calling station
ObjectEvent ADD, bizStep ``commissioning``          ``CommissionParts``: one part per EPC; the part type is the
                                                    ILMD or extension member ``usmca:partType`` (namespace
                                                    ``https://usmca-ledger.dev/epcis/``), the lot
                                                    ``cbvmda:lotNumber`` or ``usmca:lot``, the production date
                                                    ``usmca:productionDate`` (default: the event's local date),
                                                    the site ``usmca:siteId`` (default: the station's site)
ObjectEvent DELETE, bizStep ``decommissioning``     ``Decommission`` of each EPC (reason: the disposition)
AggregationEvent ADD                                ``Assemble``: parentID consumes childEPCs
TransformationEvent                                 ``Assemble``: the one outputEPCList entry consumes inputEPCList
==================================================  ============================================================

Every event is identified by its ``eventID`` or, without one, by its GS1 canonical event hash (which also is
the ledger's idempotency key). An event already in the repository is a ``duplicate`` and nothing is submitted,
so capturing the same document twice records nothing new. Consecutive events of one kind go to the ledger in
one transaction; when that transaction is refused, they are retried one by one so each gets its own reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from api.epcis.repository import EventRepository
from ledger.errors import LedgerError, ValidationError, to_problem
from scanner.epcis import AggregationEvent, EPCISDocument, Event, ObjectEvent, TransformationEvent, validate_document
from scanner.epcis.cbv import CBV_BASE
from scanner.epcis.document import read_events

USMCA_NS = "https://usmca-ledger.dev/epcis/"
#: Prefixes the EPCIS 2.0 context itself defines (they need no inline declaration).
CONTEXT_IRIS = {"cbvmda": "urn:epcglobal:cbv:mda:", "gs1": "https://gs1.org/voc/", "cbv": "https://ref.gs1.org/cbv/"}
LOT_IRIS = ("urn:epcglobal:cbv:mda:lotNumber", "https://ref.gs1.org/cbv/mda/lotNumber", USMCA_NS + "lot")
COMMISSIONING = CBV_BASE + "BizStep-commissioning"
DECOMMISSIONING = CBV_BASE + "BizStep-decommissioning"
RECORDED, DUPLICATE, REFUSED = "recorded", "duplicate", "refused"
#: Items per ledger transaction (the chaincode's batch limit).
MAX_BATCH = 5000


class LedgerPort(Protocol):
    """The ledger transactions capture needs, signed as the caller."""

    def record_scans(self, scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """RecordScans."""
        ...

    def commission(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """CommissionParts."""
        ...

    def assemble(self, assembly: dict[str, Any]) -> dict[str, Any]:
        """Assemble."""
        ...

    def decommission(self, uid: str, reason: str) -> dict[str, Any]:
        """Decommission."""
        ...


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one event of a captured document."""

    index: int
    event_id: str | None
    event_type: str | None
    outcome: str
    transaction: str | None = None
    reason: str | None = None
    anomalies: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {**dataclasses.asdict(self), "anomalies": list(self.anomalies)}


@dataclasses.dataclass
class _Item:
    index: int
    event: Event
    event_hash: str
    kind: str
    args: Any


def _iri(key: str, namespaces: Mapping[str, str]) -> str:
    prefix, _, local = key.partition(":")
    base = namespaces.get(prefix) or CONTEXT_IRIS.get(prefix)
    return base + local if base and not local.startswith("//") else key


def _member(event: Event, names: tuple[str, ...]) -> Any:
    """The first ILMD or extension member whose expanded IRI is one of ``names``."""
    ns = event.namespaces
    for source in (getattr(event, "ilmd", None) or {}, event.extensions):
        for key, value in source.items():
            if _iri(key, ns) in names:
                return value
    return None


def _reason(err: LedgerError) -> str:
    p = to_problem(err)
    return f"{p.kind}: {p.detail}"


class Capture:
    """One capture request: the caller's org and station, the ledger port and the repository."""

    def __init__(self, repo: EventRepository, ledger: LedgerPort, msp_id: str, station_id: str | None) -> None:
        self.repo, self.ledger, self.msp_id, self.station_id = repo, ledger, msp_id, station_id

    def run(self, document: Any, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Outcome]:
        """Validate the document (422 for the whole document when it breaks the GS1 schema), then each event."""
        validate_document(document)
        obj, namespaces = EPCISDocument.header(document)
        outcomes: dict[int, Outcome] = {}
        items: list[_Item] = []
        for i, read in enumerate(read_events(obj["epcisBody"]["eventList"], namespaces, "epcisBody.eventList")):
            if isinstance(read, LedgerError):
                outcomes[i] = Outcome(i, None, None, REFUSED, reason=_reason(read))
                continue
            event_hash = read.hash_id()
            event = dataclasses.replace(read, event_id=read.event_id or event_hash, record_time=now())
            try:
                kind, args = self._map(event, event_hash)
            except LedgerError as err:
                outcomes[i] = Outcome(i, event.event_id, event.TYPE, REFUSED, reason=_reason(err))
                continue
            items.append(_Item(i, event, event_hash, kind, args))
        seen = self.repo.known([it.event.event_id for it in items if it.event.event_id])
        fresh: list[_Item] = []
        first: dict[str, int] = {}
        for it in items:
            eid = it.event.event_id or ""
            if eid in seen or eid in first:
                outcomes[it.index] = Outcome(it.index, eid, it.event.TYPE, DUPLICATE, it.kind)
            else:
                first[eid] = it.index
                fresh.append(it)
        for run in _runs(fresh):
            for it, outcome in zip(run, self._submit(run), strict=True):
                outcomes[it.index] = outcome
        done = [(it.event, it.event_hash, it.kind) for it in fresh if outcomes[it.index].outcome != REFUSED]
        if done:
            self.repo.add(done, self.msp_id)
        return [outcomes[i] for i in sorted(outcomes)]

    # -- mapping ---------------------------------------------------------------------------------------------
    def _map(self, event: Event, event_hash: str) -> tuple[str, Any]:
        when = event.event_time.isoformat(timespec="milliseconds")
        if isinstance(event, ObjectEvent):
            if not event.epc_list:
                raise _refuse(f"ObjectEvent {event.event_id} has no epcList; quantity-only events are not recorded")
            if event.action == "OBSERVE":
                scan = {"station_id": self.station_id or "", "event_time": when, "event_hash": event_hash}
                for name, value in (("biz_step", event.biz_step), ("disposition", event.disposition),
                                    ("read_point", event.read_point)):  # fmt: skip
                    if value is not None:
                        scan[name] = value
                return "RecordScans", [{"uid": epc, **scan} for epc in event.epc_list]
            if event.action == "ADD" and event.biz_step == COMMISSIONING:
                return "CommissionParts", self._parts(event)
            if event.action == "DELETE" and event.biz_step == DECOMMISSIONING:
                reason = event.disposition.rsplit("-", 1)[-1] if event.disposition else "decommissioned"
                return "Decommission", [(epc, f"EPCIS {event.event_id}: {reason}") for epc in event.epc_list]
            raise _refuse(
                f"ObjectEvent action {event.action} with bizStep {event.biz_step} has no ledger transaction "
                "(OBSERVE, ADD commissioning and DELETE decommissioning do)"
            )
        if isinstance(event, AggregationEvent):
            if event.action != "ADD" or not event.parent_id or not event.child_epcs:
                raise _refuse(
                    f"AggregationEvent action {event.action} has no ledger transaction (only ADD with parentID and "
                    "childEPCs assembles)"
                )
            return "Assemble", self._assembly(event.parent_id, list(event.child_epcs), event_hash, when)
        if isinstance(event, TransformationEvent):
            if len(event.output_epc_list) != 1 or not event.input_epc_list:
                raise _refuse(
                    f"TransformationEvent needs exactly one outputEPCList entry and inputEPCList entries, got "
                    f"{len(event.output_epc_list)} outputs and {len(event.input_epc_list)} inputs"
                )
            return "Assemble", self._assembly(event.output_epc_list[0], list(event.input_epc_list), event_hash, when)
        raise _refuse(f"event type {event.TYPE} has no ledger transaction")

    def _parts(self, event: ObjectEvent) -> list[dict[str, Any]]:
        part_type = _member(event, (USMCA_NS + "partType",))
        if not isinstance(part_type, str) or not part_type:
            raise _refuse(
                f"commissioning event {event.event_id} names no part type (ILMD or extension usmca:partType with "
                f"usmca = {USMCA_NS})"
            )
        produced = _member(event, (USMCA_NS + "productionDate",)) or event.event_time.date().isoformat()
        part: dict[str, Any] = {"part_type": part_type, "production_date": str(produced)}
        lot = _member(event, LOT_IRIS)
        if lot is not None:
            part["lot"] = str(lot)
        site = _member(event, (USMCA_NS + "siteId",))
        if site is not None:
            part["site_id"] = str(site)
        return [{"uid": epc, **part} for epc in event.epc_list]

    @staticmethod
    def _assembly(parent: str, children: list[str], event_hash: str, when: str) -> dict[str, Any]:
        return {"parent_uid": parent, "child_uids": children, "event_hash": event_hash, "event_time": when}

    # -- submission ------------------------------------------------------------------------------------------
    def _submit(self, run: list[_Item]) -> list[Outcome]:
        """Submit a run of same-kind events together; on refusal retry one by one to name each event's reason."""
        kind = run[0].kind
        if kind in ("RecordScans", "CommissionParts") and len(run) > 1:
            try:
                docs = self._call(kind, [a for it in run for a in it.args])
            except LedgerError:
                return [self._one(it) for it in run]
            out, pos = [], 0
            for it in run:
                n = len(it.args)
                out.append(self._outcome(it, docs[pos : pos + n]))
                pos += n
            return out
        return [self._one(it) for it in run]

    def _one(self, it: _Item) -> Outcome:
        try:
            docs = self._call(it.kind, it.args)
        except LedgerError as err:
            return Outcome(it.index, it.event.event_id, it.event.TYPE, REFUSED, it.kind, _reason(err))
        return self._outcome(it, docs)

    def _call(self, kind: str, args: Any) -> list[dict[str, Any]]:
        if kind == "RecordScans":
            return self.ledger.record_scans(args)
        if kind == "CommissionParts":
            return self.ledger.commission(args)
        if kind == "Assemble":
            return [self.ledger.assemble(args)]
        return [self.ledger.decommission(uid, reason) for uid, reason in args]

    @staticmethod
    def _outcome(it: _Item, docs: list[dict[str, Any]]) -> Outcome:
        duplicate = bool(docs) and all(d.get("duplicate") for d in docs)
        flags = sorted({f for d in docs for f in d.get("anomalies", []) or []})
        return Outcome(
            it.index, it.event.event_id, it.event.TYPE, DUPLICATE if duplicate else RECORDED, it.kind,
            anomalies=tuple(flags),
        )  # fmt: skip


def _refuse(message: str) -> LedgerError:
    return ValidationError(message)


def _runs(items: list[_Item]) -> list[list[_Item]]:
    """Consecutive items of the same batchable kind grouped (document order kept)."""
    runs: list[list[_Item]] = []
    size = 0
    for it in items:
        batchable = it.kind in ("RecordScans", "CommissionParts")
        if runs and runs[-1][0].kind == it.kind and batchable and size + len(it.args) <= MAX_BATCH:
            runs[-1].append(it)
            size += len(it.args)
        else:
            runs.append([it])
            size = len(it.args) if batchable else 0
    return runs
