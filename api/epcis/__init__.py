"""EPCIS 2.0 capture and query for the API: the local event repository and the event-to-transaction mapping."""

from __future__ import annotations

from api.epcis.capture import Capture, LedgerPort, Outcome
from api.epcis.repository import EventRepository, StoredEvent

__all__ = ["Capture", "EventRepository", "LedgerPort", "Outcome", "StoredEvent"]
