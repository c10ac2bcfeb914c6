"""A five-org chain for the origin tests: Tier-3 foundry, Tier-2 machining, Tier-1 transmission, OEM, auditor.

``chain_server`` runs a real uvicorn server (tests/api/conftest.py's ``start_server``) over a fresh home whose
network is the small test network plus ``Tier3MSP``, with a bearer credential for every member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.bootstrap import register_network
from ledger.embedded.ledger import EmbeddedLedger
from ledger.samples import _org, small_network_config
from tests.api.conftest import ApiServer, credentials, serve_copy
from tests.helpers import day, make_network, today

TIER3 = "Tier3MSP"
TIER2, TIER1, OEM, AUDIT = "SupplierMSP", "Tier1MSP", "OemMSP", "AuditMSP"
TODAY = today()
BLANKET = {"kind": "blanket", "from": day(-30), "to": day(300)}
SITE = {TIER3: "tier3-plant", TIER2: "supplier-plant", TIER1: "tier1-plant", OEM: "oem-plant"}
CERTIFIER = {"role": "producer", "name": "Automotriz Test SA de CV", "title": "Trade compliance manager",
             "address": "1 Industrial Way, Silao, GTO", "country": "MX", "phone": "+52 472 555 0100",
             "email": "origin@automotriz.example"}  # fmt: skip
VEHICLE_FIGURES = {
    "core_parts": [
        {"part": "engine", "net_cost": "3000", "vnm": "600"},
        {"part": "transmission", "net_cost": "2000", "vnm": "474"},
        {"part": "body_chassis", "net_cost": "4000", "vnm": "800"},
        {"part": "axle", "net_cost": "1000", "vnm": "200"},
        {"part": "suspension", "net_cost": "800", "vnm": "160"},
        {"part": "steering", "net_cost": "500", "vnm": "100"},
    ],
    "steel": {"purchases": "1000", "originating": "800"},
    "aluminum": {"purchases": "500", "originating": "400"},
    "lvc": {"material_manufacturing": "30", "technology": "10", "assembly": "5"},
}


def ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def part_type(
    api: ApiServer, org: str, number: str, hs: str, category: str = "other", family: str | None = None
) -> str:
    body = {"part_number": number, "description": f"{number} ({org})", "hs_code": hs, "usmca_category": category,
            "unit": "EA"}  # fmt: skip
    if family:
        body["core_family"] = family
    return ok(api.client(org, "admin").post("/v1/part-types", json=body), 201)["id"]


def commission(api: ApiServer, org: str, ptype: str, n: int) -> list[str]:
    uids = [f"urn:usmca:part:{ptype}:{i:04d}" for i in range(n)]
    parts = [{"uid": u, "part_type": ptype, "lot": "L1", "production_date": TODAY.isoformat(), "site_id": SITE[org]}
             for u in uids]  # fmt: skip
    ok(api.client(org, "station1").post("/v1/parts/batch", json={"parts": parts}), 201)
    scan(api, org, uids, "commissioning")
    return uids


def scan(api: ApiServer, org: str, uids: list[str], step: str) -> None:
    now = dt.datetime.now(dt.UTC).isoformat()
    out = ok(api.client(org, "station1").post("/v1/scans/batch", json={
        "scans": [{"uid": u, "event_time": now, "biz_step": step} for u in uids]}))  # fmt: skip
    assert out["new"] == len(uids)


def move(api: ApiServer, sender: str, receiver: str, uids: list[str], asn: str) -> None:
    ok(
        api.client(sender, "admin").post("/v1/shipments", json={"shipment_id": asn, "to_msp": receiver, "uids": uids}),
        201,
    )
    scan(api, sender, uids, "shipping")
    ok(api.client(receiver, "admin").post(f"/v1/shipments/{sender}/{asn}/receipt", json={"uids": uids}))
    scan(api, receiver, uids, "receiving")


def assemble(api: ApiServer, org: str, parent: str, children: list[str]) -> None:
    body = {"parent_uid": parent, "child_uids": children, "event_time": dt.datetime.now(dt.UTC).isoformat()}
    ok(api.client(org, "station1").post("/v1/assemblies", json=body), 201)


def certify(api: ApiServer, org: str, ptype: str, cid: str, rvc: str, share: str, costs: dict, upstream: list[str],
            customer: str) -> None:  # fmt: skip
    body = {"cert_id": cid, "part_type": ptype, "scope": BLANKET, "origin_criterion": "B", "method": "NC", "rvc": rvc,
            "originating": True, "non_originating_share": share, "upstream": upstream, "customers": [customer],
            "cost_breakdown": costs}  # fmt: skip
    ok(api.client(org, "certifier").post("/v1/certifications", json=body), 201)


def five_org_config() -> dict[str, Any]:
    """The small test network plus a Tier-3 foundry in Ontario."""
    config = small_network_config()
    members = [
        {"name": "admin", "role": "admin"},
        {"name": "station1", "role": "station", "station": "t3-st1", "site": "tier3-plant"},
        {"name": "certifier", "role": "certifier"},
        {"name": "compliance", "role": "compliance"},
    ]
    config["orgs"].append(
        _org(TIER3, "Foundry Test Ltd", "tier3", "CA", "St. Catharines", "0629000", "567891234", 43.16, -79.24, members)
    )
    return config


@pytest.fixture(scope="session", name="_chain_template")
def chain_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    home = make_network(tmp_path_factory.mktemp("chain-template") / "home", five_org_config())
    register_network(home)
    EmbeddedLedger.close_all()
    tokens, roles = credentials(home)
    return home, tokens, roles


@pytest.fixture(name="chain_server")
def chain_server_fixture(_chain_template: tuple[Path, dict, dict], tmp_path: Path) -> Iterator[ApiServer]:
    """A real server on 127.0.0.1 over a fresh copy of the five-org network."""
    yield from serve_copy(_chain_template, tmp_path)


def pdf_page_png(pdf: bytes, stem: Path) -> Any:
    """Page 1 of a PDF rendered by pdftoppm at 150 dpi, as a PIL image (the file stays at ``stem``.png)."""
    import subprocess

    from PIL import Image

    src = stem.with_suffix(".pdf")
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(src), str(stem)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return Image.open(stem.with_suffix(".png"))


def small_chain(api: ApiServer) -> dict[str, Any]:
    """Tier-1 certifies transmissions for the OEM and sells it uncertified ECUs; the OEM builds one vehicle.

    OEM prices: transmission 2000, ECU 500, vehicle (net cost) 20000.
    """
    tx_t = part_type(api, TIER1, "TX-8", "8708.40", "core_part", "transmission")
    ecu_t = part_type(api, TIER1, "ECU-1", "8537.10")
    certify(api, TIER1, tx_t, "C-T1-TX", "76.3", "23.7", {"total_cost": "1900", "vnm": "450"}, [], OEM)
    tx, ecu = commission(api, TIER1, tx_t, 1), commission(api, TIER1, ecu_t, 1)
    move(api, TIER1, OEM, tx + ecu, "ASN-SMALL-1")
    veh_t = part_type(api, OEM, "VEH-1", "8703.23")
    vehicle = commission(api, OEM, veh_t, 1)
    assemble(api, OEM, vehicle[0], tx + ecu)
    oem = api.client(OEM, "compliance")
    for pt, price in ((tx_t, "2000"), (ecu_t, "500"), (veh_t, "20000")):
        ok(oem.put(f"/v1/private/prices/{pt}", json={"unit_price": price}))
    return {"vehicle": vehicle[0], "transmission": tx[0], "ecu": ecu[0], "vehicle_type": veh_t}


#: A seat (Table B, 70 % NC in 2026): NC 100, one non-originating material of 20 -> RVC 80.
SEAT_REQUEST = {
    "good": {"description": "Front seat assembly", "hs": "9401.20", "end_use": "oe_pv_lt"},
    "as_of": TODAY.isoformat(),
    "net_cost": "100",
    "materials": [{"id": "foam", "value": "20", "origin": "non_originating"}],
}
