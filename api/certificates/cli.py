"""``usmca certificate``: validate, build, hash, render, create (signed, anchored), verify and revoke."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.certificates.build import build_certificate
from api.certificates.canonical import content_hash
from api.certificates.fields import validate_certificate
from api.certificates.pdf import render_certificate_pdf
from api.compliance.cli import create_cmd, revoke_cmd, verify_cmd
from ledger.cli_support import cli_errors, read_text_arg
from ledger.errors import ParseError, ValidationError

certificate_app = typer.Typer(help="USMCA certifications of origin (Annex 5-A).", no_args_is_help=True)

EXIT_INVALID = 1


@certificate_app.callback()
def _group() -> None:
    """USMCA certifications of origin (Annex 5-A)."""


certificate_app.command("create")(create_cmd)
certificate_app.command("verify")(verify_cmd)
certificate_app.command("revoke")(revoke_cmd)


def _load(file: str) -> dict:
    try:
        data = json.loads(read_text_arg(file))
    except json.JSONDecodeError as err:
        raise ParseError(f"{file}: invalid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    if not isinstance(data, dict):
        raise ParseError(f"{file}: a certificate must be a JSON object, got {type(data).__name__}")
    return data


@certificate_app.command("validate")
@cli_errors
def validate_cmd(
    file: Annotated[str, typer.Argument(help="certificate JSON file, or - for standard input")],
) -> None:
    """Exit 0 when valid; exit 1 with a JSON list of {field, message} when not."""
    errors = validate_certificate(_load(file))
    if errors:
        typer.echo(json.dumps([e.to_dict() for e in errors], indent=2, ensure_ascii=False))
        raise typer.Exit(EXIT_INVALID)
    typer.echo("valid")


@certificate_app.command("render")
@cli_errors
def render_cmd(
    file: Annotated[str, typer.Argument(help="certificate JSON file, or -")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write")],
    verify_url: Annotated[str, typer.Option("--verify-url", help="URL the QR code encodes")],
) -> None:
    """Render a valid certificate to PDF with a QR code for the verification URL."""
    pdf = render_certificate_pdf(_load(file), verify_url=verify_url)
    out.write_bytes(pdf)
    typer.echo(f"wrote {out} ({len(pdf)} bytes)")


@certificate_app.command("build")
@cli_errors
def build_cmd(
    answer: Annotated[str, typer.Option("--answer", help="qualification answer JSON (from usmca origin qualify)")],
    parties: Annotated[
        str,
        typer.Option(
            "--parties",
            help="JSON with certifier, producer, exporter, importer and optional invoice, blanket_period, "
            "signed_date, description, origin_criterion, language",
        ),
    ],
) -> None:
    """Build an unsigned certificate document from a qualifying answer and print it with its content hash."""
    data = _load(parties)
    allowed = {
        "certifier",
        "producer",
        "exporter",
        "importer",
        "invoice",
        "blanket_period",
        "signed_date",
        "description",
        "origin_criterion",
        "language",
    }
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"{parties}: unknown key(s) {', '.join(unknown)}", field=unknown[0])
    if "certifier" not in data or "producer" not in data:
        raise ValidationError(f"{parties}: certifier and producer are required", field="certifier")
    cert = build_certificate(_load(answer), **data)
    typer.echo(json.dumps({"certificate": cert, "content_hash": content_hash(cert)}, indent=2, ensure_ascii=False))


@certificate_app.command("hash")
@cli_errors
def hash_cmd(file: Annotated[str, typer.Argument(help="certificate JSON file, or -")]) -> None:
    """Print the content hash (sha256 of the canonical JSON without the signature block)."""
    typer.echo(content_hash(_load(file)))
