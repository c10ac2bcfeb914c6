"""Sinks against the real embedded ledger: batches, idempotent resends, isolation of a bad item, outages."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ledger.client import LedgerClient
from ledger.connect import committed_blocks, connect
from ledger.readmodel.builder import split_key
from scanner.identifiers import parse
from scanner.station.config import StationConfig
from scanner.station.events import assembly_event, scan_event
from scanner.station.outbox import DELIVERED, PENDING, REFUSED, NewEvent, Outbox, OutboxEvent
from scanner.station.sinks import LedgerSink, SinkUnavailable, deliver_isolating
from tests.helpers import OEM, SUPPLIER

PT = "SupplierMSP:CAST-1"
GTIN = "00628000123453"


def code(i: int) -> str:
    """What a reader transmits for part ``i``: the GS1 element string with its symbology identifier."""
    return f"]d201{GTIN}21S{i:06d}"


def uid(i: int) -> str:
    return parse(code(i)).uid


def commission(home: Path, n: int, *, extra: list[str] = ()) -> Path:
    """Register the supplier's part type and commission parts 0..n-1 (and ``extra`` uids) at its station."""
    LedgerClient(connect(home, SUPPLIER, "admin")).register_part_type(
        {"part_number": "CAST-1", "description": "Case casting", "hs_code": "8708.99", "usmca_category": "other",
         "unit": "EA"}
    )  # fmt: skip
    uids = [uid(i) for i in range(n)] + list(extra)
    st = LedgerClient(connect(home, SUPPLIER, "station1"))
    for start in range(0, len(uids), 5000):
        st.commission_parts(
            [{"uid": u, "part_type": PT, "lot": "L1", "production_date": "2026-11-01", "site_id": "supplier-plant"}
             for u in uids[start : start + 5000]]
        )  # fmt: skip
    return home


def ledger_scans(home: Path) -> list[tuple[str, str]]:
    """(uid, event hash) of every scan record written by valid transactions, in commit order."""
    out = []
    for block in committed_blocks(home):
        for tx in block.transactions:
            if not tx.valid:
                continue
            for w in tx.writes:
                k = split_key(w.key)
                if k is not None and k[0] == "scan":
                    out.append((k[1][0], k[1][1]))
    return out


def station_config(home: Path, tmp_path: Path, **over: object) -> StationConfig:
    base: dict[str, object] = {"org": SUPPLIER, "member": "station1", "station_id": "sup-st1", "home": home,
                               "outbox": tmp_path / "ob.db"}  # fmt: skip
    return StationConfig(**{**base, **over})


def stored(outbox: Outbox, events: list[NewEvent]) -> list[OutboxEvent]:
    outbox.append_many(events)
    return outbox.pending(len(events) + 10)


@pytest.fixture
def home(ledger_home: Path) -> Path:
    return commission(ledger_home, 20)


def test_batch_delivered_then_resend_is_duplicate(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path)
    box = Outbox(tmp_path / "ob.db")
    events = stored(box, [scan_event(cfg, uid(i), 1_790_000_000.0 + i, code(i)) for i in range(5)])
    sink = LedgerSink(home, SUPPLIER, "station1")
    first = sink.deliver(events)
    assert [first[e.event_id][0] for e in events] == [DELIVERED] * 5
    assert [first[e.event_id][1]["duplicate"] for e in events] == [False] * 5
    assert first[events[0].event_id][1]["uid"] == uid(0)
    again = sink.deliver(events)
    assert [again[e.event_id][1]["duplicate"] for e in events] == [True] * 5
    assert sorted(ledger_scans(home)) == sorted((e.uid, e.event_id) for e in events)


@pytest.mark.parametrize("bad_at", [0, 3, 6])
def test_bad_item_is_isolated_and_only_it_refused(home: Path, tmp_path: Path, bad_at: int) -> None:
    cfg = station_config(home, tmp_path)
    good = [scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(6)]
    wrong_rp = scan_event(cfg.model_copy(update={"read_point": "urn:usmca:readpoint:SupplierMSP:other"}), uid(9),
                          1_790_000_100.0)  # fmt: skip
    events = [*good[:bad_at], wrong_rp, *good[bad_at:]]
    box = Outbox(tmp_path / "ob.db")
    outcomes = LedgerSink(home, SUPPLIER, "station1").deliver(stored(box, events))
    assert outcomes[wrong_rp.event_id] == (
        REFUSED,
        {
            "error": {
                "kind": "validation_error",
                "message": "scan read_point 'urn:usmca:readpoint:SupplierMSP:other' is not the read point "
                "'urn:usmca:readpoint:SupplierMSP:sup-st1' registered for station sup-st1",
                "field": "read_point",
                "value": "urn:usmca:readpoint:SupplierMSP:other",
            }
        },
    )
    assert {outcomes[e.event_id][0] for e in good} == {DELIVERED}
    assert sorted(ledger_scans(home)) == sorted((e.uid, e.event_id) for e in good)


