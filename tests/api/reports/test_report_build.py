"""Compliance reports: one vehicle and a model line over a period, with supplier certification issues."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from api.reports import model_line_report, vehicle_report
from ledger.errors import ValidationError

ON = dt.date(2025, 3, 1)


def vehicle(vin="1FTEW1E50PFA00001", produced_on="2025-01-15", seats_cert="C-SEATS", line="F-150"):
    """NC 30000; tires non-originating 3000; seats 4000 originating on certificate C-SEATS; frame 6000
    originating on C-FRAME. With every certificate valid: VNM 3000 -> RVC (30000 - 3000) / 30000 = 90."""
    return {
        "vin": vin,
        "model_line": line,
        "produced_on": produced_on,
        "request": {
            "good": {"hs": "8704.21", "vehicle_type": "light_truck"},
            "as_of": produced_on,
            "net_cost": "30000",
            "materials": [
                {"id": "tires", "value": "3000", "origin": "non_originating", "supplier": "Rubber SA"},
                {
                    "id": "seats",
                    "value": "4000",
                    "origin": "originating",
                    "evidence": seats_cert,
                    "supplier": "Seat Co",
                },
                {
                    "id": "frame",
                    "value": "6000",
                    "origin": "originating",
                    "evidence": "C-FRAME",
                    "supplier": "Frame Inc",
                },
            ],
            "core_parts": [
                {"part": "engine", "net_cost": "5000", "vnm": "500"},
                {"part": "body_chassis", "net_cost": "6000", "vnm": "600"},
                {"part": "axle", "net_cost": "1000", "vnm": "100"},
                {"part": "suspension", "net_cost": "1000", "vnm": "100"},
                {"part": "steering", "net_cost": "1000", "vnm": "100"},
            ],
            "steel": {"purchases": "100", "originating": "80"},
            "aluminum": {"purchases": "100", "originating": "75"},
            "lvc": {"material_manufacturing": "31", "technology": "10", "assembly": "5"},
        },
        "certifications": [
            {"id": "C-SEATS", "supplier": "Seat Co", "status": "valid", "valid_until": "2028-01-01"},
            {"id": "C-FRAME", "supplier": "Frame Inc", "status": "valid", "valid_until": "2025-04-15"},
            {"id": "C-OLD", "supplier": "Seat Co", "status": "valid", "valid_until": "2025-02-01"},
            {"id": "C-BAD", "supplier": "Seat Co", "status": "revoked", "valid_until": "2028-01-01"},
        ],
    }


def test_vehicle_with_valid_certifications_and_one_expiring():
    """RVC 90 >= 75; frame's certificate ends 2025-04-15, within 60 days of 2025-03-01 -> 'expiring'."""
    r = vehicle_report(vehicle(), on=ON)
    assert (r.kind, r.subject, r.qualifies, r.rvc, r.threshold) == ("vehicle", "1FTEW1E50PFA00001", True, "90", "75")
    assert [(i.supplier, i.material, i.issue) for i in r.supplier_issues] == [("Frame Inc", "frame", "expiring")]
    assert r.supplier_issues[0].detail == "certification C-FRAME expires on 2025-04-15"


@pytest.mark.parametrize(
    ("cert", "issue", "detail"),
    [
        ("C-BAD", "revoked", "certification C-BAD was revoked"),
        ("C-OLD", "expired", "certification C-OLD expired on 2025-02-01"),
        ("C-NONE", "missing", "no certification on record for evidence 'C-NONE'"),
        (None, "missing", "no certification cited"),
    ],
)
def test_unsupported_claim_counts_as_unknown(cert, issue, detail):
    """Seats (4000) lose their originating claim: VNM = 3000 + 4000 = 7000; RVC (30000 - 7000) / 30000 =
    76.666... still >= 75, and seats are listed as missing evidence."""
    r = vehicle_report(vehicle(seats_cert=cert), on=ON)
    seat = next(i for i in r.supplier_issues if i.material == "seats")
    assert (seat.supplier, seat.issue, seat.detail) == ("Seat Co", issue, detail)
    assert r.answer["vnm"] == "7000"
    assert r.rvc == "76.66666666666666666666666667"
    assert r.answer["missing_evidence"] == ["seats"]


