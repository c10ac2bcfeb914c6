"""EPCIS 2.0 documents: the EPCISDocument a station or partner captures and the EPCISQueryDocument we answer.

A document carries the JSON-LD ``@context`` (the EPCIS 2.0 context URL plus inline prefixes for extension
fields), ``schemaVersion`` "2.0", a ``creationDate`` and the event list. Capture must report each event's
outcome separately, so besides the strict :meth:`EPCISDocument.from_jsonld` there is :func:`read_events`,
which yields every event or the error that refused it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ledger.errors import LedgerError, ParseError, ValidationError
from scanner.epcis.fields import want_list, want_object, want_str
from scanner.epcis.model import EPCIS_CONTEXT_URL, Event, context_prefixes, event_from_jsonld
from scanner.epcis.timestamps import format_timestamp, parse_timestamp

#: Context URLs accepted on input (the 2.0.0 standard's and the draft one still used by early tools).
KNOWN_CONTEXTS = (EPCIS_CONTEXT_URL, "https://gs1.github.io/EPCIS/epcis-context.jsonld")
SCHEMA_VERSION = "2.0"


def merge_namespaces(maps: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Union of prefix maps; one prefix bound to two IRIs is an error (the hash would be ambiguous)."""
    out: dict[str, str] = {}
    for mapping in maps:
        for prefix, iri in mapping.items():
            if out.setdefault(prefix, iri) != iri:
                raise ValidationError(
                    f"prefix {prefix!r} is bound to both {out[prefix]!r} and {iri!r}",
                    value=prefix,
                    field="@context",
                )
    return out


def build_context(namespaces: Mapping[str, str]) -> list[Any]:
    """``@context`` for a document: the EPCIS 2.0 context plus one object with the inline prefixes."""
    context: list[Any] = [EPCIS_CONTEXT_URL]
    if namespaces:
        context.append(dict(sorted(namespaces.items())))
    return context


def _check_context(context: Any) -> dict[str, str]:
    items = context if isinstance(context, list) else [context]
    if not any(item in KNOWN_CONTEXTS for item in items):
        raise ValidationError(
            f"@context must include {EPCIS_CONTEXT_URL}, got {json.dumps(context)[:200]}",
            value=json.dumps(context)[:200],
            field="@context",
        )
    return context_prefixes(context)


def _prefixed(err: LedgerError, where: str) -> LedgerError:
    field = f"{where}.{err.field}" if err.field else where
    return type(err)(f"{where}: {err.message}", value=err.value, field=field)


def read_events(event_list: Any, namespaces: Mapping[str, str], where: str) -> Iterator[Event | LedgerError]:
    """Each event of an event list, or the error refusing it (field paths start with ``where[i]``)."""
    for i, data in enumerate(want_list(event_list, where)):
        try:
            yield event_from_jsonld(data, namespaces)
        except LedgerError as err:
            yield _prefixed(err, f"{where}[{i}]")


