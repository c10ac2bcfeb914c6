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

import hashlib
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ledger.embedded.envelope import Endorsement, Proposal, Response, encode_endorsements, frames, unframe
from ledger.embedded.store import Store
from ledger.embedded.stub import SimulationStub
from ledger.embedded.trust import ChannelTrust
from ledger.errors import EndorseError, ErrorDetail, LedgerError, ValidationError, decode_error
from ledger.identity.network import Network, load_network

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
        return Executed(resp_bytes, encode_endorsements(self.endorse(proposal.creator_msp, resp_bytes)), resp.payload)


class Executed:
    """An endorsed proposal: the response bytes every endorser signed, the endorsements, the chaincode answer."""

    __slots__ = ("endorsements", "payload", "response_bytes")

    def __init__(self, response_bytes: bytes, endorsements: bytes, payload: bytes) -> None:
        self.response_bytes = response_bytes
        self.endorsements = endorsements
        self.payload = payload


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
    """A peer process: endorse proposals from the pipe until the parent closes it."""
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
            proposal_bytes, signature = unframe(request, 2)
            done = endorser.execute(Proposal.from_bytes(proposal_bytes), proposal_bytes, signature)
            answer = _OK + frames(done.response_bytes, done.endorsements, done.payload)
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
    def __init__(self, home: Path) -> None:
        self.conn = _ForkServer.request(home)
        try:
            ready = self.conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise EndorseError(f"endorsing peer for {home} did not start", code="UNAVAILABLE") from exc
        if ready[:1] == _ERR:
            raise _unpickled(ready[1:])
        self.pid = int(ready[1:])

    def call(self, request: bytes) -> bytes:
        self.conn.send_bytes(request)
        return self.conn.recv_bytes()

    def stop(self) -> None:
        self.conn.close()


class EndorserPool:
    """``size`` endorser processes for one home; each request goes to the next idle one."""

    def __init__(self, home: Path, size: int) -> None:
        self.home = home
        self.size = size
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def _spawn(self) -> _Worker:
        w = _Worker(self.home)
        with self._lock:
            self._all.append(w)
        return w

    def _take(self) -> _Worker:
        """An idle peer; a new one while fewer than ``size`` run (also replacing any that died)."""
        wait = 0.0
        while True:
            try:
                return self._idle.get(timeout=wait) if wait else self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                grow = len(self._all) < self.size
            if grow:
                return self._spawn()
            wait = 0.5

    @property
    def pids(self) -> list[int]:
        """Process ids of the running peers."""
        with self._lock:
            return [w.pid for w in self._all]

    def execute(self, proposal_bytes: bytes, signature: bytes, tx_id: str) -> Executed:
        """Endorse on an idle peer process.

        A peer that died is replaced and the proposal sent again once: simulation has no side effects, so a
        retry cannot record anything twice. A second failure names the transaction.
        """
        request = frames(proposal_bytes, signature)
        answer = b""
        for attempt in (1, 2):
            if self._closed:
                raise EndorseError("the endorsing peers are stopped", tx_id=tx_id, code="UNAVAILABLE")
            worker = self._take()
            try:
                answer = worker.call(request)
            except (EOFError, OSError) as exc:
                with self._lock:
                    if worker in self._all:
                        self._all.remove(worker)
                worker.stop()
                if attempt == 2:
                    msg = f"endorsing peer exited while endorsing {tx_id}"
                    raise EndorseError(msg, tx_id=tx_id, code="UNAVAILABLE") from exc
                continue
            self._idle.put(worker)
            break
        if answer[:1] == _ERR:
            raise _unpickled(answer[1:])
        response_bytes, endorsements, payload = unframe(answer[1:], 3)
        return Executed(response_bytes, endorsements, payload)

    def close(self) -> None:
        """Stop every peer process."""
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            w.stop()


if __name__ == "__main__":
    serve_forks(socket.socket(fileno=int(sys.argv[1])))
