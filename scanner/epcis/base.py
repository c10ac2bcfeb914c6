"""The part every EPCIS 2.0 event shares: common fields, normalisation, JSON-LD reading and writing.

Values are held in one normal form (CBV values as full URIs, times as aware datetimes, lists as tuples) so
that two spellings of the same event compare equal and hash alike; :meth:`EPCISEvent.to_jsonld` writes the
compact JSON-LD form the GS1 schema and trading partners expect (bare CBV words, type-first business
transactions). ``extensions`` holds namespaced user fields (``{"ex:torque": 41.5}``) and ``namespaces`` the
inline ``@context`` prefixes they use; ``recordTime`` and ``eventID`` never enter the event hash.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar, Self

from ledger.errors import ValidationError
from scanner.epcis import cbv
from scanner.epcis.fields import (
    BizTransaction,
    PersistentDisposition,
    SourceDest,
    biz_transactions,
    extension_key,
    json_copy,
    location,
    source_dest_list,
    typed_tuple,
    uri_list,
    used_prefixes,
    want_list,
    want_object,
    want_str,
    want_uri,
)
from scanner.epcis.timestamps import check_offset, format_timestamp, offset_of, parse_timestamp

EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

#: True while :meth:`EPCISEvent.from_jsonld` builds an event from members its readers have already checked and
#: normalised, so construction does not check them twice (about a quarter of the parsing time of a capture).
READ_CHECKED: ContextVar[bool] = ContextVar("epcis_read_checked", default=False)
ACTIONS = ("ADD", "OBSERVE", "DELETE")


def _time_text(moment: datetime) -> str:
    """Keep sub-millisecond precision when present: the hash rounds it, so truncating would change the ID."""
    if moment.microsecond % 1000:
        text = moment.isoformat(timespec="microseconds")
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return format_timestamp(moment)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EPCISEvent:
    """Fields shared by every EPCIS event type (EPCIS 2.0 §7.4.1)."""

    TYPE: ClassVar[str] = ""

    event_time: datetime
    event_time_zone_offset: str = ""
    event_id: str | None = None
    record_time: datetime | None = None
    certification_info: tuple[str, ...] = ()
    biz_step: str | None = None
    disposition: str | None = None
    persistent_disposition: PersistentDisposition | None = None
    read_point: str | None = None
    biz_location: str | None = None
    biz_transactions: tuple[BizTransaction, ...] = ()
    sources: tuple[SourceDest, ...] = ()
    destinations: tuple[SourceDest, ...] = ()
    sensor_elements: tuple[Any, ...] = ()
    error_declaration: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    namespaces: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        put = object.__setattr__
        if isinstance(self.event_time, str):
            put(self, "event_time", parse_timestamp(self.event_time))
        if not isinstance(self.event_time, datetime) or self.event_time.tzinfo is None:
            raise ValidationError(f"eventTime {self.event_time!r} needs a UTC offset", field="eventTime")
        put(
            self,
            "event_time_zone_offset",
            check_offset(self.event_time_zone_offset or offset_of(self.event_time)),
        )
        if isinstance(self.record_time, str):
            put(self, "record_time", parse_timestamp(self.record_time, field="recordTime"))
        if self.record_time is not None and (
            not isinstance(self.record_time, datetime) or self.record_time.tzinfo is None
        ):
            raise ValidationError(f"recordTime {self.record_time!r} needs a UTC offset", field="recordTime")
        if not READ_CHECKED.get():
            self._check_members()
        namespaces = {want_str(k, "@context"): want_uri(v, f"@context.{k}") for k, v in self.namespaces.items()}
        put(self, "namespaces", namespaces)
        put(self, "extensions", self._checked_members(self.extensions, "extensions"))
        put(self, "sensor_elements", tuple(json_copy(e, "sensorElementList") for e in self.sensor_elements))
        if self.error_declaration is not None:
            put(self, "error_declaration", json_copy(self.error_declaration, "errorDeclaration"))
        self._check()

    def _check_members(self) -> None:
        """Check and normalise members given by a caller (the JSON-LD readers have done this already)."""
        put = object.__setattr__
        if self.event_id is not None:
            want_uri(self.event_id, "eventID")
        for name, vocab in (("biz_step", cbv.BIZ_STEP), ("disposition", cbv.DISPOSITION)):
            value = getattr(self, name)
            if value is not None:
                put(self, name, cbv.normalize(vocab, value))
        for name, label in (("read_point", "readPoint.id"), ("biz_location", "bizLocation.id")):
            if getattr(self, name) is not None:
                want_uri(getattr(self, name), label)
        for name, label, kind in (
            ("certification_info", "certificationInfo", str),
            ("biz_transactions", "bizTransactionList", BizTransaction),
            ("sources", "sourceList", SourceDest),
            ("destinations", "destinationList", SourceDest),
            ("sensor_elements", "sensorElementList", Mapping),
        ):
            put(self, name, typed_tuple(getattr(self, name), label, kind))
        if self.persistent_disposition is not None and not isinstance(
            self.persistent_disposition, PersistentDisposition
        ):
            raise ValidationError(
                f"persistentDisposition must be a PersistentDisposition, got {self.persistent_disposition!r}",
                field="persistentDisposition",
            )
        for i, uri in enumerate(self.certification_info):
            want_uri(uri, f"certificationInfo[{i}]")

    def _checked_members(self, members: Mapping[str, Any], field: str) -> dict[str, Any]:
        return {extension_key(k, self.namespaces, field): json_copy(v, f"{field}.{k}") for k, v in members.items()}

    def _check(self) -> None:
        """Type-specific rules (overridden)."""

    def _body(self) -> dict[str, Any]:
        """Type-specific JSON-LD members (overridden)."""
        return {}

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_jsonld(), sort_keys=True))

    # ------------------------------------------------------------------ JSON-LD

    def to_jsonld(self) -> dict[str, Any]:
        """The event as an EPCIS 2.0 JSON-LD object (without ``@context``; see EPCISDocument)."""
        out: dict[str, Any] = {"type": self.TYPE}
        if self.event_id is not None:
            out["eventID"] = self.event_id
        out["eventTime"] = _time_text(self.event_time)
        out["eventTimeZoneOffset"] = self.event_time_zone_offset
        if self.record_time is not None:
            out["recordTime"] = _time_text(self.record_time)
        if self.certification_info:
            ci = self.certification_info
            out["certificationInfo"] = ci[0] if len(ci) == 1 else list(ci)
        out.update(self._body())
        if self.biz_step is not None:
            out["bizStep"] = cbv.compact(cbv.BIZ_STEP, self.biz_step)
        if self.disposition is not None:
            out["disposition"] = cbv.compact(cbv.DISPOSITION, self.disposition)
        if self.persistent_disposition is not None:
            out["persistentDisposition"] = self.persistent_disposition.to_jsonld()
        if self.read_point is not None:
            out["readPoint"] = {"id": self.read_point}
        if self.biz_location is not None:
            out["bizLocation"] = {"id": self.biz_location}
        if self.biz_transactions:
            out["bizTransactionList"] = [b.to_jsonld() for b in self.biz_transactions]
        if self.sources:
            out["sourceList"] = [s.to_jsonld("source") for s in self.sources]
        if self.destinations:
            out["destinationList"] = [d.to_jsonld("destination") for d in self.destinations]
        if self.sensor_elements:
            out["sensorElementList"] = json_copy(list(self.sensor_elements), "sensorElementList")
        ilmd = getattr(self, "ilmd", None)
        if ilmd is not None:
            out["ilmd"] = json_copy(ilmd, "ilmd")
        if self.error_declaration is not None:
            out["errorDeclaration"] = json_copy(self.error_declaration, "errorDeclaration")
        out.update(json_copy(self.extensions, "extensions"))
        return out

    @classmethod
    def from_jsonld(cls, data: Any, namespaces: Mapping[str, str] | None = None) -> EPCISEvent:
        """Read one JSON-LD event; ``namespaces`` are the prefixes declared inline in the document's @context.

        Called on EPCISEvent it dispatches on ``type``; called on a subclass it also checks the type.
        """
        from scanner.epcis.model import EVENT_TYPES

        obj = want_object(data, "event")
        kind = obj.get("type")
        target = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
        if target is None:
            raise ValidationError(
                f"event type {kind!r} is not one of {', '.join(EVENT_TYPES)}", value=kind, field="type"
            )
        if cls is not EPCISEvent and target is not cls:
            raise ValidationError(f"expected a {cls.TYPE}, got {kind!r}", value=kind, field="type")
        ns = dict(namespaces or {})
        if "@context" in obj:
            ns.update(context_prefixes(obj["@context"]))
        for required in ("eventTime", "eventTimeZoneOffset"):
            if required not in obj:
                raise ValidationError(f"{kind} is missing required field {required}", field=required)
        kwargs: dict[str, Any] = {
            "event_time": parse_timestamp(obj["eventTime"]),
            "event_time_zone_offset": check_offset(obj["eventTimeZoneOffset"]),
            "namespaces": ns,
        }
        read = COMMON_READERS | target.READERS
        extensions: dict[str, Any] = {}
        for key, value in obj.items():
            if key in ("type", "eventTime", "eventTimeZoneOffset", "@context"):
                continue
            reader = read.get(key)
            if reader is not None:
                attr, fn = reader
                kwargs[attr] = fn(value, key)
            elif ":" in key:
                extensions[extension_key(key, ns, "event")] = value
            else:
                raise ValidationError(
                    f"{kind} has unknown field {key!r}; extension fields need a namespace prefix (ex:{key})",
                    value=key,
                    field=key,
                )
        kwargs["extensions"] = extensions
        kwargs["namespaces"] = used_prefixes({k: v for k, v in obj.items() if k != "@context"}, ns)
        token = READ_CHECKED.set(True)
        try:
            return target(**kwargs)
        finally:
            READ_CHECKED.reset(token)

    # ------------------------------------------------------------------ hashing

    def hash_id(self, algorithm: str = "sha256") -> str:
        """The GS1 canonical event hash ID (``ni:///sha-256;...?ver=CBV2.0``)."""
        from scanner.epcis.hashing import event_hash

        return event_hash(self, algorithm)

    def with_event_id(self) -> Self:
        """This event with ``eventID`` set to its canonical hash ID when it has none."""
        if self.event_id is not None:
            return self
        return dataclasses.replace(self, event_id=self.hash_id())


def context_prefixes(context: Any) -> dict[str, str]:
    """Inline prefix definitions (``{"ex": "https://example.com/epcis/"}``) of a JSON-LD ``@context``."""
    items = context if isinstance(context, list) else [context]
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, str):
            continue
        for prefix, iri in want_object(item, "@context").items():
            if isinstance(iri, str) and not prefix.startswith("@"):
                out[prefix] = iri
    return out


