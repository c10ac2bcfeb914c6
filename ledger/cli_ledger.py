"""``usmca ledger ...``: inspect, verify and query a ledger home; submit raw transactions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli_support import cli_errors, print_json
from ledger.connect import committed_blocks, connect
from ledger.embedded.ledger import LEDGER_FILE
from ledger.embedded.verify import verify_ledger
from ledger.errors import NotFound
from ledger.readmodel.builder import READMODEL_FILE, ReadModel

ledger_app = typer.Typer(help="Inspect, verify and query the ledger of a home directory.", no_args_is_help=True)

HomeOpt = Annotated[Path, typer.Option("--home", help="Ledger home directory (made by 'usmca network init').")]
OrgOpt = Annotated[str, typer.Option("--org", help="MSP id of the org to act as.")]
MemberOpt = Annotated[str, typer.Option("--member", help="Member name within the org.")]
ArgsArg = Annotated[list[str] | None, typer.Argument(help="Transaction arguments (JSON documents as one argument).")]


def _ledger_file(home: Path) -> Path:
    path = home / LEDGER_FILE
    if not path.exists():
        raise NotFound(f"no ledger at {path}", value=str(path))
    return path


@ledger_app.command("verify")
@cli_errors
def verify_cmd(home: HomeOpt, workers: int = typer.Option(0, help="Signature-check processes (0: cores).")) -> None:
    """Re-hash the chain, re-check every signature and policy, replay the write sets and compare the state.

    Exit 0 when everything holds, 1 naming the first bad block, transaction or key.
    """
    report = verify_ledger(_ledger_file(home), workers=workers or None)
    print_json(report.as_dict())
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("info")
@cli_errors
def info_cmd(home: HomeOpt) -> None:
    """Height, last block hash and transaction counts by validation code."""
    from ledger.embedded.store import Store

    store = Store(_ledger_file(home))
    height = store.height()
    last = store.block(height - 1) if height else None
    codes = dict(store.conn.execute("SELECT code, COUNT(*) FROM txs WHERE block > 0 GROUP BY code").fetchall())
    print_json({"height": height, "last_hash": last.hash if last else None, "transactions": codes})


@ledger_app.command("blocks")
@cli_errors
def blocks_cmd(
    home: HomeOpt,
    start: int = typer.Option(0, "--from", help="First block number."),
    limit: int = typer.Option(10, help="How many blocks at most."),
) -> None:
    """Print committed blocks as JSON lines (transactions, codes, writes)."""
    _ledger_file(home)
    for i, block in enumerate(committed_blocks(home, start)):
        if i >= limit:
            break
        typer.echo(
            json.dumps(
                {
                    "number": block.number,
                    "hash": block.hash,
                    "previous_hash": block.previous_hash,
                    "transactions": [
                        {
                            "tx_id": t.tx_id,
                            "code": t.code,
                            "function": t.function,
                            "creator": t.creator_msp,
                            "timestamp": t.timestamp,
                            "writes": [w.key.replace("\x00", "~") for w in t.writes],
                        }
                        for t in block.transactions
                    ],
                }
            )
        )


@ledger_app.command("sync-readmodel")
@cli_errors
def sync_cmd(home: HomeOpt, rebuild: bool = typer.Option(False, help="Drop it and rebuild from block 0.")) -> None:
    """Bring the read model (readmodel.db) up to the ledger tip from its checkpoint."""
    _ledger_file(home)
    path = home / READMODEL_FILE
    if rebuild and path.exists():
        path.unlink()
    model = ReadModel(path)
    applied = model.sync(lambda start: committed_blocks(home, start))
    print_json({"applied_blocks": applied, "next_block": model.next_block})


@ledger_app.command("evaluate")
@cli_errors
def evaluate_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, function: str, args: ArgsArg = None) -> None:
    """Run a chaincode query as a member and print its answer."""
    out = connect(home, org, member).evaluate(function, *(args or []))
    typer.echo(out.decode())


@ledger_app.command("submit")
@cli_errors
def submit_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, function: str, args: ArgsArg = None) -> None:
    """Submit a chaincode transaction as a member, wait for its commit and print its answer."""
    out = connect(home, org, member).submit(function, *(args or []))
    typer.echo(out.decode())
