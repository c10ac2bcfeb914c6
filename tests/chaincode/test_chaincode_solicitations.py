"""RequestCertification, AnswerCertificationRequest, CancelCertificationRequest and the request reads."""

from __future__ import annotations

from typing import Any

import pytest
from chaincode_harness import OEM, T1, T2, World, make_member

from ledger.commitment import commit
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError

CAST = "CastCoMSP:PT-CAS"


def request(world: World, request_id: str = "RQ-1", *, who: str = "compliance", **change: Any) -> dict[str, Any]:
    doc = {"request_id": request_id, "supplier_msp": T2, "part_type": CAST, "due_date": "2026-03-31"}
    doc.update(change)
    doc = {k: v for k, v in doc.items() if v is not ...}
    return world.h.submit(world.m(T1, who), "RequestCertification", doc)


def certify(world: World, cert_id: str, *, customers: list[str], to: str = "2026-12-31", msp: str = T2) -> None:
    who = world.certifier(msp)
    body = {
        "cert_id": cert_id,
        "part_type": world.part_type(msp),
        "issuer_msp": msp,
        "scope": {"kind": "blanket", "from": "2026-01-01", "to": to},
        "origin_criterion": "B",
        "method": "NC",
        "rvc": "72.5",
        "originating": True,
        "non_originating_share": "27.5",
        "cost_commitment": commit({"total_cost": "100.00"}).commitment(),
        "upstream": [],
        "customers": customers,
    }
    world.h.submit(who, "SubmitCertification", {**body, "signature": who.sign_b64(body)})


def test_request_is_stored_open_with_its_deadline(world: World) -> None:
    doc = request(world, note="for the 2026 model year")
    assert doc["status"] == {
        "status": "open",
        "reason": "due 2026-03-31T23:59:59.999Z",
        "evaluated_at": "2026-03-02T12:00:00.000Z",
        "certification": None,
    }
    assert {k: doc[k] for k in ("requester_msp", "supplier_msp", "part_type", "due_at", "due_date", "note")} == {
        "requester_msp": T1,
        "supplier_msp": T2,
        "part_type": CAST,
        "due_at": "2026-03-31T23:59:59.999Z",
        "due_date": "2026-03-31",
        "note": "for the 2026 model year",
    }
    assert doc["requested_by"] == "compliance@TierOneMSP"
    assert world.h.events[-1] == (
        "CertificationRequested",
        {"request_id": "RQ-1", "requester_msp": T1, "supplier_msp": T2, "part_type": CAST},
    )
    assert world.h.evaluate(world.m(OEM, "auditor"), "GetCertificationRequest", "RQ-1") == doc


def test_due_at_with_offset_is_stored_in_utc(world: World) -> None:
    doc = request(world, due_date=..., due_at="2026-03-05T17:00:00-05:00")
    assert (doc["due_at"], doc["due_date"]) == ("2026-03-05T22:00:00.000Z", "2026-03-05")


@pytest.mark.parametrize("role", ["compliance", "admin"])
def test_compliance_and_admin_may_request(world: World, role: str) -> None:
    assert request(world, who=role)["requested_by"] == f"{role}@TierOneMSP"


@pytest.mark.parametrize("role", ["certifier", "station", "auditor"])
def test_other_roles_may_not_request(world: World, role: str) -> None:
    doc = {"request_id": "RQ-1", "supplier_msp": T2, "part_type": CAST, "due_date": "2026-03-31"}
    err = world.h.error(world.m(T1, role), "RequestCertification", doc)
    assert isinstance(err, Forbidden)
    assert err.message == (
        f"{role} '{role}@TierOneMSP' of TierOneMSP may not request certifications: needs role compliance or admin"
    )


