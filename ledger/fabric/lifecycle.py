"""Creating the channel and deploying the chaincode on a local network, with the Fabric CLI tools.

The channel is created without a system channel: ``configtxgen`` writes the genesis block from our
``configtx.yaml`` and every ordering node joins it through the channel participation API (``osnadmin``); each
peer joins with its org admin's identity. The chaincode is the project's own, run as a service per org:
each org's package holds only a ``connection.json`` (mutual TLS with the peer's TLS key pair), is built
byte-for-byte reproducibly so its package id is stable, and is installed and approved by that org; the
definition (name ``usmca``, the endorsement policy of network.yaml) is committed once a majority approved.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.fabric import netconfig as nc
from ledger.fabric.connect import CHAINCODE_NAME
from ledger.fabric.processes import run_tool

if TYPE_CHECKING:
    from ledger.fabric.localnet import LocalNet

CHAINCODE_VERSION = "1.0"
CHAINCODE_SEQUENCE = 1


def create_channel(net: LocalNet) -> Path:
    """Generate the genesis block and join every ordering node to the channel (channel participation API)."""
    block = net.run.artifacts / f"{net.network.channel}.block"
    run_tool(
        [
            str(net.install.binary("configtxgen")),
            "-configPath",
            str(net.run.artifacts),
            "-profile",
            nc.PROFILE,
            "-outputBlock",
            str(block),
            "-channelID",
            net.network.channel,
        ],
        env=net.env(),
        what="configtxgen",
    )
    assert net.network.orderer is not None
    for node in net.network.orderer.nodes:
        tls = node.dir / "tls"
        run_tool(
            [
                str(net.install.binary("osnadmin")),
                "channel",
                "join",
                "--channelID",
                net.network.channel,
                "--config-block",
                str(block),
                "-o",
                f"{node.host}:{node.admin_port}",
                "--ca-file",
                str(tls / "ca.crt"),
                "--client-cert",
                str(tls / "server.crt"),
                "--client-key",
                str(tls / "server.key"),
            ],
            env=net.env(),
            what=f"osnadmin channel join on {node.name}",
        )
    return block


def join_peer(net: LocalNet, msp_id: str, block: Path) -> None:
    """Join one org's peer to the channel with the org admin's identity."""
    run_tool(
        [str(net.install.binary("peer")), "channel", "join", "-b", str(block)],
        env=net.peer_cli_env(msp_id),
        what=f"peer channel join for {msp_id}",
    )


def package(net: LocalNet, msp_id: str) -> tuple[Path, str]:
    """The org's CCaaS package (byte-for-byte reproducible) and its package id ``label:sha256``."""
    code = _tgz({"connection.json": json.dumps(nc.connection_json(net.network, msp_id)).encode()})
    pkg = _tgz({"metadata.json": nc.package_metadata(msp_id).encode(), "code.tar.gz": code})
    d = net.run.chaincode_dir(msp_id)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "usmca.tgz"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the peer's TLS key
    with os.fdopen(fd, "wb") as fh:
        fh.write(pkg)
    return path, f"{nc.package_label(msp_id)}:{hashlib.sha256(pkg).hexdigest()}"


def _lifecycle_common(net: LocalNet) -> list[str]:
    assert net.network.orderer is not None
    return [
        "-o",
        net.network.orderer.nodes[0].address,
        "--tls",
        "--cafile",
        str(net.orderer_tls() / "ca.crt"),
        "--channelID",
        net.network.channel,
        "--name",
        CHAINCODE_NAME,
        "--version",
        CHAINCODE_VERSION,
        "--sequence",
        str(CHAINCODE_SEQUENCE),
        "--signature-policy",
        net.network.policy.fabric(),
    ]


def install_and_approve(net: LocalNet, msp_id: str, path: Path, package_id: str) -> None:
    """Install the org's package on its peer and approve the chaincode definition for the org."""
    peer_bin = str(net.install.binary("peer"))
    env = net.peer_cli_env(msp_id)
    run_tool([peer_bin, "lifecycle", "chaincode", "install", str(path)], env=env, what=f"install on {msp_id}")
    approve = [peer_bin, "lifecycle", "chaincode", "approveformyorg", *_lifecycle_common(net)]
    run_tool(
        [*approve, "--package-id", package_id],
        env=env,
        what=f"approveformyorg for {msp_id}",
    )


def commit_definition(net: LocalNet) -> None:
    """Commit the chaincode definition, collecting every org peer's endorsement of the commit."""
    targets: list[str] = []
    for peer in net.network.peers():
        targets += ["--peerAddresses", peer.address, "--tlsRootCertFiles", str(peer.tls_dir / "ca.crt")]
    first = net.network.msp_ids[0]
    run_tool(
        [str(net.install.binary("peer")), "lifecycle", "chaincode", "commit", *_lifecycle_common(net), *targets],
        env=net.peer_cli_env(first),
        what="chaincode commit",
    )


def _tgz(files: dict[str, bytes]) -> bytes:
    """A gzipped tar with fixed mtimes and owners, so the same content always has the same package id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()
