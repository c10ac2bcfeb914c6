"""network.yaml: the organizations of a network, their sites, peer and members, and the channel's policy.

One file describes the whole permissioned network so that ``usmca network init`` can create every CA and
identity from it, and so that a later real Fabric network (orderer, peers on 127.0.0.1) can be generated from
the same description. Loading normalizes it: ports and peer names get defaults, every org gets an admin, and
cross-org rules (unique MSP ids, sites, stations, ports, non-overlapping GS1 prefixes, a parsable endorsement
policy) are checked with errors that name the field path and the value.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.errors import ParseError, ValidationError
from ledger.identity.attrs import Role
from ledger.identity.fields import (
    USMCA_COUNTRIES,
    ChannelName,
    Country,
    Duns,
    Gln,
    GS1Prefix,
    Host,
    MspId,
    Name,
    NetworkName,
)
from ledger.identity.policy import parse_policy

Port = int
_PORT = {"ge": 1, "le": 65535}
#: Roles a member may have (``peer`` is reserved for the org's endorsing peer identity).
MEMBER_ROLES = tuple(r for r in Role if r is not Role.PEER)
DEFAULT_ADMIN = "admin"


class Tier(StrEnum):
    """Where an organization sits in the supply chain."""

    OEM = "oem"
    TIER1 = "tier1"
    TIER2 = "tier2"
    TIER3 = "tier3"
    AUDITOR = "auditor"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Address(_Model):
    """A postal address, as printed on a certification of origin."""

    street: str = Field(min_length=1)
    city: str = Field(min_length=1)
    region: str | None = None
    postal_code: str | None = None

    def one_line(self) -> str:
        """``street, city, region postal_code`` for tables and documents."""
        tail = " ".join(p for p in (self.region, self.postal_code) if p)
        return ", ".join(p for p in (self.street, self.city, tail) if p)


class Site(_Model):
    """A plant or warehouse where parts are produced, scanned or shipped from."""

    id: Name
    name: str = Field(min_length=1)
    address: Address
    country: Country
    gln: Gln | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Peer(_Model):
    """The org's endorsing peer; ports left out get per-org defaults (7051, 9051, 11051, ...)."""

    name: Name = "peer0"
    host: Host = "127.0.0.1"
    port: int | None = Field(default=None, **_PORT)
    chaincode_port: int | None = Field(default=None, **_PORT)
    ops_port: int | None = Field(default=None, **_PORT)

    @property
    def address(self) -> str:
        """``host:port`` as a Gateway client dials it."""
        return f"{self.host}:{self.port}"


class Member(_Model):
    """A person or device of an org; ``station`` is the scanning station id of a station member."""

    name: Name
    role: Role
    station: Name | None = None
    site: Name | None = None

    @model_validator(mode="after")
    def _station_rules(self) -> Self:
        if self.role is Role.PEER:
            raise ValueError(f"member {self.name!r}: role 'peer' is reserved for the org's peer identity")
        if self.role is Role.STATION and self.station is None:
            raise ValueError(f"member {self.name!r} has role station but no station id")
        if self.role is not Role.STATION and self.station is not None:
            raise ValueError(f"member {self.name!r} has station {self.station!r} but role {self.role.value}")
        return self


class Org(_Model):
    """A legal entity on the network with its own CA (its MSP)."""

    msp_id: MspId
    name: str = Field(min_length=1, description="legal name")
    tier: Tier
    country: Country
    address: Address
    domain: Host | None = None
    gs1_company_prefixes: tuple[GS1Prefix, ...] = ()
    duns: Duns
    sites: tuple[Site, ...] = ()
    peer: Peer = Peer()
    members: tuple[Member, ...] = ()

    @property
    def in_usmca(self) -> bool:
        """True for an org established in the US, Mexico or Canada."""
        return self.country in USMCA_COUNTRIES

    def member(self, name: str) -> Member | None:
        """The member called ``name``, if any."""
        return next((m for m in self.members if m.name == name), None)


class OrdererNode(_Model):
    """One ordering node of a later real Fabric network."""

    name: Name
    host: Host = "127.0.0.1"
    port: int | None = Field(default=None, **_PORT)
    admin_port: int | None = Field(default=None, **_PORT)
    ops_port: int | None = Field(default=None, **_PORT)


