"""The ``usmca certificate`` CLI: validate (exit 0/1/2) and render."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.certificates.cli import certificate_app
from tests.api.certificates.test_cert_validate import cert


def test_validate_valid(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert()))
    result = CliRunner().invoke(certificate_app, ["validate", str(path)])
    assert (result.exit_code, result.stdout.strip()) == (0, "valid")


def test_validate_invalid_lists_fields_exit_1():
    data = cert(goods=[{"description": "x", "hs": "8708", "origin_criterion": "B"}])
    result = CliRunner().invoke(certificate_app, ["validate", "-"], input=json.dumps(data))
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {"field": "goods[0].hs", "message": "hs '8708' must be an HS number of at least 6 digits (6, 8 or 10)"}
    ]


def test_validate_unreadable_exit_2():
    result = CliRunner().invoke(certificate_app, ["validate", "-"], input="{nope")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: -: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2"
    )
    result = CliRunner().invoke(certificate_app, ["validate", "-"], input="[]")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: -: a certificate must be a JSON object, got list"


def test_render_writes_pdf(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert()))
    out = tmp_path / "c.pdf"
    result = CliRunner().invoke(
        certificate_app, ["render", str(path), "--out", str(out), "--verify-url", "https://x.example/v/1"]
    )
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"%PDF-")


def test_render_invalid_exit_2(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cert(signed_date="never")))
    result = CliRunner().invoke(
        certificate_app, ["render", str(path), "--out", str(tmp_path / "x.pdf"), "--verify-url", "https://x"]
    )
    assert result.exit_code == 2
    assert "signed_date 'never' is not a date" in result.stderr
    assert not (tmp_path / "x.pdf").exists()
