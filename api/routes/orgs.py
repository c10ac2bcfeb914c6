"""Organizations, their sites and stations: public registry data any member may read; each org's admin edits its own.

Reads go to the ledger (``GetOrg``, ``ListSites``, ``GetSite``). ``PUT`` routes register or update a record
signed by the calling admin; an admin may only write its own org's records (403 otherwise, before anything is
submitted).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.core.credentials import Principal
from api.core.deps import Admin, PrincipalDep, ServicesDep
from api.routes.scans import PROBLEM_RESPONSES, submit
from ledger.errors import Forbidden

router = APIRouter(prefix="/v1/orgs", tags=["orgs"], responses=PROBLEM_RESPONSES)
Ident = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class Org(BaseModel):
    """An organization as registered on the ledger."""

    model_config = ConfigDict(extra="allow")

    msp_id: str
    legal_name: str
    tier: str = Field(description="oem, tier1, tier2, tier3 or auditor.")
    country: str
    address: str
    gs1_prefixes: list[str]
    duns: str | None = None
    registered_at: str
    updated_at: str


class OrgIn(BaseModel):
    """What an org states about itself."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "legal_name": "Castings Test Ltd",
                    "tier": "tier2",
                    "country": "CA",
                    "address": "1 Industrial Way, Windsor",
                    "gs1_prefixes": ["0628000"],
                    "duns": "345678912",
                }
            ]
        },
    )

    legal_name: str = Field(min_length=1, max_length=256)
    tier: str = Field(pattern="^(oem|tier1|tier2|tier3|auditor)$")
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    address: str = Field(min_length=1, max_length=512)
    gs1_prefixes: list[str] = Field(default_factory=list, max_length=50)
    duns: str | None = Field(None, max_length=16)


class Station(BaseModel):
    """A scanning station bound to a site and read point."""

    model_config = ConfigDict(extra="allow")

    msp_id: str
    station_id: str
    site_id: str
    read_point: str
    default_biz_step: str
    name: str | None = None


class Site(BaseModel):
    """A site of an org, with its stations when read one by one."""

    model_config = ConfigDict(extra="allow")

    msp_id: str
    site_id: str
    name: str
    address: str
    country: str
    gln: str | None = None
    lat: str
    lon: str
    stations: list[Station] | None = None


class SiteIn(BaseModel):
    """A site (coordinates as decimal strings, used for the impossible-travel check)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Windsor plant",
                    "address": "1 Industrial Way, Windsor",
                    "country": "CA",
                    "lat": "42.31",
                    "lon": "-83.04",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=256)
    address: str = Field(min_length=1, max_length=512)
    country: str = Field(min_length=2, max_length=2)
    gln: str | None = Field(None, max_length=13)
    lat: str = Field(min_length=1, max_length=32)
    lon: str = Field(min_length=1, max_length=32)


class StationIn(BaseModel):
    """Bind a station id to a site and read point."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "site_id": "supplier-plant",
                    "read_point": "urn:usmca:readpoint:SupplierMSP:sup-st2",
                    "default_biz_step": "inspecting",
                    "name": "Line 2 exit",
                }
            ]
        },
    )

    site_id: str = Field(min_length=1, max_length=64)
    read_point: str = Field(min_length=1, max_length=512)
    default_biz_step: str | None = Field(None, max_length=256)
    name: str | None = Field(None, max_length=256)


class OrgList(BaseModel):
    """Every registered org."""

    orgs: list[Org]


class OrgDetail(Org):
    """An org with its sites."""

    sites: list[Site]


class SiteList(BaseModel):
    """Sites of an org."""

    sites: list[Site]


class StationList(BaseModel):
    """Stations of an org."""

    stations: list[Station]


def _own(principal: Principal, msp_id: str) -> None:
    if principal.msp_id != msp_id:
        raise Forbidden(
            f"admin of {principal.msp_id} may not change the records of {msp_id}", value=msp_id, field="msp_id"
        )


@router.get("", summary="Every registered organization")
def list_orgs(services: ServicesDep, principal: PrincipalDep) -> OrgList:
    """From the ledger, by MSP id."""
    return OrgList(orgs=[Org.model_validate(o) for o in services.client(principal).list_orgs()])


@router.get("/{msp_id}", summary="One organization with its sites")
def get_org(services: ServicesDep, principal: PrincipalDep, msp_id: Ident) -> OrgDetail:
    """404 names the MSP id when it is not registered."""
    client = services.client(principal)
    org = client.get_org(msp_id)
    return OrgDetail.model_validate({**org, "sites": client.list_sites(msp_id)})


@router.put("/{msp_id}", summary="Register or update the caller's own organization (admin)")
def put_org(services: ServicesDep, principal: Admin, msp_id: Ident, body: OrgIn) -> Org:
    """GS1 prefixes held by another org are refused (409) naming the prefix and its holder."""
    _own(principal, msp_id)
    args = json.dumps({"msp_id": msp_id, **body.model_dump(exclude_none=True)})
    return Org.model_validate(submit(services, principal, "RegisterOrg", args, wait=True))


@router.get("/{msp_id}/sites", summary="Sites of an organization")
def list_sites(services: ServicesDep, principal: PrincipalDep, msp_id: Ident) -> SiteList:
    """By site id."""
    client = services.client(principal)
    client.get_org(msp_id)
    return SiteList(sites=[Site.model_validate(s) for s in client.list_sites(msp_id)])


@router.get("/{msp_id}/sites/{site_id}", summary="One site with its stations")
def get_site(services: ServicesDep, principal: PrincipalDep, msp_id: Ident, site_id: Ident) -> Site:
    """404 names the site when it is not registered."""
    return Site.model_validate(services.client(principal).get_site(msp_id, site_id))


@router.put("/{msp_id}/sites/{site_id}", summary="Register or update a site of the caller's org (admin)")
def put_site(services: ServicesDep, principal: Admin, msp_id: Ident, site_id: Ident, body: SiteIn) -> Site:
    """Coordinates are decimal strings (-90..90, -180..180); the GLN's check digit is verified."""
    _own(principal, msp_id)
    args = json.dumps({"site_id": site_id, **body.model_dump(exclude_none=True)})
    return Site.model_validate(submit(services, principal, "RegisterSite", args, wait=True))


@router.get("/{msp_id}/stations", summary="Stations of an organization")
def list_stations(services: ServicesDep, principal: PrincipalDep, msp_id: Ident) -> StationList:
    """Every station of every site of the org."""
    client = services.client(principal)
    client.get_org(msp_id)
    stations: list[dict[str, Any]] = []
    for site in client.list_sites(msp_id):
        stations += client.get_site(msp_id, site["site_id"]).get("stations", [])
    return StationList(stations=[Station.model_validate(s) for s in stations])


@router.put("/{msp_id}/stations/{station_id}", summary="Register or update a station of the caller's org (admin)")
def put_station(services: ServicesDep, principal: Admin, msp_id: Ident, station_id: Ident, body: StationIn) -> Station:
    """The station id is the one in the station member's certificate (``usmca.station``)."""
    _own(principal, msp_id)
    args = json.dumps({"station_id": station_id, **body.model_dump(exclude_none=True)})
    return Station.model_validate(submit(services, principal, "RegisterStation", args, wait=True))
