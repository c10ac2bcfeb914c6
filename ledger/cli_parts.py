"""``usmca part ...`` and ``usmca cert ...``: parts, scans, custody and certifications from the shell.

Each command acts as one member (``--org`` and ``--member``) and is one chaincode transaction through the same
client library the API uses. Documents are given as JSON (a file path or ``-`` for stdin) so scripts can pass
exactly what the chaincode reference (docs/chaincode.md) describes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli_support import cli_errors, print_json, read_text_arg
from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.errors import ParseError
from ledger.identity.network import load_network

part_app = typer.Typer(help="Parts: commission, scan, assemble, ship, receive, show.", no_args_is_help=True)
cert_app = typer.Typer(help="Origin certifications: submit, show, list, revoke.", no_args_is_help=True)

HomeOpt = Annotated[Path, typer.Option("--home", help="Ledger home directory.")]
OrgOpt = Annotated[str, typer.Option("--org", help="MSP id of the org to act as.")]
MemberOpt = Annotated[str, typer.Option("--member", help="Member name within the org.")]
DocArg = Annotated[str, typer.Argument(help="JSON document: a file path, or - for standard input.")]


def _client(home: Path, org: str, member: str) -> LedgerClient:
    return LedgerClient(connect(home, org, member))


def _doc(source: str) -> Any:
    text = read_text_arg(source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{source}: invalid JSON ({exc})", value=source) from exc


@part_app.command("commission")
@cli_errors
def commission_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, document: DocArg) -> None:
    """Commission one part (a JSON object) or many (a JSON list of up to 5,000)."""
    doc = _doc(document)
    client = _client(home, org, member)
    print_json(client.commission_parts(doc) if isinstance(doc, list) else client.commission_part(doc))


@part_app.command("show")
@cli_errors
def show_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, uid: str) -> None:
    """A part with its full history (commission, scans, assembly, custody, anomalies)."""
    print_json(_client(home, org, member).get_part(uid))


@part_app.command("scan")
@cli_errors
def scan_cmd(
    home: HomeOpt,
    org: OrgOpt,
    member: MemberOpt,
    uid: str,
    biz_step: Annotated[str, typer.Option(help="CBV business step.")] = "inspecting",
    disposition: Annotated[str, typer.Option(help="CBV disposition.")] = "active",
) -> None:
    """Record one read of a part by this station member (the event hash is computed from the EPCIS event)."""
    from ledger.bootstrap import read_point_uri
    from scanner.epcis import object_event_for_read

    m = load_network(home).member(org, member)
    station = m.station or ""
    when = datetime.now(UTC)
    event = object_event_for_read(
        uid,
        event_time=when,
        read_point=read_point_uri(org, station),
        biz_location=None,
        biz_step=biz_step,
        disposition=disposition,
    )
    scan = {
        "uid": uid,
        "station_id": station,
        "biz_step": biz_step,
        "disposition": disposition,
        "event_time": when.isoformat(),
        "event_hash": event.event_id,
    }
    print_json(_client(home, org, member).record_scan(scan))


@part_app.command("assemble")
@cli_errors
def assemble_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, document: DocArg) -> None:
    """A parent consumes children: {"parent_uid", "child_uids", "event_hash", "event_time"}."""
    print_json(_client(home, org, member).assemble(_doc(document)))


@part_app.command("ship")
@cli_errors
def ship_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, document: DocArg) -> None:
    """Ship parts: {"shipment_id", "to_msp", "uids", "reference"?}."""
    print_json(_client(home, org, member).ship(_doc(document)))


@part_app.command("receive")
@cli_errors
def receive_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, document: DocArg) -> None:
    """Receive an open shipment: {"shipment_id", "from_msp", "uids"}."""
    print_json(_client(home, org, member).receive(_doc(document)))


@part_app.command("decommission")
@cli_errors
def decommission_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, uid: str, reason: str) -> None:
    """Take a part out of service."""
    print_json(_client(home, org, member).decommission(uid, reason))


@cert_app.command("submit")
@cli_errors
def cert_submit_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, document: DocArg) -> None:
    """Sign a certification body with this certifier's key and submit it."""
    signer = load_network(home).member(org, member).signer
    print_json(_client(home, org, member).submit_certification(_doc(document), signer))


@cert_app.command("show")
@cli_errors
def cert_show_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, cert_id: str) -> None:
    """A certification with its status now (valid, revoked, expired, upstream invalid) and reasons."""
    print_json(_client(home, org, member).get_certification(cert_id))


@cert_app.command("list")
@cli_errors
def cert_list_cmd(
    home: HomeOpt,
    org: OrgOpt,
    member: MemberOpt,
    part_type: Annotated[str | None, typer.Option(help="Certifications of this part type.")] = None,
    issuer: Annotated[str | None, typer.Option(help="Certifications issued by this MSP.")] = None,
) -> None:
    """List certifications by part type or by issuing org."""
    client = _client(home, org, member)
    if part_type:
        print_json(client.certifications_by_part_type(part_type))
    else:
        print_json(client.certifications_by_org(issuer or org))


@cert_app.command("revoke")
@cli_errors
def cert_revoke_cmd(home: HomeOpt, org: OrgOpt, member: MemberOpt, cert_id: str, reason: str) -> None:
    """Revoke a certification of this org; certifications relying on it read back as not valid."""
    print_json(_client(home, org, member).revoke_certification(cert_id, reason))
