"""Building and signing the messages of the Fabric Gateway protocol, exactly as the Go fabric-gateway client does.

Pure functions over protobufs: no network, no clock unless passed in. A proposal's transaction id is
``sha256(nonce + creator)`` so a peer can recompute it; every signature is ECDSA P-256/SHA-256, low-S, made by
:class:`ledger.identity.signing.Signer`. Keeping this separate from the gRPC client lets the unit tests check
every byte that would go on the wire, and lets a peer-side check (``verify_signed_proposal``) reuse it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from ledger.errors import ParseError
from ledger.identity.signing import Signer, verify_signature

NONCE_BYTES = 24
#: ``seek`` position meaning "newest block" in Fabric's deliver protocol (ab.SeekInfo stop = max uint64).
MAX_BLOCK = (1 << 64) - 1


@dataclass(frozen=True)
class ClientIdentity:
    """Who signs: the MSP id, the PEM certificate and the private key of one member."""

    msp_id: str
    cert_pem: bytes
    signer: Signer

    @property
    def creator(self) -> bytes:
        """The serialized ``SerializedIdentity`` that goes into every header."""
        return identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.cert_pem).SerializeToString()


@dataclass(frozen=True)
class SignedProposal:
    """A proposal ready for Endorse or Evaluate, and the id of the transaction it starts."""

    tx_id: str
    proposal: proposal_pb2.SignedProposal


def make_tx_id(nonce: bytes, creator: bytes) -> str:
    """Fabric's transaction id: hex SHA-256 of the nonce followed by the serialized creator."""
    return hashlib.sha256(nonce + creator).hexdigest()


def _timestamp(now_ns: int | None) -> Timestamp:
    ns = time.time_ns() if now_ns is None else now_ns
    return Timestamp(seconds=ns // 1_000_000_000, nanos=ns % 1_000_000_000)


def build_proposal(
    identity: ClientIdentity,
    channel: str,
    chaincode: str,
    function: str,
    args: Sequence[str | bytes],
    *,
    transient: Mapping[str, bytes] | None = None,
    nonce: bytes | None = None,
    now_ns: int | None = None,
) -> SignedProposal:
    """An ``ENDORSER_TRANSACTION`` proposal invoking ``function(*args)`` on ``chaincode``, signed by ``identity``."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    creator = identity.creator
    tx_id = make_tx_id(nonce, creator)
    cc_id = chaincode_pb2.ChaincodeID(name=chaincode)
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION,
        channel_id=channel,
        tx_id=tx_id,
        timestamp=_timestamp(now_ns),
        extension=proposal_pb2.ChaincodeHeaderExtension(chaincode_id=cc_id).SerializeToString(),
    )
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    raw_args = [function.encode(), *(a if isinstance(a, bytes) else str(a).encode() for a in args)]
    spec = chaincode_pb2.ChaincodeSpec(
        type=chaincode_pb2.ChaincodeSpec.NODE,
        chaincode_id=cc_id,
        input=chaincode_pb2.ChaincodeInput(args=raw_args),
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString(),
        TransientMap=dict(transient or {}),
    )
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    data = proposal.SerializeToString()
    signed = proposal_pb2.SignedProposal(proposal_bytes=data, signature=identity.signer.sign(data))
    return SignedProposal(tx_id, signed)


def endorse_request(
    signed: SignedProposal, channel: str, endorsing_orgs: Sequence[str] = ()
) -> gateway_pb2.EndorseRequest:
    """The Gateway Endorse request (empty ``endorsing_orgs``: the gateway picks endorsers by discovery)."""
    return gateway_pb2.EndorseRequest(
        transaction_id=signed.tx_id,
        channel_id=channel,
        proposed_transaction=signed.proposal,
        endorsing_organizations=list(endorsing_orgs),
    )


def evaluate_request(
    signed: SignedProposal, channel: str, target_orgs: Sequence[str] = ()
) -> gateway_pb2.EvaluateRequest:
    """The Gateway Evaluate request."""
    return gateway_pb2.EvaluateRequest(
        transaction_id=signed.tx_id,
        channel_id=channel,
        proposed_transaction=signed.proposal,
        target_organizations=list(target_orgs),
    )


def sign_envelope(identity: ClientIdentity, envelope: common_pb2.Envelope) -> common_pb2.Envelope:
    """The prepared transaction envelope with the client's signature over its payload."""
    signed = common_pb2.Envelope()
    signed.CopyFrom(envelope)
    signed.signature = identity.signer.sign(envelope.payload)
    return signed


def submit_request(tx_id: str, channel: str, envelope: common_pb2.Envelope) -> gateway_pb2.SubmitRequest:
    """The Gateway Submit request for a signed envelope."""
    return gateway_pb2.SubmitRequest(transaction_id=tx_id, channel_id=channel, prepared_transaction=envelope)


def commit_status_request(identity: ClientIdentity, tx_id: str, channel: str) -> gateway_pb2.SignedCommitStatusRequest:
    """A signed CommitStatus request: the peer checks the signer may read the channel."""
    request = gateway_pb2.CommitStatusRequest(transaction_id=tx_id, channel_id=channel, identity=identity.creator)
    data = request.SerializeToString()
    return gateway_pb2.SignedCommitStatusRequest(request=data, signature=identity.signer.sign(data))


def chaincode_events_request(
    identity: ClientIdentity, channel: str, chaincode: str, start_block: int | None = None, after_tx_id: str = ""
) -> gateway_pb2.SignedChaincodeEventsRequest:
    """A signed ChaincodeEvents request from ``start_block`` (None: only events committed from now on)."""
    if start_block is None:
        start = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
    else:
        start = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))
    request = gateway_pb2.ChaincodeEventsRequest(
        channel_id=channel,
        chaincode_id=chaincode,
        identity=identity.creator,
        start_position=start,
        after_transaction_id=after_tx_id,
    )
    data = request.SerializeToString()
    return gateway_pb2.SignedChaincodeEventsRequest(request=data, signature=identity.signer.sign(data))


