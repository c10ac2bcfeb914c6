"""The demo supply chain: one vehicle program built across eleven organizations on the embedded ledger.

It follows ``network/examples/demo-network.yaml``. Tier-3 mills certify aluminum and steel; Tier-2 suppliers in
the US, Mexico and Canada make castings, seat frames and foam and certify them with lineage, while suppliers in
Germany and China ship control units and gear forgings without certifications; Tier-1s build transmissions, rear
axles, steering racks, front suspension modules and seats; the OEM in Silao builds engines and bodies in house
(and certifies them itself) and assembles the vehicles, so every core part of a passenger vehicle is on the
ledger. Every step is a real transaction signed by the member who would do it, with EPCIS events and their
canonical hashes for every station read. One upstream certification (the foam's) is revoked, so the seat
certification that relies on it reads back as not valid; the steering racks' certification runs out in three
weeks, so supplier and OEM both see it flagged for renewal; one pilot lot of transmissions, built with imported
modules, is certified non-originating, so the last vehicle fails the core-parts test on its own while the model
line (24 vehicles by default, averaged) still qualifies; a few reads are suspicious (a cloned label, a read
outside custody). Cost breakdowns, prices and the OEM's steel, aluminum and labor value content figures stay in
each org's private store; the ledger holds the breakdowns' salted commitments. Finally the OEM's certifier issues
a blanket certification of origin for the first qualifying vehicle to its US importer of record.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from api.certificates.fields import add_months
from api.cli import create_credential
from api.compliance.cli import readmodel
from api.compliance.issue import CertificateStore, issue_certificate, part_answer
from api.private.breakdown import Claim, check_claim, normalize
from api.private.store import PrivateStore
from ledger.bootstrap import read_point_uri, register_network
from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.embedded.ledger import EmbeddedLedger
from ledger.errors import Conflict
from ledger.identity.attrs import Role
from ledger.identity.config import load_config
from ledger.identity.msp import init_network
from ledger.identity.network import Network, load_network
from ledger.readmodel.queries import Queries
from scanner.epcis import object_event_for_read, transformation_event
from scanner.identifiers import build_gs1
from scanner.identifiers.checks import gs1_check_digit

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "network" / "examples" / "demo-network.yaml"
CREDENTIALS_FILE = "demo-credentials.json"
#: The story starts this many days before the day the demo is seeded, so it always reads as recent.
STORY_DAYS = 30


def blanket_period(today: date, months_back: int = 6) -> dict[str, str]:
    """A 12-month blanket period from the first of the month ``months_back`` months ago (USMCA allows 12)."""
    month = today.month - months_back
    year = today.year + (month - 1) // 12
    start = date(year, (month - 1) % 12 + 1, 1)
    end = start.replace(year=start.year + 1) - timedelta(days=1)
    return {"kind": "blanket", "from": start.isoformat(), "to": end.isoformat()}


def expiring_period(today: date) -> dict[str, str]:
    """A blanket period signed last year that ends three weeks from today (inside the 30-day warning)."""
    end = today + timedelta(days=EXPIRING_IN_DAYS)
    return {"kind": "blanket", "from": (add_months(end, -12) + timedelta(days=1)).isoformat(), "to": end.isoformat()}


#: Part numbers whose certification is about to run out, and in how many days: the renewal the OEM must chase.
EXPIRING = frozenset({"EPS-R-14"})
EXPIRING_IN_DAYS = 21

#: (producer, part number, description, HS, USMCA category, core family, unit price USD)
PART_TYPES = [
    ("AlloysMSP", "A380-INGOT", "Aluminum alloy A380 ingot bundle, 1 t", "7601.20", "other", None, "2650.00"),
    (
        "SteelTubeMSP",
        "ERW-TUBE-25",
        "Welded steel tube 25 mm, seat-frame grade, bundle",
        "7306.30",
        "other",
        None,
        "410.00",
    ),
    (
        "CastingsMSP",
        "TC-8HP-CASE",
        "Transmission case, die-cast aluminum, machined",
        "8708.40",
        "other",
        None,
        "312.00",
    ),
    ("ForgingMSP", "GS-8HP-PLAN", "Planetary gear set, forged and hardened", "8483.40", "other", None, "268.00"),
    ("ElektronikMSP", "TCU-8HP", "Transmission control unit", "8537.10", "other", None, "184.00"),
    ("DrivelineMSP", "AT8-250", "8-speed automatic transmission", "8708.40", "core_part", "transmission", "2460.00"),
    ("StampingMSP", "SF-FRONT", "Front seat frame, welded steel", "9401.90", "other", None, "96.00"),
    ("FoamMSP", "FC-FRONT", "Front seat cushion, moulded polyurethane", "9401.90", "other", None, "38.00"),
    ("SeatingMSP", "SEAT-FRONT-L", "Front seat assembly", "9401.20", "principal", None, "455.00"),
    ("OemMSP", "ENG-1.5T", "1.5 L turbocharged gasoline engine", "8407.34", "core_part", "engine", "2890.00"),
    ("OemMSP", "BJC-SEDAN", "Bajío Compact sedan, gasoline, 5 seats", "8703.23", "other", None, "21400.00"),
    (
        "OemMSP",
        "BIW-BJC",
        "Body-in-white, Bajío Compact, welded steel",
        "8707.10",
        "core_part",
        "body_chassis",
        "3380.00",
    ),
    ("DrivelineMSP", "AX-R-220", "Rear axle module, twist beam with hubs", "8708.50", "core_part", "axle", "615.00"),
    ("DrivelineMSP", "EPS-R-14", "Electric power steering rack", "8708.94", "core_part", "steering", "418.00"),
    (
        "StampingMSP",
        "SUS-F-MCP",
        "Front suspension module, MacPherson struts on a steel subframe",
        "8708.80",
        "core_part",
        "suspension",
        "540.00",
    ),
]

#: Certifications: (certifier org, part number, criterion, method, rvc, originating, non-orig share, upstream
#: part numbers, customers, cost breakdown).
CERTS = [
    (
        "AlloysMSP",
        "A380-INGOT",
        "A",
        None,
        None,
        True,
        "0",
        [],
        ["CastingsMSP"],
        {"total_cost": "2410.00", "materials": "1850.00", "labor": "320.00", "overhead": "240.00"},
    ),
    (
        "SteelTubeMSP",
        "ERW-TUBE-25",
        "A",
        None,
        None,
        True,
        "0",
        [],
        ["StampingMSP"],
        {"total_cost": "372.00", "materials": "240.00", "labor": "72.00", "overhead": "60.00"},
    ),
    (
        "CastingsMSP",
        "TC-8HP-CASE",
        "B",
        "NC",
        "71.4",
        True,
        "28.6",
        ["A380-INGOT"],
        ["DrivelineMSP"],
        {
            "total_cost": "280.00",
            "sales_promotion": "0",
            "royalties": "0",
            "shipping_packing": "0",
            "non_allowable_interest": "0",
            "vnm": "80.00",
            "originating_materials": "120.00",
        },
    ),
    (
        "FoamMSP",
        "FC-FRONT",
        "B",
        "NC",
        "64.0",
        True,
        "36.0",
        [],
        ["SeatingMSP"],
        {"total_cost": "33.50", "vnm": "12.06", "originating_materials": "9.40"},
    ),
    (
        "StampingMSP",
        "SF-FRONT",
        "B",
        "NC",
        "78.0",
        True,
        "22.0",
        ["ERW-TUBE-25"],
        ["SeatingMSP"],
        {"total_cost": "84.00", "vnm": "18.48", "originating_materials": "41.00"},
    ),
    # The imported gear sets (268) and control units (184) are its whole VNM: (2260 - 452) / 2260 = 80 %. With
    # that share, the model line's transmissions average above 75 % despite the one pilot-lot transmission
    # (from 16 vehicles up: 0.2 x (n - 1) + 1 <= 0.25 n); the vehicle that carries it still fails alone.
    (
        "DrivelineMSP",
        "AT8-250",
        "B",
        "NC",
        "80.0",
        True,
        "20.0",
        ["TC-8HP-CASE"],
        ["OemMSP"],
        {"total_cost": "2260.00", "vnm": "452.00", "originating_materials": "1180.00"},
    ),
    (
        "SeatingMSP",
        "SEAT-FRONT-L",
        "B",
        "NC",
        "72.5",
        True,
        "27.5",
        ["SF-FRONT", "FC-FRONT"],
        ["OemMSP"],
        {"total_cost": "410.00", "vnm": "112.75", "originating_materials": "190.00"},
    ),
    (
        "DrivelineMSP",
        "AX-R-220",
        "B",
        "NC",
        "78.4",
        True,
        "21.6",
        [],
        ["OemMSP"],
        {"total_cost": "560.00", "vnm": "120.96", "originating_materials": "265.00"},
    ),
    (
        "DrivelineMSP",
        "EPS-R-14",
        "B",
        "NC",
        "76.5",
        True,
        "23.5",
        [],
        ["OemMSP"],
        {"total_cost": "380.00", "vnm": "89.30", "originating_materials": "150.00"},
    ),
    (
        "StampingMSP",
        "SUS-F-MCP",
        "B",
        "NC",
        "79.0",
        True,
        "21.0",
        ["ERW-TUBE-25"],
        ["OemMSP"],
        {"total_cost": "500.00", "vnm": "105.00", "originating_materials": "230.00"},
    ),
    # The OEM certifies what it makes in house, with its own cost data (no customer: it is its own user).
    (
        "OemMSP",
        "ENG-1.5T",
        "B",
        "NC",
        "77.5",
        True,
        "22.5",
        [],
        [],
        {
            "total_cost": "2750.00",
            "vnm": "618.75",
            "originating_materials": "1240.00",
            "labor": "410.00",
            "overhead": "335.00",
        },
    ),
    (
        "OemMSP",
        "BIW-BJC",
        "B",
        "NC",
        "82.0",
        True,
        "18.0",
        [],
        [],
        {
            "total_cost": "3300.00",
            "vnm": "594.00",
            "originating_materials": "1610.00",
            "labor": "640.00",
            "overhead": "456.00",
        },
    ),
]

#: A pilot lot of transmissions built with imported valve bodies and torque converters (not traced on the
#: ledger): Great Lakes Driveline states it non-originating for that lot, so the vehicle it goes into fails the
#: core-parts test (its transmission's RVC is below the Table A.2 threshold). Same cost as a regular one; the
#: imported modules (488.16) replace originating ones: (2260 - 940.16) / 2260 = 58.4 %.
PILOT_LOT_SUFFIX = "P"
PILOT_TRANSMISSION = {
    "origin_criterion": "B",
    "method": "NC",
    "rvc": "58.4",
    "originating": False,
    "non_originating_share": "41.6",
    "cost_breakdown": {"total_cost": "2260.00", "vnm": "940.16", "originating_materials": "691.84"},
}

#: The OEM's producer figures for the model line over the blanket period (CA-ROO s.17, s.18): steel and aluminum
#: purchases in USD, LVC in points of the vehicle's net cost (Silao assembly wages are below US$16/h, so the
#: high-wage content comes from US and Canadian parts and the OEM's engineering centre).
PRODUCER_FIGURES: dict[str, Any] = {
    "steel": {"purchases": "18400000", "originating": "15270000"},
    "aluminum": {"purchases": "6150000", "originating": "4710000"},
    "lvc": {"material_manufacturing": "31.5", "technology": "6.5", "assembly": "3.0"},
}

#: The OEM's certification of origin: its trade-compliance manager certifies as producer and exporter; the
#: importer of record is its US distribution subsidiary (contact data is fictitious).
COO_PARTIES: dict[str, Any] = {
    "certifier": {
        "role": "producer",
        "name": "Lucía Ramírez Ortega",
        "title": "Gerente de Comercio Exterior",
        "address": "Carretera Federal 45 km 376.5, Parque Industrial Puerto Interior, Silao de la Victoria, Gto. 36275",
        "country": "MX",
        "phone": "+52 472 748 9100",
        "email": "comercio.exterior@ensambladora-bajio.example",
    },
    "importer": {
        "name": "Bajío Motors USA, Inc.",
        "address": "9601 Mines Road, Laredo, TX 78045",
        "country": "US",
        "phone": "+1 956 555 0142",
        "email": "import.compliance@bajiomotors-usa.example",
    },
}


@dataclass
class Seeder:
    """Runs the demo story against one home; keeps the handles it needs."""

    home: Path
    network: Network
    vehicles: int = 24
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    serial: dict[str, int] = field(default_factory=dict)
    type_ids: dict[str, str] = field(default_factory=dict)
    gtins: dict[str, str] = field(default_factory=dict)
    cert_ids: dict[str, str] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    # -- helpers ---------------------------------------------------------------------------------------------
    def client(self, msp: str, role: Role | str, station: str | None = None) -> LedgerClient:
        """A client signing as the first member of ``msp`` with ``role`` (and station id)."""
        for m in self.network.members(msp):
            if m.role.value == str(role) and (station is None or m.station == station):
                return LedgerClient(connect(self.home, msp, m.name))
        raise LookupError(f"{msp} has no {role} member {station or ''}")

    def tick(self, minutes: float = 7.0) -> datetime:
        """Advance the story's clock."""
        self.clock += timedelta(minutes=minutes)
        return self.clock

    def count(self, what: str, n: int = 1) -> None:
        """Tally what the story did (printed at the end)."""
        self.stats[what] = self.stats.get(what, 0) + n

    def new_uid(self, part_number: str, lot: str) -> str:
        """A GS1 Digital Link uid for the next serial of a part type (GTIN from the producer's prefix)."""
        n = self.serial.get(part_number, 0) + 1
        self.serial[part_number] = n
        ident = build_gs1(gtin=self.gtins[part_number], serial=f"{part_number[:4]}{n:06d}", lot=lot)
        return ident.uid

    def station_of(self, msp: str, index: int = 0) -> tuple[LedgerClient, str]:
        """The n-th station member of an org and its station id."""
        stations = [m for m in self.network.members(msp) if m.role is Role.STATION]
        m = stations[min(index, len(stations) - 1)]
        assert m.station is not None
        return LedgerClient(connect(self.home, msp, m.name)), m.station

    def scans(self, msp: str, uids: list[str], *, step: str, disposition: str, station_index: int = 0) -> list[Any]:
        """Station reads as EPCIS ObjectEvents, recorded in one batch; returns the stored scans."""
        client, station = self.station_of(msp, station_index)
        items = []
        for uid in uids:
            when = self.tick(0.5)
            ev = object_event_for_read(
                uid,
                event_time=when,
                read_point=read_point_uri(msp, station),
                biz_location=None,
                biz_step=step,
                disposition=disposition,
            )
            items.append(
                {
                    "uid": uid,
                    "station_id": station,
                    "biz_step": step,
                    "disposition": disposition,
                    "event_time": when.isoformat(),
                    "event_hash": ev.event_id,
                }
            )
        self.count("scans", len(items))
        return client.record_scans(items)

    # -- story -----------------------------------------------------------------------------------------------
    def part_types(self) -> None:
        """Each producer registers its part types, GTIN-keyed under its own GS1 company prefix."""
        for i, (msp, pn, desc, hs, cat, family, _price) in enumerate(PART_TYPES):
            prefix = self.network.org(msp).gs1_company_prefixes[0]
            body = (prefix + str(100 + i).zfill(12 - len(prefix)))[:12]
            self.gtins[pn] = "0" + body + str(gs1_check_digit("0" + body))
            admin = self.client(msp, Role.ADMIN)
            doc = {
                "part_number": pn,
                "description": desc,
                "hs_code": hs,
                "usmca_category": cat,
                "unit": "EA",
                "gtin": self.gtins[pn],
            }
            if family:
                doc["core_family"] = family
            self.type_ids[pn] = admin.register_part_type(doc)["id"]
            self.count("part_types")

    def commission(self, msp: str, pn: str, n: int, lot: str) -> list[str]:
        """A producer's station commissions ``n`` labelled parts of a lot and reads each label once."""
        client, _ = self.station_of(msp)
        site = self.network.org(msp).sites[0].id
        day = self.clock.date().isoformat()
        uids = [self.new_uid(pn, lot) for _ in range(n)]
        client.commission_parts(
            [
                {"uid": u, "part_type": self.type_ids[pn], "lot": lot, "production_date": day, "site_id": site}
                for u in uids
            ]
        )
        self.count("parts", n)
        self.scans(msp, uids, step="commissioning", disposition="active")
        return uids

    def ship(self, from_msp: str, to_msp: str, uids: list[str], asn: str) -> None:
        """Ship with an ASN, read at the dock, receive two days later and read at the receiving dock."""
        shipper, _ = self.station_of(from_msp, 9)
        shipper.ship({"shipment_id": asn, "to_msp": to_msp, "uids": uids, "reference": f"BOL-{asn}"})
        self.scans(from_msp, uids, step="shipping", disposition="in_transit", station_index=9)
        self.tick(60 * 24 * 2)  # two days in transit
        receiver, _ = self.station_of(to_msp, 0)
        receiver.receive({"shipment_id": asn, "from_msp": from_msp, "uids": uids})
        self.scans(to_msp, uids, step="receiving", disposition="in_progress")
        self.count("shipments")

    def assemble(self, msp: str, parent: str, children: list[str], station_index: int = 1) -> None:
        """An assembly station consumes the children into the parent (TransformationEvent)."""
        client, station = self.station_of(msp, station_index)
        when = self.tick(3)
        ev = transformation_event(children, [parent], event_time=when, read_point=read_point_uri(msp, station))
        client.assemble(
            {"parent_uid": parent, "child_uids": children, "event_hash": ev.event_id, "event_time": when.isoformat()}
        )
        self.count("assemblies")

    def submit_certification(self, msp: str, body: dict[str, Any], costs: dict[str, Any]) -> None:
        """Certify as the API does: the breakdown must support the claim, and is kept before the ledger commit."""
        certifier = next(m for m in self.network.members(msp) if m.role is Role.CERTIFIER)
        data = normalize(costs)
        check_claim(data, Claim(body.get("method"), body.get("rvc"), body["non_originating_share"]))
        store = PrivateStore(self.home, msp)
        opening = store.commit_breakdown(data)
        body = {**body, "issuer_msp": msp, "cost_commitment": opening.commitment()}
        store.reserve_breakdown(body["cert_id"], opening)
        try:
            LedgerClient(connect(self.home, msp, certifier.name)).submit_certification(body, certifier.signer)
        except BaseException:
            store.release_breakdown(body["cert_id"])
            raise
        self.count("certifications")

    def certify(self) -> None:
        """Suppliers (and the OEM for its in-house parts) certify origin bottom-up, relying on upstream ones."""
        for msp, pn, crit, method, rvc, orig, share, upstream, customers, costs in CERTS:
            cert_id = f"CO-{msp.removesuffix('MSP').upper()}-{pn}-{self.today.year}"
            body: dict[str, Any] = {
                "cert_id": cert_id,
                "part_type": self.type_ids[pn],
                "scope": expiring_period(self.today) if pn in EXPIRING else blanket_period(self.today),
                "origin_criterion": crit,
                "originating": orig,
                "non_originating_share": share,
                "upstream": [self.cert_ids[u] for u in upstream],
                "customers": customers,
            }
            if method:
                body |= {"method": method, "rvc": rvc}
            self.submit_certification(msp, body, costs)
            self.cert_ids[pn] = cert_id

    def certify_pilot_lot(self, lot: str) -> None:
        """Driveline states the pilot lot of transmissions non-originating (issued after, so it wins for the lot)."""
        pilot = dict(PILOT_TRANSMISSION)
        costs = pilot.pop("cost_breakdown")
        body = {
            **pilot,
            "cert_id": f"CO-DRIVELINE-AT8-250-{lot}",
            "part_type": self.type_ids["AT8-250"],
            "scope": {"kind": "lots", "lots": [lot]},
            "upstream": [],
            "customers": ["OemMSP"],
        }
        self.submit_certification("DrivelineMSP", body, costs)
        self.cert_ids["AT8-250@pilot"] = body["cert_id"]

    def producer_figures(self) -> None:
        """The OEM records its steel and aluminum purchases and LVC for the model line in its private store."""
        PrivateStore(self.home, "OemMSP").set_producer_figures(
            self.type_ids["BJC-SEDAN"],
            **PRODUCER_FIGURES,
            note="period {from}..{to}".format_map(blanket_period(self.today)),
        )

    def prices(self) -> None:
        """Each buyer's purchase prices (private), used for its own RVC."""
        buyers = {
            "DrivelineMSP": ["TC-8HP-CASE", "GS-8HP-PLAN", "TCU-8HP"],
            "SeatingMSP": ["SF-FRONT", "FC-FRONT"],
            "OemMSP": ["AT8-250", "SEAT-FRONT-L", "AX-R-220", "EPS-R-14", "SUS-F-MCP"],
            "CastingsMSP": ["A380-INGOT"],
            "StampingMSP": ["ERW-TUBE-25"],
        }
        price = {p[1]: p[6] for p in PART_TYPES}
        for buyer, pns in buyers.items():
            store = PrivateStore(self.home, buyer)
            for pn in pns:
                store.set_price(self.type_ids[pn], price[pn])
        oem = PrivateStore(self.home, "OemMSP")
        oem.set_price(self.type_ids["ENG-1.5T"], price["ENG-1.5T"], note="in-house, full cost")
        oem.set_price(self.type_ids["BIW-BJC"], price["BIW-BJC"], note="in-house, full cost")
        oem.set_price(self.type_ids["BJC-SEDAN"], price["BJC-SEDAN"], note="net cost per vehicle")

    def build(self) -> None:
        """Make, ship, receive and assemble everything, tier by tier, up to finished vehicles in the yard."""
        v = self.vehicles
        lot = f"L{self.clock:%y%m}"
        cases = self.commission("CastingsMSP", "TC-8HP-CASE", v + 4, lot)
        gears = self.commission("ForgingMSP", "GS-8HP-PLAN", v, lot)
        tcus = self.commission("ElektronikMSP", "TCU-8HP", v, lot)
        frames = self.commission("StampingMSP", "SF-FRONT", 2 * v, lot)
        foams = self.commission("FoamMSP", "FC-FRONT", 2 * v, lot)
        self.ship("CastingsMSP", "DrivelineMSP", cases[:v], "ASN-MVC-1001")
        self.ship("ForgingMSP", "DrivelineMSP", gears, "ASN-NPF-2207")
        self.ship("ElektronikMSP", "DrivelineMSP", tcus, "ASN-RE-77310")
        self.ship("StampingMSP", "SeatingMSP", frames, "ASN-EDS-5120")
        self.ship("FoamMSP", "SeatingMSP", foams, "ASN-LF-0418")
        # With more than one vehicle, the last transmission comes from the pilot lot (certified non-originating).
        pilot = lot + PILOT_LOT_SUFFIX
        regular = v - 1 if v > 1 else v
        transmissions = self.commission("DrivelineMSP", "AT8-250", regular, lot)
        if regular < v:
            self.certify_pilot_lot(pilot)
            transmissions += self.commission("DrivelineMSP", "AT8-250", v - regular, pilot)
        for i, t in enumerate(transmissions):
            self.assemble("DrivelineMSP", t, [cases[i], gears[i], tcus[i]])
        axles = self.commission("DrivelineMSP", "AX-R-220", v, lot)
        racks = self.commission("DrivelineMSP", "EPS-R-14", v, lot)
        struts = self.commission("StampingMSP", "SUS-F-MCP", v, lot)
        seats = self.commission("SeatingMSP", "SEAT-FRONT-L", 2 * v, lot)
        for i, s in enumerate(seats):
            self.assemble("SeatingMSP", s, [frames[i], foams[i]])
        self.ship("DrivelineMSP", "OemMSP", transmissions + axles + racks, "ASN-GLD-30017")
        self.ship("StampingMSP", "OemMSP", struts, "ASN-EDS-5133")
        self.ship("SeatingMSP", "OemMSP", seats, "ASN-ADN-8841")
        engines = self.commission("OemMSP", "ENG-1.5T", v, lot)
        bodies = self.commission("OemMSP", "BIW-BJC", v, lot)
        vehicles = self.commission("OemMSP", "BJC-SEDAN", v, lot)
        for i, car in enumerate(vehicles):
            children = [engines[i], transmissions[i], bodies[i], axles[i], racks[i], struts[i]]
            self.assemble("OemMSP", car, [*children, seats[2 * i], seats[2 * i + 1]], 1)
        self.scans("OemMSP", vehicles, step="inspecting", disposition="active", station_index=3)
        self.scans("OemMSP", vehicles, step="storing", disposition="sellable_not_accessible", station_index=4)
        self.suspicious(cases[v:], vehicles[0])

    def suspicious(self, spare_cases: list[str], vehicle: str) -> None:
        """A cloned casting label read in Toledo and Defiance within minutes; a read of a part we do not hold."""
        self.tick(1)
        self.scans("DrivelineMSP", [spare_cases[0]], step="receiving", disposition="in_progress")
        self.scans("CastingsMSP", [spare_cases[0]], step="inspecting", disposition="active")
        self.scans("SeatingMSP", [vehicle], step="inspecting", disposition="active")

    def solicit(self) -> None:
        """The OEM asks its suppliers for certifications: one answered, two still open (due dates after today)."""
        oem = self.client("OemMSP", Role.COMPLIANCE)
        asks = [
            ("0101", "DrivelineMSP", "AT8-250", 11, "Blanket certification for AT8-250"),
            ("0102", "ElektronikMSP", "TCU-8HP", 25, "Supplier declaration for TCU-8HP"),
            ("0103", "SeatingMSP", "SEAT-FRONT-L", 53, "Re-certify after foam supplier change"),
        ]
        for n, supplier, pn, days, note in asks:
            req_id, due = f"REQ-{self.today.year}-{n}", (self.today + timedelta(days=days)).isoformat()
            oem.request_certification(
                {
                    "request_id": req_id,
                    "supplier_msp": supplier,
                    "part_type": self.type_ids[pn],
                    "due_date": due,
                    "note": note,
                }
            )
            self.count("certification_requests")
        self.client("DrivelineMSP", Role.CERTIFIER).answer_certification_request(
            f"REQ-{self.today.year}-0101", self.cert_ids["AT8-250"]
        )

    def revoke(self) -> None:
        """The foam certification is revoked after an audit; the seat certification loses its lineage."""
        certifier = next(m for m in self.network.members("FoamMSP") if m.role is Role.CERTIFIER)
        LedgerClient(connect(self.home, "FoamMSP", certifier.name)).revoke_certification(
            self.cert_ids["FC-FRONT"], "supplier audit found non-originating isocyanate above the declared share"
        )
        self.count("revocations")

    def certificate_of_origin(self) -> None:
        """The OEM certifies the first vehicle that qualifies, for a blanket year, to its US importer of record."""
        model = readmodel(self.home)
        try:
            vehicles = Queries(model).parts("part_type = ?", [self.type_ids["BJC-SEDAN"]])
            for vehicle in vehicles:
                answer = part_answer(model, self.home, "OemMSP", vehicle["uid"], as_of=self.today, on=self.today)
                if answer["qualifies"]:
                    break
            else:
                return
            certifier = next(m for m in self.network.members("OemMSP") if m.role is Role.CERTIFIER)
            period = blanket_period(self.today, months_back=0)
            issue_certificate(
                LedgerClient(connect(self.home, "OemMSP", certifier.name)),
                certifier,
                answer,
                COO_PARTIES | {"blanket_period": {"from": period["from"], "to": period["to"]}},
                base_url="http://127.0.0.1:8000",
                store=CertificateStore(self.home, "OemMSP"),
            )
            self.count("certificates_of_origin")
        finally:
            model.close()


