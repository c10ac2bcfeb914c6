"""The seeded demo gives the OEM compliance team a complete picture: real seeds, real ledger, real reports.

Three vehicles: two pass every vehicle test with inputs from the OEM's own private store (in-house engine and
body certified with its cost data; steel, aluminum and LVC figures); the third carries the pilot-lot transmission
certified non-originating and fails the core-parts test for that reason; the revoked foam certification still
shows as an upstream-invalid seat certification. The default demo (24 vehicles) is also seeded once: its model
line qualifies on average although the pilot vehicle fails alone.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from api.compliance.cli import readmodel
from api.compliance.coo import verify_bytes
from api.compliance.gather import LedgerOrigin
from api.compliance.issue import CertificateStore
from api.demo.seed import PRODUCER_FIGURES, seed
from api.private.store import PrivateStore
from api.private.visibility import CertGraph
from api.reports import model_line_report, vehicle_report
from ledger.embedded.ledger import EmbeddedLedger

VEHICLES = 3


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    """A freshly seeded demo home and the OEM's view of it (closed after the test)."""
    home = tmp_path / "demo"
    stats = seed(home, vehicles=VEHICLES)
    model = readmodel(home)
    yield home, model, stats
    EmbeddedLedger.close_all()


@pytest.fixture
def default_demo(tmp_path: Path) -> Any:
    """The demo as ``usmca demo seed`` makes it (the default vehicle count) and the OEM's view of it."""
    home = tmp_path / "demo"
    seed(home)
    yield home, readmodel(home)
    EmbeddedLedger.close_all()


def _line_report(home: Path, model: Any, uids: list[str]) -> Any:
    today = dt.datetime.now(dt.UTC).date()
    return model_line_report(
        LedgerOrigin(model, home, "OemMSP").vehicle_inputs(uids, as_of=today, on=today),
        model_line="OemMSP:BJC-SEDAN",
        period_from=today - dt.timedelta(days=400),
        period_to=today,
        on=today,
    )


def _reports(home: Path, model: Any) -> tuple[list[str], list[dict[str, Any]]]:
    today = dt.datetime.now(dt.UTC).date()
    lo = LedgerOrigin(model, home, "OemMSP")
    uids = lo.model_line_uids("OemMSP:BJC-SEDAN", today - dt.timedelta(days=400), today)
    reports = [vehicle_report(lo.vehicle_input(u, as_of=today, on=today), on=today).model_dump() for u in uids]
    return uids, reports


def _tests(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in report["answer"]["tests"]}


def _line(report: dict[str, Any], serial_prefix: str) -> dict[str, Any]:
    """The answer line of the one material whose GS1 serial starts with the prefix (the seed's serials)."""
    (line,) = [ln for ln in report["answer"]["lines"] if f"/21/{serial_prefix}" in ln["id"]]
    return line


def test_in_house_parts_carry_the_oems_own_certification_and_cost_data(demo: Any) -> None:
    home, model, _ = demo
    year = dt.datetime.now(dt.UTC).date().year
    store = PrivateStore(home, "OemMSP")
    ledger = CertGraph(model).fetch([f"CO-OEM-ENG-1.5T-{year}", f"CO-OEM-BIW-BJC-{year}"])
    for cert_id, doc in ledger.items():
        kept = store.breakdown(cert_id)
        assert kept["commitment"] == doc["cost_commitment"]
        assert doc["issuer_msp"] == "OemMSP" and doc["originating"]
    assert len(ledger) == 2
    _, reports = _reports(home, model)
    for report in reports:
        engine = _line(report, "ENG-")
        assert engine["origin"] == "originating" and engine["evidence"] == f"CO-OEM-ENG-1.5T-{year}"
        assert engine["id"] not in report["answer"]["missing_evidence"]
        assert not [i for i in report["supplier_issues"] if i["supplier"] == "OemMSP"]


def test_most_vehicles_pass_every_test_with_real_inputs(demo: Any) -> None:
    home, model, _ = demo
    _, reports = _reports(home, model)
    assert len(reports) == VEHICLES
    passing = reports[:-1]
    assert all(r["qualifies"] for r in passing)
    tests = _tests(passing[0])
    assert set(tests) == {"rvc", "core_parts", "steel", "aluminum", "lvc"}
    steel = PRODUCER_FIGURES["steel"]
    assert tests["steel"]["passed"]
    assert tests["steel"]["detail"].startswith(f"{steel['originating']} / {steel['purchases']} x 100 = 82.98")
    assert tests["aluminum"]["passed"] and tests["aluminum"]["value"].startswith("76.58")
    assert tests["lvc"]["passed"] and tests["lvc"]["value"] == "41"
    assert tests["lvc"]["detail"].startswith("31.5 + 6.5 + 3 = 41 >= 40")
    assert tests["core_parts"]["passed"]
    assert tests["core_parts"]["detail"].startswith(
        "axle 78.4; body_chassis 82; engine 77.5; steering 76.5; suspension 79; transmission 80;"
    )
    # The revoked foam certification still makes the seats' certification upstream-invalid (origin unknown); the
    # steering racks' certification still counts but runs out within the 30-day warning.
    issues = {(i["supplier"], i["certification"], i["issue"]) for i in passing[0]["supplier_issues"]}
    year = dt.datetime.now(dt.UTC).date().year
    assert issues == {
        ("SeatingMSP", f"CO-SEATING-SEAT-FRONT-L-{year}", "upstream_invalid"),
        ("DrivelineMSP", f"CO-DRIVELINE-EPS-R-14-{year}", "expiring"),
    }


