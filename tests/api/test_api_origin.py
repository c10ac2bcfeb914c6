"""Origin and compliance-report routes through the real server (hand-checked figures from ``small_chain``)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from api.compliance.gather import LedgerOrigin
from api.origin import answer_json, qualify
from ledger.readmodel.builder import READMODEL_FILE, ReadModel
from ledger.readmodel.queries import Queries
from tests.api.certs_fixtures import problem
from tests.api.conftest import ApiServer, path_uid
from tests.api.origin_fixtures import (  # noqa: F401 - fixtures
    AUDIT,
    OEM,
    SEAT_REQUEST,
    TIER1,
    TODAY,
    chain_server_fixture,
    chain_template_fixture,
    ok,
    pdf_page_png,
    small_chain,
)


def test_qualify_is_the_library_contract(chain_server: ApiServer) -> None:
    resp = chain_server.client(TIER1, "station1").post("/v1/origin/qualify", json=SEAT_REQUEST)
    assert json.dumps(ok(resp), sort_keys=True, indent=2, ensure_ascii=False) == answer_json(qualify(SEAT_REQUEST))
    problem(httpx.post(chain_server.base_url + "/v1/origin/qualify", json=SEAT_REQUEST), 401)
    bad = chain_server.client(OEM, "compliance").post("/v1/origin/qualify", json={**SEAT_REQUEST, "method": "XX"})
    assert problem(bad, 422)["field"] == "method"


def test_part_origin_from_the_ledger_and_who_may_ask(chain_server: ApiServer) -> None:
    chain = small_chain(chain_server)
    url = f"/v1/origin/parts/{path_uid(chain['vehicle'])}"
    got = ok(chain_server.client(OEM, "certifier").get(url, params={"as_of": TODAY.isoformat()}))
    # Transmission: originating core part, 2000 x 23.7 % = 474 in VNM; ECU: no certification, 500 in VNM.
    # RVC = (20000 - 974) / 20000 x 100 = 95.13 % (threshold 75 for a passenger vehicle in 2026).
    assert (got["answer"]["vnm"], got["answer"]["rvc"], got["answer"]["threshold"]) == ("974", "95.13", "75")
    assert got["answer"]["missing_evidence"] == [chain["ecu"]]
    assert {e["uid"]: e["status"] for e in got["evidence"]} == {chain["transmission"]: "valid", chain["ecu"]: "missing"}
    rvc_test = next(t for t in got["answer"]["tests"] if t["name"] == "rvc")
    assert rvc_test["passed"] is True
    core = next(t for t in got["answer"]["tests"] if t["name"] == "core_parts")
    assert core["passed"] is False  # the ledger holds no engine, body, axle... figures
    # Tier-1 neither produced nor owns the vehicle; the auditor has no prices; a station may not compute.
    assert problem(chain_server.client(TIER1, "compliance").get(url), 404)["detail"] == (
        f"part {chain['vehicle']} does not exist"
    )
    problem(chain_server.client(OEM, "station1").get(url), 403)
    problem(chain_server.client(AUDIT, "auditor").get(url), 403)


def test_vehicle_report_formats_and_model_line(chain_server: ApiServer, tmp_path: Any) -> None:
    chain = small_chain(chain_server)
    oem = chain_server.client(OEM, "compliance")
    url = f"/v1/reports/vehicles/{path_uid(chain['vehicle'])}"
    report = ok(oem.get(url))
    assert (report["kind"], report["rvc"], report["vehicles"]) == ("vehicle", "95.13", 1)
    assert [(i["supplier"], i["material"], i["issue"]) for i in report["supplier_issues"]] == [
        (TIER1, chain["ecu"], "missing")
    ]
    csv = oem.get(url, params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "summary,qualifies,no,95.13,75," in csv.text
    pdf = oem.get(url, params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert pdf_page_png(pdf.content, tmp_path / "report").size[0] > 1000
    line_url = f"/v1/reports/model-lines/{chain['vehicle_type']}"
    day = TODAY.isoformat()
    line = ok(oem.get(line_url, params={"from": day, "to": day}))
    assert (line["kind"], line["vehicles"], Decimal(line["rvc"])) == ("model_line", 1, Decimal("95.13"))
    empty = oem.get(line_url, params={"from": "2020-01-01", "to": "2020-01-31"})
    assert problem(empty, 422)["detail"] == (
        f"no vehicle of model line {chain['vehicle_type']!r} produced between 2020-01-01 and 2020-01-31"
    )
    problem(chain_server.client(OEM, "certifier").get(url), 403)


def test_batched_trees_equal_one_by_one(chain_server: ApiServer) -> None:
    chain = small_chain(chain_server)
    model = ReadModel(chain_server.home / READMODEL_FILE)
    lo = LedgerOrigin(model, chain_server.home, OEM)
    uids = [chain["vehicle"], chain["transmission"], chain["ecu"]]
    batched = lo.trees(uids)
    assert {u: t.as_dict() for u, t in batched.items()} == {u: Queries(model).as_built_down(u).as_dict() for u in uids}
    assert [c.uid for c in batched[chain["vehicle"]].children] == sorted([chain["transmission"], chain["ecu"]])
    day = TODAY
    assert list(lo.vehicle_inputs([chain["vehicle"]], as_of=day, on=day)) == [
        lo.vehicle_input(chain["vehicle"], as_of=day, on=day)
    ]
