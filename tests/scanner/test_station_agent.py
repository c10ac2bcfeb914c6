"""The agent in-process: operator lines for every kind of read, outage and restart, assemble mode, images, CLI."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ledger.client import LedgerClient
from ledger.connect import connect
from scanner.datamatrix import encode
from scanner.identifiers import parse
from scanner.station.agent import StationAgent, Summary
from scanner.station.cli import station_app
from scanner.station.config import StationConfig
from scanner.station.outbox import Outbox
from scanner.station.sinks import LedgerSink
from scanner.station.sources import DirectorySource, StreamSource
from tests.helpers import OEM, SUPPLIER
from tests.scanner.test_station_sinks import GTIN, code, commission, ledger_scans, station_config, uid


def ticking(start: float = 1_790_000_000.0, step: float = 0.5) -> Callable[[], float]:
    """A wall clock that advances ``step`` seconds per call (one call per read)."""
    now = [start]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def run_agent(cfg: StationConfig, lines: list[str], *, clock: Callable[[], float] | None = None,
              home: Path | None = None) -> tuple[list[str], str, Summary]:  # fmt: skip
    """Run an agent over piped scanner lines until the pipe ends; (stdout lines, stderr, summary)."""
    r, w = os.pipe()
    os.write(w, "".join(x + "\r\n" for x in lines).encode("latin-1"))
    os.close(w)
    out, err = io.StringIO(), io.StringIO()
    with os.fdopen(r, "rb") as stream:
        agent = StationAgent(cfg, StreamSource(stream), LedgerSink(home or cfg.home, SUPPLIER, "station1"),
                             out=out, err=err, clock=clock or ticking())  # fmt: skip
        summary = agent.run()
        agent.outbox.close()
    return out.getvalue().splitlines(), err.getvalue(), summary


@pytest.fixture
def home(ledger_home: Path) -> Path:
    return commission(ledger_home, 10)


def test_one_line_per_read_with_the_reason(home: Path, tmp_path: Path) -> None:
    client = LedgerClient(connect(home, SUPPLIER, "station1"))
    client.ship({"shipment_id": "ASN-1", "to_msp": OEM, "uids": [uid(5)]})
    LedgerClient(connect(home, OEM, "station1")).receive({"shipment_id": "ASN-1", "from_msp": SUPPLIER,
                                                          "uids": [uid(5)]})  # fmt: skip
    never = f"(01){GTIN}(21)NEVER"
    cfg = station_config(home, tmp_path, answer_wait=30)
    lines, err, summary = run_agent(
        cfg,
        [
            f"(01){GTIN}(21)S000001(10)LOT7",
            code(1),  # the same part, another spelling, 0.5 s later
            "(01)00628000123452(21)S000001",
            f"(01){GTIN}(10)LOT7",
            never,
            code(5),
            "garbage \x07",
        ],
    )
    assert lines == [
        f"OK {uid(1)} part {GTIN} lot LOT7",
        f"OK {uid(1)} part {GTIN} (repeat read within 2 s, recorded once)",
        "REFUSED GTIN 00628000123452 has check digit 2, expected 3",
        f"REFUSED https://id.gs1.org/01/{GTIN}/10/LOT7 identifies a lot or product class, not a serialized part",
        f"REFUSED unknown part: {parse(never).uid} was never commissioned",
        f"REFUSED not in our custody: {uid(5)} is in the custody of OemMSP, not SupplierMSP",
        lines[6],
    ]
    assert lines[6].startswith("REFUSED ") and "garbage" in lines[6]
    assert summary == Summary(reads=7, events=3, refused_lines=5, delivered=3, pending=0, refused=0)
    assert "station" not in err  # the status line is the CLI's job; no notices were needed
    assert sorted(u for u, _ in ledger_scans(home)) == sorted([uid(1), parse(never).uid, uid(5)])


def test_outage_lines_then_restart_delivers_and_reports_late_flags(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path)
    never = f"(01){GTIN}(21)NEVER"
    away = home.with_name("away")
    os.rename(home, away)
    try:
        lines, err, summary = run_agent(cfg.model_copy(update={"drain_seconds": 0.2}), [code(1), never])
    finally:
        os.rename(away, home)
    assert lines == [
        f"OK {uid(1)} part {GTIN} (stored offline, will send)",
        f"OK {parse(never).uid} part {GTIN} (stored offline, will send)",
    ]
    assert f"notice: ledger unreachable (ledger home {home} is unreachable: {home / 'ledger.db'} is missing)" in err
    assert (summary.pending, summary.delivered) == (2, 0)
    # Restart with the ledger back: the backlog is delivered and the flag found late is reported.
    lines, err, summary = run_agent(cfg, [])
    assert lines == []
    assert f"LATE REFUSED unknown part: {parse(never).uid} was never commissioned" in err
    assert (summary.pending, summary.delivered) == (0, 2)
    assert sorted(u for u, _ in ledger_scans(home)) == sorted([uid(1), parse(never).uid])


def test_restart_within_the_window_does_not_record_a_reread_twice(home: Path, tmp_path: Path) -> None:
    """The dedupe window survives a restart: it is seeded from the outbox's recent reads (wall clock)."""
    import time

    cfg = station_config(home, tmp_path, dedupe_window=60)
    first, _, _ = run_agent(cfg, [code(2)], clock=time.time)
    again, _, summary = run_agent(cfg, [code(2)], clock=time.time)
    assert first == [f"OK {uid(2)} part {GTIN}"]
    assert again == [f"OK {uid(2)} part {GTIN} (repeat read within 60 s, recorded once)"]
    assert (summary.events, summary.delivered) == (0, 1)
    assert [u for u, _ in ledger_scans(home)] == [uid(2)]


