"""``usmca epcis ...``: hash and validate EPCIS 2.0 JSON-LD documents from files or standard input.

Mounted by the lead in ``ledger/cli.py`` as ``app.add_typer(epcis_app, name="epcis")``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli_support import cli_errors, print_json, read_text_arg
from ledger.errors import LedgerError
from scanner.epcis.document import EPCISDocument, load_json, read_events
from scanner.epcis.hashing import HASH_ALGORITHMS, hash_prehash, model_prehash
from scanner.epcis.prehash import prehash_jsonld
from scanner.epcis.schema import schema_issues

epcis_app = typer.Typer(help="EPCIS 2.0 documents: GS1 event hash IDs and schema validation.", no_args_is_help=True)

SourceArg = Annotated[str, typer.Argument(help="EPCIS 2.0 JSON-LD document file, or - for standard input.")]


@epcis_app.command("hash")
@cli_errors
def hash_cmd(
    source: SourceArg,
    algorithm: Annotated[str, typer.Option(help=f"One of {', '.join(HASH_ALGORITHMS)}.")] = "sha256",
    prehash: Annotated[bool, typer.Option("--prehash", help="Also print each canonical pre-hash string.")] = False,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Hash the JSON as written, without checking events against our model."),
    ] = False,
) -> None:
    """Print the GS1 canonical event hash ID (``ni:///sha-256;...?ver=CBV2.0``) of every event, in order."""
    data = load_json(read_text_arg(source))
    obj, namespaces = EPCISDocument.header(data)
    out: list[dict[str, Any]] = []
    for i, item in enumerate(_events(obj, namespaces, raw)):
        if isinstance(item, LedgerError):
            raise item
        event_json, ns = item
        text = model_prehash(event_json, ns) if not raw else None
        text = text if text is not None else prehash_jsonld(event_json, ns)
        row: dict[str, Any] = {
            "index": i,
            "type": event_json.get("type"),
            "eventID": event_json.get("eventID"),
            "hash": hash_prehash(text, algorithm),
        }
        if prehash:
            row["prehash"] = text
        out.append(row)
    print_json(out)


def _events(obj: Any, namespaces: dict[str, str], raw: bool) -> list[Any]:
    events = obj["epcisBody"]["eventList"]
    if raw:
        return [(e, namespaces) for e in events]
    return [
        item if isinstance(item, LedgerError) else (item.to_jsonld(), item.namespaces)
        for item in read_events(events, namespaces, "epcisBody.eventList")
    ]


@epcis_app.command("validate")
@cli_errors
def validate_cmd(source: SourceArg) -> None:
    """Check a document against the GS1 EPCIS JSON schema and our event rules; exit 2 listing all problems."""
    data = load_json(read_text_arg(source))
    problems = [{"path": i.path, "message": i.message, "source": "schema"} for i in schema_issues(data)]
    count = 0
    if not problems:
        obj, namespaces = EPCISDocument.header(data)
        for item in read_events(obj["epcisBody"]["eventList"], namespaces, "epcisBody.eventList"):
            if isinstance(item, LedgerError):
                problems.append({"path": item.field or "", "message": item.message, "source": "model"})
            else:
                count += 1
    print_json({"valid": not problems, "events": count, "problems": problems})
    if problems:
        raise typer.Exit(2)
