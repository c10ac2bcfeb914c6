from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import ValidationError
from scanner.epcis import schema
from scanner.epcis.document import EPCISDocument
from scanner.epcis.model import ObjectEvent

SN = "https://id.gs1.org/01/04012345123456/21/SN1"


def good() -> dict[str, Any]:
    event = ObjectEvent(
        event_time="2025-03-14T09:15:27.123+01:00",
        action="ADD",
        epc_list=[SN],
        biz_step="commissioning",
        disposition="active",
        ilmd={"cbvmda:lotNumber": "L1"},
        read_point="https://id.gs1.org/414/4012345000009/254/MARK-01",
    )
    return EPCISDocument([event.with_event_id()]).to_jsonld()


def test_good_document_passes() -> None:
    schema.validate_document(good())
    assert schema.schema_issues(good()) == []


def _event(**changes: Any) -> dict[str, Any]:
    data = good()
    data["epcisBody"]["eventList"][0].update(changes)
    return data


def _drop(key: str) -> dict[str, Any]:
    data = good()
    del data["epcisBody"]["eventList"][0][key]
    return data


E0 = "epcisBody.eventList[0]"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_event(action="MOVE"), f"{E0}.action", '"MOVE" is not one of "OBSERVE", "ADD" or "DELETE"'),
        (_event(eventTime="yesterday"), f"{E0}.eventTime", '"yesterday" is not a "date-time"'),
        (
            _event(eventTimeZoneOffset="+25:00"),
            f"{E0}.eventTimeZoneOffset",
            '"+25:00" does not match "^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$"',
        ),
        (_event(epcList=["not a uri"]), f"{E0}.epcList[0]", '"not a uri" is not a "uri"'),
        (_event(bizStep="assembly"), f"{E0}.bizStep", '"assembly" is not a "uri"'),
        (_drop("eventTime"), E0, '"eventTime" is a required property'),
        (
            {k: v for k, v in good().items() if k != "creationDate"},
            "document",
            '"creationDate" is a required property',
        ),
    ],
)
def test_bad_documents_name_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        schema.validate_document(data)
    assert info.value.field == field
    assert info.value.message == f"{field}: {message} (GS1 EPCIS JSON schema)"
    assert any(issue.path == field for issue in schema.schema_issues(data))


def test_every_issue_is_listed() -> None:
    data = good()
    second = copy.deepcopy(data["epcisBody"]["eventList"][0])
    second["eventTime"] = "never"
    data["epcisBody"]["eventList"].append(second)
    data["epcisBody"]["eventList"][0]["eventTimeZoneOffset"] = "+99:00"
    paths = [i.path for i in schema.schema_issues(data)]
    assert paths == [f"{E0}.eventTimeZoneOffset", "epcisBody.eventList[1].eventTime"]


def test_schema_is_the_official_gs1_one_installed_by_the_project() -> None:
    path = schema.schema_path()
    assert path == schema.DEFAULT_SCHEMA
    assert json.loads(path.read_text(encoding="utf-8"))["$id"] == "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"


def test_missing_schema_is_a_clear_deployment_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.json"
    monkeypatch.setenv(schema.SCHEMA_ENV, str(missing))
    with pytest.raises(schema.SchemaUnavailableError) as info:
        schema.validate_document(good())
    assert info.value.message == (
        f"GS1 EPCIS JSON schema not found at {missing}; run scripts/install-epcis-schema.sh (make install)"
    )
    assert info.value.http_status == 503


def test_a_file_that_is_not_the_gs1_schema_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"$id": "https://example.com/s.json", "type": "object"}), encoding="utf-8")
    monkeypatch.setenv(schema.SCHEMA_ENV, str(other))
    with pytest.raises(schema.SchemaUnavailableError, match="is not the GS1 EPCIS JSON schema"):
        schema.validate_document(good())


def test_install_script_is_idempotent_once_installed() -> None:
    import subprocess

    script = Path(__file__).resolve().parents[3] / "scripts" / "install-epcis-schema.sh"
    before = schema.DEFAULT_SCHEMA.stat().st_mtime_ns
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert schema.DEFAULT_SCHEMA.stat().st_mtime_ns == before
