"""The execute phase: endorsing peers that check a proposal, simulate the chaincode and sign the result.

:class:`Endorser` is one home's peer set: it checks the proposal's creator and signature, runs the chaincode (the
same ``ContractChaincode`` a Fabric peer runs) against a snapshot of committed state while recording the read/write
set, and has each endorsing org's peer sign the response until the endorsement policy holds. One simulation serves
every endorser because they share this state database: a Fabric peer set would compute the same read/write set.

:class:`EndorserPool` runs endorsers in worker processes, as Fabric runs peers apart from its clients: chaincode
simulation is Python under the GIL, so endorsing in the submitting process would serialize every client thread,
the orderer and the API on one core. Workers are forked from a preloaded fork server (see :func:`serve_forks`),
talk length-prefixed bytes over a socket, and exit when their client goes away (the socket closes), so a killed
client leaves no peers behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Coroutine
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ledger.embedded.envelope import (
    Endorsement,
    Envelope,
    Proposal,
    Response,
    encode_endorsements,
    frames,
    make_tx_id,
    unframe,
)
from ledger.embedded.store import Store
from ledger.embedded.stub import SimulationStub
from ledger.embedded.trust import ChannelTrust
from ledger.embedded.validator import Checked, check_envelope, prechecked
from ledger.errors import EndorseError, ErrorDetail, LedgerError, NotFound, ValidationError, decode_error
from ledger.identity.network import Member, Network, load_network

#: The chaincode every proposal of the embedded ledger addresses.
CHAINCODE_NAME = "usmca"

#: Environment variable setting the number of endorser processes (0: endorse in the submitting process).
ENDORSERS_ENV = "USMCA_ENDORSERS"

_loops = threading.local()


def run_sync(make_coro: Any) -> Any:
    """Run a contract coroutine to completion without an event loop round trip when it never suspends.

    Our stub's async calls complete immediately, so a transaction normally finishes on its first step; this
    saves the selector poll an event loop makes per call. Should a coroutine suspend on a real future, it is
    closed and run again, from scratch, on this thread's event loop (simulation has no side effects).
    """
    import asyncio

    coro: Coroutine[Any, Any, Any] = make_coro()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    loop = getattr(_loops, "loop", None)
    if loop is None:
        loop = asyncio.new_event_loop()
        _loops.loop = loop
    return loop.run_until_complete(make_coro())


def propose(member: Member, channel: str, function: str, args: tuple[str, ...]) -> tuple[Proposal, bytes, bytes]:
    """The client's side of a proposal: a fresh nonce and transaction id, the canonical bytes, their signature."""
    nonce = os.urandom(24)
    cert = member.cert_pem
    now = time.time_ns()
    prop = Proposal(
        channel,
        CHAINCODE_NAME,
        make_tx_id(nonce, cert, member.msp_id),
        nonce.hex(),
        now // 1_000_000_000,
        now % 1_000_000_000,
        member.msp_id,
        cert,
        function,
        tuple(str(a) for a in args),
    )
    data = prop.to_bytes()
    return prop, data, member.signer.sign(data)


class Transacted:
    """A transaction ready to order: its envelope, the chaincode's answer and the stateless validation result."""

    __slots__ = ("checked", "envelope", "payload", "tx_id")

    def __init__(self, tx_id: str, envelope: bytes, payload: bytes, checked: Checked) -> None:
        self.tx_id = tx_id
        self.envelope = envelope
        self.payload = payload
        self.checked = checked


class Endorser:
    """The peers of one ledger home: proposal checks, simulation and endorsement signatures."""

    def __init__(self, network: Network, store: Store, trust: ChannelTrust) -> None:
        from chaincode import build_chaincode

        self.network = network
        self.store = store
        self.trust = trust
        self._chaincode = build_chaincode()

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

    def execute(self, proposal: Proposal, proposal_bytes: bytes, signature: bytes) -> Executed:
        """Simulate and endorse: everything a client needs to build the transaction envelope."""
        resp = self.simulate(proposal, proposal_bytes, signature)
        resp_bytes = resp.to_bytes()
        return Executed(resp_bytes, encode_endorsements(self.endorse(proposal.creator_msp, resp_bytes)), resp)

    def transact(self, member: Member, function: str, args: tuple[str, ...]) -> Transacted:
        """A whole transaction up to ordering: propose, simulate, endorse, sign the envelope, check it.

        The stateless checks (creator and endorsement signatures, policy) are the validator's, run here so the
        orderer only runs the state checks; they are the same checks ``ledger verify`` repeats over the chain.
        """
        prop, data, sig = propose(member, self.trust.channel, function, args)
        done = self.execute(prop, data, sig)
        unsigned = Envelope(data, done.response_bytes, done.endorsements, b"")
        envelope = Envelope(data, done.response_bytes, done.endorsements, member.signer.sign(unsigned.payload))
        envelope.__dict__["payload"] = unsigned.payload  # the bytes just signed, not framed a second time
        checked = check_envelope(envelope, prop, done.response, self.trust)
        return Transacted(prop.tx_id, envelope.to_bytes(), done.payload, checked)