def test_assemble_mode_by_count(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, mode="assemble", assemble_count=2, answer_wait=30, dedupe_window=0)
    lines, err, summary = run_agent(cfg, [code(0), code(1), code(0), code(2), code(3), code(1)])
    assert "unreachable" not in err
    assert lines == [
        f"OK {uid(0)} part {GTIN} (assembly parent: scan its parts)",
        f"OK {uid(1)} part {GTIN} (part 1 of 2 for {uid(0)})",
        f"REFUSED {uid(0)} is the parent of this assembly",
        f"OK {uid(2)} part {GTIN} (part 2 of 2); assembled {uid(0)} from 2 parts",
        f"OK {uid(3)} part {GTIN} (assembly parent: scan its parts)",
        f"OK {uid(1)} part {GTIN} (part 1 of 2 for {uid(3)})",
    ]
    assert summary.events == 1
    part = LedgerClient(connect(home, SUPPLIER, "admin")).get_part(uid(0))
    assert sorted(part["children"]) == [uid(1), uid(2)]


def test_assemble_mode_by_terminator_and_a_refused_assembly(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, mode="assemble", terminator="#DONE", answer_wait=30, dedupe_window=0)
    lines, err, summary = run_agent(
        cfg, ["#DONE", code(4), code(5), code(6), "#DONE", code(7), code(5), "#DONE", code(8)]
    )
    assert "unreachable" not in err
    assert lines == [
        "REFUSED end-of-assembly code scanned with no assembly open",
        f"OK {uid(4)} part {GTIN} (assembly parent: scan its parts)",
        f"OK {uid(5)} part {GTIN} (part 1 for {uid(4)})",
        f"OK {uid(6)} part {GTIN} (part 2 for {uid(4)})",
        f"OK end of assembly; assembled {uid(4)} from 2 parts",
        f"OK {uid(7)} part {GTIN} (assembly parent: scan its parts)",
        f"OK {uid(5)} part {GTIN} (part 1 for {uid(7)})",
        f"REFUSED assembly of {uid(7)} refused: part {uid(5)} was already consumed by parent {uid(4)}",
        f"OK {uid(8)} part {GTIN} (assembly parent: scan its parts)",
    ]
    assert f"notice: assembly of {uid(8)} with 0 children was not finished and is not recorded" in err
    assert (summary.delivered, summary.refused) == (1, 1)


def test_image_folder_source(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    Image.fromarray(encode(code(3).removeprefix("]d2")).to_image()).save(folder / "a.png")
    Image.fromarray(np.full((120, 160), 255, dtype=np.uint8)).save(folder / "b.png")
    cfg = station_config(home, tmp_path, answer_wait=30)
    out, err = io.StringIO(), io.StringIO()
    agent = StationAgent(cfg, DirectorySource(folder, once=True), LedgerSink(home, SUPPLIER, "station1"),
                         out=out, err=err)  # fmt: skip
    agent.run()
    assert out.getvalue().splitlines() == [
        f"OK {uid(3)} part {GTIN}",
        f"REFUSED no Data Matrix code found in dir:{folder}/b.png",
    ]


def test_cli_status_and_requeue(home: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, read_point="urn:usmca:readpoint:SupplierMSP:elsewhere", answer_wait=30)
    lines, _, _ = run_agent(cfg, [code(1)])
    assert lines[0].startswith(f"REFUSED ledger refused the read of {uid(1)}: scan read_point")
    runner = CliRunner()
    res = runner.invoke(station_app, ["status", "--outbox", str(tmp_path / "ob.db")])
    assert res.exit_code == 0, res.output
    status = json.loads(res.output)
    assert (status["pending"], status["delivered"], status["refused"]) == (0, 0, 1)
    assert status["refused_events"][0]["uid"] == uid(1)
    assert status["refused_events"][0]["error"]["field"] == "read_point"
    res = runner.invoke(station_app, ["requeue", "--outbox", str(tmp_path / "ob.db")])
    assert json.loads(res.output)["requeued"] == 1
    assert Outbox(tmp_path / "ob.db").counts()["pending"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--outbox", "/nonexistent/ob.db"], "error: outbox /nonexistent/ob.db does not exist\n"),
        (["run", "--source", "stdin", "--org", "SupplierMSP", "--member", "m", "--station", "s"],
         "error: station config: give exactly one sink: a ledger home or an API URL\n"),
        (["run", "--source", "ftp:x", "--org", "SupplierMSP", "--member", "m", "--station", "s", "--home", "/h"],
         "error: unknown source 'ftp:x'; use dir:PATH, stdin, tcp:HOST:PORT, tcp-listen:HOST:PORT, serial:DEVICE "
         "or camera:N\n"),
        (["run", "--source", "stdin", "--org", "SupplierMSP", "--member", "m", "--station", "s", "--home", "/h",
          "--batch-size", "9000"],
         "error: station config batch_size=9000: Input should be less than or equal to 5000\n"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(args: list[str], message: str) -> None:
    res = CliRunner().invoke(station_app, args)
    assert res.exit_code == 2
    assert res.stderr == message
