"""``usmca scan ...`` and ``usmca label ...``: thin commands over scanner.identifiers, datamatrix and labels.

The lead mounts ``scan_app`` as ``usmca scan`` and ``label_app`` as ``usmca label``; ``python -m scanner.cli``
runs both stand-alone (``python -m scanner.cli scan parse ...``).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli_support import EXIT_BAD_INPUT, cli_errors, print_json, read_text_arg
from ledger.errors import LedgerError, ValidationError
from scanner.datamatrix import decode
from scanner.identifiers import parse
from scanner.identifiers.text import unescape
from scanner.labels import SheetSpec, content_from_fields, label_content, read_parts_csv, write_labels

MM = 72.0 / 25.4

scan_app = typer.Typer(
    help="Read part identifiers: parse scanned text, decode Data Matrix images.", no_args_is_help=True
)
label_app = typer.Typer(help="Render Data Matrix part labels (PNG, SVG, PDF sheets).")


@scan_app.command("parse")
@cli_errors
def parse_cmd(
    text: Annotated[str, typer.Argument(help="Scanned text, or '-' to read it from standard input.")],
    require_serial: Annotated[
        bool, typer.Option("--require-serial", help="Refuse lot- and class-level identifiers.")
    ] = False,
) -> None:
    r"""Parse a GS1 element string, HRI, Digital Link or ISO/IEC 15434 message and print the part as JSON.

    Separators may be typed as <GS>, <RS>, <EOT> (or \x1d, \x1e, \x04). Exit 2 with one line when invalid.
    """
    raw = read_text_arg("-") if text == "-" else text
    print_json(parse(unescape(raw.rstrip("\r\n")), require_serial=require_serial).as_dict())


@scan_app.command("decode")
@cli_errors
def decode_cmd(
    files: Annotated[list[Path], typer.Argument(help="Images (PNG, JPEG, TIFF, BMP).")],
    all_symbols: Annotated[bool, typer.Option("--all", help="Report every symbol in each image.")] = False,
    require_serial: Annotated[bool, typer.Option("--require-serial", help="Report lot-level codes as errors.")] = False,
) -> None:
    """Decode Data Matrix symbols and print one JSON line per image (per symbol with --all).

    Exit 0 when every image gave a valid part, 1 when a symbol was missing or refused, 2 when a file could not
    be read (its line then carries the error).
    """
    status = 0
    for path in files:
        try:
            results = [r.as_dict() for r in decode(path, all=all_symbols, require_serial=require_serial)]
        except LedgerError as err:
            line = {"path": str(path), "found": False, "error": {"kind": err.kind, "message": err.message}}
            typer.echo(json.dumps(line, sort_keys=True, ensure_ascii=False))
            status = EXIT_BAD_INPUT
            continue
        for res in results:
            typer.echo(json.dumps(res, sort_keys=True, ensure_ascii=False))
            if (not res["found"] or res["error"] is not None) and status == 0:
                status = 1
    if status:
        raise typer.Exit(status)


class Scheme(StrEnum):
    """Identifier scheme of a label."""

    gs1 = "gs1"
    mh10 = "mh10"


class Page(StrEnum):
    """Sheet page size."""

    letter = "letter"
    a4 = "a4"


def _opt(help_text: str) -> Any:
    return typer.Option(help=help_text)


@label_app.callback(invoke_without_command=True)
@cli_errors
def label(
    out: Annotated[Path, typer.Option("--out", help="Output file: .png, .svg or .pdf.")],
    scheme: Annotated[Scheme | None, _opt("gs1 or mh10 (default: gs1 when --gtin is given).")] = None,
    gtin: Annotated[str | None, _opt("GTIN (8-14 digits, check digit verified).")] = None,
    serial: Annotated[str | None, _opt("Serial number (AI 21 / DI S).")] = None,
    lot: Annotated[str | None, _opt("Lot or batch (AI 10 / DI 1T).")] = None,
    production_date: Annotated[str | None, _opt("Production date YYYY-MM-DD.")] = None,
    expiry_date: Annotated[str | None, _opt("Expiry date YYYY-MM-DD.")] = None,
    part_number: Annotated[str | None, _opt("Customer part number (AI 241 / DI P).")] = None,
    supplier_part_number: Annotated[str | None, _opt("Supplier part number (DI 1P).")] = None,
    uii: Annotated[str | None, _opt("Unique item id IAC+CIN+serial (DI 25S).")] = None,
    duns: Annotated[str | None, _opt("Manufacturer DUNS (DI 12V).")] = None,
    supplier_code: Annotated[str | None, _opt("Supplier code assigned by the customer (DI V).")] = None,
    country: Annotated[str | None, _opt("Country of origin, ISO alpha-2 (AI 422 / DI 4L).")] = None,
    quantity: Annotated[int | None, _opt("Quantity (AI 30 / DI Q).")] = None,
    description: Annotated[str | None, _opt("Title line printed on the label.")] = None,
    payload: Annotated[str | None, _opt("Any parseable spelling instead of fields (<GS> allowed).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="CSV of parts, one label per row.")] = None,
    page: Annotated[Page, _opt("Sheet page size for --csv PDF output.")] = Page.letter,
    cols: Annotated[int, _opt("Labels across a sheet.")] = 2,
    rows: Annotated[int, _opt("Labels down a sheet.")] = 5,
    width_mm: Annotated[float, _opt("Label width for single labels.")] = 101.6,
    height_mm: Annotated[float, _opt("Label height for single labels.")] = 50.8,
    dpi: Annotated[int, _opt("PNG resolution.")] = 300,
) -> None:
    """Render a Data Matrix label from fields, a payload or a CSV of parts (PDF sheets); print a summary."""
    if not (10 <= width_mm <= 1000 and 10 <= height_mm <= 1000):
        raise ValidationError(f"label size {width_mm}x{height_mm} mm must be 10-1000 mm a side", value=width_mm)
    if not 72 <= dpi <= 2400:
        raise ValidationError(f"dpi {dpi} must be 72-2400", value=dpi)
    if csv_file is not None:
        contents = read_parts_csv(read_text_arg(str(csv_file)))
        sheet = SheetSpec(page=page.value, cols=cols, rows=rows)
    elif payload is not None:
        contents = [label_content(unescape(payload), description=description)]
        sheet = None
    else:
        fields = {
            "gtin": gtin,
            "serial": serial,
            "lot": lot,
            "production_date": production_date,
            "expiry_date": expiry_date,
            "part_number": part_number,
            "supplier_part_number": supplier_part_number,
            "uii": uii,
            "duns": duns,
            "supplier_code": supplier_code,
            "country_of_origin": country,
            "quantity": quantity,
        }
        contents = [content_from_fields(scheme.value if scheme else None, description=description, **fields)]
        sheet = None
    path = write_labels(contents, out, sheet=sheet, width_pt=width_mm * MM, height_pt=height_mm * MM, dpi=dpi)
    print_json({"out": str(path), "labels": len(contents), "uids": [c.identifier.uid for c in contents]})


def build_app() -> typer.Typer:
    """A root app mounting ``scan`` and ``label`` exactly as ``usmca`` does (``add_typer``)."""
    root = typer.Typer(help="Scanner commands.", no_args_is_help=True, pretty_exceptions_enable=False)
    root.add_typer(scan_app, name="scan")
    root.add_typer(label_app, name="label")
    return root


def main() -> None:
    """Run ``scan`` and ``label`` stand-alone (``python -m scanner.cli``)."""
    build_app()(prog_name="scanner", args=sys.argv[1:])


if __name__ == "__main__":
    main()