def test_the_pilot_lot_transmission_fails_its_vehicle_on_core_parts(demo: Any) -> None:
    home, model, _ = demo
    uids, reports = _reports(home, model)
    failing = [r for r in reports if not r["qualifies"]]
    assert [r["subject"] for r in failing] == [uids[-1]]
    report = failing[0]
    tests = _tests(report)
    assert [name for name, t in tests.items() if not t["passed"]] == ["core_parts"]
    assert tests["core_parts"]["detail"].startswith("failing: transmission;")
    assert "transmission 0;" in tests["core_parts"]["detail"]
    transmission = _line(report, "AT8-")
    assert transmission["origin"] == "non_originating"
    assert transmission["evidence"].startswith("CO-DRIVELINE-AT8-250-L") and transmission["evidence"].endswith("P")
    rows = {row["part"]: row for row in report["answer"]["core_parts"]}
    assert rows["transmission"]["rvc"] == "0" and not rows["transmission"]["passed"]
    assert all(row["passed"] for part, row in rows.items() if part != "transmission")
    assert report["answer"]["what_if"]["also_needed"] == ["core part transmission must become originating"]
    # Over three vehicles the pilot transmission weighs a third: the line fails on it too (2 x 20 + 100 VNM).
    line = _line_report(home, model, uids)
    assert line.vehicles == VEHICLES and not line.qualifies
    assert _tests(line.model_dump())["core_parts"]["detail"].startswith("failing: transmission;")
    assert "transmission 53.33" in _tests(line.model_dump())["core_parts"]["detail"]


def test_the_default_model_line_qualifies_although_the_pilot_vehicle_fails(default_demo: Any) -> None:
    """24 vehicles, one with the pilot transmission: (23 x 20 + 100) / 24 = 23.33 % VNM, so 76.67 >= 75."""
    home, model = default_demo
    uids, reports = _reports(home, model)
    assert len(uids) == 24
    assert [r["subject"] for r in reports if not r["qualifies"]] == [uids[-1]]
    assert [name for name, t in _tests(reports[-1]).items() if not t["passed"]] == ["core_parts"]
    line = _line_report(home, model, uids).model_dump()
    assert (line["vehicles"], line["qualifies"]) == (24, True)
    tests = _tests(line)
    assert all(t["passed"] for t in tests.values())
    assert "transmission 76.66" in tests["core_parts"]["detail"]
    rows = {row["part"]: row for row in line["answer"]["core_parts"]}
    assert rows["transmission"]["net_cost"] == "59040"  # 24 x 2460
    assert rows["transmission"]["vnm"] == "13776"  # 23 x 492 + 2460
    # The producer's period figures count once, not once per vehicle (CA-ROO s.17).
    steel, aluminum = PRODUCER_FIGURES["steel"], PRODUCER_FIGURES["aluminum"]
    assert tests["steel"]["detail"].startswith(f"{steel['originating']} / {steel['purchases']} x 100 = 82.98")
    assert tests["aluminum"]["detail"].startswith(f"{aluminum['originating']} / {aluminum['purchases']} x 100")


def test_the_oem_certifies_a_qualifying_vehicle_for_its_us_importer(demo: Any) -> None:
    home, model, stats = demo
    store = CertificateStore(home, "OemMSP")
    (cid,) = store.ids()
    assert stats["certificates_of_origin"] == 1
    cert = store.get(cid)
    (good,) = cert["goods"]
    assert (good["hs"], good["origin_criterion"], good["qualification"]["method"]) == ("8703.23", "B", "NC")
    assert cert["importer"]["country"] == "US" and cert["certifier"]["role"] == "producer"
    start, end = (dt.date.fromisoformat(cert["blanket_period"][k]) for k in ("from", "to"))
    assert start.day == 1 and (end - start).days in range(364, 366)
    verdict = verify_bytes(model, json.dumps(cert).encode())
    assert verdict.valid, verdict.reasons
