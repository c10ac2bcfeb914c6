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


def test_build_and_hash(tmp_path):
    from api.certificates import content_hash
    from tests.api.certificates.test_cert_build import answer

    ans = tmp_path / "a.json"
    ans.write_text(answer().model_dump_json())
    parties = tmp_path / "p.json"
    base = cert()
    parties.write_text(
        json.dumps(
            {
                "certifier": base["certifier"],
                "producer": "same_as_certifier",
                "exporter": "same_as_certifier",
                "invoice": "INV-9",
                "signed_date": "2025-12-15",
            }
        )
    )
    result = CliRunner().invoke(certificate_app, ["build", "--answer", str(ans), "--parties", str(parties)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["content_hash"] == content_hash(out["certificate"])
    assert out["certificate"]["goods"][0]["invoice"] == "INV-9"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(out["certificate"]))
    result = CliRunner().invoke(certificate_app, ["hash", str(path)])
    assert result.stdout.strip() == out["content_hash"]


def test_build_refuses_unknown_party_keys(tmp_path):
    parties = tmp_path / "p.json"
    parties.write_text(json.dumps({"certifier": {}, "producer": "various", "shipper": "x"}))
    ans = tmp_path / "a.json"
    ans.write_text("{}")
    result = CliRunner().invoke(certificate_app, ["build", "--answer", str(ans), "--parties", str(parties)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {parties}: unknown key(s) shipper"
