"""Fabric Gateway backend throughput on a real local Fabric 3 network, with the embedded backend as the yardstick.

Brings up a four-org network (one raft orderer, BatchTimeout 200 ms, policy OutOf(2) over three peer orgs, the
project's chaincode as a service per org), registers the orgs, then measures through ``ledger.connect``:
  1. committed ``RecordScan`` submits per second, sequentially and with 8 / 32 / 64 client threads;
  2. scans per second with batching: ``RecordScans`` of 500 scans per transaction, 1 and 8 threads;
  3. the same workloads on the embedded backend, reported as embedded / Fabric ratios;
  4. the single-scan workloads again on the reference's topology (two peer orgs with one peer each, both
     endorsing), the network on which a plain Fabric Gateway client reached ~100 tx/s with 32 threads
     (``shared/docs/fabric-native.md``): the like-for-like comparison with that figure. The product network
     has twice the peers validating every block and three chaincode servers.
Every scan has its own part uid, so no two transactions touch the same key (no MVCC conflicts by design).
Targets (issue 7): >= ~100 tx/s with 32 clients; batching multiplies scans per second by >= 50.
``--topology product`` skips step 4; ``--topology reference`` runs only it.
Without FABRIC_BIN (or --fabric-bin) it prints why and a JSON line with "skipped".

    FABRIC_BIN=/opt/fabric/bin python benchmarks/fabric.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fabric"))

from fabric_net import with_orderer

from ledger.bootstrap import register_network
from ledger.connect import connect
from ledger.embedded.ledger import EmbeddedLedger
from ledger.errors import NotFound
from ledger.fabric.localnet import LocalNet
from ledger.fabric.netconfig import locate_install
from ledger.gateway import Gateway
from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import OEM, SUPPLIER, small_network_config

STATION = "sup-st1"
BATCH = 500
PORT_BASE = 28000
REFERENCE_PORT_BASE = 28500


def reference_config() -> dict[str, object]:
    """The reference measurement's topology: the OEM and one supplier, one peer each, both must endorse."""
    config = small_network_config(policy=f"AND('{OEM}.peer', '{SUPPLIER}.peer')")
    config["orgs"] = [org for org in config["orgs"] if org["msp_id"] in (OEM, SUPPLIER)]
    return config


def scan() -> dict[str, str]:
    uid = f"urn:bench:{uuid.uuid4().hex}"
    return {
        "uid": uid,
        "station_id": STATION,
        "biz_step": "inspecting",
        "disposition": "in_progress",
        "event_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event_hash": "ni:///sha-256;" + hashlib.sha256(uid.encode()).hexdigest() + "?ver=CBV2.0",
    }


def js(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def run(gateways: list[Gateway], threads: int, total: int, make: Callable[[], tuple[str, str]]) -> dict[str, float]:
    """Submit ``total`` transactions from ``threads`` clients (one gateway each); tx/s and latency percentiles."""
    lat: list[float] = []
    lock = threading.Lock()
    per = total // threads

    def client(i: int) -> None:
        gw = gateways[i % len(gateways)]
        for _ in range(per):
            fn, arg = make()
            t0 = time.perf_counter()
            gw.submit(fn, arg)
            with lock:
                lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(client, range(threads)))
    elapsed = time.perf_counter() - t0
    lat.sort()
    return {
        "tx": len(lat),
        "seconds": round(elapsed, 2),
        "tx_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
        "p95_ms": round(lat[int(len(lat) * 0.95) - 1] * 1000, 1),
    }


def workloads(open_gw: Callable[[], Gateway], quick: bool, *, batches: bool = True) -> dict[str, dict[str, float]]:
    """Every workload on one backend (``batches`` False: the single-scan ones only)."""
    pool = [open_gw() for _ in range(8)]
    single = lambda: ("RecordScan", js(scan()))  # noqa: E731
    batch = lambda: ("RecordScans", js([scan() for _ in range(BATCH)]))  # noqa: E731
    out: dict[str, dict[str, float]] = {}
    out["sequential"] = run(pool[:1], 1, 20 if quick else 100, single)
    for threads in (8, 32, 64):
        # 20 rounds per client: the first round (every client starting at once) and the last (stragglers) are
        # a tenth of the run, not a third as with 6, so the figure is steady from run to run on a noisy host.
        total = threads * (2 if quick else 20)
        out[f"threads_{threads}"] = run(pool, threads, total, single)
    if batches:
        b = run(pool[:1], 1, 2 if quick else 6, batch)
        out["batched_seq"] = {**b, "scans_per_s": round(b["tx"] * BATCH / b["seconds"], 1)}
        b = run(pool, 8, 8 if quick else 32, batch)
        out["batched"] = {**b, "scans_per_s": round(b["tx"] * BATCH / b["seconds"], 1)}
    for gw in pool:
        gw.close()
    return out


