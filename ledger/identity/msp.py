"""Create a network's identities on disk as Fabric MSP folders, and issue members later.

``init_network`` builds everything in a staging folder inside the home and moves it into place before
writing ``network.yaml`` last, so a home either holds a complete network or none. ``add_member`` holds an
exclusive lock on the home while it issues a certificate and rewrites network.yaml, so concurrent API calls
cannot lose a member.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509

from ledger.errors import Conflict, NotFound, ValidationError
from ledger.identity import layout
from ledger.identity.attrs import ROLE_ATTR, STATION_ATTR, Role
from ledger.identity.ca import CertificateAuthority, Issued, write_private, write_public
from ledger.identity.config import Member as MemberConfig
from ledger.identity.config import NetworkConfig, OrdererOrg, Org, load_config, parse_config
from ledger.identity.network import Member, Network, load_network, network_from_config

NODE_OUS = """NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/{ca}
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/{ca}
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/{ca}
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/{ca}
    OrganizationalUnitIdentifier: orderer
"""

#: Files of a ledger home: a ledger created for other CAs must not be adopted by a new network.
LEDGER_FILES = ("ledger.db", "readmodel.db")
#: Fabric NodeOU of each role: admins are ``admin``, everyone else who signs transactions is a ``client``.
NODE_OU = {Role.ADMIN: "admin", Role.PEER: "peer"}


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / layout.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_config(home: Path, config: NetworkConfig) -> None:
    """Replace network.yaml atomically (write a temporary file, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=".network-", suffix=".yaml", dir=home)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"# Normalized by usmca network; edit with 'usmca network add-member'.\n{config.to_yaml()}")
    os.replace(tmp, layout.network_file(home))


def _verifying_msp(msp: Path, ca_pem: bytes, tlsca_pem: bytes) -> None:
    write_public(msp / "cacerts" / layout.CA_CERT, ca_pem)
    write_public(msp / "tlscacerts" / layout.TLSCA_CERT, tlsca_pem)
    write_public(msp / "config.yaml", NODE_OUS.format(ca=layout.CA_CERT).encode())


def _signing_msp(msp: Path, ca: CertificateAuthority, tlsca_pem: bytes, issued: Issued) -> None:
    _verifying_msp(msp, ca.cert_pem, tlsca_pem)
    write_public(layout.signcert(msp), issued.cert_pem)
    write_private(layout.keystore(msp), issued.key_pem)


def _tls(tls: Path, tlsca: CertificateAuthority, issued: Issued) -> None:
    write_public(tls / "ca.crt", tlsca.cert_pem)
    write_public(tls / "server.crt", issued.cert_pem)
    write_private(tls / "server.key", issued.key_pem)


def _member_attrs(name: str, role: Role, station: str | None) -> dict[str, str]:
    attrs = {"hf.EnrollmentID": name, "hf.Type": NODE_OU.get(role, "client"), ROLE_ATTR: role.value}
    if station is not None:
        attrs[STATION_ATTR] = station
    return attrs


def _issue_member(home: Path, org: Org, member: MemberConfig, ca: CertificateAuthority, tlsca_pem: bytes) -> None:
    issued = ca.issue(
        member.name,
        org_name=org.name,
        country=org.country,
        ou=NODE_OU.get(member.role, "client"),
        attrs=_member_attrs(member.name, member.role, member.station),
    )
    _signing_msp(layout.user_dir(home, org.msp_id, member.name) / "msp", ca, tlsca_pem, issued)


def _init_org(home: Path, org: Org) -> None:
    domain = org.domain or ""
    ca = CertificateAuthority.create(f"ca.{domain}", org.name, org.country)
    tlsca = CertificateAuthority.create(f"tlsca.{domain}", org.name, org.country)
    ca.save(layout.ca_dir(home, org.msp_id), layout.CA_CERT)
    tlsca.save(layout.tlsca_dir(home, org.msp_id), layout.TLSCA_CERT)
    _verifying_msp(layout.org_dir(home, org.msp_id) / "msp", ca.cert_pem, tlsca.cert_pem)
    peer = org.peer
    cn = f"{peer.name}.{domain}"
    base = layout.peer_dir(home, org.msp_id, peer.name)
    ident = ca.issue(cn, org_name=org.name, country=org.country, ou="peer", attrs=_member_attrs(cn, Role.PEER, None))
    _signing_msp(base / "msp", ca, tlsca.cert_pem, ident)
    hosts = tuple(dict.fromkeys((peer.host, "127.0.0.1", "localhost", cn)))
    _tls(base / "tls", tlsca, tlsca.issue(cn, org_name=org.name, country=org.country, tls_hosts=hosts))
    for member in org.members:
        _issue_member(home, org, member, ca, tlsca.cert_pem)


def _init_orderer(home: Path, orderer: OrdererOrg) -> None:
    domain = orderer.domain or ""
    ca = CertificateAuthority.create(f"ca.{domain}", orderer.name, orderer.country)
    tlsca = CertificateAuthority.create(f"tlsca.{domain}", orderer.name, orderer.country)
    ca.save(layout.ca_dir(home, orderer.msp_id), layout.CA_CERT)
    tlsca.save(layout.tlsca_dir(home, orderer.msp_id), layout.TLSCA_CERT)
    _verifying_msp(layout.org_dir(home, orderer.msp_id) / "msp", ca.cert_pem, tlsca.cert_pem)
    for node in orderer.nodes:
        cn = f"{node.name}.{domain}"
        base = layout.orderer_dir(home, orderer.msp_id, node.name)
        _signing_msp(
            base / "msp",
            ca,
            tlsca.cert_pem,
            ca.issue(cn, org_name=orderer.name, country=orderer.country, ou="orderer"),
        )
        hosts = tuple(dict.fromkeys((node.host, "127.0.0.1", "localhost", cn)))
        _tls(
            base / "tls",
            tlsca,
            tlsca.issue(cn, org_name=orderer.name, country=orderer.country, tls_hosts=hosts),
        )
    admin = ca.issue("admin", org_name=orderer.name, country=orderer.country, ou="admin")
    _signing_msp(layout.user_dir(home, orderer.msp_id, "admin") / "msp", ca, tlsca.cert_pem, admin)


