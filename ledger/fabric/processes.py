"""Starting, finding and stopping the network's processes by recorded process id, never by name.

Each process gets ``pids/<name>.json`` (pid and command line) and ``logs/<name>.log``. A pid is only trusted
while ``/proc/<pid>/cmdline`` still starts with the recorded command, so a recycled pid is never signalled.
Other engineers' and users' processes with the same binary name are left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LedgerError


class NetworkStartError(LedgerError):
    """A Fabric process did not start or did not become healthy in time (the message names its log file)."""

    kind = "network_start_error"
    http_status = 503


@dataclass(frozen=True)
class Proc:
    """A recorded process."""

    name: str
    pid: int
    argv: tuple[str, ...]
    log: Path


class ProcessTable:
    """The processes of one running network (pid files under ``pids``, logs under ``logs``)."""

    def __init__(self, pids: Path, logs: Path) -> None:
        self.pids = pids
        self.logs = logs

    def _file(self, name: str) -> Path:
        return self.pids / f"{name}.json"

    def get(self, name: str) -> Proc | None:
        """The live process recorded under ``name`` (None when absent, dead or its pid was reused)."""
        path = self._file(name)
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        proc = Proc(name, int(data["pid"]), tuple(data["argv"]), Path(data["log"]))
        return proc if _alive(proc) else None

    def names(self) -> list[str]:
        """Every recorded process name (alive or not)."""
        return sorted(p.stem for p in self.pids.glob("*.json")) if self.pids.exists() else []

    def start(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Proc:
        """Start ``argv`` detached (own session), logging to ``logs/<name>.log``; reuse it if already running."""
        running = self.get(name)
        if running is not None:
            return running
        self.pids.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            child = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = Proc(name, child.pid, tuple(argv), log)
        self._file(name).write_text(json.dumps({"pid": child.pid, "argv": list(argv), "log": str(log)}))
        return proc

    def stop(self, name: str, *, grace: float = 10.0) -> bool:
        """SIGTERM the recorded process, SIGKILL after ``grace`` seconds; True when one was running."""
        proc = self.get(name)
        self._file(name).unlink(missing_ok=True)
        if proc is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end and _alive(proc):
            _reap(proc.pid)
            time.sleep(0.05)
        if _alive(proc):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            time.sleep(0.1)
        _reap(proc.pid)
        return True


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie (no-op for others)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _alive(proc: Proc) -> bool:
    """True while the pid runs the recorded command (its cmdline is briefly empty right after exec)."""
    for _ in range(20):
        _reap(proc.pid)
        try:
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{proc.pid}/stat").read_text()
        except OSError:
            return False
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
        if cmdline:
            first = cmdline.split(b"\0", 1)[0].decode(errors="replace")
            return bool(proc.argv) and first == proc.argv[0]
        time.sleep(0.01)
    return False


def _ops_get(host: str, ops_port: int, path: str, timeout: float) -> tuple[int, str] | None:
    """Status and body of a GET on a Fabric node's operations endpoint; None when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://{host}:{ops_port}{path}", timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def healthy(host: str, ops_port: int, *, timeout: float = 1.0) -> bool:
    """True when a Fabric node's operations endpoint answers ``/healthz`` with 200."""
    got = _ops_get(host, ops_port, "/healthz", timeout)
    return got is not None and got[0] == 200


def raft_leader(host: str, ops_port: int, channel: str, *, timeout: float = 1.0) -> bool:
    """True when this ordering node leads the channel's Raft cluster (its Prometheus ``is_leader`` gauge is 1).

    Health says the process is up; only a leader orders transactions: until one is elected (about a second on a
    new channel, a whole election timeout after a restart) every submit fails with ``no Raft leader``.
    """
    got = _ops_get(host, ops_port, "/metrics", timeout)
    return got is not None and f'consensus_etcdraft_is_leader{{channel="{channel}"}} 1' in got[1]


def port_open(address: str, *, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: object, what: str, log: Path | None, *, timeout: float, interval: float = 0.2) -> None:
    """Poll ``check()`` until true; NetworkStartError naming ``what`` and its log file on timeout."""
    assert callable(check)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(interval)
    where = f"; see {log}" if log else ""
    raise NetworkStartError(f"{what} not ready after {timeout:.0f} s{where}", value=what)


def run_tool(argv: Sequence[str], *, env: Mapping[str, str], what: str, timeout: float = 120.0) -> str:
    """Run a Fabric CLI command to completion; NetworkStartError with its output when it fails."""
    try:
        done = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise NetworkStartError(f"{what} timed out after {timeout:.0f} s", value=what) from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise NetworkStartError(f"{what} failed (exit {done.returncode}): {' | '.join(tail)}", value=what)
    return done.stdout + done.stderr
