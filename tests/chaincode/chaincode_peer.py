"""The peer's side of the chaincode stream, over real gRPC, for testing chaincode/server.py.

A Fabric peer connects to a chaincode service, answers its REGISTER, then sends TRANSACTION messages and
serves the chaincode's state requests (GET_STATE, PUT_STATE, ranges, history) until COMPLETED. This plays
that role against :class:`MemoryState`, with Fabric's semantics: a transaction reads committed state only,
and its writes are committed when it completes successfully.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import grpc
from chaincode_harness import Member, MemoryState
from fabric_protos.common import common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2 as kv_pb
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb
from fabric_protos.peer import chaincode_shim_pb2_grpc as shim_grpc
from fabric_protos.peer import proposal_response_pb2 as response_pb
from google.protobuf.timestamp_pb2 import Timestamp

from ledger.embedded.stub import RWSet

Msg = shim_pb.ChaincodeMessage


@dataclass
class Outcome:
    """What the chaincode answered for one transaction."""

    response: response_pb.Response
    event: Any
    writes: dict[str, bytes | None]


def signed_proposal(who: Member, ts: Timestamp, channel: str, tx_id: str) -> proposal_pb2.SignedProposal:
    """The parts of a signed proposal the shim decodes: creator identity and channel header timestamp."""
    creator = identities_pb2.SerializedIdentity(mspid=who.msp, id_bytes=who.cert_pem)
    header = common_pb2.Header(
        channel_header=common_pb2.ChannelHeader(channel_id=channel, tx_id=tx_id, timestamp=ts).SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator.SerializeToString()).SerializeToString(),
    )
    payload = proposal_pb2.ChaincodeProposalPayload(input=b"-").SerializeToString()
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload)
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"unchecked")


class MiniPeer:
    """Connects to a chaincode server and runs transactions against an in-memory committed state."""

    def __init__(
        self,
        address: str,
        state: MemoryState,
        channel: str = "usmca",
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.address = address
        self.credentials = credentials
        self.state = state
        self.channel_name = channel
        self._ids = itertools.count(1)
        self._out: asyncio.Queue[Msg | None] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future[Msg]] = {}
        self._writes: dict[str, dict[str, bytes | None]] = {}
        self.unexpected: list[Msg] = []

    async def __aenter__(self) -> MiniPeer:
        self.channel = (
            grpc.aio.secure_channel(self.address, self.credentials)
            if self.credentials
            else grpc.aio.insecure_channel(self.address)
        )
        self.call = shim_grpc.ChaincodeStub(self.channel).Connect(self._outgoing())
        first = await self.call.read()
        assert first.type == Msg.REGISTER, first
        await self._out.put(Msg(type=Msg.REGISTERED))
        await self._out.put(Msg(type=Msg.READY))
        self._reader = asyncio.create_task(self._read_loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._out.put(None)
        self._reader.cancel()
        await self.channel.close()

    async def _outgoing(self):
        while True:
            msg = await self._out.get()
            if msg is None:
                return
            yield msg

    async def _reply(self, msg: Msg, payload: bytes, kind: int = Msg.RESPONSE) -> None:
        await self._out.put(Msg(type=kind, payload=payload, txid=msg.txid, channel_id=msg.channel_id))

    async def _read_loop(self) -> None:
        while True:
            msg = await self.call.read()
            if msg is grpc.aio.EOF:
                return
            if msg.type == Msg.COMPLETED:
                self._pending.pop(msg.txid).set_result(msg)
            elif msg.type == Msg.GET_STATE:
                found = self.state.get(shim_pb.GetState.FromString(msg.payload).key)
                await self._reply(msg, found[0] if found else b"")
            elif msg.type == Msg.PUT_STATE:
                put = shim_pb.PutState.FromString(msg.payload)
                self._writes[msg.txid][put.key] = put.value
                await self._reply(msg, b"")
            elif msg.type == Msg.DEL_STATE:
                self._writes[msg.txid][shim_pb.DelState.FromString(msg.payload).key] = None
                await self._reply(msg, b"")
            elif msg.type == Msg.GET_STATE_BY_RANGE:
                rng = shim_pb.GetStateByRange.FromString(msg.payload)
                kvs = [kv_pb.KV(key=k, value=v) for k, v, _ in self.state.range(rng.startKey, rng.endKey)]
                await self._reply(msg, _query_response(kvs))
            elif msg.type == Msg.GET_HISTORY_FOR_KEY:
                key = shim_pb.GetHistoryForKey.FromString(msg.payload).key
                mods = [
                    kv_pb.KeyModification(tx_id=t, value=v, is_delete=d, timestamp=ts)
                    for t, v, d, ts in self.state.history(key)
                ]
                await self._reply(msg, _query_response(mods))
            elif msg.type == Msg.QUERY_STATE_CLOSE:
                await self._reply(msg, shim_pb.QueryResponse().SerializeToString())
            else:
                self.unexpected.append(msg)
                await self._reply(msg, b"unsupported", Msg.ERROR)

    async def transact(self, who: Member, ts: Timestamp, fn: str, *args: str) -> Outcome:
        """Send one TRANSACTION and wait for COMPLETED; commit its writes when the response is a success."""
        tx_id = f"ptx{next(self._ids):05d}"
        done: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._pending[tx_id] = done
        self._writes[tx_id] = {}
        cc_input = chaincode_pb2.ChaincodeInput(args=[fn.encode(), *(a.encode() for a in args)])
        await self._out.put(
            Msg(
                type=Msg.TRANSACTION,
                payload=cc_input.SerializeToString(),
                txid=tx_id,
                channel_id=self.channel_name,
                proposal=signed_proposal(who, ts, self.channel_name, tx_id),
            )
        )
        completed = await done
        response = response_pb.Response.FromString(completed.payload)
        writes = self._writes.pop(tx_id)
        if response.status < 400:
            self.state.commit(RWSet(writes=writes), tx_id, ts)
        event = completed.chaincode_event if completed.HasField("chaincode_event") else None
        return Outcome(response, event, writes)


def _query_response(items: list[Any]) -> bytes:
    results = [shim_pb.QueryResultBytes(resultBytes=i.SerializeToString()) for i in items]
    return shim_pb.QueryResponse(results=results, has_more=False, id="q").SerializeToString()
