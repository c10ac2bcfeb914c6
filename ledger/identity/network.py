"""A read-only view of an initialized network: orgs, their CAs, peer and members, and the channel policy.

The embedded ledger, the API and the CLI all start from :func:`load_network`. Certificates are read eagerly (a
missing one is a broken home and should fail at start-up); private keys are read lazily on first signature, so
a deployment whose home holds only its own org's keys still loads the whole network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography import x509
from fabric_protos.msp import identities_pb2

from ledger.errors import NotFound, ValidationError
from ledger.identity import layout
from ledger.identity.attrs import CertIdentity, Role, identity_from_cert
from ledger.identity.config import Address, NetworkConfig, OrdererOrg, Org, Site, Tier, load_config
from ledger.identity.policy import Policy, parse_policy
from ledger.identity.signing import MspValidator, Signer


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"{what} is missing: {path} does not exist", value=str(path)) from exc


def serialize_identity(msp_id: str, cert_pem: bytes) -> bytes:
    """Fabric's ``SerializedIdentity`` (the ``creator`` of a proposal): MSP id and PEM certificate."""
    return identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=cert_pem).SerializeToString()


@dataclass(frozen=True)
class Identity:
    """A signing identity: its certificate, and its key in a Fabric keystore."""

    msp_id: str
    name: str
    role: Role
    cert_pem: bytes = field(repr=False)
    msp_dir: Path

    @property
    def key_path(self) -> Path:
        """The keystore file holding the private key."""
        return layout.keystore(self.msp_dir)

    @cached_property
    def signer(self) -> Signer:
        """The private key, loaded on first use (NotFound when this home does not hold it).

        A key that does not match the certificate is refused here, once, rather than producing signatures that
        every validator rejects later.
        """
        signer = Signer.from_file(self.key_path)
        cert_key = x509.load_pem_x509_certificate(self.cert_pem).public_key()
        if signer.public_key.public_numbers() != getattr(cert_key, "public_numbers", lambda: None)():
            raise ValidationError(
                f"private key {self.key_path} does not match the certificate of {self.msp_id}/{self.name}",
                value=str(self.key_path),
            )
        return signer

    @property
    def identity(self) -> CertIdentity:
        """What the chaincode reads from this certificate."""
        return identity_from_cert(self.msp_id, self.cert_pem)

    def serialized(self) -> bytes:
        """The Fabric ``SerializedIdentity`` bytes."""
        return serialize_identity(self.msp_id, self.cert_pem)


@dataclass(frozen=True)
class Member(Identity):
    """A member of an org (admin, station, certifier, compliance officer or auditor)."""

    station: str | None = None
    site: str | None = None
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        """False once the org's CA has revoked this member's certificate."""
        return self.revoked_at is None


@dataclass(frozen=True)
class PeerIdentity(Identity):
    """An org's endorsing peer: its signing identity and its TLS server certificate."""

    host: str = "127.0.0.1"
    port: int = 7051
    chaincode_port: int = 7052
    ops_port: int = 9444
    tls_cert_pem: bytes = field(default=b"", repr=False)
    tls_ca_cert_pem: bytes = field(default=b"", repr=False)

    @property
    def address(self) -> str:
        """``host:port`` as clients dial it."""
        return f"{self.host}:{self.port}"

    @property
    def tls_dir(self) -> Path:
        """``tls/`` with ``ca.crt``, ``server.crt`` and ``server.key``."""
        return self.msp_dir.parent / "tls"


@dataclass(frozen=True)
class OrgInfo:
    """An org's metadata from network.yaml plus its root certificates."""

    msp_id: str
    name: str
    tier: Tier
    country: str
    address: Address
    domain: str
    gs1_company_prefixes: tuple[str, ...]
    duns: str
    sites: tuple[Site, ...]
    ca_cert_pem: bytes = field(repr=False)
    tls_ca_cert_pem: bytes = field(repr=False)
    dir: Path
    crl_pem: bytes | None = field(default=None, repr=False)

    @property
    def in_usmca(self) -> bool:
        """True for an org established in the US, Mexico or Canada."""
        return self.country in ("US", "MX", "CA")

    @property
    def msp_dir(self) -> Path:
        """The org's verifying MSP folder (cacerts, tlscacerts, config.yaml)."""
        return self.dir / "msp"

    def site(self, site_id: str) -> Site:
        """A site by id."""
        for s in self.sites:
            if s.id == site_id:
                return s
        raise NotFound(f"{self.msp_id} has no site {site_id!r}", value=site_id)

    def owns_gs1_key(self, key: str) -> bool:
        """True when a GS1 key was allocated from one of this org's company prefixes.

        The prefix starts after the indicator digit of a GTIN-14 and the extension digit of an SSCC; a GTIN-12
        (UPC-A) is a GTIN-13 with a leading zero; GTIN-8 has no company prefix, so no org owns one.
        """
        body = {14: key[1:], 18: key[1:], 13: key, 12: "0" + key}.get(len(key))
        return body is not None and key.isdigit() and body.startswith(self.gs1_company_prefixes)


