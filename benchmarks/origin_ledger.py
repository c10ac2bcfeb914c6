"""Origin from the ledger: building a vehicle's request from the read model, and a model-line report.

Seeds the demo supply chain (``usmca demo seed``, N vehicles) into a temporary home, catches the read model up,
then times, as the OEM: one vehicle's ledger-built request (tree, part types, visible certifications, prices),
the request plus qualification, and the model-line compliance report over every vehicle. Prints figures and a
final JSON line. ``--home`` reuses a seeded home instead (its vehicles are counted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from api.compliance.cli import readmodel
from api.compliance.gather import LedgerOrigin
from api.demo.seed import seed
from api.origin import qualify
from api.reports import model_line_report

VEHICLE_TYPE = "OemMSP:BJC-SEDAN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=24, help="vehicles to seed (ignored with --home)")
    parser.add_argument("--home", type=Path, default=None, help="an already seeded demo home")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="6 vehicles and 5 repetitions (make bench)")
    args = parser.parse_args()
    if args.quick:
        args.vehicles, args.repeat = min(args.vehicles, 6), min(args.repeat, 5)
    home = args.home
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="origin-ledger-")) / "home"
        t0 = time.perf_counter()
        seed(home, vehicles=args.vehicles)
        print(f"seeded {args.vehicles} vehicles in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    model = readmodel(home)
    print(f"read model caught up in {time.perf_counter() - t0:.2f} s")
    today = dt.datetime.now(dt.UTC).date()
    lo = LedgerOrigin(model, home, "OemMSP")
    uids = lo.model_line_uids(VEHICLE_TYPE, dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    bom_ms, qualify_ms = [], []
    for i in range(args.repeat):
        fresh = LedgerOrigin(model, home, "OemMSP")
        t0 = time.perf_counter()
        bom = fresh.bom(uids[i % len(uids)], as_of=today)
        t1 = time.perf_counter()
        qualify(bom.request)
        t2 = time.perf_counter()
        bom_ms.append((t1 - t0) * 1000)
        qualify_ms.append((t2 - t0) * 1000)
    t0 = time.perf_counter()
    inputs = lo.vehicle_inputs(uids, as_of=today, on=today)
    report = model_line_report(
        inputs, model_line=VEHICLE_TYPE, period_from=dt.date(2000, 1, 1), period_to=dt.date(2100, 1, 1), on=today
    )
    report_s = time.perf_counter() - t0
    figures = {
        "vehicles": len(uids),
        "bom_from_ledger_ms_median": round(statistics.median(bom_ms), 2),
        "bom_and_qualify_ms_median": round(statistics.median(qualify_ms), 2),
        "model_line_report_s": round(report_s, 3),
        "model_line_report_ms_per_vehicle": round(report_s * 1000 / max(1, len(uids)), 2),
        "report_rvc": report.rvc,
    }
    print(f"one vehicle's request from the ledger: {figures['bom_from_ledger_ms_median']} ms (median, cold cache)")
    print(f"request + qualify: {figures['bom_and_qualify_ms_median']} ms")
    print(f"model-line report over {len(uids)} vehicles: {report_s:.3f} s")
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
