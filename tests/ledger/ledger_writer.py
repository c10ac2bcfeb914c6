"""A child process for crash tests: commissions parts from 4 threads and prints each acknowledged tx id.

Run as ``python ledger_writer.py HOME OFFSET``; a line is printed (and flushed) only after submit() returned,
i.e. after the block holding the transaction was durably committed.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.connect import connect

home, offset = Path(sys.argv[1]), int(sys.argv[2])
gw = connect(home, "SupplierMSP", "station1")
lock = threading.Lock()


def worker(k: int) -> None:
    for i in range(100_000):
        part = {
            "uid": f"urn:test:crash:{offset}:{k}:{i}",
            "part_type": "SupplierMSP:CAST-1",
            "lot": "L1",
            "production_date": "2026-11-01",
            "site_id": "supplier-plant",
        }
        sub = gw.submit_async("CommissionPart", json.dumps(part))
        status = sub.get_status()
        with lock:
            print(sub.tx_id, status.code, flush=True)


threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
