"""The camera source on a real video: an MJPG .avi written with OpenCV whose frames show our own labels.

The video (640x480, 30 frames) shows part 1's printed label (scanner.labels) drifting across the view, then an
empty bench, then part 2's bare symbol (scanner.datamatrix), then the empty bench again. It is read by the
source alone, by the agent in-process, and by a real ``usmca station run --source camera:FILE`` process.

A live camera is the same video opened through the source's ``opener`` seam with ``live=True``: the end of the
file is then what an unplugged camera looks like (``read()`` reports failure), and reopening it can be made to
fail for a while. Frames and their decoding are always real.
"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ledger.errors import ValidationError
from scanner.datamatrix import decode, encode
from scanner.labels import label_content, render_image
from scanner.station.agent import FRAME_QUEUE, StationAgent, Summary
from scanner.station.sinks import LedgerSink
from scanner.station.sources import CameraSource, DirectorySource, Read, open_source
from tests.helpers import SUPPLIER
from tests.scanner.test_station_sinks import GTIN, code, commission, ledger_scans, station_config, uid

USMCA = Path(sys.executable).with_name("usmca")
BENCH_BGR = (168, 182, 196)  # a grey-beige bench, not a white page: the code must stand out by itself
#: What each of the 30 frames shows: part 1's label, nothing, part 2's symbol, nothing.
PLAN = [1] * 8 + [None] * 7 + [2] * 8 + [None] * 7


def symbol(i: int) -> np.ndarray:
    """Part ``i``'s bare Data Matrix symbol (132x132 px)."""
    return encode(code(i).removeprefix("]d2")).to_image(module_px=6)


def write_video(path: Path, plan: list[Any] = PLAN) -> Path:
    """Write a plan as a 640x480 MJPG .avi at 30 fps; the code moves a few pixels per frame, as a part on a bench.

    A plan entry is None (empty bench), 1 (part 1's printed label), another part number (its bare symbol), or a
    tuple of part numbers (their symbols side by side in one frame).
    """
    label = np.asarray(render_image(label_content(code(1)), dpi=120))  # 240x480 px: symbol plus human text
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    assert writer.isOpened()
    for n, part in enumerate(plan):
        frame = np.empty((480, 640, 3), dtype=np.uint8)
        frame[:] = BENCH_BGR
        shown = [] if part is None else list(part) if isinstance(part, tuple) else [part]
        for k, p in enumerate(shown):
            img = label if p == 1 and len(shown) == 1 else symbol(p)
            y, x = 20 + 3 * n, 20 + 4 * n + 300 * k
            frame[y : y + img.shape[0], x : x + img.shape[1]] = img[:, :, None]
        writer.write(frame)
    writer.release()
    return path


class Camera:
    """The source's ``opener`` seam: opens the real video file and counts the frames read through it.

    ``down`` reopen attempts after the first open fail as a camera that cannot be opened does, the way an
    unplugged camera looks while it is away.
    """

    def __init__(self, video: Path, down: int = 0) -> None:
        self.video, self.down = video, down
        self.opens = self.frames = 0

    def __call__(self, spec: str) -> Camera:
        self.opens += 1
        if 1 < self.opens <= 1 + self.down:
            raise ValidationError(f"camera {spec} cannot be opened", value=spec)
        self._cap = cv2.VideoCapture(str(self.video))
        assert self._cap.isOpened()
        return self

    def read(self) -> tuple[bool, Any]:
        ok, frame = self._cap.read()
        self.frames += ok
        return ok, frame

    def release(self) -> None:
        self._cap.release()


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "bench.avi")


@pytest.fixture
def home(ledger_home: Path) -> Path:
    return commission(ledger_home, 5)


def expected_lines() -> list[str]:
    """One OK per part: its further frames within the 60 s window print nothing, nor does the empty bench."""
    return [f"OK {uid(1)} part {GTIN}", f"OK {uid(2)} part {GTIN}"]


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


