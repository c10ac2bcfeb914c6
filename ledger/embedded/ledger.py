"""The embedded ledger of one home directory and the gateways its members connect through.

Execute: the proposal's creator is checked against its org's CA and signature, then the chaincode (the same
``ContractChaincode`` a Fabric peer runs) is simulated against a snapshot of committed state, recording the
read/write set; each endorsing org's peer signs the response until the endorsement policy is satisfied. One
simulation serves every endorser because they share this state database: a Fabric peer set would compute the
same read/write set. Order and validate: see ``orderer.py`` and ``validator.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ledger.embedded.envelope import (
    Endorsement,
    Envelope,
    Proposal,
    Response,
    encode_endorsements,
    make_tx_id,
)
from ledger.embedded.orderer import Orderer, commit_block
from ledger.embedded.store import Store
from ledger.embedded.stub import SimulationStub
from ledger.embedded.trust import ChannelTrust, genesis_config
from ledger.embedded.validator import Checked
from ledger.errors import CommitStatusError, EndorseError, ErrorDetail, NotFound, decode_error
from ledger.gateway import Block, ChaincodeEvent, CommittedTransaction, Status, Write, check_committed
from ledger.identity.network import Network, load_network

CHAINCODE_NAME = "usmca"
LEDGER_FILE = "ledger.db"

_loops = threading.local()


def _loop() -> asyncio.AbstractEventLoop:
    """One event loop per thread to run the async contract API synchronously."""
    loop = getattr(_loops, "loop", None)
    if loop is None:
        loop = asyncio.new_event_loop()
        _loops.loop = loop
    return loop


def run_sync(make_coro: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a contract coroutine to completion without an event loop round trip when it never suspends.

    Our stub's async calls complete immediately, so a transaction normally finishes on its first step; this
    saves the selector poll an event loop makes per call. Should a coroutine suspend on a real future, it is
    closed and run again, from scratch, on this thread's event loop (simulation has no side effects).
    """
    coro = make_coro()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    return _loop().run_until_complete(make_coro())


@dataclass(frozen=True)
class _Submitted:
    tx_id: str
    result: bytes
    _future: Any

    def get_status(self, timeout: float | None = 60.0) -> Status:
        try:
            return self._future.result(timeout=timeout)
        except FutureTimeout as exc:
            raise CommitStatusError(
                f"no commit status for {self.tx_id} after {timeout} s",
                tx_id=self.tx_id,
                code="DEADLINE_EXCEEDED",
            ) from exc


