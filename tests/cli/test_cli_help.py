"""Every command of ``usmca`` has help text, and the README mentions every command group (like sqlite-utils'
test_docs): a command nobody can discover is a command nobody uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ledger.cli import build_app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(build_app())
    out: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*path, name))

    walk(root, ())
    return out


COMMANDS = _commands()


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "usmca")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(build_app(), [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_every_command_group_is_in_the_readme() -> None:
    groups = sorted({p[0] for p in COMMANDS if p})
    missing = [g for g in groups if f"usmca {g}" not in README]
    assert not missing, f"README does not mention: {missing}"


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["ledger", "verify", "--home", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "no ledger at" in result.output