def on_fabric(
    tmp: Path, name: str, config: dict[str, object], base: int, fabric_bin: str, quick: bool, batches: bool
) -> tuple[float, dict[str, dict[str, float]]]:
    """Bring a network of ``config`` up, run the workloads as the supplier's station, tear it down."""
    home = tmp / name
    init_network(home, parse_config(with_orderer(config, base=base)))
    net = LocalNet.open(home, fabric_bin)
    try:
        t0 = time.perf_counter()
        net.up(timeout=180)
        up_s = time.perf_counter() - t0
        orgs = len(config["orgs"])  # type: ignore[arg-type]
        print(f"{name}: network up ({orgs} orgs, channel, chaincode deployed, cross-org endorsement) in {up_s:.1f} s")
        register_network(home, backend="fabric")
        return up_s, workloads(lambda: connect(home, SUPPLIER, "station1", backend="fabric"), quick, batches=batches)
    finally:
        net.down(wipe=True)


def print_table(name: str, res: dict[str, dict[str, float]]) -> None:
    for k, v in res.items():
        extra = f"  {v['scans_per_s']:>9.0f} scans/s" if "scans_per_s" in v else ""
        print(f"{name:<9} {k:<11} {v['tx']:>5} tx  {v['tx_per_s']:>7.1f} tx/s  p50 {v['p50_ms']:>6.1f} ms{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer transactions (CI smoke run)")
    parser.add_argument("--fabric-bin", default=os.environ.get("FABRIC_BIN"), help="Fabric release bin/ folder")
    parser.add_argument(
        "--topology",
        choices=("both", "product", "reference"),
        default="both",
        help="the product's four-org network, the reference's two-org one, or both (default)",
    )
    args = parser.parse_args()
    if not args.fabric_bin:
        print("skipped: FABRIC_BIN is not set (a Fabric 3 release's bin/ with peer, orderer, osnadmin, configtxgen)")
        print(json.dumps({"benchmark": "fabric", "skipped": "FABRIC_BIN is not set"}))
        return
    try:
        locate_install(args.fabric_bin)
    except NotFound as err:
        print(f"skipped: {err.message}")
        print(json.dumps({"benchmark": "fabric", "skipped": err.message}))
        return

    summary: dict[str, object] = {"benchmark": "fabric", "quick": args.quick, "target_32_threads_tx_per_s": 100}
    with tempfile.TemporaryDirectory(prefix="bench-fabric-") as tmp_name:
        tmp = Path(tmp_name)
        if args.topology != "reference":
            up_s, fabric = on_fabric(
                tmp, "fabric", small_network_config(), PORT_BASE, args.fabric_bin, args.quick, batches=True
            )
            print_table("fabric", fabric)
            ehome = tmp / "embedded-home"
            init_network(ehome, parse_config(small_network_config()))
            register_network(ehome)
            embedded = workloads(lambda: connect(ehome, SUPPLIER, "station1"), args.quick)
            EmbeddedLedger.close_all()
            print_table("embedded", embedded)
            ratios = {k: round(embedded[k]["tx_per_s"] / fabric[k]["tx_per_s"], 2) for k in fabric}
            batching = round(fabric["batched"]["scans_per_s"] / fabric["threads_8"]["tx_per_s"], 1)
            batching_seq = round(fabric["batched_seq"]["scans_per_s"] / fabric["sequential"]["tx_per_s"], 1)
            print(f"embedded/fabric tx/s ratios: {ratios}")
            print(f"fabric: batching multiplies scans/s by {batching} (8 clients), by {batching_seq} (one client)")
            summary |= {
                "up_seconds": round(up_s, 1),
                "fabric": fabric,
                "embedded": embedded,
                "embedded_over_fabric": ratios,
                "fabric_batching_factor": batching,
                "fabric_batching_factor_sequential": batching_seq,
                "met_32_threads": fabric["threads_32"]["tx_per_s"] >= 100,
                "met_batching_50x": max(batching, batching_seq) >= 50,
            }
        if args.topology != "product":
            _, reference = on_fabric(
                tmp, "reference", reference_config(), REFERENCE_PORT_BASE, args.fabric_bin, args.quick, batches=False
            )
            print_table("ref-topo", reference)
            summary |= {
                "reference_topology": reference,
                "met_32_threads_reference_topology": reference["threads_32"]["tx_per_s"] >= 100,
            }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
