"""Helpers to drive the real chaincode through ``ContractChaincode.invoke`` with the embedded ledger's SimulationStub.

``MemoryState`` is the smallest StateReader that behaves like a peer's committed state: a transaction reads
only what was committed before it, and its write set is applied as one commit afterwards (with history), so
"a transaction never reads its own writes" holds here exactly as on Fabric. Every test gets a fresh state,
fresh members and a fresh chaincode.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf.timestamp_pb2 import Timestamp

from chaincode import build_chaincode
from ledger.canonical import canonical_json
from ledger.embedded.stub import RWSet, SimulationStub
from ledger.errors import LedgerError, decode_error
from ledger.identity.attrs import ATTRS_OID, ROLE_ATTR, STATION_ATTR, attrs_extension_value
from ledger.identity.signing import Signer

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


class MemoryState:
    """Committed world state with versions and per-key history, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[bytes, tuple[int, int]]] = {}
        self.hist: dict[str, list[tuple[str, bytes, bool, Timestamp]]] = {}
        self.block = 0

    def get(self, key: str) -> tuple[bytes, tuple[int, int]] | None:
        return self.values.get(key)

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, tuple[int, int]]]:
        return {k: self.values[k] for k in keys if k in self.values}

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes, tuple[int, int]]]:
        for key in sorted(self.values):
            if key >= start and (end == "" or key < end):
                value, version = self.values[key]
                yield key, value, version

    def history(self, key: str) -> Iterator[tuple[str, bytes, bool, Timestamp]]:
        return iter(list(self.hist.get(key, [])))

    def commit(self, rwset: RWSet, tx_id: str, ts: Timestamp) -> None:
        self.block += 1
        for key, value in rwset.writes.items():
            if value is None:
                self.values.pop(key, None)
                self.hist.setdefault(key, []).append((tx_id, b"", True, ts))
            else:
                self.values[key] = (value, (self.block, 0))
                self.hist.setdefault(key, []).append((tx_id, value, False, ts))


@dataclass(frozen=True)
class Member:
    """One enrolled member: its org, certificate (with role attributes) and signing key."""

    msp: str
    name: str
    cert_pem: bytes
    signer: Signer

    def sign_b64(self, doc: dict[str, Any]) -> str:
        return base64.b64encode(self.signer.sign(canonical_json(doc))).decode()