def read_action(value: Any, field: str) -> str:
    """An ObjectEvent / AggregationEvent action: ADD, OBSERVE or DELETE."""
    if value not in ACTIONS:
        raise ValidationError(f"{field} {value!r} is not one of ADD, OBSERVE, DELETE", value=value, field=field)
    return value


def _vocab(vocab: cbv.Vocabulary) -> Any:
    return lambda v, f: cbv.normalize(vocab, v, field=f)


def _time(value: Any, field: str) -> datetime:
    return parse_timestamp(value, field=field)


def _cert(value: Any, field: str) -> tuple[str, ...]:
    return uri_list(value, field) if isinstance(value, list) else (want_uri(value, field),)


def _objects(value: Any, field: str) -> tuple[Any, ...]:
    return tuple(want_object(v, f"{field}[{i}]") for i, v in enumerate(want_list(value, field)))


def read_members(value: Any, field: str) -> dict[str, Any]:
    """An object of namespaced members (ILMD, error declaration), checked later by the event."""
    return dict(want_object(value, field))


COMMON_READERS: dict[str, tuple[str, Any]] = {
    "eventID": ("event_id", want_uri),
    "recordTime": ("record_time", _time),
    "certificationInfo": ("certification_info", _cert),
    "bizStep": ("biz_step", _vocab(cbv.BIZ_STEP)),
    "disposition": ("disposition", _vocab(cbv.DISPOSITION)),
    "persistentDisposition": ("persistent_disposition", PersistentDisposition.from_jsonld),
    "readPoint": ("read_point", location),
    "bizLocation": ("biz_location", location),
    "bizTransactionList": ("biz_transactions", biz_transactions),
    "sourceList": ("sources", lambda v, f: source_dest_list(v, f, "source")),
    "destinationList": ("destinations", lambda v, f: source_dest_list(v, f, "destination")),
    "sensorElementList": ("sensor_elements", _objects),
    "errorDeclaration": ("error_declaration", read_members),
}
