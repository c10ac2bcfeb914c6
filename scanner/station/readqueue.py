"""The hand-off from a source's reader thread to the agent: lossless for scanners, small and bounded for frames.

A scanner's text reads are few and each is a deliberate act, so none may be lost: the queue is large and the
reader waits when it is full. Frames are big (300 KB of grey at 640x480) and can arrive faster than they decode
(a blank frame takes ~55 ms, a camera sends one every 33 ms), so an image source gets a queue of a few frames.
A video file or a folder waits for room (a replay reads every frame, deterministically); a live camera cannot be
paused, so its newest frame replaces the stalest one, which is counted as dropped.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadQueue(Generic[T]):
    """A bounded FIFO whose producer either waits for room or, with ``drop_stale``, drops the oldest item."""

    def __init__(self, maxsize: int, *, drop_stale: bool = False) -> None:
        if maxsize < 1:
            raise ValueError("a read queue holds at least one item")
        self.maxsize, self.drop_stale = maxsize, drop_stale
        self.dropped = 0
        self._items: deque[T] = deque()
        self._cond = threading.Condition()

    def put(self, item: T, stop: threading.Event | None = None) -> bool:
        """Queue ``item``; False (not queued) when ``stop`` is set while waiting for room."""
        with self._cond:
            while len(self._items) >= self.maxsize:
                if self.drop_stale:
                    self._items.popleft()
                    self.dropped += 1
                    break
                if stop is not None and stop.is_set():
                    return False
                self._cond.wait(0.05 if stop is not None else None)
            self._items.append(item)
            self._cond.notify_all()
            return True

    def put_last(self, item: T) -> None:
        """Queue the end marker: it never waits and is never dropped (nothing follows it)."""
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def get(self, timeout: float = 0.0) -> T:
        """The oldest item, waiting up to ``timeout`` seconds; raises ``queue.Empty`` like the standard queue."""
        with self._cond:
            if not self._items and timeout > 0:
                self._cond.wait_for(lambda: bool(self._items), timeout)
            if not self._items:
                raise queue.Empty
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def empty(self) -> bool:
        """Nothing is waiting."""
        with self._cond:
            return not self._items

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
