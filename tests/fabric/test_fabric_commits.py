"""ledger/fabric/commits.py: the commit stream answers only what it can vouch for, and resumes without gaps."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import events_pb2, transaction_pb2

from ledger.fabric.commits import CommitWatcher
from ledger.gateway import Status

VALID = transaction_pb2.VALID
MVCC = transaction_pb2.MVCC_READ_CONFLICT


class Broken(grpc.RpcError):
    """A stream that fails as gRPC reports it (code and details)."""

    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._code.name.lower()


def block(number: int, *txs: tuple[str, int]) -> events_pb2.DeliverResponse:
    filtered = [events_pb2.FilteredTransaction(txid=t, tx_validation_code=c) for t, c in txs]
    return events_pb2.DeliverResponse(
        filtered_block=events_pb2.FilteredBlock(number=number, filtered_transactions=filtered)
    )


class Peer:
    """Scripted streams: each opened stream plays the next queue of responses (an exception ends it)."""

    def __init__(self) -> None:
        self.opened: list[int | None] = []
        self.streams: queue.Queue[queue.Queue[object]] = queue.Queue()

    def stream(self) -> queue.Queue[object]:
        """The next stream's feed; put responses, an exception to break it, or None to end it."""
        feed: queue.Queue[object] = queue.Queue()
        self.streams.put(feed)
        return feed

    def open(self, start: int | None) -> Iterator[events_pb2.DeliverResponse]:
        self.opened.append(start)
        try:
            feed = self.streams.get(timeout=5)
        except queue.Empty:
            raise Broken(grpc.StatusCode.UNAVAILABLE) from None

        def play() -> Iterator[events_pb2.DeliverResponse]:
            while True:
                try:
                    item = feed.get(timeout=5)
                except queue.Empty:
                    raise Broken(grpc.StatusCode.CANCELLED) from None  # the test is over
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, events_pb2.DeliverResponse)
                yield item

        return play()


def answers_at_once(call: Callable[[], Status | None]) -> Status | None:
    """``call()``, which must return within a second."""
    t0 = time.monotonic()
    out = call()
    assert time.monotonic() - t0 < 1.0
    return out


def started(peer: Peer, w: CommitWatcher) -> tuple[queue.Queue[object], int | None]:
    """A stream whose newest block is 1, and the watcher's position once it has seen it."""
    feed = peer.stream()
    feed.put(block(1))
    return feed, w.position(wait=5)


@pytest.fixture
def peer() -> Peer:
    return Peer()


@contextmanager
def watching(peer: Peer, **kwargs: int) -> Iterator[CommitWatcher]:
    w = CommitWatcher(peer.open, backoff_first=0.01, backoff_max=0.02, **kwargs)
    try:
        yield w
    finally:
        w.close()


def test_statuses_of_blocks_after_the_position(peer: Peer) -> None:
    with watching(peer) as w:
        feed = peer.stream()
        feed.put(block(7))  # the newest block when the stream starts
        assert w.position(wait=5) == 8
        feed.put(block(8, ("a", VALID), ("b", MVCC)))
        assert w.wait("b", since=8, timeout=5) == Status("b", "MVCC_READ_CONFLICT", 8)
        assert w.wait("a", since=8, timeout=5) == Status("a", "VALID", 8)
        assert w.position(wait=0) == 9
        assert peer.opened == [None]


def test_a_waiter_waits_for_the_block_and_times_out_with_none(peer: Peer) -> None:
    with watching(peer) as w:
        feed = peer.stream()
        feed.put(block(3))
        since = w.position(wait=5)
        assert since == 4
        assert w.wait("late", since, timeout=0.2) is None
        got: list[Status | None] = []
        t = threading.Thread(target=lambda: got.append(w.wait("late", since, timeout=5)))
        t.start()
        feed.put(block(4, ("x", VALID)))
        feed.put(block(5, ("late", VALID)))
        t.join(5)
        assert got == [Status("late", "VALID", 5)]


