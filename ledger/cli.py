"""The ``usmca`` command: one Typer app that mounts each package's thin CLI over its library."""

from __future__ import annotations

import typer

from ledger.cli_ledger import ledger_app

app = typer.Typer(
    help="USMCA traceability ledger: parts, scans, origin certifications and regional value content.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ledger_app, name="ledger")


def main() -> None:
    """Entry point of the ``usmca`` console script."""
    app()


if __name__ == "__main__":
    main()
