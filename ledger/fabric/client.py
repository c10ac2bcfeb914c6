"""The Fabric Gateway backend: :class:`ledger.gateway.Gateway` over gRPC to the member's own org's peer.

One TLS channel to the org's gateway peer carries Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents and
the peer's Deliver service (full blocks for the read model). Endorsers are found by the peer's discovery, so
the endorsement policy in the chaincode definition is what decides who signs, as on any Fabric network.

Failures that a restarting or still-converging network produces (a peer or the orderer briefly unavailable,
"no combination of peers can be derived" while gossip reconnects) are retried with exponential backoff within
a time budget; a transaction whose signed proposal or envelope is re-sent keeps its transaction id, so a retry
can never commit twice. Everything else surfaces at once as the typed GatewayError of the failed stage.

Commits are learnt from one filtered-block stream per member and peer, shared by the member's gateways in the
process (:mod:`ledger.fabric.commits`), rather than one CommitStatus call per transaction; CommitStatus answers
whenever that stream cannot vouch for a transaction.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2_grpc
from fabric_protos.peer import events_pb2, events_pb2_grpc

from ledger.errors import CommitStatusError, GatewayError
from ledger.fabric import proposal as wire
from ledger.fabric.blocks import code_name, decode_block
from ledger.fabric.commits import CommitWatcher
from ledger.fabric.errors import RpcFailure, to_gateway_error
from ledger.gateway import Block, ChaincodeEvent, Status, check_committed

T = TypeVar("T")

#: A watcher fallback to CommitStatus gets at least this long, so a stalled stream cannot fail a commit.
COMMIT_STATUS_GRACE = 1.0


@dataclass(frozen=True)
class Timeouts:
    """Per-call deadlines (seconds) and the total time spent retrying a transient failure."""

    evaluate: float = 15.0
    endorse: float = 125.0  # the peer's chaincode execute timeout is 120 s (large batches)
    submit: float = 15.0
    commit_status: float = 60.0
    retry_budget: float = 30.0
    backoff_first: float = 0.2
    backoff_max: float = 2.0
    #: How long the first submit waits for the commit stream's first block before using CommitStatus instead.
    commit_stream_ready: float = 5.0


@dataclass(frozen=True)
class PeerEndpoint:
    """Where the gateway peer listens and the TLS CA its server certificate chains to."""

    address: str
    tls_ca_pem: bytes
    server_name: str = ""

    def channel(self) -> grpc.Channel:
        """A TLS gRPC channel (``server_name`` overrides the name checked against the certificate)."""
        options: list[tuple[str, Any]] = [
            ("grpc.keepalive_time_ms", 60_000),
            # Reconnect to a restarted peer within 2 s rather than gRPC's default backoff of up to 120 s.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2_000),
            ("grpc.max_receive_message_length", 100 * 1024 * 1024),
            ("grpc.max_send_message_length", 100 * 1024 * 1024),
        ]
        if self.server_name:
            options.append(("grpc.ssl_target_name_override", self.server_name))
        return grpc.secure_channel(self.address, grpc.ssl_channel_credentials(self.tls_ca_pem), options)


class _Submitted:
    """A transaction handed to the orderer; ``get_status`` waits for the gateway peer to commit it.

    ``since`` is the commit stream's position before the hand-over (None: the stream was not ready).
    """

    def __init__(self, gateway: FabricGateway, tx_id: str, result: bytes, since: int | None) -> None:
        self._gateway = gateway
        self._tx_id = tx_id
        self._result = result
        self._since = since
        self._status: Status | None = None

    @property
    def tx_id(self) -> str:
        """The transaction id."""
        return self._tx_id

    @property
    def result(self) -> bytes:
        """The endorsed chaincode response payload."""
        return self._result

    def get_status(self, timeout: float | None = None) -> Status:
        """Wait for the commit and return its status (CommitStatusError on timeout)."""
        if self._status is None:
            self._status = self._gateway.await_commit(self._tx_id, self._since, timeout=timeout)
        return self._status


class _CommitStreams:
    """One commit stream (:class:`CommitWatcher`) per peer, channel and member in the process, shared.

    Every stream costs the peer a filtered copy of each block it commits; the gateways of one member (an API
    server's cached gateway, a benchmark's eight) need just one. The stream has its own gRPC channel and ends
    when the last gateway using it closes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[Hashable, tuple[CommitWatcher, int]] = {}

    def acquire(self, key: Hashable, make: Callable[[], CommitWatcher]) -> CommitWatcher:
        """The stream for ``key``, made on first use."""
        with self._lock:
            watcher, users = self._streams.get(key) or (make(), 0)
            self._streams[key] = (watcher, users + 1)
            return watcher

    def release(self, key: Hashable) -> None:
        """One user fewer; the last one closes the stream."""
        with self._lock:
            watcher, users = self._streams[key]
            if users > 1:
                self._streams[key] = (watcher, users - 1)
                return
            del self._streams[key]
        watcher.close()


_COMMIT_STREAMS = _CommitStreams()


