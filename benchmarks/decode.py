"""Decode benchmark: our Data Matrix cascade against plain pylibdmtx on generated 640x480 camera scenes.

Scenes follow ../shared/docs/identifiers.md section 2.3 (module 4-8 px, quiet zone 2-4 modules, rotation up to
30 degrees, blur radius 0.5-1.5 px, noise sigma 3-10, grey gradient background), seeded by their index, with
GS1 payloads ``(01) GTIN (21) serial (10) lot`` of 34-41 characters. Frames are generated first, then each
decoder runs over the same preloaded frames in one process pinned to one CPU.

"Exact" for our cascade means ``]d2``, the transmitted data byte-for-byte (GS separators included) and the
parsed uid. Plain pylibdmtx drops every FNC1, so it is scored against the payload *without* separators, the
best it can return (its exact rate with separators is 0 by construction).

Usage: ``.venv/bin/python benchmarks/decode.py [--quick] [--n N]``; prints a table and a final JSON line.
Targets: >= 99 % exact, median <= 2 ms per frame.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
# Run as a script, Python puts benchmarks/ first on sys.path, where a module named like a project package
# (benchmarks/ledger.py) would shadow it; the benchmark must import the installed packages.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402

from scanner.datamatrix import decode  # noqa: E402
from scanner.datamatrix.scenes import seeded_scene  # noqa: E402

GS = "\x1d"


def pin_cpu() -> int | None:
    """Pin to the last CPU so timings are not spread over cores; None when the platform cannot."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return cpus[-1]
    except (AttributeError, OSError):
        return None


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def run_cascade(scenes: list) -> dict:
    for _, frame in scenes[:3]:
        decode(frame)
    times, exact, found, stages, misses, slow = [], 0, 0, Counter(), [], []
    for i, (symbol, frame) in enumerate(scenes):
        t0 = time.perf_counter()
        [res] = decode(frame)
        times.append((time.perf_counter() - t0) * 1000.0)
        slow.append((times[-1], i, res.stage))
        found += res.found
        stages[res.stage or "none"] += 1
        ok = (
            res.symbology_identifier == "]d2"
            and res.raw == symbol.raw
            and res.part is not None
            and res.part.uid == symbol.identifier.uid
        )
        exact += ok
        if not ok:
            misses.append(i)
    slowest = [f"#{i} {ms:.1f} ms ({stage})" for ms, i, stage in sorted(slow, reverse=True)[:3]]
    return {
        "times": times,
        "exact": exact,
        "found": found,
        "stages": dict(stages),
        "misses": misses,
        "slowest": slowest,
    }


def run_pylibdmtx(scenes: list) -> dict | None:
    try:
        from pylibdmtx import pylibdmtx
    except (ImportError, OSError):
        return None
    for _, frame in scenes[:3]:
        pylibdmtx.decode(frame, max_count=1, timeout=200)
    times, exact, found = [], 0, 0
    for symbol, frame in scenes:
        t0 = time.perf_counter()
        out = pylibdmtx.decode(frame, max_count=1, timeout=200)
        times.append((time.perf_counter() - t0) * 1000.0)
        found += bool(out)
        exact += bool(out) and out[0].data.decode("latin-1") == symbol.raw.replace(GS, "")
    return {"times": times, "exact": exact, "found": found}


def summary(name: str, res: dict, n: int) -> dict:
    t = res["times"]
    return {
        "decoder": name,
        "n": n,
        "exact": res["exact"],
        "exact_rate": round(res["exact"] / n, 4),
        "found": res["found"],
        "median_ms": round(statistics.median(t), 3),
        "p95_ms": round(percentile(t, 95), 3),
        "max_ms": round(max(t), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 scenes instead of 200")
    parser.add_argument("--n", type=int, default=None, help="number of scenes (overrides --quick)")
    args = parser.parse_args(argv)
    n = args.n or (60 if args.quick else 200)
    cpu = pin_cpu()
    t0 = time.perf_counter()
    scenes = [seeded_scene(i) for i in range(n)]
    gen_s = time.perf_counter() - t0
    print(f"generated {n} scenes 640x480 in {gen_s:.1f} s (pinned to cpu {cpu})")
    cascade = run_cascade(scenes)
    ours = summary("cascade", cascade, n)
    plain = run_pylibdmtx(scenes)
    rows = [ours] + ([summary("pylibdmtx.decode(max_count=1, timeout=200)", plain, n)] if plain else [])
    print(f"{'decoder':45} {'exact':>7} {'found':>7} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for r in rows:
        print(
            f"{r['decoder']:45} {r['exact']:>3}/{n:<3} {r['found']:>3}/{n:<3} "
            f"{r['median_ms']:>10.3f} {r['p95_ms']:>8.3f} {r['max_ms']:>8.3f}"
        )
    print(f"cascade stages: {cascade['stages']}; misses: {cascade['misses']}; slowest: {cascade['slowest']}")
    result = {
        "benchmark": "decode",
        "n": n,
        "cascade": ours,
        "stages": cascade["stages"],
        "pylibdmtx": rows[1] if plain else None,
        "median_ratio_pylibdmtx_over_cascade": round(rows[1]["median_ms"] / ours["median_ms"], 2) if plain else None,
        "targets": {"exact_rate>=0.99": ours["exact_rate"] >= 0.99, "median_ms<=2": ours["median_ms"] <= 2.0},
    }
    print(json.dumps(result, sort_keys=True))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