def deliver_envelope(
    identity: ClientIdentity,
    channel: str,
    start: int | None,
    *,
    follow: bool,
    tls_cert_hash: bytes = b"",
    nonce: bytes | None = None,
    now_ns: int | None = None,
) -> common_pb2.Envelope:
    """A signed ``DELIVER_SEEK_INFO`` envelope asking a peer for blocks from ``start`` (None: the newest block).

    With ``follow`` the peer keeps the stream open and sends blocks as they commit; without it the stream ends
    at the newest block, and a start beyond the tip is answered NOT_FOUND at once (``FAIL_IF_NOT_READY``)
    instead of waiting for that block to be committed.
    """
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    creator = identity.creator
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.DELIVER_SEEK_INFO,
        channel_id=channel,
        tx_id=make_tx_id(nonce, creator),
        timestamp=_timestamp(now_ns),
        tls_cert_hash=tls_cert_hash,
    )
    stop = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=MAX_BLOCK))
    if not follow:
        stop = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
    if start is None:
        first = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
    else:
        first = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start))
    seek = ab_pb2.SeekInfo(
        start=first,
        stop=stop,
        behavior=ab_pb2.SeekInfo.BLOCK_UNTIL_READY if follow else ab_pb2.SeekInfo.FAIL_IF_NOT_READY,
    )
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
        ),
        data=seek.SerializeToString(),
    )
    data = payload.SerializeToString()
    return common_pb2.Envelope(payload=data, signature=identity.signer.sign(data))


@dataclass(frozen=True)
class ProposalView:
    """What a peer reads out of a signed proposal (for checks and tests)."""

    tx_id: str
    channel: str
    chaincode: str
    creator_msp: str
    creator_cert: bytes
    args: tuple[bytes, ...]
    transient: dict[str, bytes]
    signature_ok: bool


def read_signed_proposal(signed: proposal_pb2.SignedProposal) -> ProposalView:
    """Decode a signed proposal and check its signature and transaction id as an endorsing peer would."""
    try:
        proposal = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
        header = common_pb2.Header.FromString(proposal.header)
        ch = common_pb2.ChannelHeader.FromString(header.channel_header)
        sh = common_pb2.SignatureHeader.FromString(header.signature_header)
        creator = identities_pb2.SerializedIdentity.FromString(sh.creator)
        ext = proposal_pb2.ChaincodeHeaderExtension.FromString(ch.extension)
        payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
        spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    except Exception as exc:  # protobuf raises DecodeError, a plain Exception subclass
        raise ParseError(f"signed proposal cannot be decoded: {exc}", value=len(signed.proposal_bytes)) from exc
    ok = verify_signature(creator.id_bytes, signed.proposal_bytes, signed.signature)
    ok = ok and ch.tx_id == make_tx_id(sh.nonce, sh.creator)
    return ProposalView(
        tx_id=ch.tx_id,
        channel=ch.channel_id,
        chaincode=ext.chaincode_id.name,
        creator_msp=creator.mspid,
        creator_cert=creator.id_bytes,
        args=tuple(spec.input.args),
        transient=dict(payload.TransientMap),
        signature_ok=ok,
    )


def envelope_result(envelope: common_pb2.Envelope) -> bytes:
    """The chaincode's response payload inside a prepared transaction envelope (what ``submit`` returns)."""
    try:
        payload = common_pb2.Payload.FromString(envelope.payload)
        tx = transaction_pb2.Transaction.FromString(payload.data)
        cap = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
        prp = proposal_response_pb2.ProposalResponsePayload.FromString(cap.action.proposal_response_payload)
        return bytes(proposal_pb2.ChaincodeAction.FromString(prp.extension).response.payload)
    except Exception as exc:  # IndexError or a protobuf DecodeError
        raise ParseError(f"prepared transaction cannot be decoded: {exc}", value=len(envelope.payload)) from exc
