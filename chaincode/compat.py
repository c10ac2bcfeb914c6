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
7. **A WARNING line and four eagerly formatted INFO lines per peer message.** :class:`PeerHandler` reads the
   stream and dispatches without them.

The fixes reach into the shim's internals, so this module refuses to load against any other version of the
library: an upgrade must re-check each defect rather than silently run half-patched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterable
from importlib import metadata
from typing import Any

from fabric_protos.peer import chaincode_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb
from fabric_protos.peer import proposal_response_pb2 as response_pb

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


class PeerRefused(LedgerError):
    """The peer answered a chaincode's state request with ERROR (e.g. a rich query on LevelDB)."""

    kind = "peer_refused"


class CheckedQueue(_MsgQueueHandler):
    """The shim's per-transaction request queue, failing a request the peer answered with ERROR."""

    async def handle_msg_response(self, response: shim_pb.ChaincodeMessage) -> None:
        """Resolve (RESPONSE) or fail (ERROR) the transaction's oldest outstanding request, then send the next."""
        if response.type != shim_pb.ChaincodeMessage.ERROR:
            await super().handle_msg_response(response)
            return
        tx_context = response.channel_id + response.txid
        queue = self.tx_queues.get(tx_context)
        if not queue:
            return
        text = response.payload.decode("utf-8", "replace")
        queue[0].future.set_exception(
            PeerRefused(f"peer refused {queue[0].get_method()} in transaction {response.txid}: {text}", value=text)
        )
        await self._MsgQueueHandler__remove_current_and_send_next(tx_context)


class CompatStub(ShimStub):
    """The shim's stub with ``get_transient`` implemented and ``invoke_chaincode`` refused."""

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


class SerializedStream:
    """A servicer context whose writes go through one lock: grpc.aio allows one write in flight per call."""

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

    async def chat_with_peer(self, stream: AsyncIterable[shim_pb.ChaincodeMessage], context: Any) -> None:
        """Register, then handle each peer message in its own task, every write serialized.

        This is the library's loop without its per-message logging, and with :class:`CheckedQueue`.
        """
        self.state = ShimStates.CREATED
        self.context = SerializedStream(context)
        self.msg_queue_handler = CheckedQueue(self)
        register = shim_pb.ChaincodeMessage(
            type=shim_pb.ChaincodeMessage.REGISTER, payload=self.chaincode_id.SerializeToString()
        )
        register.timestamp.FromDatetime(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        await self.context.write(register)
        async for message in stream:
            if message is None:
                return
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
        """Run Init or Invoke and answer COMPLETED with the response and the transaction's chaincode event."""
        cc_input = chaincode_pb2.ChaincodeInput.FromString(msg.payload)
        stub = CompatStub(self, msg.channel_id, msg.txid, cc_input, msg.proposal)
        if action.lower() == "init":
            resp = await self.chaincode.init(stub)
        else:
            resp = await self.chaincode.invoke(stub)
        if not resp or not resp.status:
            resp = response_pb.Response(status=ResponseCode.ERROR, message=f"{action} returned no response")
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
