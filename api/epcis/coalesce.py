"""Group commit for single reads: concurrent one-scan requests of one station share one ledger transaction.

Each transaction costs signatures, endorsement, validation and a read-model update whatever its size, so when
several single-scan requests of the same station arrive within a couple of milliseconds, the first one waits
``window`` seconds, takes every read that joined it and submits them as one ``RecordScans``. Each request still
gets its own stored scan (or its own error): if the shared transaction is refused, the reads are re-submitted
one by one so a bad read cannot fail its neighbours. Reads are idempotent by event hash, so re-submitting is safe.

The waiting requests are coroutines (``async`` request handlers): they hold no thread, and each group costs one
worker-thread call instead of one per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread

from ledger.errors import LedgerError

Submit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@dataclass
class _Group:
    items: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any] | LedgerError] = field(default_factory=list)
    failure: BaseException | None = None

    def result(self, index: int) -> dict[str, Any]:
        """Item ``index``'s own stored result, or its own error (or the whole group's failure) raised."""
        if self.failure is not None:
            raise self.failure
        result = self.results[index]
        if isinstance(result, LedgerError):
            raise result
        return result


def _run_group(group: _Group, batch: Submit, single: Submit) -> None:
    """Submit a closed group as one batch (one item: as a single), isolating failures item by item."""
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


@dataclass
class _AsyncGroup:
    group: _Group = field(default_factory=_Group)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    leader: asyncio.Task[None] | None = None


class AsyncCoalescer:
    """Merges concurrent single items per key (coroutines of one event loop) into batches of at most ``max_items``.

    Waiting requests hold no thread; the group's submit runs once in a worker thread.
    """

    def __init__(self, window: float = 0.002, max_items: int = 500) -> None:
        self.window = window
        self.max_items = max_items
        self._open: dict[Hashable, _AsyncGroup] = {}

    async def submit(self, key: Hashable, item: dict[str, Any], batch: Submit, single: Submit) -> dict[str, Any]:
        """Record ``item`` with whatever joins it under ``key``; returns its own result or raises its own error."""
        entry = self._open.get(key)
        if entry is None:
            entry = self._open[key] = _AsyncGroup()
            # A task of its own rather than the first request's coroutine: a cancelled request must not strand
            # the requests that joined its group.
            entry.leader = asyncio.create_task(self._lead(key, entry, batch, single))
        group = entry.group
        index = len(group.items)
        group.items.append(item)
        if len(group.items) >= self.max_items:
            self._open.pop(key, None)
        await entry.done.wait()
        return group.result(index)

    async def _lead(self, key: Hashable, entry: _AsyncGroup, batch: Submit, single: Submit) -> None:
        try:
            await asyncio.sleep(self.window)
            if self._open.get(key) is entry:
                del self._open[key]
            await to_thread.run_sync(_run_group, entry.group, batch, single)
        except asyncio.CancelledError as exc:  # the server is stopping: the joined requests end with it
            if entry.group.failure is None and not entry.group.results:
                entry.group.failure = exc
            raise
        finally:
            if self._open.get(key) is entry:
                del self._open[key]
            entry.done.set()
