"""Ship, Receive and GetShipment: two-sided custody transfer."""

from __future__ import annotations

import pytest
from chaincode_harness import OEM, T1, T2, World, make_member, org_doc, uid

from ledger.errors import Conflict, Forbidden, NotFound, ValidationError


def test_ship_then_receive_moves_custody(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1", "C2")
    sent = world.ship(T2, T1, "ASN-1", parts)
    assert (sent["status"], sent["from_msp"], sent["to_msp"], sent["uids"]) == ("open", T2, T1, sorted(parts))
    assert h.events[-1] == (
        "ShipmentSent",
        {"from_msp": T2, "to_msp": T1, "shipment_id": "ASN-1", "parts": 2},
    )
    in_transit = h.evaluate(world.admin(T1), "GetPart", parts[0])["part"]
    assert (in_transit["status"], in_transit["owner_msp"]) == ("in_transit", T2)
    h.advance(days=1)
    got = h.submit(world.station(T1), "Receive", {"shipment_id": "ASN-1", "from_msp": T2, "uids": parts[::-1]})
    assert got["status"] == "received"
    assert got["received_by"] == "station@TierOneMSP"
    assert h.events[-1] == ("ShipmentReceived", {"from_msp": T2, "to_msp": T1, "shipment_id": "ASN-1"})
    story = h.evaluate(world.m(OEM, "auditor"), "GetPart", parts[0])
    assert story["part"]["owner_msp"] == T1
    assert [(c["owner_msp"], c["status"]) for c in story["custody"]] == [
        (T2, "active"),
        (T2, "in_transit"),
        (T1, "active"),
    ]
    assert h.evaluate(world.m(OEM, "auditor"), "GetShipment", T2, "ASN-1") == got


def test_receive_must_match_the_shipment(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1", "C2", "C3")
    world.ship(T2, T1, "ASN-1", parts[:2])
    err = h.error(world.admin(T1), "Receive", {"shipment_id": "ASN-1", "from_msp": T2, "uids": [parts[0], parts[2]]})
    assert isinstance(err, Conflict)
    assert err.message == (
        f"receipt does not match shipment ASN-1 from CastCoMSP: missing {parts[1]}; not shipped {parts[2]}"
    )


def test_receive_by_another_org_or_role_is_refused(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1")
    world.ship(T2, T1, "ASN-1", parts)
    body = {"shipment_id": "ASN-1", "from_msp": T2, "uids": parts}
    err = h.error(world.admin(OEM), "Receive", body)
    assert isinstance(err, Forbidden)
    assert err.message == "OemMSP may not receive shipment ASN-1: it is addressed to TierOneMSP"
    err = h.error(world.certifier(T1), "Receive", body)
    assert isinstance(err, Forbidden)
    assert err.message.endswith("may not receive parts: needs role station or admin")


def test_receive_twice_or_unknown(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1")
    world.ship(T2, T1, "ASN-1", parts)
    world.receive(T2, T1, "ASN-1", parts)
    err = h.error(world.admin(T1), "Receive", {"shipment_id": "ASN-1", "from_msp": T2, "uids": parts})
    assert isinstance(err, Conflict)
    assert err.message == "shipment ASN-1 from CastCoMSP was already received at 2026-03-02T12:00:00.000Z"
    err = h.error(world.admin(T1), "Receive", {"shipment_id": "ASN-9", "from_msp": T2, "uids": parts})
    assert isinstance(err, NotFound)
    assert err.message == "shipment ASN-9 from CastCoMSP does not exist"


def test_only_the_custodian_ships(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1")
    err = h.error(world.admin(T1), "Ship", {"shipment_id": "X", "to_msp": OEM, "uids": parts})
    assert isinstance(err, Forbidden)
    assert err.message == f"TierOneMSP may not ship part {parts[0]}: it is in the custody of CastCoMSP"
    err = h.error(world.m(T2, "compliance"), "Ship", {"shipment_id": "X", "to_msp": OEM, "uids": parts})
    assert isinstance(err, Forbidden)


def test_ship_rules(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1", "C2")
    world.ship(T2, T1, "ASN-1", parts[:1])
    cases = [
        (
            {"shipment_id": "ASN-1", "to_msp": T1, "uids": parts[1:]},
            Conflict,
            "shipment ASN-1 from CastCoMSP already exists",
        ),
        (
            {"shipment_id": "ASN-2", "to_msp": T1, "uids": parts[:1]},
            Conflict,
            f"part {parts[0]} is in_transit and cannot be shipped",
        ),
        (
            {"shipment_id": "ASN-2", "to_msp": "GhostMSP", "uids": parts[1:]},
            NotFound,
            "organization GhostMSP is not registered (RegisterOrg first)",
        ),
        (
            {"shipment_id": "ASN-2", "to_msp": T2, "uids": parts[1:]},
            ValidationError,
            "shipment ASN-2 is addressed to its sender CastCoMSP",
        ),
        (
            {"shipment_id": "ASN-2", "to_msp": T1, "uids": [uid(T2, "NONE")]},
            NotFound,
            f"part {uid(T2, 'NONE')} was never commissioned",
        ),
        (
            {"shipment_id": "ASN-2", "to_msp": T1, "uids": []},
            ValidationError,
            "shipment uids [] must not be empty",
        ),
    ]
    for body, kind, message in cases:
        err = h.error(world.station(T2), "Ship", body)
        assert isinstance(err, kind), body
        assert err.message == message


def test_consumed_parts_travel_inside_their_parent(world: World) -> None:
    h = world.h
    child, parent = world.commission(T2, "CHILD", "PARENT")
    h.submit(
        world.admin(T2),
        "Assemble",
        {
            "parent_uid": parent,
            "child_uids": [child],
            "event_hash": "ni:///sha-256;" + "a" * 64 + "?ver=CBV2.0",
            "event_time": "2026-03-02T12:00:00Z",
        },
    )
    err = h.error(world.admin(T2), "Ship", {"shipment_id": "S", "to_msp": T1, "uids": [child]})
    assert err.message == f"part {child} is consumed in {parent} and cannot be shipped"


def test_get_shipment_needs_a_role(world: World) -> None:
    parts = world.commission(T2, "C1")
    world.ship(T2, T1, "ASN-1", parts)
    with pytest.raises(Forbidden):
        world.h.evaluate(make_member(T1, "anon", None), "GetShipment", T2, "ASN-1")


def test_cancel_shipment_returns_parts_to_the_sender(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1", "C2")
    world.ship(T2, T1, "ASN-1", parts)
    doc = h.submit(world.station(T2), "CancelShipment", "ASN-1", "wrong destination")
    assert doc["status"] == "cancelled"
    assert doc["cancelled"]["reason"] == "wrong destination"
    assert h.events[-1] == ("ShipmentCancelled", {"from_msp": T2, "to_msp": T1, "shipment_id": "ASN-1"})
    part = h.evaluate(world.admin(T2), "GetPart", parts[0])["part"]
    assert (part["status"], part["owner_msp"], part["shipment"]) == ("active", T2, None)
    err = h.error(world.admin(T1), "Receive", {"shipment_id": "ASN-1", "from_msp": T2, "uids": parts})
    assert isinstance(err, Conflict)
    assert err.message == "shipment ASN-1 from CastCoMSP was cancelled at 2026-03-02T12:00:00.000Z"
    world.ship(T2, OEM, "ASN-2", parts)


def test_cancel_shipment_rules(world: World) -> None:
    h = world.h
    parts = world.commission(T2, "C1")
    world.ship(T2, T1, "ASN-1", parts)
    err = h.error(world.admin(T1), "CancelShipment", "ASN-1", "mine now")
    assert isinstance(err, NotFound)
    assert err.message == "shipment ASN-1 from TierOneMSP does not exist"
    err = h.error(world.certifier(T2), "CancelShipment", "ASN-1", "x")
    assert isinstance(err, Forbidden)
    err = h.error(world.admin(T2), "CancelShipment", "ASN-1", " ")
    assert err.message == "cancellation reason ' ' must be 1-512 characters"
    world.receive(T2, T1, "ASN-1", parts)
    err = h.error(world.admin(T2), "CancelShipment", "ASN-1", "too late")
    assert isinstance(err, Conflict)
    assert err.message == "shipment ASN-1 from CastCoMSP is received and cannot be cancelled"


def test_auditors_take_no_custody(world: World) -> None:
    auditor = make_member("AuditMSP", "admin@audit", "admin")
    world.h.submit(auditor, "RegisterOrg", {**org_doc(T1), "tier": "auditor", "gs1_prefixes": []})
    parts = world.commission(T2, "C1")
    err = world.h.error(world.admin(T2), "Ship", {"shipment_id": "A", "to_msp": "AuditMSP", "uids": parts})
    assert isinstance(err, ValidationError)
    assert err.message == "AuditMSP is an auditor organization and cannot take custody of parts"
