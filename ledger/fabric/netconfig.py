"""The configuration of a local Fabric network, derived from a home's network.yaml and its MSP folders.

Pure functions from :class:`ledger.identity.network.Network` to the files Fabric reads: ``configtx.yaml`` for
the channel's genesis block (orgs, anchor peers, etcdraft consenters, policies, capabilities), one ``core.yaml``
per peer and one ``orderer.yaml`` per ordering node, and the ``connection.json`` of each org's chaincode
service. Node files start from the ``core.yaml``/``orderer.yaml`` shipped with the Fabric binaries (the
release's ``config/`` folder) and override only what this deployment decides: addresses on the hosts of
network.yaml, TLS files from the MSP layout, data directories under the home, the project's external
chaincode builder, and a 5 s gossip reconnect so cross-org endorsement works seconds after start-up.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import NotFound, ValidationError
from ledger.identity import layout
from ledger.identity.network import Network, OrdererNodeInfo, OrgInfo, PeerIdentity

PROFILE = "UsmcaChannel"
#: The chaincode service of an org listens this many ports above its peer (7051 -> 7056).
CHAINCODE_SERVICE_OFFSET = 5
BINARIES = ("peer", "orderer", "osnadmin", "configtxgen")
BUILDER_NAME = "usmca_ccaas"


@dataclass(frozen=True)
class FabricInstall:
    """Where the Fabric binaries and their sample ``core.yaml``/``orderer.yaml`` are."""

    bin_dir: Path
    config_dir: Path

    def binary(self, name: str) -> Path:
        """Absolute path of one binary."""
        return self.bin_dir / name


def locate_install(fabric_bin: Path | str, fabric_config: Path | str | None = None) -> FabricInstall:
    """Check a Fabric release layout (``bin/`` and ``config/``); NotFound names whatever is missing."""
    bin_dir = Path(fabric_bin).absolute()
    if not bin_dir.is_dir():
        raise NotFound(f"Fabric binaries directory {bin_dir} does not exist", value=str(bin_dir))
    missing = [b for b in BINARIES if not (bin_dir / b).is_file()]
    if missing:
        raise NotFound(f"{bin_dir} lacks the Fabric binaries {', '.join(missing)}", value=str(bin_dir))
    candidates = [Path(fabric_config)] if fabric_config else [bin_dir.parent / "config", bin_dir / "config"]
    for cand in candidates:
        if (cand / "core.yaml").is_file() and (cand / "orderer.yaml").is_file():
            return FabricInstall(bin_dir, cand.resolve())
    where = " or ".join(str(c) for c in candidates)
    raise NotFound(f"no core.yaml and orderer.yaml of the Fabric release in {where}", value=where)


@dataclass(frozen=True)
class RunLayout:
    """Where a home keeps its running network: generated config, node data, logs and process ids."""

    home: Path

    @property
    def root(self) -> Path:
        """``home/fabric``."""
        return self.home / "fabric"

    @property
    def artifacts(self) -> Path:
        """configtx.yaml, the channel's genesis block, chaincode packages."""
        return self.root / "artifacts"

    @property
    def logs(self) -> Path:
        """One log file per process."""
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        """One JSON file per process: pid and command."""
        return self.root / "pids"

    @property
    def state_file(self) -> Path:
        """What ``up`` has done so far (channel created, chaincode deployed, package ids)."""
        return self.root / "state.json"

    @property
    def builder(self) -> Path:
        """The external chaincode builder the peers run."""
        return self.root / "builders" / "ccaas"

    def peer_dir(self, msp_id: str) -> Path:
        """A peer's FABRIC_CFG_PATH (core.yaml) and data."""
        return self.root / "peers" / msp_id

    def orderer_dir(self, node: str) -> Path:
        """An ordering node's FABRIC_CFG_PATH (orderer.yaml) and data."""
        return self.root / "orderers" / node

    def chaincode_dir(self, msp_id: str) -> Path:
        """An org's chaincode package."""
        return self.root / "chaincode" / msp_id


def chaincode_service_address(peer: PeerIdentity) -> str:
    """``host:port`` of the org's chaincode service (next to its peer)."""
    return f"{peer.host}:{peer.port + CHAINCODE_SERVICE_OFFSET}"


def require_orderer(network: Network) -> None:
    """A Fabric deployment needs an ``orderer`` section in network.yaml."""
    if network.orderer is None or not network.orderer.nodes:
        raise ValidationError(
            f"network {network.name} has no orderer section; add one to network.yaml "
            "(see network/examples/demo-network.yaml) and run 'usmca network init' on a new home",
            field="orderer",
            value=network.name,
        )


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    node = doc
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _org_policies(msp: str) -> dict[str, Any]:
    def sig(rule: str) -> dict[str, str]:
        return {"Type": "Signature", "Rule": rule}

    return {
        "Readers": sig(f"OR('{msp}.member')"),
        "Writers": sig(f"OR('{msp}.member')"),
        "Admins": sig(f"OR('{msp}.admin')"),
        "Endorsement": sig(f"OR('{msp}.peer')"),
    }


