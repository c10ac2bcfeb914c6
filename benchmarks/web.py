"""Web page latency against a real uvicorn server (separate process) on a seeded demo home.

What an analyst or operator waits for: the OEM compliance dashboard (one compliance report per listed vehicle plus
the averaged model-line report), one vehicle's page (report and as-built tree SVG), the recall containment page,
and a station scan round trip through ``POST /station/scan`` (parse, RecordScan committed, verdict, part details).
Each is timed sequentially over keep-alive connections; figures are p50 / p95 / max in milliseconds.
No target was set in the issue; a page should answer well under a second on 2 cores.
Prints figures and a final JSON line.

    python benchmarks/web.py [--quick] [--vehicles N]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.demo.seed import CREDENTIALS_FILE, seed  # noqa: E402
from ledger.embedded.ledger import EmbeddedLedger  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
        "n": n,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer vehicles and repetitions")
    ap.add_argument("--vehicles", type=int, default=None)
    args = ap.parse_args()
    vehicles = args.vehicles or (6 if args.quick else 48)
    reps = 5 if args.quick else 20
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t = time.perf_counter()
        seed(home, vehicles=vehicles)
        EmbeddedLedger.close_all()
        print(f"seeded {vehicles} vehicles in {time.perf_counter() - t:.1f} s")
        creds = json.loads((home / CREDENTIALS_FILE).read_text())
        port = free_port()
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/usmca"), "serve", "--home", str(home), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):  # up, and the read model has applied every block of the seeded ledger
                try:
                    health = httpx.get(base + "/healthz", timeout=1)
                    if (
                        health.status_code == 200
                        and health.json()["readmodel_next_block"] > health.json()["ledger_height"]
                    ):
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            oem = httpx.Client(
                base_url=base, headers={"Authorization": "Bearer " + creds["OemMSP/compliance"]["token"]}
            )
            station = httpx.Client(
                base_url=base, headers={"Authorization": "Bearer " + creds["OemMSP/station"]["token"]}
            )
            cars = oem.get("/v1/parts", params={"producer": "OemMSP", "part_type": "OemMSP:BJC-SEDAN"}).json()["parts"]
            uid = cars[0]["uid"]
            gtin, serial = uid.split("/01/")[1].split("/21/")
            for path in ("/oem", f"/oem/vehicles/{quote(uid, safe='')}", "/oem/containment?supplier=CastingsMSP"):
                assert oem.get(path).status_code == 200, path  # warm-up and sanity
            figures = {
                "dashboard": timed(lambda: oem.get("/oem").raise_for_status(), reps),
                "vehicle_page": timed(lambda: oem.get(f"/oem/vehicles/{quote(uid, safe='')}").raise_for_status(), reps),
                "containment": timed(
                    lambda: oem.get("/oem/containment", params={"supplier": "CastingsMSP"}).raise_for_status(), reps
                ),
            }

            def scan() -> None:
                now = datetime.now(UTC).isoformat(timespec="milliseconds")
                r = station.post("/station/scan", json={"code": f"(01){gtin}(21){serial}", "event_time": now})
                r.raise_for_status()
                assert r.json()["verdict"] == "ok", r.text

            figures["station_scan"] = timed(scan, reps * 2)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    for name, f in figures.items():
        print(
            f"{name:14s} p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms  max {f['max_ms']:7.1f} ms  (n={f['n']})"
        )
    print(json.dumps({"benchmark": "web", "vehicles": vehicles, **figures}, sort_keys=True))


if __name__ == "__main__":
    main()
