"""EPCIS 2.0 SimpleEventQuery parameters (§8.2.7.1) as a pure filter over events, for ``GET /epcis/events``.

The REST binding passes lists pipe-delimited (``EQ_bizStep=shipping|receiving``); a repeated parameter adds
values. Identifiers are compared in their canonical GS1 form, so ``MATCH_epc`` with an EPC URN finds events
written with Digital Link URIs and the reverse, and EPC pattern URIs
(``urn:epc:idpat:sgtin:4012345.012345.*``) match every serial of the class. Unknown parameters are refused
by name rather than silently ignored, since an ignored filter returns more data than the caller asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ledger.errors import ValidationError
from scanner.epcis import cbv
from scanner.epcis.gs1_uri import canonical_gs1_uri
from scanner.epcis.model import AggregationEvent, Event, ObjectEvent, TransformationEvent
from scanner.epcis.timestamps import parse_timestamp

EVENT_TYPE_NAMES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransformationEvent",
    "AssociationEvent",
    "TransactionEvent",
)
_LISTS = {
    "eventType": "event_types",
    "EQ_action": "actions",
    "EQ_bizStep": "biz_steps",
    "EQ_disposition": "dispositions",
    "EQ_readPoint": "read_points",
    "EQ_bizLocation": "biz_locations",
    "EQ_eventID": "event_ids",
    "MATCH_epc": "match_epc",
    "MATCH_parentID": "match_parent_id",
    "MATCH_inputEPC": "match_input_epc",
    "MATCH_outputEPC": "match_output_epc",
    "MATCH_anyEPC": "match_any_epc",
    "MATCH_epcClass": "match_epc_class",
    "MATCH_anyEPCClass": "match_any_epc_class",
}
_TIMES = {
    "GE_eventTime": "ge_event_time",
    "LT_eventTime": "lt_event_time",
    "GE_recordTime": "ge_record_time",
    "LT_recordTime": "lt_record_time",
}
_INTS = {"perPage": "per_page", "eventCountLimit": "event_count_limit"}


def _canonical(uri: str) -> str:
    return canonical_gs1_uri(uri) or uri


@dataclasses.dataclass(frozen=True)
class EpcPattern:
    """One MATCH_ value: an exact identifier, or an EPC pattern URI standing for a class of identifiers."""

    text: str

    def matches(self, uri: str) -> bool:
        """True when ``uri`` (any spelling) is this identifier or falls under this pattern."""
        if self.text.startswith("urn:epc:idpat:"):
            cls = canonical_gs1_uri(self.text)
            if cls is not None:
                value = _canonical(uri)
                return value == cls or value.startswith(cls + "/")
            return uri.startswith(self.text.rstrip("*"))
        return _canonical(uri) == _canonical(self.text)


@dataclasses.dataclass(frozen=True)
class EventQuery:
    """A parsed SimpleEventQuery; empty sets mean "no constraint"."""

    event_types: frozenset[str] = frozenset()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    actions: frozenset[str] = frozenset()
    biz_steps: frozenset[str] = frozenset()
    dispositions: frozenset[str] = frozenset()
    read_points: frozenset[str] = frozenset()
    biz_locations: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()
    match_epc: tuple[EpcPattern, ...] = ()
    match_parent_id: tuple[EpcPattern, ...] = ()
    match_input_epc: tuple[EpcPattern, ...] = ()
    match_output_epc: tuple[EpcPattern, ...] = ()
    match_any_epc: tuple[EpcPattern, ...] = ()
    match_epc_class: tuple[EpcPattern, ...] = ()
    match_any_epc_class: tuple[EpcPattern, ...] = ()
    order_by: str | None = None
    order_descending: bool = True
    per_page: int | None = None
    next_page_token: str | None = None
    event_count_limit: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> EventQuery:
        """Read query-string parameters (values pipe-delimited, or lists of them for repeated keys)."""
        values: dict[str, Any] = {}
        for name, raw in params.items():
            texts = [raw] if isinstance(raw, str) else list(raw)
            items = [v for t in texts for v in t.split("|") if v != ""]
            if name in _LISTS:
                values[_LISTS[name]] = _read_list(name, items)
            elif name in _TIMES:
                values[_TIMES[name]] = parse_timestamp(_single(name, items), field=name)
            elif name in _INTS:
                values[_INTS[name]] = _positive(name, _single(name, items))
            elif name == "orderBy":
                values["order_by"] = _choice(name, _single(name, items), ("eventTime", "recordTime"))
            elif name == "orderDirection":
                values["order_descending"] = _choice(name, _single(name, items), ("ASC", "DESC")) == "DESC"
            elif name == "nextPageToken":
                values["next_page_token"] = _single(name, items)
            else:
                raise ValidationError(f"unknown EPCIS query parameter {name!r}", value=name, field=name)
        return cls(**values)

    def matches(self, event: Event) -> bool:
        """True when ``event`` satisfies every given constraint."""
        checks = (
            not self.event_types or event.TYPE in self.event_types,
            self.ge_event_time is None or event.event_time >= self.ge_event_time,
            self.lt_event_time is None or event.event_time < self.lt_event_time,
            self._record_time_ok(event),
            not self.actions or getattr(event, "action", None) in self.actions,
            not self.biz_steps or event.biz_step in self.biz_steps,
            not self.dispositions or event.disposition in self.dispositions,
            not self.read_points or _in(event.read_point, self.read_points),
            not self.biz_locations or _in(event.biz_location, self.biz_locations),
            not self.event_ids or event.event_id in self.event_ids,
            _any(self.match_epc, _epcs(event)),
            _any(self.match_parent_id, [getattr(event, "parent_id", None)]),
            _any(self.match_input_epc, getattr(event, "input_epc_list", ())),
            _any(self.match_output_epc, getattr(event, "output_epc_list", ())),
            _any(self.match_any_epc, _all_epcs(event)),
            _any(self.match_epc_class, _classes(event, any_list=False)),
            _any(self.match_any_epc_class, _classes(event, any_list=True)),
        )
        return all(checks)

    def _record_time_ok(self, event: Event) -> bool:
        if self.ge_record_time is None and self.lt_record_time is None:
            return True
        if event.record_time is None:
            return False
        return (self.ge_record_time is None or event.record_time >= self.ge_record_time) and (
            self.lt_record_time is None or event.record_time < self.lt_record_time
        )

    def select(self, events: Iterable[Event]) -> list[Event]:
        """Matching events, ordered as asked (default: eventTime, newest first), at most eventCountLimit."""
        found = [e for e in events if self.matches(e)]
        if self.order_by == "recordTime":
            found.sort(key=lambda e: (e.record_time is None, e.record_time or e.event_time))
        else:
            found.sort(key=lambda e: e.event_time)
        if self.order_descending:
            found.reverse()
        return found[: self.event_count_limit] if self.event_count_limit else found


def _single(name: str, items: list[str]) -> str:
    if len(items) != 1:
        raise ValidationError(f"{name} takes one value, got {len(items)}", value="|".join(items), field=name)
    return items[0]


def _positive(name: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(f"{name} {text!r} is not a positive integer", value=text, field=name)
    return int(text)


def _choice(name: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise ValidationError(f"{name} {text!r} is not one of {', '.join(allowed)}", value=text, field=name)
    return text


def _read_list(name: str, items: list[str]) -> Any:
    if name == "eventType":
        return frozenset(_choice(name, v, EVENT_TYPE_NAMES) for v in items)
    if name == "EQ_action":
        return frozenset(_choice(name, v, ("ADD", "OBSERVE", "DELETE")) for v in items)
    if name == "EQ_bizStep":
        return frozenset(cbv.normalize(cbv.BIZ_STEP, v, field=name) for v in items)
    if name == "EQ_disposition":
        return frozenset(cbv.normalize(cbv.DISPOSITION, v, field=name) for v in items)
    for v in items:
        if not cbv.is_absolute_uri(v):
            raise ValidationError(f"{name} value {v!r} is not an absolute URI", value=v, field=name)
    if name.startswith("MATCH_"):
        return tuple(EpcPattern(v) for v in items)
    if name == "EQ_eventID":
        return frozenset(items)
    return frozenset(_canonical(v) for v in items)


def _in(uri: str | None, wanted: frozenset[str]) -> bool:
    return uri is not None and _canonical(uri) in wanted


def _any(patterns: tuple[EpcPattern, ...], uris: Iterable[str | None]) -> bool:
    if not patterns:
        return True
    return any(p.matches(u) for u in uris if u is not None for p in patterns)


def _epcs(event: Event) -> Sequence[str]:
    if isinstance(event, ObjectEvent):
        return event.epc_list
    if isinstance(event, AggregationEvent):
        return event.child_epcs
    return ()


def _all_epcs(event: Event) -> list[str | None]:
    if isinstance(event, TransformationEvent):
        return [*event.input_epc_list, *event.output_epc_list]
    if isinstance(event, AggregationEvent):
        return [event.parent_id, *event.child_epcs]
    return list(event.epc_list)


def _classes(event: Event, *, any_list: bool) -> list[str]:
    """EPC classes of quantityList / childQuantityList; with ``any_list`` also of transformations."""
    if isinstance(event, ObjectEvent):
        elements = event.quantity_list
    elif isinstance(event, AggregationEvent):
        elements = event.child_quantity_list
    elif any_list:
        elements = (*event.input_quantity_list, *event.output_quantity_list)
    else:
        elements = ()
    return [q.epc_class for q in elements]
