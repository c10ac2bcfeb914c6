"""Decoding Fabric's committed blocks into the backend-neutral :class:`ledger.gateway.Block`.

The read model and every other block listener consume ``Block``/``CommittedTransaction`` with the chaincode's
write set and event, whatever the backend. A Fabric block carries that information nested six protobufs deep
(Envelope → Payload → Transaction → ChaincodeActionPayload → ProposalResponsePayload → ChaincodeAction →
TxReadWriteSet → KVRWSet); the validation code of each transaction is one byte of the block's
``TRANSACTIONS_FILTER`` metadata. The block hash is Fabric's: SHA-256 over the DER encoding of
``(number, previous_hash, data_hash)``, so it can be compared with what ``peer channel fetch`` shows.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_event_pb2, chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from ledger.errors import ParseError
from ledger.gateway import Block, ChaincodeEvent, CommittedTransaction, Write

_CODES = {v: k for k, v in transaction_pb2.TxValidationCode.items()}


def code_name(code: int) -> str:
    """Fabric's name of a transaction validation code (``CODE_<n>`` for a number Fabric does not name)."""
    return _CODES.get(code, f"CODE_{code}")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _der_uint(n: int) -> bytes:
    body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")  # one spare bit keeps it non-negative
    return _der(0x02, body)


def header_hash(header: common_pb2.BlockHeader) -> bytes:
    """Fabric's block hash: SHA-256 of ASN.1 DER ``SEQUENCE {INTEGER number, OCTET STRING prev, OCTET STRING data}``."""
    seq = _der_uint(header.number) + _der(0x04, header.previous_hash) + _der(0x04, header.data_hash)
    return hashlib.sha256(_der(0x30, seq)).digest()


def data_hash(data: common_pb2.BlockData) -> bytes:
    """Fabric's block data hash: SHA-256 of the concatenated envelopes."""
    return hashlib.sha256(b"".join(data.data)).digest()


def _iso(ts: Timestamp) -> str:
    dt = datetime.fromtimestamp(ts.seconds, tz=UTC).replace(microsecond=ts.nanos // 1000)
    return dt.isoformat().replace("+00:00", "Z")


def _code(filter_bytes: bytes, index: int) -> str:
    if index >= len(filter_bytes):
        return "NOT_VALIDATED"
    return code_name(filter_bytes[index])


def _endorser_tx(payload: common_pb2.Payload, chaincode: str) -> tuple[str, tuple[Write, ...], ChaincodeEvent | None]:
    """Function name, our chaincode's writes and its event from an ENDORSER_TRANSACTION payload."""
    tx = transaction_pb2.Transaction.FromString(payload.data)
    if not tx.actions:
        return "", (), None
    cap = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    cpp = proposal_pb2.ChaincodeProposalPayload.FromString(cap.chaincode_proposal_payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(cpp.input).chaincode_spec
    function = spec.input.args[0].decode("utf-8", "replace") if spec.input.args else ""
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(cap.action.proposal_response_payload)
    action = proposal_pb2.ChaincodeAction.FromString(prp.extension)
    writes: list[Write] = []
    for ns in rwset_pb2.TxReadWriteSet.FromString(action.results).ns_rwset:
        if ns.namespace != chaincode:
            continue
        for w in kv_rwset_pb2.KVRWSet.FromString(ns.rwset).writes:
            writes.append(Write(w.key, None if w.is_delete else bytes(w.value)))
    event = None
    if action.events:
        ev = chaincode_event_pb2.ChaincodeEvent.FromString(action.events)
        if ev.event_name and ev.chaincode_id == chaincode:
            event = ChaincodeEvent(ev.event_name, bytes(ev.payload))
    return function, tuple(sorted(writes, key=lambda w: w.key)), event


def decode_block(block: common_pb2.Block, chaincode: str) -> Block:
    """The backend-neutral view of a Fabric block; writes and events are those of ``chaincode`` only."""
    number = block.header.number
    try:
        meta = block.metadata.metadata
        has_filter = len(meta) > common_pb2.TRANSACTIONS_FILTER
        filter_bytes = bytes(meta[common_pb2.TRANSACTIONS_FILTER]) if has_filter else b""
        txs = []
        for index, raw in enumerate(block.data.data):
            env = common_pb2.Envelope.FromString(raw)
            payload = common_pb2.Payload.FromString(env.payload)
            ch = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
            sh = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
            creator = identities_pb2.SerializedIdentity.FromString(sh.creator).mspid if sh.creator else ""
            code = "VALID" if number == 0 else _code(filter_bytes, index)
            if ch.type == common_pb2.ENDORSER_TRANSACTION:
                function, writes, event = _endorser_tx(payload, chaincode)
            else:
                function, writes, event = common_pb2.HeaderType.Name(ch.type).lower(), (), None
            tx_id = ch.tx_id or f"{function}-{number}-{index}"
            txs.append(CommittedTransaction(tx_id, index, code, creator, function, _iso(ch.timestamp), writes, event))
    except Exception as exc:  # protobuf DecodeError and friends
        raise ParseError(f"block {number} cannot be decoded: {exc}", value=number) from exc
    return Block(number, header_hash(block.header).hex(), block.header.previous_hash.hex(), tuple(txs))
