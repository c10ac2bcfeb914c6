"""``usmca network up|down|status``: run the home's network on native Hyperledger Fabric binaries.

A thin layer over :mod:`ledger.fabric.localnet`. The commands are added to the ``usmca network`` group by
:func:`add_network_commands` (called at the end of ``ledger/identity/cli.py``) and are also available on their
own as ``fabric_app`` (``python -m ledger.fabric.cli``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli_support import cli_errors, print_json
from ledger.fabric.localnet import LocalNet

HomeOpt = Annotated[Path, typer.Option("--home", help="Home directory of the network (from 'usmca network init').")]
FabricBinOpt = Annotated[
    Path,
    typer.Option(
        "--fabric-bin",
        envvar="FABRIC_BIN",
        help="Folder with the peer, orderer, osnadmin and configtxgen binaries (a Fabric release's bin/).",
    ),
]
FabricCfgOpt = Annotated[
    Path | None,
    typer.Option(
        "--fabric-config",
        envvar="FABRIC_CONFIG",
        help="Folder with the release's core.yaml and orderer.yaml [default: BIN/../config or BIN/config].",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_nodes(status: dict[str, Any]) -> None:
    nodes = status["nodes"]
    width = max(len(n["name"]) for n in nodes)
    for n in nodes:
        state = "healthy" if n["healthy"] else ("running" if n["pid"] else "stopped")
        pid = str(n["pid"]) if n["pid"] else "-"
        typer.echo(f"{n['name'].ljust(width)}  {n['address']:<21}  {pid:>7}  {state}")
    deployed = "deployed" if status["deployed"] else "not deployed"
    typer.echo(f"channel {status['channel']}, chaincode {status['chaincode']} {deployed}, home {status['home']}")


def up_cmd(
    home: HomeOpt,
    fabric_bin: FabricBinOpt,
    fabric_config: FabricCfgOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for cross-org endorsement.")] = 120.0,
    as_json: JsonOpt = False,
) -> None:
    """Start the orderer, every org's peer and chaincode service; create the channel and deploy on first run."""
    net = LocalNet.open(home, fabric_bin, fabric_config)
    status = net.up(log=lambda line: typer.echo(line, err=True), timeout=timeout)
    if as_json:
        print_json(status)
        return
    _print_nodes(status)
    typer.echo(f"ready in {status['seconds']} s")


def down_cmd(
    home: HomeOpt,
    wipe: Annotated[
        bool, typer.Option("--wipe", help="Also delete ledgers, channel and chaincode state (identities stay).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stop every process this home started (by recorded process id); --wipe starts the next 'up' from scratch."""
    result = LocalNet.open(home).down(wipe=wipe)
    if as_json:
        print_json(result)
        return
    stopped = ", ".join(result["stopped"]) or "nothing was running"
    typer.echo(f"stopped: {stopped}" + (f"; wiped {home}/fabric" if wipe else ""))


def status_cmd(home: HomeOpt, as_json: JsonOpt = False) -> None:
    """Show every node's process id and health; exit code 1 when any node is down."""
    status = LocalNet.open(home).status()
    if as_json:
        print_json(status)
    else:
        _print_nodes(status)
    if not status["running"]:
        raise typer.Exit(1)


def add_network_commands(app: typer.Typer) -> None:
    """Register ``up``, ``down`` and ``status`` on a Typer group (the ``usmca network`` one)."""
    app.command("up")(cli_errors(up_cmd))
    app.command("down")(cli_errors(down_cmd))
    app.command("status")(cli_errors(status_cmd))


fabric_app = typer.Typer(
    help="Run the network of a home on native Hyperledger Fabric binaries (orderer, peers, chaincode services).",
    no_args_is_help=True,
)
add_network_commands(fabric_app)


if __name__ == "__main__":
    fabric_app()
