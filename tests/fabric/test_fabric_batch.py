"""Batch state messages against real peers: GET_STATE_MULTIPLE and WRITE_BATCH_STATE from chaincode/compat.py.

A RecordScans batch must read and write exactly what it does on the embedded ledger (same read set, same write
set, same stored scans), reach the peer as a handful of batch messages (counted by the peer's own Prometheus
metrics), and a key read through a batch read must still fail MVCC validation when another transaction wrote
it first.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from fabric_net import requires_fabric
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2_grpc
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from ledger.connect import connect
from ledger.embedded.ledger import EmbeddedLedger
from ledger.fabric import proposal as wire
from ledger.fabric.client import PeerEndpoint
from ledger.fabric.connect import CHAINCODE_NAME
from ledger.fabric.localnet import LocalNet
from ledger.identity.network import load_network
from tests.helpers import SUPPLIER, js

pytestmark = [pytest.mark.fabric, requires_fabric]

STATION = "sup-st1"
#: 600 scans read 1,800 keys and write 1,200: two GET_STATE_MULTIPLE and two WRITE_BATCH_STATE of at most 1,000.
SCANS = 600


def _scan(uid: str, second: int) -> dict[str, str]:
    return {
        "uid": uid,
        "station_id": STATION,
        "biz_step": "inspecting",
        "disposition": "in_progress",
        "event_time": f"2026-11-20T10:{second // 60:02d}:{second % 60:02d}.000Z",
        "event_hash": "ni:///sha-256;" + hashlib.sha256(f"{uid}/{second}".encode()).hexdigest() + "?ver=CBV2.0",
    }


class _Raw:
    """Endorse and submit as separate steps through an org's gateway peer, keeping the prepared transactions."""

    def __init__(self, home: Path, msp_id: str, member: str) -> None:
        network = load_network(home)
        who = network.member(msp_id, member)
        peer = network.peer(msp_id)
        self.identity = wire.ClientIdentity(msp_id, who.cert_pem, who.signer)
        self.channel_name = network.channel
        self._grpc = PeerEndpoint(peer.address, peer.tls_ca_cert_pem).channel()
        self.stub = gateway_pb2_grpc.GatewayStub(self._grpc)

    def endorse(self, function: str, *args: str) -> tuple[str, common_pb2.Envelope]:
        signed = wire.build_proposal(self.identity, self.channel_name, CHAINCODE_NAME, function, args)
        endorsed = self.stub.Endorse(wire.endorse_request(signed, self.channel_name), timeout=120)
        return signed.tx_id, endorsed.prepared_transaction

    def submit(self, tx_id: str, envelope: common_pb2.Envelope) -> str:
        """Order the endorsed transaction and wait for its validation code."""
        signed = wire.sign_envelope(self.identity, envelope)
        self.stub.Submit(wire.submit_request(tx_id, self.channel_name, signed), timeout=60)
        request = wire.commit_status_request(self.identity, tx_id, self.channel_name)
        status = self.stub.CommitStatus(request, timeout=60)
        return transaction_pb2.TxValidationCode.Name(status.result)

    def close(self) -> None:
        self._grpc.close()


def _rwset(envelope: common_pb2.Envelope) -> tuple[set[str], dict[str, bool]]:
    """Our chaincode's read keys and written keys (True for a delete) in a prepared transaction."""
    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    cap = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(cap.action.proposal_response_payload)
    action = proposal_pb2.ChaincodeAction.FromString(prp.extension)
    assert action.response.status == 200, action.response.message
    for ns in rwset_pb2.TxReadWriteSet.FromString(action.results).ns_rwset:
        if ns.namespace == CHAINCODE_NAME:
            kv = kv_rwset_pb2.KVRWSet.FromString(ns.rwset)
            return {r.key for r in kv.reads}, {w.key: w.is_delete for w in kv.writes}
    raise AssertionError("no read/write set of the chaincode")


def _normalized(answer: bytes) -> list[dict[str, Any]]:
    """Stored scans without what differs between two runs (transaction ids, proposal times)."""
    return [{k: v for k, v in doc.items() if k != "tx_id" and not k.endswith("_at")} for doc in json.loads(answer)]


