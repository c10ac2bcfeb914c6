"""The read model: built from committed blocks, resumable from its checkpoint, identical when rebuilt."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.client import LedgerClient
from ledger.connect import committed_blocks, connect
from ledger.embedded.ledger import EmbeddedLedger
from ledger.readmodel.builder import ReadModel, ReadModelDiverged
from ledger.readmodel.queries import Queries
from tests.helpers import OEM, SUPPLIER

PT = "SupplierMSP:CAST-1"


def _part(uid: str, lot: str = "L1") -> dict[str, str]:
    return {"uid": uid, "part_type": PT, "lot": lot, "production_date": "2026-11-01", "site_id": "supplier-plant"}


def _hash(text: str) -> str:
    return "ni:///sha-256;" + hashlib.sha256(text.encode()).hexdigest() + "?ver=CBV2.0"


@pytest.fixture
def built_home(ledger_home: Path) -> Path:
    """Parts, an assembly, a scan with an anomaly and a shipment on the ledger."""
    LedgerClient(connect(ledger_home, SUPPLIER, "admin")).register_part_type(
        {
            "part_number": "CAST-1",
            "description": "Case casting",
            "hs_code": "8708.99",
            "usmca_category": "other",
            "unit": "EA",
        }
    )
    st = LedgerClient(connect(ledger_home, SUPPLIER, "station1"))
    st.commission_parts([_part(f"urn:test:c:{i}", lot="L7" if i < 3 else "L8") for i in range(6)])
    st.commission_part(_part("urn:test:asm:1"))
    st.assemble(
        {
            "parent_uid": "urn:test:asm:1",
            "child_uids": ["urn:test:c:0", "urn:test:c:1"],
            "event_hash": _hash("asm1"),
            "event_time": "2026-11-02T10:00:00+00:00",
        }
    )
    st.record_scan(
        {
            "uid": "urn:test:unknown",
            "station_id": "sup-st1",
            "biz_step": "inspecting",
            "disposition": "active",
            "event_time": "2026-11-02T10:01:00+00:00",
            "event_hash": _hash("scan-unknown"),
        }
    )
    st.ship({"shipment_id": "ASN-1", "to_msp": OEM, "uids": ["urn:test:asm:1", "urn:test:c:4"]})
    LedgerClient(connect(ledger_home, OEM, "station1")).receive(
        {"shipment_id": "ASN-1", "from_msp": SUPPLIER, "uids": ["urn:test:asm:1", "urn:test:c:4"]}
    )
    return ledger_home


def _dump(model: ReadModel) -> dict[str, list[tuple]]:
    out = {}
    for name in sorted(model.db.table_names()):
        out[name] = sorted(tuple(r.values()) for r in model.db[name].rows)
    return out


def test_tables_and_queries(built_home: Path, tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "rm.db")
    model.follow(committed_blocks(built_home))
    q = Queries(model)
    assert q.part("urn:test:asm:1")["owner_msp"] == OEM
    tree = q.as_built_down("urn:test:asm:1")
    assert sorted(c.uid for c in tree.children) == ["urn:test:c:0", "urn:test:c:1"]
    assert [p["uid"] for p in q.as_built_up("urn:test:c:1")] == ["urn:test:asm:1"]
    affected = q.containment(lot="L7")
    # lot L7 = c:0, c:1 (inside asm:1, now at the OEM) and c:2 (loose at the supplier)
    assert [a["uid"] for a in affected] == ["urn:test:asm:1", "urn:test:c:2"]
    assert affected[0]["owner_msp"] == OEM
    assert sorted(c["uid"] for c in affected[0]["contains"]) == ["urn:test:c:0", "urn:test:c:1"]
    anomalies = q.anomalies()
    assert [a["uid"] for a in anomalies] == ["urn:test:unknown"]
    assert q.containment() == []


def test_resume_after_interruption_equals_rebuild(built_home: Path, tmp_path: Path) -> None:
    partial = ReadModel(tmp_path / "partial.db")
    blocks = committed_blocks(built_home)
    for _ in range(7):
        partial.apply(next(blocks))
    assert partial.next_block == 7
    partial.close()
    resumed = ReadModel(tmp_path / "partial.db")
    resumed.follow(committed_blocks(built_home, resumed.next_block))
    full = ReadModel(tmp_path / "full.db")
    full.follow(committed_blocks(built_home))
    assert resumed.next_block == full.next_block
    assert _dump(resumed) == _dump(full)


def test_applying_a_block_twice_changes_nothing(built_home: Path, tmp_path: Path) -> None:
    model = ReadModel(tmp_path / "rm.db")
    model.follow(committed_blocks(built_home))
    before = _dump(model)
    model.follow(committed_blocks(built_home, 3))
    assert _dump(model) == before
    with pytest.raises(ValueError, match="expects block"):
        model.apply(
            EmbeddedLedger.open(built_home)
            .read_block(model.next_block - 1)
            .__class__(model.next_block + 5, "h", "p", ())
        )


FOLLOWER = """
import sys, time
sys.path.insert(0, {root!r})
from ledger.connect import committed_blocks
from ledger.readmodel.builder import ReadModel, ReadModelDiverged
m = ReadModel({db!r})
for b in committed_blocks({home!r}, m.next_block):
    m.apply(b)
    print(b.number, flush=True)
    time.sleep(0.05)
"""


def test_killed_follower_resumes_from_checkpoint(built_home: Path, tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    code = FOLLOWER.format(root=str(Path(__file__).resolve().parents[2]), db=str(db), home=str(built_home))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(5):
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.05)
    model = ReadModel(db)
    assert 5 <= model.next_block < EmbeddedLedger.open(built_home).store.height()
    model.follow(committed_blocks(built_home, model.next_block))
    full = ReadModel(tmp_path / "full.db")
    full.follow(committed_blocks(built_home))
    assert _dump(model) == _dump(full)


def test_a_ledger_that_no_longer_extends_the_read_model_is_rebuilt(built_home: Path, tmp_path: Path) -> None:
    """A ledger that lost its last block (or was restored from a backup) and went on differently: the read model
    notices from the hash chain and rebuilds from block 0 instead of mixing the two histories."""
    EmbeddedLedger.close_all()
    other = tmp_path / "restored"
    shutil.copytree(built_home, other)
    LedgerClient(connect(built_home, SUPPLIER, "station1")).commission_parts([_part("urn:test:lost:1")])
    restored = LedgerClient(connect(other, SUPPLIER, "station1"))
    restored.commission_parts([_part("urn:test:other:1", lot="L9")])
    restored.commission_parts([_part("urn:test:other:2", lot="L9")])
    model = ReadModel(tmp_path / "rm.db")
    model.follow(committed_blocks(built_home))
    assert Queries(model).part("urn:test:lost:1") is not None
    with pytest.raises(ReadModelDiverged, match=f"block {model.next_block} does not extend"):
        model.follow(committed_blocks(other, model.next_block))
    assert model.sync(lambda start: committed_blocks(other, start)) == EmbeddedLedger.open(other).store.height()
    assert Queries(model).part("urn:test:lost:1") is None
    assert Queries(model).part("urn:test:other:2") is not None
    fresh = ReadModel(tmp_path / "fresh.db")
    fresh.follow(committed_blocks(other))
    assert _dump(model) == _dump(fresh)
    assert model.sync(lambda start: committed_blocks(other, start)) == 0