def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def ticking(step: float = 0.5) -> Any:
    """A wall clock that advances ``step`` seconds per call (one call per code read), from 2026-09-21."""
    now = [1_790_000_000.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_a_part_held_in_view_prints_once_per_window_and_its_return_is_a_new_read(home: Path, tmp_path: Path) -> None:
    """Part 1 for 8 frames, the bench, part 2 for 4 frames, part 1 again; 0.5 s per code read, 2 s window.

    Part 1 prints OK, then a single reminder when a window has passed while it stays in view (not one per
    frame). Part 1 coming back 2.5 s after it was last seen is a new read: a new event and a new OK.
    """
    video = write_video(tmp_path / "held.avi", [1] * 8 + [None] * 2 + [2] * 4 + [1] * 3)
    cfg = station_config(home, tmp_path, answer_wait=30, dedupe_window=2)
    out, err = io.StringIO(), io.StringIO()
    agent = StationAgent(cfg, CameraSource(str(video)), LedgerSink(home, SUPPLIER, "station1"), out=out, err=err,
                         clock=ticking())  # fmt: skip
    summary = agent.run()
    agent.outbox.close()
    assert out.getvalue().splitlines() == [
        f"OK {uid(1)} part {GTIN}",
        f"OK {uid(1)} part {GTIN} (repeat read within 2 s, recorded once)",  # frame 5, 2 s after the OK
        f"OK {uid(2)} part {GTIN}",
        f"OK {uid(1)} part {GTIN}",
    ]
    assert summary == Summary(reads=17, events=3, refused_lines=0, delivered=3, pending=0, refused=0)
    assert [u for u, _ in ledger_scans(home)] == [uid(1), uid(2), uid(1)]


def test_every_code_in_a_frame_is_a_read_of_its_own(home: Path, tmp_path: Path) -> None:
    video = write_video(tmp_path / "two.avi", [(3, 4)] * 6 + [None] * 2)
    cfg = station_config(home, tmp_path, answer_wait=30, dedupe_window=60)
    out = io.StringIO()
    agent = StationAgent(cfg, CameraSource(str(video)), LedgerSink(home, SUPPLIER, "station1"), out=out,
                         err=io.StringIO())  # fmt: skip
    summary = agent.run()
    agent.outbox.close()
    assert sorted(out.getvalue().splitlines()) == [f"OK {uid(3)} part {GTIN}", f"OK {uid(4)} part {GTIN}"]
    assert (summary.reads, summary.events, summary.delivered) == (8, 2, 2)
    assert sorted(u for u, _ in ledger_scans(home)) == [uid(3), uid(4)]


def test_every_code_in_a_dropped_image_is_read_and_a_code_shown_twice_once(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    page = np.full((200, 620), 255, dtype=np.uint8)
    for k, i in enumerate((3, 4, 3)):  # part 3's label twice, part 4's once
        page[30:162, 20 + 200 * k : 152 + 200 * k] = symbol(i)
    cv2.imwrite(str(folder / "page.png"), page)
    cfg = station_config(home, tmp_path, answer_wait=30)
    out = io.StringIO()
    agent = StationAgent(cfg, DirectorySource(folder, once=True), LedgerSink(home, SUPPLIER, "station1"), out=out,
                         err=io.StringIO())  # fmt: skip
    summary = agent.run()
    agent.outbox.close()
    assert sorted(out.getvalue().splitlines()) == [f"OK {uid(3)} part {GTIN}", f"OK {uid(4)} part {GTIN}"]
    assert (summary.reads, summary.events) == (1, 2)


class Watched(StationAgent):
    """The agent, noting before each group how many frames the camera had delivered beyond those processed."""

    def __init__(self, *args: Any, camera: Camera, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.camera, self.ahead = camera, [0]

    def process(self, reads: list[Read]) -> None:
        self.ahead.append(self.camera.frames - self.reads)
        super().process(reads)


def test_a_video_file_is_not_read_ahead_and_no_frame_is_dropped(home: Path, video: Path, tmp_path: Path) -> None:
    cam = Camera(video)
    cfg = station_config(home, tmp_path, answer_wait=30, dedupe_window=60)
    out = io.StringIO()
    agent = Watched(cfg, CameraSource(str(video), opener=cam), LedgerSink(home, SUPPLIER, "station1"), out=out,
                    err=io.StringIO(), camera=cam)  # fmt: skip
    summary = agent.run()
    agent.outbox.close()
    # Blank frames take tens of ms to decode and the file reads in a few: the reader waits for the queue.
    assert max(agent.ahead) <= 2 * FRAME_QUEUE + 2
    assert (summary.reads, summary.dropped, cam.frames) == (30, 0, 30)
    assert out.getvalue().splitlines() == expected_lines()


def test_a_lost_live_camera_is_reopened_with_one_notice_and_reading_resumes(video: Path) -> None:
    cam = Camera(video, down=2)
    src = CameraSource(str(video), live=True, retry_max=0.2, opener=cam)
    log: list[str] = []
    src.on_notice = log.append
    started = time.monotonic()
    for read in src:
        log.append(read.origin.rpartition("#")[2])
        if read.origin.endswith("#40"):
            src.stop()
    lost = f"notice: camera:{video} sends no frames (unplugged?); reopening it until it is back"
    back = f"notice: camera:{video} is back; reading frames again"
    assert log == [str(n) for n in range(1, 31)] + [lost, back] + [str(n) for n in range(31, 41)]
    assert cam.opens == 4  # the first open, two failed reopens, the one that worked
    assert time.monotonic() - started >= 0.1 + 0.2 + 0.2  # backoff between the attempts


def test_stop_is_prompt_while_a_lost_camera_is_being_reopened(video: Path) -> None:
    cam = Camera(video, down=1000)
    src = CameraSource(str(video), live=True, retry_max=30, opener=cam)
    notices: list[str] = []
    src.on_notice = notices.append
    frames: list[Read] = []
    reader = threading.Thread(target=lambda: frames.extend(src))
    reader.start()
    until(lambda: cam.opens >= 4)  # three failed reopens: the next attempt is 0.8 s away
    stopped = time.monotonic()
    src.stop()
    reader.join(5)
    assert time.monotonic() - stopped < 0.5
    assert (len(frames), len(notices)) == (30, 1)  # one notice, however many attempts


def test_agent_on_a_live_camera_drops_stale_frames_and_keeps_running_when_it_is_lost(
    home: Path, video: Path, tmp_path: Path
) -> None:
    """The camera outruns the decoder (the file reads in a few ms a frame), then is unplugged and stays away.

    The agent keeps only the newest frames and counts the others, says once that the camera is lost, goes on
    waiting for it (no exit at the end of the frames), and stops promptly when told to.
    """
    cam = Camera(video, down=1000)
    cfg = station_config(home, tmp_path, answer_wait=30, dedupe_window=60, drain_seconds=5)
    out, err = io.StringIO(), io.StringIO()
    agent = StationAgent(cfg, CameraSource(str(video), live=True, retry_max=0.2, opener=cam),
                         LedgerSink(home, SUPPLIER, "station1"), out=out, err=err)  # fmt: skip
    result: list[Summary] = []
    runner = threading.Thread(target=lambda: result.append(agent.run()))
    runner.start()
    until(lambda: cam.opens >= 4)
    assert runner.is_alive()  # a lost camera is not the end of the run
    stopped = time.monotonic()
    agent.stop()
    runner.join(10)
    assert time.monotonic() - stopped < 2.0
    agent.outbox.close()
    summary = result[0]
    assert err.getvalue().splitlines() == [
        f"notice: camera:{video} sends no frames (unplugged?); reopening it until it is back"
    ]
    assert summary.reads + summary.dropped == 30 and summary.dropped > 0
    lines = out.getvalue().splitlines()
    assert set(lines) <= set(expected_lines()) and len(lines) == summary.events  # one OK per part seen, no spam
    assert f"{summary.dropped} stale camera frames dropped)" in summary.status_line("sup-st1", "ob.db")


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
