"""HTTP API throughput and latency against a real uvicorn server on 127.0.0.1 (separate process).

Workloads, all as the supplier's station over keep-alive connections, each scan a real RecordScan(s) transaction
committed on the embedded ledger (signatures on, OutOf(2) endorsement):
  1. single-scan POST /v1/scans requests per second, closed loop with 16 client threads;
  2. p50 / p99 latency of single-scan POSTs sent open-loop at a fixed 200 requests/s (latency counted from each
     request's scheduled send time, so a stalled server cannot hide queueing);
  3. scans per second in POST /v1/scans/batch requests of 5,000 scans.
Targets (issue 5, 2 cores): >= 500 requests/s, p99 <= 100 ms at 200 requests/s, >= 10,000 scans/s in batches.
Prints figures and a final JSON line.

    python benchmarks/api.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.cli import create_credential  # noqa: E402
from ledger.bootstrap import register_network  # noqa: E402
from ledger.client import LedgerClient  # noqa: E402
from ledger.connect import connect  # noqa: E402
from ledger.embedded.ledger import EmbeddedLedger  # noqa: E402
from ledger.identity.config import parse_config  # noqa: E402
from ledger.identity.msp import init_network  # noqa: E402
from ledger.samples import SUPPLIER, small_network_config  # noqa: E402

SERVER = """
import sys
sys.path.insert(0, {root!r})
import uvicorn
from api.app import create_app
from api.core.settings import Settings
uvicorn.run(create_app(Settings(home={home!r})), host="127.0.0.1", port={port}, log_level="warning")
"""


def setup(home: Path, n_parts: int) -> list[str]:
    """A registered network and ``n_parts`` commissioned castings of the supplier."""
    init_network(home, parse_config(small_network_config()))
    register_network(home)
    admin = LedgerClient(connect(home, SUPPLIER, "admin"))
    admin.register_part_type(
        {"part_number": "CAST-1", "description": "casting", "hs_code": "8708.40", "usmca_category": "other",
         "unit": "each"}
    )  # fmt: skip
    uids = [f"urn:usmca:part:{SUPPLIER}:CAST-1:{i:06d}" for i in range(n_parts)]
    for i in range(0, n_parts, 5000):
        admin.commission_parts(
            [{"uid": u, "part_type": f"{SUPPLIER}:CAST-1", "production_date": "2026-01-02", "site_id": "supplier-plant"}
             for u in uids[i : i + 5000]]
        )  # fmt: skip
    EmbeddedLedger.close_all()
    return uids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), home=str(home), port=port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


_counter = iter(range(10**9))
_counter_lock = threading.Lock()


def scan(uid: str) -> dict[str, str]:
    with _counter_lock:
        n = next(_counter)
    h = hashlib.sha256(f"{uid}|{n}".encode()).hexdigest()
    return {
        "uid": uid,
        "event_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event_hash": f"ni:///sha-256;{h}?ver=CBV2.0",
    }


class Conn:
    """A keep-alive HTTP/1.1 connection (stdlib http.client: a lighter load generator than httpx)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {**headers, "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, object]) -> tuple[int, bytes]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self) -> None:
        self.conn.close()


def closed_loop(base: str, headers: dict[str, str], uids: list[str], threads: int, seconds: float) -> float:
    """Requests per second with ``threads`` clients sending back to back (each on its own parts)."""
    done = [0] * threads
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        mine = uids[k::threads]
        c = Conn(base, headers)
        i = 0
        while time.monotonic() < stop:
            status, body = c.post("/v1/scans", scan(mine[i % len(mine)]))
            if status != 200:
                errors.append(body[:200].decode())
            done[k] += 1
            i += 1
        c.close()

    t0 = time.monotonic()
    run_threads([lambda k=k: worker(k) for k in range(threads)], errors)
    return sum(done) / (time.monotonic() - t0)


def run_threads(targets: list[Callable[[], None]], errors: list[str]) -> None:
    """Run every target in its own thread until all end; stop the benchmark if any request failed."""
    pool = [threading.Thread(target=t) for t in targets]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")


def fixed_rate(base: str, headers: dict[str, str], uids: list[str], rate: float, seconds: float) -> list[float]:
    """Latencies (s) of requests scheduled at ``rate`` per second, measured from their scheduled time."""
    n = int(rate * seconds)
    t0 = time.monotonic() + 0.2
    schedule = [t0 + i / rate for i in range(n)]
    latencies: list[float] = [0.0] * n
    errors: list[str] = []
    next_i = iter(range(n))
    lock = threading.Lock()

    def worker() -> None:
        c = Conn(base, headers)
        while True:
            with lock:
                i = next(next_i, None)
            if i is None:
                c.close()
                return
            wait = schedule[i] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            status, body = c.post("/v1/scans", scan(uids[i % len(uids)]))
            latencies[i] = time.monotonic() - schedule[i]
            if status != 200:
                errors.append(body[:200].decode())

    run_threads([worker] * 32, errors)
    return sorted(latencies)


def batches(base: str, headers: dict[str, str], uids: list[str], size: int, count: int) -> float:
    """Scans per second in batch requests of ``size`` scans."""
    with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
        c.post("/v1/scans/batch", json={"scans": [scan(u) for u in uids[:10]]})
        bodies = [{"scans": [scan(uids[(k * size + j) % len(uids)]) for j in range(size)]} for k in range(count)]
        t0 = time.monotonic()
        for body in bodies:
            r = c.post("/v1/scans/batch", json=body)
            if r.status_code != 200 or r.json()["new"] != size:
                raise SystemExit(f"batch failed: {r.status_code} {r.text[:300]}")
        return size * count / (time.monotonic() - t0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report server cost independent of machine load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (CI smoke)")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    n_batches = 2 if args.quick else 5
    with tempfile.TemporaryDirectory(prefix="usmca-bench-api-") as tmp:
        home = Path(tmp) / "home"
        uids = setup(home, 10_000)
        token = create_credential(home, SUPPLIER, "station1", label="benchmark")["token"]
        headers = {"Authorization": f"Bearer {token}"}
        proc, base = start(home)
        try:
            with httpx.Client(base_url=base, headers=headers) as c:
                for u in uids[:20]:
                    c.post("/v1/scans", json=scan(u))
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            rps = closed_loop(base, headers, uids, threads=16, seconds=seconds)
            cpu_req = (cpu_seconds(proc.pid) - c0) / (rps * (time.monotonic() - t0)) * 1000
            print(f"single-scan POST /v1/scans: {rps:,.0f} requests/s (16 client threads, {seconds:.0f} s)")
            print(f"  server CPU per single-scan request: {cpu_req:.2f} ms")
            lat = fixed_rate(base, headers, uids, rate=200, seconds=seconds)
            p50, p99 = pct(lat, 0.50) * 1000, pct(lat, 0.99) * 1000
            worst = lat[-1] * 1000
            print(f"at 200 requests/s for {seconds:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms")
            c0 = cpu_seconds(proc.pid)
            sps = batches(base, headers, uids, size=5000, count=n_batches)
            cpu_scan = (cpu_seconds(proc.pid) - c0) / (5000 * n_batches + 10) * 1e6
            print(f"POST /v1/scans/batch of 5,000: {sps:,.0f} scans/s ({n_batches} batches)")
            print(f"  server CPU per batched scan: {cpu_scan:.0f} us")
            load = os.getloadavg()[0]
            print(f"machine load average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result = {
        "benchmark": "api",
        "cpus": os.cpu_count(),
        "single_scan_requests_per_s": round(rps, 1),
        "fixed_rate_per_s": 200,
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "batch_scans_per_s": round(sps, 1),
        "server_cpu_ms_per_request": round(cpu_req, 2),
        "server_cpu_us_per_batched_scan": round(cpu_scan),
        "load_average": round(load, 1),
        "targets_met": rps >= 500 and p99 <= 100 and sps >= 10_000,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
