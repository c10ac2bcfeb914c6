"""The Hyperledger Fabric backend: a Gateway client on grpcio and hyperledger-fabric-protos, and the local network."""

from __future__ import annotations

from ledger.fabric.client import FabricGateway, PeerEndpoint, Timeouts
from ledger.fabric.connect import connect_fabric

__all__ = ["FabricGateway", "PeerEndpoint", "Timeouts", "connect_fabric"]
