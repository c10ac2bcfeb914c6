"""Certification routes against a real uvicorn server on 127.0.0.1 (separate process), on a populated ledger.

Setup: the four-org test network; the supplier issues N certifications addressed to the Tier-1, the Tier-1 issues
N/2 certifications addressed to the OEM, each relying on two of the supplier's (all signed and committed on the
embedded ledger). Then, over keep-alive connections:
  1. GET /v1/certifications as the OEM (visible set = its chain: every certification, statuses computed):
     p50 / p99 latency;
  2. GET /v1/certifications/{id}/lineage of a supplier certification as the supplier (downstream dependants);
  3. POST /v1/certifications with a private cost breakdown (commit, sign, submit, keep): sequential requests
     per second and p50 latency.
Prints figures and a final JSON line.

    python benchmarks/certifications.py [--quick]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.cli import create_credential  # noqa: E402
from api.private.store import PrivateStore  # noqa: E402
from ledger.bootstrap import register_network  # noqa: E402
from ledger.client import LedgerClient  # noqa: E402
from ledger.connect import connect  # noqa: E402
from ledger.embedded.ledger import EmbeddedLedger  # noqa: E402
from ledger.identity.config import parse_config  # noqa: E402
from ledger.identity.msp import init_network  # noqa: E402
from ledger.identity.network import load_network  # noqa: E402
from ledger.samples import OEM, SUPPLIER, TIER1, small_network_config  # noqa: E402

SERVER = """
import sys
sys.path.insert(0, {root!r})
import uvicorn
from api.app import create_app
from api.core.settings import Settings
uvicorn.run(create_app(Settings(home={home!r})), host="127.0.0.1", port={port}, log_level="warning")
"""
TODAY = datetime.now(UTC).date()
SCOPE = {
    "kind": "blanket",
    "from": (TODAY - timedelta(days=10)).isoformat(),
    "to": (TODAY + timedelta(days=300)).isoformat(),
}
COSTS = {"total_cost": "280", "vnm": "80", "originating_materials": "120"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(home: Path, n: int) -> None:
    """N supplier certifications for the Tier-1, N/2 Tier-1 certifications for the OEM relying on them."""
    network = load_network(home)
    for msp, pn in ((SUPPLIER, "CAST-1"), (TIER1, "TRANS-1")):
        LedgerClient(connect(home, msp, "admin")).register_part_type(
            {"part_number": pn, "description": pn, "hs_code": "8708.40", "usmca_category": "other", "unit": "EA"}
        )
    for msp, pt, count, customer in (
        (SUPPLIER, "SupplierMSP:CAST-1", n, TIER1),
        (TIER1, "Tier1MSP:TRANS-1", n // 2, OEM),
    ):
        signer = network.member(msp, "certifier").signer
        client = LedgerClient(connect(home, msp, "certifier"))
        store = PrivateStore(home, msp)
        for i in range(count):
            opening = store.commit_breakdown(COSTS)
            cert_id = f"{msp[:3].upper()}-{i:05d}"
            upstream = [f"SUP-{(2 * i) % n:05d}", f"SUP-{(2 * i + 1) % n:05d}"] if msp == TIER1 else []
            body = {
                "cert_id": cert_id, "part_type": pt, "issuer_msp": msp, "scope": SCOPE, "origin_criterion": "B",
                "method": "NC", "rvc": "71.4", "originating": True, "non_originating_share": "28.6",
                "cost_commitment": opening.commitment(), "upstream": upstream, "customers": [customer],
            }  # fmt: skip
            client.submit_certification(body, signer)
            store.keep_breakdown(cert_id, opening)


def timed(client: httpx.Client, method: str, path: str, rounds: int, **kw: Any) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        resp = client.request(method, path, **kw)
        out.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code < 300, resp.text
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100 certifications instead of 600")
    args = parser.parse_args()
    n = 100 if args.quick else 600
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_network(home, parse_config(small_network_config()))
        register_network(home)
        t0 = time.perf_counter()
        populate(home, n)
        total = n + n // 2
        print(f"setup: {total} certifications committed in {time.perf_counter() - t0:.1f} s")
        tokens = {m: create_credential(home, *m)["token"] for m in ((OEM, "compliance"), (SUPPLIER, "certifier"))}
        EmbeddedLedger.close_all()
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), home=str(home), port=port)])
        try:
            base = f"http://127.0.0.1:{port}"
            oem = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {tokens[(OEM, 'compliance')]}"}, timeout=60
            )
            sup = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {tokens[(SUPPLIER, 'certifier')]}"}, timeout=60
            )
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if oem.get("/v1/certifications", params={"limit": 1}).json().get("total") == total:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            listing = timed(oem, "GET", "/v1/certifications", 20, params={"limit": 1000})
            lineage = timed(sup, "GET", "/v1/certifications/SUP-00000/lineage", 20)
            body = {
                "part_type": "SupplierMSP:CAST-1", "scope": SCOPE, "origin_criterion": "B", "method": "NC",
                "rvc": "71.4", "originating": True, "non_originating_share": "28.6", "customers": [TIER1],
                "cost_breakdown": COSTS,
            }  # fmt: skip
            rounds = 20 if args.quick else 60
            t1 = time.perf_counter()
            submits = timed(sup, "POST", "/v1/certifications", rounds, json=body)
            rate = rounds / (time.perf_counter() - t1)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    figures = {
        "certifications": total,
        "list_visible_p50_ms": round(statistics.median(listing), 1),
        "list_visible_p99_ms": round(pct(listing, 0.99), 1),
        "lineage_p50_ms": round(statistics.median(lineage), 1),
        "submit_per_s": round(rate, 1),
        "submit_p50_ms": round(statistics.median(submits), 1),
    }
    print(f"GET /v1/certifications as the OEM ({total} visible): p50 {figures['list_visible_p50_ms']} ms, "
          f"p99 {figures['list_visible_p99_ms']} ms")  # fmt: skip
    print(f"GET lineage (downstream of one supplier certification): p50 {figures['lineage_p50_ms']} ms")
    print(f"POST /v1/certifications sequential: {figures['submit_per_s']}/s, p50 {figures['submit_p50_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
