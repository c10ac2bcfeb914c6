"""``usmca chaincode ...``: serve the chaincode to a Fabric peer and describe its transactions.

A thin layer over :mod:`chaincode.server` and the contract's reflected metadata. The lead wires ``chaincode_app``
into the ``usmca`` command (``app.add_typer(chaincode_app, name="chaincode")``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from chaincode.factory import ProvenanceContract, build_chaincode, transactions
from chaincode.server import ENV_ADDRESS, ENV_CLIENT_CA, ENV_ID, ENV_TLS_CERT, ENV_TLS_KEY, ServerConfig, serve
from ledger.cli_support import cli_errors, print_json

chaincode_app = typer.Typer(
    help="The provenance chaincode: serve it to a Fabric peer (CCaaS) and list its transactions.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def describe() -> list[dict[str, Any]]:
    """Every transaction: wire name, submit/evaluate, argument names, first docstring line."""
    out = []
    for name, kind in sorted(transactions().items()):
        fn = getattr(ProvenanceContract, name)
        params = [p for p in inspect.signature(fn).parameters if p not in ("self", "ctx")]
        doc = (inspect.getdoc(fn) or "").splitlines()
        out.append({"name": name, "kind": kind, "args": params, "summary": doc[0] if doc else ""})
    return out


@chaincode_app.command("transactions")
@cli_errors
def transactions_cmd(as_json: JsonOpt = False) -> None:
    """List every transaction with its kind and arguments (docs/chaincode.md has the full reference)."""
    rows = describe()
    if as_json:
        print_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['name'].ljust(width)}  {r['kind']:<8}  ({', '.join(r['args'])})  {r['summary']}".rstrip())


@chaincode_app.command("metadata")
@cli_errors
def metadata_cmd() -> None:
    """Print the contract metadata the Fabric contract API reflects (org.hyperledger.fabric:GetMetadata)."""
    print_json(json.loads(build_chaincode()._system_contract.get_metadata()))


@chaincode_app.command("serve")
@cli_errors
def serve_cmd(
    address: Annotated[str, typer.Option("--address", envvar=ENV_ADDRESS, help="Listen address, host:port.")],
    chaincode_id: Annotated[
        str, typer.Option("--id", envvar=ENV_ID, help="Package id the peer knows the chaincode by (label:hash).")
    ],
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", envvar=ENV_TLS_KEY, help="TLS private key (PEM).")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", envvar=ENV_TLS_CERT, help="TLS certificate (PEM).")
    ] = None,
    client_ca: Annotated[
        Path | None,
        typer.Option("--client-ca", envvar=ENV_CLIENT_CA, help="CA of the peer's client certificate (mutual TLS)."),
    ] = None,
) -> None:
    """Run the chaincode as a service for a Fabric peer until interrupted."""
    config = ServerConfig(address, chaincode_id, tls_key, tls_cert, client_ca)
    config.credentials()  # refuse a bad TLS setup before binding the port
    typer.echo(f"serving chaincode {chaincode_id} on {address} ({'TLS' if tls_key else 'plaintext'})", err=True)
    try:
        asyncio.run(serve(config))
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
