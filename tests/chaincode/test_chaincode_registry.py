"""RegisterOrg, RegisterSite, RegisterStation and the registry reads."""

from __future__ import annotations

import pytest
from chaincode_harness import OEM, T1, T2, Harness, World, make_member, org_doc

from ledger.errors import Conflict, Forbidden, NotFound, ValidationError


@pytest.fixture
def admin1():
    return make_member("Org1MSP", "admin@org1", "admin")


def test_register_org_by_its_admin(h: Harness, admin1) -> None:
    doc = h.submit(admin1, "RegisterOrg", {**org_doc(T1), "gs1_prefixes": ["0614141", "0700000"]})
    assert doc["msp_id"] == "Org1MSP"
    assert doc["duns"] == "150483782"
    assert doc["gs1_prefixes"] == ["0614141", "0700000"]
    assert h.evaluate(admin1, "GetOrg", "Org1MSP") == doc
    assert h.events[-1] == ("OrgRegistered", {"msp_id": "Org1MSP", "updated": False})


def test_update_keeps_registration_time_and_releases_dropped_prefix(h: Harness, admin1) -> None:
    first = h.submit(admin1, "RegisterOrg", {**org_doc(T1), "gs1_prefixes": ["0614141", "0700000"]})
    h.advance(hours=1)
    second = h.submit(admin1, "RegisterOrg", {**org_doc(T1), "gs1_prefixes": ["0614141"], "legal_name": "New"})
    assert second["registered_at"] == first["registered_at"]
    assert second["updated_at"] != first["updated_at"]
    other = make_member("Org2MSP", "admin@org2", "admin")
    assert h.submit(other, "RegisterOrg", {**org_doc(T2), "gs1_prefixes": ["0700000"]})["gs1_prefixes"] == ["0700000"]


@pytest.mark.parametrize(
    ("role", "msp_field", "message"),
    [
        (
            "station",
            None,
            "station 'x@org1' of Org1MSP may not register organization Org1MSP: needs role admin",
        ),
        (
            "certifier",
            None,
            "certifier 'x@org1' of Org1MSP may not register organization Org1MSP: needs role admin",
        ),
        ("admin", "Org2MSP", "Org1MSP may not register organization Org2MSP: only Org2MSP may"),
    ],
)
def test_register_org_denied(h: Harness, role: str, msp_field: str | None, message: str) -> None:
    caller = make_member("Org1MSP", "x@org1", role)
    body = org_doc(T1) if msp_field is None else {**org_doc(T1), "msp_id": msp_field}
    err = h.error(caller, "RegisterOrg", body)
    assert isinstance(err, Forbidden)
    assert err.message == message


def test_certificate_without_role_is_refused(h: Harness) -> None:
    err = h.error(make_member("Org1MSP", "norole", None), "RegisterOrg", org_doc(T1))
    assert isinstance(err, Forbidden)
    assert err.message == "certificate of Org1MSP carries no usmca.role attribute"


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("0614141", "GS1 company prefix 0614141 is registered to Org2MSP"),
        ("06141415", "GS1 company prefix 06141415 lies inside prefix 0614141 registered to Org2MSP"),
        ("061414", "GS1 company prefix 061414 contains prefix 0614141 registered to Org2MSP"),
    ],
)
def test_prefix_claimed_by_another_org_is_a_conflict(h: Harness, admin1, prefix: str, message: str) -> None:
    h.submit(make_member("Org2MSP", "a2", "admin"), "RegisterOrg", {**org_doc(T2), "gs1_prefixes": ["0614141"]})
    err = h.error(admin1, "RegisterOrg", {**org_doc(T1), "gs1_prefixes": [prefix]})
    assert isinstance(err, Conflict)
    assert err.message == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tier": "tier4"}, "org tier 'tier4' is not one of oem, tier1, tier2, tier3, auditor"),
        ({"country": "Mexico"}, "org country 'Mexico' is not an ISO 3166-1 alpha-2 code such as 'MX'"),
        ({"gs1_prefixes": ["06A4141"]}, "GS1 company prefix '06A4141' must have 4-12 digits"),
        ({"gs1_prefixes": ["0614141", "06141412"]}, "GS1 company prefixes 0614141 and 06141412 overlap"),
        ({"duns": "12345"}, "DUNS number '12345' must have 9 digits"),
        ({"legal_name": "  "}, "org legal_name '  ' must not be blank"),
        ({"legal_name": None}, "org is missing required field 'legal_name'"),
        ({"website": "x"}, "org has unknown field 'website'"),
    ],
)
def test_register_org_validation(h: Harness, admin1, change: dict, message: str) -> None:
    err = h.error(admin1, "RegisterOrg", {**org_doc(T1), **change})
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_register_org_malformed_json(h: Harness, admin1) -> None:
    err = h.error(admin1, "RegisterOrg", "{not json")
    assert err.kind == "parse_error"
    assert err.message.startswith("org is not valid JSON: Expecting property name")


