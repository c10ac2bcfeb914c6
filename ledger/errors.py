"""The project's one error hierarchy.

Every package raises these; ``api`` maps them to HTTP problem+json in one handler, ``chaincode`` maps them
to chaincode responses in one place, and the CLI prints them as one line with exit code 2. Messages name
the offending value so that a user can fix the input without reading a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar


class LedgerError(Exception):
    """Base of every error the project raises on purpose."""

    #: Short machine-readable kind, used in problem+json ``type`` and in chaincode responses.
    kind: ClassVar[str] = "error"
    #: HTTP status the API answers with.
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, value: Any = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (kind, message, and the offending field and value when known)."""
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = self.value if isinstance(self.value, str | int | float | bool) else str(self.value)
        return out


class ParseError(LedgerError):
    """Input that cannot be read at all (a malformed barcode string, JSON, certificate...)."""

    kind = "parse_error"
    http_status = 422


class ValidationError(LedgerError):
    """Input that is well formed but breaks a rule (bad check digit, period over 12 months...)."""

    kind = "validation_error"
    http_status = 422


class NotFound(LedgerError):
    """A referenced record does not exist."""

    kind = "not_found"
    http_status = 404


class Conflict(LedgerError):
    """The request contradicts stored state (already commissioned, already consumed, ...)."""

    kind = "conflict"
    http_status = 409


class Forbidden(LedgerError):
    """The caller's organization or role may not do this."""

    kind = "forbidden"
    http_status = 403


class Unauthenticated(LedgerError):
    """No valid credential was presented."""

    kind = "unauthenticated"
    http_status = 401


class LedgerFormatError(ValidationError):
    """A ledger file written by a version of this software with another byte format (see its genesis block)."""

    kind = "ledger_format_error"


class PayloadTooLarge(LedgerError):
    """A request body or batch exceeds the documented limit."""

    kind = "payload_too_large"
    http_status = 413


_BY_KIND: dict[str, type[LedgerError]] = {
    c.kind: c for c in (ParseError, ValidationError, NotFound, Conflict, Forbidden, Unauthenticated)
}

#: Prefix that marks a chaincode error message as a serialized LedgerError.
CHAINCODE_ERROR_PREFIX = "usmca-error:"


def encode_chaincode_error(err: LedgerError) -> str:
    """Serialize a domain error into a chaincode response message (read back by :func:`decode_error`)."""
    return CHAINCODE_ERROR_PREFIX + json.dumps(err.to_dict(), sort_keys=True, separators=(",", ":"))


def decode_error(message: str) -> LedgerError | None:
    """Rebuild the domain error from a chaincode response message, or None when it is not one of ours."""
    idx = message.find(CHAINCODE_ERROR_PREFIX)
    if idx < 0:
        return None
    try:
        data = json.loads(message[idx + len(CHAINCODE_ERROR_PREFIX) :])
    except ValueError:
        return None
    cls = _BY_KIND.get(data.get("kind", ""), LedgerError)
    return cls(data.get("message", ""), value=data.get("value"), field=data.get("field"))


@dataclass(frozen=True)
class ErrorDetail:
    """What one endorsing or ordering node said about a failed transaction (fabric-gateway's ErrorDetail)."""

    address: str
    msp_id: str
    message: str


class GatewayError(LedgerError):
    """A transaction failed on its way through endorsement, ordering or commit.

    Mirrors fabric-gateway: carries the transaction id, a gRPC-like status code, and one detail per node.
    ``cause`` is the domain error the chaincode raised, when there is one, so the API can answer with it.
    """

    kind = "gateway_error"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        tx_id: str = "",
        code: str = "",
        details: tuple[ErrorDetail, ...] = (),
        cause: LedgerError | None = None,
    ) -> None:
        super().__init__(message)
        self.tx_id = tx_id
        self.code = code
        self.details = details
        self.cause = cause


class EndorseError(GatewayError):
    """Endorsement failed: the chaincode refused the transaction or no peer could run it."""

    kind = "endorse_error"


class SubmitError(GatewayError):
    """The endorsed transaction could not be handed to the orderer."""

    kind = "submit_error"
    http_status = 503


class CommitStatusError(GatewayError):
    """The commit status of a submitted transaction could not be obtained (it may still commit)."""

    kind = "commit_status_error"
    http_status = 504


class CommitError(GatewayError):
    """The transaction was ordered but committed as invalid (``code`` is Fabric's validation code)."""

    kind = "commit_error"
    http_status = 409


@dataclass(frozen=True)
class Problem:
    """Everything needed to render an error as RFC 9457 problem+json or a one-line CLI message."""

    status: int
    kind: str
    title: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


def to_problem(err: LedgerError) -> Problem:
    """Flatten any project error (unwrapping a gateway error's chaincode cause) into a :class:`Problem`."""
    if isinstance(err, GatewayError) and err.cause is not None:
        inner = to_problem(err.cause)
        return Problem(inner.status, inner.kind, inner.title, inner.detail, {**inner.extra, "tx_id": err.tx_id})
    extra: dict[str, Any] = {}
    if err.field is not None:
        extra["field"] = err.field
    if err.value is not None:
        extra["value"] = err.to_dict().get("value")
    if isinstance(err, GatewayError):
        extra["tx_id"] = err.tx_id
        if err.code:
            extra["code"] = err.code
    title = err.kind.replace("_", " ").capitalize()
    return Problem(err.http_status, err.kind, title, err.message, extra)
