"""Running the chaincode as a service (CCaaS) for a Fabric peer, with the 2.5.4 shim's defects worked around.

A Fabric peer connects to this gRPC server and drives transactions over one bidirectional stream. The stream
is handled by :class:`chaincode.compat.PeerHandler`, which fixes the defects of fabric-chaincode-python 2.5.4
(lost messages under concurrency, missing events, ``get_transient``); this module adds what the library's
``start()`` gets wrong: the TLS key, certificate and client CA are taken explicitly, and half a TLS
configuration is refused.

The gRPC server is grpclib (gRPC on asyncio and h2, a dependency of fabric-chaincode-python), not grpc.aio.
A transaction is about ten stream messages; with grpc.aio each read and write is a completion handed between
C-core's threads and the event loop, which made the stream two thirds of the chaincode's CPU. grpclib works in
the event loop itself, and :class:`CoalescingTransport` sends what one loop pass wrote (under load, messages
of many transactions) as one TLS write: 20-25 % less chaincode CPU per transaction (benchmarks/fabric.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpclib.const
import grpclib.server
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb

from chaincode.compat import PeerHandler
from chaincode.factory import build_chaincode
from ledger.errors import NotFound, ValidationError

#: Environment variables of the Fabric CCaaS convention (as in fabric-samples' external chaincode).
ENV_ADDRESS = "CHAINCODE_SERVER_ADDRESS"
ENV_ID = "CHAINCODE_ID"
ENV_TLS_KEY = "CHAINCODE_TLS_KEY"
ENV_TLS_CERT = "CHAINCODE_TLS_CERT"
ENV_CLIENT_CA = "CHAINCODE_CLIENT_CA_CERT"

#: The one method of the ``protos.Chaincode`` service a peer calls.
CONNECT_METHOD = "/protos.Chaincode/Connect"


class _StreamContext:
    """What :class:`PeerHandler` writes to: one grpclib stream (``write`` sends one message)."""

    def __init__(self, stream: grpclib.server.Stream) -> None:
        self._stream = stream

    async def write(self, message: shim_pb.ChaincodeMessage) -> None:
        """Send one message to the peer."""
        await self._stream.send_message(message)


class ChaincodeService:
    """The gRPC ``Chaincode`` service a peer connects to."""

    def __init__(self, chaincode_id: str, chaincode: Any) -> None:
        self._id = chaincode_id
        self._cc = chaincode
        self._handlers: set[PeerHandler] = set()

    @property
    def busy(self) -> bool:
        """True while some stream has a transaction (or a request of one) in flight."""
        return any(h._pending_tasks for h in self._handlers)

    async def connect(self, stream: grpclib.server.Stream) -> None:
        """One peer stream: grpclib's stream is the async iterable of the peer's messages."""
        messages: AsyncIterable[shim_pb.ChaincodeMessage] = stream
        handler = PeerHandler(self._id, self._cc)
        self._handlers.add(handler)
        try:
            await handler.chat_with_peer(messages, _StreamContext(stream))
        finally:
            self._handlers.discard(handler)

    def __mapping__(self) -> dict[str, grpclib.const.Handler]:
        """The service table grpclib reads: the method path, its cardinality and message types."""
        return {
            CONNECT_METHOD: grpclib.const.Handler(
                self.connect,
                grpclib.const.Cardinality.STREAM_STREAM,
                shim_pb.ChaincodeMessage,
                shim_pb.ChaincodeMessage,
            )
        }


class CoalescingTransport:
    """A transport whose writes made in one event-loop pass leave as one write.

    Each write of the TLS transport is one encrypted record and one ``send`` system call; with tens of
    transactions in flight the loop answers many peer messages per pass, so joining them saves most of both
    (and the peer reads them at once). The joined write goes out when the pass ends, before the loop waits.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data``; the first write of a pass schedules the flush."""
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Send what is queued, then close."""
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _CoalescingProtocol(asyncio.Protocol):
    """grpclib's connection protocol, handed a :class:`CoalescingTransport` instead of the raw one."""

    def __init__(self, inner: asyncio.Protocol) -> None:
        self._inner = inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Wrap the transport."""
        assert isinstance(transport, asyncio.Transport)
        self._inner.connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        """Forward incoming bytes."""
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """Forward the end of input."""
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forward the end of the connection."""
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        """Forward flow control."""
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        """Forward flow control."""
        self._inner.resume_writing()


class _Server(grpclib.server.Server):
    """grpclib's server with coalesced writes (its one hook for the connection protocol is this factory)."""

    def _protocol_factory(self) -> Any:
        return _CoalescingProtocol(super()._protocol_factory())


if not callable(getattr(grpclib.server.Server, "_protocol_factory", None)):  # pragma: no cover - guards upgrades
    raise ImportError("grpclib.server.Server no longer has _protocol_factory: re-check chaincode/server.py")


