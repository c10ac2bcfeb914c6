"""Acceptance: 1,000 reads through a real ``station run`` process fed by a fake TCP reader.

The ledger home is moved away for part of the run (the direct sink then reports an outage and buffers) and
moved back; in the second test the agent is also killed with SIGKILL mid-run and restarted on the same outbox.
Both end with exactly 1,000 scans on the ledger, one per part: none lost, none duplicated.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.scanner.test_station_sinks import code, commission, ledger_scans, uid

N = 1000
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


class Station:
    """A ``station run`` subprocess reading from our fake reader, with its stdout lines collected."""

    def __init__(self, home: Path, outbox: Path, server: socket.socket, *, sink: list[str] | None = None) -> None:
        port = server.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scanner.station.cli", "run", *(sink or ["--home", str(home)]), "--org",
             "SupplierMSP", "--member", "station1", "--station", "sup-st1", "--source", f"tcp:127.0.0.1:{port}",
             "--outbox", str(outbox), "--dedupe-window", "120", "--answer-wait", "2", "--drain-seconds", "10"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        server.settimeout(60)
        self.conn, _ = server.accept()
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, indexes: list[int]) -> None:
        self.conn.sendall(b"".join(code(i).encode() + b"\r\n" for i in indexes))

    def wait_lines(self, total: int, timeout: float = 90) -> list[str]:
        end = time.monotonic() + timeout
        while len(self.seen) < total:
            self.seen.append(self.lines.get(timeout=max(0.1, end - time.monotonic())))
        return self.seen

    def terminate(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=60)
        self.conn.close()
        assert self.proc.returncode == 0, err
        return err

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.conn.close()


def outbox_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


def wait_outage_seen(path: Path, why: str = "is unreachable", timeout: float = 60) -> None:
    """Until a delivery attempt failed on a pending event (the agent noticed the ledger is gone)."""
    end = time.monotonic() + timeout
    while True:
        with sqlite3.connect(path) as db:
            row = db.execute(
                "SELECT last_error FROM outbox WHERE status='pending' AND last_error IS NOT NULL"
            ).fetchone()
        if row is not None:
            assert why in row[0], row[0]
            return
        assert time.monotonic() < end, outbox_counts(path)
        time.sleep(0.05)


def wait_delivered(path: Path, n: int, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while outbox_counts(path).get("delivered", 0) < n:
        assert time.monotonic() < end, outbox_counts(path)
        time.sleep(0.1)


def acked_uids(lines: list[str]) -> set[str]:
    assert all(line.startswith("OK ") for line in lines), [x for x in lines if not x.startswith("OK ")][:3]
    return {line.split()[1] for line in lines}


def assert_exactly_once(home: Path) -> None:
    scans = ledger_scans(home)
    per_uid = Counter(u for u, _ in scans)
    assert len(scans) == N
    assert set(per_uid) == {uid(i) for i in range(N)}
    assert max(per_uid.values()) == 1


@pytest.fixture
def home(ledger_home: Path) -> Path:
    return commission(ledger_home, N)


@pytest.fixture
def server() -> socket.socket:
    with socket.create_server(("127.0.0.1", 0)) as s:
        yield s


def test_outage_then_recovery_records_each_read_once(home: Path, server: socket.socket, tmp_path: Path) -> None:
    outbox = tmp_path / "station.outbox.db"
    away = home.with_name("home-away")
    st = Station(home, outbox, server)
    st.send(list(range(300)))
    st.wait_lines(300)
    os.rename(home, away)  # the ledger becomes unreachable
    try:
        st.send(list(range(300, 700)))
        st.wait_lines(700)
        wait_outage_seen(outbox)
    finally:
        os.rename(away, home)
    st.send(list(range(700, N)))
    lines = st.wait_lines(N)
    wait_delivered(outbox, N)
    status = st.terminate()
    assert acked_uids(lines) == {uid(i) for i in range(N)}
    # Lines wait for the ledger's verdict; during the outage they say the read is stored instead.
    notes = {line.partition(" (")[2] for line in lines[300:700]}
    assert notes <= {"stored offline, will send)", "stored, sending)", ""}
    assert "ledger unreachable" in status
    assert f"station sup-st1 stopped: {N} delivered, 0 pending, 0 refused in {outbox}" in status
    assert_exactly_once(home)


def test_sigkill_mid_run_and_restart_records_each_read_once(home: Path, server: socket.socket, tmp_path: Path) -> None:
    outbox = tmp_path / "station.outbox.db"
    away = home.with_name("home-away")
    first = Station(home, outbox, server)
    first.send(list(range(300)))
    first.wait_lines(300)
    os.rename(home, away)
    try:
        first.send(list(range(300, 650)))
        acked = acked_uids(first.wait_lines(450))
        wait_outage_seen(outbox)
        first.kill()  # mid-run: reads in flight, events pending, lines not yet printed
    finally:
        os.rename(away, home)
    # The operator re-presents every part whose OK line never appeared, then carries on.
    again = [i for i in range(650) if uid(i) not in acked] + list(range(650, N))
    second = Station(home, outbox, server)
    second.send(again)
    lines = second.wait_lines(len(again))
    wait_delivered(outbox, N)
    status = second.terminate()
    assert acked | acked_uids(lines) == {uid(i) for i in range(N)}
    assert f"station sup-st1 stopped: {N} delivered, 0 pending, 0 refused in {outbox}" in status
    assert sum(outbox_counts(outbox).values()) == N
    assert_exactly_once(home)


def test_api_sink_with_the_server_stopped_and_restarted(home: Path, server: socket.socket, tmp_path: Path) -> None:
    from api.core.settings import Settings
    from tests.api.conftest import credentials, free_port, start_server

    token = credentials(home)[0][("SupplierMSP", "station1")]
    settings = Settings(home=home, host="127.0.0.1", port=free_port(), readmodel_poll_seconds=0.05)
    api = start_server(settings)
    outbox = tmp_path / "station.outbox.db"
    st = Station(home, outbox, server, sink=["--api", api.base_url, "--token", token])
    try:
        st.send(list(range(300)))
        st.wait_lines(300)
        api.stop()  # the API goes down
        st.send(list(range(300, 700)))
        st.wait_lines(700)
        wait_outage_seen(outbox, "ConnectError")
        api = start_server(settings)
        st.send(list(range(700, N)))
        lines = st.wait_lines(N)
        wait_delivered(outbox, N)
        status = st.terminate()
    finally:
        api.stop()
    assert acked_uids(lines) == {uid(i) for i in range(N)}
    assert f"station sup-st1 stopped: {N} delivered, 0 pending, 0 refused in {outbox}" in status
    assert_exactly_once(home)


def test_stdin_keyboard_wedge_until_end_of_input(home: Path, tmp_path: Path) -> None:
    """``--source stdin``: a wedge or a pipe; the station stops when input ends and prints its status line."""
    res = subprocess.run(
        [sys.executable, "-m", "scanner.station.cli", "run", "--home", str(home), "--org", "SupplierMSP",
         "--member", "station1", "--station", "sup-st1", "--source", "stdin", "--outbox", str(tmp_path / "ob.db"),
         "--biz-step", "receiving", "--answer-wait", "30"],
        cwd=ROOT, input=f"{code(1)}\r\n(01)00628000123452(21)S1\r\n{code(2)}", capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        f"OK {uid(1)} part 00628000123453",
        "REFUSED GTIN 00628000123452 has check digit 2, expected 3",
        f"OK {uid(2)} part 00628000123453",
    ]
    assert res.stderr.splitlines()[-1] == (
        f"station sup-st1 stopped: 2 delivered, 0 pending, 0 refused in {tmp_path / 'ob.db'} "
        "(this run: 3 reads, 2 new events, 1 REFUSED lines)"
    )
    assert {d for _, d in ledger_scans(home)} == {e for (e,) in sqlite3.connect(tmp_path / "ob.db").execute(
        "SELECT event_id FROM outbox")}  # fmt: skip
