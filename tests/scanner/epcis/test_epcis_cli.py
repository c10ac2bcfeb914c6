from __future__ import annotations

import json
from pathlib import Path

from epcis_reference import EX, reference_hash, reference_prehash
from typer.testing import CliRunner

from scanner.epcis.builders import object_event_for_read
from scanner.epcis.cli import epcis_app
from scanner.epcis.document import EPCISDocument

runner = CliRunner()
UID = "https://id.gs1.org/01/04012345123456/21/SN000187"


def write_doc(tmp_path: Path) -> tuple[Path, dict]:
    event = object_event_for_read(
        UID,
        event_time="2025-03-14T09:15:27.123+01:00",
        read_point="https://id.gs1.org/414/4012345000009",
        biz_location=None,
        biz_step="shipping",
        disposition="in_transit",
        extensions={"ex:dock": 3},
        namespaces={"ex": EX},
    )
    data = EPCISDocument([event]).to_jsonld()
    path = tmp_path / "doc.jsonld"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, data


def test_hash_prints_reference_ids(tmp_path: Path) -> None:
    path, data = write_doc(tmp_path)
    event = data["epcisBody"]["eventList"][0]
    result = runner.invoke(epcis_app, ["hash", str(path), "--prehash"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["hash"] == reference_hash(event) == row["eventID"]
    assert row["prehash"] == reference_prehash(event)
    assert row["type"] == "ObjectEvent"


def test_hash_raw_from_stdin_with_another_algorithm(tmp_path: Path) -> None:
    _, data = write_doc(tmp_path)
    result = runner.invoke(epcis_app, ["hash", "-", "--raw", "--algorithm", "sha512"], input=json.dumps(data))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["hash"].startswith("ni:///sha-512;")


def test_validate_accepts_and_refuses(tmp_path: Path) -> None:
    path, data = write_doc(tmp_path)
    ok = runner.invoke(epcis_app, ["validate", str(path)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"valid": True, "events": 1, "problems": []}
    data["epcisBody"]["eventList"][0]["bizStep"] = "shiping"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = runner.invoke(epcis_app, ["validate", str(path)])
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["problems"] == [
        {"path": "epcisBody.eventList[0].bizStep", "message": '"shiping" is not a "uri"', "source": "schema"}
    ]


def test_model_problems_are_listed_when_the_schema_passes(tmp_path: Path) -> None:
    path, data = write_doc(tmp_path)
    data["epcisBody"]["eventList"][0]["bizStep"] = "https://ref.gs1.org/cbv/BizStep-welding"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = runner.invoke(epcis_app, ["validate", str(path)])
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["problems"] == [
        {
            "path": "epcisBody.eventList[0].bizStep",
            "message": "epcisBody.eventList[0]: bizStep 'https://ref.gs1.org/cbv/BizStep-welding' is not a CBV 2.0 business step",
            "source": "model",
        }
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": ', encoding="utf-8")
    result = runner.invoke(epcis_app, ["hash", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: document is not valid JSON: Expecting value")
    assert result.stderr.count("\n") == 1
    missing = runner.invoke(epcis_app, ["hash", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "No such file or directory" in missing.stderr