def load_json(text: str | bytes) -> Any:
    """Parse JSON text, turning a syntax error into ParseError with its position."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ParseError(f"document is not valid JSON: {err}", field="document") from None


@dataclasses.dataclass(frozen=True)
class EPCISDocument:
    """An EPCIS 2.0 JSON-LD document holding events."""

    events: tuple[Event, ...]
    creation_date: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    namespaces: Mapping[str, str] = dataclasses.field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        merged = merge_namespaces([self.namespaces, *(e.namespaces for e in self.events)])
        object.__setattr__(self, "namespaces", merged)

    def to_jsonld(self) -> dict[str, Any]:
        """The document as JSON-LD, events in order."""
        return {
            "@context": build_context(self.namespaces),
            "type": "EPCISDocument",
            "schemaVersion": self.schema_version,
            "creationDate": format_timestamp(self.creation_date),
            "epcisBody": {"eventList": [e.to_jsonld() for e in self.events]},
        }

    def to_json(self) -> str:
        """Compact JSON text of :meth:`to_jsonld`."""
        return json.dumps(self.to_jsonld(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def header(cls, data: Any) -> tuple[Mapping[str, Any], dict[str, str]]:
        """Check the document envelope; return the object and its inline namespaces."""
        obj = want_object(data, "document")
        if obj.get("type") != "EPCISDocument":
            raise ValidationError(
                f"document type {obj.get('type')!r} is not EPCISDocument", value=obj.get("type"), field="type"
            )
        for key in ("@context", "schemaVersion", "creationDate", "epcisBody"):
            if key not in obj:
                raise ValidationError(f"EPCISDocument is missing required field {key}", field=key)
        namespaces = _check_context(obj["@context"])
        version = want_str(obj["schemaVersion"], "schemaVersion")
        if not version.startswith("2."):
            raise ValidationError(f"schemaVersion {version!r} is not 2.x", value=version, field="schemaVersion")
        parse_timestamp(obj["creationDate"], field="creationDate")
        body = want_object(obj["epcisBody"], "epcisBody")
        if "eventList" not in body:
            raise ValidationError("epcisBody is missing eventList", field="epcisBody.eventList")
        return obj, namespaces

    @classmethod
    def from_jsonld(cls, data: Any) -> EPCISDocument:
        """Read a whole document; the first refused event raises (its field path names the event)."""
        obj, namespaces = cls.header(data)
        events = []
        for item in read_events(obj["epcisBody"]["eventList"], namespaces, "epcisBody.eventList"):
            if isinstance(item, LedgerError):
                raise item
            events.append(item)
        return cls(
            events=tuple(events),
            creation_date=parse_timestamp(obj["creationDate"], field="creationDate"),
            namespaces=namespaces,
            schema_version=obj["schemaVersion"],
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> EPCISDocument:
        """Read a document from JSON text."""
        return cls.from_jsonld(load_json(text))


@dataclasses.dataclass(frozen=True)
class EPCISQueryDocument:
    """The answer to ``GET /epcis/events``: a SimpleEventQuery result (EPCIS 2.0 §8.2.7)."""

    events: tuple[Event, ...]
    query_name: str = "SimpleEventQuery"
    subscription_id: str | None = None
    creation_date: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    namespaces: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        merged = merge_namespaces([self.namespaces, *(e.namespaces for e in self.events)])
        object.__setattr__(self, "namespaces", merged)

    def to_jsonld(self) -> dict[str, Any]:
        """The query document as JSON-LD."""
        results: dict[str, Any] = {"queryName": self.query_name}
        if self.subscription_id is not None:
            results["subscriptionID"] = self.subscription_id
        results["resultsBody"] = {"eventList": [e.to_jsonld() for e in self.events]}
        return {
            "@context": build_context(self.namespaces),
            "type": "EPCISQueryDocument",
            "schemaVersion": SCHEMA_VERSION,
            "creationDate": format_timestamp(self.creation_date),
            "epcisBody": {"queryResults": results},
        }

    @classmethod
    def from_jsonld(cls, data: Any) -> EPCISQueryDocument:
        """Read a query document (used by clients and tests of ``GET /epcis/events``)."""
        obj = want_object(data, "document")
        if obj.get("type") != "EPCISQueryDocument":
            raise ValidationError(
                f"document type {obj.get('type')!r} is not EPCISQueryDocument",
                value=obj.get("type"),
                field="type",
            )
        namespaces = _check_context(obj.get("@context"))
        results = want_object(want_object(obj.get("epcisBody"), "epcisBody").get("queryResults"), "queryResults")
        body = want_object(results.get("resultsBody"), "queryResults.resultsBody")
        events = []
        for item in read_events(body.get("eventList"), namespaces, "resultsBody.eventList"):
            if isinstance(item, LedgerError):
                raise item
            events.append(item)
        created = obj.get("creationDate")
        return cls(
            events=tuple(events),
            query_name=want_str(results.get("queryName"), "queryName"),
            subscription_id=results.get("subscriptionID"),
            creation_date=parse_timestamp(created, field="creationDate") if created else datetime.now(UTC),
            namespaces=namespaces,
        )
