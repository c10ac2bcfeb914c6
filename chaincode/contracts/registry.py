"""Organizations, their sites and their scanning stations.

An org admin registers its own organization (legal data, USMCA tier, GS1 company prefixes), the sites it
produces or ships from (with coordinates, used to spot impossible travel) and the stations at those sites. A
station's certificate names its station id, and the station record binds that id to a site and read point,
so a scan's location comes from the ledger, not from whatever the scanner claims.
"""

from __future__ import annotations

from chaincode.errors import evaluate, submit
from chaincode.fabric import TransactionContextInterface
from chaincode.state import GS1_PREFIX, ORG, SITE, STATION, Tx, answer
from chaincode.validate import Fields, check_gs1_key, check_ident, parse_object
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.identity.attrs import Role
from scanner.epcis import cbv

TIERS = ("oem", "tier1", "tier2", "tier3", "auditor")
MAX_PREFIXES = 50
MIN_PREFIX, MAX_PREFIX = 4, 12


def _country(fields: Fields) -> str:
    value = fields.text("country", max_len=64)
    if len(value) != 2 or not value.isascii() or not value.isupper() or not value.isalpha():
        raise ValidationError(
            f"{fields.what} country {value!r} is not an ISO 3166-1 alpha-2 code such as 'MX'",
            field="country",
            value=value,
        )
    return value


def _prefixes(fields: Fields) -> list[str]:
    prefixes = fields.str_list("gs1_prefixes", max_items=MAX_PREFIXES, required=False)
    for p in prefixes:
        if not p.isdigit() or not p.isascii() or not MIN_PREFIX <= len(p) <= MAX_PREFIX:
            raise ValidationError(
                f"GS1 company prefix {p!r} must have {MIN_PREFIX}-{MAX_PREFIX} digits",
                field="gs1_prefixes",
                value=p,
            )
    ordered = sorted(prefixes)
    for a in ordered:
        for b in ordered:
            if a != b and b.startswith(a):
                raise ValidationError(f"GS1 company prefixes {a} and {b} overlap", field="gs1_prefixes", value=b)
    return ordered


def _duns(fields: Fields) -> str | None:
    value = fields.opt_text("duns", max_len=16)
    if value is None:
        return None
    digits = value.replace("-", "")
    if len(digits) != 9 or not digits.isdigit() or not digits.isascii():
        raise ValidationError(f"DUNS number {value!r} must have 9 digits", field="duns", value=value)
    return digits


async def org_must_exist(tx: Tx, msp_id: str) -> dict:
    """The org record of ``msp_id``; NotFound telling the caller to register it first."""
    doc = await tx.get(tx.key(ORG, msp_id))
    if doc is None:
        raise NotFound(f"organization {msp_id} is not registered (RegisterOrg first)", value=msp_id, field="msp_id")
    return doc


async def _claim_prefix(tx: Tx, prefix: str) -> None:
    """Refuse a GS1 prefix held by another org, or nested in / around one held by another org."""
    holder = await tx.get(tx.key(GS1_PREFIX, prefix))
    if holder is not None and holder["msp_id"] != tx.msp:
        raise Conflict(
            f"GS1 company prefix {prefix} is registered to {holder['msp_id']}",
            field="gs1_prefixes",
            value=prefix,
        )
    for n in range(MIN_PREFIX, len(prefix)):
        shorter = await tx.get(tx.key(GS1_PREFIX, prefix[:n]))
        if shorter is not None and shorter["msp_id"] != tx.msp:
            raise Conflict(
                f"GS1 company prefix {prefix} lies inside prefix {prefix[:n]} registered to {shorter['msp_id']}",
                field="gs1_prefixes",
                value=prefix,
            )
    for longer, doc in await tx.keys_with_prefix(GS1_PREFIX, prefix):
        if longer != prefix and doc["msp_id"] != tx.msp:
            raise Conflict(
                f"GS1 company prefix {prefix} contains prefix {longer} registered to {doc['msp_id']}",
                field="gs1_prefixes",
                value=prefix,
            )


