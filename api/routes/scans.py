"""Station reads: ``POST /v1/scans`` (one) and ``POST /v1/scans/batch`` (up to ``max_batch_scans``).

A read is an EPCIS ObjectEvent (action OBSERVE) recorded by the chaincode's ``RecordScan(s)``, idempotent by its
canonical event hash: a station agent that replays its outbox after an outage gets the first record back with
``duplicate: true`` instead of a second scan. A read sent without ``event_hash`` gets the hash of the ObjectEvent
the API builds from it (see :func:`scan_event`), so the same read sent twice is still recorded once.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from starlette.concurrency import run_in_threadpool

from api.core.credentials import Principal
from api.core.deps import ServicesDep, Station
from api.core.services import Services
from api.epcis.coalesce import AsyncCoalescer
from api.epcis.committed import keep, read_event
from ledger.embedded.validator import MVCC_READ_CONFLICT
from ledger.errors import Forbidden, LedgerError, PayloadTooLarge, ValidationError
from ledger.gateway import check_committed
from scanner.epcis import ObjectEvent
from scanner.epcis.timestamps import parse_timestamp

#: RFC 9457 problem+json answers every route of this API may give (declared so clients and schemathesis know them).
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "https://usmca-ledger.dev/problems/<kind>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What is wrong, naming the offending value."},
        "instance": {"type": "string"},
        "field": {"type": "string"},
        "value": {},
        "errors": {"type": "array", "items": {"type": "object"}},
        "tx_id": {"type": "string"},
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    for status, text in (
        (400, "The body is not readable JSON"),
        (401, "Missing, unknown or revoked credential"),
        (403, "The caller's role or org may not do this"),
        (404, "Not found, or not visible to the caller's org"),
        (409, "Contradicts the ledger (clone, already consumed, ...)"),
        (413, "Request body or batch too large"),
        (422, "Invalid input; the detail names the field and value"),
    )
}

router = APIRouter(prefix="/v1/scans", tags=["scans"], responses=PROBLEM_RESPONSES)

#: Concurrent single-scan requests of one station share a transaction (see api.epcis.coalesce).
_COALESCER = AsyncCoalescer(window=0.002, max_items=500)
EVENT_HASH_PATTERN = r"^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$"
#: How often a transaction invalidated by a concurrent write (MVCC read conflict) is re-run; safe because an
#: invalid transaction changed nothing.
MVCC_RETRIES = 3
EXAMPLE_SCAN = {
    "uid": "https://id.gs1.org/01/00614141000012/21/SN-0001",
    "event_time": "2026-03-02T12:00:00.000-05:00",
    "biz_step": "inspecting",
    "disposition": "in_progress",
}


class ScanIn(BaseModel):
    """One read by the calling station."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SCAN]})

    uid: str = Field(min_length=1, max_length=512, description="Canonical part identifier (absolute URI).")
    event_time: str = Field(min_length=1, max_length=64, description="When the read happened: RFC 3339 with offset.")
    event_hash: str | None = Field(
        None,
        pattern=EVENT_HASH_PATTERN,
        description="GS1 CBV 2.0 event hash of the read's ObjectEvent; computed by the API when absent.",
    )
    biz_step: str | None = Field(None, max_length=256, description="CBV business step (default: the station's).")
    disposition: str | None = Field(None, max_length=256, description="CBV disposition.")
    read_point: str | None = Field(
        None, max_length=512, description="Must equal the station's registered read point when given."
    )
    station_id: str | None = Field(
        None, max_length=64, description="Defaults to the station id in the caller's certificate."
    )


class ScanResult(BaseModel):
    """What the ledger stored for one read (the first record when it is a duplicate)."""

    uid: str
    event_hash: str
    duplicate: bool = Field(description="True when this event hash was already recorded for this part.")
    anomalies: list[str] = Field(description="Anomaly flags: unknown_part, not_in_custody, impossible_travel, ...")
    anomaly_details: dict[str, str] = Field(description="Each flag with a message naming the values involved.")
    msp_id: str
    station_id: str
    site_id: str
    read_point: str
    biz_step: str | None
    disposition: str | None
    event_time: str
    recorded_at: str
    tx_id: str