class Executed:
    """An endorsed proposal: the response bytes every endorser signed, the endorsements, the parsed response."""

    __slots__ = ("endorsements", "response", "response_bytes")

    def __init__(self, response_bytes: bytes, endorsements: bytes, response: Response) -> None:
        self.response_bytes = response_bytes
        self.endorsements = endorsements
        self.response = response

    @property
    def payload(self) -> bytes:
        """The chaincode's answer."""
        return self.response.payload


def pool_size() -> int:
    """Endorser processes to run: ``USMCA_ENDORSERS`` or one per core (none on a single core)."""
    raw = os.environ.get(ENDORSERS_ENV)
    if raw is not None and raw.strip():
        try:
            n = int(raw)
        except ValueError:
            raise ValidationError(f"{ENDORSERS_ENV}={raw!r} is not a whole number", value=raw) from None
        return max(0, min(n, 64))
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


_OK, _ERR = b"\x00", b"\x01"


def _worker_main(conn: Connection, home: str) -> None:
    """A peer process: run the client's transactions from the pipe until the parent closes it."""
    try:
        home_path = Path(home)
        network = load_network(home_path)
        store = Store(home_path / "ledger.db")
        endorser = Endorser(network, store, ChannelTrust.from_genesis(store, network.crls()))
    except Exception as exc:
        conn.send_bytes(_ERR + _pickled(exc))
        return
    conn.send_bytes(_OK + str(os.getpid()).encode())
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            msp, name, function, *args = (p.decode("utf-8") for p in unframe(request))
            try:
                member = endorser.network.member(msp, name)
            except NotFound:  # enrolled after this peer started
                endorser.network = load_network(home_path)
                member = endorser.network.member(msp, name)
            done = endorser.transact(member, function, tuple(args))
            answer = _OK + frames(done.tx_id.encode(), done.checked.code.encode(), done.envelope, done.payload)
        except Exception as exc:  # every failure goes back to the client as data, never kills the peer
            answer = _ERR + _pickled(exc)
        try:
            conn.send_bytes(answer)
        except (EOFError, OSError):
            return


def _pickled(exc: Exception) -> bytes:
    if not isinstance(exc, LedgerError):
        exc = EndorseError(f"endorsing peer failed: {type(exc).__name__}: {exc}", code="INTERNAL")
    try:
        return pickle.dumps(exc)
    except Exception:
        return pickle.dumps(EndorseError(str(exc), code="INTERNAL"))


def _unpickled(data: bytes) -> Exception:
    return pickle.loads(data)  # type: ignore[no-any-return]  # noqa: S301 - written by our own child process


def serve_forks(control: socket.socket) -> None:
    """The fork server: a clean, single-threaded process with the chaincode imported, forking one peer per request.

    Forking the client itself is unsafe (its threads may hold locks) and starting each peer from scratch costs
    ~0.6 s of imports, so each client process starts this server once and asks it for peers: a request is a home
    path plus one end of a socket pair (passed as a file descriptor); the forked child serves that socket. The
    server exits when the client's control socket closes; children are reaped by the kernel (SIGCHLD ignored).
    """
    import chaincode  # noqa: F401 - preloaded once, shared copy-on-write by every forked peer

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 4096, 1)
        except OSError:
            return
        if not msg or not fds:
            return
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            code = 0
            try:
                _worker_main(Connection(fds[0]), msg.decode())
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])


class _ForkServer:
    """This process's fork server (started on first use, restarted if it died)."""

    _lock = threading.Lock()
    _control: socket.socket | None = None
    _process: subprocess.Popen[bytes] | None = None

    @classmethod
    def request(cls, home: Path) -> Connection:
        """A connection to a new peer process for ``home``."""
        ours, theirs = socket.socketpair()
        with cls._lock:
            for attempt in (1, 2):
                control = cls._ensure()
                try:
                    socket.send_fds(control, [str(home).encode()], [theirs.fileno()])
                    break
                except OSError:
                    cls._control = None
                    if attempt == 2:
                        raise
        theirs.close()
        return Connection(ours.detach())

    @classmethod
    def _ensure(cls) -> socket.socket:
        if cls._control is not None and cls._process is not None and cls._process.poll() is None:
            return cls._control
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        cls._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        cls._control = ours
        return ours


