"""Sending the outbox to the ledger: batches, retry with backoff, resume after restart.

The forwarder owns no state of its own: what is pending is what the outbox says, so a restarted station simply
carries on. A failed delivery (ledger or API unreachable) leaves the batch pending and waits with exponential
backoff; a delivered batch is marked with the ledger's answer per event. Because the ledger records an event
once per event id, a batch resent after a crash never duplicates a scan.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.station.outbox import Outbox, OutboxEvent
from scanner.station.sinks import Sink


@dataclass
class Backoff:
    """Exponential backoff between failed attempts: ``initial``, then times ``factor``, capped at ``maximum``."""

    initial: float = 0.05
    maximum: float = 5.0
    factor: float = 2.0
    current: float = 0.0

    def failed(self) -> float:
        """The delay before the next attempt."""
        self.current = self.initial if self.current == 0 else min(self.maximum, self.current * self.factor)
        return self.current

    def reset(self) -> None:
        """Forget past failures."""
        self.current = 0.0


class Forwarder:
    """A thread that drains the outbox into a sink.

    Callbacks run on the forwarder thread: ``on_outcome`` once per settled event, ``on_offline`` when a
    delivery fails while the forwarder was online (and with every later failure's error), ``on_online`` when a
    delivery succeeds again after an outage.
    """

    def __init__(
        self,
        outbox: Outbox,
        sink: Sink,
        *,
        batch_size: int = 500,
        backoff: Backoff | None = None,
        on_outcome: Callable[[OutboxEvent, str, dict[str, Any]], None] | None = None,
        on_offline: Callable[[Exception, bool], None] | None = None,
        on_online: Callable[[], None] | None = None,
    ) -> None:
        self._outbox, self._sink = outbox, sink
        self._batch = batch_size
        self._backoff = backoff or Backoff()
        self._on_outcome = on_outcome
        self._on_offline = on_offline
        self._on_online = on_online
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.online = True
        self.last_error: str | None = None

    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name="station-forwarder", daemon=True)
        self._thread.start()

    def stop(self, *, drain_timeout: float = 0.0) -> None:
        """Stop, after trying to deliver what is pending for up to ``drain_timeout`` seconds."""
        end = time.monotonic() + drain_timeout
        while self._outbox.counts()["pending"] and time.monotonic() < end:
            time.sleep(0.05)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run(self) -> None:
        """Deliver until stopped."""
        while not self._stop.is_set():
            if not self._outbox.wait_for_pending(0.2):
                continue
            self.deliver_once()

    def deliver_once(self) -> int:
        """Deliver one batch; returns how many events were settled (0 after a failure, which waits the backoff)."""
        batch = self._outbox.pending(self._batch)
        if not batch:
            return 0
        try:
            outcomes = self._sink.deliver(batch)
        except Exception as exc:
            was_online, self.online = self.online, False
            self.last_error = str(exc)[:500]
            self._outbox.failed_attempt([e.event_id for e in batch], self.last_error)
            if self._on_offline:
                self._on_offline(exc, was_online)
            self._stop.wait(self._backoff.failed())
            return 0
        was_online, self.online = self.online, True
        self.last_error = None
        self._backoff.reset()
        self._outbox.mark(outcomes)
        if not was_online and self._on_online:
            self._on_online()
        if self._on_outcome:
            for e in batch:
                if e.event_id in outcomes:
                    status, answer = outcomes[e.event_id]
                    self._on_outcome(e, status, answer)
        return len(outcomes)