def _implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def _node_tls(node: OrdererNodeInfo) -> Path:
    return node.dir / "tls"


def configtx(network: Network, *, batch_timeout: str = "200ms", max_messages: int = 100) -> dict[str, Any]:
    """configtx.yaml with one profile: every org of network.yaml on one etcdraft channel, anchors included."""
    require_orderer(network)
    assert network.orderer is not None
    ordr = network.orderer
    orderer_org = {
        "Name": ordr.msp_id,
        "ID": ordr.msp_id,
        "MSPDir": str(ordr.dir / "msp"),
        "Policies": {k: v for k, v in _org_policies(ordr.msp_id).items() if k != "Endorsement"},
        "OrdererEndpoints": [n.address for n in ordr.nodes],
    }
    orgs = []
    for org in network.orgs:
        peer = network.peer(org.msp_id)
        orgs.append(
            {
                "Name": org.msp_id,
                "ID": org.msp_id,
                "MSPDir": str(org.msp_dir),
                "Policies": _org_policies(org.msp_id),
                "AnchorPeers": [{"Host": peer.host, "Port": peer.port}],
            }
        )
    common = {"Readers": _implicit("ANY Readers"), "Writers": _implicit("ANY Writers")}
    profile = {
        "Policies": {**common, "Admins": _implicit("MAJORITY Admins")},
        "Capabilities": {"V3_0": True},
        "Orderer": {
            "OrdererType": "etcdraft",
            "BatchTimeout": batch_timeout,
            "BatchSize": {"MaxMessageCount": max_messages, "AbsoluteMaxBytes": "10 MB", "PreferredMaxBytes": "2 MB"},
            "EtcdRaft": {
                "Consenters": [
                    {
                        "Host": n.host,
                        "Port": n.port,
                        "ClientTLSCert": str(_node_tls(n) / "server.crt"),
                        "ServerTLSCert": str(_node_tls(n) / "server.crt"),
                    }
                    for n in ordr.nodes
                ],
                "Options": {
                    "TickInterval": "500ms",
                    "ElectionTick": 10,
                    "HeartbeatTick": 1,
                    "MaxInflightBlocks": 5,
                    "SnapshotIntervalSize": "16 MB",
                },
            },
            "Organizations": [orderer_org],
            "Policies": {
                **common,
                "Admins": _implicit("MAJORITY Admins"),
                "BlockValidation": _implicit("ANY Writers"),
            },
            "Capabilities": {"V2_0": True},
        },
        "Application": {
            "Organizations": orgs,
            "Policies": {
                **common,
                "Admins": _implicit("MAJORITY Admins"),
                "LifecycleEndorsement": _implicit("MAJORITY Endorsement"),
                "Endorsement": _implicit("MAJORITY Endorsement"),
            },
            "Capabilities": {"V2_5": True},
        },
    }
    return {"Profiles": {PROFILE: profile}}