class RegistryTransactions:
    """RegisterOrg, RegisterSite, RegisterStation and their reads."""

    @submit
    async def RegisterOrg(self, ctx: TransactionContextInterface, org_json: str) -> str:
        """An admin registers or updates its own organization; returns the stored org."""
        tx = Tx(ctx)
        f = Fields(parse_object(org_json, "org"), "org")
        msp_id = f.msp("msp_id") if f.doc.get("msp_id") is not None else tx.msp
        tx.require(f"register organization {msp_id}", Role.ADMIN, msp=msp_id)
        doc = {
            "doc_type": "org",
            "msp_id": msp_id,
            "legal_name": f.text("legal_name", max_len=256),
            "tier": f.choice("tier", TIERS),
            "country": _country(f),
            "address": f.text("address", max_len=512),
            "gs1_prefixes": _prefixes(f),
            "duns": _duns(f),
        }
        f.done()
        key = tx.key(ORG, msp_id)
        old = await tx.get(key)
        old_prefixes = set(old["gs1_prefixes"]) if old else set()
        for prefix in doc["gs1_prefixes"]:
            if prefix not in old_prefixes:
                await _claim_prefix(tx, prefix)
                await tx.put(tx.key(GS1_PREFIX, prefix), {"doc_type": "gs1prefix", "prefix": prefix, "msp_id": msp_id})
        for prefix in old_prefixes - set(doc["gs1_prefixes"]):
            await tx.delete(tx.key(GS1_PREFIX, prefix))
        doc["registered_at"] = old["registered_at"] if old else tx.now_iso
        doc["updated_at"] = tx.now_iso
        await tx.put(key, doc)
        tx.emit("OrgRegistered", {"msp_id": msp_id, "updated": old is not None})
        return answer(doc)

    @submit
    async def RegisterSite(self, ctx: TransactionContextInterface, site_json: str) -> str:
        """An admin registers or updates a site of its org (coordinates as decimal strings)."""
        tx = Tx(ctx)
        tx.require("register a site", Role.ADMIN)
        await org_must_exist(tx, tx.msp)
        f = Fields(parse_object(site_json, "site"), "site")
        gln = f.opt_text("gln", max_len=13)
        doc = {
            "doc_type": "site",
            "msp_id": tx.msp,
            "site_id": f.ident("site_id"),
            "name": f.text("name", max_len=256),
            "address": f.text("address", max_len=512),
            "country": _country(f),
            "gln": check_gs1_key("GLN", gln, (13,)) if gln is not None else None,
            "lat": f.coordinate("lat", 90),
            "lon": f.coordinate("lon", 180),
        }
        f.done()
        key = tx.key(SITE, tx.msp, doc["site_id"])
        old = await tx.get(key)
        doc["registered_at"] = old["registered_at"] if old else tx.now_iso
        doc["updated_at"] = tx.now_iso
        await tx.put(key, doc)
        tx.emit("SiteRegistered", {"msp_id": tx.msp, "site_id": doc["site_id"]})
        return answer(doc)

    @submit
    async def RegisterStation(self, ctx: TransactionContextInterface, station_json: str) -> str:
        """An admin binds a station id to one of its sites, a read point and a default business step."""
        tx = Tx(ctx)
        tx.require("register a station", Role.ADMIN)
        f = Fields(parse_object(station_json, "station"), "station")
        station_id = f.ident("station_id")
        site_id = f.ident("site_id")
        read_point = f.uri("read_point")
        step = f.opt_text("default_biz_step", max_len=256)
        doc = {
            "doc_type": "station",
            "msp_id": tx.msp,
            "station_id": station_id,
            "site_id": site_id,
            "read_point": read_point,
            "default_biz_step": cbv.compact(cbv.BIZ_STEP, cbv.biz_step(step)) if step else "inspecting",
            "name": f.opt_text("name", max_len=256),
        }
        f.done()
        await tx.must_get(tx.key(SITE, tx.msp, site_id), f"site {site_id} of {tx.msp}")
        key = tx.key(STATION, tx.msp, station_id)
        old = await tx.get(key)
        doc["registered_at"] = old["registered_at"] if old else tx.now_iso
        doc["updated_at"] = tx.now_iso
        await tx.put(key, doc)
        tx.emit("StationRegistered", {"msp_id": tx.msp, "station_id": station_id, "site_id": site_id})
        return answer(doc)

    @evaluate
    async def GetOrg(self, ctx: TransactionContextInterface, msp_id: str) -> str:
        """One organization."""
        tx = Tx(ctx)
        tx.require("read organizations")
        return answer(await org_must_exist(tx, check_ident(msp_id, "MSP id", "msp_id")))

    @evaluate
    async def ListOrgs(self, ctx: TransactionContextInterface) -> str:
        """Every registered organization, by MSP id."""
        tx = Tx(ctx)
        tx.require("read organizations")
        return answer([doc for _, doc in await tx.entries(ORG)])

    @evaluate
    async def GetSite(self, ctx: TransactionContextInterface, msp_id: str, site_id: str) -> str:
        """One site with the stations bound to it."""
        tx = Tx(ctx)
        tx.require("read sites")
        site = await tx.must_get(
            tx.key(SITE, check_ident(msp_id, "MSP id", "msp_id"), check_ident(site_id, "site id", "site_id")),
            f"site {site_id} of {msp_id}",
        )
        stations = [doc for _, doc in await tx.entries(STATION, msp_id) if doc["site_id"] == site_id]
        return answer({**site, "stations": stations})

    @evaluate
    async def ListSites(self, ctx: TransactionContextInterface, msp_id: str) -> str:
        """Every site of an organization."""
        tx = Tx(ctx)
        tx.require("read sites")
        return answer([doc for _, doc in await tx.entries(SITE, check_ident(msp_id, "MSP id", "msp_id"))])
