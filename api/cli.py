"""``usmca serve`` and ``usmca credential ...``: run the API service and manage its bearer credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.core.credentials import CredentialStore
from api.core.services import CREDENTIALS_FILE
from api.core.settings import load_settings
from ledger.cli_support import cli_errors, print_json
from ledger.errors import NotFound, ValidationError
from ledger.identity.network import load_network

credential_app = typer.Typer(
    help="Bearer credentials bound to member identities (stored hashed).", no_args_is_help=True
)
HomeOpt = Annotated[Path, typer.Option("--home", help="Ledger home directory.")]


def serve(
    home: HomeOpt,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    backend: Annotated[str, typer.Option(help="Ledger backend (embedded or fabric).")] = "embedded",
    env_file: Annotated[Path | None, typer.Option(help="Settings file (USMCA_* variables).")] = None,
) -> None:
    """Serve the HTTP API and web pages for one ledger home."""
    _serve(home, host, port, backend, env_file)


@cli_errors
def _serve(home: Path, host: str, port: int, backend: str, env_file: Path | None) -> None:
    import uvicorn

    from api.app import create_app

    if not (home / "network.yaml").exists():
        raise NotFound(f"{home} holds no network (run 'usmca network init' or 'usmca demo seed')", value=str(home))
    settings = load_settings(env_file, home=home, host=host, port=port, backend=backend)
    typer.echo(f"usmca: serving {home} on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def _store(home: Path) -> CredentialStore:
    if not (home / "network.yaml").exists():
        raise NotFound(f"{home} holds no network", value=str(home))
    return CredentialStore(home / CREDENTIALS_FILE)


def create_credential(home: Path, org: str, member: str, label: str = "") -> dict[str, str]:
    """Issue a credential for an existing member; returns its id and the token (shown once)."""
    network = load_network(home)
    m = network.member(org, member)
    cred_id, token = _store(home).create(org, member, m.role.value, label)
    return {"id": cred_id, "token": token, "msp_id": org, "member": member, "role": m.role.value}


@credential_app.command("create")
@cli_errors
def create_cmd(
    home: HomeOpt,
    org: Annotated[str, typer.Option("--org", help="MSP id.")],
    member: Annotated[str, typer.Option("--member", help="Member name (see 'usmca network members').")],
    label: Annotated[str, typer.Option(help="A note: who or what uses it.")] = "",
) -> None:
    """Create a credential; the token is printed once and only its hash is kept."""
    print_json(create_credential(home, org, member, label))


@credential_app.command("list")
@cli_errors
def list_cmd(home: HomeOpt) -> None:
    """List credentials (ids, members, roles, revocation), never tokens."""
    print_json(_store(home).list())


@credential_app.command("revoke")
@cli_errors
def revoke_cmd(home: HomeOpt, credential_id: str) -> None:
    """Revoke a credential by id; requests with it are refused at once."""
    if not credential_id.startswith("cred_"):
        raise ValidationError(f"{credential_id!r} is not a credential id (cred_...)", value=credential_id)
    _store(home).revoke(credential_id)
    print_json({"revoked": credential_id})
