"""``usmca origin``: a thin CLI over the origin engine (qualify, averaged qualify, threshold lookup)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from api.origin.averaging import qualify_average
from api.origin.engine import answer_json, qualify_json
from api.origin.rules import load_rules
from ledger.cli_support import cli_errors, print_json, read_text_arg
from ledger.errors import ParseError, ValidationError

origin_app = typer.Typer(
    help="USMCA rules of origin: qualify goods and look thresholds up.", no_args_is_help=True
)


@origin_app.callback()
def _group() -> None:
    """USMCA rules of origin: qualify goods and look thresholds up."""


@origin_app.command("qualify")
@cli_errors
def qualify_cmd(
    file: Annotated[str, typer.Argument(help="JSON request file, or - for standard input")],
) -> None:
    """Qualify one good and print the JSON answer (same request, same bytes)."""
    typer.echo(qualify_json(read_text_arg(file)))


@origin_app.command("average")
@cli_errors
def average_cmd(
    file: Annotated[str, typer.Argument(help="JSON list of requests (one per good or vehicle), or -")],
    as_of: Annotated[
        str | None, typer.Option(help="date whose thresholds apply (default: latest as_of)")
    ] = None,
) -> None:
    """Average many requests of one category (model line over a period) and print one NC answer."""
    data = json.loads(read_text_arg(file))
    if not isinstance(data, list):
        raise ParseError(f"expected a JSON list of requests, got {type(data).__name__}")
    when = _date(as_of, "--as-of") if as_of else None
    typer.echo(answer_json(qualify_average(data, as_of=when)))


@origin_app.command("threshold")
@cli_errors
def threshold_cmd(
    category: Annotated[str, typer.Argument(help="rules category, e.g. table_b_principal")],
    as_of: Annotated[str, typer.Option(help="date, YYYY-MM-DD")],
    method: Annotated[str, typer.Option(help="NC or TV")] = "NC",
) -> None:
    """Print the threshold in force for a category, method and date, with its legal source."""
    print_json(load_rules().threshold(category, method.upper(), _date(as_of, "--as-of")).describe())


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} {text!r} is not a date (YYYY-MM-DD)", field=name, value=text) from None