def test_a_broken_stream_resumes_after_the_last_block_seen(peer: Peer) -> None:
    with watching(peer) as w:
        first, second = peer.stream(), peer.stream()
        first.put(block(10))
        since = w.position(wait=5)
        first.put(block(11, ("a", VALID)))
        first.put(Broken(grpc.StatusCode.UNAVAILABLE))
        second.put(block(12, ("b", VALID)))
        assert w.wait("b", since, timeout=5) == Status("b", "VALID", 12)
        assert w.wait("a", since, timeout=5) == Status("a", "VALID", 11)
        assert peer.opened == [None, 12]
        assert w.stopped == ""


def test_a_refused_stream_stops_and_waiters_are_told_none(peer: Peer) -> None:
    with watching(peer) as w:
        peer.stream().put(events_pb2.DeliverResponse(status=common_pb2.FORBIDDEN))
        assert w.position(wait=5) is None
        assert w.stopped == "the peer ended the filtered block stream: FORBIDDEN"
        assert w.wait("a", since=0, timeout=5) is None


def test_an_unimplemented_deliver_service_stops_the_watcher(peer: Peer) -> None:
    with watching(peer) as w:
        peer.stream().put(Broken(grpc.StatusCode.UNIMPLEMENTED))
        assert w.position(wait=5) is None
        assert w.stopped.startswith("filtered block stream refused: UNIMPLEMENTED")


def test_dropped_blocks_are_not_vouched_for(peer: Peer) -> None:
    with watching(peer, retain=2) as w:
        feed, since = started(peer, w)
        for n in range(2, 6):
            feed.put(block(n, (f"t{n}", VALID)))
        assert w.wait("t5", since, timeout=5) is not None
        # Blocks 1-3 were dropped: for a transaction submitted at position 2, "not seen" proves nothing, and
        # the waiter is told so at once rather than after its timeout.
        assert answers_at_once(lambda: w.wait("t2", since, timeout=30)) is None
        assert w.wait("never", since=5, timeout=0.1) is None  # still covered: a plain timeout
        assert w.wait("t4", since=4, timeout=5) == Status("t4", "VALID", 4)


def test_a_gap_in_block_numbers_voids_what_was_seen_before(peer: Peer) -> None:
    with watching(peer) as w:
        feed, since = started(peer, w)
        feed.put(block(2, ("a", VALID)))
        feed.put(block(5, ("b", VALID)))
        assert w.wait("b", since=5, timeout=5) == Status("b", "VALID", 5)
        assert answers_at_once(lambda: w.wait("a", since, timeout=30)) is None


def test_the_first_outcome_of_a_transaction_id_counts(peer: Peer) -> None:
    with watching(peer) as w:
        feed, since = started(peer, w)
        feed.put(block(2, ("a", VALID)))
        feed.put(block(3, ("a", transaction_pb2.DUPLICATE_TXID), ("z", VALID)))
        assert w.wait("z", since, timeout=5) is not None
        assert w.wait("a", since, timeout=5) == Status("a", "VALID", 2)


def test_a_bug_in_the_stream_stops_the_watcher_instead_of_hanging_waiters(peer: Peer) -> None:
    with watching(peer) as w:
        feed, since = started(peer, w)
        feed.put(ValueError("not a gRPC error"))
        assert w.wait("a", since, timeout=5) is None
        assert w.stopped == "the commit watcher failed: ValueError('not a gRPC error')"


def test_close_wakes_waiters(peer: Peer) -> None:
    released = threading.Event()
    w = CommitWatcher(peer.open, on_close=released.set)
    feed, since = started(peer, w)
    got: list[Status | None] = [Status("-", "-", 0)]
    t = threading.Thread(target=lambda: got.__setitem__(0, w.wait("a", since, timeout=30)))
    t.start()
    w.close()
    feed.put(None)
    t.join(5)
    assert not t.is_alive() and got == [None]
    assert released.is_set()
    assert w.position(wait=0) is None
