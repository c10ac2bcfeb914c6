"""The contract as the contract API sees it: registration, wire names, errors, logging, and test coverage."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from chaincode_harness import OEM, T1, Harness, World, make_member, org_doc

from chaincode import CONTRACT_NAME, build_chaincode, transactions
from chaincode.factory import ProvenanceContract
from ledger.errors import CHAINCODE_ERROR_PREFIX, Forbidden, decode_error

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def metadata(cc) -> dict:
    return json.loads(cc._system_contract.get_metadata())


def test_every_transaction_is_registered_with_its_real_parameters() -> None:
    cc = build_chaincode()
    txs = {t["name"]: t for t in metadata(cc)["contracts"][CONTRACT_NAME]["transactions"]}
    assert set(txs) == set(transactions())
    for name, kind in transactions().items():
        fn = getattr(ProvenanceContract, name)
        params = [p for p in inspect.signature(fn).parameters if p not in ("self", "ctx")]
        assert len(txs[name].get("parameters", [])) == len(params), name
        assert kind.upper() in txs[name]["tag"], name


def test_submit_and_evaluate_split() -> None:
    """Reads are named Get*/List* and are the only evaluate transactions; every submit emits one event."""
    for name, kind in transactions().items():
        assert (kind == "evaluate") == name.startswith(("Get", "List")), name
        source = inspect.getsource(getattr(ProvenanceContract, name))
        assert ("tx.emit(" in source) == (kind == "submit"), f"{name}: every submit emits one event, reads none"


def test_domain_errors_travel_encoded(h: Harness) -> None:
    station = make_member("Org1MSP", "st", "station", station="s1")
    with pytest.raises(Forbidden) as info:
        h.submit(station, "RegisterOrg", org_doc(T1))
    resp, _ = _raw(h, station, "RegisterOrg", json.dumps(org_doc(T1)))
    assert resp.status == 500
    assert resp.message.startswith(CHAINCODE_ERROR_PREFIX)
    decoded = decode_error(resp.message)
    assert isinstance(decoded, Forbidden)
    assert decoded.message == info.value.message
    assert decoded.field == "role"


def _raw(h: Harness, who, fn: str, *args: str):
    from google.protobuf.timestamp_pb2 import Timestamp

    from ledger.embedded.stub import SimulationStub

    ts = Timestamp(seconds=1_772_452_800)
    stub = SimulationStub(
        h.state,
        channel_id="c",
        tx_id="raw",
        fn=fn,
        args=list(args),
        creator_msp=who.msp,
        creator_cert=who.cert_pem,
        timestamp=ts,
    )
    return h.loop.run_until_complete(h.cc.invoke(stub)), stub


def test_library_errors_are_not_ours(h: Harness) -> None:
    admin = make_member("Org1MSP", "a", "admin")
    resp, _ = _raw(h, admin, "NoSuchTx")
    assert (resp.status, resp.message) == (500, "Function NoSuchTx not found in contract provenance")
    resp, _ = _raw(h, admin, "GetOrg")
    assert resp.message == "incorrect number of params. Expected 1, received 0"
    assert decode_error(resp.message) is None


def test_namespaced_wire_name(world: World) -> None:
    assert world.h.evaluate(world.admin(OEM), f"{CONTRACT_NAME}:GetOrg", OEM)["msp_id"] == OEM


def test_import_leaves_logging_alone() -> None:
    code = """
import logging, threading
logging.basicConfig(level=logging.ERROR, format="%(message)s")
root = logging.getLogger()
before = (list(root.handlers), root.level, list(logging.getLogger("asyncio").handlers), threading.active_count())
import chaincode
after = (list(root.handlers), root.level, list(logging.getLogger("asyncio").handlers), threading.active_count())
assert before == after, (before, after)
assert logging.getLogger("asyncio").level == logging.WARNING
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "ok"
    assert out.stderr == ""


def test_import_without_logging_config_adds_no_handler() -> None:
    code = "import logging, chaincode; r = logging.getLogger(); print(len(r.handlers), r.level)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["0", str(30)]


def test_every_transaction_has_a_test_and_a_doc_entry() -> None:
    """Like sqlite-utils' test_docs: adding a transaction without a test or reference entry fails here."""
    tests = "\n".join(p.read_text() for p in HERE.glob("test_chaincode_*.py") if p.name != Path(__file__).name)
    docs = (ROOT / "docs" / "chaincode.md").read_text()
    for name in transactions():
        assert f'"{name}"' in tests, f"no test invokes {name}"
        assert re.search(rf"^### `?{name}`?\b", docs, re.M), f"docs/chaincode.md has no '### {name}' section"


def test_proposal_without_creator_is_unauthenticated(h: Harness) -> None:
    from google.protobuf.timestamp_pb2 import Timestamp

    from ledger.embedded.stub import SimulationStub

    stub = SimulationStub(h.state, channel_id="c", tx_id="t", fn="ListOrgs", args=[], creator_msp="",
                          creator_cert=b"", timestamp=Timestamp(seconds=1))  # fmt: skip
    resp = h.loop.run_until_complete(h.cc.invoke(stub))
    err = decode_error(resp.message)
    assert err is not None
    assert (err.kind, err.message) == ("unauthenticated", "the proposal carries no creator identity")
