"""Opening a Fabric gateway for one member of a network home, with the home's own certificates and keys.

The same home that ``usmca network init`` (or ``export-org``) wrote drives both backends: the member's MSP
folder signs, and the member's org peer from network.yaml is the gateway peer, reached over TLS checked
against that org's TLS CA. Nothing else needs configuring to switch a deployment from embedded to Fabric.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ledger.errors import NotFound
from ledger.fabric.client import FabricGateway, PeerEndpoint, Timeouts
from ledger.fabric.proposal import ClientIdentity
from ledger.gateway import Block
from ledger.identity.attrs import Role
from ledger.identity.network import Member, Network, load_network

#: The chaincode name on the channel: the same name the embedded ledger records in its transactions.
CHAINCODE_NAME = "usmca"
#: Overrides the gateway peer address (``host:port``), e.g. when an org reaches its peer through a tunnel.
ENV_PEER = "USMCA_FABRIC_PEER"


def connect_fabric(
    home: str | os.PathLike[str],
    msp_id: str,
    member: str,
    *,
    peer_address: str | None = None,
    chaincode: str = CHAINCODE_NAME,
    timeouts: Timeouts | None = None,
) -> FabricGateway:
    """A gateway signing as ``member`` of ``msp_id`` through that org's peer (NotFound for unknown names)."""
    network = load_network(Path(home))
    who = network.member(msp_id, member)
    peer = network.peer(msp_id)
    address = peer_address or os.environ.get(ENV_PEER) or peer.address
    endpoint = PeerEndpoint(address, peer.tls_ca_cert_pem)
    identity = ClientIdentity(msp_id, who.cert_pem, who.signer)
    return FabricGateway(identity, endpoint, network.channel, chaincode, timeouts=timeouts)


#: Roles preferred for reading blocks: the least privileged identities that are channel members.
_READER_ROLES = (Role.AUDITOR, Role.COMPLIANCE, Role.CERTIFIER, Role.STATION, Role.ADMIN)


def reader_identity(network: Network) -> Member:
    """A member whose private key this home holds, to read blocks with (least privileged role first)."""
    held = [m for m in network.members() if m.active and m.key_path.exists()]
    for role in _READER_ROLES:
        for m in held:
            if m.role is role:
                return m
    raise NotFound(
        f"{network.home} holds no member's private key; the Fabric deliver service needs a channel member",
        value=str(network.home),
    )


def open_block_reader(home: str | os.PathLike[str], start: int = 0, *, follow: bool = False) -> Iterator[Block]:
    """Committed blocks from the home's own org peer, signed by :func:`reader_identity`; closes when done."""
    network = load_network(Path(home))
    who = reader_identity(network)
    gateway = connect_fabric(home, who.msp_id, who.name)
    try:
        yield from gateway.blocks(start, follow=follow)
    finally:
        gateway.close()