class EmbeddedLedger:
    """Everything one process needs to run transactions against ``home/ledger.db``."""

    _instances: dict[Path, EmbeddedLedger] = {}
    _instances_lock = threading.Lock()

    def __init__(self, home: Path, network: Network) -> None:
        self.home = home
        self.network = network
        self.store = Store(home / LEDGER_FILE)
        if self.store.height() == 0:
            config = genesis_config(network)
            commit_genesis(self.store, config)
        self.trust = ChannelTrust.from_genesis(self.store, network.crls())
        from chaincode import build_chaincode

        self._chaincode = build_chaincode()
        self._orderer: Orderer | None = None
        self._orderer_lock = threading.Lock()

    @classmethod
    def open(cls, home: str | os.PathLike[str]) -> EmbeddedLedger:
        """The process-wide ledger of a home (created with its genesis block on first use)."""
        path = Path(home).resolve()
        with cls._instances_lock:
            led = cls._instances.get(path)
            if led is None:
                led = cls(path, load_network(path))
                cls._instances[path] = led
            return led

    @classmethod
    def close_all(cls) -> None:
        """Stop every orderer thread of this process (tests and shutdown)."""
        with cls._instances_lock:
            for led in cls._instances.values():
                led.close()
            cls._instances.clear()

    def close(self) -> None:
        """Flush and stop the orderer."""
        if self._orderer is not None:
            self._orderer.stop()
            self._orderer = None

    @property
    def orderer(self) -> Orderer:
        """The orderer thread, started on first submit."""
        with self._orderer_lock:
            if self._orderer is None:
                self._orderer = Orderer(self.store, self.trust)
            return self._orderer

    def wait_for_block(self, height: int, timeout: float) -> bool:
        """Wait until the chain is ``height`` blocks long; wakes as soon as this process commits one."""
        if self._orderer is not None:
            return self._orderer.wait_for_height(height, timeout)
        deadline = time.monotonic() + timeout
        while self.store.height() < height:
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.05, timeout))
        return True

    def gateway(self, msp_id: str, member: str) -> EmbeddedGateway:
        """Connect as one member of an org."""
        return EmbeddedGateway(self, msp_id, member)

    # -- execute ---------------------------------------------------------------------------------------------
    def simulate(self, proposal: Proposal, proposal_bytes: bytes, signature: bytes) -> Response:
        """Check the proposal's creator and signature, then run the chaincode against a state snapshot."""
        tx = proposal.tx_id
        if not self.trust.member_ok(proposal.creator_msp, proposal.creator_cert):
            raise EndorseError(
                f"creator of {tx} is not a member of {proposal.creator_msp}",
                tx_id=tx,
                code="PERMISSION_DENIED",
            )
        if not self.trust.verify(proposal.creator_cert, proposal_bytes, signature):
            raise EndorseError(f"bad proposal signature on {tx}", tx_id=tx, code="PERMISSION_DENIED")
        ts = Timestamp(seconds=proposal.seconds, nanos=proposal.nanos)
        stub: SimulationStub | None = None
        with self.store.snapshot() as reader:

            def invocation() -> Coroutine[Any, Any, Any]:
                nonlocal stub
                stub = SimulationStub(
                    reader,
                    channel_id=proposal.channel,
                    tx_id=tx,
                    fn=proposal.function,
                    args=list(proposal.args),
                    creator_msp=proposal.creator_msp,
                    creator_cert=proposal.creator_cert,
                    timestamp=ts,
                )
                return self._chaincode.invoke(stub)

            resp = run_sync(invocation)
        assert stub is not None
        if resp.status >= 400:
            cause = decode_error(resp.message)
            peer = self.network.peer(proposal.creator_msp)
            detail = ErrorDetail(
                peer.address, proposal.creator_msp, f"chaincode response {resp.status}, {resp.message}"
            )
            text = cause.message if cause else resp.message
            raise EndorseError(text, tx_id=tx, code="ABORTED", details=(detail,), cause=cause)
        events = stub.get_events()
        event = (events[-1].event_name, events[-1].payload) if events else None
        return Response(
            hashlib.sha256(proposal_bytes).hexdigest(),
            resp.status,
            resp.message,
            resp.payload,
            stub.rwset,
            event,
        )

    def endorse(self, creator_msp: str, response_bytes: bytes) -> tuple[Endorsement, ...]:
        """Peers sign the response, the creator's org first, until the endorsement policy is satisfied."""
        named = self.trust.policy.msp_ids or frozenset(self.trust.msp_ids)
        order = ([creator_msp] if creator_msp in named else []) + sorted(m for m in named if m != creator_msp)
        chosen: list[Endorsement] = []
        msps: set[str] = set()
        for msp in order:
            peer = self.network.peer(msp)
            chosen.append(Endorsement(msp, peer.cert_pem, peer.signer.sign(response_bytes)))
            msps.add(msp)
            if self.trust.policy_satisfied(msps):
                return tuple(chosen)
        raise EndorseError("no set of peers satisfies the endorsement policy", code="FAILED_PRECONDITION")

    # -- blocks ----------------------------------------------------------------------------------------------
    def blocks(self, start: int = 0, *, follow: bool = True, poll: float = 0.2) -> Iterator[Block]:
        """Committed blocks from ``start``; waits for new ones when ``follow`` (commits from any process)."""
        number = start
        while True:
            height = self.store.height()
            while number < height:
                yield self.read_block(number)
                number += 1
            if not follow:
                return
            if self._orderer is not None:
                self._orderer.wait_for_height(number + 1, poll)
            else:
                time.sleep(poll)

    def read_block(self, number: int) -> Block:
        """Decode one stored block into the backend-neutral form."""
        header = self.store.block(number)
        if header is None:
            raise NotFound(f"block {number} does not exist", value=number)
        txs = []
        for row in self.store.block_txs(number):
            if number == 0:
                txs.append(CommittedTransaction(row.tx_id, row.index, row.code, "", "config", header.created_at))
                continue
            env = Envelope.from_bytes(row.envelope)
            prop = Proposal.from_bytes(env.proposal_bytes)
            resp = Response.from_bytes(env.response_bytes)
            writes = tuple(Write(k, v) for k, v in sorted(resp.rwset.writes.items()))
            event = ChaincodeEvent(*resp.event) if resp.event else None
            txs.append(
                CommittedTransaction(
                    row.tx_id,
                    row.index,
                    row.code,
                    prop.creator_msp,
                    prop.function,
                    prop.timestamp_iso,
                    writes,
                    event,
                )
            )
        return Block(header.number, header.hash, header.previous_hash, tuple(txs))


