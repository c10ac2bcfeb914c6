"""The end-to-end ledger workflow, run unchanged on the embedded backend and on a real Fabric network.

Every test takes the ``backend`` fixture; on Fabric the chaincode runs as a service behind real peers, the
endorsement policy needs two orgs, and blocks come from the peer's deliver service.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid

import pytest
from fabric_net import Backend

from ledger.client import LedgerClient
from ledger.connect import committed_blocks
from ledger.errors import Conflict, EndorseError, Forbidden, NotFound
from ledger.gateway import InMemoryCheckpointer
from ledger.readmodel.builder import ReadModel
from tests.helpers import OEM, SUPPLIER, SUPPLIER_ORG_DOC, TIER1, js, race_org_updates

ORG_DOC = SUPPLIER_ORG_DOC


def _part_type(number: str) -> dict[str, str]:
    return {
        "part_number": number,
        "description": "Case casting",
        "hs_code": "8708.99",
        "usmca_category": "other",
        "unit": "EA",
    }


def _part(uid: str, part_type: str) -> dict[str, str]:
    return {
        "uid": uid,
        "part_type": part_type,
        "lot": "L1",
        "production_date": "2026-11-01",
        "site_id": "supplier-plant",
    }


def _fresh() -> str:
    return uuid.uuid4().hex[:12].upper()


def test_submit_commits_and_other_orgs_read_it(backend: Backend) -> None:
    number = f"CAST-{_fresh()}"
    out = LedgerClient(backend.connect(SUPPLIER, "admin")).register_part_type(_part_type(number))
    assert out["part_number"] == number
    read = json.loads(backend.connect(OEM, "compliance").evaluate("GetPartType", f"{SUPPLIER}:{number}"))
    assert read["description"] == "Case casting"


def test_chaincode_refusal_is_a_typed_endorse_error_with_details(backend: Backend) -> None:
    with pytest.raises(EndorseError) as info:
        backend.connect(SUPPLIER, "station1").submit("RegisterOrg", js(ORG_DOC))
    err = info.value
    assert isinstance(err.cause, Forbidden)
    assert "station" in err.cause.message
    assert len(err.tx_id) == 64
    assert err.details and err.details[0].msp_id == SUPPLIER
    assert err.message == err.cause.message


def test_unknown_record_is_not_found(backend: Backend) -> None:
    with pytest.raises(EndorseError) as info:
        backend.connect(OEM, "compliance").evaluate("GetOrg", "NoSuchMSP")
    assert isinstance(info.value.cause, NotFound)
    assert info.value.cause.value == "NoSuchMSP"


def test_concurrent_updates_of_one_key_conflict_under_mvcc(backend: Backend) -> None:
    gw = backend.connect(SUPPLIER, "admin")
    outcomes = race_org_updates(gw, rounds=10)
    gw.submit("RegisterOrg", js(ORG_DOC))
    assert "MVCC_READ_CONFLICT" in outcomes
    assert "VALID" in outcomes
    assert set(outcomes) <= {"VALID", "MVCC_READ_CONFLICT"}


def test_blocks_stream_from_a_checkpoint_with_writes_and_event(backend: Backend) -> None:
    gw = backend.connect(SUPPLIER, "admin")
    ck = InMemoryCheckpointer()
    first = list(gw.blocks(ck.block_number, follow=False))
    assert first[0].number == 0 and first[0].previous_hash == ""
    assert all(a.hash == b.previous_hash for a, b in itertools.pairwise(first))
    for b in first:
        ck.checkpoint(b.number)
    assert list(gw.blocks(ck.block_number, follow=False)) == []  # at the tip: nothing new, no error
    number = f"CAST-{_fresh()}"
    gw.submit("RegisterPartType", js(_part_type(number)))
    more = list(gw.blocks(ck.block_number, follow=False))
    assert [b.number for b in more] == [ck.block_number]
    (tx,) = more[0].transactions
    assert tx.valid and tx.function == "RegisterPartType" and tx.creator_msp == SUPPLIER
    assert any(number in w.key for w in tx.writes)
    assert more[0].previous_hash == first[-1].hash
    assert tx.event is not None and tx.event.name == "PartTypeRegistered"


def test_follow_yields_new_blocks_as_they_commit(backend: Backend) -> None:
    gw = backend.connect(OEM, "compliance")
    start = len(list(gw.blocks(0, follow=False)))
    seen = []

    def listen() -> None:
        for block in gw.blocks(start, follow=True):
            seen.append(block)
            return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    LedgerClient(backend.connect(TIER1, "admin")).register_part_type(_part_type(f"GEAR-{_fresh()}"))
    t.join(timeout=30)
    assert [b.number for b in seen] == [start]


def test_read_model_is_built_from_committed_blocks(backend: Backend, tmp_path) -> None:
    admin = LedgerClient(backend.connect(SUPPLIER, "admin"))
    number = f"CAST-{_fresh()}"
    admin.register_part_type(_part_type(number))
    model = ReadModel(tmp_path / "readmodel.db")
    try:
        model.follow(committed_blocks(backend.home, 0, backend=backend.name))
        rows = list(model.rows("parttype", "part_number = ?", [number]))
        assert len(rows) == 1 and rows[0]["description"] == "Case casting"
    finally:
        model.close()


def test_client_library_round_trip(backend: Backend) -> None:
    number = f"CAST-{_fresh()}"
    LedgerClient(backend.connect(SUPPLIER, "admin")).register_part_type(_part_type(number))
    station = LedgerClient(backend.connect(SUPPLIER, "station1"))
    uid = f"urn:test:part:{_fresh()}"
    station.commission_part(_part(uid, f"{SUPPLIER}:{number}"))
    with pytest.raises(EndorseError) as info:
        station.commission_part(_part(uid, f"{SUPPLIER}:{number}"))
    assert isinstance(info.value.cause, Conflict)
    assert station.get_part(uid)["part"]["owner_msp"] == SUPPLIER
