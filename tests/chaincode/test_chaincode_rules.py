"""Pure rules under the transactions: field reading, GS1 and HS checks, travel speed, lineage status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincode import anomalies, lineage
from chaincode.anomalies import Point, Sighting
from chaincode.validate import (
    Fields,
    gs1_check_digit,
    normalize_gtin,
    normalize_hs_code,
    parse_list,
    parse_object,
)
from ledger.errors import ParseError, ValidationError

UTC = dt.UTC
MEXICO_CITY = Point("19.4326", "-99.1332")
DETROIT = Point("42.3314", "-83.0458")


@pytest.mark.parametrize(
    ("body", "digit"),
    [("0950600013435", 2), ("0061414112345", 2), ("400638133393", 1), ("629104150021", 3)],
)
def test_gs1_check_digit(body: str, digit: int) -> None:
    assert gs1_check_digit(body) == digit


@pytest.mark.parametrize(
    ("gtin", "expected"),
    [
        ("96385074", "00000096385074"),
        ("614141123452", "00614141123452"),
        ("10614141123459", "10614141123459"),
    ],
)
def test_normalize_gtin(gtin: str, expected: str) -> None:
    assert normalize_gtin(gtin) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("8708.40", "870840"),
        ("8708.40.11", "87084011"),
        ("8708 40 11 00", "8708401100"),
        ("010121", "010121"),
    ],
)
def test_hs_codes(code: str, expected: str) -> None:
    assert normalize_hs_code(code) == expected


@pytest.mark.parametrize("code", ["870", "8708401", "87084011001", "000000", "980000", "A70840"])
def test_bad_hs_codes(code: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalize_hs_code(code)
    assert repr(code) in info.value.message


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("[1]", ParseError, "org must be a JSON object, got list"),
        ("", ParseError, "org is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    ],
)
def test_parse_object_errors(text: str, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        parse_object(text, "org")
    assert info.value.message == message


def test_parse_list_limits() -> None:
    assert parse_list("[1,2]", "xs", max_items=2) == [1, 2]
    with pytest.raises(ValidationError, match="xs has 3 items, at most 2 allowed"):
        parse_list("[1,2,3]", "xs", max_items=2)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0", True),
        ("100", True),
        ("72.5", True),
        ("-0.1", False),
        ("100.01", False),
        ("1e2", False),
        (" 5", False),
        (7, True),
        (True, False),
    ],
)
def test_percent(value: Any, ok: bool) -> None:
    f = Fields({"p": value}, "x")
    if ok:
        assert f.percent("p") == str(value)
    else:
        with pytest.raises(ValidationError):
            f.percent("p")


def test_fields_refuse_unknown_and_nested_floats() -> None:
    f = Fields({"a": "x", "b": 1.5, "c": "y"}, "thing")
    assert f.text("a") == "x"
    with pytest.raises(ValidationError, match=r"thing b 1\.5 is a float; use a decimal string"):
        f.decimal("b")
    with pytest.raises(ValidationError, match="thing has unknown field 'c'"):
        f.done()


def test_distance_is_haversine() -> None:
    assert round(anomalies.distance_km(MEXICO_CITY, DETROIT)) == 2962
    assert anomalies.distance_km(DETROIT, DETROIT) == 0


def sighting(site: str, point: Point, minutes: float, msp: str = "M") -> Sighting:
    return Sighting(msp, site, point, dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("minutes", "flagged"),
    [(0, True), (60, True), (177, True), (179, False), (600, False), (-60, True), (-600, False)],
)
def test_travel_speed_threshold(minutes: float, flagged: bool) -> None:
    """2,962 km at 1,000 km/h takes 2 h 58 min: any faster is impossible, in either time order."""
    prev = sighting("mx", MEXICO_CITY, 0)
    here = sighting("det", DETROIT, minutes)
    assert (anomalies.travel_flag("urn:p", prev, here) is not None) is flagged


def test_same_site_and_nearby_sites_never_flag() -> None:
    assert anomalies.travel_flag("u", sighting("a", DETROIT, 0), sighting("a", MEXICO_CITY, 0)) is None
    near = Point("42.3320", "-83.0458")
    assert anomalies.travel_flag("u", sighting("a", DETROIT, 0), sighting("b", near, 0)) is None


@pytest.mark.parametrize(
    ("part", "msp", "flags"),
    [
        (None, "M", ["unknown_part"]),
        ({"status": "active", "owner_msp": "M"}, "M", []),
        ({"status": "active", "owner_msp": "N"}, "M", ["not_in_custody"]),
        ({"status": "in_transit", "owner_msp": "N", "shipment": {"to_msp": "M"}}, "M", []),
        ({"status": "in_transit", "owner_msp": "N", "shipment": {"to_msp": "X"}}, "M", ["not_in_custody"]),
        ({"status": "decommissioned", "owner_msp": "M"}, "M", ["decommissioned"]),
        ({"status": "consumed", "owner_msp": "M", "parent": "urn:p"}, "M", ["consumed"]),
    ],
)
def test_custody_flags(part: dict | None, msp: str, flags: list[str]) -> None:
    assert sorted(anomalies.custody_flags("urn:u", part, msp)) == flags


def cert(
    cid: str,
    *,
    issued: str = "2026-01-10",
    upstream: tuple[str, ...] = (),
    revoked: bool = False,
    scope: dict | None = None,
) -> dict[str, Any]:
    return {
        "cert_id": cid,
        "issued_at": f"{issued}T00:00:00.000Z",
        "scope": scope or {"kind": "lots", "lots": ["L"]},
        "upstream": list(upstream),
        "revocation": {"at": "2026-02-01T00:00:00.000Z", "reason": "r"} if revoked else None,
    }


def test_lineage_chain_and_diamond() -> None:
    certs = {
        "A": cert("A", upstream=("B", "C")),
        "B": cert("B", upstream=("D",)),
        "C": cert("C", upstream=("D",)),
        "D": cert("D", revoked=True),
    }
    status = lineage.evaluate("A", certs, dt.date(2026, 3, 1))
    assert status.status == "upstream_invalid"
    assert len(status.reasons) == 2
    assert all("upstream certification D is revoked" in r for r in status.reasons)
    assert lineage.evaluate("D", certs, dt.date(2026, 3, 1)).status == "revoked"


def test_lineage_missing_upstream_and_own_problem_wins() -> None:
    certs = {"A": cert("A", upstream=("Z",), revoked=True)}
    status = lineage.evaluate("A", certs, dt.date(2026, 3, 1))
    assert status.status == "revoked"
    assert status.reasons[1] == "upstream certification Z is not valid (certification Z does not exist)"


@pytest.mark.parametrize(
    ("issued", "today", "expected"),
    [
        ("2024-02-29", "2028-02-29", "valid"),
        ("2024-02-29", "2028-03-01", "expired"),
        ("2096-02-29", "2100-02-28", "valid"),
        ("2096-02-29", "2100-03-01", "expired"),
        ("2026-01-10", "2030-01-10", "valid"),
        ("2026-01-10", "2030-01-11", "expired"),
    ],
)
def test_four_year_limit(issued: str, today: str, expected: str) -> None:
    certs = {"A": cert("A", issued=issued)}
    assert lineage.evaluate("A", certs, dt.date.fromisoformat(today)).status == expected


@st.composite
def cert_dags(draw: st.DrawFn) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Certifications C0..Cn where Ci may rely on any Cj with j < i (the ledger only allows existing ids)."""
    n = draw(st.integers(min_value=1, max_value=8))
    certs: dict[str, dict[str, Any]] = {}
    bad: set[str] = set()
    for i in range(n):
        ups = draw(st.lists(st.integers(min_value=0, max_value=i - 1), max_size=3, unique=True)) if i else []
        revoked = draw(st.booleans())
        expired = draw(st.booleans())
        scope = {"kind": "blanket", "from": "2025-03-01", "to": "2025-12-31" if expired else "2026-12-31"}
        certs[f"C{i}"] = cert(f"C{i}", issued="2025-03-01", upstream=tuple(f"C{j}" for j in ups), revoked=revoked,
                              scope=scope)  # fmt: skip
        if revoked or expired:
            bad.add(f"C{i}")
    return certs, bad


