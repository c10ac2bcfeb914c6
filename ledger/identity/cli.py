"""``usmca network ...``: create a network's identities from network.yaml, list and issue members.

A thin layer over :mod:`ledger.identity.msp` and :mod:`ledger.identity.network`; every command prints a
readable table by default and stable JSON with ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli_support import cli_errors, print_json
from ledger.identity.config import load_config
from ledger.identity.export import export_org
from ledger.identity.msp import add_member, init_network, revoke_member
from ledger.identity.network import Member, Network, load_network

network_app = typer.Typer(
    help="Organizations, certificate authorities and member identities of the permissioned network.",
    no_args_is_help=True,
)

HomeOpt = Annotated[Path, typer.Option("--home", help="Home directory of the network (and its ledger).")]
ConfigOpt = Annotated[Path, typer.Option("--config", help="network.yaml describing orgs, sites and members.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def member_dict(m: Member) -> dict[str, Any]:
    """A member as JSON-ready data (certificate path instead of the PEM)."""
    return {
        "msp_id": m.msp_id,
        "name": m.name,
        "role": m.role.value,
        "station": m.station,
        "site": m.site,
        "cert": str(m.msp_dir / "signcerts" / "cert.pem"),
        "revoked_at": m.revoked_at.isoformat() if m.revoked_at else None,
        "msp_dir": str(m.msp_dir),
    }


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        typer.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _network_summary(network: Network) -> dict[str, Any]:
    return {
        "name": network.name,
        "channel": network.channel,
        "home": str(network.home),
        "endorsement_policy": network.endorsement_policy,
        "fabric_signature_policy": network.policy.fabric(),
        "orgs": [
            {
                "msp_id": o.msp_id,
                "name": o.name,
                "tier": o.tier.value,
                "country": o.country,
                "peer": network.peer(o.msp_id).address,
                "members": len(network.members(o.msp_id)),
            }
            for o in network.orgs
        ],
        "orderer": (
            {"msp_id": network.orderer.msp_id, "nodes": [n.address for n in network.orderer.nodes]}
            if network.orderer
            else None
        ),
    }


def _print_summary(network: Network, as_json: bool) -> None:
    summary = _network_summary(network)
    if as_json:
        print_json(summary)
        return
    typer.echo(f"network {summary['name']} (channel {summary['channel']}) in {summary['home']}")
    policy, fabric = summary["endorsement_policy"], summary["fabric_signature_policy"]
    same = "".join(policy.split()) == "".join(fabric.split())
    typer.echo(f"endorsement policy: {policy}" + ("" if same else f" = {fabric}"))
    rows = [[o["msp_id"], o["tier"], o["country"], o["peer"], str(o["members"]), o["name"]] for o in summary["orgs"]]
    _table(rows, ["MSP", "TIER", "COUNTRY", "PEER", "MEMBERS", "NAME"])
    if network.orderer:
        typer.echo(f"orderer {network.orderer.msp_id}: {', '.join(n.address for n in network.orderer.nodes)}")


@network_app.command("init")
@cli_errors
def init_cmd(home: HomeOpt, config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """Create every org's CA, TLS CA, peer, admin and members under --home (refuses an existing network)."""
    network = init_network(home, load_config(config))
    _print_summary(network, as_json)


@network_app.command("validate")
@cli_errors
def validate_cmd(config: ConfigOpt, as_json: JsonOpt = False) -> None:
    """Check a network.yaml without creating anything; prints the normalized configuration."""
    cfg = load_config(config)
    if as_json:
        print_json(cfg.model_dump(mode="json", exclude_none=True))
    else:
        typer.echo(cfg.to_yaml(), nl=False)


@network_app.command("show")
@cli_errors
def show_cmd(home: HomeOpt, as_json: JsonOpt = False) -> None:
    """Summarize the network of --home: orgs, peers, policy and orderer."""
    _print_summary(load_network(home), as_json)


@network_app.command("members")
@cli_errors
def members_cmd(
    home: HomeOpt,
    org: Annotated[str | None, typer.Option("--org", help="Only this org's members (MSP id).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List members with their role, station and certificate."""
    members = load_network(home).members(org)
    if as_json:
        print_json([member_dict(m) for m in members])
        return
    rows = [
        [m.msp_id, m.name, m.role.value, m.station or "", m.site or "", "active" if m.active else "revoked"]
        for m in members
    ]
    _table(rows, ["MSP", "NAME", "ROLE", "STATION", "SITE", "STATUS"])


@network_app.command("add-member")
@cli_errors
def add_member_cmd(
    home: HomeOpt,
    org: Annotated[str, typer.Option("--org", help="MSP id of the member's org.")],
    name: Annotated[str, typer.Option("--name", help="Member name (letters, digits, '.', '_', '-').")],
    role: Annotated[str, typer.Option("--role", help="admin, station, certifier, compliance or auditor.")],
    station: Annotated[str | None, typer.Option("--station", help="Station id (role station only).")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Site id of the org where the member works.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a certificate for a new member from the org's CA and record it in network.yaml."""
    member = add_member(home, org, name, role, station=station, site=site)
    if as_json:
        print_json(member_dict(member))
    else:
        typer.echo(f"issued {member.msp_id}/{member.name} ({member.role.value}): {member.msp_dir}")


@network_app.command("revoke-member")
@cli_errors
def revoke_member_cmd(
    home: HomeOpt,
    org: Annotated[str, typer.Option("--org", help="MSP id of the member's org.")],
    name: Annotated[str, typer.Option("--name", help="Member to revoke.")],
    as_json: JsonOpt = False,
) -> None:
    """Revoke a member's certificate (lost scanner, person left): the org's CA publishes a new CRL."""
    member = revoke_member(home, org, name)
    if as_json:
        print_json(member_dict(member))
    else:
        typer.echo(f"revoked {member.msp_id}/{member.name} at {member.revoked_at}")


@network_app.command("export-org")
@cli_errors
def export_org_cmd(
    home: HomeOpt,
    org: Annotated[str, typer.Option("--org", help="MSP id of the org whose keys go along.")],
    out: Annotated[Path, typer.Option("--out", help="New, empty home directory for that org's node.")],
    as_json: JsonOpt = False,
) -> None:
    """Write a home for one org's node: the whole network's certificates, but only that org's private keys."""
    network = export_org(home, org, out)
    if as_json:
        print_json({"home": str(network.home), "org": org, "members": [m.name for m in network.members(org)]})
    else:
        typer.echo(f"exported {org} to {network.home} (private keys of {org} only)")


def main() -> None:
    """Run the ``network`` commands on their own (``python -m ledger.identity.cli``)."""
    network_app()


if __name__ == "__main__":
    main()


def _add_fabric_commands() -> None:
    """``usmca network up|down|status`` run the network on native Fabric (defined in ledger/fabric/cli.py)."""
    from ledger.fabric.cli import add_network_commands

    add_network_commands(network_app)


_add_fabric_commands()