def test_register_site_and_station(world: World) -> None:
    h, admin = world.h, world.admin(T1)
    site = h.submit(
        admin,
        "RegisterSite",
        {
            "site_id": "monterrey",
            "name": "MTY",
            "address": "Av 1",
            "country": "MX",
            "gln": "0614141000012",
            "lat": "25.6866",
            "lon": -100,
        },
    )
    assert (site["lat"], site["lon"], site["gln"]) == ("25.6866", "-100", "0614141000012")
    station = h.submit(
        admin,
        "RegisterStation",
        {
            "station_id": "mty-1",
            "site_id": "monterrey",
            "read_point": "urn:epc:id:sgln:0614141.00001.0",
            "default_biz_step": "urn:epcglobal:cbv:bizstep:receiving",
        },
    )
    assert station["default_biz_step"] == "receiving"
    got = h.evaluate(world.m(OEM, "auditor"), "GetSite", T1, "monterrey")
    assert [s["station_id"] for s in got["stations"]] == ["mty-1"]
    assert [s["site_id"] for s in h.evaluate(world.m(T2, "compliance"), "ListSites", T1)] == [
        "monterrey",
        "toledo",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gln": "0614141000013"}, "GLN 0614141000013 has check digit 3, expected 2"),
        ({"lat": "91"}, "site lat '91' is outside -90..90"),
        ({"lon": 12.5}, "site lon 12.5 is a float; use a decimal string"),
        ({"lat": "12,5"}, "site lat '12,5' is not a decimal string such as '12.5'"),
        (
            {"site_id": " padded"},
            "site site_id ' padded' must be 1-128 printable characters without surrounding blanks",
        ),
    ],
)
def test_register_site_validation(world: World, change: dict, message: str) -> None:
    body = {"site_id": "s2", "name": "n", "address": "a", "country": "US", "lat": "1", "lon": "2", **change}
    err = world.h.error(world.admin(T1), "RegisterSite", body)
    assert isinstance(err, ValidationError)
    assert err.message == message


def test_register_site_denied_and_requires_registered_org(h: Harness, world: World) -> None:
    body = {"site_id": "s2", "name": "n", "address": "a", "country": "US", "lat": "1", "lon": "2"}
    err = h.error(world.station(T1), "RegisterSite", body)
    assert isinstance(err, Forbidden)
    err = h.error(make_member("NewMSP", "admin@new", "admin"), "RegisterSite", body)
    assert isinstance(err, NotFound)
    assert err.message == "organization NewMSP is not registered (RegisterOrg first)"


def test_register_station_rules(world: World) -> None:
    h = world.h
    body = {"station_id": "st-2", "site_id": "toledo", "read_point": "urn:x:rp"}
    err = h.error(world.certifier(T1), "RegisterStation", body)
    assert isinstance(err, Forbidden)
    err = h.error(world.admin(T2), "RegisterStation", body)
    assert isinstance(err, NotFound)
    assert err.message == "site toledo of CastCoMSP does not exist"
    err = h.error(world.admin(T1), "RegisterStation", {**body, "read_point": "line 1"})
    assert err.message == "station read_point 'line 1' is not an absolute URI"
    err = h.error(world.admin(T1), "RegisterStation", {**body, "default_biz_step": "welding"})
    assert err.message == "bizStep 'welding' is neither a CBV 2.0 business step nor an absolute URI"


def test_reads_need_a_role_and_name_missing_records(world: World) -> None:
    h = world.h
    assert [o["msp_id"] for o in h.evaluate(world.m(T2, "auditor"), "ListOrgs")] == [T2, OEM, T1]
    err = h.eval_error(world.m(T2, "auditor"), "GetOrg", "GhostMSP")
    assert isinstance(err, NotFound)
    assert err.message == "organization GhostMSP is not registered (RegisterOrg first)"
    err = h.eval_error(world.m(T2, "auditor"), "GetSite", T1, "nowhere")
    assert isinstance(err, NotFound)
    assert err.message == "site nowhere of TierOneMSP does not exist"
    with pytest.raises(Forbidden):
        h.evaluate(make_member(T1, "anon", None), "ListOrgs")
