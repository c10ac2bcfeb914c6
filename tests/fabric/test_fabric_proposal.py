"""The Gateway protocol messages, checked byte by byte as a Fabric peer would read them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

from ledger.errors import ParseError
from ledger.fabric import proposal as wire
from ledger.identity.network import load_network
from ledger.identity.signing import P256_ORDER, verify_signature
from tests.helpers import SUPPLIER


@pytest.fixture
def who(network_home: Path) -> wire.ClientIdentity:
    m = load_network(network_home).member(SUPPLIER, "station1")
    return wire.ClientIdentity(SUPPLIER, m.cert_pem, m.signer)


def test_proposal_fields_tx_id_and_signature(who: wire.ClientIdentity) -> None:
    nonce = bytes(range(24))
    signed = wire.build_proposal(
        who, "usmca", "usmca", "RecordScan", ["{}", b"\x00raw"], nonce=nonce, now_ns=1_700_000_000_123_456_789
    )
    creator = identities_pb2.SerializedIdentity(mspid=SUPPLIER, id_bytes=who.cert_pem).SerializeToString()
    assert signed.tx_id == hashlib.sha256(nonce + creator).hexdigest()
    prop = proposal_pb2.Proposal.FromString(signed.proposal.proposal_bytes)
    header = common_pb2.Header.FromString(prop.header)
    ch = common_pb2.ChannelHeader.FromString(header.channel_header)
    assert (ch.type, ch.channel_id, ch.tx_id) == (common_pb2.ENDORSER_TRANSACTION, "usmca", signed.tx_id)
    assert (ch.timestamp.seconds, ch.timestamp.nanos) == (1_700_000_000, 123_456_789)
    assert proposal_pb2.ChaincodeHeaderExtension.FromString(ch.extension).chaincode_id.name == "usmca"
    sh = common_pb2.SignatureHeader.FromString(header.signature_header)
    assert (sh.creator, sh.nonce) == (creator, nonce)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(prop.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    assert list(spec.input.args) == [b"RecordScan", b"{}", b"\x00raw"]
    assert spec.chaincode_id.name == "usmca"
    assert verify_signature(who.cert_pem, signed.proposal.proposal_bytes, signed.proposal.signature)


def test_every_signature_is_low_s(who: wire.ClientIdentity) -> None:
    for i in range(40):
        signed = wire.build_proposal(who, "usmca", "usmca", "GetPart", [str(i)])
        _, s = decode_dss_signature(signed.proposal.signature)
        assert s <= P256_ORDER // 2


def test_read_back_as_a_peer_with_transient_data(who: wire.ClientIdentity) -> None:
    signed = wire.build_proposal(who, "usmca", "usmca", "PutPrivate", ["k"], transient={"price": b"12.50"})
    view = wire.read_signed_proposal(signed.proposal)
    assert view.signature_ok
    assert (view.tx_id, view.channel, view.chaincode, view.creator_msp) == (signed.tx_id, "usmca", "usmca", SUPPLIER)
    assert view.args == (b"PutPrivate", b"k")
    assert view.transient == {"price": b"12.50"}


def test_tampered_proposal_fails_the_peer_check(who: wire.ClientIdentity) -> None:
    signed = wire.build_proposal(who, "usmca", "usmca", "GetPart", ["a"])
    tampered = proposal_pb2.SignedProposal()
    tampered.CopyFrom(signed.proposal)
    tampered.proposal_bytes = signed.proposal.proposal_bytes.replace(b"GetPart", b"DelPart")
    assert not wire.read_signed_proposal(tampered).signature_ok


def test_garbage_proposal_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="signed proposal cannot be decoded"):
        wire.read_signed_proposal(proposal_pb2.SignedProposal(proposal_bytes=b"\xff\xff\xff"))


def test_requests_carry_tx_id_channel_and_orgs(who: wire.ClientIdentity) -> None:
    signed = wire.build_proposal(who, "usmca", "usmca", "GetPart", ["a"])
    endorse = wire.endorse_request(signed, "usmca", ["OemMSP", "SupplierMSP"])
    assert (endorse.transaction_id, endorse.channel_id) == (signed.tx_id, "usmca")
    assert list(endorse.endorsing_organizations) == ["OemMSP", "SupplierMSP"]
    assert endorse.proposed_transaction == signed.proposal
    evaluate = wire.evaluate_request(signed, "usmca")
    assert evaluate.transaction_id == signed.tx_id and not evaluate.target_organizations


def test_commit_status_and_events_requests_are_signed(who: wire.ClientIdentity) -> None:
    status = wire.commit_status_request(who, "ab" * 32, "usmca")
    inner = gateway_pb2.CommitStatusRequest.FromString(status.request)
    assert (inner.transaction_id, inner.channel_id, inner.identity) == ("ab" * 32, "usmca", who.creator)
    assert verify_signature(who.cert_pem, status.request, status.signature)
    events = wire.chaincode_events_request(who, "usmca", "usmca", start_block=7)
    req = gateway_pb2.ChaincodeEventsRequest.FromString(events.request)
    assert (req.chaincode_id, req.start_position.specified.number) == ("usmca", 7)
    assert verify_signature(who.cert_pem, events.request, events.signature)
    newest = gateway_pb2.ChaincodeEventsRequest.FromString(wire.chaincode_events_request(who, "c", "cc").request)
    assert newest.start_position.HasField("newest")


@pytest.mark.parametrize(
    ("follow", "stop_kind", "behavior"),
    [(True, "specified", ab_pb2.SeekInfo.BLOCK_UNTIL_READY), (False, "newest", ab_pb2.SeekInfo.FAIL_IF_NOT_READY)],
)
def test_deliver_seek_envelope(who: wire.ClientIdentity, follow: bool, stop_kind: str, behavior: int) -> None:
    env = wire.deliver_envelope(who, "usmca", 5, follow=follow)
    assert verify_signature(who.cert_pem, env.payload, env.signature)
    payload = common_pb2.Payload.FromString(env.payload)
    ch = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    assert (ch.type, ch.channel_id) == (common_pb2.DELIVER_SEEK_INFO, "usmca")
    seek = ab_pb2.SeekInfo.FromString(payload.data)
    assert seek.start.specified.number == 5
    assert seek.stop.WhichOneof("Type") == stop_kind
    assert seek.behavior == behavior


def _prepared(result: bytes) -> common_pb2.Envelope:
    action = proposal_pb2.ChaincodeAction(response=proposal_response_pb2.Response(status=200, payload=result))
    prp = proposal_response_pb2.ProposalResponsePayload(extension=action.SerializeToString())
    cap = transaction_pb2.ChaincodeActionPayload(
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=prp.SerializeToString())
    )
    tx = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(payload=cap.SerializeToString())])
    return common_pb2.Envelope(payload=common_pb2.Payload(data=tx.SerializeToString()).SerializeToString())


def test_prepared_envelope_is_signed_and_its_result_read(who: wire.ClientIdentity) -> None:
    env = _prepared(b'{"uid":"u1"}')
    signed = wire.sign_envelope(who, env)
    assert env.signature == b""  # the input is not modified
    assert verify_signature(who.cert_pem, signed.payload, signed.signature)
    assert wire.envelope_result(signed) == b'{"uid":"u1"}'
    req = wire.submit_request("t1", "usmca", signed)
    assert (req.transaction_id, req.channel_id, req.prepared_transaction) == ("t1", "usmca", signed)


def test_unreadable_prepared_envelope_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="prepared transaction cannot be decoded"):
        wire.envelope_result(common_pb2.Envelope(payload=common_pb2.Payload(data=b"").SerializeToString()))
