"""A scripted Fabric Gateway service over real gRPC and TLS, for testing the client without a Fabric network.

It checks what a gateway peer checks (the proposal's signature and transaction id, the envelope's signature
by the proposal's creator, the signed commit-status request) and answers from a script: a queue of failures
to return first for each method, with the ``grpc-status-details-bin`` trailer a real gateway sends.

Every submitted transaction commits at once in a block of its own (from block 42 on), which CommitStatus and
the peer's filtered-block stream (``DeliverFiltered``, what the client's commit stream reads) both report.
``hold`` keeps the next submissions uncommitted until ``release``.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import events_pb2, events_pb2_grpc, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from ledger.fabric.proposal import read_signed_proposal
from ledger.identity.signing import verify_signature


@dataclass(frozen=True)
class Failure:
    """One scripted gRPC failure with per-node details."""

    code: grpc.StatusCode
    message: str
    details: tuple[tuple[str, str, str], ...] = ()


def prepared_envelope(header: bytes, result: bytes) -> common_pb2.Envelope:
    """An unsigned prepared transaction whose chaincode response payload is ``result``."""
    action = proposal_pb2.ChaincodeAction(response=proposal_response_pb2.Response(status=200, payload=result))
    prp = proposal_response_pb2.ProposalResponsePayload(extension=action.SerializeToString())
    cap = transaction_pb2.ChaincodeActionPayload(
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=prp.SerializeToString())
    )
    tx = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(payload=cap.SerializeToString())])
    payload = common_pb2.Payload(header=common_pb2.Header.FromString(header), data=tx.SerializeToString())
    return common_pb2.Envelope(payload=payload.SerializeToString())


FIRST_BLOCK = 42


@dataclass
class GatewayPeer(gateway_pb2_grpc.GatewayServicer):
    """The scripted service; ``calls`` counts RPCs per method, ``submitted`` maps tx id -> creator cert.

    ``blocks`` is the chain of (tx id, validation code) blocks; ``deliver_refusal`` makes DeliverFiltered answer
    that status instead of blocks.
    """

    commit_code: int = transaction_pb2.VALID
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    submitted: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    blocks: list[tuple[str, int]] = field(default_factory=list)
    deliver_refusal: int | None = None
    _held: list[tuple[str, int]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _grown: threading.Condition = field(default_factory=threading.Condition)

    def fail(self, method: str, *failures: Failure) -> None:
        """Answer the next calls of ``method`` with these failures, in order."""
        self.failures[method].extend(failures)

    def _scripted(self, method: str, context: grpc.ServicerContext) -> None:
        with self._lock:
            self.calls[method] += 1
            failure = self.failures[method].popleft() if self.failures[method] else None
        if failure is None:
            return
        status = status_pb2.Status(code=failure.code.value[0], message=failure.message)
        for address, msp, message in failure.details:
            item = any_pb2.Any()
            item.Pack(gateway_pb2.ErrorDetail(address=address, msp_id=msp, message=message))
            status.details.append(item)
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(failure.code, failure.message)

    def _check(self, signed: proposal_pb2.SignedProposal, tx_id: str) -> bytes:
        view = read_signed_proposal(signed)
        if not view.signature_ok or view.tx_id != tx_id:
            self.problems.append(f"bad proposal {tx_id}")
        return b"|".join(view.args)

    def Evaluate(self, request, context):
        self._scripted("Evaluate", context)
        result = self._check(request.proposed_transaction, request.transaction_id)
        return gateway_pb2.EvaluateResponse(result=proposal_response_pb2.Response(status=200, payload=result))

    def Endorse(self, request, context):
        self._scripted("Endorse", context)
        result = self._check(request.proposed_transaction, request.transaction_id)
        proposal = proposal_pb2.Proposal.FromString(request.proposed_transaction.proposal_bytes)
        return gateway_pb2.EndorseResponse(prepared_transaction=prepared_envelope(proposal.header, result))

    def Submit(self, request, context):
        self._scripted("Submit", context)
        env = request.prepared_transaction
        payload = common_pb2.Payload.FromString(env.payload)
        creator = common_pb2.SignatureHeader.FromString(payload.header.signature_header).creator
        from fabric_protos.msp import identities_pb2

        cert = identities_pb2.SerializedIdentity.FromString(creator).id_bytes
        if not verify_signature(cert, env.payload, env.signature):
            self.problems.append(f"bad envelope signature {request.transaction_id}")
        with self._lock:
            self.submitted[request.transaction_id] = cert
        self._commit(request.transaction_id, self.commit_code)
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request, context):
        self._scripted("CommitStatus", context)
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        cert = self.submitted.get(inner.transaction_id)
        if cert is None or not verify_signature(cert, request.request, request.signature):
            self.problems.append(f"commit status for unknown or badly signed {inner.transaction_id}")
        with self._grown:
            for number, (tx_id, code) in enumerate(self.blocks, FIRST_BLOCK):
                if tx_id == inner.transaction_id:
                    return gateway_pb2.CommitStatusResponse(result=code, block_number=number)
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "not committed")

    # -- the ledger and its filtered-block stream ------------------------------------------------------------
    def _commit(self, tx_id: str, code: int) -> None:
        with self._grown:
            if self._held is not None:
                self._held.append((tx_id, code))
                return
            self.blocks.append((tx_id, code))
            self._grown.notify_all()

    def hold(self) -> None:
        """Keep transactions submitted from now on uncommitted until :meth:`release`."""
        with self._grown:
            self._held = []

    def release(self) -> None:
        """Commit the held transactions, one block each, in submission order."""
        with self._grown:
            held, self._held = self._held or [], None
            self.blocks.extend(held)
            self._grown.notify_all()

    def commit_other(self, count: int) -> None:
        """Commit ``count`` blocks of transactions nobody here submitted (held ones stay held)."""
        with self._grown:
            self.blocks.extend((f"other-{len(self.blocks)}-{i}", transaction_pb2.VALID) for i in range(count))
            self._grown.notify_all()

    def deliver_filtered(self, requests, context):
        """The peer's DeliverFiltered: filtered blocks from the requested position, following new ones."""
        self._scripted("DeliverFiltered", context)
        envelope = next(requests)
        payload = common_pb2.Payload.FromString(envelope.payload)
        creator = common_pb2.SignatureHeader.FromString(payload.header.signature_header).creator
        from fabric_protos.msp import identities_pb2

        cert = identities_pb2.SerializedIdentity.FromString(creator).id_bytes
        if not verify_signature(cert, envelope.payload, envelope.signature):
            self.problems.append("bad deliver envelope signature")
        if self.deliver_refusal is not None:
            yield events_pb2.DeliverResponse(status=self.deliver_refusal)
            return
        seek = ab_pb2.SeekInfo.FromString(payload.data)
        with self._grown:
            newest = FIRST_BLOCK + len(self.blocks) - 1
        number = newest if seek.start.HasField("newest") else seek.start.specified.number
        while context.is_active():
            if number < FIRST_BLOCK:  # the channel's earlier (configuration) blocks carry no transaction of ours
                yield events_pb2.DeliverResponse(filtered_block=events_pb2.FilteredBlock(number=number))
                number += 1
                continue
            with self._grown:
                self._grown.wait_for(lambda n=number: n - FIRST_BLOCK < len(self.blocks), timeout=0.2)
                ready = self.blocks[number - FIRST_BLOCK :]
            for tx_id, code in ready:
                tx = events_pb2.FilteredTransaction(txid=tx_id, tx_validation_code=code)
                block = events_pb2.FilteredBlock(channel_id="usmca", number=number, filtered_transactions=[tx])
                yield events_pb2.DeliverResponse(filtered_block=block)
                number += 1


class DeliverPeer(events_pb2_grpc.DeliverServicer):
    """The peer's Deliver service, answering filtered blocks from a :class:`GatewayPeer`'s chain."""

    def __init__(self, peer: GatewayPeer) -> None:
        self._peer = peer

    def DeliverFiltered(self, request_iterator, context):
        return self._peer.deliver_filtered(request_iterator, context)


def serve_tls(service: GatewayPeer, tls_dir: Path, *, deliver: bool = True) -> tuple[grpc.Server, int]:
    """Start the service on 127.0.0.1 with the peer's TLS key pair; returns the server and its port.

    Without ``deliver`` the peer has no Deliver service (as a peer whose deliver service refuses the client).
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    gateway_pb2_grpc.add_GatewayServicer_to_server(service, server)
    if deliver:
        events_pb2_grpc.add_DeliverServicer_to_server(DeliverPeer(service), server)
    creds = grpc.ssl_server_credentials(
        [((tls_dir / "server.key").read_bytes(), (tls_dir / "server.crt").read_bytes())]
    )
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    return server, port
