"""The one client interface both backends implement, shaped like Hyperledger fabric-gateway.

``evaluate`` runs a query on an endorsing peer; ``submit`` endorses, orders and waits for the commit;
``submit_async`` returns as soon as the transaction is handed to the orderer, with a handle whose
``get_status()`` waits for the commit. Committed blocks are streamed from a checkpoint so that listeners such as
the read model restart exactly where they stopped. Errors are the typed ``GatewayError`` subclasses of
``ledger.errors`` and always carry the transaction id.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ledger.errors import CommitError

VALID = "VALID"


@dataclass(frozen=True)
class Write:
    """One key written by a transaction (``value`` None means the key was deleted)."""

    key: str
    value: bytes | None


@dataclass(frozen=True)
class ChaincodeEvent:
    """The event a transaction emitted (Fabric keeps at most one per transaction)."""

    name: str
    payload: bytes


@dataclass(frozen=True)
class CommittedTransaction:
    """A transaction as it stands in a committed block, valid or not."""

    tx_id: str
    index: int
    code: str
    creator_msp: str
    function: str
    timestamp: str
    writes: tuple[Write, ...] = ()
    event: ChaincodeEvent | None = None

    @property
    def valid(self) -> bool:
        """Only valid transactions changed the state."""
        return self.code == VALID


@dataclass(frozen=True)
class Block:
    """A committed block: its number and hash chain link, and every transaction in it."""

    number: int
    hash: str
    previous_hash: str
    transactions: tuple[CommittedTransaction, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Status:
    """The commit outcome of one transaction."""

    tx_id: str
    code: str
    block_number: int

    @property
    def successful(self) -> bool:
        """True when the transaction committed as valid."""
        return self.code == VALID


class SubmittedTransaction(Protocol):
    """A transaction handed to the orderer; ``result`` is the chaincode's answer from endorsement."""

    @property
    def tx_id(self) -> str:
        """The transaction id."""
        ...

    @property
    def result(self) -> bytes:
        """The endorsed chaincode response payload."""
        ...

    def get_status(self, timeout: float | None = None) -> Status:
        """Wait for the commit and return its status (raises CommitStatusError on timeout)."""
        ...


class Gateway(Protocol):
    """A connection to the ledger as one member identity."""

    @property
    def msp_id(self) -> str:
        """The MSP of the identity this gateway signs with."""
        ...

    def evaluate(self, function: str, *args: str) -> bytes:
        """Run a query and return its payload; nothing is ordered. Raises EndorseError."""
        ...

    def submit(self, function: str, *args: str) -> bytes:
        """Endorse, order and wait for a valid commit. Raises EndorseError, SubmitError, CommitError."""
        ...

    def submit_async(self, function: str, *args: str) -> SubmittedTransaction:
        """Endorse and hand to the orderer without waiting. Raises EndorseError, SubmitError."""
        ...

    def blocks(self, start: int = 0, *, follow: bool = True) -> Iterator[Block]:
        """Committed blocks from ``start``; with ``follow`` it waits for new ones, else stops at the tip."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_committed(status: Status) -> Status:
    """Raise CommitError when a transaction committed as invalid (MVCC conflict, policy failure, ...)."""
    if not status.successful:
        raise CommitError(
            f"transaction {status.tx_id} committed as {status.code} in block {status.block_number}",
            tx_id=status.tx_id,
            code=status.code,
        )
    return status


def submit_json(gateway: Gateway, function: str, payload: Any) -> Any:
    """Submit a transaction whose only argument is a JSON document and decode its JSON answer."""
    raw = gateway.submit(function, json.dumps(payload, sort_keys=True, separators=(",", ":")))
    return json.loads(raw) if raw else None


def evaluate_json(gateway: Gateway, function: str, *args: str) -> Any:
    """Evaluate a query and decode its JSON answer."""
    raw = gateway.evaluate(function, *args)
    return json.loads(raw) if raw else None


class Checkpointer(Protocol):
    """Where a block listener records how far it got (fabric-gateway's Checkpointer)."""

    @property
    def block_number(self) -> int:
        """The next block to process."""
        ...

    def checkpoint(self, block_number: int) -> None:
        """Record that every block before ``block_number + 1`` has been processed."""
        ...


class InMemoryCheckpointer:
    """A checkpointer for tests and one-shot listeners."""

    def __init__(self, start: int = 0) -> None:
        self._next = start

    @property
    def block_number(self) -> int:
        """The next block to process."""
        return self._next

    def checkpoint(self, block_number: int) -> None:
        """Remember that ``block_number`` was processed."""
        self._next = block_number + 1


class FileCheckpointer:
    """A checkpointer persisted atomically to a small JSON file (write to a temp file, then rename)."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._next = 0
        if self._path.exists():
            self._next = int(json.loads(self._path.read_text())["next_block"])

    @property
    def block_number(self) -> int:
        """The next block to process."""
        return self._next

    def checkpoint(self, block_number: int) -> None:
        """Persist that ``block_number`` was processed."""
        self._next = block_number + 1
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".ckpt-")
        with os.fdopen(fd, "w") as fh:
            json.dump({"next_block": self._next}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._path)