def make_member(msp: str, name: str, role: str | None, station: str | None = None) -> Member:
    """A self-issued certificate carrying the Fabric CA attribute extension exactly as attrs.py reads it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, msp)]
    )
    attrs = {}
    if role is not None:
        attrs[ROLE_ATTR] = role
    if station is not None:
        attrs[STATION_ATTR] = station
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - dt.timedelta(days=1))
        .not_valid_after(T0 + dt.timedelta(days=3650))
    )
    if attrs:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ATTRS_OID, attrs_extension_value(attrs)), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    return Member(msp, name, cert.public_bytes(serialization.Encoding.PEM), Signer(key))


@dataclass
class Harness:
    """Invokes the chaincode as a member, commits successful submits, keeps the last event."""

    state: MemoryState = field(default_factory=MemoryState)
    now: dt.datetime = T0
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    cc: Any = None

    def __post_init__(self) -> None:
        self.cc = self.cc or build_chaincode()
        self.loop = asyncio.new_event_loop()
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.loop.close()

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def stub(self, who: Member, fn: str, *args: str) -> SimulationStub:
        """A simulation stub for one proposal by ``who`` at the harness time over the committed state."""
        ts = Timestamp()
        ts.FromDatetime(self.now.replace(tzinfo=None))
        return SimulationStub(
            self.state,
            channel_id="usmca",
            tx_id=f"tx{next(self._ids):06d}",
            fn=fn,
            args=list(args),
            creator_msp=who.msp,
            creator_cert=who.cert_pem,
            timestamp=ts,
        )

    def invoke(self, who: Member, fn: str, *args: str) -> tuple[Any, SimulationStub]:
        stub = self.stub(who, fn, *args)
        resp = self.loop.run_until_complete(self.cc.invoke(stub))
        if resp.status >= 400:
            err = decode_error(resp.message)
            if err is None:
                raise AssertionError(f"chaincode failed without a domain error: {resp.message}")
            raise err
        return resp, stub

    def submit(self, who: Member, fn: str, *args: Any) -> Any:
        resp, stub = self.invoke(who, fn, *(a if isinstance(a, str) else json.dumps(a) for a in args))
        self.state.commit(stub.rwset, stub.tx_id, stub.tx_timestamp)
        for ev in stub.get_events():
            self.events.append((ev.event_name, json.loads(ev.payload)))
        return json.loads(resp.payload) if resp.payload else None

    def evaluate(self, who: Member, fn: str, *args: Any) -> Any:
        resp, stub = self.invoke(who, fn, *(a if isinstance(a, str) else json.dumps(a) for a in args))
        assert not stub.rwset.writes, f"{fn} wrote state during evaluate"
        return json.loads(resp.payload)

    def eval_error(self, who: Member, fn: str, *args: Any) -> LedgerError:
        """The domain error a read raises (fails the test when it succeeds)."""
        with pytest.raises(LedgerError) as info:
            self.evaluate(who, fn, *args)
        return info.value

    def error(self, who: Member, fn: str, *args: Any) -> LedgerError:
        """The domain error a submit raises (fails the test when it succeeds), with nothing committed."""
        before = dict(self.state.values)
        with pytest.raises(LedgerError) as info:
            self.submit(who, fn, *args)
        assert self.state.values == before
        return info.value


# -- a small supply chain ------------------------------------------------------------------------------------------
OEM, T1, T2 = "OemMSP", "TierOneMSP", "CastCoMSP"
SITES = {
    OEM: ("silao", "GM Silao Assembly", "MX", "20.9431", "-101.4270"),
    T1: ("toledo", "Toledo Transmission", "US", "41.6528", "-83.5379"),
    T2: ("windsor", "Windsor Castings", "CA", "42.3149", "-83.0364"),
}
PREFIXES = {OEM: ["7501234"], T1: ["0614141"], T2: ["0628176"]}


def event_hash(*parts: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256('|'.join(parts).encode()).hexdigest()}?ver=CBV2.0"


def uid(msp: str, serial: str) -> str:
    return f"urn:usmca:{msp.lower()}:{serial}"


@dataclass
class World:
    """Three registered orgs, each with a site, a station and members of every role."""

    h: Harness
    members: dict[tuple[str, str], Member]

    def m(self, msp: str, role: str) -> Member:
        return self.members[(msp, role)]

    def admin(self, msp: str) -> Member:
        return self.m(msp, "admin")

    def station(self, msp: str) -> Member:
        return self.m(msp, "station")

    def certifier(self, msp: str) -> Member:
        return self.m(msp, "certifier")

    def part_type(self, msp: str) -> str:
        return f"{msp}:PT-{msp[:3].upper()}"

    def commission(self, msp: str, *serials: str, lot: str = "L1") -> list[str]:
        uids = [uid(msp, s) for s in serials]
        items = [
            {"uid": u, "part_type": self.part_type(msp), "lot": lot, "production_date": "2026-03-01"} for u in uids
        ]
        self.h.submit(self.station(msp), "CommissionParts", items)
        return uids

    def scan(self, msp: str, part: str, *, at: dt.datetime | None = None, step: str | None = None) -> dict[str, Any]:
        when = (at or self.h.now).isoformat().replace("+00:00", "Z")
        doc = {
            "uid": part,
            "station_id": f"st-{msp}",
            "event_time": when,
            "event_hash": event_hash(part, when, msp),
        }
        if step:
            doc["biz_step"] = step
        return doc

    def ship(self, frm: str, to: str, shipment_id: str, uids: list[str]) -> Any:
        return self.h.submit(self.admin(frm), "Ship", {"shipment_id": shipment_id, "to_msp": to, "uids": uids})

    def receive(self, frm: str, to: str, shipment_id: str, uids: list[str]) -> Any:
        return self.h.submit(self.admin(to), "Receive", {"shipment_id": shipment_id, "from_msp": frm, "uids": uids})


def org_doc(msp: str) -> dict[str, Any]:
    site = SITES[msp]
    tier = {OEM: "oem", T1: "tier1", T2: "tier2"}[msp]
    return {
        "legal_name": f"{msp} S.A.",
        "tier": tier,
        "country": site[2],
        "address": f"1 Main St, {site[1]}",
        "gs1_prefixes": PREFIXES[msp],
        "duns": "15-048-3782",
    }


def build_world(h: Harness) -> World:
    members: dict[tuple[str, str], Member] = {}
    for msp in (OEM, T1, T2):
        for role in ("admin", "certifier", "compliance", "auditor"):
            members[(msp, role)] = make_member(msp, f"{role}@{msp}", role)
        members[(msp, "station")] = make_member(msp, f"station@{msp}", "station", station=f"st-{msp}")
        admin = members[(msp, "admin")]
        h.submit(admin, "RegisterOrg", org_doc(msp))
        site_id, name, country, lat, lon = SITES[msp]
        h.submit(
            admin,
            "RegisterSite",
            {
                "site_id": site_id,
                "name": name,
                "address": "1 Main St",
                "country": country,
                "lat": lat,
                "lon": lon,
            },
        )
        h.submit(
            admin,
            "RegisterStation",
            {
                "station_id": f"st-{msp}",
                "site_id": site_id,
                "read_point": f"urn:usmca:rp:{msp}:{site_id}:line1",
            },
        )
        h.submit(
            admin,
            "RegisterPartType",
            {
                "part_number": f"PT-{msp[:3].upper()}",
                "description": f"part of {msp}",
                "hs_code": "8708.40",
                "usmca_category": "core_part",
                "core_family": "transmission",
                "unit": "EA",
            },
        )
    h.events.clear()
    return World(h, members)