def _shim_requests(home: Path) -> dict[tuple[str, str], float]:
    """(peer address, request type) -> chaincode requests the peer received, from its Prometheus metrics."""
    out: dict[tuple[str, str], float] = {}
    network = load_network(home)
    for org in network.orgs:
        peer = network.peer(org.msp_id)
        text = urllib.request.urlopen(f"http://{peer.host}:{peer.ops_port}/metrics", timeout=10).read().decode()
        for kind, count in re.findall(
            r'^chaincode_shim_requests_received\{[^}]*type="(\w+)"[^}]*\} (\S+)$', text, re.M
        ):
            out[(peer.address, kind)] = out.get((peer.address, kind), 0.0) + float(count)
    return out


def test_record_scans_batch_matches_the_embedded_ledger(fabric_network: LocalNet, ledger_home: Path) -> None:
    """Same read set, write set and stored scans as the embedded ledger; batch messages on the peers."""
    tag = uuid.uuid4().hex[:12]
    first = _scan(f"urn:test:batch:{tag}:0", 0)
    items = [first, _scan(first["uid"], 1)] + [_scan(f"urn:test:batch:{tag}:{i}", i) for i in range(2, SCANS)]
    arg = js(items)
    home = fabric_network.network.home

    # embedded: the same two transactions, the read/write set taken from the simulation
    egw = connect(ledger_home, SUPPLIER, "station1")
    try:
        egw.submit("RecordScan", js(first))
        ledger = EmbeddedLedger.open(ledger_home)
        prop, data, sig = ledger.gateway(SUPPLIER, "station1")._proposal("RecordScans", (arg,))
        simulated = ledger.simulate(prop, data, sig)
        embedded_reads = set(simulated.rwset.reads)
        embedded_writes = {k: v is None for k, v in simulated.rwset.writes.items()}
        embedded_scans = _normalized(simulated.payload)
    finally:
        egw.close()
        EmbeddedLedger.close_all()

    raw = _Raw(home, SUPPLIER, "station1")
    try:
        assert raw.submit(*raw.endorse("RecordScan", js(first))) == "VALID"
        before = _shim_requests(home)
        tx_id, envelope = raw.endorse("RecordScans", arg)
        after = _shim_requests(home)
        reads, writes = _rwset(envelope)
        answer = wire.envelope_result(envelope)
        assert raw.submit(tx_id, envelope) == "VALID"
    finally:
        raw.close()

    assert len(reads) >= 3 * SCANS - 1 and len(writes) >= 2 * SCANS - 1
    assert reads == embedded_reads
    assert writes == embedded_writes
    assert _normalized(answer) == embedded_scans
    assert [s["duplicate"] for s in embedded_scans[:3]] == [True, False, False]

    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    endorsers = {addr for (addr, kind), n in delta.items() if n and kind == "GET_STATE_MULTIPLE"}
    assert endorsers, delta
    for addr in endorsers:
        assert delta[(addr, "GET_STATE_MULTIPLE")] == 2  # 1,800 keys in chunks of 1,000
        assert delta[(addr, "WRITE_BATCH_STATE")] == 2  # 1,200 writes in chunks of 1,000
        assert delta.get((addr, "PUT_STATE"), 0.0) == 0
        assert delta.get((addr, "GET_STATE"), 0.0) < 10  # the station and its site, read on their own


def test_key_read_through_a_batch_read_still_fails_mvcc(fabric_network: LocalNet) -> None:
    """Two batches read the same part's last sighting before either commits: the second one is invalidated."""
    tag = uuid.uuid4().hex[:12]
    uid = f"urn:test:mvcc:{tag}"
    raw = _Raw(fabric_network.network.home, SUPPLIER, "station1")
    try:
        tx_a, env_a = raw.endorse("RecordScans", js([_scan(uid, 1), _scan(f"{uid}:a", 2)]))
        tx_b, env_b = raw.endorse("RecordScans", js([_scan(uid, 3), _scan(f"{uid}:b", 4)]))
        _, writes_a = _rwset(env_a)
        reads_b, writes_b = _rwset(env_b)
        conflicts = reads_b & set(writes_a)
        assert conflicts and not (set(writes_a) & set(writes_b)) - conflicts
        assert raw.submit(tx_a, env_a) == "VALID"
        assert raw.submit(tx_b, env_b) == "MVCC_READ_CONFLICT"
    finally:
        raw.close()
