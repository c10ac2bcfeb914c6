"""The station agent: scanner reads to EPCIS events, a durable outbox, and delivery to the ledger.

See docs/station.md. ``StationAgent`` runs a station; ``Outbox``, ``Forwarder`` and the sinks are usable alone
(the benchmark and tests drive them directly).
"""

from __future__ import annotations

from scanner.station.agent import StationAgent, Summary
from scanner.station.config import StationConfig, build_config
from scanner.station.events import Assembler, Dedupe, assembly_event, scan_event
from scanner.station.forwarder import Backoff, Forwarder
from scanner.station.outbox import DELIVERED, PENDING, REFUSED, NewEvent, Outbox, OutboxError, OutboxEvent
from scanner.station.sinks import ApiSink, LedgerSink, Sink, SinkUnavailable, deliver_isolating
from scanner.station.sources import Read, Source, open_source

__all__ = [
    "DELIVERED",
    "PENDING",
    "REFUSED",
    "ApiSink",
    "Assembler",
    "Backoff",
    "Dedupe",
    "Forwarder",
    "LedgerSink",
    "NewEvent",
    "Outbox",
    "OutboxError",
    "OutboxEvent",
    "Read",
    "Sink",
    "SinkUnavailable",
    "Source",
    "StationAgent",
    "StationConfig",
    "Summary",
    "assembly_event",
    "build_config",
    "deliver_isolating",
    "open_source",
    "scan_event",
]
