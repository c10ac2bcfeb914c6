"""Fixes for the defects of fabric-chaincode-python 2.5.4 that matter on a real peer, pinned to that version.

Found against live Fabric 3 peers (../shared/docs/fabric-native.md §4); each fix is the smallest change to
the shim's own classes, so the rest of the library (contract dispatch, state iterators, history) runs as
shipped:

1. **Concurrent stream writes.** The shim handles every peer message in its own task; two tasks writing to the
   same grpc.aio stream fail with ``GRPC_CALL_ERROR_TOO_MANY_OPERATIONS``, the message is lost and the peer
   waits 30 s (``chaincode.executetimeout``) before answering ``ABORTED``. :class:`SerializedStream` puts
   every write behind one ``asyncio.Lock`` per stream.
2. **Events never emitted.** ``stub.set_event()`` is stored but ``COMPLETED`` is sent without it, so no
   endorsement carries an event. :class:`PeerHandler` attaches the transaction's last event (Fabric keeps one).
3. **``get_transient()`` returns None.** :class:`CompatStub` returns the proposal's transient map.
4. **TLS settings from the environment are ignored** by ``start()``; we never call it: ``chaincode.server``
   builds the gRPC server with explicit key, certificate and client CA paths.
5. **``invoke_chaincode`` crashes the peer's handler** (it sends a ChaincodeInput where a ChaincodeSpec is
   expected). :class:`CompatStub` refuses it with a Forbidden error naming the target chaincode.
6. **Peer ERROR replies are taken as success** (a refused state request then fails later as an unreadable
   protobuf). :class:`CheckedQueue` fails the waiting request with the peer's own message (``PeerRefused``).
7. **A WARNING line and four eagerly formatted INFO lines per peer message, and a task for each.**
   :class:`PeerHandler` reads the stream and dispatches without them, and answers a RESPONSE or ERROR where it
   reads it (resolving the waiting request is not worth a task of its own: half of all messages are answers).
8. **No batch reads.** Fabric 2.5+ peers announce ``use_get_multiple_keys`` in READY and answer
   ``GET_STATE_MULTIPLE`` (one message for up to ``max_size_get_multiple_keys`` keys, each read recorded in the
   read set as by ``GET_STATE``); 2.5.4 ignores READY's payload. :class:`PeerHandler` keeps what the peer
   announced (:class:`PeerFeatures`) and :class:`CompatStub` then has ``get_multiple_states``; without the
   announcement the method does not exist and ``chaincode.state.Tx.get_many`` reads key by key.
9. **No batch writes.** Likewise for ``use_write_batch``: :class:`CompatStub` buffers ``put_state`` and
   ``delete_state`` (the last write of a key wins, as the peer's write set keeps) and :class:`PeerHandler` sends
   them as ``WRITE_BATCH_STATE`` messages of at most ``max_size_write_batch`` records before ``COMPLETED``, as
   the Go shim does. Reads never see the transaction's own writes either way: the peer answers from committed
   state only.

The fixes reach into the shim's internals, so this module refuses to load against any other version of the
library: an upgrade must re-check each defect rather than silently run half-patched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from fabric_protos.peer import chaincode_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb
from fabric_protos.peer import proposal_response_pb2 as response_pb
from google.protobuf.message import DecodeError

from chaincode.fabric import ResponseCode, ShimHandler, ShimStates, ShimStub, new_error_msg
from ledger.errors import Forbidden, LedgerError, ValidationError

#: The only library version these fixes were written and verified for.
PINNED_VERSION = "2.5.4"
DISTRIBUTION = "fabric-chaincode-python"


class ShimVersionError(ValidationError):
    """The installed fabric-chaincode-python is not the version the compatibility layer was verified on."""

    kind = "shim_version_error"


def check_version(installed: str | None = None) -> str:
    """The installed library version; raises ShimVersionError unless it is exactly :data:`PINNED_VERSION`."""
    version = installed if installed is not None else metadata.version(DISTRIBUTION)
    if version != PINNED_VERSION:
        raise ShimVersionError(
            f"{DISTRIBUTION} {version} is installed but chaincode/compat.py fixes {PINNED_VERSION} only; "
            f"install {DISTRIBUTION}=={PINNED_VERSION} or re-verify the fixes against {version}",
            value=version,
            field=DISTRIBUTION,
        )
    return version


check_version()


_MsgQueueHandler = sys.modules["fabric_chaincode_python.fabric_shim.msg_queue_handler"].MsgQueueHandler
_QueueMessage = sys.modules["fabric_chaincode_python.fabric_shim.msg_queue_handler"].QueueMessage

#: Batch size the Go shim uses when a peer announces a batch feature with a zero limit.
DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True)
class PeerFeatures:
    """The batch messages the peer announced in READY (``ChaincodeAdditionalParams``); none before Fabric 2.5."""

    get_multiple: bool = False
    max_get_multiple: int = DEFAULT_BATCH_SIZE
    write_batch: bool = False
    max_write_batch: int = DEFAULT_BATCH_SIZE

    @classmethod
    def from_ready(cls, payload: bytes) -> PeerFeatures:
        """What a READY payload announces; an empty or unreadable payload (an older peer) announces nothing."""
        if not payload:
            return cls()
        try:
            params = chaincode_pb2.ChaincodeAdditionalParams.FromString(payload)
        except DecodeError:
            return cls()
        return cls(
            params.use_get_multiple_keys,
            params.max_size_get_multiple_keys or DEFAULT_BATCH_SIZE,
            params.use_write_batch,
            params.max_size_write_batch or DEFAULT_BATCH_SIZE,
        )


class PeerRefused(LedgerError):
    """The peer answered a chaincode's state request with ERROR (e.g. a rich query on LevelDB)."""

    kind = "peer_refused"


