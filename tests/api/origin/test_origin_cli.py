"""The ``usmca origin`` CLI: JSON answers on stdout, one-line errors with exit 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.origin.cli import origin_app

REQ = {
    "good": {"hs": "8708.30", "end_use": "oe_pv_lt"},
    "as_of": "2024-01-01",
    "net_cost": "1000",
    "materials": [{"id": "a", "value": "250", "origin": "non_originating"}],
}


def test_qualify_file(tmp_path):
    path = tmp_path / "req.json"
    path.write_text(json.dumps(REQ))
    result = CliRunner().invoke(origin_app, ["qualify", str(path)])
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert (answer["rvc"], answer["threshold"], answer["qualifies"]) == ("75", "70", True)


def test_qualify_stdin_is_byte_identical_to_file(tmp_path):
    path = tmp_path / "req.json"
    path.write_text(json.dumps(REQ))
    one = CliRunner().invoke(origin_app, ["qualify", str(path)]).stdout
    two = CliRunner().invoke(origin_app, ["qualify", "-"], input=json.dumps(REQ)).stdout
    assert one == two


def test_bad_input_is_one_line_exit_2(tmp_path):
    bad = dict(REQ, as_of="2019-01-01")
    result = CliRunner().invoke(origin_app, ["qualify", "-"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: as_of 2019-01-01 is before the first table_b_principal NC threshold (2020-07-01; USMCA entered "
        "into force on 2020-07-01)"
    ]
    assert "Traceback" not in result.output


def test_missing_file_exit_2(tmp_path):
    result = CliRunner().invoke(origin_app, ["qualify", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_average_and_threshold_commands(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps([REQ, dict(REQ, net_cost="500")]))
    result = CliRunner().invoke(origin_app, ["average", str(path)])
    assert result.exit_code == 0
    # (1500 - 500) / 1500 x 100 = 66.666... < 70
    assert json.loads(result.stdout)["rvc"] == "66.66666666666666666666666667"
    result = CliRunner().invoke(
        origin_app, ["threshold", "table_d_ht_parts", "--as-of", "2024-07-01", "--method", "TV"]
    )
    assert json.loads(result.stdout)["pct"] == "74"
    result = CliRunner().invoke(origin_app, ["threshold", "table_d_ht_parts", "--as-of", "July"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --as-of 'July' is not a date (YYYY-MM-DD)"


def test_report_vehicle_json_csv_pdf(tmp_path):
    from tests.api.reports.test_report_build import vehicle

    path = tmp_path / "v.json"
    path.write_text(json.dumps(vehicle()))
    result = CliRunner().invoke(origin_app, ["report", str(path), "--on", "2025-03-01"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rvc"] == "90"
    result = CliRunner().invoke(origin_app, ["report", str(path), "--on", "2025-03-01", "--format", "csv"])
    assert result.stdout.splitlines()[0] == "section,name,passed,value,required,detail"
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        origin_app, ["report", str(path), "--on", "2025-03-01", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"%PDF-")


def test_report_model_line(tmp_path):
    from tests.api.reports.test_report_build import vehicle

    path = tmp_path / "fleet.json"
    path.write_text(json.dumps([vehicle("A"), vehicle("B", seats_cert="C-BAD")]))
    args = [
        "report",
        str(path),
        "--on",
        "2025-03-01",
        "--model-line",
        "F-150",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-31",
    ]
    result = CliRunner().invoke(origin_app, args)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # (60000 - 3000 - 7000) / 60000 x 100 = 83.333...
    assert (data["vehicles"], data["rvc"]) == (2, "83.33333333333333333333333333")
    result = CliRunner().invoke(origin_app, args[:-4])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --model-line needs --from and --to"
