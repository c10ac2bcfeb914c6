"""The camera source on a real video: an MJPG .avi written with OpenCV whose frames show our own labels.

The video (640x480, 30 frames) shows part 1's printed label (scanner.labels) drifting across the view, then an
empty bench, then part 2's bare symbol (scanner.datamatrix), then the empty bench again. It is read by the
source alone, by the agent in-process, and by a real ``usmca station run --source camera:FILE`` process.
"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ledger.errors import ValidationError
from scanner.datamatrix import decode, encode
from scanner.labels import label_content, render_image
from scanner.station.agent import StationAgent, Summary
from scanner.station.sinks import LedgerSink
from scanner.station.sources import CameraSource, open_source
from tests.helpers import SUPPLIER
from tests.scanner.test_station_sinks import GTIN, code, commission, ledger_scans, station_config, uid

USMCA = Path(sys.executable).with_name("usmca")
BENCH_BGR = (168, 182, 196)  # a grey-beige bench, not a white page: the code must stand out by itself
#: What each of the 30 frames shows: part 1's label, nothing, part 2's symbol, nothing.
PLAN = [1] * 8 + [None] * 7 + [2] * 8 + [None] * 7


def write_video(path: Path) -> Path:
    """Write PLAN as a 640x480 MJPG .avi at 30 fps; the code moves a few pixels per frame, as a part on a bench."""
    label = np.asarray(render_image(label_content(code(1)), dpi=120))  # 240x480 px: symbol plus human text
    symbol = encode(code(2).removeprefix("]d2")).to_image(module_px=6)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    assert writer.isOpened()
    for n, part in enumerate(PLAN):
        frame = np.empty((480, 640, 3), dtype=np.uint8)
        frame[:] = BENCH_BGR
        if part is not None:
            img = label if part == 1 else symbol
            y, x = 20 + 3 * n, 20 + 4 * n
            frame[y : y + img.shape[0], x : x + img.shape[1]] = img[:, :, None]
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "bench.avi")


@pytest.fixture
def home(ledger_home: Path) -> Path:
    return commission(ledger_home, 3)


def expected_lines() -> list[str]:
    """One OK per part, then one repeat line per further frame showing it; the empty bench prints nothing."""
    lines = []
    for i in (1, 2):
        lines.append(f"OK {uid(i)} part {GTIN}")
        lines += [f"OK {uid(i)} part {GTIN} (repeat read within 60 s, recorded once)"] * (PLAN.count(i) - 1)
    return lines


def test_source_yields_every_frame_as_quiet_grayscale_until_end_of_file(video: Path) -> None:
    reads = list(open_source(f"camera:{video}"))
    assert [r.origin for r in reads] == [f"camera:{video}#{n}" for n in range(1, 31)]
    assert all(r.quiet and r.text is None for r in reads)
    assert {(r.frame.shape, r.frame.dtype) for r in reads} == {((480, 640), np.dtype(np.uint8))}
    found = [decode(r.frame, require_serial=True)[0] for r in reads]
    assert [r.part.uid if r.found and r.part else None for r in found] == [
        None if part is None else uid(part) for part in PLAN
    ]
    assert all(r.raw == code(p).removeprefix("]d2") for r, p in zip(found, PLAN, strict=True) if p is not None)


def test_every_nth_frame_and_stop(video: Path) -> None:
    assert [r.origin.rpartition("#")[2] for r in CameraSource(str(video), every=3)] == [str(n) for n in range(3, 31, 3)]
    src = CameraSource(str(video))
    first = []
    for r in src:
        first.append(r)
        src.stop()
    assert len(first) == 1


def test_agent_reads_each_part_once_and_is_quiet_on_empty_frames(home: Path, video: Path, tmp_path: Path) -> None:
    cfg = station_config(home, tmp_path, answer_wait=30, dedupe_window=60)
    out, err = io.StringIO(), io.StringIO()
    agent = StationAgent(cfg, CameraSource(str(video)), LedgerSink(home, SUPPLIER, "station1"), out=out, err=err)
    summary = agent.run()
    agent.outbox.close()
    assert out.getvalue().splitlines() == expected_lines()
    assert summary == Summary(reads=30, events=2, refused_lines=0, delivered=2, pending=0, refused=0)
    assert err.getvalue() == ""
    assert [u for u, _ in ledger_scans(home)] == [uid(1), uid(2)]


@pytest.mark.slow
def test_station_run_process_records_the_video_on_the_ledger(home: Path, video: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "cam.outbox.db"
    res = subprocess.run(
        [str(USMCA), "station", "run", "--home", str(home), "--org", "SupplierMSP", "--member", "station1",
         "--station", "sup-st1", "--source", f"camera:{video}", "--outbox", str(outbox), "--dedupe-window", "60",
         "--answer-wait", "30"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == expected_lines()
    assert res.stderr.splitlines() == [
        f"station sup-st1: reading camera:{video}, outbox {outbox}",
        f"station sup-st1 stopped: 2 delivered, 0 pending, 0 refused in {outbox} "
        "(this run: 30 reads, 2 new events, 0 REFUSED lines)",
    ]
    with sqlite3.connect(outbox) as db:
        stored = db.execute("SELECT uid, event_id FROM outbox ORDER BY uid").fetchall()
    assert sorted(ledger_scans(home)) == stored
    assert [u for u, _ in stored] == [uid(1), uid(2)]


@pytest.mark.parametrize(
    ("rest", "message"),
    [
        ("{tmp}/missing.avi", "video file {tmp}/missing.avi does not exist"),
        ("{tmp}/notes.avi", "video file {tmp}/notes.avi cannot be opened"),
        ("99", "camera 99 cannot be opened"),
    ],
)
def test_open_camera_errors(tmp_path: Path, rest: str, message: str) -> None:
    (tmp_path / "notes.avi").write_text("not a video\n" * 50)
    with pytest.raises(ValidationError) as info:
        open_source(f"camera:{rest.format(tmp=tmp_path)}")
    assert info.value.message == message.format(tmp=tmp_path)


def test_without_opencv_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, video: Path) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # what an install without the camera extra sees
    with pytest.raises(ValidationError) as info:
        open_source(f"camera:{video}")
    assert info.value.message == (
        "camera sources need OpenCV: pip install 'usmca-ledger[camera]' (opencv-python-headless)"
    )


@pytest.mark.parametrize(("rest", "message"), [("99", "camera 99 cannot be opened"),
                                                ("/nonexistent/v.avi", "video file /nonexistent/v.avi does not exist")])  # fmt: skip
def test_station_run_with_a_bad_camera_is_one_line_and_exit_2(tmp_path: Path, rest: str, message: str) -> None:
    res = subprocess.run(
        [str(USMCA), "station", "run", "--home", str(tmp_path), "--org", "SupplierMSP", "--member", "station1",
         "--station", "sup-st1", "--source", f"camera:{rest}", "--outbox", str(tmp_path / "ob.db")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (res.returncode, res.stdout, res.stderr) == (2, "", f"error: {message}\n")
