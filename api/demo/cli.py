"""``usmca demo seed`` and ``usmca demo run`` (the main job behind ``make run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.demo.seed import CREDENTIALS_FILE, seed
from ledger.cli_support import cli_errors, print_json

demo_app = typer.Typer(help="A realistic demo supply chain on the embedded ledger.", no_args_is_help=True)
HomeOpt = Annotated[Path, typer.Option("--home", help="Directory for the demo network and ledger.")]


@demo_app.command("seed")
@cli_errors
def seed_cmd(
    home: HomeOpt,
    vehicles: Annotated[int, typer.Option(min=1, max=500, help="Vehicles to build.")] = 24,
    force: Annotated[bool, typer.Option(help="Replace a non-empty home.")] = False,
) -> None:
    """Create the eleven-org demo network and play its supply-chain story on the ledger."""
    print_json(seed(home, vehicles=vehicles, force=force))


@demo_app.command("run")
@cli_errors
def run_cmd(
    home: HomeOpt,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Seed the demo when the home is empty, then serve the API and web pages."""
    from api.cli import serve

    if not (home / CREDENTIALS_FILE).exists():
        typer.echo(f"usmca: seeding the demo supply chain into {home} ...", err=True)
        print_json(seed(home))
    elif (stale := _stale_format(home)) is not None:
        typer.echo(f"usmca: {stale}; the demo is seeded again into {home} ...", err=True)
        print_json(seed(home, force=True))
    typer.echo(f"usmca: demo credentials (org/role -> bearer token): {home / CREDENTIALS_FILE}", err=True)
    typer.echo(
        f"usmca: web pages at http://{host}:{port}/ (sign in with a token from that file), API docs at /docs",
        err=True,
    )
    serve(home, host=host, port=port)


def _stale_format(home: Path) -> str | None:
    """Why the demo ledger cannot be opened by this version (written in an older byte format), else None.

    Demo data is disposable and re-seeded in seconds, so ``demo run`` replaces it rather than stopping.
    """
    from ledger.embedded.ledger import EmbeddedLedger
    from ledger.errors import LedgerFormatError

    try:
        EmbeddedLedger.open(home)
    except LedgerFormatError as err:
        EmbeddedLedger.close_all()
        return err.message
    return None
