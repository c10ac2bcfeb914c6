"""Putting the network's organizations on the ledger: each org's admin registers its org, sites and stations.

``network.yaml`` (and the CAs made from it) decide who may join the channel; the ledger records what the
parties publicly state about themselves (legal name, tier, country, GS1 prefixes, DUNS, sites and stations), so
chaincode rules such as "a GTIN-keyed part type only from the owner of its GS1 prefix" and the clone-velocity
check can rely on it. Each record is signed by that org's own admin, never by someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.client import LedgerClient
from ledger.connect import connect
from ledger.identity.attrs import Role
from ledger.identity.network import Network, OrgInfo, load_network


def read_point_uri(msp_id: str, station: str) -> str:
    """The EPCIS read point of a station (a URN scoped by org and station id)."""
    return f"urn:usmca:readpoint:{msp_id}:{station}"


def org_record(org: OrgInfo) -> dict[str, Any]:
    """What an org states about itself on the ledger."""
    return {
        "msp_id": org.msp_id,
        "legal_name": org.name,
        "tier": org.tier.value,
        "country": org.country,
        "address": org.address.one_line(),
        "gs1_prefixes": list(org.gs1_company_prefixes),
        "duns": org.duns,
    }


def site_record(site: Any) -> dict[str, Any]:
    """A site as the chaincode stores it (coordinates as decimal strings)."""
    rec = {
        "site_id": site.id,
        "name": site.name,
        "address": site.address.one_line(),
        "country": site.country,
        "lat": f"{site.lat:.6f}",
        "lon": f"{site.lon:.6f}",
    }
    if site.gln:
        rec["gln"] = site.gln
    return rec


@dataclass(frozen=True)
class Registered:
    """What a bootstrap wrote."""

    orgs: int
    sites: int
    stations: int


def admin_of(network: Network, msp_id: str) -> str:
    """The name of the first admin member of an org."""
    for m in network.members(msp_id):
        if m.role is Role.ADMIN:
            return m.name
    raise LookupError(f"{msp_id} has no admin member")


def register_network(home: Path, *, backend: str = "embedded") -> Registered:
    """Register every org of the home's network with its sites and stations (idempotent: re-running updates)."""
    network = load_network(home)
    n_sites = n_stations = 0
    for org in network.orgs:
        client = LedgerClient(connect(home, org.msp_id, admin_of(network, org.msp_id), backend=backend))
        client.register_org(org_record(org))
        for site in org.sites:
            client.register_site(site_record(site))
            n_sites += 1
        default_site = org.sites[0].id if org.sites else None
        for m in network.members(org.msp_id):
            if m.role is not Role.STATION or m.station is None:
                continue
            site_id = m.site or default_site
            if site_id is None:
                continue
            client.register_station(
                {
                    "station_id": m.station,
                    "site_id": site_id,
                    "read_point": read_point_uri(org.msp_id, m.station),
                    "name": m.name,
                }
            )
            n_stations += 1
    return Registered(len(network.orgs), n_sites, n_stations)
