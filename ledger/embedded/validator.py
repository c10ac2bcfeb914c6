"""Fabric's validation phase: one implementation used at commit time and again by ``ledger verify``.

A transaction is checked in two steps. The stateless step (creator certificate and signature, transaction id,
every endorsement's certificate and signature, the endorsement policy) needs no state and can run in any thread
or process. The state step (duplicate id, MVCC read versions, phantom reads over recorded ranges) runs in block
order against the state as left by the earlier valid transactions of the chain. Invalid transactions stay in the
block with Fabric's validation code, exactly as a Fabric peer keeps them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ledger.embedded.envelope import Envelope, Proposal, Response, make_tx_id
from ledger.embedded.stub import RangeRead, Version
from ledger.errors import ParseError

VALID = "VALID"
BAD_PAYLOAD = "BAD_PAYLOAD"
BAD_CREATOR_SIGNATURE = "BAD_CREATOR_SIGNATURE"
BAD_PROPOSAL_TXID = "BAD_PROPOSAL_TXID"
BAD_RESPONSE_PAYLOAD = "BAD_RESPONSE_PAYLOAD"
TARGET_CHAIN_NOT_FOUND = "TARGET_CHAIN_NOT_FOUND"
DUPLICATE_TXID = "DUPLICATE_TXID"
ENDORSEMENT_POLICY_FAILURE = "ENDORSEMENT_POLICY_FAILURE"
MVCC_READ_CONFLICT = "MVCC_READ_CONFLICT"
PHANTOM_READ_CONFLICT = "PHANTOM_READ_CONFLICT"


class Trust(Protocol):
    """What validation needs to know about the channel: its MSPs, signatures and endorsement policy."""

    channel: str

    def member_ok(self, msp_id: str, cert: bytes, at: float | None = None) -> bool:
        """True when ``cert`` was issued by ``msp_id``'s CA and is valid at time ``at`` (None: now)."""
        ...

    def peer_ok(self, msp_id: str, cert: bytes, at: float | None = None) -> bool:
        """True when ``cert`` is a peer identity of ``msp_id``."""
        ...

    def verify(self, cert: bytes, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is a valid low-S ECDSA signature of ``data`` by ``cert``'s key."""
        ...

    def policy_satisfied(self, msp_ids: set[str]) -> bool:
        """True when endorsements from these MSPs satisfy the channel's endorsement policy."""
        ...


@dataclass(frozen=True)
class Checked:
    """A transaction after the stateless step: its code so far and the parsed parts the state step needs."""

    tx_id: str
    code: str
    proposal: Proposal | None
    response: Response | None


def check_stateless(envelope_bytes: bytes, trust: Trust) -> Checked:
    """Everything about a transaction that does not depend on state."""
    try:
        env = Envelope.from_bytes(envelope_bytes)
        proposal = Proposal.from_bytes(env.proposal_bytes)
    except ParseError:
        return Checked("", BAD_PAYLOAD, None, None)
    try:
        response = Response.from_bytes(env.response_bytes)
    except ParseError:
        return Checked(proposal.tx_id, BAD_PAYLOAD, proposal, None)
    return check_envelope(env, proposal, response, trust)


def check_envelope(env: Envelope, proposal: Proposal, response: Response, trust: Trust) -> Checked:
    """:func:`check_stateless` for an envelope already parsed (or just built: its parts are the signed bytes)."""
    tx_id = proposal.tx_id
    try:
        endorsements = env.endorsements
    except ParseError:
        return Checked(tx_id, BAD_PAYLOAD, proposal, None)
    if proposal.channel != trust.channel:
        return Checked(tx_id, TARGET_CHAIN_NOT_FOUND, proposal, response)
    at = proposal.seconds + proposal.nanos / 1e9
    if not trust.member_ok(proposal.creator_msp, proposal.creator_cert, at) or not trust.verify(
        proposal.creator_cert, env.payload, env.signature
    ):
        return Checked(tx_id, BAD_CREATOR_SIGNATURE, proposal, response)
    nonce = bytes.fromhex(proposal.nonce) if _is_hex(proposal.nonce) else b""
    if not nonce or make_tx_id(nonce, proposal.creator_cert, proposal.creator_msp) != tx_id:
        return Checked(tx_id, BAD_PROPOSAL_TXID, proposal, response)
    if response.proposal_hash != hashlib.sha256(env.proposal_bytes).hexdigest() or response.status >= 400:
        return Checked(tx_id, BAD_RESPONSE_PAYLOAD, proposal, response)
    endorsers = {
        e.msp_id
        for e in endorsements
        if trust.peer_ok(e.msp_id, e.cert, at) and trust.verify(e.cert, env.response_bytes, e.signature)
    }
    if not trust.policy_satisfied(endorsers):
        return Checked(tx_id, ENDORSEMENT_POLICY_FAILURE, proposal, response)
    return Checked(tx_id, VALID, proposal, response)


def prechecked(tx_id: str, code: str, envelope_bytes: bytes) -> Checked:
    """The result of :func:`check_stateless` run in another process, with what the state step needs parsed again.

    Only results from this client's own peer processes are taken this way (see ``peers.EndorserPool``).
    """
    if code != VALID:
        return Checked(tx_id, code, None, None)
    try:
        response = Response.from_bytes(Envelope.from_bytes(envelope_bytes).response_bytes)
    except ParseError:
        return Checked(tx_id, BAD_PAYLOAD, None, None)
    return Checked(tx_id, code, None, response)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


class StateView(Protocol):
    """The committed state as the state step sees it (including earlier valid transactions of this block)."""

    def versions(self, keys: list[str]) -> dict[str, Version]:
        """Current versions of the present keys among ``keys`` (absent keys are left out)."""
        ...

    def range_versions(self, start: str, end: str) -> list[tuple[str, Version]]:
        """(key, version) of every present key in [start, end), in byte order."""
        ...


def check_state(checked: Checked, view: StateView, seen: Callable[[str], bool]) -> str:
    """The state step: duplicate transaction id, then MVCC on every read, then phantom reads on every range."""
    if checked.code != VALID:
        return checked.code
    if seen(checked.tx_id):
        return DUPLICATE_TXID
    if checked.response is None:  # a configuration transaction (genesis) has no read/write set
        return VALID
    rw = checked.response.rwset
    current = view.versions(list(rw.reads))
    for key, version in rw.reads.items():
        if current.get(key) != version:
            return MVCC_READ_CONFLICT
    for rr in rw.ranges:
        if not _same_range(rr, view):
            return PHANTOM_READ_CONFLICT
    return VALID


def _same_range(rr: RangeRead, view: StateView) -> bool:
    return view.range_versions(rr.start, rr.end) == list(rr.keys)


def block_hashes(
    number: int, previous_hash: str, envelopes: Iterable[bytes], codes: Iterable[str], created_at: str
) -> tuple[str, str, str]:
    """(data_hash, metadata_hash, block hash): the header fields that chain blocks together."""
    data = hashlib.sha256(b"".join(hashlib.sha256(e).digest() for e in envelopes)).hexdigest()
    meta = hashlib.sha256("\n".join(codes).encode()).hexdigest()
    header = f"{number}|{previous_hash}|{data}|{meta}|{created_at}".encode()
    return data, meta, hashlib.sha256(header).hexdigest()
