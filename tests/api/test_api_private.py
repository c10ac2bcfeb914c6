"""/v1/private: each org's own prices and cost breakdowns, through a real server; never another org's."""

from __future__ import annotations

from api.private.store import PrivateStore
from ledger.commitment import commit
from tests.api.certs_fixtures import (
    CAST,
    OEM,
    SUPPLIER,
    TIER1,
    TRANS,
    cert_body,
    post_cert,
    problem,
    ready,
)
from tests.api.conftest import ApiServer


def test_prices_replace_read_update_delete(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    oem = certs_api.client(OEM, "compliance")
    assert oem.get("/v1/private/prices").json() == {"msp_id": OEM, "prices": []}
    resp = oem.put(
        "/v1/private/prices",
        json={"prices": [{"part_type": TRANS, "unit_price": "2140.00"},
                         {"part_type": CAST, "unit_price": "300", "supplier_msp": SUPPLIER, "currency": "cad"}]},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["prices"] == [
        {"part_type": CAST, "supplier_msp": SUPPLIER, "unit_price": "300", "currency": "CAD", "note": ""},
        {"part_type": TRANS, "supplier_msp": "", "unit_price": "2140.00", "currency": "USD", "note": ""},
    ]
    one = oem.put(f"/v1/private/prices/{TRANS}", json={"unit_price": "2099.50", "note": "2027 contract"})
    assert one.json() == {
        "part_type": TRANS, "supplier_msp": "", "unit_price": "2099.50", "currency": "USD", "note": "2027 contract"
    }  # fmt: skip
    assert oem.delete(f"/v1/private/prices/{CAST}", params={"supplier_msp": SUPPLIER}).status_code == 204
    assert [p["part_type"] for p in oem.get("/v1/private/prices").json()["prices"]] == [TRANS]
    missing = problem(oem.delete(f"/v1/private/prices/{CAST}"), 404)
    assert missing["detail"] == f"OemMSP has no price for part type '{CAST}'"
    # Another org's list is its own, empty one.
    assert certs_api.client(TIER1, "admin").get("/v1/private/prices").json() == {"msp_id": TIER1, "prices": []}


#: (price list, field, detail) of lists refused as a whole.
BAD_LISTS: list[tuple[list[dict[str, str]], str, str]] = [
    ([{"part_type": "OemMSP:NOPE", "unit_price": "1"}], "part_type",
     "part type 'OemMSP:NOPE' is not registered on the ledger"),
    ([{"part_type": TRANS, "unit_price": "1", "supplier_msp": "GhostMSP"}], "supplier_msp",
     "supplier 'GhostMSP' is not a registered organization"),
    ([{"part_type": TRANS, "unit_price": "1"}, {"part_type": TRANS, "unit_price": "2"}], "prices.1.part_type",
     "prices[1] repeats part type 'Tier1MSP:TRANS-1' for supplier (any)"),
]  # fmt: skip


def test_bad_price_lists_change_nothing(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    oem = certs_api.client(OEM, "admin")
    oem.put("/v1/private/prices", json={"prices": [{"part_type": CAST, "unit_price": "310"}]})
    for prices, field, detail in BAD_LISTS:
        body = problem(oem.put("/v1/private/prices", json={"prices": prices}), 422)
        assert (body["field"], body["detail"]) == (field, detail)
    for body, field, value in [
        ({"unit_price": "-3"}, "unit_price", "-3"),
        ({"unit_price": "1", "currency": "DOLLARS"}, "currency", "DOLLARS"),
    ]:
        out = problem(oem.put(f"/v1/private/prices/{TRANS}", json=body), 422)
        assert (out["errors"][0]["field"], out["errors"][0]["value"]) == (field, value)
    assert [p["unit_price"] for p in oem.get("/v1/private/prices").json()["prices"]] == ["310"]


def test_breakdowns_are_the_callers_own(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    first = post_cert(certs_api, SUPPLIER, cert_body(cert_id="C-CAST"))
    listed = certs_api.client(SUPPLIER, "admin").get("/v1/private/breakdowns").json()
    assert listed["msp_id"] == SUPPLIER
    assert [(b["cert_id"], b["commitment"], b["on_ledger"]) for b in listed["breakdowns"]] == [
        ("C-CAST", first["certification"]["cost_commitment"], True)
    ]
    assert listed["breakdowns"][0]["data"]["vnm"] == "80"
    assert certs_api.client(TIER1, "certifier").get("/v1/private/breakdowns").json()["breakdowns"] == []
    body = problem(certs_api.client(TIER1, "certifier").get("/v1/private/breakdowns/C-CAST"), 404)
    assert body["detail"] == "Tier1MSP holds no cost breakdown for certification 'C-CAST'"


def test_breakdown_whose_submission_never_committed_is_flagged(api_server: ApiServer) -> None:
    certs_api = ready(api_server)
    PrivateStore(certs_api.home, SUPPLIER).reserve_breakdown("C-LOST", commit({"total_cost": "1"}))
    listed = certs_api.client(SUPPLIER, "certifier").get("/v1/private/breakdowns").json()["breakdowns"]
    assert [(b["cert_id"], b["on_ledger"]) for b in listed] == [("C-LOST", False)]