class CheckedQueue(_MsgQueueHandler):
    """The shim's per-transaction request queue, failing a request the peer answered with ERROR."""

    async def handle_msg_response(self, response: shim_pb.ChaincodeMessage) -> None:
        """Resolve (RESPONSE) or fail (ERROR) the transaction's oldest outstanding request, then send the next."""
        following = self.answer(response)
        if following is not None:
            await self.send(following)

    def answer(self, response: shim_pb.ChaincodeMessage) -> Any:
        """Resolve or fail the transaction's oldest request; its next queued request (to send), if any."""
        key = response.channel_id + response.txid
        queue = self.tx_queues.get(key)
        if not queue:
            return None
        current = queue.pop(0)
        if not current.future.done():  # a cancelled transaction no longer waits
            if response.type == shim_pb.ChaincodeMessage.ERROR:
                text = response.payload.decode("utf-8", "replace")
                current.future.set_exception(
                    PeerRefused(
                        f"peer refused {current.get_method()} in transaction {response.txid}: {text}", value=text
                    )
                )
            else:
                current.future.set_result(response)
        if queue:
            return queue[0]
        del self.tx_queues[key]
        return None

    async def send(self, message: Any) -> None:
        """Write a queued request; a failed write fails the request instead of losing it."""
        try:
            await self.context.write(message.get_msg())
        except Exception as exc:  # whatever the stream raised is the request's failure
            if not message.future.done():
                message.future.set_exception(exc)


