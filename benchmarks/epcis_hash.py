"""GS1 EPCIS event hash throughput: station reads, assembly events, raw JSON-LD and a 5,000-event capture.

Targets (2 cores): >= 20,000 station-read hashes/s so that a 5,000-event API batch costs < 0.25 s of hashing,
and the station's 500 reads/s end to end leaves hashing negligible. Every event has a unique serial and time,
so the value caches see realistic misses. Prints one line per figure, then a final JSON line.

    .venv/bin/python benchmarks/epcis_hash.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `python benchmarks/x.py` puts benchmarks/ first on sys.path, where a script named like a project package
# (benchmarks/ledger.py) would shadow it; import the project, not a sibling script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from scanner.epcis.builders import object_event_for_read, transformation_event  # noqa: E402
from scanner.epcis.document import EPCISDocument  # noqa: E402
from scanner.epcis.hashing import event_hash, jsonld_event_hash  # noqa: E402
from scanner.epcis.model import ObjectEvent  # noqa: E402
from scanner.epcis.schema import validate_document  # noqa: E402

EX = {"ex": "https://example.com/epcis/"}
START = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)


def reads(n: int, offset: int = 0) -> list[ObjectEvent]:
    return [
        ObjectEvent(
            event_time=START + timedelta(milliseconds=137 * (i + offset)),
            action="OBSERVE",
            epc_list=(f"https://id.gs1.org/01/04012345123456/21/SN{i + offset:08d}",),
            read_point="https://id.gs1.org/414/4012345000009/254/MARK-01",
            biz_location="https://id.gs1.org/414/4012345000009",
            biz_step="inspecting",
            disposition="conformant",
            extensions={"ex:station": "MARK-01"},
            namespaces=EX,
        )
        for i in range(n)
    ]


def assemblies(n: int) -> list[Any]:
    return [
        transformation_event(
            [
                f"https://id.gs1.org/01/04012345123456/21/C{i:07d}",
                f"urn:epc:id:sgtin:4012345.012345.H{i:07d}",
            ],
            [f"https://id.gs1.org/01/04012345987652/21/ASM{i:07d}"],
            event_time=START + timedelta(seconds=i),
            read_point="https://id.gs1.org/414/4012345000023/254/ASSY-07",
        )
        for i in range(n)
    ]


def rate(label: str, count: int, fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - began
    per_second = count / elapsed
    print(f"{label:<44} {count:>7} in {elapsed:7.3f} s  = {per_second:>10,.0f} /s")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (CI / make bench)")
    args = parser.parse_args()
    n = 5_000 if args.quick else 50_000

    station = reads(n)
    built = assemblies(n // 5)
    raw = [e.to_jsonld() for e in reads(n // 5, offset=n)]
    figures: dict[str, float] = {}
    figures["station_read_hashes_per_s"] = rate(
        "event_hash, station ObjectEvent", n, lambda: [event_hash(e) for e in station]
    )
    figures["station_build_and_hash_per_s"] = rate(
        "object_event_for_read (build, hash, eventID)",
        n // 5,
        lambda: [
            object_event_for_read(
                f"https://id.gs1.org/01/04012345123456/21/B{i:08d}",
                event_time=START + timedelta(milliseconds=i),
                read_point="https://id.gs1.org/414/4012345000009/254/MARK-01",
                biz_location="https://id.gs1.org/414/4012345000009",
                biz_step="inspecting",
                disposition="conformant",
            )
            for i in range(n // 5)
        ],
    )
    figures["transformation_hashes_per_s"] = rate(
        "event_hash, TransformationEvent (URN inputs)", len(built), lambda: [event_hash(e) for e in built]
    )
    figures["raw_jsonld_hashes_per_s"] = rate(
        "jsonld_event_hash, raw JSON (general engine)",
        len(raw),
        lambda: [jsonld_event_hash(e, EX) for e in raw],
    )
    batch = json.dumps(EPCISDocument(reads(5_000, offset=2 * n)).to_jsonld())

    def capture() -> None:
        validate_document(json.loads(batch))
        doc = EPCISDocument.from_json(batch)
        for e in doc.events:
            event_hash(e)

    document = json.loads(batch)
    figures["schema_validation_events_per_s"] = rate(
        "GS1 JSON schema validation of that document", 5_000, lambda: validate_document(document)
    )
    figures["capture_5000_validate_parse_hash_events_per_s"] = rate(
        "capture: validate + parse + hash 5,000 events", 5_000, capture
    )
    try:
        from epcis_event_hash_generator import hash_generator, json_to_py
    except ImportError:
        pass
    else:
        sample = EPCISDocument(reads(200, offset=3 * n)).to_jsonld()

        def reference() -> None:
            events = json_to_py.event_list_from_epcis_document_json(sample)
            hash_generator.epcis_hashes_from_events(events)

        figures["reference_1_9_3_hashes_per_s"] = rate("epcis-event-hash-generator 1.9.3 (reference)", 200, reference)
    print(json.dumps({"benchmark": "epcis_hash", "events": n, **{k: round(v) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