def _check_empty_home(home: Path) -> None:
    """Refuse any home that already holds identities, a ledger, or a hand-written network.yaml."""
    network_yaml = layout.network_file(home)
    if network_yaml.exists() and (home / "orgs").exists():
        raise Conflict(f"{home} already holds a network ({network_yaml}); choose another --home", value=str(home))
    if network_yaml.exists():
        raise Conflict(
            f"{network_yaml} exists but {home} holds no identities; keep the configuration outside the home "
            "(init writes its normalized copy there)",
            value=str(home),
        )
    for leftover in ("orgs", *LEDGER_FILES):
        if (home / leftover).exists():
            raise Conflict(
                f"{home / leftover} already exists in {home}; remove it or choose another --home", value=str(home)
            )


def init_network(home: Path, config: NetworkConfig) -> Network:
    """Create every CA and identity of ``config`` under ``home``; Conflict when it already has a network."""
    home = Path(home)
    with _locked(home):
        _check_empty_home(home)
        staging = Path(tempfile.mkdtemp(prefix=".init-", dir=home))
        try:
            if config.orderer:
                _init_orderer(staging, config.orderer)
            for org in config.orgs:
                _init_org(staging, org)
            (staging / "orgs").rename(home / "orgs")
            _write_config(home, config)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return network_from_config(home, config)


def init_network_from_file(home: Path, config_path: Path) -> Network:
    """``init_network`` from a network.yaml file."""
    return init_network(home, load_config(config_path))


def add_member(
    home: Path, msp_id: str, name: str, role: Role | str, station: str | None = None, site: str | None = None
) -> Member:
    """Issue a new member certificate from the org's CA and record it in network.yaml.

    Needs the org's CA key in this home (NotFound otherwise); Conflict when the name is taken.
    """
    home = Path(home)
    try:
        role = Role(role)
    except ValueError as exc:
        roles = ", ".join(r.value for r in Role if r is not Role.PEER)
        raise ValidationError(f"role {role!r} is not one of {roles}", field="role", value=str(role)) from exc
    with _locked(home):
        network = load_network(home)
        org = network.config.org(msp_id)
        if org is None:
            raise NotFound(f"no organization {msp_id!r} in network {network.name}", value=msp_id)
        if org.member(name) is not None:
            raise Conflict(f"{msp_id} already has a member {name!r}", value=name)
        data = network.config.model_dump(mode="json", exclude_none=True)
        index = network.config.msp_ids.index(msp_id)
        entry = {"name": name, "role": role.value, "station": station, "site": site}
        data["orgs"][index]["members"].append({k: v for k, v in entry.items() if v is not None})
        config = parse_config(data, source="new member")
        new_org = config.orgs[index]
        member = new_org.members[-1]
        if layout.user_dir(home, msp_id, name).exists():
            raise Conflict(f"{layout.user_dir(home, msp_id, name)} already exists", value=name)
        ca = CertificateAuthority.load(
            layout.ca_dir(home, msp_id) / layout.CA_CERT, layout.ca_dir(home, msp_id) / layout.KEY_FILE
        )
        tlsca_pem = (layout.tlsca_dir(home, msp_id) / layout.TLSCA_CERT).read_bytes()
        _issue_member(home, new_org, member, ca, tlsca_pem)
        _write_config(home, config)
    return network_from_config(home, config).member(msp_id, name)


def revoke_member(home: Path, msp_id: str, name: str, *, now: dt.datetime | None = None) -> Member:
    """Revoke a member's certificate: its org's CA re-signs the CRL in ``orgs/<MSP>/msp/crls/crl.pem``.

    The member stays listed (its past signatures remain attributable) but no longer validates. Revoking an
    org's last active admin is refused, so that someone can still administer the org.
    """
    home = Path(home)
    now = now or dt.datetime.now(dt.UTC)
    with _locked(home):
        network = load_network(home)
        member = network.member(msp_id, name)
        if member.revoked_at is not None:
            raise Conflict(f"{msp_id}/{name} was already revoked at {member.revoked_at.isoformat()}", value=name)
        admins = [m for m in network.members(msp_id) if m.role is Role.ADMIN and m.active]
        if member.role is Role.ADMIN and admins == [member]:
            raise Conflict(f"{name} is the last active admin of {msp_id}; add another admin first", value=name)
        ca = CertificateAuthority.load(
            layout.ca_dir(home, msp_id) / layout.CA_CERT, layout.ca_dir(home, msp_id) / layout.KEY_FILE
        )
        crl_path = layout.crl_file(home, msp_id)
        entries: list[tuple[int, dt.datetime]] = []
        number = 1
        if crl_path.exists():
            old = x509.load_pem_x509_crl(crl_path.read_bytes())
            entries = [(e.serial_number, e.revocation_date_utc) for e in old]
            number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        entries.append((x509.load_pem_x509_certificate(member.cert_pem).serial_number, now))
        crl_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".crl-", dir=crl_path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(ca.crl(entries, number=number, now=now))
        os.replace(tmp, crl_path)
    return load_network(home).member(msp_id, name)