class CompatStub(ShimStub):
    """The shim's stub with ``get_transient``, ``invoke_chaincode`` refused, and the peer's batch messages.

    ``get_multiple_states`` exists only when the peer announced ``GET_STATE_MULTIPLE`` (callers test for it);
    with ``WRITE_BATCH_STATE`` announced, writes are buffered until :meth:`flush_writes`.
    """

    def __init__(
        self,
        client: Any,
        channel_id: str,
        tx_id: str,
        cc_input: chaincode_pb2.ChaincodeInput,
        signed_proposal: Any,
        features: PeerFeatures | None = None,
    ) -> None:
        super().__init__(client, channel_id, tx_id, cc_input, signed_proposal)
        self.features = features or PeerFeatures()
        self._writes: dict[str, shim_pb.WriteRecord] | None = {} if self.features.write_batch else None
        if self.features.get_multiple:
            self.get_multiple_states = self._get_multiple_states

    def get_transient(self) -> dict[str, bytes]:
        """The proposal's transient map (private inputs that endorsers see but the block never records)."""
        decoded = self.signed_proposal_pb
        if not isinstance(decoded, dict):
            return {}
        payload = decoded.get("proposal", {}).get("payload")
        return dict(payload.TransientMap) if payload is not None else {}

    async def invoke_chaincode(self, chaincode_name: str, args: Any, channel: str = "") -> Any:
        """Refused: 2.5.4 sends a malformed request that makes the peer's handler panic."""
        raise Forbidden(
            f"invoking chaincode {chaincode_name!r} from chaincode is not supported: fabric-chaincode-python "
            f"{PINNED_VERSION} sends a ChaincodeInput where the peer expects a ChaincodeSpec",
            value=chaincode_name,
        )

    async def _get_multiple_states(self, keys: list[str]) -> list[bytes]:
        """Committed values of many keys (b'' when absent), in order, in as few peer messages as allowed.

        The peer records every key in the read set with its committed version, exactly as ``get_state``.
        """
        size = self.features.max_get_multiple
        out: list[bytes] = []
        for start in range(0, len(keys), size):
            chunk = keys[start : start + size]
            request = shim_pb.GetStateMultiple(keys=chunk)
            reply = await self.client.ask_peer(
                shim_pb.ChaincodeMessage.GET_STATE_MULTIPLE, request, self.channel_id, self.tx_id, "GetStateMultiple"
            )
            values = shim_pb.GetStateMultipleResult.FromString(reply.payload).values
            if len(values) != len(chunk):
                # Fabric's query executor answers an empty result when the state database fails.
                raise PeerRefused(
                    f"peer answered {len(values)} values for {len(chunk)} keys in transaction {self.tx_id}",
                    value=len(values),
                )
            out.extend(bytes(v) for v in values)
        return out

    async def put_state(self, key: str, value: bytes | str) -> Any:
        """Write a key (buffered until the transaction completes when the peer takes batches)."""
        if self._writes is None:
            return await super().put_state(key, value)
        data = value.encode() if isinstance(value, str) else bytes(value)
        self._writes[key] = shim_pb.WriteRecord(key=key, value=data, type=shim_pb.WriteRecord.PUT_STATE)
        return None

    async def delete_state(self, key: str) -> Any:
        """Delete a key (buffered until the transaction completes when the peer takes batches)."""
        if self._writes is None:
            return await super().delete_state(key)
        self._writes[key] = shim_pb.WriteRecord(key=key, type=shim_pb.WriteRecord.DEL_STATE)
        return None

    async def flush_writes(self) -> int:
        """Send the buffered writes as WRITE_BATCH_STATE messages of at most the announced size; how many sent."""
        if not self._writes:
            return 0
        records = list(self._writes.values())
        self._writes = {}
        size = self.features.max_write_batch
        for start in range(0, len(records), size):
            batch = shim_pb.WriteBatchState(rec=records[start : start + size])
            await self.client.ask_peer(
                shim_pb.ChaincodeMessage.WRITE_BATCH_STATE, batch, self.channel_id, self.tx_id, "WriteBatchState"
            )
        return len(records)


