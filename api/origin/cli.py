"""``usmca origin``: a thin CLI over the origin engine (qualify, average, threshold lookup, compliance report)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from api.compliance.cli import part_cmd
from api.origin.averaging import qualify_average
from api.origin.engine import answer_json, qualify_json
from api.origin.rules import load_rules
from ledger.cli_support import cli_errors, print_json, read_text_arg
from ledger.errors import ParseError, ValidationError

origin_app = typer.Typer(help="USMCA rules of origin: qualify goods and look thresholds up.", no_args_is_help=True)


@origin_app.callback()
def _group() -> None:
    """USMCA rules of origin: qualify goods and look thresholds up."""


origin_app.command("part")(part_cmd)


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
    as_of: Annotated[str | None, typer.Option(help="date whose thresholds apply (default: latest as_of)")] = None,
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


@origin_app.command("report")
@cli_errors
def report_cmd(
    file: Annotated[str, typer.Argument(help="JSON vehicle input, or a list of them for --model-line, or -")],
    on: Annotated[str, typer.Option(help="report date, YYYY-MM-DD (certification expiry is judged on it)")],
    model_line: Annotated[str | None, typer.Option(help="average this model line over --from..--to")] = None,
    period_from: Annotated[str | None, typer.Option("--from", help="period start, YYYY-MM-DD")] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="period end, YYYY-MM-DD")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, csv or pdf")] = "json",
    out: Annotated[Path | None, typer.Option(help="file to write (required for pdf)")] = None,
) -> None:
    """OEM compliance report for one vehicle, or a model line over a period (averaged)."""
    from api.reports import model_line_report, report_to_csv, report_to_json, report_to_pdf, vehicle_report

    if fmt not in ("json", "csv", "pdf"):
        raise ValidationError(f"--format {fmt!r} must be json, csv or pdf", field="--format", value=fmt)
    if fmt == "pdf" and out is None:
        raise ValidationError("--format pdf needs --out FILE", field="--out")
    data = json.loads(read_text_arg(file))
    day = _date(on, "--on")
    if model_line is None:
        if not isinstance(data, dict):
            raise ParseError(f"expected one JSON vehicle object, got {type(data).__name__}")
        report = vehicle_report(data, on=day)
    else:
        if not isinstance(data, list):
            raise ParseError(f"expected a JSON list of vehicles for --model-line, got {type(data).__name__}")
        if period_from is None or period_to is None:
            raise ValidationError("--model-line needs --from and --to", field="--from")
        report = model_line_report(
            data,
            model_line=model_line,
            period_from=_date(period_from, "--from"),
            period_to=_date(period_to, "--to"),
            on=day,
        )
    if fmt == "pdf":
        assert out is not None
        out.write_bytes(report_to_pdf(report))
        typer.echo(f"wrote {out}")
        return
    text = report_to_json(report) if fmt == "json" else report_to_csv(report)
    if out is None:
        typer.echo(text, nl=fmt == "json")
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
