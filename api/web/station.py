"""The station page: keyboard-wedge scans in, a large OK or REFUSED out, and the station's last reads.

A scanned code is parsed with the same identifier library the station agent uses, recorded with the same
``record_scans`` service as ``POST /v1/scans``, and judged with the station agent's own verdict rules
(``scanner.station.operator``): a read the ledger flags as unknown, not in custody, consumed, decommissioned or a
suspected clone is REFUSED with the ledger's reason. The page script posts here with the session cookie (it
cannot read the HttpOnly credential to call ``/v1/scans`` itself) and keeps reads it could not deliver in
``localStorage`` until the ledger answers; ``event_time`` is fixed at the scan, so a replay has the same EPCIS
event hash and is recorded once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import ServicesDep
from api.core.services import Services
from api.routes.parts import doc, visible_part
from api.routes.scans import ScanIn, caller_station_id, record_scans, station_record
from api.web.auth import WebPrincipal, check_same_origin, require
from api.web.pages import PageRoute, render
from ledger.errors import LedgerError, NotFound
from scanner.identifiers import parse
from scanner.station.operator import REFUSING_FLAGS, WARNING_FLAGS

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
scripts = APIRouter(include_in_schema=False)
RECENT = 12


class ScanCodeIn(BaseModel):
    """What the page script sends: the raw scanned text and when it was read."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=2048, description="The scanner's raw output (any label spelling).")
    event_time: str = Field(min_length=1, max_length=64, description="RFC 3339 time of the read, set by the page.")


@dataclass(frozen=True)
class StationVerdict:
    """The answer the operator sees for one read."""

    verdict: str
    reason: str
    uid: str
    duplicate: bool
    event_time: str
    recorded_at: str
    warnings: list[str] = field(default_factory=list)
    part: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the page script."""
        return asdict(self)


def verdict_for(stored: dict[str, Any]) -> tuple[str, str, list[str]]:
    """OK or REFUSED with the reason, from the ledger's flags, with the station agent's wording."""
    flags = list(stored.get("anomalies") or [])
    details = stored.get("anomaly_details") or {}
    bad = [f for f in flags if f in REFUSING_FLAGS]
    if bad:
        return "refused", "; ".join(f"{REFUSING_FLAGS[f]}: {details.get(f) or stored['uid']}" for f in bad), []
    return "ok", "recorded on the ledger", [WARNING_FLAGS.get(f, f) for f in flags]


def part_details(services: Services, principal: Principal, uid: str) -> dict[str, Any] | None:
    """Part number, description, lot and owner when the station's org may see the part (the API's rule)."""
    try:
        part = visible_part(services, principal, uid)
    except NotFound:
        return None
    out = {k: part.get(k) for k in ("part_type", "lot", "production_date", "owner_msp", "producer_msp", "status")}
    try:
        ptype = services.client(principal).get_part_type(part["part_type"])
        out |= {"part_number": ptype.get("part_number"), "description": ptype.get("description")}
    except LedgerError:
        pass
    return out


def scan_code(services: Services, principal: Principal, code: str, event_time: str) -> StationVerdict:
    """Parse, record and judge one read (parse errors raise with the offending value, e.g. the check digit)."""
    uid = parse(code).uid
    stored = record_scans(services, principal, [ScanIn(uid=uid, event_time=event_time)])[0]
    verdict, reason, warnings = verdict_for(stored)
    return StationVerdict(
        verdict=verdict,
        reason=reason,
        uid=uid,
        duplicate=bool(stored.get("duplicate")),
        event_time=stored.get("event_time", event_time),
        recorded_at=stored.get("recorded_at", ""),
        warnings=warnings,
        part=part_details(services, principal, uid) if verdict == "ok" else None,
    )


def recent_scans(services: Services, principal: Principal, limit: int = RECENT) -> list[dict[str, Any]]:
    """This station's latest reads from the read model, newest first, with their verdicts (one indexed query)."""
    station = caller_station_id(services, principal)
    services.catch_up()  # the station's own latest read must be listed, even if the follower is a block behind
    db = services.readmodel.db
    if "scan" not in db.table_names():
        return []
    rows = db["scan"].rows_where(
        "msp_id = ? AND station_id = ?",
        [principal.msp_id, station],
        order_by="event_time DESC, recorded_at DESC",
        limit=limit,
    )
    out = []
    for row in rows:
        r = doc(row)
        verdict, reason, _ = verdict_for(r)
        out.append({**r, "verdict": verdict, "reason": reason})
    return out


@pages.get("/station", response_class=HTMLResponse)
def station_page(request: Request, services: ServicesDep, principal: WebPrincipal) -> HTMLResponse:
    """The scan page of the signed-in station."""
    require(principal, "station")
    station_id = caller_station_id(services, principal)
    station = station_record(services, principal, station_id)
    return render(
        request,
        "station.html",
        {
            "principal": principal,
            "station": station,
            "recent": recent_scans(services, principal),
            "title": f"Station {station_id}",
        },
    )


@scripts.post("/station/scan")
def post_station_scan(
    request: Request, services: ServicesDep, principal: WebPrincipal, body: ScanCodeIn
) -> dict[str, Any]:
    """Record one read for the page script; errors are problem+json naming the offending value."""
    check_same_origin(request)
    require(principal, "station")
    return scan_code(services, principal, body.code.strip(), body.event_time).as_dict()