def _commit_watcher(
    identity: wire.ClientIdentity, endpoint: PeerEndpoint, channel: str, timeouts: Timeouts
) -> CommitWatcher:
    """A commit stream from ``endpoint`` on its own gRPC channel, signed by ``identity``."""
    connection = endpoint.channel()
    deliver = events_pb2_grpc.DeliverStub(connection)

    def open_stream(start: int | None) -> Iterator[events_pb2.DeliverResponse]:
        envelope = wire.deliver_envelope(identity, channel, start, follow=True)
        return deliver.DeliverFiltered(iter([envelope]))

    return CommitWatcher(
        open_stream, backoff_first=timeouts.backoff_first, backoff_max=timeouts.backoff_max, on_close=connection.close
    )


class FabricGateway:
    """A member's connection to a Fabric network through its org's gateway peer."""

    def __init__(
        self,
        identity: wire.ClientIdentity,
        endpoint: PeerEndpoint,
        channel: str,
        chaincode: str,
        *,
        timeouts: Timeouts | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._identity = identity
        self._endpoint = endpoint
        self._channel_name = channel
        self._chaincode = chaincode
        self.timeouts = timeouts or Timeouts()
        self._sleep = sleep
        self._grpc = endpoint.channel()
        self._stub = gateway_pb2_grpc.GatewayStub(self._grpc)
        self._deliver = events_pb2_grpc.DeliverStub(self._grpc)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._commits: CommitWatcher | None = None
        self._commits_key = (endpoint, channel, identity.msp_id, identity.cert_pem)
        self._leave_commits: weakref.finalize | None = None

    @property
    def msp_id(self) -> str:
        """The MSP of the signing identity."""
        return self._identity.msp_id

    @property
    def channel(self) -> str:
        """The channel transactions go to."""
        return self._channel_name

    @property
    def chaincode(self) -> str:
        """The chaincode name transactions invoke."""
        return self._chaincode

    # -- retries ---------------------------------------------------------------------------------------------
    def _call(self, stage: str, tx_id: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        """Run one RPC, retrying transient failures with jittered exponential backoff within the budget."""
        deadline = time.monotonic() + (self.timeouts.retry_budget if retry else 0.0)
        delay = self.timeouts.backoff_first
        while True:
            try:
                return fn()
            except grpc.RpcError as err:
                failure = RpcFailure.of(err)
                if not failure.retryable or time.monotonic() + delay > deadline or self._closed.is_set():
                    raise to_gateway_error(stage, failure, tx_id) from None
            self._sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.timeouts.backoff_max)

    # -- transactions ----------------------------------------------------------------------------------------
    def _propose(self, function: str, args: tuple[str, ...], transient: dict[str, bytes] | None) -> wire.SignedProposal:
        return wire.build_proposal(
            self._identity, self._channel_name, self._chaincode, function, args, transient=transient
        )

    def evaluate(self, function: str, *args: str, transient: dict[str, bytes] | None = None) -> bytes:
        """Run a query on the gateway peer (or another of the org's peers) and return its payload."""
        signed = self._propose(function, args, transient)
        request = wire.evaluate_request(signed, self._channel_name)
        response = self._call(
            "evaluate", signed.tx_id, lambda: self._stub.Evaluate(request, timeout=self.timeouts.evaluate)
        )
        return bytes(response.result.payload)

    def endorse(self, function: str, *args: str, retry: bool = True) -> tuple[str, bytes]:
        """Collect endorsements without submitting (a dry run): the transaction id and the chaincode's answer."""
        signed = self._propose(function, args, None)
        request = wire.endorse_request(signed, self._channel_name)
        endorsed = self._call(
            "endorse", signed.tx_id, lambda: self._stub.Endorse(request, timeout=self.timeouts.endorse), retry=retry
        )
        return signed.tx_id, wire.envelope_result(endorsed.prepared_transaction)

    def submit_async(
        self,
        function: str,
        *args: str,
        transient: dict[str, bytes] | None = None,
        endorsing_orgs: tuple[str, ...] = (),
    ) -> _Submitted:
        """Endorse (peers chosen by discovery unless ``endorsing_orgs``), sign and hand to the orderer."""
        signed = self._propose(function, args, transient)
        request = wire.endorse_request(signed, self._channel_name, endorsing_orgs)
        endorsed = self._call(
            "endorse", signed.tx_id, lambda: self._stub.Endorse(request, timeout=self.timeouts.endorse)
        )
        envelope = wire.sign_envelope(self._identity, endorsed.prepared_transaction)
        result = wire.envelope_result(envelope)
        submit = wire.submit_request(signed.tx_id, self._channel_name, envelope)
        watcher = self._commit_stream()
        since = watcher.position(self.timeouts.commit_stream_ready) if watcher is not None else None
        self._call("submit", signed.tx_id, lambda: self._stub.Submit(submit, timeout=self.timeouts.submit))
        return _Submitted(self, signed.tx_id, result, since)

    def submit(self, function: str, *args: str, transient: dict[str, bytes] | None = None) -> bytes:
        """Endorse, order and wait for a valid commit; CommitError (with Fabric's code) when it is invalid."""
        sub = self.submit_async(function, *args, transient=transient)
        check_committed(sub.get_status())
        return sub.result

    def await_commit(self, tx_id: str, since: int | None, *, timeout: float | None = None) -> Status:
        """Wait for a transaction submitted at commit-stream position ``since`` to commit.

        The commit stream answers, or CommitStatus when the stream cannot vouch for this transaction (or was not
        ready: ``since`` None). CommitStatusError on timeout.
        """
        wait = self.timeouts.commit_status if timeout is None else timeout
        watcher = self._commits
        if since is None or watcher is None:
            return self.commit_status(tx_id, timeout=wait)
        start = time.monotonic()
        status = watcher.wait(tx_id, since, wait)
        if status is not None:
            return status
        left = wait - (time.monotonic() - start)
        return self.commit_status(tx_id, timeout=max(left, min(wait, COMMIT_STATUS_GRACE)))

    def commit_status(self, tx_id: str, *, timeout: float | None = None) -> Status:
        """Block until ``tx_id`` commits on the gateway peer and return its validation code and block."""
        wait = self.timeouts.commit_status if timeout is None else timeout
        request = wire.commit_status_request(self._identity, tx_id, self._channel_name)
        deadline = time.monotonic() + wait

        def once() -> Any:
            return self._stub.CommitStatus(request, timeout=max(deadline - time.monotonic(), 0.05))

        try:
            response = self._call("commit_status", tx_id, once)
        except CommitStatusError as err:
            if err.code != "DEADLINE_EXCEEDED":
                raise
            raise CommitStatusError(
                f"no commit status for {tx_id} after {wait} s", tx_id=tx_id, code=err.code, details=err.details
            ) from None
        return Status(tx_id, code_name(response.result), response.block_number)

    # -- events ----------------------------------------------------------------------------------------------
    def chaincode_events(
        self, start_block: int | None = None, *, after_tx_id: str = ""
    ) -> Iterator[tuple[int, str, ChaincodeEvent]]:
        """(block number, tx id, event) for every event of our chaincode from ``start_block`` (None: from now)."""
        request = wire.chaincode_events_request(
            self._identity, self._channel_name, self._chaincode, start_block, after_tx_id
        )
        try:
            for response in self._stub.ChaincodeEvents(request):
                for ev in response.events:
                    yield response.block_number, ev.tx_id, ChaincodeEvent(ev.event_name, bytes(ev.payload))
        except grpc.RpcError as err:
            if self._closed.is_set() and RpcFailure.of(err).code == "CANCELLED":
                return
            raise to_gateway_error("events", RpcFailure.of(err), "") from None

    def _commit_stream(self) -> CommitWatcher | None:
        """The member's shared commit stream (joined on first use); None once the gateway is closed.

        A gateway dropped without ``close()`` leaves the stream when it is garbage-collected, so the stream's
        thread does not outlive every gateway that used it.
        """
        with self._lock:
            if self._commits is None and not self._closed.is_set():
                self._commits = _COMMIT_STREAMS.acquire(
                    self._commits_key,
                    lambda: _commit_watcher(self._identity, self._endpoint, self._channel_name, self.timeouts),
                )
                self._leave_commits = weakref.finalize(self, _COMMIT_STREAMS.release, self._commits_key)
            return self._commits

    def _deliver_once(self, start: int, follow: bool) -> Iterator[common_pb2.Block]:
        envelope = wire.deliver_envelope(self._identity, self._channel_name, start, follow=follow)
        for response in self._deliver.Deliver(iter([envelope])):
            kind = response.WhichOneof("Type")
            if kind == "block":
                yield response.block
            elif kind == "status":
                status = common_pb2.Status.Name(response.status)
                if status == "SUCCESS" or (not follow and status in ("NOT_FOUND", "BAD_REQUEST")):
                    return
                raise GatewayError(
                    f"peer {self._endpoint.address} refused to deliver blocks from {start}: {status}",
                    code=status,
                )

    def blocks(self, start: int = 0, *, follow: bool = True) -> Iterator[Block]:
        """Committed blocks from ``start``; with ``follow``, reconnects after a peer restart and keeps going."""
        number = start
        delay = self.timeouts.backoff_first
        while True:
            try:
                for raw in self._deliver_once(number, follow):
                    block = decode_block(raw, self._chaincode)
                    number = block.number + 1
                    delay = self.timeouts.backoff_first
                    yield block
                return
            except grpc.RpcError as err:
                if self._closed.is_set():
                    return
                failure = RpcFailure.of(err)
                if not follow or failure.code not in ("UNAVAILABLE", "CANCELLED", "UNKNOWN"):
                    raise to_gateway_error("deliver", failure, "") from None
            self._sleep(delay)
            delay = min(delay * 2, self.timeouts.backoff_max)

    def close(self) -> None:
        """Close the gRPC channel (streams in progress end) and leave the shared commit stream."""
        with self._lock:
            self._closed.set()
            self._commits, leave = None, self._leave_commits
        if leave is not None:
            leave()  # runs once, whether now or when the gateway is garbage-collected
        self._grpc.close()
