"""Fabric-only behaviour against real peers: the chaincode service's fixes, a peer restart, the network commands."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fabric_net import requires_fabric
from typer.testing import CliRunner

from ledger.client import LedgerClient
from ledger.errors import GatewayError
from ledger.fabric.cli import fabric_app
from ledger.fabric.connect import connect_fabric
from ledger.fabric.localnet import LocalNet
from ledger.fabric.processes import raft_leader
from tests.helpers import OEM, SUPPLIER, TIER1, js

pytestmark = [pytest.mark.fabric, requires_fabric]


def _fresh() -> str:
    return uuid.uuid4().hex[:12].upper()


def _part_type(net: LocalNet) -> str:
    number = f"CAST-{_fresh()}"
    gw = connect_fabric(net.network.home, SUPPLIER, "admin")
    try:
        LedgerClient(gw).register_part_type(
            {
                "part_number": number,
                "description": "Case",
                "hs_code": "8708.99",
                "usmca_category": "other",
                "unit": "EA",
            }
        )
    finally:
        gw.close()
    return f"{SUPPLIER}:{number}"


def _part(uid: str, part_type: str) -> str:
    doc = {
        "uid": uid,
        "part_type": part_type,
        "lot": "L1",
        "production_date": "2026-11-01",
        "site_id": "supplier-plant",
    }
    return js(doc)


def test_concurrent_transactions_all_commit(fabric_network: LocalNet) -> None:
    """fabric-chaincode-python 2.5.4 loses stream messages under concurrency (the peer then answers ABORTED
    after 30 s); with chaincode/compat.py 64 concurrent submits through one peer all commit."""
    part_type = _part_type(fabric_network)
    gw = connect_fabric(fabric_network.network.home, SUPPLIER, "station1")
    uids = [f"urn:test:conc:{_fresh()}" for _ in range(64)]
    try:
        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(lambda u: json.loads(gw.submit("CommissionPart", _part(u, part_type))), uids))
        assert [r["uid"] for r in results] == uids
        reads = [json.loads(gw.evaluate("GetPart", u))["part"]["uid"] for u in uids]
        assert reads == uids
    finally:
        gw.close()


def test_chaincode_events_reach_gateway_listeners(fabric_network: LocalNet) -> None:
    """2.5.4 never attaches events to COMPLETED; with the fix the Gateway's ChaincodeEvents stream carries them."""
    home = fabric_network.network.home
    listener = connect_fabric(home, OEM, "compliance")
    writer = connect_fabric(home, TIER1, "admin")
    try:
        start = len(list(listener.blocks(0, follow=False)))
        got: list[tuple[int, str, str, bytes]] = []

        def listen() -> None:
            for block, tx_id, event in listener.chaincode_events(start):
                got.append((block, tx_id, event.name, event.payload))
                return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        number = f"GEAR-{_fresh()}"
        doc = {
            "part_number": number,
            "description": "Gear",
            "hs_code": "8708.40",
            "usmca_category": "other",
            "unit": "EA",
        }
        sub = writer.submit_async("RegisterPartType", js(doc))
        status = sub.get_status()
        t.join(timeout=30)
        assert len(got) == 1
        block, tx_id, name, payload = got[0]
        assert (block, tx_id, name) == (status.block_number, sub.tx_id, "PartTypeRegistered")
        assert number in payload.decode()
    finally:
        listener.close()
        writer.close()


def test_peer_restart_loses_no_acknowledged_transaction(fabric_network: LocalNet) -> None:
    """Restart the writer's own gateway peer mid-run: retries carry the writer through, and every transaction
    that submit() acknowledged is on the ledger afterwards, as read through another org's peer."""
    home = fabric_network.network.home
    part_type = _part_type(fabric_network)
    acknowledged: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        gw = connect_fabric(home, SUPPLIER, "station1")
        try:
            while not stop.is_set():
                uid = f"urn:test:restart:{_fresh()}"
                try:
                    gw.submit("CommissionPart", _part(uid, part_type))
                    acknowledged.append(uid)
                except GatewayError as err:
                    errors.append(f"{type(err).__name__} {err.code}: {err}")
        finally:
            gw.close()

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    before = len(acknowledged)
    assert fabric_network.stop_peer(SUPPLIER)
    time.sleep(2)
    fabric_network.start_peer(SUPPLIER)
    while len(acknowledged) < before + 10 and time.monotonic() < deadline + 60:
        time.sleep(0.2)
    stop.set()
    t.join(timeout=60)
    assert errors == []
    assert len(acknowledged) >= before + 10
    reader = connect_fabric(home, OEM, "compliance")
    own = connect_fabric(home, SUPPLIER, "compliance")
    try:
        for uid in acknowledged:
            assert json.loads(reader.evaluate("GetPart", uid))["part"]["uid"] == uid
            assert json.loads(own.evaluate("GetPart", uid))["part"]["uid"] == uid
    finally:
        reader.close()
        own.close()


def test_status_and_a_second_up_are_idempotent(fabric_network: LocalNet) -> None:
    home = fabric_network.network.home
    result = CliRunner().invoke(fabric_app, ["status", "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["running"] and status["deployed"]
    pids = {n["name"]: n["pid"] for n in status["nodes"]}
    orderer = fabric_network.network.orderer
    assert orderer is not None  # up waited for the channel's Raft leader
    assert any(raft_leader(n.host, n.ops_port, fabric_network.network.channel) for n in orderer.nodes)
    again = fabric_network.up()
    assert {n["name"]: n["pid"] for n in again["nodes"]} == pids
