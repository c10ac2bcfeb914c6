"""Issue 5 end to end, through a real uvicorn server on 127.0.0.1: foundry to vehicle, certificate, report, audit.

Tier-3 casts and certifies; Tier-2 machines the castings into case assemblies and certifies with lineage; Tier-1
builds transmissions and certifies relying on Tier-2; the OEM builds vehicles with a transmission and a control
unit nobody certified. Stations scan at every step. The OEM computes RVC from the ledger and its own prices,
issues a certificate of origin (PDF) and a compliance report; the auditor verifies the certificate and the
Tier-2 cost opening; revoking the Tier-3 certification flips every downstream status and the vehicle's RVC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import zxingcpp

from tests.api.conftest import ApiServer, path_uid
from tests.api.origin_fixtures import (  # noqa: F401 - fixtures
    AUDIT,
    BLANKET,
    CERTIFIER,
    OEM,
    TIER1,
    TIER2,
    TIER3,
    TODAY,
    VEHICLE_FIGURES,
    assemble,
    certify,
    chain_server_fixture,
    chain_template_fixture,
    commission,
    move,
    ok,
    part_type,
    pdf_page_png,
    scan,
)


def test_foundry_to_vehicle_certificate_report_audit_and_revocation(chain_server: ApiServer, tmp_path: Any) -> None:
    api = chain_server
    # Tier-3 registers and certifies castings: NC (280 - 80) / 280 = 71.43 % >= 71.4 claimed.
    cast_t = part_type(api, TIER3, "CAST-RAW", "8708.40")
    certify(api, TIER3, cast_t, "C-T3-CAST", "71.4", "28.6", {"total_cost": "280", "vnm": "80"}, [], TIER2)
    castings = commission(api, TIER3, cast_t, 2)
    move(api, TIER3, TIER2, castings, "ASN-T3-1")
    # Tier-2 machines each casting into a case assembly and certifies relying on the Tier-3 certification.
    case_t = part_type(api, TIER2, "CASE-MACH", "8708.40")
    certify(api, TIER2, case_t, "C-T2-CASE", "75", "25", {"total_cost": "400", "vnm": "100"}, ["C-T3-CAST"], TIER1)
    cases = commission(api, TIER2, case_t, 2)
    for case, casting in zip(cases, castings, strict=True):
        assemble(api, TIER2, case, [casting])
    move(api, TIER2, TIER1, cases, "ASN-T2-1")
    # Tier-1 builds transmissions (a core part) and certifies with lineage; it also sells an uncertified ECU.
    tx_t = part_type(api, TIER1, "TX-8", "8708.40", "core_part", "transmission")
    ecu_t = part_type(api, TIER1, "ECU-1", "8537.10")
    certify(api, TIER1, tx_t, "C-T1-TX", "76.3", "23.7", {"total_cost": "1900", "vnm": "450"}, ["C-T2-CASE"], OEM)
    transmissions = commission(api, TIER1, tx_t, 2)
    ecus = commission(api, TIER1, ecu_t, 2)
    for t, case in zip(transmissions, cases, strict=True):
        assemble(api, TIER1, t, [case])
    move(api, TIER1, OEM, transmissions + ecus, "ASN-T1-1")
    # The OEM builds vehicles and keeps its own prices private.
    veh_t = part_type(api, OEM, "VEH-1", "8703.23")
    vehicles = commission(api, OEM, veh_t, 2)
    for v, t, e in zip(vehicles, transmissions, ecus, strict=True):
        assemble(api, OEM, v, [t, e])
    scan(api, OEM, vehicles, "inspecting")
    oem = api.client(OEM, "compliance")
    for pt, price in ((tx_t, "2000"), (ecu_t, "500"), (veh_t, "20000")):
        ok(oem.put(f"/v1/private/prices/{pt}", json={"unit_price": price}))

    # RVC from the ledger. The transmission is an originating core part: under core_part_rollup=us its
    # certified non-originating share stays in VNM: 2000 x 23.7 % = 474. The ECU has no certification: origin
    # unknown, 500 in VNM. VNM = 974; RVC = (20000 - 974) / 20000 x 100 = 95.13 % >= 75.
    origin = ok(oem.get(f"/v1/origin/parts/{path_uid(vehicles[0])}"))
    answer = origin["answer"]
    assert Decimal(answer["vnm"]) == Decimal(974)
    assert Decimal(answer["rvc"]) == Decimal("95.13")
    assert answer["missing_evidence"] == [ecus[0]]
    statuses = {e["uid"]: (e["status"], e["cert_id"]) for e in origin["evidence"]}
    assert statuses == {transmissions[0]: ("valid", "C-T1-TX"), ecus[0]: ("missing", None)}

    # The OEM's certifier issues the certificate of origin with the figures the ledger does not hold.
    created = ok(api.client(OEM, "certifier").post("/v1/certificates", json={
        "uid": vehicles[0], "extra": VEHICLE_FIGURES,
        "parties": {"certifier": CERTIFIER, "blanket_period": {"from": BLANKET["from"], "to": BLANKET["to"]}}}), 201)  # fmt: skip
    cid = created["certificate"]["certificate_id"]
    assert created["certificate"]["goods"][0]["hs"] == "8703.23"
    assert created["certificate"]["goods"][0]["qualification"]["rvc"] == "95.13"
    pdf = api.client(OEM, "compliance").get(f"/v1/certificates/{cid}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    png = pdf_page_png(pdf.content, tmp_path / "certificate")
    decoded = [r.text for r in zxingcpp.read_barcodes(png) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert decoded == [created["verify_url"]]
    # The compliance report of the vehicle: the ECU is a missing certification.
    report = ok(oem.get(f"/v1/reports/vehicles/{path_uid(vehicles[0])}"))
    assert report["rvc"] == "95.13"
    assert [(i["supplier"], i["issue"]) for i in report["supplier_issues"]] == [(TIER1, "missing")]
    csv_text = oem.get(f"/v1/reports/vehicles/{path_uid(vehicles[0])}", params={"format": "csv"}).text
    assert csv_text.startswith("section,name,passed,value,required,detail")

    # The auditor verifies the certificate (the PDF itself) and the Tier-2 cost opening.
    auditor = api.client(AUDIT, "auditor")
    verdict = ok(
        auditor.post("/v1/certificates/verify", content=pdf.content, headers={"content-type": "application/pdf"})
    )
    assert verdict["valid"] is True and verdict["reasons"] == []
    assert ok(api.client().get(decoded[0].removeprefix(api.base_url)))["valid"] is True
    opening = ok(api.client(TIER2, "certifier").get("/v1/certifications/C-T2-CASE/opening"))
    assert ok(auditor.post("/v1/audit/openings/verify", json=opening))["matches"] is True

    # Revoking the Tier-3 certification flips everything downstream.
    ok(api.client(TIER3, "certifier").post("/v1/certifications/C-T3-CAST/revoke", json={"reason": "audit failed"}))
    assert ok(oem.get("/v1/certifications/C-T1-TX"))["status"]["status"] == "upstream_invalid"
    assert (
        ok(api.client(TIER1, "compliance").get("/v1/certifications/C-T2-CASE"))["status"]["status"]
        == "upstream_invalid"
    )
    # Now the transmission's origin is unknown: VNM = 2000 + 500 = 2500; RVC = 17500 / 20000 = 87.5 %.
    after = ok(oem.get(f"/v1/origin/parts/{path_uid(vehicles[0])}"))["answer"]
    assert Decimal(after["vnm"]) == Decimal(2500) and Decimal(after["rvc"]) == Decimal("87.5")
    assert sorted(after["missing_evidence"]) == sorted([transmissions[0], ecus[0]])
    report = ok(oem.get(f"/v1/reports/vehicles/{path_uid(vehicles[0])}"))
    assert {(i["material"], i["issue"]) for i in report["supplier_issues"]} == {
        (transmissions[0], "upstream_invalid"), (ecus[0], "missing")}  # fmt: skip
    line = ok(oem.get(f"/v1/reports/model-lines/{veh_t}", params={"from": TODAY.isoformat(), "to": TODAY.isoformat()}))
    assert line["vehicles"] == 2 and Decimal(line["rvc"]) == Decimal("87.5")
