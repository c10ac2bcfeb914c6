"""Station benchmark: reads per second from a TCP reader into the durable outbox, and delivered scans per second.

Three runs, each a real :class:`StationAgent` reading from a fake industrial reader on 127.0.0.1 (CR/LF
terminated GS1 element strings, as a Cognex/Keyence reader sends them):

1. ``burst``: N reads sent at once with the ledger unreachable: reads/s until every read is durable in the outbox
   and has its operator line (target >= 500/s). Bursts are group-committed: one fsync per group of reads.
2. ``paced``: reads one at a time, each waiting for its operator line before the next is sent (a fsync per read):
   the per-read latency an operator sees, p50/p95 in ms.
3. ``delivered``: N reads with the embedded ledger reachable: scans/s until every scan is committed on the ledger.

Usage: ``.venv/bin/python benchmarks/station.py [--n N] [--paced N]``; prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on sys.path, where benchmarks/ledger.py would shadow the
# ledger package: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.bootstrap import register_network
from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import SUPPLIER, small_network_config
from scanner.identifiers import parse
from scanner.station.agent import StationAgent
from scanner.station.config import StationConfig
from scanner.station.sinks import LedgerSink
from scanner.station.sources import TcpClientSource

GTIN = "00628000123453"
TARGET_READS_PER_S = 500.0


def code(i: int) -> str:
    return f"]d201{GTIN}21B{i:07d}"


class Lines(io.TextIOBase):
    """Operator output that counts lines and lets the benchmark wait for a count."""

    def __init__(self) -> None:
        self.n = 0
        self.cond = threading.Condition()

    def write(self, s: str) -> int:
        with self.cond:
            self.n += s.count("\n")
            self.cond.notify_all()
        return len(s)

    def wait(self, n: int, timeout: float = 300) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: self.n >= n, timeout):
                raise TimeoutError(f"{self.n} of {n} operator lines after {timeout} s")


class Bench:
    """One agent on a fresh outbox reading from a fake reader socket."""

    def __init__(self, home: Path, outbox: Path, *, answer_wait: float = 0.0) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        port = self.server.getsockname()[1]
        cfg = StationConfig(org=SUPPLIER, member="station1", station_id="sup-st1", home=home, outbox=outbox,
                            dedupe_window=0, answer_wait=answer_wait, drain_seconds=0.5)  # fmt: skip
        self.out = Lines()
        self.agent = StationAgent(cfg, TcpClientSource("127.0.0.1", port), LedgerSink(home, SUPPLIER, "station1"),
                                  out=self.out, err=io.StringIO())  # fmt: skip
        self.thread = threading.Thread(target=self.agent.run, daemon=True)
        self.thread.start()
        self.conn, _ = self.server.accept()

    def send(self, indexes: range) -> None:
        self.conn.sendall(b"".join(code(i).encode() + b"\r\n" for i in indexes))

    def close(self) -> None:
        self.agent.stop()
        self.thread.join(timeout=60)
        self.conn.close()
        self.server.close()


def burst(tmp: Path, n: int) -> float:
    b = Bench(tmp / "no-ledger-here", tmp / "burst.db")
    start = time.perf_counter()
    b.send(range(n))
    b.out.wait(n)
    elapsed = time.perf_counter() - start
    durable = b.agent.outbox.counts()["pending"]
    b.close()
    assert durable == n, f"{durable} of {n} reads in the outbox"
    return n / elapsed


def paced(tmp: Path, n: int) -> tuple[float, float]:
    b = Bench(tmp / "no-ledger-here", tmp / "paced.db")
    ms = []
    for i in range(n):
        start = time.perf_counter()
        b.send(range(i, i + 1))
        b.out.wait(i + 1)
        ms.append((time.perf_counter() - start) * 1000)
    b.close()
    return statistics.median(ms), statistics.quantiles(ms, n=20)[18]


def delivered(tmp: Path, n: int) -> float:
    home = tmp / "home"
    init_network(home, parse_config(small_network_config()))
    register_network(home)
    LedgerClient(connect(home, SUPPLIER, "admin")).register_part_type(
        {"part_number": "BENCH-1", "description": "Bench part", "hs_code": "8708.99", "usmca_category": "other",
         "unit": "EA"}
    )  # fmt: skip
    st = LedgerClient(connect(home, SUPPLIER, "station1"))
    uids = [parse(code(i)).uid for i in range(n)]
    part = {
        "part_type": "SupplierMSP:BENCH-1",
        "lot": "L1",
        "production_date": "2026-11-01",
        "site_id": "supplier-plant",
    }
    for s in range(0, n, 5000):
        st.commission_parts([{"uid": u, **part} for u in uids[s : s + 5000]])
    b = Bench(home, tmp / "delivered.db", answer_wait=5.0)
    start = time.perf_counter()
    b.send(range(n))
    while b.agent.outbox.counts()["delivered"] < n:
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    b.out.wait(n)
    b.close()
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="reads per burst / delivered run")
    ap.add_argument("--paced", type=int, default=300, help="reads in the paced run")
    ap.add_argument("--quick", action="store_true", help="1,000 reads and 100 paced reads (make bench)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.paced = min(args.n, 1000), min(args.paced, 100)
    with tempfile.TemporaryDirectory(prefix="station-bench-") as d:
        tmp = Path(d)
        burst_rate = burst(tmp, args.n)
        p50, p95 = paced(tmp, args.paced)
        delivered_rate = delivered(tmp, args.n)
    print(
        f"burst into durable outbox : {burst_rate:8.0f} reads/s  ({args.n} reads, target >= {TARGET_READS_PER_S:.0f})"
    )
    print(f"paced, one read at a time : {1000 / p50:8.0f} reads/s  (p50 {p50:.2f} ms, p95 {p95:.2f} ms per read)")
    print(f"delivered to the ledger   : {delivered_rate:8.0f} scans/s ({args.n} reads, embedded ledger)")
    print(
        json.dumps(
            {
                "benchmark": "station",
                "reads": args.n,
                "burst_reads_per_s": round(burst_rate, 1),
                "paced_p50_ms": round(p50, 3),
                "paced_p95_ms": round(p95, 3),
                "paced_reads_per_s": round(1000 / p50, 1),
                "delivered_scans_per_s": round(delivered_rate, 1),
                "target_reads_per_s": TARGET_READS_PER_S,
                "meets_target": burst_rate >= TARGET_READS_PER_S and 1000 / p50 >= TARGET_READS_PER_S,
            }
        )
    )


if __name__ == "__main__":
    main()
