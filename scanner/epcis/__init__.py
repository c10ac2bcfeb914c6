"""GS1 EPCIS 2.0 events for stations and the API: model, canonical event hash, schema validation, builders."""

from __future__ import annotations

from scanner.epcis.builders import aggregation_event, object_event_for_read, transformation_event
from scanner.epcis.document import EPCISDocument, EPCISQueryDocument, read_events
from scanner.epcis.fields import BizTransaction, PersistentDisposition, QuantityElement, SourceDest
from scanner.epcis.hashing import event_hash, jsonld_event_hash
from scanner.epcis.model import (
    EPCIS_CONTEXT_URL,
    AggregationEvent,
    EPCISEvent,
    Event,
    ObjectEvent,
    TransformationEvent,
    event_from_jsonld,
)
from scanner.epcis.query import EventQuery
from scanner.epcis.schema import validate_document

__all__ = [
    "EPCIS_CONTEXT_URL",
    "AggregationEvent",
    "BizTransaction",
    "EPCISDocument",
    "EPCISEvent",
    "EPCISQueryDocument",
    "Event",
    "EventQuery",
    "ObjectEvent",
    "PersistentDisposition",
    "QuantityElement",
    "SourceDest",
    "TransformationEvent",
    "aggregation_event",
    "event_from_jsonld",
    "event_hash",
    "jsonld_event_hash",
    "object_event_for_read",
    "read_events",
    "transformation_event",
    "validate_document",
]