def _closure(cid: str, certs: dict[str, dict[str, Any]]) -> set[str]:
    seen, todo = set(), [cid]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(certs[c]["upstream"])
    return seen


@given(cert_dags())
def test_lineage_valid_iff_nothing_in_the_closure_is_revoked_or_expired(dag) -> None:
    certs, bad = dag
    today = dt.date(2026, 3, 1)
    for cid in certs:
        status = lineage.evaluate(cid, certs, today)
        assert status.valid == (not (_closure(cid, certs) & bad))
        if not status.valid and cid not in bad:
            assert status.status == "upstream_invalid"
            assert any(f"upstream certification {u} " in r for u in certs[cid]["upstream"] for r in status.reasons)


GOOD_SCAN = {
    "uid": "urn:usmca:tieronemsp:S1",
    "station_id": "st-1",
    "read_point": "urn:usmca:rp:line1",
    "biz_step": "inspecting",
    "disposition": "in_progress",
    "event_time": "2026-03-02T12:00:00.250-06:00",
    "event_hash": "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0",
}
_odd_text = st.sampled_from(
    ["", " ", "x", " st-1", "st 1", "a\x00b", "urn:x", "urn:x y", "2026-03-02T12:00:00", "2026-03-02T12:00:00Z",
     "2026-13-02T12:00:00Z", "ni:///sha-256;" + "AB" * 32 + "?ver=CBV2.0", "x" * 600, "é"]
)  # fmt: skip
_values = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), _odd_text, st.text(max_size=12)
)


@given(
    st.dictionaries(st.sampled_from([*GOOD_SCAN, "extra"]), _values, max_size=4),
    st.booleans(),
)
def test_quick_scan_path_accepts_only_what_the_careful_path_accepts(changes: dict, drop: bool) -> None:
    from chaincode.contracts.scans import quick_scan_fields, scan_fields

    item = {**GOOD_SCAN, **changes}
    if drop:
        item = {k: v for k, v in item.items() if v is not None}
    quick = quick_scan_fields(item)
    try:
        careful = scan_fields(item, "scan")
    except ValidationError:
        assert quick is None
    else:
        assert quick is None or quick == careful


def test_quick_scan_path_takes_the_common_case() -> None:
    from chaincode.contracts.scans import quick_scan_fields, scan_fields

    assert quick_scan_fields(GOOD_SCAN) == scan_fields(GOOD_SCAN, "scan")
    minimal = {k: GOOD_SCAN[k] for k in ("uid", "station_id", "event_time", "event_hash")}
    assert quick_scan_fields(minimal) == scan_fields(minimal, "scan")
