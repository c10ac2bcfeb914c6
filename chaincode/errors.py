"""The one place where domain errors become chaincode responses.

Transactions raise :mod:`ledger.errors` exceptions with messages that name the offending value. The contract
API turns any exception into a status-500 response carrying ``str(exc)``; wrapping our errors with
:func:`ledger.errors.encode_chaincode_error` keeps their kind, field and value so gateways can rebuild the
original error with :func:`ledger.errors.decode_error` instead of showing an opaque string.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from ledger.errors import LedgerError, encode_chaincode_error

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

#: Attribute set on every transaction function: "submit" writes state, "evaluate" only reads.
TX_KIND_ATTR = "__usmca_tx_kind__"
TxKind = Literal["submit", "evaluate"]


class ChaincodeError(Exception):
    """What the contract API sees: an exception whose message is an encoded :class:`LedgerError`."""

    def __init__(self, err: LedgerError) -> None:
        super().__init__(encode_chaincode_error(err))
        self.error = err


def _transaction(kind: TxKind) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except LedgerError as err:
                raise ChaincodeError(err) from err

        setattr(wrapper, TX_KIND_ATTR, kind)
        return wrapper  # type: ignore[return-value]

    return decorate


#: Decorator for a transaction that writes state (clients ``submit`` it).
submit = _transaction("submit")
#: Decorator for a read-only transaction (clients ``evaluate`` it; any member with a role may call it).
evaluate = _transaction("evaluate")


def tx_kind(fn: object) -> TxKind | None:
    """The kind a function was decorated with, None for anything that is not a transaction."""
    return getattr(fn, TX_KIND_ATTR, None)
