"""RegisterPartType and the part type reads."""

from __future__ import annotations

import pytest
from chaincode_harness import OEM, T1, T2, World

from ledger.errors import Conflict, Forbidden, NotFound, ValidationError

BASE = {
    "part_number": "TR-6L80",
    "description": "6-speed automatic transmission",
    "hs_code": "8708.40.11",
    "usmca_category": "core_part",
    "core_family": "transmission",
    "unit": "EA",
}


def test_register_part_type_with_own_gtin(world: World) -> None:
    doc = world.h.submit(world.admin(T1), "RegisterPartType", {**BASE, "gtin": "00614141123452"})
    assert doc["id"] == "TierOneMSP:TR-6L80"
    assert doc["hs_code"] == "87084011"
    assert doc["gtin"] == "00614141123452"
    assert doc["producer_msp"] == T1
    assert world.h.evaluate(world.m(OEM, "auditor"), "GetPartType", doc["id"]) == doc
    assert world.h.events[-1] == (
        "PartTypeRegistered",
        {"part_type": doc["id"], "producer_msp": T1, "updated": False},
    )
    ids = [p["id"] for p in world.h.evaluate(world.station(T2), "ListPartTypes")]
    assert ids == sorted(ids)
    assert "TierOneMSP:TR-6L80" in ids


def test_gtin_12_is_padded_and_explicit_id_kept(world: World) -> None:
    doc = world.h.submit(world.admin(T1), "RegisterPartType", {**BASE, "id": "tr-6l80", "gtin": "614141123452"})
    assert (doc["id"], doc["gtin"]) == ("tr-6l80", "00614141123452")


@pytest.mark.parametrize(
    ("role", "msp"),
    [("station", T1), ("certifier", T1), ("compliance", T1)],
)
def test_register_part_type_needs_admin(world: World, role: str, msp: str) -> None:
    err = world.h.error(world.m(msp, role), "RegisterPartType", BASE)
    assert isinstance(err, Forbidden)
    assert err.message.endswith("may not register a part type: needs role admin")


def test_gtin_outside_own_prefix_is_refused(world: World) -> None:
    err = world.h.error(world.admin(T2), "RegisterPartType", {**BASE, "gtin": "00614141123452"})
    assert isinstance(err, Forbidden)
    assert err.message == (
        "GTIN 00614141123452 does not start with a GS1 company prefix of CastCoMSP (registered: 0628176)"
    )


def test_part_type_of_another_producer_is_refused(world: World) -> None:
    err = world.h.error(world.admin(T2), "RegisterPartType", {**BASE, "producer_msp": T1})
    assert isinstance(err, Forbidden)
    assert err.message == "CastCoMSP may not register a part type produced by TierOneMSP"
    world.h.submit(world.admin(T1), "RegisterPartType", {**BASE, "id": "shared-id"})
    err = world.h.error(world.admin(T2), "RegisterPartType", {**BASE, "id": "shared-id"})
    assert isinstance(err, Conflict)
    assert err.message == "part type shared-id is registered by TierOneMSP"


def test_one_gtin_one_part_type(world: World) -> None:
    world.h.submit(world.admin(T1), "RegisterPartType", {**BASE, "gtin": "00614141123452"})
    err = world.h.error(world.admin(T1), "RegisterPartType", {**BASE, "part_number": "OTHER", "gtin": "00614141123452"})
    assert isinstance(err, Conflict)
    assert err.message == "GTIN 00614141123452 already identifies part type TierOneMSP:TR-6L80"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hs_code": "87084"}, "HS code '87084' must have 6, 8 or 10 digits"),
        ({"hs_code": "9908.40"}, "HS code '9908.40' is in chapter 99, which does not exist"),
        ({"hs_code": "770840"}, "HS code '770840' is in chapter 77, which does not exist"),
        ({"gtin": "00614141123453"}, "GTIN 00614141123453 has check digit 3, expected 2"),
        ({"gtin": "0614141123455"}, "GTIN 0614141123455 has check digit 5, expected 2"),
        ({"gtin": "12345"}, "GTIN '12345' must have 8, 12, 13, 14 digits"),
        (
            {"usmca_category": "core"},
            "part type usmca_category 'core' is not one of core_part, principal, complementary, other",
        ),
        (
            {"core_family": "wheels"},
            "part type core_family 'wheels' is not one of engine, transmission, body_chassis, axle, "
            "suspension, steering, advanced_battery",
        ),
        (
            {"core_family": None},
            "part type core_family None is not one of engine, transmission, body_chassis, axle, "
            "suspension, steering, advanced_battery",
        ),
        (
            {"usmca_category": "principal"},
            "part type core_family 'transmission' is only allowed for usmca_category core_part, not principal",
        ),
        ({"unit": ""}, "part type unit '' must not be blank"),
    ],
)
def test_register_part_type_validation(world: World, change: dict, message: str) -> None:
    err = world.h.error(world.admin(T1), "RegisterPartType", {**BASE, **change})
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_missing_part_type(world: World) -> None:
    err = world.h.eval_error(world.admin(T1), "GetPartType", "nope")
    assert isinstance(err, NotFound)
    assert err.message == "part type nope does not exist"


@pytest.mark.parametrize("scanned", ["00614141123452", "0614141123452", "614141123452"])
def test_part_type_by_scanned_gtin(world: World, scanned: str) -> None:
    doc = world.h.submit(world.admin(T1), "RegisterPartType", {**BASE, "gtin": "614141123452"})
    assert world.h.evaluate(world.station(OEM), "GetPartTypeByGtin", scanned) == doc


def test_part_type_by_unknown_or_bad_gtin(world: World) -> None:
    err = world.h.eval_error(world.station(OEM), "GetPartTypeByGtin", "00614141999996")
    assert isinstance(err, NotFound)
    assert err.message == "no part type is registered for GTIN 00614141999996"
    err = world.h.eval_error(world.station(OEM), "GetPartTypeByGtin", "00614141999995")
    assert err.message == "GTIN 00614141999995 has check digit 5, expected 6"