@dataclass(frozen=True)
class OrdererNodeInfo:
    """One ordering node."""

    name: str
    host: str
    port: int
    admin_port: int
    ops_port: int
    dir: Path

    @property
    def address(self) -> str:
        """``host:port`` of the node's gRPC listener."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class OrdererInfo:
    """The ordering service org, for a later real Fabric network."""

    msp_id: str
    name: str
    domain: str
    ca_cert_pem: bytes = field(repr=False)
    tls_ca_cert_pem: bytes = field(repr=False)
    nodes: tuple[OrdererNodeInfo, ...]
    dir: Path


@dataclass(frozen=True)
class Network:
    """Everything a home says about the network; immutable once loaded."""

    home: Path
    config: NetworkConfig
    orgs: tuple[OrgInfo, ...]
    orderer: OrdererInfo | None
    policy: Policy
    _members: tuple[Member, ...]
    _peers: tuple[PeerIdentity, ...]

    @property
    def name(self) -> str:
        """The network's name."""
        return self.config.name

    @property
    def channel(self) -> str:
        """The channel all orgs share."""
        return self.config.channel

    @property
    def endorsement_policy(self) -> str:
        """The endorsement policy text as written in network.yaml."""
        return self.config.endorsement_policy

    @property
    def msp_ids(self) -> tuple[str, ...]:
        """The application orgs' MSP ids (the orderer org is not one)."""
        return tuple(o.msp_id for o in self.orgs)

    def org(self, msp_id: str) -> OrgInfo:
        """An org by MSP id."""
        for org in self.orgs:
            if org.msp_id == msp_id:
                return org
        raise NotFound(f"no organization {msp_id!r} in network {self.name}", value=msp_id)

    def members(self, msp_id: str | None = None) -> tuple[Member, ...]:
        """Every member, or those of one org (NotFound for an unknown org)."""
        if msp_id is None:
            return self._members
        self.org(msp_id)
        return tuple(m for m in self._members if m.msp_id == msp_id)

    def member(self, msp_id: str, name: str) -> Member:
        """One member by org and name."""
        self.org(msp_id)
        for m in self._members:
            if m.msp_id == msp_id and m.name == name:
                return m
        raise NotFound(f"{msp_id} has no member {name!r}", value=name)

    def peer(self, msp_id: str) -> PeerIdentity:
        """The org's endorsing peer."""
        self.org(msp_id)
        return next(p for p in self._peers if p.msp_id == msp_id)

    def peers(self) -> tuple[PeerIdentity, ...]:
        """Every org's peer, in org order."""
        return self._peers

    def root_certs(self) -> dict[str, bytes]:
        """MSP id -> root CA certificate, the trust anchors of the channel."""
        return {o.msp_id: o.ca_cert_pem for o in self.orgs}

    def crls(self) -> dict[str, bytes]:
        """MSP id -> certificate revocation list, for the orgs that have revoked anyone."""
        return {o.msp_id: o.crl_pem for o in self.orgs if o.crl_pem is not None}

    def validator(self) -> MspValidator:
        """An :class:`MspValidator` over the application orgs' roots and revocation lists."""
        return MspValidator(self.root_certs(), crls=self.crls())


def _org_info(home: Path, org: Org) -> OrgInfo:
    d = layout.org_dir(home, org.msp_id)
    return OrgInfo(
        msp_id=org.msp_id,
        name=org.name,
        tier=org.tier,
        country=org.country,
        address=org.address,
        domain=org.domain or "",
        gs1_company_prefixes=org.gs1_company_prefixes,
        duns=org.duns,
        sites=org.sites,
        ca_cert_pem=_read(d / "msp" / "cacerts" / layout.CA_CERT, f"CA certificate of {org.msp_id}"),
        tls_ca_cert_pem=_read(d / "msp" / "tlscacerts" / layout.TLSCA_CERT, f"TLS CA certificate of {org.msp_id}"),
        dir=d,
        crl_pem=crl.read_bytes() if (crl := layout.crl_file(home, org.msp_id)).exists() else None,
    )


