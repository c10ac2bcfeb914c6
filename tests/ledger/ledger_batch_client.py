"""A child process for peer tests: endorses large batches on peer processes, prints their pids, keeps submitting.

Run as ``python ledger_batch_client.py HOME``; the first line holds the peer process ids (fork server and peers).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.connect import connect
from ledger.embedded.ledger import EmbeddedLedger
from ledger.embedded.peers import _ForkServer


def batch(n: int) -> str:
    return json.dumps(
        [
            {
                "uid": f"urn:test:child:{n}:{i}",
                "part_type": "SupplierMSP:CAST-1",
                "lot": "L1",
                "production_date": "2026-11-01",
                "site_id": "supplier-plant",
            }
            for i in range(200)
        ]
    )


if __name__ == "__main__":
    home = Path(sys.argv[1])
    gw = connect(home, "SupplierMSP", "station1")
    pool = EmbeddedLedger.open(home).endorsers  # started up front: large proposals go to the peers
    gw.submit("CommissionParts", batch(0))
    assert pool is not None and _ForkServer._process is not None
    print(_ForkServer._process.pid, *pool.pids, flush=True)
    n = 1
    while True:
        gw.submit("CommissionParts", batch(n))
        n += 1
