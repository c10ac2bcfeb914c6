"""``scan parse``, ``scan decode`` and ``label`` through Typer's runner, and once as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from scanner.cli import build_app, label_app, scan_app
from scanner.datamatrix import encode
from scanner.identifiers.text import unescape

GS, RS, EOT = "\x1d", "\x1e", "\x04"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["parse", "(01)04012345123456(21)SN1"], None),
        (["parse", "0104012345123456" + "21SN1"], None),
        (["parse", "-"], "]d2010401234512345621SN1\r\n"),
        (["parse", "-"], "https://id.gs1.org/01/04012345123456/21/SN1\n"),
    ],
)
def test_parse_prints_the_part(runner: CliRunner, args: list[str], stdin: str | None) -> None:
    result = runner.invoke(scan_app, args, input=stdin)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["uid"] == "https://id.gs1.org/01/04012345123456/21/SN1"
    assert data["fields"] == {"01": "04012345123456", "21": "SN1"}


def test_parse_accepts_typed_separators(runner: CliRunner) -> None:
    result = runner.invoke(scan_app, ["parse", "[)><RS>06<GS>12V123456789<GS>SSN1<RS><EOT>"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uid"] == "urn:usmca:uii:UN123456789SN1"
    assert unescape("01\\x1d21") == "01" + GS + "21"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse", "0104012345123457"], "error: GTIN 04012345123457 has check digit 7, expected 6\n"),
        (
            ["parse", "(01)04012345123456", "--require-serial"],
            "error: https://id.gs1.org/01/04012345123456 identifies a lot or product class, not a serialized part "
            "(serial)\n",
        ),
        (
            ["parse", "[)><RS>06<GS>P1"],
            "error: truncated ISO/IEC 15434 message '[)><RS>06<GS>P1': no EOT trailer\n",
        ),
    ],
)
def test_parse_errors_are_one_line_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(scan_app, args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_decode_prints_one_json_line_per_image(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(encode("(01)04012345123456(21)SN1").to_image(module_px=6)).save(good)
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    result = runner.invoke(scan_app, ["decode", str(good)])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["path"] == str(good)
    assert line["found"] is True
    assert (line["symbology_identifier"], line["content_type"], line["raw"]) == (
        "]d2",
        "gs1",
        "0104012345123456" + "21SN1",
    )
    assert line["part"]["uid"] == "https://id.gs1.org/01/04012345123456/21/SN1"
    assert line["error"] is None
    assert line["stage"] == "zxing"
    assert line["elapsed_ms"] > 0

    result = runner.invoke(scan_app, ["decode", str(good), str(blank), "--all"])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["found"] for x in lines] == [True, False]

    result = runner.invoke(scan_app, ["decode", str(tmp_path / "missing.png"), str(good)])
    assert result.exit_code == 2
    missing, ok = (json.loads(x) for x in result.stdout.splitlines())
    assert missing["error"]["message"] == f"image file {str(tmp_path / 'missing.png')!r} does not exist"
    assert ok["found"] is True


def test_label_from_fields_and_from_csv(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "l.png"
    result = runner.invoke(label_app, ["--gtin", "04012345123456", "--serial", "X1", "--lot", "L7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "out": str(out),
        "labels": 1,
        "uids": ["https://id.gs1.org/01/04012345123456/21/X1"],
    }
    result = runner.invoke(scan_app, ["decode", str(out)])
    assert json.loads(result.stdout)["part"]["lot"] == "L7"

    svg = tmp_path / "m.svg"
    result = runner.invoke(
        label_app,
        [
            "--scheme",
            "mh10",
            "--part-number",
            "P1",
            "--serial",
            "S1",
            "--duns",
            "123456789",
            "--country",
            "mx",
            "--out",
            str(svg),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uids"] == ["urn:usmca:uii:UN123456789S1"]
    assert svg.read_text().startswith("<?xml")

    parts = tmp_path / "parts.csv"
    parts.write_text("gtin,serial\n" + "".join(f"04012345123456,S{i}\n" for i in range(12)))
    sheet = tmp_path / "sheet.pdf"
    result = runner.invoke(
        label_app, ["--csv", str(parts), "--out", str(sheet), "--cols", "3", "--rows", "2", "--page", "a4"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["labels"] == 12
    assert len(re.findall(rb"/Type /Page\b", sheet.read_bytes())) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--gtin", "04012345123457", "--serial", "X"],
            "error: GTIN 04012345123457 has check digit 7, expected 6\n",
        ),
        (
            ["--scheme", "mh10", "--part-number", "P1", "--serial", "S1"],
            "error: serial SS1 has no issuer: add 25S, 18V, 12V, 13V or V (S)\n",
        ),
        (["--gtin", "04012345123456", "--duns", "123456789"], "error: gs1 labels do not carry duns\n"),
        (
            ["--payload", "(01)04012345123456(21)A B"],
            "error: AI (21) value 'A B' contains ' ', which GS1 character set 82 does not allow\n",
        ),
        (["--gtin", "04012345123456", "--dpi", "5"], "error: dpi 5 must be 72-2400\n"),
    ],
)
def test_label_errors_are_one_line_exit_2(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(label_app, [*args, "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert result.stderr == message
    assert not (tmp_path / "x.png").exists()


def test_real_process_parse_and_error(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "scan", "parse", "-"],
        input="(8004)4012345ENG00077\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["uid"] == "https://id.gs1.org/8004/4012345ENG00077"
    bad = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "scan", "parse", "hello"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: unrecognised identifier 'hello'")


def test_mounted_like_usmca(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "m.pdf"
    args = ["label", "--scheme", "mh10", "--uii", "UN123456789SN1", "--part-number", "P1", "--out", str(out)]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uids"] == ["urn:usmca:uii:UN123456789SN1"]
    assert out.read_bytes().startswith(b"%PDF-")
    result = runner.invoke(build_app(), ["scan", "parse", "(01)04012345123456(21)Z"])
    assert json.loads(result.stdout)["serial"] == "Z"
