"""Embedded ledger throughput: committed single-scan submits, batched scans, and verification.

Workloads (all signatures on, endorsement policy OutOf(2) over three peer orgs, the real provenance chaincode):
  1. committed ``RecordScan`` submits per second with 8 client threads (each thread scans its own parts);
  2. scans per second when a station submits 500 scans per ``RecordScans`` transaction (its outbox forwarder
     runs two submitters, each with one batch in flight, so endorsement overlaps ordering and committing);
  3. ``usmca ledger verify`` transactions per second over the resulting ledger.
Reference: a real Fabric 3 network on the same kind of 2-core machine committed about 100-120 tx/s with 32-64
client threads (shared/docs/fabric-native.md). Prints figures and a final JSON line.

    python benchmarks/ledger.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.bootstrap import register_network
from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.embedded.ledger import LEDGER_FILE, EmbeddedLedger
from ledger.embedded.verify import verify_ledger
from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import SUPPLIER, small_network_config
from tests.helpers import run_threads

FABRIC_REFERENCE_TX_PER_S = 110.0
STATION = "sup-st1"


def event_hash(uid: str, n: int) -> str:
    return "ni:///sha-256;" + hashlib.sha256(f"{uid}|{n}".encode()).hexdigest() + "?ver=CBV2.0"


def scan(uid: str, n: int) -> dict[str, str]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return {
        "uid": uid,
        "station_id": STATION,
        "biz_step": "inspecting",
        "disposition": "in_progress",
        "event_time": now,
        "event_hash": event_hash(uid, n),
    }


def setup(home: Path, n_parts: int) -> list[str]:
    init_network(home, parse_config(small_network_config()))
    register_network(home)
    admin = LedgerClient(connect(home, SUPPLIER, "admin"))
    admin.register_part_type(
        {
            "part_number": "CAST-100",
            "description": "Gearbox case casting",
            "hs_code": "8708.99",
            "usmca_category": "other",
            "unit": "EA",
        }
    )
    station = LedgerClient(connect(home, SUPPLIER, "station1"))
    uids = [f"urn:usmca:bench:part:{i:07d}" for i in range(n_parts)]
    for i in range(0, n_parts, 5000):
        station.commission_parts(
            [
                {
                    "uid": u,
                    "part_type": "SupplierMSP:CAST-100",
                    "lot": "L1",
                    "production_date": "2026-11-01",
                    "site_id": "supplier-plant",
                }
                for u in uids[i : i + 5000]
            ]
        )
    return uids


def bench_single(home: Path, uids: list[str], threads: int, *, first_event: int = 0) -> float:
    station = LedgerClient(connect(home, SUPPLIER, "station1"))
    per = len(uids) // threads

    def worker(k: int) -> None:
        for j, uid in enumerate(uids[k * per : (k + 1) * per]):
            station.record_scan(scan(uid, first_event + j))

    start = time.perf_counter()
    run_threads(worker, threads)
    return per * threads / (time.perf_counter() - start)


def bench_batches(
    home: Path, uids: list[str], batches: int, size: int, *, forwarders: int = 2, first_event: int = 1_000_000
) -> float:
    """A station's outbox forwarders submit batches back to back, each keeping one batch ordered but not yet
    committed (submit_async), so endorsing, ordering and committing of different batches overlap."""
    gw = connect(home, SUPPLIER, "station1")

    def forwarder(k: int) -> None:
        pending = None
        for b in range(k, batches, forwarders):
            chunk = [scan(uids[(b * size + i) % len(uids)], first_event + b * size + i) for i in range(size)]
            sub = gw.submit_async("RecordScans", json.dumps(chunk))
            if pending is not None and not pending.get_status().successful:
                raise SystemExit("batch failed")
            pending = sub
        if pending is not None and not pending.get_status().successful:
            raise SystemExit("batch failed")

    start = time.perf_counter()
    run_threads(forwarder, forwarders)
    return batches * size / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller workload (finishes in well under 60 s)")
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    n_single = 3000 if args.quick else 12000
    batches = 20 if args.quick else 60
    with tempfile.TemporaryDirectory(prefix="usmca-bench-") as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        uids = setup(home, n_single)
        print(f"setup: {len(uids)} parts commissioned in {time.perf_counter() - t0:.1f} s")
        # The endorsing peer processes run, and have run a few transactions, as in a station agent or API
        # server that has been running for a while (a new process starts them once submits overlap).
        EmbeddedLedger.open(home).endorsers  # noqa: B018 - starts the peers
        bench_single(home, uids[: args.threads * 20], args.threads, first_event=2_000_000)
        single = bench_single(home, uids, args.threads)
        print(
            f"single-scan submits, {args.threads} threads: {single:,.0f} committed tx/s "
            f"({single / FABRIC_REFERENCE_TX_PER_S:.1f}x the ~{FABRIC_REFERENCE_TX_PER_S:.0f} tx/s Fabric reference)"
        )
        bench_batches(home, uids, 4, 500, first_event=500_000)  # warm-up, as above
        batched = bench_batches(home, uids, batches, 500)
        print(f"batched scans (500 per tx): {batched:,.0f} scans/s")
        EmbeddedLedger.close_all()
        report = verify_ledger(home / LEDGER_FILE, workers=os.cpu_count())
        if not report.ok:
            raise SystemExit(f"verify failed: {report.problem}")
        print(f"verify: {report.transactions:,} tx in {report.seconds:.2f} s = {report.tx_per_s:,.0f} tx/s")
        result = {
            "submit_tx_per_s": round(single, 1),
            "batch_scans_per_s": round(batched, 1),
            "verify_tx_per_s": round(report.tx_per_s, 1),
            "fabric_reference_tx_per_s": FABRIC_REFERENCE_TX_PER_S,
            "submit_ratio_vs_fabric": round(single / FABRIC_REFERENCE_TX_PER_S, 2),
            "targets": {"submit_tx_per_s": 1000, "batch_scans_per_s": 20000, "verify_tx_per_s": 5000},
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
