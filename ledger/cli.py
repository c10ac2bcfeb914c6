"""The ``usmca`` command: one Typer app that mounts each package's thin CLI over its library."""

from __future__ import annotations

import typer

from api.certificates.cli import certificate_app
from api.cli import credential_app, serve
from api.demo.cli import demo_app
from api.origin.cli import origin_app
from chaincode.cli import chaincode_app
from ledger.cli_ledger import ledger_app
from ledger.cli_parts import cert_app, part_app
from ledger.identity.cli import network_app
from scanner.cli import label_app, scan_app
from scanner.epcis.cli import epcis_app
from scanner.station.cli import station_app


def build_app() -> typer.Typer:
    """The whole command tree."""
    app = typer.Typer(
        help="USMCA traceability ledger: parts, scans, origin certifications and regional value content.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    app.add_typer(network_app, name="network")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(part_app, name="part")
    app.add_typer(cert_app, name="cert")
    app.add_typer(scan_app, name="scan")
    app.add_typer(label_app, name="label")
    app.add_typer(epcis_app, name="epcis")
    app.add_typer(station_app, name="station")
    app.add_typer(origin_app, name="origin")
    app.add_typer(certificate_app, name="certificate")
    app.add_typer(credential_app, name="credential")
    app.add_typer(chaincode_app, name="chaincode")
    app.add_typer(demo_app, name="demo")
    app.command("serve")(serve)
    return app


app = build_app()


def main() -> None:
    """Entry point of the ``usmca`` console script."""
    app()


if __name__ == "__main__":
    main()
