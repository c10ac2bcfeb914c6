"""CommissionPart(s), Assemble, Decommission and GetPart."""

from __future__ import annotations

import pytest
from chaincode_harness import OEM, T1, T2, World, event_hash, make_member, uid

from ledger.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError


def part_body(world: World, msp: str, serial: str, **extra: object) -> dict:
    return {
        "uid": uid(msp, serial),
        "part_type": world.part_type(msp),
        "production_date": "2026-03-01",
        **extra,
    }


def test_station_commissions_at_its_site(world: World) -> None:
    doc = world.h.submit(world.station(T2), "CommissionPart", part_body(world, T2, "C1", lot="HEAT-7"))
    assert doc["site_id"] == "windsor"
    assert (doc["owner_msp"], doc["status"], doc["lot"], doc["parent"]) == (T2, "active", "HEAT-7", None)
    assert world.h.events[-1] == ("PartsCommissioned", {"count": 1, "uids": [doc["uid"]]})


def test_admin_commissions_naming_the_site(world: World) -> None:
    doc = world.h.submit(world.admin(T2), "CommissionPart", part_body(world, T2, "C1", site_id="windsor"))
    assert doc["site_id"] == "windsor"
    err = world.h.error(world.admin(T2), "CommissionPart", part_body(world, T2, "C2"))
    assert err.message == "part is missing required field 'site_id'"


@pytest.mark.parametrize("role", ["certifier", "compliance", "auditor"])
def test_commission_wrong_role(world: World, role: str) -> None:
    err = world.h.error(world.m(T2, role), "CommissionPart", part_body(world, T2, "C1"))
    assert isinstance(err, Forbidden)
    assert (
        err.message == f"{role} '{role}@CastCoMSP' of CastCoMSP may not commission parts: needs role station or admin"
    )


def test_commission_other_producers_part_type(world: World) -> None:
    err = world.h.error(world.station(T1), "CommissionPart", {**part_body(world, T2, "C1")})
    assert isinstance(err, Forbidden)
    assert err.message == (
        "TierOneMSP may not commission parts of part type CastCoMSP:PT-CAS: it is produced by CastCoMSP"
    )


def test_station_cannot_commission_at_another_site(world: World) -> None:
    world.h.submit(
        world.admin(T2),
        "RegisterSite",
        {"site_id": "b", "name": "B", "address": "a", "country": "CA", "lat": "43", "lon": "-79"},
    )
    err = world.h.error(world.station(T2), "CommissionPart", part_body(world, T2, "C1", site_id="b"))
    assert isinstance(err, Forbidden)
    assert err.message == "station st-CastCoMSP is at site windsor, it may not commission parts at site b"


def test_unregistered_station_is_refused(world: World) -> None:
    ghost = make_member(T2, "ghost", "station", station="st-ghost")
    err = world.h.error(ghost, "CommissionPart", part_body(world, T2, "C1"))
    assert isinstance(err, NotFound)
    assert err.message == "station st-ghost of CastCoMSP is not registered"


def test_clone_is_rejected_across_transactions_and_in_a_batch(world: World) -> None:
    world.commission(T2, "C1")
    err = world.h.error(world.station(T2), "CommissionPart", part_body(world, T2, "C1"))
    assert isinstance(err, Conflict)
    assert err.message == "part urn:usmca:castcomsp:C1 was already commissioned by CastCoMSP: clone suspected"
    batch = [part_body(world, T2, "C7"), part_body(world, T2, "C7")]
    err = world.h.error(world.station(T2), "CommissionParts", batch)
    assert err.message == "part urn:usmca:castcomsp:C7 was already commissioned by CastCoMSP: clone suspected"


def test_commission_batch(world: World) -> None:
    docs = world.h.submit(world.station(T2), "CommissionParts", [part_body(world, T2, f"C{i}") for i in range(50)])
    assert [d["uid"] for d in docs] == [uid(T2, f"C{i}") for i in range(50)]
    assert world.h.events[-1][1]["count"] == 50


@pytest.mark.parametrize(
    ("items", "error", "message"),
    [
        ("[]", ValidationError, "parts is empty"),
        ("{}", "parse_error", "parts must be a JSON array, got dict"),
        ([{"uid": "x"}], ValidationError, "parts[0] uid 'x' is not an absolute URI"),
        (
            [{"uid": "urn:a:b", "part_type": "CastCoMSP:PT-CAS", "production_date": "2026-02-30"}],
            ValidationError,
            "parts[0] production_date '2026-02-30' is not a valid date (day is out of range for month)",
        ),
        (
            [{"uid": "urn:a:b", "part_type": "CastCoMSP:PT-CAS", "production_date": "2026-03-09"}],
            ValidationError,
            "parts[0] production_date 2026-03-09 is after the transaction date 2026-03-02",
        ),
        (
            [{"uid": "urn:a:b", "part_type": "nope", "production_date": "2026-03-01"}],
            NotFound,
            "part type nope does not exist",
        ),
    ],
)
def test_commission_batch_validation(world: World, items, error, message: str) -> None:
    err = world.h.error(world.station(T2), "CommissionParts", items)
    assert err.kind == error if isinstance(error, str) else isinstance(err, error)
    assert err.message == message


