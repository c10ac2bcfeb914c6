"""The embedded ledger's execute-order-validate flow: endorsement, ordering, MVCC, policy, signatures, blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.embedded.envelope import Endorsement, Envelope, Proposal, encode_endorsements
from ledger.embedded.ledger import LEDGER_FILE, EmbeddedLedger
from ledger.embedded.store import Store
from ledger.embedded.verify import verify_ledger
from ledger.errors import Conflict, EndorseError, Forbidden, NotFound
from ledger.gateway import InMemoryCheckpointer
from tests.helpers import OEM, SUPPLIER, SUPPLIER_ORG_DOC, TIER1, js, race_org_updates

ORG_DOC = SUPPLIER_ORG_DOC


def test_submit_commits_and_evaluate_reads(ledger_home: Path) -> None:
    gw = connect(ledger_home, SUPPLIER, "admin")
    out = json.loads(gw.submit("RegisterOrg", js({**ORG_DOC, "legal_name": "Castings Renamed Ltd"})))
    assert out["legal_name"] == "Castings Renamed Ltd"
    read = json.loads(connect(ledger_home, OEM, "compliance").evaluate("GetOrg", SUPPLIER))
    assert read["legal_name"] == "Castings Renamed Ltd"


def test_chaincode_refusal_is_a_typed_endorse_error_with_tx_id(ledger_home: Path) -> None:
    gw = connect(ledger_home, SUPPLIER, "station1")
    with pytest.raises(EndorseError) as info:
        gw.submit("RegisterOrg", js(ORG_DOC))
    err = info.value
    assert isinstance(err.cause, Forbidden)
    assert len(err.tx_id) == 64
    assert "station" in err.cause.message
    assert err.details and err.details[0].msp_id == SUPPLIER


def test_unknown_record_is_not_found(ledger_home: Path) -> None:
    with pytest.raises(EndorseError) as info:
        connect(ledger_home, OEM, "compliance").evaluate("GetOrg", "NoSuchMSP")
    assert isinstance(info.value.cause, NotFound)


def test_every_transaction_is_endorsed_by_enough_orgs(ledger_home: Path) -> None:
    connect(ledger_home, SUPPLIER, "admin").submit("RegisterOrg", js(ORG_DOC))
    store = Store(ledger_home / LEDGER_FILE)
    last = store.block_txs(store.height() - 1)[-1]
    env = Envelope.from_bytes(last.envelope)
    endorsers = {e.msp_id for e in env.endorsements}
    assert SUPPLIER in endorsers and len(endorsers) == 2
    assert last.code == "VALID"


def test_concurrent_updates_of_one_key_conflict_under_mvcc(ledger_home: Path) -> None:
    """Eight threads update the same org record at once: one version wins per block, the rest MVCC-conflict."""
    gw = connect(ledger_home, SUPPLIER, "admin")
    outcomes = race_org_updates(gw, rounds=20)
    assert "MVCC_READ_CONFLICT" in outcomes
    assert "VALID" in outcomes
    assert set(outcomes) <= {"VALID", "MVCC_READ_CONFLICT"}
    store = Store(ledger_home / LEDGER_FILE)
    conflicts = store.conn.execute("SELECT COUNT(*) FROM txs WHERE code='MVCC_READ_CONFLICT'").fetchone()[0]
    assert conflicts == outcomes.count("MVCC_READ_CONFLICT")
    # The stored org is the last valid write, and the whole ledger still verifies.
    EmbeddedLedger.close_all()
    assert verify_ledger(ledger_home / LEDGER_FILE).ok


def _forge(ledger_home: Path, *, endorse_with: list[str], sign_with_other_key: bool = False) -> str:
    """Build an envelope by hand (bypassing the gateway) and order it; return its validation code."""
    led = EmbeddedLedger.open(ledger_home)
    gw = led.gateway(SUPPLIER, "admin")
    prop, data, sig = gw._proposal("RegisterOrg", (js(ORG_DOC),))
    resp_bytes = led.simulate(prop, data, sig).to_bytes()
    ends = tuple(
        Endorsement(m, led.network.peer(m).cert_pem, led.network.peer(m).signer.sign(resp_bytes)) for m in endorse_with
    )
    ends_bytes = encode_endorsements(ends)
    payload = Envelope(data, resp_bytes, ends_bytes, b"").payload
    signer = led.network.member(TIER1, "admin").signer if sign_with_other_key else gw._member.signer
    env = Envelope(data, resp_bytes, ends_bytes, signer.sign(payload))
    return led.orderer.submit(prop.tx_id, env.to_bytes()).result(timeout=30).code


def test_too_few_endorsements_commit_as_policy_failure(ledger_home: Path) -> None:
    assert _forge(ledger_home, endorse_with=[SUPPLIER]) == "ENDORSEMENT_POLICY_FAILURE"
    assert _forge(ledger_home, endorse_with=[SUPPLIER, OEM]) == "VALID"


def test_envelope_signed_by_someone_else_is_refused(ledger_home: Path) -> None:
    assert _forge(ledger_home, endorse_with=[SUPPLIER, OEM], sign_with_other_key=True) == "BAD_CREATOR_SIGNATURE"


def test_replayed_transaction_is_a_duplicate(ledger_home: Path) -> None:
    led = EmbeddedLedger.open(ledger_home)
    sub = led.gateway(SUPPLIER, "admin").submit_async("RegisterOrg", js(ORG_DOC))
    assert sub.get_status().code == "VALID"
    store = Store(ledger_home / LEDGER_FILE)
    (env,) = store.conn.execute("SELECT envelope FROM txs WHERE tx_id=?", (sub.tx_id,)).fetchone()
    assert led.orderer.submit(sub.tx_id, bytes(env)).result(timeout=30).code == "DUPLICATE_TXID"


def test_proposal_from_a_certificate_outside_the_channel_is_refused(ledger_home: Path, tmp_path: Path) -> None:
    from tests.helpers import make_network

    other = make_network(tmp_path / "other")  # same MSP names, different CAs
    led = EmbeddedLedger.open(ledger_home)
    stranger = EmbeddedLedger.open(other).gateway(SUPPLIER, "admin")
    _, data, sig = stranger._proposal("ListOrgs", ())
    with pytest.raises(EndorseError, match="not a member"):
        led.simulate(Proposal.from_bytes(data), data, sig)


def test_blocks_stream_from_a_checkpoint(ledger_home: Path) -> None:
    gw = connect(ledger_home, SUPPLIER, "admin")
    ck = InMemoryCheckpointer()
    first = list(gw.blocks(ck.block_number, follow=False))
    assert first[0].number == 0 and first[0].previous_hash == ""
    for b in first:
        ck.checkpoint(b.number)
    gw.submit("RegisterOrg", js(ORG_DOC))
    more = list(gw.blocks(ck.block_number, follow=False))
    assert [b.number for b in more] == [ck.block_number]
    (tx,) = more[0].transactions
    assert tx.valid and tx.function == "RegisterOrg" and tx.creator_msp == SUPPLIER
    assert any(w.key.startswith("\x00org\x00") for w in tx.writes)
    assert more[0].previous_hash == first[-1].hash
    assert tx.event is not None and tx.event.name == "OrgRegistered"


def test_client_library_round_trip(ledger_home: Path) -> None:
    admin = LedgerClient(connect(ledger_home, SUPPLIER, "admin"))
    admin.register_part_type(
        {
            "part_number": "CAST-1",
            "description": "Case casting",
            "hs_code": "8708.99",
            "usmca_category": "other",
            "unit": "EA",
        }
    )
    station = LedgerClient(connect(ledger_home, SUPPLIER, "station1"))
    station.commission_part(
        {
            "uid": "urn:test:part:1",
            "part_type": "SupplierMSP:CAST-1",
            "lot": "L1",
            "production_date": "2026-11-01",
            "site_id": "supplier-plant",
        }
    )
    with pytest.raises(EndorseError) as info:
        station.commission_part(
            {
                "uid": "urn:test:part:1",
                "part_type": "SupplierMSP:CAST-1",
                "lot": "L1",
                "production_date": "2026-11-01",
                "site_id": "supplier-plant",
            }
        )
    assert isinstance(info.value.cause, Conflict)
    assert station.get_part("urn:test:part:1")["part"]["owner_msp"] == SUPPLIER


def test_revoked_member_is_refused_but_its_past_transactions_stay_valid(ledger_home: Path) -> None:
    from ledger.identity.msp import revoke_member

    def scan(n: int) -> str:
        return js(
            {
                "uid": "urn:test:x",
                "station_id": "sup-st1",
                "event_time": "2026-11-02T10:00:00+00:00",
                "event_hash": "ni:///sha-256;" + f"{n:064x}" + "?ver=CBV2.0",
            }
        )

    connect(ledger_home, SUPPLIER, "station1").submit("RecordScan", scan(1))
    EmbeddedLedger.close_all()
    revoke_member(ledger_home, SUPPLIER, "station1")
    with pytest.raises(EndorseError, match="not a member"):
        connect(ledger_home, SUPPLIER, "station1").submit("RecordScan", scan(2))
    EmbeddedLedger.close_all()
    assert verify_ledger(ledger_home / LEDGER_FILE).ok


def _rewrite_genesis_version(home: Path, version: int) -> None:
    import sqlite3

    conn = sqlite3.connect(home / LEDGER_FILE)
    (raw,) = conn.execute("SELECT envelope FROM txs WHERE block = 0").fetchone()
    config = json.loads(raw)
    config["version"] = version
    with conn:
        conn.execute("UPDATE txs SET envelope = ? WHERE block = 0", (json.dumps(config).encode(),))
    conn.close()


def test_a_ledger_in_another_byte_format_is_refused_naming_the_format(ledger_home: Path) -> None:
    from ledger.errors import LedgerFormatError

    EmbeddedLedger.close_all()
    _rewrite_genesis_version(ledger_home, 1)
    with pytest.raises(LedgerFormatError, match=r"ledger format 1 .* is not the format 2") as info:
        EmbeddedLedger.open(ledger_home)
    assert info.value.value == 1
    report = verify_ledger(ledger_home / LEDGER_FILE)
    assert not report.ok and report.problem.startswith("block 0: genesis configuration is unreadable (ledger format 1")


def test_demo_run_replaces_a_demo_ledger_of_an_older_format(ledger_home: Path) -> None:
    from api.demo.cli import _stale_format

    assert _stale_format(ledger_home) is None
    EmbeddedLedger.close_all()
    _rewrite_genesis_version(ledger_home, 1)
    stale = _stale_format(ledger_home)
    assert stale is not None and stale.startswith("ledger format 1")
