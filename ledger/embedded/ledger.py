"""The embedded ledger of one home directory and the gateways its members connect through.

Execute: see ``peers.py`` (endorsing peers, in worker processes unless ``USMCA_ENDORSERS=0``). Order and
validate: see ``orderer.py`` and ``validator.py``. Queries (``evaluate``) run in the calling process: they are
never ordered, and a round trip to a peer process would only add latency.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.embedded.envelope import Endorsement, Envelope, Proposal, Response
from ledger.embedded.orderer import Orderer, commit_block
from ledger.embedded.peers import CHAINCODE_NAME, Endorser, EndorserPool, Transacted, pool_size, propose
from ledger.embedded.store import Store
from ledger.embedded.trust import ChannelTrust, genesis_config
from ledger.embedded.validator import Checked
from ledger.errors import CommitStatusError, NotFound
from ledger.gateway import Block, ChaincodeEvent, CommittedTransaction, Status, Write, check_committed
from ledger.identity.network import Member, Network, load_network

__all__ = ["CHAINCODE_NAME", "LEDGER_FILE", "EmbeddedGateway", "EmbeddedLedger"]

LEDGER_FILE = "ledger.db"


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


#: Arguments of at least this many characters (a batch of a few hundred scans) start the peer processes.
LARGE_ARGS = 64 * 1024


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
        self.endorser = Endorser(network, self.store, self.trust)
        self._pool_size = pool_size()
        self._in_flight_lock = threading.Lock()
        self._in_flight = 0
        self._pool: EndorserPool | None = None
        self._warming = False
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
        """Flush and stop the orderer, then stop the endorsing peer processes."""
        if self._orderer is not None:
            self._orderer.stop()
            self._orderer = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def orderer(self) -> Orderer:
        """The orderer thread, started on first submit."""
        with self._orderer_lock:
            if self._orderer is None:
                self._orderer = Orderer(self.store, self.trust, expected=self._executing)
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
    @property
    def endorsers(self) -> EndorserPool | None:
        """The endorsing peer processes, started now if need be (None when this process endorses itself)."""
        with self._orderer_lock:
            if self._pool is None and self._pool_size:
                self._pool = EndorserPool(self.home, self._pool_size)
            pool = self._pool
        if pool is not None:
            pool.warm()
        return pool

    def _start_peers(self) -> None:
        """Start the peer processes on a background thread (once); transactions run here until one is up."""
        with self._orderer_lock:
            if self._warming:
                return
            self._warming = True
        threading.Thread(target=lambda: self.endorsers, name="usmca-peers-start", daemon=True).start()

    def simulate(self, proposal: Proposal, proposal_bytes: bytes, signature: bytes) -> Response:
        """Check the proposal's creator and signature, then run the chaincode against a state snapshot."""
        return self.endorser.simulate(proposal, proposal_bytes, signature)

    def endorse(self, creator_msp: str, response_bytes: bytes) -> tuple[Endorsement, ...]:
        """Peers sign the response, the creator's org first, until the endorsement policy is satisfied."""
        return self.endorser.endorse(creator_msp, response_bytes)

    def transact(self, member: Member, function: str, args: tuple[str, ...]) -> Transacted:
        """A transaction up to ordering (see ``Endorser.transact``): on the peer processes once submits overlap.

        Chaincode simulation, signing and checking are about a millisecond of CPU per transaction, most of it
        Python holding the GIL, so concurrent submitters in one process would share one core; on the peer
        processes each gets a core, and this process only orders and commits. A lone client (a CLI command, a
        sequential station agent) gains nothing from a peer process, so the peers start only when submits
        overlap or a transaction is a large batch (starting takes about a second, in the background: meanwhile
        transactions run here), and take every transaction from then on. A large batch counts because it runs
        long enough for this process's other threads (an API server's read model and EPCIS keeper) to need the
        GIL it would hold.
        """
        with self._in_flight_lock:
            wants_peers = self._in_flight > 0 or self._pool is not None or sum(map(len, args)) >= LARGE_ARGS
            self._in_flight += 1
        try:
            pool = self._pool
            if pool is not None and pool.ready:
                return pool.transact(member, function, args)
            if wants_peers and self._pool_size:
                self._start_peers()  # no stall: this transaction and those until a peer is up run here
            return self.endorser.transact(member, function, args)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _executing(self) -> int:
        """Transactions of this process between proposal and ordering (the orderer waits briefly for them)."""
        return self._in_flight

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


# Every process that opened a ledger leaves its file whole when it exits normally (CLI commands, ``usmca serve``
# after Ctrl-C, the station agent): see Orderer.stop. Nothing to do in a process that opened none.
atexit.register(EmbeddedLedger.close_all)


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
        return propose(self._member, self._ledger.trust.channel, function, args)

    def evaluate(self, function: str, *args: str) -> bytes:
        """Run a query on the org's peer; nothing is ordered."""
        prop, data, sig = self._proposal(function, args)
        return self._ledger.simulate(prop, data, sig).payload

    def submit_async(self, function: str, *args: str) -> _Submitted:
        """Endorse and hand to the orderer; ``get_status()`` waits for the commit."""
        done = self._ledger.transact(self._member, function, tuple(str(a) for a in args))
        fut = self._ledger.orderer.submit(done.tx_id, done.envelope, done.checked)
        return _Submitted(done.tx_id, done.payload, fut)

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
