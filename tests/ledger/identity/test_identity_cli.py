from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.identity.cli import network_app
from ledger.identity.network import load_network

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(network_app, list(args))


def test_init_then_members_table_and_json(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    result = _run("init", "--home", str(home), "--config", str(config_file))
    assert result.exit_code == 0, result.output
    assert "network mini (channel usmca)" in result.output
    rows = [line.split() for line in result.output.splitlines()[2:]]
    assert rows[0] == ["MSP", "TIER", "COUNTRY", "PEER", "MEMBERS", "NAME"]
    assert rows[1][:5] == ["OemMSP", "oem", "MX", "127.0.0.1:7051", "3"]

    table = _run("members", "--home", str(home), "--org", "OemMSP")
    assert table.exit_code == 0
    assert table.output.splitlines() == [
        "MSP     NAME         ROLE        STATION  SITE      STATUS",
        "OemMSP  plant-admin  admin                          active",
        "OemMSP  line1        station     SIL-L1   SIL-ASSY  active",
        "OemMSP  trade        compliance                     active",
    ]

    listed = json.loads(_run("members", "--home", str(home), "--json").output)
    assert [(m["msp_id"], m["name"], m["role"]) for m in listed][:2] == [
        ("OemMSP", "plant-admin", "admin"),
        ("OemMSP", "line1", "station"),
    ]
    assert Path(listed[1]["cert"]).read_bytes() == load_network(home).member("OemMSP", "line1").cert_pem


def test_add_member_then_show(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    assert _run("init", "--home", str(home), "--config", str(config_file)).exit_code == 0
    added = _run(
        "add-member",
        "--home",
        str(home),
        "--org",
        "SeatsMSP",
        "--name",
        "qa",
        "--role",
        "compliance",
        "--json",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["role"] == "compliance"
    shown = json.loads(_run("show", "--home", str(home), "--json").output)
    assert {o["msp_id"]: o["members"] for o in shown["orgs"]} == {"OemMSP": 3, "SeatsMSP": 3, "AuditMSP": 2}
    assert shown["fabric_signature_policy"] == "AND('OemMSP.peer', OR('SeatsMSP.peer', 'AuditMSP.peer'))"


def test_validate_prints_normalized_config(config_file: Path) -> None:
    result = _run("validate", "--config", str(config_file), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["orgs"][1]["peer"]["port"] == 9051


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("init", "--home", "{home}", "--config", "{config}"), "{home} already holds a network"),
        (("members", "--home", "{tmp}/empty"), "holds no network"),
        (("members", "--home", "{home}", "--org", "FordMSP"), "no organization 'FordMSP' in network mini"),
        (
            ("add-member", "--home", "{home}", "--org", "OemMSP", "--name", "line1", "--role", "station"),
            "OemMSP already has a member 'line1'",
        ),
        (("validate", "--config", "{tmp}/nope.yaml"), "does not exist"),
    ],
)
def test_errors_are_one_line_exit_2(tmp_path: Path, config_file: Path, args: tuple[str, ...], text: str) -> None:
    home = tmp_path / "home"
    assert _run("init", "--home", str(home), "--config", str(config_file)).exit_code == 0
    where = {"home": str(home), "config": str(config_file), "tmp": str(tmp_path)}
    result = _run(*(a.format(**where) for a in args))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert text.format(**where) in lines[0]


def test_bad_config_names_field(tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("name: x\norgs:\n  - msp_id: A\n    duns: 0123\n", encoding="utf-8")
    result = _run("validate", "--config", str(path))
    assert result.exit_code == 2
    assert result.output.startswith(
        f"error: {path}: orgs[0].name: Field required; orgs[0].tier: Field required; orgs[0].country: Field required "
        "(and 3 more problems)"
    )


def test_module_runs_as_a_real_process(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    cmd = [sys.executable, "-m", "ledger.identity.cli"]
    ok = subprocess.run(
        [*cmd, "init", "--home", str(home), "--config", str(config_file), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert [o["msp_id"] for o in json.loads(ok.stdout)["orgs"]] == ["OemMSP", "SeatsMSP", "AuditMSP"]
    again = subprocess.run(
        [*cmd, "init", "--home", str(home), "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr == f"error: {home} already holds a network ({home / 'network.yaml'}); choose another --home\n"


def test_revoke_member_shows_in_members(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    assert _run("init", "--home", str(home), "--config", str(config_file)).exit_code == 0
    revoked = _run("revoke-member", "--home", str(home), "--org", "OemMSP", "--name", "line1", "--json")
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.output)["revoked_at"] is not None
    table = _run("members", "--home", str(home), "--org", "OemMSP").output.splitlines()
    assert table[2].split() == ["OemMSP", "line1", "station", "SIL-L1", "SIL-ASSY", "revoked"]
    again = _run("revoke-member", "--home", str(home), "--org", "OemMSP", "--name", "line1")
    assert again.exit_code == 2
    assert again.output.startswith("error: OemMSP/line1 was already revoked at ")


def test_export_org(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    assert _run("init", "--home", str(home), "--config", str(config_file)).exit_code == 0
    result = _run("export-org", "--home", str(home), "--org", "AuditMSP", "--out", str(tmp_path / "audit"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["members"] == ["admin", "inspector"]
    assert not (tmp_path / "audit/orgs/OemMSP/ca/priv_sk").exists()
    assert (tmp_path / "audit/orgs/AuditMSP/ca/priv_sk").exists()