class OrdererOrg(_Model):
    """The ordering service org (used when the network is deployed on real Fabric)."""

    msp_id: MspId
    name: str = Field(min_length=1)
    domain: Host | None = None
    country: Country = "US"
    nodes: tuple[OrdererNode, ...] = Field(min_length=1)


class NetworkConfig(_Model):
    """The whole network.yaml."""

    name: NetworkName
    channel: ChannelName = "usmca"
    endorsement_policy: str = "MAJORITY"
    orderer: OrdererOrg | None = None
    orgs: tuple[Org, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _normalize(self) -> NetworkConfig:
        orgs = tuple(_org_defaults(org, i) for i, org in enumerate(self.orgs))
        orderer = _orderer_defaults(self.orderer) if self.orderer else None
        out = self.model_copy(update={"orgs": orgs, "orderer": orderer})
        _check_network(out)
        return out

    @property
    def msp_ids(self) -> tuple[str, ...]:
        """The application orgs' MSP ids, in file order."""
        return tuple(o.msp_id for o in self.orgs)

    def org(self, msp_id: str) -> Org | None:
        """The org with this MSP id, if any."""
        return next((o for o in self.orgs if o.msp_id == msp_id), None)

    def to_yaml(self) -> str:
        """The normalized configuration as YAML (what ``init`` writes to ``home/network.yaml``)."""
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def default_domain(msp_id: str) -> str:
    """``OemMSP`` -> ``oem.usmca.example`` (the reserved ``.example`` TLD: names that never resolve)."""
    base = msp_id[:-3] if msp_id.upper().endswith("MSP") and len(msp_id) > 3 else msp_id
    return f"{base.lower().strip('.-')}.usmca.example"


def _org_defaults(org: Org, index: int) -> Org:
    port = org.peer.port or 7051 + 2000 * index
    peer = org.peer.model_copy(
        update={
            "port": port,
            "chaincode_port": org.peer.chaincode_port or port + 1,
            "ops_port": org.peer.ops_port or 9444 + index,
        }
    )
    members = org.members
    if not any(m.role is Role.ADMIN for m in members):
        if org.member(DEFAULT_ADMIN) is not None:
            raise ValidationError(
                f"org {org.msp_id} has no admin, and its member {DEFAULT_ADMIN!r} is not one; add an admin",
                field=f"orgs[{index}].members",
                value=DEFAULT_ADMIN,
            )
        members = (Member(name=DEFAULT_ADMIN, role=Role.ADMIN), *members)
    return org.model_copy(update={"peer": peer, "members": members, "domain": org.domain or default_domain(org.msp_id)})


def _orderer_defaults(orderer: OrdererOrg) -> OrdererOrg:
    nodes = tuple(
        n.model_copy(
            update={
                "port": n.port or 7050 + 10 * i,
                "admin_port": n.admin_port or 7053 + 10 * i,
                "ops_port": n.ops_port or 8443 + i,
            }
        )
        for i, n in enumerate(orderer.nodes)
    )
    return orderer.model_copy(update={"nodes": nodes, "domain": orderer.domain or default_domain(orderer.msp_id)})


def _unique(seen: dict[Any, str], key: Any, where: str, what: str) -> None:
    if key in seen:
        raise ValidationError(f"{what} {key!r} is used twice: {seen[key]} and {where}", field=where, value=str(key))
    seen[key] = where


def _check_network(cfg: NetworkConfig) -> None:
    msps: dict[Any, str] = {}
    if cfg.orderer:
        _unique(msps, cfg.orderer.msp_id, "orderer.msp_id", "MSP id")
    sites: dict[Any, str] = {}
    ports: dict[Any, str] = {}
    prefixes: list[tuple[str, str]] = []
    for i, org in enumerate(cfg.orgs):
        at = f"orgs[{i}]"
        _unique(msps, org.msp_id, f"{at}.msp_id", "MSP id")
        for j, site in enumerate(org.sites):
            _unique(sites, site.id, f"{at}.sites[{j}].id", "site id")
            if site.gln and org.gs1_company_prefixes and not site.gln.startswith(org.gs1_company_prefixes):
                raise ValidationError(
                    f"GLN {site.gln} of site {site.id} does not start with a GS1 company prefix of "
                    f"{org.msp_id} ({', '.join(org.gs1_company_prefixes)})",
                    field=f"{at}.sites[{j}].gln",
                    value=site.gln,
                )
        names: dict[Any, str] = {}
        stations: dict[Any, str] = {}
        site_ids = {s.id for s in org.sites}
        for j, m in enumerate(org.members):
            _unique(names, m.name, f"{at}.members[{j}].name", f"member name in {org.msp_id}")
            if m.station is not None:
                _unique(stations, m.station, f"{at}.members[{j}].station", f"station id in {org.msp_id}")
            if m.site is not None and m.site not in site_ids:
                raise ValidationError(
                    f"member {m.name} names site {m.site!r}, which is not a site of {org.msp_id}",
                    field=f"{at}.members[{j}].site",
                    value=m.site,
                )
        for k, prefix in enumerate(org.gs1_company_prefixes):
            where = f"{at}.gs1_company_prefixes[{k}]"
            for other, other_where in prefixes:
                if prefix.startswith(other) or other.startswith(prefix):
                    raise ValidationError(
                        f"GS1 company prefix {prefix} overlaps {other} ({other_where}); a prefix belongs to one org",
                        field=where,
                        value=prefix,
                    )
            prefixes.append((prefix, where))
        for key in ("port", "chaincode_port", "ops_port"):
            _unique(ports, f"{org.peer.host}:{getattr(org.peer, key)}", f"{at}.peer.{key}", "address")
    if cfg.orderer:
        for i, node in enumerate(cfg.orderer.nodes):
            for key in ("port", "admin_port", "ops_port"):
                _unique(ports, f"{node.host}:{getattr(node, key)}", f"orderer.nodes[{i}].{key}", "address")
    parse_policy(cfg.endorsement_policy, cfg.msp_ids)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith(("function-", "constrained-")) and part not in (
            "function-after",
            "tagged-union",
        ):
            out += f".{part}" if out else part
    return out


def _message(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ").replace("Tuple should", "List should")
    value = err.get("input")
    if err["type"] != "value_error" and not isinstance(value, dict | list | tuple) and value is not None:
        msg += f" (got {value!r})"
    return msg


def parse_config(data: Any, *, source: str = "network.yaml") -> NetworkConfig:
    """Validate a parsed network.yaml; the error names up to three bad fields (``field`` is the first)."""
    if not isinstance(data, dict):
        raise ParseError(f"{source} must hold a mapping, not {type(data).__name__}", value=source)
    try:
        return NetworkConfig.model_validate(data)
    except ValidationError as exc:
        where = f"{exc.field}: " if exc.field else ""
        raise ValidationError(f"{source}: {where}{exc.message}", field=exc.field, value=exc.value) from None
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        parts = [": ".join(p for p in (_loc(tuple(e["loc"])), _message(e)) if p) for e in errors[:3]]
        more = f" (and {len(errors) - 3} more problems)" if len(errors) > 3 else ""
        text = f"{source}: {'; '.join(parts)}{more}"
        first = errors[0]
        path = _loc(tuple(first["loc"]))
        value = first.get("input")
        raise ValidationError(
            text, field=path or None, value=value if isinstance(value, str | int | float) else None
        ) from None


class _Yaml12BoolLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false, as in YAML 1.2.

    YAML 1.1 reads ``NO`` (Norway), ``ON`` (Ontario) and ``yes``/``off`` as booleans; in a file full of
    country and province codes that silently corrupts data, so those words stay strings here.
    """


_BOOL_TAG = "tag:yaml.org,2002:bool"
_Yaml12BoolLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12BoolLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(text: str) -> Any:
    """Parse YAML with YAML 1.2 booleans (see :class:`_Yaml12BoolLoader`)."""
    return yaml.load(text, Loader=_Yaml12BoolLoader)  # noqa: S506 - a SafeLoader subclass


def load_config(path: Path) -> NetworkConfig:
    """Read and validate a network.yaml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ParseError(f"network configuration {path} does not exist", value=str(path)) from exc
    try:
        data = read_yaml(text)
    except yaml.YAMLError as exc:
        raise ParseError(f"{path} is not valid YAML: {exc}".replace("\n", " "), value=str(path)) from exc
    return parse_config(data, source=str(path))
