"""Decoding Fabric blocks into ledger.gateway.Block: write sets, events, validation codes and the hash chain."""

from __future__ import annotations

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_event_pb2, chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from ledger.errors import ParseError
from ledger.fabric.blocks import data_hash, decode_block, header_hash
from ledger.gateway import ChaincodeEvent, Write


def _header(tx_id: str, msp: str, kind: int = common_pb2.ENDORSER_TRANSACTION) -> common_pb2.Header:
    ch = common_pb2.ChannelHeader(
        type=kind, channel_id="usmca", tx_id=tx_id, timestamp=Timestamp(seconds=1_763_900_000, nanos=123_456_000)
    )
    creator = identities_pb2.SerializedIdentity(mspid=msp, id_bytes=b"cert").SerializeToString()
    return common_pb2.Header(
        channel_header=ch.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=b"n").SerializeToString(),
    )


def _endorser_tx(
    tx_id: str,
    msp: str,
    fn: str,
    writes: dict[str, dict[str, bytes | None]],
    event: tuple[str, str, bytes] | None = None,
) -> bytes:
    ns_sets = []
    for ns, kv in writes.items():
        kvw = [kv_rwset_pb2.KVWrite(key=k, is_delete=v is None, value=v or b"") for k, v in kv.items()]
        ns_sets.append(
            rwset_pb2.NsReadWriteSet(namespace=ns, rwset=kv_rwset_pb2.KVRWSet(writes=kvw).SerializeToString())
        )
    results = rwset_pb2.TxReadWriteSet(data_model=rwset_pb2.TxReadWriteSet.KV, ns_rwset=ns_sets)
    action = proposal_pb2.ChaincodeAction(
        results=results.SerializeToString(),
        response=proposal_response_pb2.Response(status=200),
        events=(
            chaincode_event_pb2.ChaincodeEvent(
                chaincode_id=event[0], tx_id=tx_id, event_name=event[1], payload=event[2]
            ).SerializeToString()
            if event
            else b""
        ),
    )
    prp = proposal_response_pb2.ProposalResponsePayload(proposal_hash=b"h", extension=action.SerializeToString())
    spec = chaincode_pb2.ChaincodeSpec(
        chaincode_id=chaincode_pb2.ChaincodeID(name="usmca"),
        input=chaincode_pb2.ChaincodeInput(args=[fn.encode(), b"{}"]),
    )
    cpp = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString()
    )
    cap = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=cpp.SerializeToString(),
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=prp.SerializeToString()),
    )
    tx = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(payload=cap.SerializeToString())])
    payload = common_pb2.Payload(header=_header(tx_id, msp), data=tx.SerializeToString())
    return common_pb2.Envelope(payload=payload.SerializeToString(), signature=b"sig").SerializeToString()


def _block(number: int, envelopes: list[bytes], codes: bytes, previous: bytes = b"") -> common_pb2.Block:
    block = common_pb2.Block(
        header=common_pb2.BlockHeader(number=number, previous_hash=previous),
        data=common_pb2.BlockData(data=envelopes),
        metadata=common_pb2.BlockMetadata(metadata=[b"", b"", codes, b"", b""]),
    )
    block.header.data_hash = data_hash(block.data)
    return block


def test_writes_deletes_event_and_codes() -> None:
    ok = _endorser_tx(
        "t1",
        "SupplierMSP",
        "RecordScan",
        {"usmca": {"\x00part\x00u1\x00": b'{"uid":"u1"}', "\x00old\x00": None}, "_lifecycle": {"x": b"y"}},
        ("usmca", "PartScanned", b'{"uid":"u1"}'),
    )
    conflict = _endorser_tx("t2", "OemMSP", "RegisterOrg", {"usmca": {"\x00org\x00OemMSP\x00": b"{}"}})
    codes = bytes([transaction_pb2.VALID, transaction_pb2.MVCC_READ_CONFLICT])
    block = decode_block(_block(9, [ok, conflict], codes, previous=b"\x01" * 32), "usmca")
    assert (block.number, block.previous_hash) == (9, "01" * 32)
    first, second = block.transactions
    assert (first.tx_id, first.index, first.code, first.creator_msp, first.function) == (
        "t1",
        0,
        "VALID",
        "SupplierMSP",
        "RecordScan",
    )
    assert first.timestamp == "2025-11-23T12:13:20.123456Z"
    assert first.writes == (Write("\x00old\x00", None), Write("\x00part\x00u1\x00", b'{"uid":"u1"}'))
    assert first.event == ChaincodeEvent("PartScanned", b'{"uid":"u1"}')
    assert first.valid
    assert (second.code, second.valid, second.event) == ("MVCC_READ_CONFLICT", False, None)


def test_other_chaincodes_writes_and_events_are_left_out() -> None:
    env = _endorser_tx("t1", "OemMSP", "Approve", {"_lifecycle": {"k": b"v"}}, ("_lifecycle", "Approved", b""))
    (tx,) = decode_block(_block(3, [env], bytes([0])), "usmca").transactions
    assert (tx.function, tx.writes, tx.event) == ("Approve", (), None)


def test_config_block() -> None:
    payload = common_pb2.Payload(header=_header("", "OrdererMSP", common_pb2.CONFIG), data=b"config")
    env = common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()
    block = decode_block(_block(0, [env], b""), "usmca")
    (tx,) = block.transactions
    assert (tx.tx_id, tx.code, tx.function, tx.creator_msp) == ("config-0-0", "VALID", "config", "OrdererMSP")
    assert block.previous_hash == ""


def test_missing_filter_byte_is_not_validated() -> None:
    env = _endorser_tx("t1", "OemMSP", "RegisterOrg", {})
    (tx,) = decode_block(_block(4, [env], b""), "usmca").transactions
    assert tx.code == "NOT_VALIDATED"


def test_block_hash_matches_a_real_fabric_chain() -> None:
    """Block 5 of a Fabric 3.1 channel and the previous_hash that block 6 recorded for it."""
    header = common_pb2.BlockHeader(
        number=5,
        previous_hash=bytes.fromhex("2e3be0bce82f4b2ab3997f4a11f3d3ceff10628e90459104090ed9a1edb4f98b"),
        data_hash=bytes.fromhex("7504d830b1d462946a4493062bca5966238b78d934bf032bf05cba73c8128d63"),
    )
    assert header_hash(header).hex() == "130fce34e5a03a685906087d9e402cd6c496e3be5727ef977c54ff80e95727f5"


@pytest.mark.parametrize("number", [0, 127, 128, 255, 256, 65535, 2**40, 2**63 + 5])
def test_block_hash_der_integer_is_non_negative(number: int) -> None:
    """DER integers are two's complement: a high first bit needs a leading zero byte."""
    from ledger.fabric.blocks import _der_uint

    der = _der_uint(number)
    body = der[2:]
    assert der[0] == 0x02 and der[1] == len(body)
    assert int.from_bytes(body, "big", signed=True) == number
    assert len(body) == 1 or not (body[0] == 0 and body[1] < 0x80)  # minimal


def test_garbage_block_is_a_parse_error_naming_the_block() -> None:
    block = _block(12, [b"\xff\xff\xff"], bytes([0]))
    with pytest.raises(ParseError, match="block 12 cannot be decoded"):
        decode_block(block, "usmca")
