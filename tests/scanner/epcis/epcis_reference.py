"""Test-time access to the reference implementation, epcis-event-hash-generator 1.9.3 (a dev dependency)."""

from __future__ import annotations

import copy
from typing import Any

from epcis_event_hash_generator import hash_generator, json_to_py
from epcis_event_hash_generator.dl_normaliser import normaliser

EX = "https://example.com/epcis/"
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def document(events: list[dict[str, Any]], namespaces: dict[str, str] | None = None) -> dict[str, Any]:
    ns = {"ex": EX} if namespaces is None else namespaces
    return {
        "@context": [CONTEXT_URL, ns] if ns else [CONTEXT_URL],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-03-14T10:00:00.000+01:00",
        "epcisBody": {"eventList": copy.deepcopy(events)},
    }


def reference_prehashes(doc: dict[str, Any]) -> list[str]:
    """Pre-hash strings of every event of ``doc``; fails if the reference silently dropped one."""
    json_to_py._namespaces.clear()  # the reference keeps prefixes of earlier documents in a module global
    events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(doc))
    prehashes = hash_generator.derive_prehashes_from_events(events, "")
    assert len(prehashes) == len(events[2]), "reference dropped an event"
    return prehashes


def reference_hash(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> str:
    """The reference's hash ID of one event, hashed alone in a document."""
    [prehash] = reference_prehashes(document([event], namespaces))
    [hash_id] = hash_generator.calculate_hashes_from_pre_hashes([prehash], "sha256")
    return hash_id


def reference_prehash(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> str:
    [prehash] = reference_prehashes(document([event], namespaces))
    return prehash


def reference_uri(uri: str) -> str | None:
    return normaliser(uri)
