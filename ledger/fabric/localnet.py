"""Bringing a home's network up on native Fabric binaries, down again, and reporting its state.

``up`` is idempotent and resumable: it records each finished step (channel created, peers joined, chaincode
installed, approved and committed) in ``fabric/state.json`` and, on a second run or after ``down``, only
restarts processes. It returns once every org's gateway peer can collect a policy-satisfying set of
endorsements, i.e. once cross-org gossip has converged, because that, not "processes running", is when the
network is usable. Identities are the home's own (``usmca network init``): there is no second set.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ledger.errors import GatewayError, NotFound, ValidationError
from ledger.fabric import lifecycle
from ledger.fabric import netconfig as nc
from ledger.fabric.connect import CHAINCODE_NAME, connect_fabric
from ledger.fabric.processes import NetworkStartError, ProcessTable, healthy, port_open, raft_leader, wait_until
from ledger.identity.network import Network, load_network

#: A read-only transaction used to check that endorsement across orgs works (never submitted).
PROBE_FUNCTION = "ListOrgs"
#: Go's GC target for the peers and orderer unless the operator's environment sets ``GOGC``: at Go's default
#: (100) a peer on a 2-core host spends a sixth of its CPU collecting the protobuf garbage of every endorsement
#: and block; 400 trades some heap (measured in docs/decisions.md) for 12-17 % less CPU per transaction.
GO_GC_PERCENT = "400"
BUILDER_SOURCE = Path(__file__).resolve().parents[2] / "network" / "builders" / "ccaas" / "bin"

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    """Default progress sink: say nothing."""


@dataclass(frozen=True)
class LocalNet:
    """One home's network on one machine: its layout, the Fabric install and the process table."""

    network: Network
    fabric: nc.FabricInstall | None
    run: nc.RunLayout

    @classmethod
    def open(
        cls, home: Path | str, fabric_bin: Path | str | None = None, fabric_config: Path | str | None = None
    ) -> LocalNet:
        """Load the home's network and check the Fabric install (not needed to stop or inspect a network)."""
        network = load_network(Path(home).resolve())
        nc.require_orderer(network)
        install = nc.locate_install(fabric_bin, fabric_config) if fabric_bin else None
        return cls(network, install, nc.RunLayout(network.home))

    @property
    def install(self) -> nc.FabricInstall:
        """The Fabric binaries (ValidationError when the network was opened without them)."""
        if self.fabric is None:
            raise ValidationError(
                "starting Fabric nodes needs the binaries: pass --fabric-bin DIR or set FABRIC_BIN",
                field="fabric_bin",
            )
        return self.fabric

    @property
    def procs(self) -> ProcessTable:
        """The process table of this network."""
        return ProcessTable(self.run.pids, self.run.logs)

    # -- state -----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Steps done so far."""
        path = self.run.state_file
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.run.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        os.replace(tmp, self.run.state_file)

    # -- environment -----------------------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a Fabric process: ours without stray CORE_/ORDERER_/FABRIC_ overrides."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORE_", "ORDERER_", "FABRIC_"))}
        env.setdefault("GOGC", GO_GC_PERCENT)
        env.update({"FABRIC_LOGGING_SPEC": "warning", **extra})
        return env

    def peer_cli_env(self, msp_id: str) -> dict[str, str]:
        """The ``peer`` CLI environment of an org's admin talking to the org's peer over TLS."""
        peer = self.network.peer(msp_id)
        return self.env(
            FABRIC_CFG_PATH=str(self.run.peer_dir(msp_id)),
            CORE_PEER_LOCALMSPID=msp_id,
            CORE_PEER_MSPCONFIGPATH=str(nc.admin_msp(self.network, msp_id)),
            CORE_PEER_ADDRESS=peer.address,
            CORE_PEER_TLS_ENABLED="true",
            CORE_PEER_TLS_ROOTCERT_FILE=str(peer.tls_dir / "ca.crt"),
        )

    def orderer_tls(self) -> Path:
        """The first ordering node's TLS folder (its ``ca.crt`` verifies every orderer)."""
        assert self.network.orderer is not None
        return self.network.orderer.nodes[0].dir / "tls"

    # -- configuration ---------------------------------------------------------------------------------------
    def write_config(self) -> None:
        """(Re)write configtx.yaml, every node's yaml and the external builder from the home's network."""
        for d in (self.run.artifacts, self.run.logs, self.run.pids):
            d.mkdir(parents=True, exist_ok=True)
        _dump(self.run.artifacts / "configtx.yaml", nc.configtx(self.network))
        core = yaml.safe_load((self.install.config_dir / "core.yaml").read_text())
        for org in self.network.orgs:
            _dump(self.run.peer_dir(org.msp_id) / "core.yaml", nc.peer_core(core, self.network, org, self.run))
        sample = yaml.safe_load((self.install.config_dir / "orderer.yaml").read_text())
        assert self.network.orderer is not None
        for node in self.network.orderer.nodes:
            _dump(
                self.run.orderer_dir(node.name) / "orderer.yaml",
                nc.orderer_config(sample, self.network, node, self.run),
            )
        if not BUILDER_SOURCE.is_dir():
            raise NotFound(f"the chaincode builder scripts are missing: {BUILDER_SOURCE}", value=str(BUILDER_SOURCE))
        dest = self.run.builder / "bin"
        dest.mkdir(parents=True, exist_ok=True)
        for script in ("detect", "build", "release"):
            shutil.copyfile(BUILDER_SOURCE / script, dest / script)
            (dest / script).chmod(0o755)

    # -- processes -------------------------------------------------------------------------------------------
    def start_orderers(self, timeout: float = 30.0) -> None:
        """Start every ordering node and wait for its health endpoint."""
        assert self.network.orderer is not None
        for node in self.network.orderer.nodes:
            name = f"orderer-{node.name}"
            proc = self.procs.start(
                name,
                [str(self.install.binary("orderer"))],
                env=self.env(FABRIC_CFG_PATH=str(self.run.orderer_dir(node.name))),
                cwd=self.run.orderer_dir(node.name),
            )
            wait_until(lambda n=node: healthy(n.host, n.ops_port), f"orderer {node.name}", proc.log, timeout=timeout)

    def start_peer(self, msp_id: str, timeout: float = 30.0) -> None:
        """Start one org's peer and wait for its health endpoint."""
        peer = self.network.peer(msp_id)
        proc = self.procs.start(
            f"peer-{msp_id}",
            [str(self.install.binary("peer")), "node", "start"],
            env=self.env(FABRIC_CFG_PATH=str(self.run.peer_dir(msp_id))),
            cwd=self.run.peer_dir(msp_id),
        )
        wait_until(lambda: healthy(peer.host, peer.ops_port), f"peer of {msp_id}", proc.log, timeout=timeout)

    def stop_peer(self, msp_id: str) -> bool:
        """Stop one org's peer (its ledger stays); True when it was running."""
        return self.procs.stop(f"peer-{msp_id}")

    def start_chaincode(self, msp_id: str, package_id: str, timeout: float = 30.0) -> None:
        """Start the org's chaincode service (mutual TLS with the peer's TLS key pair) and wait for its port."""
        peer = self.network.peer(msp_id)
        tls = peer.tls_dir
        address = nc.chaincode_service_address(peer)
        argv = [
            sys.executable,
            "-m",
            "chaincode",
            "serve",
            "--address",
            address,
            "--id",
            package_id,
            "--tls-key",
            str(tls / "server.key"),
            "--tls-cert",
            str(tls / "server.crt"),
            "--client-ca",
            str(tls / "ca.crt"),
        ]
        proc = self.procs.start(f"chaincode-{msp_id}", argv, env=self.env(), cwd=self.run.chaincode_dir(msp_id))
        wait_until(lambda: port_open(address), f"chaincode service of {msp_id}", proc.log, timeout=timeout)

    def wait_for_leader(self, timeout: float = 30.0) -> None:
        """Wait until an ordering node leads the channel: transactions (approvals included) need one."""
        assert self.network.orderer is not None
        nodes = self.network.orderer.nodes
        channel = self.network.channel
        wait_until(
            lambda: any(raft_leader(n.host, n.ops_port, channel) for n in nodes),
            f"raft leader of channel {channel}",
            self.procs.logs / f"orderer-{nodes[0].name}.log",
            timeout=timeout,
        )

    def wait_for_endorsement(self, timeout: float = 90.0) -> float:
        """Wait until every org's gateway peer can gather a policy-satisfying endorsement; seconds waited."""
        from ledger.bootstrap import admin_of

        start = time.monotonic()
        end = start + timeout
        for org in self.network.orgs:
            gw = connect_fabric(self.network.home, org.msp_id, admin_of(self.network, org.msp_id))
            try:
                while True:
                    try:
                        gw.endorse(PROBE_FUNCTION, retry=False)
                        break
                    except GatewayError as err:
                        if time.monotonic() > end:
                            raise NetworkStartError(
                                f"cross-org endorsement through {org.msp_id} does not work after {timeout:.0f} s: "
                                f"{err.message}",
                                value=org.msp_id,
                            ) from err
                    time.sleep(1.0)
            finally:
                gw.close()
        return time.monotonic() - start

    # -- the whole thing -------------------------------------------------------------------------------------
    def up(self, *, log: Log = _quiet, timeout: float = 120.0) -> dict[str, Any]:
        """Bring everything up (creating the channel and deploying the chaincode the first time)."""
        t0 = time.monotonic()
        self.write_config()
        state = self.state()
        self.start_orderers()
        log(f"orderer up ({time.monotonic() - t0:.1f} s)")
        block = self.run.artifacts / f"{self.network.channel}.block"
        if not state.get("channel"):
            block = lifecycle.create_channel(self)
            state["channel"] = self.network.channel
            self._save(state)
            log(f"channel {self.network.channel} created ({time.monotonic() - t0:.1f} s)")
        self.wait_for_leader(timeout=max(timeout - (time.monotonic() - t0), 10.0))
        log(f"raft leader of {self.network.channel} elected ({time.monotonic() - t0:.1f} s)")
        for org in self.network.orgs:
            self.start_peer(org.msp_id)
        log(f"{len(self.network.orgs)} peers up ({time.monotonic() - t0:.1f} s)")
        joined = set(state.get("joined", []))
        for org in self.network.orgs:
            if org.msp_id not in joined:
                lifecycle.join_peer(self, org.msp_id, block)
                joined.add(org.msp_id)
                state["joined"] = sorted(joined)
                self._save(state)
        packages: dict[str, str] = state.get("packages", {})
        for org in self.network.orgs:
            if org.msp_id not in packages:
                path, package_id = lifecycle.package(self, org.msp_id)
                lifecycle.install_and_approve(self, org.msp_id, path, package_id)
                packages[org.msp_id] = package_id
                state["packages"] = packages
                self._save(state)
        if not state.get("committed"):
            lifecycle.commit_definition(self)
            state["committed"] = True
            self._save(state)
            log(f"chaincode {CHAINCODE_NAME} committed ({time.monotonic() - t0:.1f} s)")
        for org in self.network.orgs:
            self.start_chaincode(org.msp_id, packages[org.msp_id])
        waited = self.wait_for_endorsement(timeout=max(timeout - (time.monotonic() - t0), 10.0))
        log(f"cross-org endorsement works after {waited:.1f} s more ({time.monotonic() - t0:.1f} s)")
        return {**self.status(), "seconds": round(time.monotonic() - t0, 1)}

    def down(self, *, wipe: bool = False) -> dict[str, Any]:
        """Stop every recorded process (chaincode, peers, orderers); ``wipe`` also deletes ledgers and state."""
        stopped = []
        order = sorted(self.procs.names(), key=lambda n: ("chaincode", "peer", "orderer").index(n.split("-")[0]))
        for name in order:
            if self.procs.stop(name):
                stopped.append(name)
        if wipe and self.run.root.exists():
            shutil.rmtree(self.run.root)
        return {"home": str(self.network.home), "stopped": stopped, "wiped": wipe}

    def status(self) -> dict[str, Any]:
        """Every node with its pid, health and address, plus the deployment state."""
        nodes = []
        assert self.network.orderer is not None
        for node in self.network.orderer.nodes:
            proc = self.procs.get(f"orderer-{node.name}")
            nodes.append(
                {
                    "name": f"orderer-{node.name}",
                    "address": node.address,
                    "pid": proc.pid if proc else None,
                    "healthy": bool(proc) and healthy(node.host, node.ops_port),
                }
            )
        for peer in self.network.peers():
            proc = self.procs.get(f"peer-{peer.msp_id}")
            nodes.append(
                {
                    "name": f"peer-{peer.msp_id}",
                    "address": peer.address,
                    "pid": proc.pid if proc else None,
                    "healthy": bool(proc) and healthy(peer.host, peer.ops_port),
                }
            )
            address = nc.chaincode_service_address(peer)
            proc = self.procs.get(f"chaincode-{peer.msp_id}")
            nodes.append(
                {
                    "name": f"chaincode-{peer.msp_id}",
                    "address": address,
                    "pid": proc.pid if proc else None,
                    "healthy": bool(proc) and port_open(address),
                }
            )
        state = self.state()
        return {
            "home": str(self.network.home),
            "channel": self.network.channel,
            "chaincode": CHAINCODE_NAME,
            "deployed": bool(state.get("committed")),
            "running": all(n["healthy"] for n in nodes),
            "nodes": nodes,
        }


def _dump(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