def peer_core(sample: dict[str, Any], network: Network, org: OrgInfo, run: RunLayout) -> dict[str, Any]:
    """A peer's core.yaml: the release's sample with this org's addresses, TLS, MSP and data directories."""
    peer = network.peer(org.msp_id)
    doc = copy.deepcopy(sample)
    data = run.peer_dir(org.msp_id) / "data"
    tls = peer.tls_dir
    for key, value in {
        "peer.id": f"{peer.name}.{org.domain}",
        "peer.listenAddress": peer.address,
        "peer.address": peer.address,
        "peer.chaincodeListenAddress": f"{peer.host}:{peer.chaincode_port}",
        "peer.chaincodeAddress": f"{peer.host}:{peer.chaincode_port}",
        "peer.gossip.bootstrap": peer.address,
        "peer.gossip.endpoint": peer.address,
        "peer.gossip.externalEndpoint": peer.address,
        "peer.gossip.reconnectInterval": "5s",
        "peer.gossip.useLeaderElection": False,
        "peer.gossip.orgLeader": True,
        "peer.tls.enabled": True,
        "peer.tls.clientAuthRequired": False,
        "peer.tls.cert.file": str(tls / "server.crt"),
        "peer.tls.key.file": str(tls / "server.key"),
        "peer.tls.rootcert.file": str(tls / "ca.crt"),
        "peer.tls.clientRootCAs.files": [str(tls / "ca.crt")],
        "peer.fileSystemPath": str(data),
        "peer.mspConfigPath": str(peer.msp_dir),
        "peer.localMspId": org.msp_id,
        "ledger.snapshots.rootDir": str(data / "snapshots"),
        "operations.listenAddress": f"{peer.host}:{peer.ops_port}",
        "vm.endpoint": "",
        "chaincode.externalBuilders": [
            {
                "name": BUILDER_NAME,
                "path": str(run.builder),
                "propagateEnvironment": ["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"],
            }
        ],
        # A 5,000-scan RecordScans batch runs tens of seconds on a loaded 2-core host: 30 s defaults are too short.
        "chaincode.executetimeout": "120s",
        "peer.gateway.endorsementTimeout": "120s",
        "chaincode.logging.level": "warning",
        "chaincode.logging.shim": "warning",
        # Batch state messages (Fabric 2.5+; chaincode/compat.py uses them): a 500-scan batch is 2 reads and 1
        # write message instead of 1,500 and 1,000. Set here, not left to the release's sample defaults.
        "chaincode.runtimeParams.useWriteBatch": True,
        "chaincode.runtimeParams.maxSizeWriteBatch": 1000,
        "chaincode.runtimeParams.useGetMultipleKeys": True,
        "chaincode.runtimeParams.maxSizeGetMultipleKeys": 1000,
        # Prometheus /metrics on the operations port (127.0.0.1): per-message chaincode shim counts and timings.
        "metrics.provider": "prometheus",
    }.items():
        _set(doc, key, value)
    return doc


def orderer_config(sample: dict[str, Any], network: Network, node: OrdererNodeInfo, run: RunLayout) -> dict[str, Any]:
    """An ordering node's orderer.yaml: no system channel, channel participation API on its admin port."""
    assert network.orderer is not None
    tls = _node_tls(node)
    data = run.orderer_dir(node.name) / "data"
    ca = str(tls / "ca.crt")
    doc = copy.deepcopy(sample)
    for key, value in {
        "General.ListenAddress": node.host,
        "General.ListenPort": node.port,
        "General.TLS.Enabled": True,
        "General.TLS.PrivateKey": str(tls / "server.key"),
        "General.TLS.Certificate": str(tls / "server.crt"),
        "General.TLS.RootCAs": [ca],
        "General.TLS.ClientAuthRequired": False,
        "General.Cluster.ClientCertificate": str(tls / "server.crt"),
        "General.Cluster.ClientPrivateKey": str(tls / "server.key"),
        "General.BootstrapMethod": "none",
        "General.LocalMSPDir": str(node.dir / "msp"),
        "General.LocalMSPID": network.orderer.msp_id,
        "FileLedger.Location": str(data / "ledger"),
        "Consensus.WALDir": str(data / "etcdraft" / "wal"),
        "Consensus.SnapDir": str(data / "etcdraft" / "snapshot"),
        "Admin.ListenAddress": f"{node.host}:{node.admin_port}",
        "Admin.TLS.Enabled": True,
        "Admin.TLS.Certificate": str(tls / "server.crt"),
        "Admin.TLS.PrivateKey": str(tls / "server.key"),
        "Admin.TLS.ClientAuthRequired": True,
        "Admin.TLS.ClientRootCAs": [ca],
        "Operations.ListenAddress": f"{node.host}:{node.ops_port}",
        # Prometheus /metrics on the operations port (127.0.0.1): ``up`` waits for the Raft leader gauge.
        "Metrics.Provider": "prometheus",
        "ChannelParticipation.Enabled": True,
    }.items():
        _set(doc, key, value)
    return doc


def connection_json(network: Network, msp_id: str) -> dict[str, Any]:
    """How the org's peer dials its chaincode service: mutual TLS with the peer's own TLS key pair."""
    peer = network.peer(msp_id)
    tls = peer.tls_dir
    return {
        "address": chaincode_service_address(peer),
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
        "root_cert": (tls / "ca.crt").read_text(),
        "client_key": (tls / "server.key").read_text(),
        "client_cert": (tls / "server.crt").read_text(),
    }


def package_label(msp_id: str) -> str:
    """The chaincode package label of an org (each org runs, and so packages, its own service)."""
    return f"usmca_{msp_id.lower()}"


def package_metadata(msp_id: str) -> str:
    """``metadata.json`` of a CCaaS package (type matched by the project's builder)."""
    return json.dumps({"type": "ccaas", "label": package_label(msp_id)})


def admin_msp(network: Network, msp_id: str) -> Path:
    """The MSP folder of the org's first admin (the peer CLI signs lifecycle and channel calls with it)."""
    from ledger.bootstrap import admin_of

    return layout.user_dir(network.home, msp_id, admin_of(network, msp_id)) / "msp"
