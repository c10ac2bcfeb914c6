"""Pure station rules: dedupe window, assembly sequences, events and payloads, config, operator lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import ParseError, ValidationError
from scanner.epcis import event_from_jsonld
from scanner.station.config import StationConfig, build_config
from scanner.station.events import Assembler, Dedupe, LineLimit, assembly_event, event_time, scan_event
from scanner.station.operator import assembly_verdict, ok_line, refused_line, scan_verdict

UID = "https://id.gs1.org/01/00628000123453/21/S000001"
UID2 = "https://id.gs1.org/01/00628000123453/21/S000002"


def cfg(**over: object) -> StationConfig:
    base: dict[str, object] = {"org": "SupplierMSP", "member": "station1", "station_id": "sup-st1", "home": "/h"}
    return StationConfig(**{**base, **over})


@pytest.mark.parametrize(
    ("window", "reads", "repeats"),
    [
        (2.0, [(UID, 0.0), (UID, 1.0)], [False, True]),
        (2.0, [(UID, 0.0), (UID, 2.0)], [False, True]),  # the window is inclusive
        (2.0, [(UID, 0.0), (UID, 2.01)], [False, False]),
        (2.0, [(UID, 0.0), (UID, 1.5), (UID, 3.0), (UID, 4.5)], [False, True, True, True]),  # it slides
        (2.0, [(UID, 0.0), (UID2, 0.5), (UID, 1.0)], [False, False, True]),  # per code
        (0.0, [(UID, 0.0), (UID, 0.0001)], [False, False]),  # window 0: every read is an event
    ],
)
def test_dedupe_window(window: float, reads: list[tuple[str, float]], repeats: list[bool]) -> None:
    d = Dedupe(window)
    assert [d.repeat(u, t) for u, t in reads] == repeats


def test_dedupe_seeded_from_before_a_restart_and_pruned() -> None:
    d = Dedupe(2.0)
    d.seed([(UID, 100.0)])
    assert d.repeat(UID, 101.5) is True
    assert d.repeat(UID2, 150.0) is False  # pruning runs (far later) and forgets UID
    assert d.repeat(UID, 150.5) is False


def test_line_limit_says_a_code_once_per_window() -> None:
    lim = LineLimit(2.0)
    # A part in view for 5 s at 4 frames/s: a line at 0, then one per window while it stays; per code.
    times = [i * 0.25 for i in range(21)]
    assert [t for t in times if lim.due(UID, t)] == [0.0, 2.0, 4.0]
    assert lim.due(UID2, 4.25) and not lim.due(UID2, 4.5)
    zero = LineLimit(0.0)
    assert zero.due(UID, 1.0) and zero.due(UID, 1.0)  # window 0: every read is said
    assert lim.due(UID, 100.0) and lim.due(UID2, 100.0)  # pruned long after, then said again


def test_assembler_by_count() -> None:
    a = Assembler(count=2)
    steps = [a.add(u) for u in ("P", "C1", "C1", "P", "C2", "Q")]
    assert [s.role for s in steps] == ["parent", "child", "again", "refused", "complete", "parent"]
    assert (steps[4].parent, steps[4].children) == ("P", ("C1", "C2"))
    assert steps[3].reason == "P is the parent of this assembly"


def test_assembler_by_terminator() -> None:
    a = Assembler(terminator="DONE")
    assert a.terminate().reason == "end-of-assembly code scanned with no assembly open"
    assert a.is_terminator(" DONE ") and not a.is_terminator("DONE2")
    a.add("P")
    assert a.terminate().reason == "assembly of P has no children yet"
    a.add("C1")
    a.add("C2")
    a.add("C3")
    done = a.terminate()
    assert (done.role, done.parent, done.children) == ("complete", "P", ("C1", "C2", "C3"))
    a.add("P2")
    assert a.abandon() == ("P2", ())


def test_scan_event_and_payload_share_the_canonical_hash() -> None:
    c = cfg(biz_step="receiving", disposition="in_progress")
    e = scan_event(c, UID, 1_790_000_000.1234, "]d2...")
    model = event_from_jsonld(e.event)
    assert model.hash_id() == e.event_id == e.payload["event_hash"]
    assert e.event["epcList"] == [UID]
    assert e.event["readPoint"] == {"id": "urn:usmca:readpoint:SupplierMSP:sup-st1"}
    assert (e.event["bizStep"], e.event["disposition"], e.event["action"]) == ("receiving", "in_progress", "OBSERVE")
    assert e.payload == {
        "uid": UID,
        "station_id": "sup-st1",
        "read_point": "urn:usmca:readpoint:SupplierMSP:sup-st1",
        "biz_step": "receiving",
        "disposition": "in_progress",
        "event_time": e.event["eventTime"],
        "event_hash": e.event_id,
    }
    assert (e.kind, e.uid, e.raw) == ("scan", UID, "]d2...")


def test_reads_a_millisecond_apart_are_different_events() -> None:
    c = cfg()
    assert scan_event(c, UID, 1_790_000_000.000).event_id != scan_event(c, UID, 1_790_000_000.001).event_id
    assert scan_event(c, UID, 1_790_000_000.0001).event_id == scan_event(c, UID, 1_790_000_000.0002).event_id


def test_event_time_is_local_and_to_the_millisecond() -> None:
    t = event_time(1_790_000_000.123456)
    assert t.utcoffset() is not None
    assert t.microsecond == 123000


def test_assembly_event_is_a_transformation() -> None:
    e = assembly_event(cfg(mode="assemble", assemble_count=2), UID, (UID2, "urn:usmca:mh10:X"), 1_790_000_000.0)
    assert e.event["type"] == "TransformationEvent"
    assert (e.event["inputEPCList"], e.event["outputEPCList"]) == ([UID2, "urn:usmca:mh10:X"], [UID])
    assert e.event["bizStep"] == "assembling"
    assert e.payload == {
        "parent_uid": UID,
        "child_uids": [UID2, "urn:usmca:mh10:X"],
        "event_hash": e.event_id,
        "event_time": e.event["eventTime"],
    }
    assert event_from_jsonld(e.event).hash_id() == e.event_id


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"home": None}, "station config: give exactly one sink: a ledger home or an API URL"),
        ({"api_url": "http://127.0.0.1:8000"}, "station config: give exactly one sink: a ledger home or an API URL"),
        ({"home": None, "api_url": "http://x"}, "station config: the API sink http://x needs a token"),
        ({"mode": "assemble"}, "station config: assemble mode needs assemble_count or terminator to know when an "
         "assembly ends"),
        ({"batch_size": 0}, "station config batch_size=0: Input should be greater than or equal to 1"),
        ({"mode": "bulk"}, "station config mode='bulk': Input should be 'observe' or 'assemble'"),
        ({"station_id": "a b"}, "station config station_id='a b': String should match pattern "
         "'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'"),
        ({"dedupe": 3}, "station config dedupe=3: Extra inputs are not permitted"),
        ({"biz_step": "scanning"}, "station config biz_step='scanning': bizStep 'scanning' is neither a CBV 2.0 "
         "business step nor an absolute URI"),
        ({"disposition": "gone"}, "station config disposition='gone': disposition 'gone' is neither a CBV 2.0 "
         "disposition nor an absolute URI"),
        ({"read_point": "dock 3"}, "station config read_point='dock 3': 'dock 3' is not an absolute URI"),
    ],
)  # fmt: skip
def test_config_errors_name_the_value(over: dict[str, object], message: str) -> None:
    base = {"org": "SupplierMSP", "member": "station1", "station_id": "sup-st1", "home": "/h"}
    with pytest.raises(ValidationError) as info:
        build_config(None, **{**base, **over})
    assert info.value.message == message


def test_config_file_with_flag_overrides(tmp_path: Path) -> None:
    f = tmp_path / "station.toml"
    f.write_text('org = "SupplierMSP"\nmember = "station1"\nstation_id = "sup-st1"\nhome = "/h"\n'
                 'dedupe-window = 5.0\nbiz_step = "inspecting"\n')  # fmt: skip
    c = build_config(f, dedupe_window=1.5, biz_step=None)
    assert (c.dedupe_window, c.biz_step, c.outbox_path) == (1.5, "inspecting", Path("station-sup-st1.outbox.db"))
    y = tmp_path / "station.yaml"
    y.write_text("org: SupplierMSP\nmember: station1\nstation_id: sup-st1\napi_url: http://127.0.0.1:9\ntoken: t\n")
    assert build_config(y).api_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("s.toml", "org = ", ParseError),
        ("s.json", "[1]", ParseError),
        ("s.ini", "org=x", ValidationError),
    ],
)
def test_config_file_errors(tmp_path: Path, name: str, text: str, error: type[Exception]) -> None:
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(error, match=str(f)):
        build_config(f)


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        ({"anomalies": [], "anomaly_details": {}}, f"OK {UID} part P lot L"),
        ({"anomalies": ["clock_skew"], "anomaly_details": {"clock_skew": "x"}},
         f"OK {UID} part P lot L (warning: station clock is ahead of the ledger)"),
        ({"anomalies": ["unknown_part"], "anomaly_details": {"unknown_part": f"{UID} was never commissioned"}},
         f"REFUSED unknown part: {UID} was never commissioned"),
        ({"anomalies": ["not_in_custody", "impossible_travel"],
          "anomaly_details": {"not_in_custody": "in OemMSP custody", "impossible_travel": "2,700 km in 1 min"}},
         "REFUSED not in our custody: in OemMSP custody; clone suspected: 2,700 km in 1 min"),
        ({"anomalies": ["consumed"], "anomaly_details": {}}, f"REFUSED already consumed: {UID}"),
    ],
)  # fmt: skip
def test_scan_verdict_lines(answer: dict, line: str) -> None:
    assert scan_verdict(UID, "part P lot L", "delivered", answer) == line


def test_refused_and_assembly_lines() -> None:
    err = {"error": {"kind": "validation_error", "message": "scan uid 'x' is\nnot an absolute URI"}}
    assert scan_verdict(UID, "", "refused", err) == (
        f"REFUSED ledger refused the read of {UID}: scan uid 'x' is not an absolute URI"
    )
    assert (
        assembly_verdict("OK C2 (part 2 of 2)", "P", 2, "delivered", {})
        == "OK C2 (part 2 of 2); assembled P from 2 parts"
    )
    assert assembly_verdict("OK", "P", 1, "refused", {"error": {"message": "part C was already consumed"}}) == (
        "REFUSED assembly of P refused: part C was already consumed"
    )
    assert ok_line(UID) == f"OK {UID}"
    assert refused_line("a\r\nb") == "REFUSED a b"