class SerializedStream:
    """A servicer context whose writes go through one lock: one write in flight per stream.

    grpc.aio refuses a second write (defect 1); grpclib, which :mod:`chaincode.server` uses, would interleave
    the frames of two messages while a large one waits for the peer's flow-control window.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._lock = asyncio.Lock()

    async def write(self, message: shim_pb.ChaincodeMessage) -> None:
        """Write one message once no other write is in flight."""
        async with self._lock:
            await self._context.write(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class PeerHandler(ShimHandler):
    """The shim's stream handler with serialized writes, chaincode events, the fixed stub, and no warnings."""

    features = PeerFeatures()

    async def ask_peer(self, kind: int, request: Any, channel_id: str, tx_id: str, method: str) -> Any:
        """Send one request of a transaction (after its earlier ones) and wait for the peer's RESPONSE."""
        msg = shim_pb.ChaincodeMessage(
            type=kind, payload=request.SerializeToString(), txid=tx_id, channel_id=channel_id
        )
        future = asyncio.get_running_loop().create_future()
        await self.msg_queue_handler.queue_msg(_QueueMessage(msg, method, future))
        return await future

    async def handle_message_established(self, msg: shim_pb.ChaincodeMessage) -> None:
        """Take READY, keeping the batch messages the peer announced in its payload (2.5.4 ignores them)."""
        if msg.type == shim_pb.ChaincodeMessage.READY:
            self.features = PeerFeatures.from_ready(msg.payload)
        await super().handle_message_established(msg)

    async def chat_with_peer(self, stream: AsyncIterable[shim_pb.ChaincodeMessage], context: Any) -> None:
        """Register, then answer each RESPONSE or ERROR at once and handle other messages in their own task.

        This is the library's loop without its per-message logging and tasks, with :class:`CheckedQueue`;
        every write is serialized.
        """
        self.state = ShimStates.CREATED
        self.context = SerializedStream(context)
        self.msg_queue_handler = CheckedQueue(self)
        register = shim_pb.ChaincodeMessage(
            type=shim_pb.ChaincodeMessage.REGISTER, payload=self.chaincode_id.SerializeToString()
        )
        register.timestamp.FromDatetime(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        await self.context.write(register)
        answers = (shim_pb.ChaincodeMessage.RESPONSE, shim_pb.ChaincodeMessage.ERROR)
        queue = self.msg_queue_handler
        async for message in stream:
            if message is None:
                return
            if message.type in answers and self.state == ShimStates.READY:
                following = queue.answer(message)
                if following is not None:
                    self._track_task(queue.send(following))
            else:
                self._track_task(self.handle_message(message))
        if self._pending_tasks:
            await asyncio.gather(*self._pending_tasks, return_exceptions=True)

    async def handle_message(self, msg: shim_pb.ChaincodeMessage) -> None:
        """Dispatch one peer message by handler state (the base class logs a WARNING for each)."""
        if msg.type == shim_pb.ChaincodeMessage.KEEPALIVE:
            return
        if self.state == ShimStates.READY:
            await self.handle_message_ready(msg)
        elif self.state == ShimStates.ESTABLISHED:
            await self.handle_message_established(msg)
        elif self.state == ShimStates.CREATED:
            await self.handle_message_created(msg)
        else:
            await self.context.write(new_error_msg(msg, self.state))

    async def handle_stub_interaction(self, msg: shim_pb.ChaincodeMessage, action: str = "Invoke") -> None:
        """Run Init or Invoke, send its buffered writes, and answer COMPLETED with the response and event.

        A failed transaction's writes are not sent: the peer discards its simulation anyway.
        """
        cc_input = chaincode_pb2.ChaincodeInput.FromString(msg.payload)
        stub = CompatStub(self, msg.channel_id, msg.txid, cc_input, msg.proposal, self.features)
        if action.lower() == "init":
            resp = await self.chaincode.init(stub)
        else:
            resp = await self.chaincode.invoke(stub)
        if not resp or not resp.status:
            resp = response_pb.Response(status=ResponseCode.ERROR, message=f"{action} returned no response")
        if resp.status < ResponseCode.ERROR:
            try:
                await stub.flush_writes()
            except LedgerError as err:
                resp = response_pb.Response(status=ResponseCode.ERROR, message=f"writing the state failed: {err}")
        completed = shim_pb.ChaincodeMessage(
            type=shim_pb.ChaincodeMessage.COMPLETED,
            payload=resp.SerializeToString(),
            txid=msg.txid,
            channel_id=msg.channel_id,
        )
        events = stub.get_events()
        if events and resp.status < ResponseCode.ERROR:
            completed.chaincode_event.CopyFrom(events[-1])
        await self.context.write(completed)