def test_isolation_without_an_index_goes_one_by_one(home: Path, tmp_path: Path) -> None:
    """A batch error that names no item (here: a refused batch as a whole) falls back to single sends."""
    cfg = station_config(home, tmp_path)
    events = stored(Outbox(tmp_path / "ob.db"), [scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(3)])
    client = LedgerClient(connect(home, SUPPLIER, "station1"))
    sent_batches: list[int] = []

    def batch(items: list[dict]) -> list[dict]:
        sent_batches.append(len(items))
        return client.record_scans([*items, {"uid": "not a uri"}])  # the ledger refuses the whole batch

    outcomes = deliver_isolating(events, batch, client.record_scan)
    assert sent_batches == [3]
    assert [outcomes[e.event_id][0] for e in events] == [DELIVERED] * 3


def test_wrong_station_identity_is_an_outage_not_a_refusal(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, station_id="oem-st1")
    events = stored(Outbox(tmp_path / "ob.db"), [scan_event(cfg, uid(1), 1_790_000_000.0)])
    with pytest.raises(SinkUnavailable, match="may not record scans as station oem-st1"):
        LedgerSink(home, SUPPLIER, "station1").deliver(events)
    assert ledger_scans(home) == []


def test_missing_home_is_an_outage_and_creates_nothing(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path)
    events = stored(Outbox(tmp_path / "ob.db"), [scan_event(cfg, uid(1), 1_790_000_000.0)])
    away = home.with_name("away")
    os.rename(home, away)
    try:
        with pytest.raises(SinkUnavailable) as info:
            LedgerSink(home, SUPPLIER, "station1").deliver(events)
        assert info.value.message == f"ledger home {home} is unreachable: {home / 'ledger.db'} is missing"
        assert not home.exists()
    finally:
        os.rename(away, home)
    assert LedgerSink(home, SUPPLIER, "station1").deliver(events)[events[0].event_id][0] == DELIVERED


def test_assembly_delivered_and_replayed(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, mode="assemble", assemble_count=2)
    ev = assembly_event(cfg, uid(0), (uid(1), uid(2)), time.time())
    events = stored(Outbox(tmp_path / "ob.db"), [ev])
    sink = LedgerSink(home, SUPPLIER, "station1")
    status, doc = sink.deliver(events)[ev.event_id]
    assert (status, doc["parent_uid"], doc["child_uids"], doc["duplicate"]) == (
        DELIVERED, uid(0), [uid(1), uid(2)], False
    )  # fmt: skip
    assert sink.deliver(events)[ev.event_id][1]["duplicate"] is True
    part = LedgerClient(connect(home, SUPPLIER, "admin")).get_part(uid(1))
    assert (part["part"]["status"], part["part"]["parent"]) == ("consumed", uid(0))


def test_assembly_of_a_consumed_part_is_refused(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, mode="assemble", assemble_count=1)
    first = assembly_event(cfg, uid(0), (uid(1),), time.time())
    second = assembly_event(cfg, uid(3), (uid(1),), time.time() + 1)
    box = Outbox(tmp_path / "ob.db")
    out = LedgerSink(home, SUPPLIER, "station1").deliver(stored(box, [first, second]))
    assert out[first.event_id][0] == DELIVERED
    assert out[second.event_id][0] == REFUSED
    assert out[second.event_id][1]["error"]["message"] == f"part {uid(1)} was already consumed by parent {uid(0)}"
    assert out[second.event_id][1]["error"]["kind"] == "conflict"


def test_flags_come_back_with_the_delivered_scan(home: Path, tmp_path: Path) -> None:
    """An unknown part and a part in another org's custody are recorded with their flags (the agent refuses)."""
    LedgerClient(connect(home, SUPPLIER, "station1")).ship({"shipment_id": "ASN-1", "to_msp": OEM, "uids": [uid(4)]})
    LedgerClient(connect(home, OEM, "station1")).receive({"shipment_id": "ASN-1", "from_msp": SUPPLIER,
                                                          "uids": [uid(4)]})  # fmt: skip
    cfg = station_config(home, tmp_path)
    unknown = parse(f"(01){GTIN}(21)NEVER1").uid
    events = stored(Outbox(tmp_path / "ob.db"),
                    [scan_event(cfg, unknown, 1_790_000_000.0), scan_event(cfg, uid(4), 1_790_000_001.0)])  # fmt: skip
    out = LedgerSink(home, SUPPLIER, "station1").deliver(events)
    assert [out[e.event_id][1]["anomalies"] for e in events] == [["unknown_part"], ["not_in_custody"]]
    assert {out[e.event_id][0] for e in events} == {DELIVERED}
    assert PENDING not in {s for s, _ in out.values()}