def test_commission_batch_limit(world: World) -> None:
    err = world.h.error(world.station(T2), "CommissionParts", [{}] * 5001)
    assert isinstance(err, ValidationError)
    assert not isinstance(err, PayloadTooLarge)
    assert err.message == "parts has 5001 items, at most 5000 allowed"


def assembly(parent: str, children: list[str], tag: str = "a") -> dict:
    return {
        "parent_uid": parent,
        "child_uids": children,
        "event_hash": event_hash(parent, tag),
        "event_time": "2026-03-02T11:00:00-06:00",
    }


def test_assemble_and_read_the_tree(world: World) -> None:
    h = world.h
    case, gear = world.commission(T1, "CASE", "GEAR")
    trans = world.commission(T1, "TRANS")[0]
    doc = h.submit(world.station(T1), "Assemble", assembly(trans, [case, gear]))
    assert doc["duplicate"] is False
    assert doc["event_time"] == "2026-03-02T17:00:00.000Z"
    assert doc["station_id"] == "st-TierOneMSP"
    assert h.events[-1][0] == "PartsAssembled"
    got = h.evaluate(world.m(OEM, "auditor"), "GetPart", trans)
    assert got["children"] == sorted([case, gear])
    child = h.evaluate(world.admin(T1), "GetPart", case)
    assert child["part"]["status"] == "consumed"
    assert child["part"]["parent"] == trans
    assert child["ancestors"] == [trans]
    assert [c["status"] for c in child["custody"]] == ["active", "consumed"]


def test_assemble_same_event_twice_returns_the_first(world: World) -> None:
    h = world.h
    case, trans = world.commission(T1, "CASE", "TRANS")
    first = h.submit(world.station(T1), "Assemble", assembly(trans, [case]))
    h.advance(minutes=5)
    again = h.submit(world.station(T1), "Assemble", assembly(trans, [case]))
    assert again == {**first, "duplicate": True}
    other = world.commission(T1, "OTHER")[0]
    err = h.error(world.station(T1), "Assemble", assembly(trans, [other]))
    assert isinstance(err, Conflict)
    assert err.message.endswith(f"was already recorded for parent {trans} with other children")


def test_child_consumed_once(world: World) -> None:
    h = world.h
    case, t1, t2 = world.commission(T1, "CASE", "T1", "T2")
    h.submit(world.station(T1), "Assemble", assembly(t1, [case]))
    err = h.error(world.station(T1), "Assemble", assembly(t2, [case]))
    assert isinstance(err, Conflict)
    assert err.message == f"part {case} was already consumed by parent {t1}"


def test_no_cycles(world: World) -> None:
    h = world.h
    engine, vehicle, bolt = world.commission(T1, "ENGINE", "VEHICLE", "BOLT")
    h.submit(world.admin(T1), "Assemble", assembly(vehicle, [engine]))
    err = h.error(world.admin(T1), "Assemble", assembly(engine, [vehicle]))
    assert isinstance(err, Conflict)
    assert err.message == f"part {vehicle} already contains {engine}; assembling it into {engine} would make a cycle"
    err = h.error(world.admin(T1), "Assemble", assembly(bolt, [bolt]))
    assert err.message == f"part {bolt} cannot contain itself"
    h.submit(world.admin(T1), "Assemble", assembly(engine, [bolt], "b"))
    assert h.evaluate(world.admin(T1), "GetPart", bolt)["ancestors"] == [engine, vehicle]


def test_assemble_needs_custody_of_everything(world: World) -> None:
    h = world.h
    casting = world.commission(T2, "CAST")[0]
    trans = world.commission(T1, "TRANS")[0]
    err = h.error(world.station(T1), "Assemble", assembly(trans, [casting]))
    assert isinstance(err, Forbidden)
    assert err.message == f"TierOneMSP may not assemble part {casting}: it is in the custody of CastCoMSP"
    err = h.error(world.station(T2), "Assemble", assembly(trans, [casting]))
    assert err.message == f"CastCoMSP may not assemble into part {trans}: it is in the custody of TierOneMSP"
    err = h.error(world.certifier(T1), "Assemble", assembly(trans, [casting]))
    assert err.message.endswith("may not assemble parts: needs role station or admin")
    err = h.error(world.station(T1), "Assemble", assembly(trans, ["urn:usmca:none:1"]))
    assert isinstance(err, NotFound)
    assert err.message == "part urn:usmca:none:1 was never commissioned"


def test_assemble_validation(world: World) -> None:
    h = world.h
    trans = world.commission(T1, "TRANS")[0]
    err = h.error(world.station(T1), "Assemble", {**assembly(trans, ["urn:a:1"]), "event_hash": "abc"})
    assert err.message == "assembly event_hash 'abc' is not an EPCIS event hash ni:///sha-256;<64 hex>?ver=CBV2.0"
    err = h.error(world.station(T1), "Assemble", {**assembly(trans, ["urn:a:1"]), "event_time": "2026-03-02T11:00"})
    assert err.message == "assembly event_time '2026-03-02T11:00' has no UTC offset"
    err = h.error(world.station(T1), "Assemble", assembly(trans, ["urn:a:1", "urn:a:1"]))
    assert err.message == "assembly child_uids 'urn:a:1' lists a value twice"


