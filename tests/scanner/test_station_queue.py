"""The reader-to-agent queue: lossless waiting for scanners, waiting for room for files, newest-only for cameras."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from scanner.station.readqueue import ReadQueue


def test_waiting_queue_blocks_the_producer_and_loses_nothing() -> None:
    q: ReadQueue[int] = ReadQueue(3)
    done = threading.Event()

    def produce() -> None:
        for i in range(10):
            q.put(i)
        done.set()

    t = threading.Thread(target=produce)
    t.start()
    time.sleep(0.2)
    assert (len(q), done.is_set()) == (3, False)  # the producer waits for room instead of growing the queue
    got = [q.get(1.0) for _ in range(10)]
    t.join(2)
    assert (got, q.dropped, done.is_set()) == (list(range(10)), 0, True)


def test_waiting_put_gives_up_when_stopped() -> None:
    q: ReadQueue[str] = ReadQueue(1)
    stop = threading.Event()
    assert q.put("a", stop)
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(q.put("b", stop)))
    t.start()
    time.sleep(0.1)
    assert result == []
    started = time.monotonic()
    stop.set()
    t.join(1)
    assert result == [False] and time.monotonic() - started < 0.5
    assert (q.get(), q.empty()) == ("a", True)


def test_drop_stale_keeps_the_newest_and_counts_the_rest() -> None:
    q: ReadQueue[int] = ReadQueue(2, drop_stale=True)
    assert all(q.put(i) for i in range(7))  # never waits
    q.put_last(-1)  # the end marker is never dropped, even when the queue is full
    assert [q.get() for _ in range(len(q))] == [5, 6, -1]
    assert q.dropped == 5


def test_get_waits_then_raises_empty() -> None:
    q: ReadQueue[int] = ReadQueue(2)
    started = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(0.2)
    assert 0.15 < time.monotonic() - started < 1.0
    with pytest.raises(queue.Empty):
        q.get()
    threading.Timer(0.1, q.put, (7,)).start()
    assert q.get(2.0) == 7