def test_lenient_mode_keeps_the_claim():
    r = vehicle_report(vehicle(seats_cert="C-BAD"), on=ON, strict_evidence=False)
    assert r.answer["vnm"] == "3000"
    assert [i.issue for i in r.supplier_issues if i.material == "seats"] == ["revoked"]


def test_expiring_horizon_is_configurable():
    r = vehicle_report(vehicle(), on=ON, expiring_within_days=30)  # 2025-04-15 is 45 days away
    assert r.supplier_issues == []


def test_model_line_averages_and_counts_issues():
    """Three F-150s in January 2025 (one revoked seats certificate), one outside the period, one Ranger.
    VNM = 3000 + 7000 + 3000 = 13000 over NC 90000 -> (90000 - 13000) / 90000 = 85.555...6."""
    fleet = [
        vehicle("V1"),
        vehicle("V2", seats_cert="C-BAD"),
        vehicle("V3", produced_on="2025-01-31"),
        vehicle("V4", produced_on="2025-02-01"),
        vehicle("V5", line="Ranger"),
    ]
    r = model_line_report(
        fleet, model_line="F-150", period_from=dt.date(2025, 1, 1), period_to=dt.date(2025, 1, 31), on=ON
    )
    assert (r.kind, r.vehicles, r.qualifies) == ("model_line", 3, True)
    assert r.rvc == "85.55555555555555555555555556"
    assert {(i.material, i.issue): i.vehicles for i in r.supplier_issues} == {
        ("frame", "expiring"): 3,
        ("seats", "revoked"): 1,
    }
    assert r.answer["method"] == "NC"


def test_model_line_without_vehicles():
    with pytest.raises(ValidationError) as err:
        model_line_report(
            [vehicle()], model_line="Bronco", period_from=dt.date(2025, 1, 1), period_to=dt.date(2025, 1, 31), on=ON
        )
    assert err.value.message == "no vehicle of model line 'Bronco' produced between 2025-01-01 and 2025-01-31"


def test_model_line_bad_period():
    with pytest.raises(ValidationError, match="period_to 2025-01-01 is before period_from 2025-02-01"):
        model_line_report([], model_line="F", period_from=dt.date(2025, 2, 1), period_to=dt.date(2025, 1, 1), on=ON)


def _line(fleet, **kw):
    return model_line_report(
        fleet, model_line="F-150", period_from=dt.date(2025, 1, 1), period_to=dt.date(2025, 1, 31), on=ON, **kw
    )


def test_same_request_with_other_certification_statuses_is_judged_apart():
    """V1, V2 and V3 send the same request; V2's seats certificate is revoked: seats count as unknown for V2
    only. VNM = 3000 + 7000 + 3000 = 13000."""
    revoked = vehicle("V2")
    revoked["certifications"] = [
        dict(c, status="revoked") if c["id"] == "C-SEATS" else c for c in revoked["certifications"]
    ]
    r = _line([vehicle("V1"), revoked, vehicle("V3")])
    assert r.answer["vnm"] == "13000"
    assert {(i.material, i.issue): i.vehicles for i in r.supplier_issues} == {
        ("frame", "expiring"): 3,
        ("seats", "revoked"): 1,
    }


def test_repeated_vehicles_are_still_checked_on_their_own_fields():
    """A vehicle whose request and certifications repeat an earlier one's is still refused on a bad vin or
    production date, and read like any other when its fields are plain (a date object, unknown keys)."""
    with pytest.raises(pydantic.ValidationError, match="vin"):
        _line([vehicle("V1"), vehicle("")])
    with pytest.raises(pydantic.ValidationError, match="produced_on"):
        _line([vehicle("V1"), vehicle("V2", produced_on="2025-02-30")])
    other = dict(vehicle("V2"), produced_on=dt.date(2025, 1, 20), note="kept out")
    r = _line([vehicle("V1"), other, dict(vehicle("V3"), model_line="Ranger")])
    assert r.vehicles == 2
    assert r == _line([vehicle("V1"), vehicle("V2")])
