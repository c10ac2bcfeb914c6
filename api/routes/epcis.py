"""EPCIS 2.0 REST binding (subset): ``POST /epcis/capture``, ``GET /epcis/events``, ``GET /epcis/events/{id}``.

Capture is synchronous: the answer lists each event's outcome (recorded, duplicate, refused with the reason;
see :mod:`api.epcis.capture` for the mapping to ledger transactions). Queries read the node's event repository
and answer an EPCISQueryDocument; an org sees the events it captured, auditors see all. Paging: ``perPage``
limits the page, and the ``Link: <...>; rel="next"`` header (and ``nextPageToken`` in the URL it holds) gives
the next one.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.core.credentials import Principal
from api.core.deps import PrincipalDep, ServicesDep, require_roles
from api.core.services import Services
from api.epcis import committed
from api.epcis.capture import Capture
from api.epcis.repository import EventRepository
from api.routes.parts import is_auditor
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.errors import NotFound, PayloadTooLarge, ValidationError
from scanner.epcis import EPCISQueryDocument, EventQuery
from scanner.epcis.document import build_context

router = APIRouter(prefix="/epcis", tags=["epcis"], responses=PROBLEM_RESPONSES)
Capturer = Annotated[Principal, Depends(require_roles("station", "admin"))]
EXAMPLE_DOCUMENT = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-03-02T12:00:00.000Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-03-02T12:00:00.000-05:00",
                "eventTimeZoneOffset": "-05:00",
                "epcList": ["https://id.gs1.org/01/00628000000013/21/CAST-0001"],
                "action": "OBSERVE",
                "bizStep": "inspecting",
                "readPoint": {"id": "urn:usmca:readpoint:SupplierMSP:sup-st1"},
            }
        ]
    },
}


class EventOutcome(BaseModel):
    """The outcome of one event of a captured document."""

    index: int = Field(description="Position in epcisBody.eventList.")
    event_id: str | None = Field(description="eventID as sent, or the canonical event hash.")
    event_type: str | None
    outcome: str = Field(description="recorded, duplicate or refused.")
    transaction: str | None = Field(description="The ledger transaction the event maps to.")
    reason: str | None = Field(description="Why it was refused (kind: message naming the value).")
    anomalies: list[str] = Field(description="Anomaly flags raised by recorded scans.")


class CaptureOut(BaseModel):
    """Per-event outcomes and counts."""

    events: list[EventOutcome]
    recorded: int
    duplicates: int
    refused: int


class _Ledger:
    """The capture's ledger port: transactions signed as the caller, re-run on MVCC conflicts."""

    def __init__(self, services: Services, principal: Principal) -> None:
        self.services, self.principal = services, principal

    def _submit(self, fn: str, *args: Any) -> Any:
        return submit(self.services, self.principal, fn, *(a if isinstance(a, str) else json.dumps(a) for a in args))

    def record_scans(self, scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._submit("RecordScans", scans)

    def commission(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._submit("CommissionParts", parts)

    def assemble(self, assembly: dict[str, Any]) -> dict[str, Any]:
        return self._submit("Assemble", assembly)

    def decommission(self, uid: str, reason: str) -> dict[str, Any]:
        return self._submit("Decommission", uid, reason)


def _repo(services: Services) -> EventRepository:
    committed.settle()  # reads and assemblies committed through /v1 are stored in the background
    return EventRepository.for_home(services.home)


@router.post(
    "/capture",
    summary="Capture an EPCIS 2.0 JSON-LD document; each event becomes a ledger transaction",
)
def capture(
    services: ServicesDep,
    principal: Capturer,
    document: Annotated[dict[str, Any], Body(examples=[EXAMPLE_DOCUMENT])],
) -> CaptureOut:
    """Validate against the GS1 EPCIS JSON schema, then record every event; a second capture records nothing new."""
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, dict) else None
    limit = services.settings.max_batch_scans
    if isinstance(events, list) and len(events) > limit:
        raise PayloadTooLarge(f"document of {len(events)} events exceeds the limit of {limit}", value=len(events))
    station = services.network.member(principal.msp_id, principal.member).station
    outcomes = Capture(_repo(services), _Ledger(services, principal), principal.msp_id, station).run(document)
    counts = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("recorded", "duplicate", "refused")}
    return CaptureOut(
        events=[EventOutcome.model_validate(o.as_dict()) for o in outcomes],
        recorded=counts["recorded"],
        duplicates=counts["duplicate"],
        refused=counts["refused"],
    )


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(token.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        value = -1
    if value < 0:
        raise ValidationError(f"nextPageToken {token!r} is not a token this service issued", value=token,
                              field="nextPageToken")  # fmt: skip
    return value


@router.get("/events", summary="Query captured events (SimpleEventQuery parameters); an EPCISQueryDocument")
def query_events(
    request: Request,
    response: Response,
    services: ServicesDep,
    principal: PrincipalDep,
    eq_biz_step: Annotated[str | None, Query(alias="EQ_bizStep", description="CBV words or URIs, |-separated.")] = None,
    match_epc: Annotated[str | None, Query(alias="MATCH_epc", description="EPCs or idpat patterns.")] = None,
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime")] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime")] = None,
    eq_biz_location: Annotated[str | None, Query(alias="EQ_bizLocation")] = None,
    event_type: Annotated[str | None, Query(alias="eventType")] = None,
    per_page: Annotated[int | None, Query(alias="perPage", ge=1, le=1000)] = None,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken", max_length=64)] = None,
) -> dict[str, Any]:
    """Any other SimpleEventQuery parameter of :class:`scanner.epcis.EventQuery` works too; unknown ones are 422."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    query = EventQuery.from_params(params)
    owner = None if is_auditor(services, principal) else principal.msp_id
    found = _repo(services).query(query, owner)
    start = _offset(query.next_page_token)
    page = found[start : start + query.per_page] if query.per_page else found[start:]
    if query.per_page and start + query.per_page < len(found):
        token = base64.urlsafe_b64encode(str(start + query.per_page).encode()).decode().rstrip("=")
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken"]
        url = f"{request.url.path}?{urlencode([*rest, ('nextPageToken', token)])}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return EPCISQueryDocument(tuple(s.event for s in page)).to_jsonld()


@router.get("/events/{event_id:path}", summary="One captured event by eventID (URL-encoded)")
def get_event(services: ServicesDep, principal: PrincipalDep, event_id: str) -> dict[str, Any]:
    """The event as JSON-LD with its @context; 404 when unknown or captured by another org."""
    stored = _repo(services).get(event_id)
    if stored is None or (stored.msp_id != principal.msp_id and not is_auditor(services, principal)):
        raise NotFound(f"no event {event_id} is visible to {principal.msp_id}", value=event_id, field="eventID")
    return {"@context": build_context(stored.event.namespaces), **stored.event.to_jsonld()}
