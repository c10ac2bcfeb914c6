"""Access rules across transactions: reads need a role; batch transactions check callers like single ones."""

from __future__ import annotations

import inspect

import pytest
from chaincode_harness import OEM, T1, T2, World, event_hash, make_member, uid

from chaincode import transactions
from chaincode.factory import ProvenanceContract
from ledger.errors import Forbidden

READS = sorted(n for n, k in transactions().items() if k == "evaluate")


@pytest.mark.parametrize("fn", READS)
def test_reads_refuse_a_certificate_without_role(world: World, fn: str) -> None:
    """The caller is checked before any argument is looked at, so placeholder arguments do."""
    n_args = len([p for p in inspect.signature(getattr(ProvenanceContract, fn)).parameters if p not in ("self", "ctx")])
    err = world.h.eval_error(make_member(T1, "anon", None), fn, *(["x"] * n_args))
    assert isinstance(err, Forbidden)
    assert err.message == "certificate of TierOneMSP carries no usmca.role attribute"


@pytest.mark.parametrize("role", ["admin", "station", "certifier", "compliance", "auditor", "peer"])
def test_every_role_of_any_org_may_read(world: World, role: str) -> None:
    world.commission(T1, "S1")
    reader = make_member(OEM, f"{role}-reader", role, station="st-OemMSP" if role == "station" else None)
    assert world.h.evaluate(reader, "GetPart", uid(T1, "S1"))["part"]["owner_msp"] == T1
    assert len(world.h.evaluate(reader, "ListOrgs")) == 3


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        (
            T2,
            "station",
            "CastCoMSP may not commission parts of part type TierOneMSP:PT-TIE: it is produced by TierOneMSP",
        ),
        (
            T1,
            "certifier",
            "certifier 'certifier@TierOneMSP' of TierOneMSP may not commission parts: needs role station or admin",
        ),
    ],
)
def test_commission_batch_denied(world: World, who: str, role: str, message: str) -> None:
    items = [
        {"uid": uid(T1, f"B{i}"), "part_type": world.part_type(T1), "production_date": "2026-03-01"} for i in range(3)
    ]
    err = world.h.error(world.m(who, role), "CommissionParts", items)
    assert isinstance(err, Forbidden)
    assert err.message == message


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        (T2, "station", "station st-CastCoMSP may not record scans as station st-TierOneMSP"),
        (T1, "admin", "admin 'admin@TierOneMSP' of TierOneMSP may not record scans: needs role station"),
    ],
)
def test_record_scans_denied(world: World, who: str, role: str, message: str) -> None:
    part = world.commission(T1, "S1")[0]
    scans = [{"uid": part, "station_id": "st-TierOneMSP", "event_time": "2026-03-02T11:00:00Z",
              "event_hash": event_hash(part, str(i))} for i in range(2)]  # fmt: skip
    err = world.h.error(world.m(who, role), "RecordScans", scans)
    assert isinstance(err, Forbidden)
    assert err.message == message