def _revocations(org: OrgInfo) -> dict[int, dt.datetime]:
    """Serial -> revocation time from the org's CRL (its signature is checked by MspValidator)."""
    if org.crl_pem is None:
        return {}
    return {e.serial_number: e.revocation_date_utc for e in x509.load_pem_x509_crl(org.crl_pem)}


def _peer(home: Path, org: Org) -> PeerIdentity:
    p = org.peer
    base = layout.peer_dir(home, org.msp_id, p.name)
    msp = base / "msp"
    return PeerIdentity(
        msp_id=org.msp_id,
        name=p.name,
        role=Role.PEER,
        cert_pem=_read(layout.signcert(msp), f"certificate of peer {p.name} of {org.msp_id}"),
        msp_dir=msp,
        host=p.host,
        port=p.port or 0,
        chaincode_port=p.chaincode_port or 0,
        ops_port=p.ops_port or 0,
        tls_cert_pem=_read(base / "tls" / "server.crt", f"TLS certificate of peer {p.name} of {org.msp_id}"),
        tls_ca_cert_pem=_read(base / "tls" / "ca.crt", f"TLS CA certificate of peer {p.name} of {org.msp_id}"),
    )


def _orderer(home: Path, orderer: OrdererOrg) -> OrdererInfo:
    d = layout.org_dir(home, orderer.msp_id)
    nodes = tuple(
        OrdererNodeInfo(
            n.name,
            n.host,
            n.port or 0,
            n.admin_port or 0,
            n.ops_port or 0,
            layout.orderer_dir(home, orderer.msp_id, n.name),
        )
        for n in orderer.nodes
    )
    return OrdererInfo(
        msp_id=orderer.msp_id,
        name=orderer.name,
        domain=orderer.domain or "",
        ca_cert_pem=_read(d / "msp" / "cacerts" / layout.CA_CERT, f"CA certificate of {orderer.msp_id}"),
        tls_ca_cert_pem=_read(d / "msp" / "tlscacerts" / layout.TLSCA_CERT, f"TLS CA certificate of {orderer.msp_id}"),
        nodes=nodes,
        dir=d,
    )


def _check_cert_matches(msp_id: str, name: str, role: Role, station: str | None, cert: bytes) -> None:
    """The certificate is the truth the chaincode acts on; network.yaml must not say otherwise."""
    ident = identity_from_cert(msp_id, cert)
    if (ident.role, ident.station, ident.common_name) != (role, station, name):
        raise ValidationError(
            f"member {msp_id}/{name}: network.yaml says role {role.value}, station {station}, but its certificate "
            f"says {ident.common_name} with role {ident.role.value}, station {ident.station}",
            field="members",
            value=name,
        )


def network_from_config(home: Path, config: NetworkConfig) -> Network:
    """Build the view of ``home`` for an already validated configuration."""
    orgs = tuple(_org_info(home, o) for o in config.orgs)
    members: list[Member] = []
    for org, info in zip(config.orgs, orgs, strict=True):
        revoked = _revocations(info)
        for m in org.members:
            msp = layout.user_dir(home, org.msp_id, m.name) / "msp"
            cert = _read(layout.signcert(msp), f"certificate of member {m.name} of {org.msp_id}")
            _check_cert_matches(org.msp_id, m.name, m.role, m.station, cert)
            when = revoked.get(x509.load_pem_x509_certificate(cert).serial_number) if revoked else None
            members.append(Member(org.msp_id, m.name, m.role, cert, msp, m.station, m.site, when))
    return Network(
        home=home,
        config=config,
        orgs=orgs,
        orderer=_orderer(home, config.orderer) if config.orderer else None,
        policy=parse_policy(config.endorsement_policy, config.msp_ids),
        _members=tuple(members),
        _peers=tuple(_peer(home, o) for o in config.orgs),
    )


def load_network(home: Path | str) -> Network:
    """Load the network of a home created by ``usmca network init``."""
    home = Path(home)
    path = layout.network_file(home)
    if not path.exists():
        raise NotFound(
            f"{home} holds no network ({path} does not exist); create one with 'usmca network init'",
            value=str(home),
        )
    return network_from_config(home, load_config(path))
