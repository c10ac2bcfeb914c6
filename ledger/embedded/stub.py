"""A chaincode stub that simulates a transaction against committed state and records its read/write set.

It implements the same surface as fabric-chaincode-python's ``ChaincodeStub`` (async state calls, iterators that
yield ``KV``/``KeyModification`` protos, composite keys, creator dict, protobuf timestamp), so the contract code
that runs on a Fabric peer runs here unchanged. Reads record the committed version of each key, as a Fabric peer
does, so the validator can detect MVCC conflicts; range reads record the keys they saw, so phantoms are caught.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from fabric_protos.ledger.queryresult import kv_query_result_pb2 as kv_pb
from fabric_protos.peer import chaincode_event_pb2 as event_pb
from google.protobuf.timestamp_pb2 import Timestamp

#: A committed version: (block number, transaction index in block); None for an absent key.
Version = tuple[int, int]

COMPOSITE_NS = "\x00"
MIN_RUNE = "\x00"
MAX_RUNE = "\U0010ffff"


class StateReader(Protocol):
    """Read access to committed state that a simulation needs."""

    def get(self, key: str) -> tuple[bytes, Version] | None:
        """The value and version of a key, or None when absent."""
        ...

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, Version]]:
        """Values and versions of the present keys among ``keys``."""
        ...

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes, Version]]:
        """Keys in [start, end) in byte order ('' means unbounded) with their values and versions."""
        ...

    def history(self, key: str) -> Iterator[tuple[str, bytes, bool, Timestamp]]:
        """(tx_id, value, is_delete, timestamp) for every committed write of a key, oldest first."""
        ...


@dataclass
class RangeRead:
    """A range query and what it returned, re-run by the validator to detect phantom reads."""

    start: str
    end: str
    keys: list[tuple[str, Version]] = field(default_factory=list)


@dataclass
class RWSet:
    """What a simulation read (with versions) and wrote (None value = delete)."""

    reads: dict[str, Version | None] = field(default_factory=dict)
    writes: dict[str, bytes | None] = field(default_factory=dict)
    ranges: list[RangeRead] = field(default_factory=list)


class _AsyncList:
    """An async iterator over a precomputed list (the shim's iterators are async too)."""

    def __init__(self, items: list) -> None:
        self._items = items
        self._pos = 0

    def __aiter__(self) -> _AsyncList:
        return self

    async def __anext__(self) -> object:
        if self._pos >= len(self._items):
            raise StopAsyncIteration
        item = self._items[self._pos]
        self._pos += 1
        return item

    async def close(self) -> None:
        """Release the iterator (no-op; mirrors the shim's iterator API)."""
        self._pos = len(self._items)


def validate_attr(attr: object) -> str:
    """Composite key parts must be non-empty strings without the separator, as in Fabric."""
    if not isinstance(attr, str) or not attr:
        raise ValueError("object type or attribute not a non-zero length string")
    if MIN_RUNE in attr or MAX_RUNE in attr:
        raise ValueError(f"composite key attribute {attr!r} contains U+0000 or U+10FFFF")
    return attr


class SimulationStub:
    """The stub handed to ``ContractChaincode.invoke`` during endorsement or evaluation."""

    def __init__(
        self,
        state: StateReader,
        *,
        channel_id: str,
        tx_id: str,
        fn: str,
        args: list[str],
        creator_msp: str,
        creator_cert: bytes,
        timestamp: Timestamp,
        transient: dict[str, bytes] | None = None,
    ) -> None:
        self._state = state
        self.channel_id = channel_id
        self.tx_id = tx_id
        self._fn = fn
        self._args = args
        self.creator = {"mspid": creator_msp, "idBytes": creator_cert}
        self.tx_timestamp = timestamp
        self._transient = transient or {}
        self.rwset = RWSet()
        self._events: list[event_pb.ChaincodeEvent] = []

    # -- transaction metadata -------------------------------------------------------------------------------
    def get_function_and_parameters(self) -> tuple[str, list[str]]:
        """The function name and string arguments of the proposal."""
        return self._fn, list(self._args)

    def get_txid(self) -> str:
        """The transaction id."""
        return self.tx_id

    def get_channel_id(self) -> str:
        """The channel name."""
        return self.channel_id

    def get_creator(self) -> dict[str, object]:
        """``{"mspid": ..., "idBytes": PEM}`` exactly as the Fabric shim returns it."""
        return self.creator

    def get_transient(self) -> dict[str, bytes]:
        """The transient map (never written to a block)."""
        return dict(self._transient)

    def get_tx_timestamp(self) -> Timestamp:
        """The client timestamp from the proposal's channel header."""
        return self.tx_timestamp

    # -- state ------------------------------------------------------------------------------------------------
    async def get_state(self, key: str) -> bytes:
        """Committed state only, b'' when absent: like a Fabric peer, a transaction never reads its own writes."""
        found = self._state.get(key)
        if key not in self.rwset.reads:
            self.rwset.reads[key] = found[1] if found else None
        return found[0] if found else b""

    async def get_multiple_states(self, keys: list[str]) -> list[bytes]:
        """Many committed values in one read, b'' for absent keys; versions are recorded as by ``get_state``.

        Fabric 2.5+ peers offer the same batch read (``GetMultipleStates`` in the Go shim); the Python shim 2.5.4
        does not, so the chaincode uses it only when the stub has it (see ``chaincode.state.Tx.get_many``).
        """
        unique = list(dict.fromkeys(keys))
        found = self._state.get_many(unique)
        reads = self.rwset.reads
        for key in unique:
            if key not in reads:
                hit = found.get(key)
                reads[key] = hit[1] if hit else None
        return [found[k][0] if k in found else b"" for k in keys]

    async def put_state(self, key: str, value: bytes | str) -> None:
        """Record a write; keys must be non-empty (the 2.5.4 shim does not check, the peer would)."""
        if not key:
            raise ValueError("key must not be empty")
        self.rwset.writes[key] = value.encode() if isinstance(value, str) else bytes(value)

    async def delete_state(self, key: str) -> None:
        """Record a delete."""
        self.rwset.writes[key] = None

    async def get_state_by_range(self, start_key: str, end_key: str) -> _AsyncList:
        """Committed keys in [start, end); the keys and versions seen are kept for phantom detection."""
        rr = RangeRead(start_key, end_key)
        items = []
        for key, value, version in self._state.range(start_key, end_key):
            rr.keys.append((key, version))
            items.append(kv_pb.KV(namespace="", key=key, value=value))
        self.rwset.ranges.append(rr)
        return _AsyncList(items)

    async def get_state_by_partial_composite_key(self, object_type: str, attributes: list[str]) -> _AsyncList:
        """Range over every composite key that starts with the given parts."""
        prefix = self.create_composite_key(object_type, attributes)
        return await self.get_state_by_range(prefix, prefix + MAX_RUNE)

    async def get_history_for_key(self, key: str) -> _AsyncList:
        """Every committed modification of a key (not validated at commit, as in Fabric)."""
        mods = [
            kv_pb.KeyModification(tx_id=tx_id, value=value, timestamp=ts, is_delete=is_delete)
            for tx_id, value, is_delete, ts in self._state.history(key)
        ]
        return _AsyncList(mods)

    # -- events and keys --------------------------------------------------------------------------------------
    def set_event(self, name: str, payload: bytes | str | None) -> None:
        """Fabric keeps one event per transaction: the last one set wins."""
        if not isinstance(name, str) or not name:
            raise ValueError("event name must be a non-empty string")
        data = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
        self._events = [event_pb.ChaincodeEvent(tx_id=self.tx_id, event_name=name, payload=data)]

    def get_events(self) -> list[event_pb.ChaincodeEvent]:
        """The event set by the transaction, if any."""
        return list(self._events)

    def create_composite_key(self, object_type: str, attributes: list[str]) -> str:
        """Fabric's composite key: U+0000, type, U+0000, each attribute followed by U+0000."""
        key = COMPOSITE_NS + validate_attr(object_type) + MIN_RUNE
        for attr in attributes:
            key += validate_attr(attr) + MIN_RUNE
        return key

    def split_composite_key(self, composite_key: str) -> tuple[str | None, list[str]]:
        """Inverse of :meth:`create_composite_key`."""
        if not composite_key.startswith(COMPOSITE_NS):
            return None, []
        parts = composite_key[1:].split(MIN_RUNE)
        return parts[0], parts[1:-1]