def write_credentials(home: Path, network: Network) -> Path:
    """One credential per org and role (first member of each), written to demo-credentials.json."""
    creds: dict[str, Any] = {}
    for org in network.orgs:
        for m in network.members(org.msp_id):
            key = f"{org.msp_id}/{m.role.value}"
            if key in creds:
                continue
            made = create_credential(home, org.msp_id, m.name, label="demo")
            creds[key] = {"token": made["token"], "member": m.name}
    path = home / CREDENTIALS_FILE
    path.write_text(json.dumps(creds, indent=2, sort_keys=True) + "\n")
    path.chmod(0o600)
    return path


def seed(home: Path, *, vehicles: int = 24, config: Path = DEMO_CONFIG, force: bool = False) -> dict[str, Any]:
    """Create the demo network in ``home`` and play the story; refuses a non-empty home unless ``force``."""
    home = Path(home)
    if home.exists() and any(home.iterdir()):
        if not force:
            raise Conflict(f"{home} is not empty; use --force to replace it", value=str(home))
        EmbeddedLedger.close_all()
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    init_network(home, load_config(config))
    register_network(home)
    today = datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=STORY_DAYS), time(6), UTC)
    seeder = Seeder(home, load_network(home), vehicles=vehicles, clock=start, today=today)
    seeder.part_types()
    seeder.certify()
    seeder.prices()
    seeder.producer_figures()
    seeder.build()
    seeder.solicit()
    seeder.revoke()
    seeder.certificate_of_origin()
    creds = write_credentials(home, seeder.network)
    return {"home": str(home), "credentials": str(creds), "run_id": uuid.uuid4().hex[:8], **seeder.stats}
