"""A scripted Fabric Gateway service over real gRPC and TLS, for testing the client without a Fabric network.

It checks what a gateway peer checks (the proposal's signature and transaction id, the envelope's signature
by the proposal's creator, the signed commit-status request) and answers from a script: a queue of failures
to return first for each method, with the ``grpc-status-details-bin`` trailer a real gateway sends.
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
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2
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


@dataclass
class GatewayPeer(gateway_pb2_grpc.GatewayServicer):
    """The scripted service; ``calls`` counts RPCs per method, ``submitted`` maps tx id -> creator cert."""

    commit_code: int = transaction_pb2.VALID
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    submitted: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request, context):
        self._scripted("CommitStatus", context)
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        cert = self.submitted.get(inner.transaction_id)
        if cert is None or not verify_signature(cert, request.request, request.signature):
            self.problems.append(f"commit status for unknown or badly signed {inner.transaction_id}")
        return gateway_pb2.CommitStatusResponse(result=self.commit_code, block_number=42)


def serve_tls(service: GatewayPeer, tls_dir: Path) -> tuple[grpc.Server, int]:
    """Start the service on 127.0.0.1 with the peer's TLS key pair; returns the server and its port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    gateway_pb2_grpc.add_GatewayServicer_to_server(service, server)
    creds = grpc.ssl_server_credentials(
        [((tls_dir / "server.key").read_bytes(), (tls_dir / "server.crt").read_bytes())]
    )
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    return server, port
