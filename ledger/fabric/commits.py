"""Commit statuses from one filtered-block stream per gateway, instead of one CommitStatus call per transaction.

The Gateway protocol's ``CommitStatus`` costs, for every transaction, a client signature and a unary call, and
the gateway peer a signature check against the channel's Readers policy (an ImplicitMeta policy: one check per
org it tries). A filtered block (the peer's ``DeliverFiltered`` service) carries the id and validation code of
every transaction in it, so one stream answers all the threads waiting on a gateway for the price of one signed
request per connection. With 32 clients this was a tenth of the gateway peer's CPU (see benchmarks/fabric.py).

The watcher only answers for a transaction when it can vouch for the answer: it records its ``position`` (the
next block it will see) before the transaction is handed to the orderer, blocks arrive in order and a broken
stream resumes after the last block seen, so "not among the statuses seen since that position" means "not
committed yet", never "missed". Whenever it cannot vouch (it never got ready, stopped for good, or dropped that
block from its bounded memory) it answers None and the caller asks ``CommitStatus``, which stays the authority.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.peer import events_pb2

from ledger.fabric.blocks import code_name
from ledger.fabric.errors import RpcFailure
from ledger.gateway import Status

#: gRPC codes of a stream broken by a peer restart or a network blip: reconnect after the last block seen.
RECONNECT_CODES = ("UNAVAILABLE", "CANCELLED", "UNKNOWN", "INTERNAL", "DEADLINE_EXCEEDED")

#: Opens a follow-mode DeliverFiltered stream from a block number (None: from the newest block).
OpenStream = Callable[[int | None], Iterable[events_pb2.DeliverResponse]]


class CommitWatcher:
    """Validation codes of the channel's transactions as the gateway peer commits them, for waiting threads.

    ``retain`` bounds memory: statuses of the oldest blocks are dropped once more transactions than that are
    kept (a waiter whose position falls before the oldest kept block is told None, not a wrong answer).
    ``on_close`` releases what the stream runs on (its gRPC channel).
    """

    def __init__(
        self,
        open_stream: OpenStream,
        *,
        retain: int = 50_000,
        backoff_first: float = 0.2,
        backoff_max: float = 2.0,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._open = open_stream
        self._on_close = on_close
        self._retain = retain
        self._backoff = (backoff_first, backoff_max)
        self._cond = threading.Condition()
        self._statuses: dict[str, Status] = {}
        self._blocks: deque[tuple[int, list[str]]] = deque()
        self._kept = 0
        self._oldest: int | None = None  # oldest block whose statuses are kept
        self._next: int | None = None  # the next block the stream will deliver; None until the first block
        self._stopped = ""  # why the watcher gave up for good ("" while it runs or may still start)
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._stream: Any = None

    @property
    def stopped(self) -> str:
        """Why the watcher gave up ('' while it runs)."""
        return self._stopped

    def position(self, wait: float) -> int | None:
        """The next block number the watcher will see; None when it is not ready in time or has stopped.

        The first call starts the stream and waits up to ``wait`` seconds for its first block.
        """
        with self._cond:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._run, name="fabric-commit-watcher", daemon=True)
                self._thread.start()
            self._cond.wait_for(lambda: self._next is not None or self._stopped or self._closed.is_set(), wait)
            if self._stopped or self._closed.is_set():
                return None
            return self._next

    def wait(self, tx_id: str, since: int, timeout: float) -> Status | None:
        """The status of ``tx_id``, submitted when the watcher's position was ``since``, once it commits.

        None when the watcher cannot vouch for the answer or ``timeout`` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                status = self._statuses.get(tx_id)
                if status is not None:
                    return status
                if self._stopped or self._closed.is_set() or self._oldest is None or since < self._oldest:
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def close(self) -> None:
        """Stop following the stream and wake every waiter (they fall back to CommitStatus)."""
        self._closed.set()
        stream = self._stream
        if stream is not None and callable(getattr(stream, "cancel", None)):
            stream.cancel()
        with self._cond:
            self._cond.notify_all()
        if self._on_close is not None:
            self._on_close()

    # -- the stream ------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._follow()
        except Exception as exc:  # a bug, not the network: waiters fall back to CommitStatus, which still works
            self._stop(f"the commit watcher failed: {exc!r}")
        finally:
            # Whatever ended the thread, waiters must not wait for blocks that will never come.
            if not self._stopped:
                self._stop("the commit watcher ended")

    def _follow(self) -> None:
        first, most = self._backoff
        delay = first
        while not self._closed.is_set():
            try:
                self._stream = self._open(self._next)
                for response in self._stream:
                    kind = response.WhichOneof("Type")
                    if kind == "filtered_block":
                        self._record(response.filtered_block)
                        delay = first
                    elif kind == "status":
                        # A follow-mode stream only ends when the peer refuses it (FORBIDDEN, NOT_FOUND, ...).
                        status = common_pb2.Status.Name(response.status)
                        self._stop(f"the peer ended the filtered block stream: {status}")
                        return
            except grpc.RpcError as err:
                if self._closed.is_set():
                    return
                failure = RpcFailure.of(err)
                if failure.code not in RECONNECT_CODES:
                    self._stop(f"filtered block stream refused: {failure.code} {failure.message}")
                    return
            if self._closed.wait(delay):
                return
            delay = min(delay * 2, most)

    def _record(self, block: events_pb2.FilteredBlock) -> None:
        number = block.number
        with self._cond:
            if self._next is not None and number < self._next:
                return  # already seen (a resumed stream never repeats one, but be safe)
            if self._next is not None and number > self._next:
                # Blocks were skipped: nothing seen before can vouch for "not committed" any more.
                self._statuses.clear()
                self._blocks.clear()
                self._kept = 0
                self._oldest = None
            ids: list[str] = []
            for tx in block.filtered_transactions:
                # A re-submitted envelope commits again as DUPLICATE_TXID; the first outcome is the one that
                # counts, as CommitStatus (the peer's transaction index) answers.
                if tx.txid and tx.txid not in self._statuses:
                    self._statuses[tx.txid] = Status(tx.txid, code_name(tx.tx_validation_code), number)
                    ids.append(tx.txid)
            self._blocks.append((number, ids))
            self._kept += len(ids)
            if self._oldest is None:
                self._oldest = number
            while self._kept > self._retain and len(self._blocks) > 1:
                _, dropped = self._blocks.popleft()
                for tx_id in dropped:
                    del self._statuses[tx_id]
                self._kept -= len(dropped)
                self._oldest = self._blocks[0][0]
            self._next = number + 1
            self._cond.notify_all()

    def _stop(self, why: str) -> None:
        with self._cond:
            self._stopped = why
            self._cond.notify_all()
