"""Group commit for single reads: concurrent one-scan requests of one station share one ledger transaction.

Each transaction costs signatures, endorsement, validation and a read-model update whatever its size, so when
several single-scan requests of the same station arrive within a couple of milliseconds, the first one waits
``window`` seconds, takes every read that joined it and submits them as one ``RecordScans``. Each request still
gets its own stored scan (or its own error): if the shared transaction is refused, the reads are re-submitted
one by one so a bad read cannot fail its neighbours. Reads are idempotent by event hash, so re-submitting is safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import LedgerError

Submit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@dataclass
class _Group:
    items: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any] | LedgerError] = field(default_factory=list)
    failure: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Coalescer:
    """Merges concurrent single items per key into batches of at most ``max_items``."""

    def __init__(self, window: float = 0.002, max_items: int = 500) -> None:
        self.window = window
        self.max_items = max_items
        self._lock = threading.Lock()
        self._open: dict[Hashable, _Group] = {}

    def submit(self, key: Hashable, item: dict[str, Any], batch: Submit, single: Submit) -> dict[str, Any]:
        """Record ``item`` with whatever joins it under ``key``; returns its own result or raises its own error."""
        with self._lock:
            group = self._open.get(key)
            leader = group is None
            if group is None:
                group = self._open[key] = _Group()
            index = len(group.items)
            group.items.append(item)
            if len(group.items) >= self.max_items:
                self._open.pop(key, None)
        if leader:
            time.sleep(self.window)
            with self._lock:
                if self._open.get(key) is group:
                    del self._open[key]
            self._run(group, batch, single)
        else:
            group.done.wait()
        if group.failure is not None:
            raise group.failure
        result = group.results[index]
        if isinstance(result, LedgerError):
            raise result
        return result

    @staticmethod
    def _run(group: _Group, batch: Submit, single: Submit) -> None:
        try:
            if len(group.items) == 1:
                group.results = [*single(group.items)]
                return
            try:
                group.results = [*batch(group.items)]
            except LedgerError:
                out: list[dict[str, Any] | LedgerError] = []
                for item in group.items:
                    try:
                        out.extend(single([item]))
                    except LedgerError as err:
                        out.append(err)
                group.results = out
        except BaseException as exc:
            group.failure = exc
        finally:
            group.done.set()