class ScanBatchIn(BaseModel):
    """Reads of one station, all recorded in one ledger transaction (all or nothing)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scans": [EXAMPLE_SCAN]}]})

    scans: list[ScanIn] = Field(min_length=1, description="1 to max_batch_scans (5,000 by default) reads.")


class ScanBatchOut(BaseModel):
    """Per-read outcomes in input order, and counts."""

    results: list[ScanResult]
    new: int
    duplicates: int
    flagged: int


def submit(services: Services, principal: Principal, fn: str, *args: str, wait: bool = False) -> Any:
    """Submit a transaction as the principal and decode its answer; re-run it on an MVCC read conflict.

    With ``wait`` the call returns only once the read model holds the block, so the caller's next list or tree
    request sees its own write.
    """
    gateway = services.gateway(principal)
    for attempt in range(MVCC_RETRIES + 1):
        sub = gateway.submit_async(fn, *args)
        status = sub.get_status()
        if status.code == MVCC_READ_CONFLICT and attempt < MVCC_RETRIES:
            continue
        check_committed(status)
        if wait:
            services.wait_for_readmodel(status.block_number + 1, timeout=5.0)
        return json.loads(sub.result) if sub.result else None
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def caller_station_id(services: Services, principal: Principal) -> str:
    """The station id in the caller's certificate (Forbidden for a station identity without one)."""
    station = services.network.member(principal.msp_id, principal.member).station
    if not station:
        raise Forbidden(
            f"member {principal.member} of {principal.msp_id} has no station id in its certificate",
            value=principal.member,
            field="station_id",
        )
    return station


def station_record(services: Services, principal: Principal, station_id: str) -> dict[str, Any]:
    """The station's ledger record (read model first, the ledger when the read model has not caught up)."""
    rows = services.queries().table("station", "_key = ?", [f"{principal.msp_id}\x00{station_id}"])
    if rows:
        return rows[0]
    client = services.client(principal)
    for site in client.list_sites(principal.msp_id):
        for station in client.get_site(principal.msp_id, site["site_id"]).get("stations", []):
            if station["station_id"] == station_id:
                return station
    raise Forbidden(f"station {station_id} of {principal.msp_id} is not registered", value=station_id)


def scan_event(scan: ScanIn, station: dict[str, Any], where: str = "scan") -> ObjectEvent:
    """The EPCIS ObjectEvent of a read, as hashed when the station sends no ``event_hash``.

    Hashed fields: ``type`` ObjectEvent, ``action`` OBSERVE, ``epcList`` [uid], ``eventTime`` and
    ``eventTimeZoneOffset`` (the offset written in ``event_time``), ``bizStep`` (given, else the station's
    default), ``disposition`` (when given) and ``readPoint`` (given, else the station's registered read point).
    No bizLocation, no extensions.
    """
    when = parse_timestamp(scan.event_time, field=f"{where}.event_time")
    try:
        return ObjectEvent(
            event_time=when,
            action="OBSERVE",
            epc_list=(scan.uid,),
            biz_step=scan.biz_step or station.get("default_biz_step") or None,
            disposition=scan.disposition,
            read_point=scan.read_point or station.get("read_point"),
        )
    except LedgerError as err:
        raise type(err)(f"{where}: {err.message}", value=err.value, field=f"{where}.{err.field or 'uid'}") from None


def scan_args(services: Services, principal: Principal, scans: list[ScanIn]) -> list[dict[str, Any]]:
    """Chaincode arguments for reads of the caller's station, hashing those that come without a hash."""
    own = caller_station_id(services, principal)
    station: dict[str, Any] | None = None
    out = []
    for i, scan in enumerate(scans):
        event_hash = scan.event_hash
        if event_hash is None:
            if station is None:
                station = station_record(services, principal, own)
            event_hash = scan_event(scan, station, f"scans[{i}]" if len(scans) > 1 else "scan").hash_id()
        item = {
            "uid": scan.uid,
            "station_id": scan.station_id or own,
            "event_time": scan.event_time,
            "event_hash": event_hash,
        }
        for name in ("biz_step", "disposition", "read_point"):
            value = getattr(scan, name)
            if value is not None:
                item[name] = value
        out.append(item)
    return out