class _Worker:
    """One peer process, with requests pipelined: answers come back in order and a reader thread hands them out.

    A client sends its request as soon as it has one, behind any the peer is still working on, so the peer
    never waits for a client thread to be scheduled between two transactions.
    """

    def __init__(self, home: Path) -> None:
        self.conn = _ForkServer.request(home)
        try:
            ready = self.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            self.conn.close()
            raise EndorseError(f"endorsing peer for {home} did not start", code="UNAVAILABLE") from exc
        if ready[:1] == _ERR:
            self.conn.close()
            raise _unpickled(ready[1:])
        self.pid = int(ready[1:])
        # Two locks: requests are sent one at a time (``_send_lock``, held while a large request is written), and
        # the queue of waiting futures has its own short lock. The reader must never wait for the send lock: a
        # sender blocked on a full socket waits for the peer, the peer waits to write its previous answer, and
        # that answer waits for the reader (a deadlock seen with 500-scan batches from 8 threads on one peer).
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: deque[Future[bytes]] = deque()
        self.dead = False
        self._reader = threading.Thread(target=self._read, name=f"usmca-peer-{self.pid}", daemon=True)
        self._reader.start()

    @property
    def outstanding(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._waiting)

    def call(self, request: bytes) -> Future[bytes]:
        """Send a request; the future holds the answer, or EOFError when the peer died first."""
        fut: Future[bytes] = Future()
        with self._send_lock:
            with self._lock:
                if self.dead:
                    raise EOFError(f"endorsing peer {self.pid} exited")
                self._waiting.append(fut)  # before sending: the answer may arrive before send_bytes returns
            try:
                self.conn.send_bytes(request)
            except OSError:
                with self._lock:
                    if fut in self._waiting:
                        self._waiting.remove(fut)
                raise
        return fut

    def _read(self) -> None:
        while True:
            try:
                answer = self.conn.recv_bytes()
            except (EOFError, OSError):
                with self._lock:
                    self.dead = True
                    orphans = list(self._waiting)
                    self._waiting.clear()
                for fut in orphans:
                    fut.set_exception(EOFError(f"endorsing peer {self.pid} exited"))
                return
            with self._lock:
                fut = self._waiting.popleft()
            fut.set_result(answer)

    def stop(self) -> None:
        """Close the connection (the peer exits) and wake the reader; the pool stops choosing this peer at once."""
        with self._lock:
            self.dead = True
        with contextlib.suppress(OSError):
            socket.socket(fileno=os.dup(self.conn.fileno())).shutdown(socket.SHUT_RDWR)
        self.conn.close()


class EndorserPool:
    """``size`` peer processes for one home; each request goes to the one with the fewest waiting."""

    def __init__(self, home: Path, size: int) -> None:
        self.home = home
        self.size = size
        self._all: list[_Worker] = []
        self._starting = 0
        self._lock = threading.Lock()
        self._started = threading.Condition(self._lock)
        self._closed = False
        #: Requests answered (transactions built, or refused by the chaincode).
        self.served = 0

    def _spawn(self) -> _Worker:
        try:
            w = _Worker(self.home)
        except BaseException:
            with self._lock:
                self._starting -= 1
                self._started.notify_all()
            raise
        with self._lock:
            self._starting -= 1
            self._all.append(w)
            self._started.notify_all()
            closed = self._closed
        if closed:  # closed while this peer started
            w.stop()
        return w

    def warm(self) -> None:
        """Start peers until ``size`` run, so that no transaction waits for a peer to start."""
        while True:
            with self._lock:
                if self._closed or len([w for w in self._all if not w.dead]) + self._starting >= self.size:
                    return
                self._starting += 1
            self._spawn()

    @property
    def ready(self) -> bool:
        """True once at least one peer runs."""
        with self._lock:
            return any(not w.dead for w in self._all)

    def _take(self) -> _Worker:
        """The least busy peer; a new one while fewer than ``size`` run or start (also replacing dead ones)."""
        with self._lock:
            while True:
                self._all = [w for w in self._all if not w.dead]
                if len(self._all) + self._starting < self.size:
                    self._starting += 1
                    break
                if self._all:
                    return min(self._all, key=lambda w: w.outstanding)
                self._started.wait(0.5)
        return self._spawn()

    @property
    def pids(self) -> list[int]:
        """Process ids of the running peers."""
        with self._lock:
            return [w.pid for w in self._all if not w.dead]

    def transact(self, member: Member, function: str, args: tuple[str, ...]) -> Transacted:
        """Run a whole transaction up to ordering on a peer process (see :meth:`Endorser.transact`).

        When the chosen peer died, the request goes to another (a new one once every peer has died): nothing a
        dead peer did was ordered, so a retry cannot record anything twice. Every peer of the pool and one new
        one failing in turn names the member and function.
        """
        request = frames(*(p.encode("utf-8") for p in (member.msp_id, member.name, function, *args)))
        answer = b""
        attempts = self.size + 1
        for attempt in range(1, attempts + 1):
            if self._closed:
                raise EndorseError("the endorsing peers are stopped", code="UNAVAILABLE")
            worker = self._take()
            try:
                answer = worker.call(request).result()
            except (EOFError, OSError) as exc:
                worker.stop()
                if attempt == attempts:
                    msg = f"endorsing peer exited while running {function} for {member.msp_id}/{member.name}"
                    raise EndorseError(msg, code="UNAVAILABLE") from exc
                continue
            break
        with self._lock:
            self.served += 1
        if answer[:1] == _ERR:
            raise _unpickled(answer[1:])
        tx_id, code, envelope, payload = unframe(answer[1:], 4)
        return Transacted(tx_id.decode(), envelope, payload, prechecked(tx_id.decode(), code.decode(), envelope))

    def close(self) -> None:
        """Stop every peer process."""
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            w.stop()


if __name__ == "__main__":
    serve_forks(socket.socket(fileno=int(sys.argv[1])))
