"""Where the forwarder delivers: the ledger directly (embedded home) or the HTTP API, with one failure model.

Every failure is one of two things. A *refusal* is the ledger's verdict on an event (a domain error such as a
malformed uid or a part already consumed): resending cannot help, so the event is marked refused with the
reason. Anything else (home unreachable, API down, 5xx, commit timeout, MVCC conflict, an identity the ledger
does not accept) is an *outage*: the sink raises :class:`SinkUnavailable` and the events stay pending.

RecordScans fails as a whole when one item is invalid; :func:`deliver_isolating` then resends the items before
and after the one named ``scans[i]`` as batches and that one alone, so only it is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ledger.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    LedgerError,
    NotFound,
    ParseError,
    PayloadTooLarge,
    Unauthenticated,
    ValidationError,
)
from scanner.station.outbox import DELIVERED, REFUSED, OutboxEvent

Outcomes = dict[str, tuple[str, dict[str, Any]]]
#: How the ledger (``scans[3] ...``) and the API's request validation (``scans.3.uid: ...``) name a batch item.
_INDEX = re.compile(r"\bscans(?:\[(\d+)\]|\.(\d+)\b)")
#: Domain errors that are a verdict on one event rather than on the station or the connection.
_ITEM_ERRORS = (ParseError, ValidationError, Conflict, NotFound)
_KINDS: dict[str, type[LedgerError]] = {
    c.kind: c for c in (ParseError, ValidationError, NotFound, Conflict, Forbidden, Unauthenticated, PayloadTooLarge)
}


class SinkUnavailable(LedgerError):
    """The ledger cannot be reached or cannot take events now; they stay in the outbox and are resent."""

    kind = "sink_unavailable"
    http_status = 503


class Sink(Protocol):
    """Something that records events: the ledger directly, or the HTTP API."""

    def deliver(self, events: list[OutboxEvent]) -> Outcomes:
        """Record the events; map each event id to (DELIVERED or REFUSED, the answer).

        Raises:
            SinkUnavailable: nothing could be settled now (events stay pending).
        """
        ...


def refusal(exc: BaseException, *, batch: bool) -> LedgerError | None:
    """The domain error that refuses an event, or None when ``exc`` is an outage.

    Forbidden and Unauthenticated concern the station's identity or configuration, not one read, unless a
    batch error names the item: they keep events pending so that fixing the configuration delivers them.
    """
    err: BaseException | None = exc.cause if isinstance(exc, GatewayError) else exc
    if isinstance(err, _ITEM_ERRORS):
        return err
    if isinstance(err, Forbidden) and (not batch or _INDEX.search(err.message)):
        return err
    if batch and isinstance(err, PayloadTooLarge):
        return err
    return None


def deliver_isolating(
    events: Sequence[OutboxEvent],
    send_batch: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    send_one: Callable[[dict[str, Any]], dict[str, Any]],
) -> Outcomes:
    """Deliver a batch; when one item makes it fail, settle the others and refuse only that one."""
    try:
        docs = send_batch([e.payload for e in events])
    except Exception as exc:
        err = refusal(exc, batch=True)
        if err is None:
            raise
        m = _INDEX.search(err.message)
        i = int(m.group(1) or m.group(2)) if m else None
        if i is None or i >= len(events):
            out: Outcomes = {}
            for e in events:
                out.update(_single(e, send_one))
            return out
        out = {}
        if i > 0:
            out.update(deliver_isolating(events[:i], send_batch, send_one))
        out.update(_single(events[i], send_one))
        if i + 1 < len(events):
            out.update(deliver_isolating(events[i + 1 :], send_batch, send_one))
        return out
    if len(docs) != len(events):
        raise SinkUnavailable(f"ledger answered {len(docs)} results for a batch of {len(events)}", value=len(docs))
    return {e.event_id: (DELIVERED, doc) for e, doc in zip(events, docs, strict=True)}


def _single(event: OutboxEvent, send_one: Callable[[dict[str, Any]], dict[str, Any]]) -> Outcomes:
    try:
        return {event.event_id: (DELIVERED, send_one(event.payload))}
    except Exception as exc:
        err = refusal(exc, batch=False)
        if err is None:
            raise
        return {event.event_id: (REFUSED, {"error": err.to_dict()})}


def _runs(events: Sequence[OutboxEvent]) -> list[list[OutboxEvent]]:
    """Consecutive events of the same kind, in order (scans are batched, assemblies go one by one)."""
    runs: list[list[OutboxEvent]] = []
    for e in events:
        if runs and runs[-1][0].kind == e.kind == "scan":
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def _as_outage(exc: Exception, where: str) -> SinkUnavailable:
    detail = exc.message if isinstance(exc, LedgerError) else f"{type(exc).__name__}: {exc}"
    return SinkUnavailable(f"{where}: {detail}", value=where)


class LedgerSink:
    """Records events on the embedded ledger of a home directory, as the station's own member identity.

    The home is checked before every batch: when its ledger file is missing (a network share unmounted, the
    disk moved away) the batch is an outage, never a fresh empty ledger created in its place.
    """

    def __init__(self, home: Path, msp_id: str, member: str) -> None:
        self.home = Path(home)
        self.msp_id, self.member = msp_id, member

    @property
    def where(self) -> str:
        """The target, as shown in operator messages."""
        return f"ledger home {self.home}"

    def _client(self) -> Any:
        from ledger.client import LedgerClient
        from ledger.connect import connect
        from ledger.embedded.ledger import LEDGER_FILE

        for needed in (self.home / LEDGER_FILE, self.home / "network.yaml"):
            if not os.path.isfile(needed):
                raise SinkUnavailable(f"{self.where} is unreachable: {needed} is missing", value=str(needed))
        return LedgerClient(connect(self.home, self.msp_id, self.member))

    def deliver(self, events: list[OutboxEvent]) -> Outcomes:
        """Scans in RecordScans batches, assemblies one Assemble each."""
        try:
            client = self._client()
            out: Outcomes = {}
            for run in _runs(events):
                if run[0].kind == "scan":
                    out.update(deliver_isolating(run, client.record_scans, client.record_scan))
                else:
                    out.update(_single(run[0], client.assemble))
            return out
        except SinkUnavailable:
            raise
        except Exception as exc:
            raise _as_outage(exc, self.where) from exc


class ApiSink:
    """Records events through the HTTP API with a bearer token (``POST /v1/scans/batch``).

    Problem+json answers are turned back into the project's errors, so refusals and outages are told apart
    exactly as for the direct sink.
    """

    SCANS_PATH: ClassVar[str] = "/v1/scans/batch"
    ASSEMBLY_PATH: ClassVar[str] = "/v1/assemblies"

    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    @property
    def where(self) -> str:
        """The target, as shown in operator messages."""
        return f"API {self.base_url}"

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        try:
            resp = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise _as_outage(exc, self.where) from exc
        if resp.status_code < 300:
            return resp.json()
        try:
            problem = resp.json()
        except ValueError:
            problem = {}
        detail = str(problem.get("detail") or resp.text[:200] or resp.reason_phrase)
        kind = str(problem.get("type", "")).rsplit("/", 1)[-1]
        cls = _KINDS.get(kind)
        if cls is None or resp.status_code >= 500:
            raise SinkUnavailable(f"{self.where} answered {resp.status_code} on {path}: {detail}", value=path)
        raise cls(detail, value=problem.get("value"), field=problem.get("field"))

    def _scans(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._post(self.SCANS_PATH, {"scans": items})["results"])

    def deliver(self, events: list[OutboxEvent]) -> Outcomes:
        """Scans in batches, assemblies one by one."""
        out: Outcomes = {}
        try:
            for run in _runs(events):
                if run[0].kind == "scan":
                    out.update(deliver_isolating(run, self._scans, lambda item: self._scans([item])[0]))
                else:
                    out.update(_single(run[0], lambda p: self._post(self.ASSEMBLY_PATH, p)))
        except SinkUnavailable:
            raise
        except Exception as exc:
            raise _as_outage(exc, self.where) from exc
        return out

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()
