"""Running the chaincode as a service (CCaaS) for a Fabric peer, with the 2.5.4 shim's defects worked around.

A Fabric peer connects to this gRPC server and drives transactions over one bidirectional stream. The stream
is handled by :class:`chaincode.compat.PeerHandler`, which fixes the defects of fabric-chaincode-python 2.5.4
(lost messages under concurrency, missing events, ``get_transient``); this module adds what the library's
``start()`` gets wrong: the TLS key, certificate and client CA are taken explicitly, and half a TLS
configuration is refused.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb
from fabric_protos.peer import chaincode_shim_pb2_grpc as shim_grpc

from chaincode.compat import PeerHandler
from chaincode.factory import build_chaincode
from ledger.errors import NotFound, ValidationError

#: Environment variables of the Fabric CCaaS convention (as in fabric-samples' external chaincode).
ENV_ADDRESS = "CHAINCODE_SERVER_ADDRESS"
ENV_ID = "CHAINCODE_ID"
ENV_TLS_KEY = "CHAINCODE_TLS_KEY"
ENV_TLS_CERT = "CHAINCODE_TLS_CERT"
ENV_CLIENT_CA = "CHAINCODE_CLIENT_CA_CERT"

#: Largest message either side may send: a peer's own gRPC limit (100 MiB), not grpc's 4 MiB default, so a
#: 5,000-scan proposal or a batch read of 1,000 documents is never refused by the chaincode's server.
MAX_MESSAGE_BYTES = 100 * 1024 * 1024


class ChaincodeService(shim_grpc.ChaincodeServicer):
    """The gRPC ``Chaincode`` service a peer connects to."""

    def __init__(self, chaincode_id: str, chaincode: Any) -> None:
        self._id = chaincode_id
        self._cc = chaincode

    async def Connect(self, request_iterator: AsyncIterable[shim_pb.ChaincodeMessage], context: Any) -> None:  # noqa: N802
        """One peer stream (the method name is fixed by the gRPC service definition)."""
        await PeerHandler(self._id, self._cc).chat_with_peer(request_iterator, context)


@dataclass(frozen=True)
class ServerConfig:
    """Where to listen, the package id the peer knows the chaincode by, and optional (mutual) TLS files."""

    address: str
    chaincode_id: str
    tls_key: Path | None = None
    tls_cert: Path | None = None
    client_ca: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ServerConfig:
        """Read the CCaaS environment variables (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, CHAINCODE_TLS_*)."""
        env = dict(os.environ) if env is None else env

        def path(name: str) -> Path | None:
            return Path(env[name]) if env.get(name) else None

        missing = [n for n in (ENV_ADDRESS, ENV_ID) if not env.get(n)]
        if missing:
            raise ValidationError(f"environment variable {missing[0]} is not set", field=missing[0])
        return cls(env[ENV_ADDRESS], env[ENV_ID], path(ENV_TLS_KEY), path(ENV_TLS_CERT), path(ENV_CLIENT_CA))

    def credentials(self) -> grpc.ServerCredentials | None:
        """TLS server credentials (client certificates required when a client CA is given), or None."""
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
        ca = self.client_ca.read_bytes() if self.client_ca else None
        return grpc.ssl_server_credentials(
            [(self.tls_key.read_bytes(), self.tls_cert.read_bytes())], ca, require_client_auth=ca is not None
        )


def build_server(config: ServerConfig, chaincode: Any = None) -> tuple[grpc.aio.Server, int]:
    """A not-yet-started gRPC server serving the chaincode, and the port it is bound to."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    creds = config.credentials()
    port = server.add_secure_port(config.address, creds) if creds else server.add_insecure_port(config.address)
    if port == 0:
        raise ValidationError(f"cannot listen on {config.address}", field="address", value=config.address)
    shim_grpc.add_ChaincodeServicer_to_server(
        ChaincodeService(config.chaincode_id, chaincode or build_chaincode()), server
    )
    return server, port


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