@pytest.mark.parametrize(
    ("change", "kind", "message"),
    [
        ({"supplier_msp": T1, "part_type": "TierOneMSP:PT-TIE"}, ValidationError,
         "TierOneMSP may not request a certification from itself"),
        ({"supplier_msp": "GhostMSP"}, NotFound, "organization GhostMSP is not registered (RegisterOrg first)"),
        ({"part_type": "CastCoMSP:NOPE"}, NotFound, "part type CastCoMSP:NOPE does not exist"),
        ({"part_type": "OemMSP:PT-OEM"}, ValidationError, "part type OemMSP:PT-OEM is produced by OemMSP, not CastCoMSP"),
        ({"due_date": "2026-03-01"}, ValidationError,
         "certification request due 2026-03-01 is not after the request time 2026-03-02T12:00:00.000Z"),
        ({"due_date": "2026-02-30"}, ValidationError,
         "certification request due_date '2026-02-30' is not a valid date (day is out of range for month)"),
        ({"due_date": ...}, ValidationError,
         "certification request needs exactly one of 'due_date' (YYYY-MM-DD) or 'due_at' (RFC 3339)"),
        ({"due_at": "2026-04-01T00:00:00Z"}, ValidationError,
         "certification request needs exactly one of 'due_date' (YYYY-MM-DD) or 'due_at' (RFC 3339)"),
        ({"due_date": ..., "due_at": "2026-04-01T00:00:00"}, ValidationError,
         "certification request due_at '2026-04-01T00:00:00' has no UTC offset"),
        ({"priority": "high"}, ValidationError, "certification request has unknown field 'priority'"),
        ({"request_id": " RQ"}, ValidationError,
         "certification request request_id ' RQ' must be 1-128 printable characters without surrounding blanks"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_value(world: World, change: dict[str, Any], kind: type, message: str) -> None:
    doc = {"request_id": "RQ-1", "supplier_msp": T2, "part_type": CAST, "due_date": "2026-03-31", **change}
    doc = {k: v for k, v in doc.items() if v is not ...}
    err = world.h.error(world.m(T1, "compliance"), "RequestCertification", doc)
    assert isinstance(err, kind)
    assert err.message == message


def test_duplicate_id_and_second_open_request_conflict(world: World) -> None:
    request(world)
    err = world.h.error(
        world.m(OEM, "compliance"),
        "RequestCertification",
        {"request_id": "RQ-1", "supplier_msp": T2, "part_type": CAST, "due_date": "2026-04-30"},
    )
    assert isinstance(err, Conflict)
    assert err.message == "certification request RQ-1 already exists"
    err = world.h.error(
        world.m(T1, "admin"),
        "RequestCertification",
        {"request_id": "RQ-2", "supplier_msp": T2, "part_type": CAST, "due_date": "2026-04-30"},
    )
    assert isinstance(err, Conflict)
    assert err.message == "TierOneMSP already has open certification request RQ-1 to CastCoMSP for part type " + CAST
    world.h.submit(world.m(T1, "admin"), "CancelCertificationRequest", "RQ-1", "supplier changed")
    assert request(world, "RQ-2")["status"]["status"] == "open"


def test_request_turns_overdue_at_the_transaction_time(world: World) -> None:
    request(world)
    world.h.advance(days=29)
    assert world.h.evaluate(world.m(T2, "certifier"), "GetCertificationRequest", "RQ-1")["status"]["status"] == "open"
    world.h.advance(days=1)
    status = world.h.evaluate(world.m(T2, "certifier"), "GetCertificationRequest", "RQ-1")["status"]
    assert status["status"] == "overdue"
    assert status["reason"] == "due 2026-03-31T23:59:59.999Z, not answered (0 days late)"
    world.h.advance(days=5)
    status = world.h.evaluate(world.m(T2, "certifier"), "GetCertificationRequest", "RQ-1")["status"]
    assert status["reason"] == "due 2026-03-31T23:59:59.999Z, not answered (5 days late)"


def test_answer_then_expiring_soon_then_lapsed_on_revocation(world: World) -> None:
    request(world)
    certify(world, "C-CAST", customers=[T1], to="2026-05-31")
    doc = world.h.submit(world.certifier(T2), "AnswerCertificationRequest", "RQ-1", "C-CAST")
    assert doc["answer"]["cert_id"] == "C-CAST"
    assert doc["answer"]["by"] == "certifier@CastCoMSP"
    assert doc["status"]["status"] == "answered"
    assert doc["status"]["certification"]["status"] == "valid"
    assert world.h.events[-1] == (
        "CertificationRequestAnswered",
        {"request_id": "RQ-1", "requester_msp": T1, "supplier_msp": T2, "cert_id": "C-CAST"},
    )
    world.h.advance(days=60)  # 2026-05-01: 30 days left
    status = world.h.evaluate(world.m(T1, "compliance"), "GetCertificationRequest", "RQ-1")["status"]
    assert status["status"] == "expiring_soon"
    assert status["reason"] == "certification C-CAST expires 2026-05-31 (in 30 days)"
    world.h.submit(world.certifier(T2), "RevokeCertification", "C-CAST", "audit failed")
    status = world.h.evaluate(world.m(T1, "compliance"), "GetCertificationRequest", "RQ-1")["status"]
    assert status["status"] == "lapsed"
    assert status["reason"].startswith("certification C-CAST is revoked: revoked at 2026-05-01T12:00:00.000Z")
    certify(world, "C-CAST-2", customers=[T1, OEM])
    doc = world.h.submit(world.certifier(T2), "AnswerCertificationRequest", "RQ-1", "C-CAST-2")
    assert doc["status"]["status"] == "answered"
    assert [a["cert_id"] for a in doc["previous_answers"]] == ["C-CAST"]


@pytest.mark.parametrize("role", ["admin", "compliance", "station", "auditor"])
def test_only_the_suppliers_certifier_answers(world: World, role: str) -> None:
    request(world)
    certify(world, "C-CAST", customers=[T1])
    err = world.h.error(world.m(T2, role), "AnswerCertificationRequest", "RQ-1", "C-CAST")
    assert isinstance(err, Forbidden)
    assert err.message == (
        f"{role} '{role}@CastCoMSP' of CastCoMSP may not answer certification requests: needs role certifier"
    )


def test_answer_rules_name_the_certification(world: World) -> None:
    request(world)
    certify(world, "C-OEM-ONLY", customers=[OEM])
    certify(world, "C-TIER", customers=[OEM], msp=T1)
    certify(world, "C-OK", customers=[T1])
    sup = world.certifier(T2)
    err = world.h.error(world.certifier(T1), "AnswerCertificationRequest", "RQ-1", "C-TIER")
    assert isinstance(err, Forbidden)
    assert err.message == "TierOneMSP may not answer certification request RQ-1: it is addressed to CastCoMSP"
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-1", "C-TIER")
    assert isinstance(err, Forbidden)
    assert err.message == "CastCoMSP may not answer with certification C-TIER: it was issued by TierOneMSP"
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-1", "C-OEM-ONLY")
    assert isinstance(err, ValidationError)
    assert err.message == "certification C-OEM-ONLY is not addressed to TierOneMSP (customers: OemMSP)"
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-1", "C-NONE")
    assert isinstance(err, NotFound)
    assert err.message == "certification C-NONE does not exist"
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-404", "C-OK")
    assert isinstance(err, NotFound)
    assert err.message == "certification request RQ-404 does not exist"
    world.h.submit(sup, "RevokeCertification", "C-OK", "wrong figures")
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-1", "C-OK")
    assert isinstance(err, Conflict)
    assert err.message.startswith("certification C-OK is revoked: revoked at 2026-03-02T12:00:00.000Z")
    certify(world, "C-OK-2", customers=[T1])
    world.h.submit(sup, "AnswerCertificationRequest", "RQ-1", "C-OK-2")
    err = world.h.error(sup, "AnswerCertificationRequest", "RQ-1", "C-OK-2")
    assert err.message == "certification request RQ-1 is already answered with certification C-OK-2"


def test_answer_must_cover_the_requested_part_type(world: World) -> None:
    world.h.submit(
        world.admin(T2),
        "RegisterPartType",
        {
            "part_number": "PT-2",
            "description": "another",
            "hs_code": "8708.40",
            "usmca_category": "other",
            "unit": "EA",
        },
    )
    request(world, part_type="CastCoMSP:PT-2")
    certify(world, "C-CAST", customers=[T1])
    err = world.h.error(world.certifier(T2), "AnswerCertificationRequest", "RQ-1", "C-CAST")
    assert isinstance(err, ValidationError)
    assert (
        err.message
        == "certification C-CAST covers part type CastCoMSP:PT-CAS, but request RQ-1 asks for CastCoMSP:PT-2"
    )


def test_cancel_by_requester_only_and_once(world: World) -> None:
    request(world)
    err = world.h.error(world.m(T2, "admin"), "CancelCertificationRequest", "RQ-1", "no")
    assert isinstance(err, Forbidden)
    assert err.message == "CastCoMSP may not cancel certification request RQ-1: it was made by TierOneMSP"
    err = world.h.error(world.m(T1, "certifier"), "CancelCertificationRequest", "RQ-1", "no")
    assert isinstance(err, Forbidden)
    err = world.h.error(world.m(T1, "admin"), "CancelCertificationRequest", "RQ-1", " ")
    assert err.message == "cancellation reason ' ' must be 1-512 characters"
    doc = world.h.submit(world.m(T1, "admin"), "CancelCertificationRequest", "RQ-1", "part dropped")
    assert doc["status"]["status"] == "cancelled"
    assert doc["status"]["reason"] == "cancelled at 2026-03-02T12:00:00.000Z: part dropped"
    err = world.h.error(world.m(T1, "admin"), "CancelCertificationRequest", "RQ-1", "again")
    assert isinstance(err, Conflict)
    certify(world, "C-CAST", customers=[T1])
    err = world.h.error(world.certifier(T2), "AnswerCertificationRequest", "RQ-1", "C-CAST")
    assert err.message == "certification request RQ-1 was cancelled at 2026-03-02T12:00:00.000Z"


def test_lists_by_side(world: World) -> None:
    request(world, "RQ-1")
    world.h.submit(
        world.m(OEM, "compliance"),
        "RequestCertification",
        {"request_id": "RQ-OEM", "supplier_msp": T1, "part_type": "TierOneMSP:PT-TIE", "due_date": "2026-06-30"},
    )
    reader = world.m(T1, "certifier")
    assert [d["request_id"] for d in world.h.evaluate(reader, "ListCertificationRequests", T1, "requester")] == ["RQ-1"]
    assert [d["request_id"] for d in world.h.evaluate(reader, "ListCertificationRequests", T1, "supplier")] == [
        "RQ-OEM"
    ]
    received = world.h.evaluate(reader, "ListCertificationRequests", T2, "supplier")
    assert [(d["request_id"], d["status"]["status"]) for d in received] == [("RQ-1", "open")]
    assert world.h.evaluate(reader, "ListCertificationRequests", OEM, "supplier") == []
    err = world.h.eval_error(reader, "ListCertificationRequests", T1, "buyer")
    assert isinstance(err, ValidationError)
    assert err.message == "side 'buyer' is not one of requester, supplier"
    err = world.h.eval_error(make_member(T1, "anon", None), "ListCertificationRequests", T1, "supplier")
    assert isinstance(err, Forbidden)
