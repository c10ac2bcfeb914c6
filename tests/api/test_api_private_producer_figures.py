"""/v1/private/producer-figures: an OEM manages its model lines' steel, aluminum and LVC figures over HTTP.

Real uvicorn servers over real homes: the figures land in the caller org's private store, are refused naming
the bad value, never reach another org, and feed the OEM's vehicle and model-line reports.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.private.store import PrivateStore
from ledger.client import LedgerClient
from ledger.connect import connect
from tests.api.certs_fixtures import ENGINE, OEM, TIER1, TRANS, problem, ready
from tests.api.conftest import ApiServer, path_uid
from tests.api.origin_fixtures import (  # noqa: F401 - fixtures
    TODAY,
    chain_server_fixture,
    chain_template_fixture,
    ok,
    small_chain,
)

VEHICLE = "OemMSP:SEDAN-1"
URL = f"/v1/private/producer-figures/{VEHICLE}"
FIGURES = {
    "steel": {"purchases": "18400000", "originating": "15270000.50"},
    "aluminum": {"purchases": "6150000", "originating": "4710000"},
    "lvc": {"material_manufacturing": "31.5", "technology": "6.5", "assembly": "3"},
}


def with_vehicle(api: ApiServer) -> ApiServer:
    """The three producers' part types, and the OEM's sedan (a motor vehicle, HS 8703.23)."""
    ready(api)
    body = {"part_number": "SEDAN-1", "description": "Compact sedan", "hs_code": "8703.23", "usmca_category": "other"}
    LedgerClient(connect(api.home, OEM, "admin")).register_part_type({**body, "unit": "EA"})
    return api


def test_figures_set_read_replace_delete(api_server: ApiServer) -> None:
    api = with_vehicle(api_server)
    oem = api.client(OEM, "compliance")
    assert ok(oem.get("/v1/private/producer-figures")) == {"msp_id": OEM, "figures": []}
    assert problem(oem.get(URL), 404)["detail"] == f"OemMSP has no producer figures for part type '{VEHICLE}'"
    note = "purchases 2026-01-01..2026-12-31, audited"
    stored = ok(oem.put(URL, json={**FIGURES, "note": note}))
    assert stored == {"part_type": VEHICLE, **FIGURES, "note": note}
    assert ok(api.client(OEM, "admin").get(URL)) == stored
    assert PrivateStore(api.home, OEM).producer_figures() == {VEHICLE: FIGURES}
    assert PrivateStore(api.home, OEM).producer_figure_records() == {VEHICLE: (FIGURES, note)}
    # A PUT replaces the whole record: figures and the note left out are gone, optional LVC points stay absent.
    lvc_only = {"lvc": {"material_manufacturing": "28"}}
    replaced = ok(oem.put(URL, json=lvc_only))
    assert replaced == {"part_type": VEHICLE, **lvc_only, "note": ""}
    assert ok(oem.get(URL)) == replaced
    assert ok(oem.get("/v1/private/producer-figures")) == {"msp_id": OEM, "figures": [replaced]}
    # Another org's view is its own, empty store.
    tier1 = api.client(TIER1, "admin")
    assert ok(tier1.get("/v1/private/producer-figures")) == {"msp_id": TIER1, "figures": []}
    problem(tier1.get(URL), 404)
    problem(tier1.delete(URL), 404)
    assert oem.delete(URL).status_code == 204
    assert problem(oem.delete(URL), 404)["detail"] == f"OemMSP has no producer figures for part type '{VEHICLE}'"
    assert PrivateStore(api.home, OEM).producer_figures() == {}


#: (path part type, body, problem field, problem value, detail) of figures refused as a whole.
REFUSED: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    (VEHICLE, {"steel": {"purchases": "1000", "originating": "1000.01"}}, "steel.originating", "1000.01",
     "steel.originating 1000.01 exceeds steel.purchases 1000"),
    (VEHICLE, {"lvc": {"material_manufacturing": "100.5"}}, "lvc.material_manufacturing", "100.5",
     "lvc.material_manufacturing 100.5 is above 100 percent"),
    (VEHICLE, {}, "steel", None, "producer figures need at least one of steel, aluminum and lvc"),
    ("OemMSP:NOPE", FIGURES, "part_type", "OemMSP:NOPE", "part type 'OemMSP:NOPE' is not registered on the ledger"),
    (TRANS, FIGURES, "part_type", TRANS,
     f"part type '{TRANS}' is produced by Tier1MSP, not OemMSP; producer figures are for the caller org's own "
     "model lines"),
    (ENGINE, FIGURES, "part_type", ENGINE,
     f"part type '{ENGINE}' (HS 840734) is not a motor vehicle (headings 8701-8705); producer figures apply to "
     "vehicle model lines"),
]  # fmt: skip


@pytest.mark.parametrize(("part_type", "body", "field", "value", "detail"), REFUSED)
def test_bad_figures_are_refused_naming_the_value(
    api_server: ApiServer, part_type: str, body: dict[str, Any], field: str, value: str | None, detail: str
) -> None:
    api = with_vehicle(api_server)
    oem = api.client(OEM, "admin")
    ok(oem.put(URL, json={"lvc": {"material_manufacturing": "30"}}))
    out = problem(oem.put(f"/v1/private/producer-figures/{part_type}", json=body), 422)
    assert (out["field"], out.get("value"), out["detail"]) == (field, value, detail)
    assert PrivateStore(api.home, OEM).producer_figures() == {VEHICLE: {"lvc": {"material_manufacturing": "30"}}}


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"steel": {"purchases": "-1", "originating": "0"}}, "steel.purchases", "-1"),
        ({"aluminum": {"purchases": "10", "originating": "1e3"}}, "aluminum.originating", "1e3"),
        ({"lvc": {"material_manufacturing": "30", "wages": "16"}}, "lvc.wages", "16"),
        ({"steel": {"purchases": "10"}}, "steel.originating", None),
        ({**FIGURES, "note": "x" * 513}, "note", "x" * 200 + "…"),  # long values are shown cut
        ({**FIGURES, "source": "FY"}, "source", "FY"),
    ],
)
def test_malformed_bodies_name_the_field(
    api_server: ApiServer, body: dict[str, Any], field: str, value: str | None
) -> None:
    api = with_vehicle(api_server)
    out = problem(api.client(OEM, "compliance").put(URL, json=body), 422)
    assert (out["errors"][0]["field"], out["errors"][0]["value"]) == (field, value)
    assert PrivateStore(api.home, OEM).producer_figures() == {}


def _tests(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in report["answer"]["tests"]}


def test_figures_set_over_http_feed_the_vehicle_and_model_line_reports(chain_server: ApiServer) -> None:
    chain = small_chain(chain_server)
    oem = chain_server.client(OEM, "compliance")
    vehicle_url = f"/v1/reports/vehicles/{path_uid(chain['vehicle'])}"
    before = _tests(ok(oem.get(vehicle_url)))
    assert not before["steel"]["passed"] and before["steel"]["value"] is None
    figures = {
        "steel": {"purchases": "1000", "originating": "800"},
        "aluminum": {"purchases": "500", "originating": "300"},
        "lvc": {"material_manufacturing": "30", "technology": "10"},
    }
    ok(oem.put(f"/v1/private/producer-figures/{chain['vehicle_type']}", json=figures))
    after = _tests(ok(oem.get(vehicle_url)))
    assert after["steel"]["passed"] and after["steel"]["detail"].startswith("800 / 1000 x 100 = 80 >= 70")
    assert not after["aluminum"]["passed"] and after["aluminum"]["detail"].startswith("300 / 500 x 100 = 60 < 70")
    assert after["lvc"]["value"] == "40"
    day = TODAY.isoformat()
    line = ok(oem.get(f"/v1/reports/model-lines/{chain['vehicle_type']}", params={"from": day, "to": day}))
    assert _tests(line)["steel"]["detail"].startswith("800 / 1000 x 100 = 80 >= 70")
    assert oem.delete(f"/v1/private/producer-figures/{chain['vehicle_type']}").status_code == 204
    assert _tests(ok(oem.get(vehicle_url)))["steel"]["value"] is None