def commit_genesis(store: Store, config: dict[str, Any]) -> None:
    """Block 0 holds the channel configuration (MSP roots and policy), the root of trust for ``verify``."""
    data = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    tx_id = "genesis-" + hashlib.sha256(data).hexdigest()
    commit_block(store, [data], [Checked(tx_id, "VALID", None, None)])


class EmbeddedGateway:
    """A member's connection to the embedded ledger (the fabric-gateway client shape)."""

    def __init__(self, ledger: EmbeddedLedger, msp_id: str, member: str) -> None:
        self._ledger = ledger
        self._member = ledger.network.member(msp_id, member)
        self._msp = msp_id

    @property
    def msp_id(self) -> str:
        """The member's MSP."""
        return self._msp

    @property
    def member_name(self) -> str:
        """The member's name."""
        return self._member.name

    def _proposal(self, function: str, args: tuple[str, ...]) -> tuple[Proposal, bytes, bytes]:
        nonce = os.urandom(24)
        cert = self._member.cert_pem
        now = time.time_ns()
        prop = Proposal(
            self._ledger.trust.channel,
            CHAINCODE_NAME,
            make_tx_id(nonce, cert, self._msp),
            nonce.hex(),
            now // 1_000_000_000,
            now % 1_000_000_000,
            self._msp,
            cert,
            function,
            tuple(str(a) for a in args),
        )
        data = prop.to_bytes()
        return prop, data, self._member.signer.sign(data)

    def evaluate(self, function: str, *args: str) -> bytes:
        """Run a query on the org's peer; nothing is ordered."""
        prop, data, sig = self._proposal(function, args)
        return self._ledger.simulate(prop, data, sig).payload

    def submit_async(self, function: str, *args: str) -> _Submitted:
        """Endorse and hand to the orderer; ``get_status()`` waits for the commit."""
        prop, data, sig = self._proposal(function, args)
        resp = self._ledger.simulate(prop, data, sig)
        resp_bytes = resp.to_bytes()
        endorsements = self._ledger.endorse(self._msp, resp_bytes)
        ends = encode_endorsements(endorsements)
        payload = Envelope(data, resp_bytes, ends, b"").payload
        env = Envelope(data, resp_bytes, ends, self._member.signer.sign(payload))
        fut = self._ledger.orderer.submit(prop.tx_id, env.to_bytes())
        return _Submitted(prop.tx_id, resp.payload, fut)

    def submit(self, function: str, *args: str) -> bytes:
        """Endorse, order, and wait for a valid commit."""
        sub = self.submit_async(function, *args)
        check_committed(sub.get_status())
        return sub.result

    def blocks(self, start: int = 0, *, follow: bool = True) -> Iterator[Block]:
        """Committed blocks from ``start``."""
        return self._ledger.blocks(start, follow=follow)

    def close(self) -> None:
        """Nothing to release per gateway; the ledger is shared by the process."""
