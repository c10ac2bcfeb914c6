"""``usmca origin part``, ``usmca certificate create`` and ``usmca certificate verify``: thin CLIs over the library.

They act on a ledger home directly (as the member named by ``--org``/``--member``): the read model of the home is
brought up to date from the committed blocks first, exactly as the API's follower does, so the CLI and the API
compute the same origin from the same state.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.compliance.coo import verify_bytes
from api.compliance.gather import LedgerOrigin
from api.compliance.issue import CertificateStore, issue_certificate, part_answer
from api.core.clock import today as utc_today
from api.origin.engine import qualify
from ledger.cli_support import cli_errors, print_json, read_text_arg
from ledger.client import LedgerClient
from ledger.connect import committed_blocks, connect
from ledger.errors import NotFound, ParseError, ValidationError
from ledger.identity.network import load_network
from ledger.readmodel.builder import READMODEL_FILE, ReadModel

HomeOpt = Annotated[Path, typer.Option("--home", help="Ledger home directory.")]
OrgOpt = Annotated[str, typer.Option("--org", help="MSP id of the org to act as.")]
MemberOpt = Annotated[str, typer.Option("--member", help="Member name within the org.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Thresholds date, YYYY-MM-DD (default today).")]
EndUseOpt = Annotated[str, typer.Option("--end-use", help="oe_pv_lt, oe_heavy_truck, other_vehicle, aftermarket.")]
ExtraOpt = Annotated[
    str | None, typer.Option("--extra", help="JSON with figures the ledger lacks: steel, aluminum, lvc, core_parts.")
]
EXIT_NOT_VALID = 1


def readmodel(home: Path) -> ReadModel:
    """The home's read model, caught up with every committed block."""
    if not (home / "network.yaml").exists():
        raise NotFound(f"{home} holds no network (run 'usmca network init' or 'usmca demo seed')", value=str(home))
    model = ReadModel(home / READMODEL_FILE)
    for block in committed_blocks(home, model.next_block, follow=False):
        model.apply(block)
    return model


def _json_file(source: str, what: str) -> Any:
    try:
        return json.loads(read_text_arg(source))
    except json.JSONDecodeError as err:
        raise ParseError(f"{what} {source}: invalid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None


def _object(source: str | None, what: str) -> dict[str, Any] | None:
    if source is None:
        return None
    data = _json_file(source, what)
    if not isinstance(data, dict):
        raise ParseError(f"{what} {source}: expected a JSON object, got {type(data).__name__}", value=source)
    return data


def _date(text: str | None) -> dt.date:
    if text is None:
        return utc_today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"--as-of {text!r} is not a date (YYYY-MM-DD)", field="--as-of", value=text) from None


@cli_errors
def part_cmd(
    home: HomeOpt,
    org: OrgOpt,
    member: MemberOpt,
    uid: Annotated[str, typer.Argument(help="Part (or vehicle) uid.")],
    as_of: AsOfOpt = None,
    end_use: EndUseOpt = "oe_pv_lt",
    extra: ExtraOpt = None,
) -> None:
    """Origin of a part computed from the ledger and the org's own prices: request, evidence and answer."""
    load_network(home).member(org, member)
    today = utc_today()
    bom = LedgerOrigin(readmodel(home), home, org).bom(
        uid, as_of=_date(as_of), on=today, end_use=end_use, extra=_object(extra, "--extra")
    )
    print_json({**bom.as_dict(), "answer": qualify(bom.request).model_dump(mode="json")})


@cli_errors
def create_cmd(
    home: HomeOpt,
    org: OrgOpt,
    member: MemberOpt,
    parties: Annotated[str, typer.Option("--parties", help="JSON: certifier, producer, exporter, importer, ...")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for <id>.json and <id>.pdf.")],
    answer: Annotated[
        str | None, typer.Option("--answer", help="A qualifying answer JSON (usmca origin qualify).")
    ] = None,
    uid: Annotated[str | None, typer.Option("--uid", help="Compute the origin of this part from the ledger.")] = None,
    as_of: AsOfOpt = None,
    end_use: EndUseOpt = "oe_pv_lt",
    extra: ExtraOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="API base URL the QR code points to.")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Build, sign (certifier's key), record the hash on the ledger, and write the JSON and the PDF."""
    if (answer is None) == (uid is None):
        raise ValidationError("give exactly one of --answer and --uid", field="--answer")
    network = load_network(home)
    who = network.member(org, member)
    if uid is not None:
        qualification = part_answer(readmodel(home), home, org, uid, as_of=_date(as_of), on=utc_today(),
                                    end_use=end_use, extra=_object(extra, "--extra"))  # fmt: skip
    else:
        qualification = _object(answer, "--answer") or {}
    issued = issue_certificate(
        LedgerClient(connect(home, org, member)),
        who,
        qualification,
        _object(parties, "--parties") or {},
        base_url=base_url,
        store=CertificateStore(home, org),
    )
    cid = issued.certificate["certificate_id"]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{cid}.json").write_text(
        json.dumps(issued.certificate, sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out_dir / f"{cid}.pdf").write_bytes(issued.pdf)
    print_json(
        {
            "certificate_id": cid,
            "content_hash": issued.ledger["content_hash"],
            "tx_id": issued.ledger.get("tx_id"),
            "verify_url": issued.verify_url,
            "json": str(out_dir / f"{cid}.json"),
            "pdf": str(out_dir / f"{cid}.pdf"),
        }
    )


@cli_errors
def verify_cmd(
    file: Annotated[Path, typer.Argument(help="Certificate JSON or PDF (with its embedded JSON).")],
    home: HomeOpt,
) -> None:
    """Check signature, ledger record and revocation: exit 0 valid, 1 not valid (reasons), 2 unreadable."""
    verdict = verify_bytes(readmodel(home), file.read_bytes(), str(file))
    print_json(verdict.as_dict())
    if not verdict.valid:
        raise typer.Exit(EXIT_NOT_VALID)


@cli_errors
def revoke_cmd(
    home: HomeOpt,
    org: OrgOpt,
    member: MemberOpt,
    certificate_id: Annotated[str, typer.Argument(help="Certificate of origin id (COO-...).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (1-512 characters).")],
) -> None:
    """Revoke a certificate of origin of the org (certifier or admin); verification fails from then on."""
    print_json(LedgerClient(connect(home, org, member)).revoke_certificate_of_origin(certificate_id, reason))