def record_scans(services: Services, principal: Principal, scans: list[ScanIn]) -> list[dict[str, Any]]:
    """Record reads in one ``RecordScans`` transaction; the stored scans in input order."""
    limit = services.settings.max_batch_scans
    if len(scans) > limit:
        raise PayloadTooLarge(f"batch of {len(scans)} scans exceeds the limit of {limit}", value=len(scans))
    args = scan_args(services, principal, scans)
    if len(args) == 1:
        return kept_reads(services, principal, args, [submit(services, principal, "RecordScan", json.dumps(args[0]))])
    return kept_reads(services, principal, args, submit(services, principal, "RecordScans", json.dumps(args)))


def kept_reads(
    services: Services, principal: Principal, args: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``stored`` unchanged, once the committed reads' ObjectEvents are in the EPCIS repository (never raises).

    See :mod:`api.epcis.committed`: a read whose ``event_hash`` is not the hash of the event rebuilt from its
    fields (a client's own event with bizLocation or extensions) is not stored, nor is another org's record.
    """
    own = principal.msp_id
    keep(services.home, own, "RecordScans",
         lambda: [read_event(a, s) for a, s in zip(args, stored, strict=True) if s.get("msp_id") == own])  # fmt: skip
    return stored


async def record_scan(services: Services, principal: Principal, scan: ScanIn) -> dict[str, Any]:
    """Record one read, sharing a ``RecordScans`` with the station's concurrent reads (see ``_COALESCER``).

    Runs on the event loop and takes a worker thread only once per group: a read that brings its hash needs no
    I/O before the ledger call (the station id is in the caller's certificate); one without a hash may need the
    station's record, so its arguments are built in a worker thread.
    """
    if scan.event_hash is None:
        (item,) = await run_in_threadpool(scan_args, services, principal, [scan])
    else:
        (item,) = scan_args(services, principal, [scan])
    return await _COALESCER.submit(
        (id(services), principal.msp_id, principal.member),
        item,
        lambda items: kept_reads(
            services, principal, items, submit(services, principal, "RecordScans", json.dumps(items))
        ),
        lambda items: kept_reads(
            services, principal, items, [submit(services, principal, "RecordScan", json.dumps(items[0]))]
        ),
    )


def _result(doc: dict[str, Any]) -> ScanResult:
    return ScanResult.model_validate(doc)


#: A batch's stored scans validated in one pydantic call (5,000 ``model_validate`` calls cost 10x more).
_RESULTS = TypeAdapter(list[ScanResult])


@router.post(
    "",
    summary="Record one station read (EPCIS ObjectEvent OBSERVE)",
)
async def post_scan(services: ServicesDep, principal: Station, scan: ScanIn) -> ScanResult:
    """Record one read; answers the stored scan with its anomaly flags (the first record for a replay)."""
    return _result(await record_scan(services, principal, scan))


@router.post(
    "/batch",
    summary="Record up to 5,000 reads of the calling station in one transaction",
)
def post_scan_batch(services: ServicesDep, principal: Station, batch: ScanBatchIn) -> ScanBatchOut:
    """Record reads all or nothing; each result says whether it was new or a duplicate and its flags."""
    if not batch.scans:
        raise ValidationError("scans must hold at least one read", field="scans")
    results = _RESULTS.validate_python(record_scans(services, principal, batch.scans))
    dup = sum(r.duplicate for r in results)
    flagged = sum(1 for r in results if r.anomalies and not r.duplicate)
    return ScanBatchOut(results=results, new=len(results) - dup, duplicates=dup, flagged=flagged)
