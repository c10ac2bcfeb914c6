"""``usmca certificate create|verify`` and ``usmca origin part`` on a real ledger home (exit codes 0, 1, 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.origin import qualify
from api.private.store import PrivateStore
from ledger.bootstrap import register_network
from ledger.cli import build_app
from ledger.client import LedgerClient
from ledger.connect import connect
from tests.api.origin_fixtures import CERTIFIER, SEAT_REQUEST
from tests.helpers import make_network


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = make_network(tmp_path / "home")
    register_network(h)
    return h


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def create(home: Path, tmp_path: Path) -> dict:
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(qualify(SEAT_REQUEST).model_dump(mode="json")))
    parties = tmp_path / "parties.json"
    parties.write_text(
        json.dumps({"certifier": CERTIFIER, "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}})
    )
    code, out, err = run("certificate", "create", "--home", str(home), "--org", "OemMSP", "--member", "certifier",
                         "--answer", str(answer), "--parties", str(parties), "--out-dir", str(tmp_path / "out"))  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_create_then_verify_json_and_pdf(home: Path, tmp_path: Path) -> None:
    made = create(home, tmp_path)
    assert made["verify_url"] == f"http://127.0.0.1:8000/verify/{made['certificate_id']}?h={made['content_hash']}"
    for path in (made["json"], made["pdf"]):
        code, out, _ = run("certificate", "verify", path, "--home", str(home))
        assert code == 0 and json.loads(out)["valid"] is True


def test_tampered_is_exit_1_with_reasons_and_unreadable_exit_2(home: Path, tmp_path: Path) -> None:
    made = create(home, tmp_path)
    cert = json.loads(Path(made["json"]).read_text())
    cert["goods"][0]["description"] = "Rear seat assembly"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(cert))
    code, out, _ = run("certificate", "verify", str(tampered), "--home", str(home))
    assert code == 1
    assert json.loads(out)["checks"]["content_hash"] is False
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.4 nothing")
    code, _, err = run("certificate", "verify", str(garbage), "--home", str(home))
    assert code == 2 and err.startswith(f"error: {garbage} is not a readable PDF")
    code, _, err = run("certificate", "verify", str(tmp_path / "absent.json"), "--home", str(home))
    assert code == 2 and "No such file or directory" in err


def test_revoked_is_exit_1_naming_the_reason(home: Path, tmp_path: Path) -> None:
    made = create(home, tmp_path)
    code, out, err = run("certificate", "revoke", made["certificate_id"], "--reason", "wrong HS code", "--home",
                         str(home), "--org", "OemMSP", "--member", "certifier")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["status"]["status"] == "revoked"
    code, out, _ = run("certificate", "verify", made["pdf"], "--home", str(home))
    verdict = json.loads(out)
    assert code == 1 and verdict["checks"]["not_revoked"] is False
    assert verdict["reasons"][-1].endswith(": wrong HS code")
    code, _, err = run("certificate", "revoke", made["certificate_id"], "--reason", "again", "--home", str(home),
                       "--org", "OemMSP", "--member", "certifier")  # fmt: skip
    assert code == 2 and f"certificate of origin {made['certificate_id']} was already revoked at" in err


def test_create_needs_a_certifier(home: Path, tmp_path: Path) -> None:
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(qualify(SEAT_REQUEST).model_dump(mode="json")))
    parties = tmp_path / "parties.json"
    parties.write_text(
        json.dumps({"certifier": CERTIFIER, "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"}})
    )
    code, _, err = run("certificate", "create", "--home", str(home), "--org", "OemMSP", "--member", "compliance",
                       "--answer", str(answer), "--parties", str(parties), "--out-dir", str(tmp_path))  # fmt: skip
    assert code == 2
    assert err.startswith("error: compliance 'compliance' of OemMSP may not record certificates of origin")
    assert list((home / "private" / "certificates" / "OemMSP").glob("*")) == []  # the refused document is dropped


def test_origin_part_from_the_ledger(home: Path) -> None:
    LedgerClient(connect(home, "OemMSP", "admin")).register_part_type(
        {"part_number": "VEH-1", "description": "Sedan", "hs_code": "8703.23", "usmca_category": "other", "unit": "EA"}
    )
    LedgerClient(connect(home, "OemMSP", "station1")).commission_parts(
        [
            {
                "uid": "urn:usmca:veh:1",
                "part_type": "OemMSP:VEH-1",
                "lot": "L1",
                "production_date": "2026-03-01",
                "site_id": "oem-plant",
            }
        ]
    )
    code, _, err = run("origin", "part", "--home", str(home), "--org", "OemMSP", "--member", "compliance",
                       "urn:usmca:veh:1")  # fmt: skip
    assert code == 2 and err.strip() == (
        "error: OemMSP has no price (net cost) for its own part type OemMSP:VEH-1; set it with "
        "PUT /v1/private/prices/OemMSP:VEH-1 or pass net_cost"
    )
    PrivateStore(home, "OemMSP").set_price("OemMSP:VEH-1", "20000")
    code, out, err = run("origin", "part", "--home", str(home), "--org", "OemMSP", "--member", "compliance",
                         "urn:usmca:veh:1", "--as-of", "2026-03-02")  # fmt: skip
    assert code == 0, err
    got = json.loads(out)
    # No materials on the ledger: VNM 0, RVC = (20000 - 0) / 20000 = 100 %.
    assert (got["answer"]["rvc"], got["answer"]["vnm"], got["request"]["net_cost"]) == ("100", "0", "20000")
    code, _, err = run("origin", "part", "--home", str(home), "--org", "Tier1MSP", "--member", "compliance",
                       "urn:usmca:veh:1")  # fmt: skip
    assert code == 2 and err.strip() == "error: part urn:usmca:veh:1 does not exist"
