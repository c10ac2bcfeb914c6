"""RecordCertificateOfOrigin, RevokeCertificateOfOrigin and GetCertificateOfOrigin on the real chaincode."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from chaincode_harness import OEM, T1, World, make_member

from ledger.errors import Conflict, Forbidden, NotFound, ValidationError

CONTENT = b'{"goods":[{"hs":"8703.23"}],"signed_date":"2026-03-02"}'
HASH = hashlib.sha256(CONTENT).hexdigest()


def record(world: World, msp: str = OEM, content: bytes = CONTENT, **change: Any) -> dict[str, Any]:
    signer = world.certifier(msp).signer
    doc = {
        "certificate_id": "COO-OEM-0001",
        "content_hash": hashlib.sha256(content).hexdigest(),
        "issuer_msp": msp,
        "signed_date": "2026-03-02",
        "goods_hs": ["8703.23"],
        "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"},
        "signature": base64.b64encode(signer.sign(content)).decode(),
    }
    doc.update(change)
    return {k: v for k, v in doc.items() if v is not ...}


def test_record_then_read_back_with_status(world: World) -> None:
    stored = world.h.submit(world.certifier(OEM), "RecordCertificateOfOrigin", record(world))
    assert stored["content_hash"] == HASH
    assert stored["goods_hs"] == ["870323"]
    assert stored["certifier"] == world.certifier(OEM).name
    assert stored["status"] == {"status": "valid", "valid": True, "reasons": [], "valid_until": "2030-03-01",
                                "evaluated_at": "2026-03-02T12:00:00.000Z"}  # fmt: skip
    read = world.h.evaluate(world.station(T1), "GetCertificateOfOrigin", "COO-OEM-0001")
    assert read["signature"] == stored["signature"] and read["status"]["status"] == "valid"


def test_signature_over_other_content_is_refused_naming_the_hash(world: World) -> None:
    doc = record(world, content=CONTENT, content_hash=hashlib.sha256(b"other").hexdigest())
    err = world.h.error(world.certifier(OEM), "RecordCertificateOfOrigin", doc)
    assert isinstance(err, ValidationError)
    assert err.message.startswith("certificate of origin COO-OEM-0001 signature does not verify over content hash ")
    assert err.field == "signature"


def test_another_members_key_is_refused(world: World) -> None:
    stranger = make_member(OEM, "someone-else", "certifier")
    doc = record(world, signature=base64.b64encode(stranger.signer.sign(CONTENT)).decode())
    assert isinstance(world.h.error(world.certifier(OEM), "RecordCertificateOfOrigin", doc), ValidationError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"goods_hs": ["8708"]}, "HS code '8708' must have 6, 8 or 10 digits"),
        ({"blanket_period": {"from": "2026-01-01", "to": "2027-01-01"}},
         "certificate of origin blanket_period 2026-01-01..2027-01-01 must end after it starts and within 12 months"),
        ({"signature": "not base64!"}, "certificate of origin signature 'not base64!' is not base64"),
        ({"content_hash": "ABC"}, "certificate of origin content_hash 'ABC' is not 64 lower-case hex digits"),
        ({"colour": "red"}, "certificate of origin has unknown field 'colour'"),
        ({"signed_date": "2026-03-04"},
         "certificate of origin signed_date 2026-03-04 is after the transaction date 2026-03-02"),
    ],
)  # fmt: skip
def test_bad_records_name_the_value(world: World, change: dict[str, Any], message: str) -> None:
    err = world.h.error(world.certifier(OEM), "RecordCertificateOfOrigin", record(world, **change))
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_signed_date_may_lead_the_transaction_by_one_day_for_time_zones(world: World) -> None:
    stored = world.h.submit(world.certifier(OEM), "RecordCertificateOfOrigin", record(world, signed_date="2026-03-03"))
    assert stored["signed_date"] == "2026-03-03"


def test_only_certifiers_of_the_issuing_org(world: World) -> None:
    assert isinstance(world.h.error(world.admin(OEM), "RecordCertificateOfOrigin", record(world)), Forbidden)
    err = world.h.error(world.certifier(T1), "RecordCertificateOfOrigin", record(world))
    assert isinstance(err, Forbidden)
    assert err.message == f"{T1} may not record certificate of origin COO-OEM-0001 on behalf of {OEM}"


def test_duplicate_id_conflicts(world: World) -> None:
    world.h.submit(world.certifier(OEM), "RecordCertificateOfOrigin", record(world))
    err = world.h.error(world.certifier(OEM), "RecordCertificateOfOrigin", record(world))
    assert isinstance(err, Conflict)
    assert err.message == "certificate of origin COO-OEM-0001 already exists"


def test_revoke_then_status_revoked_and_second_revoke_conflicts(world: World) -> None:
    world.h.submit(world.certifier(OEM), "RecordCertificateOfOrigin", record(world))
    err = world.h.error(world.certifier(T1), "RevokeCertificateOfOrigin", "COO-OEM-0001", "not ours")
    assert isinstance(err, Forbidden)
    world.h.advance(hours=1)
    revoked = world.h.submit(world.admin(OEM), "RevokeCertificateOfOrigin", "COO-OEM-0001", "wrong HS code")
    assert revoked["status"]["status"] == "revoked"
    assert revoked["status"]["reasons"] == ["revoked at 2026-03-02T13:00:00.000Z: wrong HS code"]
    again = world.h.error(world.certifier(OEM), "RevokeCertificateOfOrigin", "COO-OEM-0001", "again")
    assert isinstance(again, Conflict)


def test_expired_four_years_after_signing(world: World) -> None:
    world.h.submit(world.certifier(OEM), "RecordCertificateOfOrigin", record(world))
    world.h.advance(days=365 * 4 + 1)
    read = world.h.evaluate(world.station(T1), "GetCertificateOfOrigin", "COO-OEM-0001")
    assert read["status"]["status"] == "expired"
    assert read["status"]["reasons"] == ["expired: four years after signing ended 2030-03-01"]


def test_unknown_id_is_not_found(world: World) -> None:
    err = world.h.eval_error(world.station(T1), "GetCertificateOfOrigin", "COO-NOPE")
    assert isinstance(err, NotFound)
    assert err.message == "certificate of origin COO-NOPE does not exist"