def test_decommission(world: World) -> None:
    h = world.h
    part = world.commission(T2, "C1")[0]
    err = h.error(world.station(T1), "Decommission", part, "scrap")
    assert isinstance(err, Forbidden)
    assert err.message == f"TierOneMSP may not decommission part {part}: it is in the custody of CastCoMSP"
    err = h.error(world.m(T2, "auditor"), "Decommission", part, "scrap")
    assert isinstance(err, Forbidden)
    err = h.error(world.admin(T2), "Decommission", part, "  ")
    assert err.message == "decommission reason '  ' must be 1-512 characters"
    doc = h.submit(world.admin(T2), "Decommission", part, "failed X-ray inspection")
    assert doc["status"] == "decommissioned"
    assert doc["decommissioned"]["reason"] == "failed X-ray inspection"
    assert h.events[-1] == ("PartDecommissioned", {"uid": part})
    err = h.error(world.admin(T2), "Decommission", part, "again")
    assert isinstance(err, Conflict)
    assert err.message == f"part {part} is decommissioned"


def test_get_part_unknown(world: World) -> None:
    err = world.h.eval_error(world.admin(OEM), "GetPart", "urn:x:y")
    assert isinstance(err, NotFound)
    assert err.message == "part urn:x:y was never commissioned"
    err = world.h.eval_error(world.admin(OEM), "GetPart", "no uri")
    assert isinstance(err, ValidationError)
    assert err.message == "part uid 'no uri' is not an absolute URI"


def test_consumed_part_is_decommissioned_with_its_assembly(world: World) -> None:
    h = world.h
    child, parent = world.commission(T1, "CHILD", "PARENT")
    h.submit(world.admin(T1), "Assemble", assembly(parent, [child]))
    err = h.error(world.admin(T1), "Decommission", child, "scrap")
    assert isinstance(err, Conflict)
    assert err.message == f"part {child} is consumed in {parent}; decommission the assembly it is in"
    assert h.submit(world.admin(T1), "Decommission", parent, "scrap")["status"] == "decommissioned"


def disassembly(parent: str, children: list[str], tag: str = "d", reason: str = "warranty replacement") -> dict:
    return {**assembly(parent, children, tag), "reason": reason}


def test_disassemble_returns_children_to_the_parents_custodian(world: World) -> None:
    h = world.h
    pump, trans = world.commission(T1, "PUMP", "TRANS")
    h.submit(world.station(T1), "Assemble", assembly(trans, [pump]))
    world.ship(T1, OEM, "ASN-1", [trans])
    world.receive(T1, OEM, "ASN-1", [trans])
    doc = h.submit(world.station(OEM), "Disassemble", disassembly(trans, [pump]))
    assert (doc["duplicate"], doc["reason"], doc["station_id"]) == (False, "warranty replacement", "st-OemMSP")
    assert h.events[-1] == ("PartsDisassembled", {"parent_uid": trans, "children": 1, "event_hash": doc["event_hash"]})
    part = h.evaluate(world.admin(OEM), "GetPart", pump)
    assert (part["part"]["status"], part["part"]["owner_msp"], part["part"]["parent"]) == ("active", OEM, None)
    assert [c["status"] for c in part["custody"]] == ["active", "consumed", "active"]
    assert h.evaluate(world.admin(OEM), "GetPart", trans)["children"] == []
    again = h.submit(world.station(OEM), "Disassemble", disassembly(trans, [pump]))
    assert again == {**doc, "duplicate": True}
    # the removed pump is an ordinary part of its new custodian again: it can be assembled anew
    spare = h.submit(world.admin(OEM), "Assemble", assembly(trans, [pump], "again"))
    assert spare["child_uids"] == [pump]


def test_disassemble_rules(world: World) -> None:
    h = world.h
    pump, trans, loose = world.commission(T1, "PUMP", "TRANS", "LOOSE")
    h.submit(world.station(T1), "Assemble", assembly(trans, [pump]))
    err = h.error(world.admin(OEM), "Disassemble", disassembly(trans, [pump]))
    assert isinstance(err, Forbidden)
    assert err.message == f"OemMSP may not disassemble part {trans}: it is in the custody of TierOneMSP"
    err = h.error(world.certifier(T1), "Disassemble", disassembly(trans, [pump]))
    assert isinstance(err, Forbidden)
    assert err.message.endswith("may not disassemble parts: needs role station or admin")
    err = h.error(world.admin(T1), "Disassemble", disassembly(trans, [loose]))
    assert isinstance(err, Conflict)
    assert err.message == f"part {loose} is not in {trans} (it is active)"
    err = h.error(world.admin(T1), "Disassemble", {**assembly(trans, [pump])})
    assert isinstance(err, ValidationError)
    assert err.message == "disassembly is missing required field 'reason'"