@dataclass(frozen=True)
class ServerConfig:
    """Where to listen, the package id the peer knows the chaincode by, and optional (mutual) TLS files."""

    address: str
    chaincode_id: str
    tls_key: Path | None = None
    tls_cert: Path | None = None
    client_ca: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerConfig:
        """Read the CCaaS environment variables (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, CHAINCODE_TLS_*)."""
        env = dict(os.environ) if env is None else env

        def path(name: str) -> Path | None:
            return Path(env[name]) if env.get(name) else None

        missing = [n for n in (ENV_ADDRESS, ENV_ID) if not env.get(n)]
        if missing:
            raise ValidationError(f"environment variable {missing[0]} is not set", field=missing[0])
        return cls(env[ENV_ADDRESS], env[ENV_ID], path(ENV_TLS_KEY), path(ENV_TLS_CERT), path(ENV_CLIENT_CA))

    def credentials(self) -> ssl.SSLContext | None:
        """The server's TLS context (client certificates required when a client CA is given), or None."""
        if self.tls_key is None and self.tls_cert is None:
            if self.client_ca is not None:
                raise ValidationError("a client CA was given without a TLS key and certificate", field="client_ca")
            return None
        if self.tls_key is None or self.tls_cert is None:
            given = "key" if self.tls_key is not None else "certificate"
            raise ValidationError(f"TLS {given} given without its pair; pass both or neither", field="tls")
        files = [self.tls_key, self.tls_cert] + ([self.client_ca] if self.client_ca else [])
        for f in files:
            if not f.is_file():
                raise NotFound(f"TLS file {f} does not exist", value=str(f))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls_cert, self.tls_key)
        if self.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=self.client_ca)
        context.set_alpn_protocols(["h2"])  # gRPC clients (the peer's grpc-go) insist on HTTP/2 by ALPN
        return context


def _listen(address: str) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - an empty host means every interface, as grpc reads it
    try:
        port_number = int(port)
        infos = socket.getaddrinfo(host, port_number, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (ValueError, OSError) as exc:
        raise ValidationError(f"cannot listen on {address}: {exc}", field="address", value=address) from exc
    family, kind, proto, _, sockaddr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ValidationError(f"cannot listen on {address}: {exc}", field="address", value=address) from exc
    sock.setblocking(False)
    return sock


class ChaincodeServer:
    """The chaincode's gRPC server, bound but not started: ``start``, then ``stop`` or ``wait_for_termination``."""

    def __init__(self, sock: socket.socket, tls: ssl.SSLContext | None, service: ChaincodeService) -> None:
        self._sock = sock
        self._tls = tls
        self._service = service
        self._server: _Server | None = None

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._sock.getsockname()[1])

    async def start(self) -> None:
        """Accept connections (in the running event loop)."""
        self._server = _Server([self._service])
        await self._server.start(sock=self._sock, ssl=self._tls)

    async def wait_for_termination(self) -> None:
        """Return when the server has been stopped."""
        assert self._server is not None
        await self._server.wait_closed()

    async def stop(self, grace: float | None) -> None:
        """Give transactions in flight up to ``grace`` seconds to finish, then close every stream.

        A peer's stream never ends by itself, so waiting for streams (as grpc.aio's ``stop`` does) would always
        take the whole grace period; waiting for transactions takes none when the chaincode is idle.
        """
        if self._server is None:
            self._sock.close()
            return
        end = asyncio.get_running_loop().time() + (grace or 0.0)
        while self._service.busy and asyncio.get_running_loop().time() < end:
            await asyncio.sleep(0.05)
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), timeout=5.0)


def build_server(config: ServerConfig, chaincode: Any = None) -> tuple[ChaincodeServer, int]:
    """A not-yet-started gRPC server serving the chaincode, and the port it is bound to."""
    tls = config.credentials()
    sock = _listen(config.address)
    server = ChaincodeServer(sock, tls, ChaincodeService(config.chaincode_id, chaincode or build_chaincode()))
    return server, server.port


async def serve(config: ServerConfig, *, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled or sent SIGTERM (then stop with a 3 s grace period for transactions in flight).

    ``usmca network down`` stops chaincode services with SIGTERM; handling it lets in-flight transactions finish
    instead of leaving the peer to time out on a dead stream.
    """
    server, _ = build_server(config)
    await server.start()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    try:
        loop.add_signal_handler(signal.SIGTERM, stopping.set)
        on_sigterm = True
    except (NotImplementedError, RuntimeError):  # no signal handlers on Windows or outside the main thread
        on_sigterm = False
    if ready is not None:
        ready.set()
    stopper = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait(
            {asyncio.ensure_future(server.wait_for_termination()), stopper}, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        if on_sigterm:
            loop.remove_signal_handler(signal.SIGTERM)
        await server.stop(3)
        stopper.cancel()
