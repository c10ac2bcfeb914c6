"""SubmitCertification, RevokeCertification, lineage status and the certification reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from chaincode_harness import OEM, T1, T2, World, make_member

from ledger.commitment import commit
from ledger.errors import Conflict, Forbidden, NotFound, ValidationError


def body(world: World, msp: str, cert_id: str, **change: Any) -> dict[str, Any]:
    doc = {
        "cert_id": cert_id,
        "part_type": world.part_type(msp),
        "issuer_msp": msp,
        "scope": {"kind": "blanket", "from": "2026-01-01", "to": "2026-12-31"},
        "origin_criterion": "B",
        "method": "NC",
        "rvc": "72.5",
        "originating": True,
        "non_originating_share": "27.5",
        "cost_commitment": commit({"total_cost": "100.00", "non_originating": "27.50"}).commitment(),
        "upstream": [],
        "customers": [OEM],
    }
    doc.update(change)
    return {k: v for k, v in doc.items() if v is not ...}


def signed(signer, doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "signature": signer.sign_b64(doc)}


def submit(world: World, msp: str, cert_id: str, **change: Any) -> dict[str, Any]:
    who = world.certifier(msp)
    return world.h.submit(who, "SubmitCertification", signed(who, body(world, msp, cert_id, **change)))


def test_submit_and_read_back_valid(world: World) -> None:
    doc = submit(world, T2, "CERT-CAST-1")
    assert doc["status"] == {
        "status": "valid",
        "valid": True,
        "reasons": [],
        "expires_at": "2026-12-31",
        "evaluated_at": "2026-03-02T12:00:00.000Z",
    }
    assert doc["issued_by"] == "certifier@CastCoMSP"
    assert doc["signer_cert"].startswith("-----BEGIN CERTIFICATE-----")
    assert world.h.events[-1] == (
        "CertificationSubmitted",
        {"cert_id": "CERT-CAST-1", "part_type": "CastCoMSP:PT-CAS", "issuer_msp": T2},
    )
    assert world.h.evaluate(world.m(OEM, "compliance"), "GetCertification", "CERT-CAST-1") == doc


def test_stored_body_reverifies_with_the_stored_certificate(world: World) -> None:
    from chaincode.contracts.certifications import SIGNED_FIELDS
    from ledger.canonical import canonical_json
    from ledger.identity.signing import verify_signature

    doc = submit(world, T2, "C1")
    signed_body = {k: doc[k] for k in SIGNED_FIELDS if k in doc}
    import base64

    sig = base64.b64decode(doc["signature"])
    assert verify_signature(doc["signer_cert"].encode(), canonical_json(signed_body), sig)


@pytest.mark.parametrize("role", ["admin", "station", "compliance", "auditor"])
def test_only_certifiers_submit(world: World, role: str) -> None:
    who = world.m(T2, role)
    err = world.h.error(who, "SubmitCertification", signed(who, body(world, T2, "C1")))
    assert isinstance(err, Forbidden)
    assert err.message == f"{role} '{role}@CastCoMSP' of CastCoMSP may not submit certifications: needs role certifier"


def test_certifier_of_another_org_is_refused(world: World) -> None:
    who = world.certifier(T1)
    err = world.h.error(who, "SubmitCertification", signed(who, body(world, T2, "C1")))
    assert err.message == "TierOneMSP may not submit certification C1 on behalf of CastCoMSP"
    err = world.h.error(who, "SubmitCertification", signed(who, body(world, T2, "C1", issuer_msp=T1)))
    assert isinstance(err, Forbidden)
    assert err.message == "TierOneMSP may not certify part type CastCoMSP:PT-CAS: it is produced by CastCoMSP"


def test_signature_must_be_the_callers_over_the_body(world: World) -> None:
    who = world.certifier(T2)
    doc = body(world, T2, "C1")
    err = world.h.error(who, "SubmitCertification", {**signed(who, doc), "rvc": "99"})
    assert isinstance(err, ValidationError)
    assert err.message == (
        "certification C1 signature does not verify against the certificate of 'certifier@CastCoMSP' of "
        "CastCoMSP (ECDSA P-256, SHA-256, low-S)"
    )
    impostor = make_member(T2, "other", "certifier")
    err = world.h.error(who, "SubmitCertification", signed(impostor, doc))
    assert err.field == "signature"
    err = world.h.error(who, "SubmitCertification", {**doc, "signature": "%%%"})
    assert err.message == "certification C1 signature '%%%' is not base64"
    err = world.h.error(who, "SubmitCertification", doc)
    assert err.message == "certification is missing required field 'signature'"
    err = world.h.error(who, "SubmitCertification", {**doc, "signature": 42})
    assert err.message == "certification signature 42 must be a base64 string"


def test_duplicate_id_is_a_conflict(world: World) -> None:
    submit(world, T2, "C1")
    err = world.h.error(world.certifier(T2), "SubmitCertification", signed(world.certifier(T2), body(world, T2, "C1")))
    assert isinstance(err, Conflict)
    assert err.message == "certification C1 already exists"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"scope": {"kind": "blanket", "from": "2026-01-01", "to": "2027-01-01"}},
            "blanket period 2026-01-01..2027-01-01 is longer than 12 months",
        ),
        (
            {"scope": {"kind": "blanket", "from": "2026-05-01", "to": "2026-04-30"}},
            "blanket period ends 2026-04-30 before it starts 2026-05-01",
        ),
        (
            {"scope": {"kind": "period"}},
            "certification scope kind 'period' is not one of blanket, lots, serials",
        ),
        ({"scope": {"kind": "lots", "lots": []}}, "certification scope lots [] must not be empty"),
        (
            {"scope": {"kind": "serials", "uids": ["S1"]}},
            "certification scope uid 'S1' is not an absolute URI",
        ),
        ({"origin_criterion": "E"}, "certification origin_criterion 'E' is not one of A, B, C, D"),
        ({"method": "XX"}, "certification method 'XX' is not one of TV, NC"),
        ({"rvc": "101"}, "certification rvc '101' is outside 0..100"),
        ({"method": None}, "certification rvc is given without a method (TV or NC)"),
        ({"originating": "yes"}, "certification originating 'yes' must be true or false"),
        ({"non_originating_share": "-1"}, "certification non_originating_share '-1' is outside 0..100"),
        ({"cost_commitment": "ABC"}, "certification cost_commitment 'ABC' is not 64 lower-case hex digits"),
        ({"breakdown": {"total": "1"}}, "certification has unknown field 'breakdown'"),
    ],
)
def test_certification_validation(world: World, change: dict, message: str) -> None:
    who = world.certifier(T2)
    err = world.h.error(who, "SubmitCertification", signed(who, body(world, T2, "C1", **change)))
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_float_figures_are_refused_before_the_signature_check(world: World) -> None:
    doc = {**body(world, T2, "C1", rvc=72.5), "signature": "AA=="}
    err = world.h.error(world.certifier(T2), "SubmitCertification", doc)
    assert isinstance(err, ValidationError)
    assert err.message == "certification rvc 72.5 is a float; use a decimal string"


def test_lots_scope_without_method_is_accepted(world: World) -> None:
    doc = submit(world, T2, "C1", scope={"kind": "lots", "lots": ["HEAT-7"]}, origin_criterion="A", method=..., rvc=...)
    assert doc["status"]["valid"] is True
    assert doc["status"]["expires_at"] == "2030-03-02"
    assert "method" not in doc


def test_upstream_and_customers_must_exist(world: World) -> None:
    err = world.h.error(
        world.certifier(T1),
        "SubmitCertification",
        signed(world.certifier(T1), body(world, T1, "T1-C", upstream=["NOPE"])),
    )
    assert isinstance(err, NotFound)
    assert err.message == "upstream certification NOPE does not exist"
    err = world.h.error(
        world.certifier(T1),
        "SubmitCertification",
        signed(world.certifier(T1), body(world, T1, "T1-C", customers=["GhostMSP"])),
    )
    assert err.message == "organization GhostMSP is not registered (RegisterOrg first)"


def test_revoked_upstream_breaks_the_chain(world: World) -> None:
    h = world.h
    submit(world, T2, "CAST-1")
    submit(world, T1, "TRANS-1", upstream=["CAST-1"])
    h.advance(days=10)
    revoked = h.submit(world.certifier(T2), "RevokeCertification", "CAST-1", "supplier audit failed")
    assert revoked["status"]["status"] == "revoked"
    assert revoked["status"]["reasons"] == ["revoked at 2026-03-12T12:00:00.000Z: supplier audit failed"]
    assert h.events[-1] == ("CertificationRevoked", {"cert_id": "CAST-1", "issuer_msp": T2})
    down = h.evaluate(world.m(OEM, "compliance"), "GetCertification", "TRANS-1")
    assert down["status"]["status"] == "upstream_invalid"
    assert down["status"]["valid"] is False
    assert down["status"]["reasons"] == [
        "upstream certification CAST-1 is revoked (revoked at 2026-03-12T12:00:00.000Z: supplier audit failed)"
    ]
    err = h.error(
        world.certifier(T1),
        "SubmitCertification",
        signed(world.certifier(T1), body(world, T1, "TRANS-2", upstream=["CAST-1"])),
    )
    assert isinstance(err, Conflict)
    assert err.message.startswith("upstream certification CAST-1 is revoked: revoked at 2026-03-12")


def test_transitive_expiry_names_the_upstream(world: World) -> None:
    h = world.h
    submit(world, T2, "CAST-1", scope={"kind": "blanket", "from": "2026-01-01", "to": "2026-03-31"})
    submit(world, T1, "TRANS-1", upstream=["CAST-1"])
    h.submit(
        world.admin(OEM),
        "RegisterPartType",
        {
            "part_number": "VEH",
            "description": "vehicle",
            "hs_code": "870323",
            "usmca_category": "other",
            "unit": "EA",
            "id": "VEH",
        },
    )
    oem_cert = body(world, OEM, "VEH-1", part_type="VEH", upstream=["TRANS-1"], customers=[])
    h.submit(world.certifier(OEM), "SubmitCertification", signed(world.certifier(OEM), oem_cert))
    h.now = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    status = h.evaluate(world.m(OEM, "auditor"), "GetCertification", "VEH-1")["status"]
    assert status["status"] == "upstream_invalid"
    assert status["reasons"] == [
        "upstream certification TRANS-1 is not valid (upstream certification CAST-1 is expired "
        "(expired: blanket period ended 2026-03-31))"
    ]
    own = h.evaluate(world.m(OEM, "auditor"), "GetCertification", "CAST-1")["status"]
    assert (own["status"], own["reasons"]) == ("expired", ["expired: blanket period ended 2026-03-31"])


def test_four_years_after_signing(world: World) -> None:
    submit(world, T2, "LOT-1", scope={"kind": "lots", "lots": ["L1"]})
    world.h.now = dt.datetime(2030, 3, 3, tzinfo=dt.UTC)
    status = world.h.evaluate(world.admin(T2), "GetCertification", "LOT-1")["status"]
    assert status["reasons"] == ["expired: 4 years after signing ended 2030-03-02"]


def test_revoke_rules(world: World) -> None:
    h = world.h
    submit(world, T2, "C1")
    err = h.error(world.certifier(T1), "RevokeCertification", "C1", "x")
    assert isinstance(err, Forbidden)
    assert err.message == "TierOneMSP may not revoke certification C1: it was issued by CastCoMSP"
    err = h.error(world.station(T2), "RevokeCertification", "C1", "x")
    assert isinstance(err, Forbidden)
    err = h.error(world.admin(T2), "RevokeCertification", "C1", "")
    assert err.message == "revocation reason '' must be 1-512 characters"
    err = h.error(world.admin(T2), "RevokeCertification", "C9", "x")
    assert isinstance(err, NotFound)
    assert err.message == "certification C9 does not exist"
    h.submit(world.admin(T2), "RevokeCertification", "C1", "superseded by C2")
    err = h.error(world.certifier(T2), "RevokeCertification", "C1", "again")
    assert isinstance(err, Conflict)
    assert err.message == "certification C1 was already revoked at 2026-03-02T12:00:00.000Z"


def test_list_by_part_type_and_by_org(world: World) -> None:
    h = world.h
    submit(world, T2, "C1")
    submit(world, T2, "C2", upstream=["C1"])
    submit(world, T1, "T1")
    h.submit(world.certifier(T2), "RevokeCertification", "C1", "withdrawn")
    by_type = h.evaluate(world.m(OEM, "auditor"), "ListCertificationsByPartType", world.part_type(T2))
    assert [(c["cert_id"], c["status"]["status"]) for c in by_type] == [
        ("C1", "revoked"),
        ("C2", "upstream_invalid"),
    ]
    by_org = h.evaluate(world.m(OEM, "auditor"), "ListCertificationsByOrg", T1)
    assert [(c["cert_id"], c["status"]["valid"]) for c in by_org] == [("T1", True)]
    assert h.evaluate(world.m(OEM, "auditor"), "ListCertificationsByOrg", OEM) == []
    with pytest.raises(Forbidden):
        h.evaluate(make_member(OEM, "anon", None), "ListCertificationsByOrg", T1)


def test_serial_scope_names_parts_of_the_certified_type(world: World) -> None:
    own = world.commission(T2, "C1")[0]
    other = world.commission(T1, "X1")[0]
    doc = submit(world, T2, "SER-1", scope={"kind": "serials", "uids": [own]})
    assert doc["scope"] == {"kind": "serials", "uids": [own]}
    who = world.certifier(T2)
    err = world.h.error(
        who, "SubmitCertification", signed(who, body(world, T2, "SER-2", scope={"kind": "serials", "uids": [other]}))
    )
    assert isinstance(err, ValidationError)
    assert err.message == f"certification scope part {other} is of part type TierOneMSP:PT-TIE, not CastCoMSP:PT-CAS"
    ghost = "urn:usmca:castcomsp:NONE"
    err = world.h.error(
        who, "SubmitCertification", signed(who, body(world, T2, "SER-3", scope={"kind": "serials", "uids": [ghost]}))
    )
    assert isinstance(err, NotFound)
    assert err.message == f"certification scope part {ghost} was never commissioned"
