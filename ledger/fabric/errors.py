"""Turning Fabric Gateway gRPC failures into the project's typed errors, and deciding which ones to retry.

The Gateway reports a failure as a gRPC status whose ``grpc-status-details-bin`` trailer holds a
``google.rpc.Status`` with one ``gateway.ErrorDetail`` per peer or orderer it tried. Each detail names the
node and what it said, e.g. ``chaincode response 500, usmca-error:{...}``; the chaincode's own LedgerError is
rebuilt from that text so the API answers a refused Fabric transaction exactly as it answers an embedded one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from fabric_protos.gateway import gateway_pb2
from google.rpc import status_pb2

from ledger.errors import (
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    GatewayError,
    LedgerError,
    SubmitError,
    decode_error,
)

DETAILS_KEY = "grpc-status-details-bin"

#: Messages a freshly (re)started network answers with before it can endorse: gossip has not yet found the
#: other orgs' peers, or the raft orderer is still electing a leader. They clear in seconds, so retry.
TRANSIENT_MESSAGES = (
    "no combination of peers can be derived which satisfy the endorsement policy",
    "no orderers could successfully process transaction",
    "no peers available to evaluate chaincode",
    "failed to collect enough transaction endorsements",
    "failed to select a leader",
    "channel usmca not found",
)


def details_from_trailer(metadata: Iterable[tuple[str, str | bytes]] | None) -> tuple[str, tuple[ErrorDetail, ...]]:
    """The rich status message and per-node details carried in the gRPC trailing metadata ('' and () if none)."""
    for key, value in metadata or ():
        if key != DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        details = []
        for item in status.details:
            detail = gateway_pb2.ErrorDetail()
            if item.Unpack(detail):
                details.append(ErrorDetail(detail.address, detail.msp_id, detail.message))
        return status.message, tuple(details)
    return "", ()


def _cause(message: str, details: tuple[ErrorDetail, ...]) -> LedgerError | None:
    for text in (*(d.message for d in details), message):
        cause = decode_error(text)
        if cause is not None:
            return cause
    return None


@dataclass(frozen=True)
class RpcFailure:
    """A gRPC error flattened: code name, message, per-node details."""

    code: str
    message: str
    details: tuple[ErrorDetail, ...]

    @classmethod
    def of(cls, err: grpc.RpcError) -> RpcFailure:
        """Read code, message and trailer details from a (sync or asyncio) gRPC error."""
        code = err.code() if callable(getattr(err, "code", None)) else None
        message = err.details() if callable(getattr(err, "details", None)) else str(err)
        trailer = err.trailing_metadata() if callable(getattr(err, "trailing_metadata", None)) else None
        rich, details = details_from_trailer(trailer)
        return cls(code.name if code is not None else "UNKNOWN", message or rich or "", details)

    @property
    def retryable(self) -> bool:
        """True for failures that a restarting or still-converging network produces and soon stops producing."""
        if self.code in ("UNAVAILABLE", "RESOURCE_EXHAUSTED"):
            return True
        text = " ".join([self.message, *(d.message for d in self.details)])
        return self.code in ("FAILED_PRECONDITION", "ABORTED", "UNKNOWN") and any(m in text for m in TRANSIENT_MESSAGES)


def _describe(failure: RpcFailure) -> str:
    cause = _cause(failure.message, failure.details)
    if cause is not None:
        return cause.message
    if failure.details:
        nodes = "; ".join(f"{d.msp_id}@{d.address}: {d.message}" for d in failure.details)
        return f"{failure.message} ({nodes})"
    return failure.message


def to_gateway_error(
    stage: str, failure: RpcFailure, tx_id: str
) -> EndorseError | SubmitError | CommitStatusError | GatewayError:
    """The typed error for a failed ``evaluate``/``endorse``, ``submit`` or ``commit_status`` call."""
    cls: type[GatewayError] = {
        "evaluate": EndorseError,
        "endorse": EndorseError,
        "submit": SubmitError,
        "commit_status": CommitStatusError,
    }.get(stage, GatewayError)
    return cls(
        _describe(failure),
        tx_id=tx_id,
        code=failure.code,
        details=failure.details,
        cause=_cause(failure.message, failure.details),
    )
