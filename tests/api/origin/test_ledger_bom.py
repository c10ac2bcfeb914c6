"""build_request: the qualify request of a part as its producer sees the ledger (pure; hand-checked figures)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from api.compliance.ledger_bom import build_request, pick_certification
from api.origin import qualify
from ledger.errors import ValidationError

AS_OF = dt.date(2026, 11, 23)
TYPES = {
    "OemMSP:CAR": {"id": "OemMSP:CAR", "hs_code": "870323", "usmca_category": "other", "description": "Sedan"},
    "OemMSP:BODY": {"id": "OemMSP:BODY", "hs_code": "870829", "usmca_category": "other", "description": "Body"},
    "T1MSP:TX": {"id": "T1MSP:TX", "hs_code": "870840", "usmca_category": "core_part", "core_family": "transmission",
                 "description": "Transmission"},
    "T2MSP:SEAT": {"id": "T2MSP:SEAT", "hs_code": "940120", "usmca_category": "principal", "description": "Seat"},
    "T3MSP:BOLT": {"id": "T3MSP:BOLT", "hs_code": "731815", "usmca_category": "other", "description": "Bolts"},
}  # fmt: skip


def part(uid: str, ptype: str, **more: Any) -> dict[str, Any]:
    producer = ptype.partition(":")[0]
    return {"uid": uid, "part_type": ptype, "producer_msp": producer, "production_date": "2026-10-09", "lot": "L1",
            **more}  # fmt: skip


def node(uid: str, ptype: str, *children: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"uid": uid, "part": part(uid, ptype, **more), "children": list(children)}


def cert(cid: str, ptype: str, share: str = "20", originating: bool = True, **more: Any) -> dict[str, Any]:
    return {"cert_id": cid, "part_type": ptype, "issuer_msp": ptype.partition(":")[0], "originating": originating,
            "non_originating_share": share, "issued_at": "2026-02-01T00:00:00.000Z", "upstream": [],
            "scope": {"kind": "blanket", "from": "2026-01-01", "to": "2026-12-31"}, "revocation": None,
            **more}  # fmt: skip


PRICES = {("OemMSP:CAR", ""): Decimal(20000), ("T1MSP:TX", ""): Decimal(2000), ("T2MSP:SEAT", ""): Decimal(400),
          ("T3MSP:BOLT", ""): Decimal(100)}  # fmt: skip


def car(*children: dict[str, Any]) -> dict[str, Any]:
    return node("car-1", "OemMSP:CAR", *children)


def build(tree: dict[str, Any], certs: dict[str, Any], **kw: Any) -> Any:
    args = {"requester": "OemMSP", "part_types": TYPES, "certs": certs, "visible": None, "prices": PRICES,
            "as_of": AS_OF} | kw  # fmt: skip
    return build_request(tree, **args)


def test_vehicle_from_certified_core_part_and_principal_part() -> None:
    tree = car(node("tx-1", "T1MSP:TX"), node("seat-1", "T2MSP:SEAT"))
    bom = build(tree, {"C-TX": cert("C-TX", "T1MSP:TX", "23.7"), "C-SEAT": cert("C-SEAT", "T2MSP:SEAT", "30")})
    req = bom.request
    assert req["good"] == {"description": "Sedan", "hs": "870323", "category": "pv_lt_vehicle", "end_use": "oe_pv_lt"}
    assert req["net_cost"] == "20000"
    # The transmission is an originating core part: 2000 x 23.7 % = 474 non-originating content stays in VNM
    # (core_part_rollup=us); the seat is originating and rolls up wholly.
    assert req["materials"][0] == {"id": "tx-1", "value": "2000", "origin": "originating", "supplier": "T1MSP",
                                        "description": "Transmission", "hs": "870840", "core_part": "transmission",
                                        "evidence": "C-TX", "non_originating_content": "474"}  # fmt: skip
    assert req["core_parts"] == [{"part": "transmission", "net_cost": "2000", "vnm": "474"}]
    answer = qualify(req)
    # RVC = (20000 - 474) / 20000 x 100 = 97.63
    assert Decimal(answer.vnm) == Decimal(474)
    assert Decimal(answer.rvc) == Decimal("97.63")
    assert answer.missing_evidence == []


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"revocation": {"at": "2026-06-01T00:00:00.000Z", "reason": "audit"}}, "revoked",
         "revoked at 2026-06-01T00:00:00.000Z: audit"),
        ({"scope": {"kind": "blanket", "from": "2025-10-01", "to": "2026-09-30"}}, "missing",
         "no certification of T2MSP:SEAT by T2MSP visible to OemMSP covers this part"),
        ({"upstream": ["C-GONE"]}, "upstream_invalid", "upstream certification C-GONE is not valid "
         "(certification C-GONE does not exist)"),
    ],
)  # fmt: skip
def test_certification_not_valid_makes_origin_unknown(change: dict[str, Any], status: str, reason: str) -> None:
    tree = car(node("seat-1", "T2MSP:SEAT"), node("bolts-1", "T3MSP:BOLT"))
    certs = {"C-SEAT": cert("C-SEAT", "T2MSP:SEAT", **change), "C-GONE": None}
    bom = build(tree, certs)
    seat = bom.evidence[0]
    assert (seat.origin, seat.status, seat.reasons) == ("unknown", status, (reason,))
    answer = qualify(bom.request)
    # Seat 400 unknown + bolts 100 uncertified: VNM = 500; RVC = (20000 - 500) / 20000 = 97.5 %.
    assert Decimal(answer.vnm) == Decimal(500) and Decimal(answer.rvc) == Decimal("97.5")
    assert answer.missing_evidence == ["seat-1", "bolts-1"]


def test_expired_judged_on_the_evaluation_date() -> None:
    tree = car(node("seat-1", "T2MSP:SEAT"))
    bom = build(tree, {"C-SEAT": cert("C-SEAT", "T2MSP:SEAT")}, on=dt.date(2027, 1, 5))
    assert bom.evidence[0].status == "expired"
    assert bom.evidence[0].reasons == ("expired: blanket period ended 2026-12-31",)


def test_certification_not_visible_to_the_requester_does_not_count() -> None:
    tree = car(node("seat-1", "T2MSP:SEAT"))
    bom = build(tree, {"C-SEAT": cert("C-SEAT", "T2MSP:SEAT")}, visible={"C-OTHER"})
    assert (bom.evidence[0].status, bom.request["materials"][0]["origin"]) == ("missing", "unknown")


def test_not_strict_keeps_the_claim_for_the_report_to_judge() -> None:
    revoked = cert("C-SEAT", "T2MSP:SEAT", revocation={"at": "2026-06-01T00:00:00.000Z", "reason": "audit"})
    bom = build(car(node("seat-1", "T2MSP:SEAT")), {"C-SEAT": revoked}, strict=False)
    assert bom.request["materials"][0]["origin"] == "originating"
    assert bom.evidence[0].status == "revoked"


def test_in_house_sub_assembly_is_opened_up_and_supplier_price_wins() -> None:
    body = node("body-1", "OemMSP:BODY", node("bolts-1", "T3MSP:BOLT"), node("bolts-2", "T3MSP:BOLT"))
    prices = PRICES | {("T3MSP:BOLT", "T3MSP"): Decimal("80.50")}
    bom = build(car(body), {}, prices=prices)
    assert [m["id"] for m in bom.request["materials"]] == ["bolts-1", "bolts-2"]
    assert [m["value"] for m in bom.request["materials"]] == ["80.5", "80.5"]
    assert bom.notes == ("in-house OemMSP:BODY body-1: its own components enter as materials",)


def test_in_house_part_without_components_or_certification_is_unknown() -> None:
    bom = build(car(node("body-1", "OemMSP:BODY")), {}, prices=PRICES | {("OemMSP:BODY", ""): Decimal(3000)})
    assert bom.evidence[0].status == "in_house"
    assert bom.request["materials"][0]["origin"] == "unknown"


def test_missing_price_names_part_type_supplier_and_part() -> None:
    with pytest.raises(ValidationError) as exc:
        build(car(node("seat-1", "T2MSP:SEAT")), {}, prices={("OemMSP:CAR", ""): Decimal(1)})
    assert exc.value.message == (
        "OemMSP has no purchase price for part type T2MSP:SEAT (supplier T2MSP, part seat-1); "
        "set it with PUT /v1/private/prices/T2MSP:SEAT"
    )


def test_missing_own_net_cost_is_refused_unless_given() -> None:
    prices = {k: v for k, v in PRICES.items() if k[0] != "OemMSP:CAR"}
    with pytest.raises(ValidationError, match="OemMSP has no price \\(net cost\\) for its own part type OemMSP:CAR"):
        build(car(node("seat-1", "T2MSP:SEAT")), {}, prices=prices)
    bom = build(car(node("seat-1", "T2MSP:SEAT")), {}, prices=prices, extra={"net_cost": "18000"})
    assert bom.request["net_cost"] == "18000"


def test_lot_scope_and_latest_valid_wins() -> None:
    p = part("seat-1", "T2MSP:SEAT", lot="L7")
    older = cert("C-1", "T2MSP:SEAT", scope={"kind": "lots", "lots": ["L7"]})
    newer = cert("C-2", "T2MSP:SEAT", scope={"kind": "lots", "lots": ["L7"]}, issued_at="2026-05-01T00:00:00.000Z")
    other_lot = cert("C-3", "T2MSP:SEAT", scope={"kind": "lots", "lots": ["L8"]}, issued_at="2026-09-01T00:00:00Z")
    chosen, status = pick_certification(p, {"C-1": older, "C-2": newer, "C-3": other_lot}, None, AS_OF)
    assert chosen is not None and chosen["cert_id"] == "C-2" and status is not None and status.valid


def test_unknown_root_is_refused() -> None:
    with pytest.raises(ValidationError, match="part ghost is not on the ledger"):
        build({"uid": "ghost", "part": None, "children": []}, {})
