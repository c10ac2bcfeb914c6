"""A real API server per test: uvicorn on 127.0.0.1 (free port, background thread) over a fresh ledger home.

``api_server`` yields an :class:`ApiServer` with the base URL and a bearer credential for every member of the
four-org test network (made with ``api.cli.create_credential``), and an ``httpx.Client`` per member via
``server.client(org, member)``. The server is stopped (and its ledger closed) when the test ends.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.cli import create_credential
from api.core.settings import Settings
from ledger.bootstrap import register_network
from ledger.embedded.ledger import EmbeddedLedger
from ledger.identity.network import load_network
from tests.helpers import make_network

#: Every (org, member) of the test network, in a stable order.
MEMBERS: tuple[tuple[str, str], ...] = (
    ("OemMSP", "admin"),
    ("OemMSP", "station1"),
    ("OemMSP", "certifier"),
    ("OemMSP", "compliance"),
    ("Tier1MSP", "admin"),
    ("Tier1MSP", "station1"),
    ("Tier1MSP", "certifier"),
    ("Tier1MSP", "compliance"),
    ("SupplierMSP", "admin"),
    ("SupplierMSP", "station1"),
    ("SupplierMSP", "certifier"),
    ("SupplierMSP", "compliance"),
    ("AuditMSP", "admin"),
    ("AuditMSP", "auditor"),
)


@dataclass
class ApiServer:
    """A running server: its URL, home, and one token per (org, member)."""

    base_url: str
    home: Path
    tokens: dict[tuple[str, str], str]
    roles: dict[tuple[str, str], str]
    _clients: list[httpx.Client] = field(default_factory=list)

    def headers(self, org: str, member: str) -> dict[str, str]:
        """The Authorization header of a member."""
        return {"Authorization": f"Bearer {self.tokens[(org, member)]}"}

    def client(self, org: str | None = None, member: str | None = None, timeout: float = 60.0) -> httpx.Client:
        """An HTTP client authenticated as ``org``/``member`` (anonymous without them)."""
        headers = self.headers(org, member) if org and member else {}
        c = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self._clients.append(c)
        return c

    def close(self) -> None:
        """Close the clients made by :meth:`client`."""
        for c in self._clients:
            c.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    """A uvicorn server thread."""

    server: uvicorn.Server
    thread: threading.Thread
    base_url: str

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(settings: Settings, timeout: float = 20.0) -> RunningServer:
    """Start uvicorn in a thread and return once ``/healthz`` answers 200."""
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    base = f"http://{settings.host}:{settings.port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during start-up")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return RunningServer(server, thread, base)
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    server.should_exit = True
    raise RuntimeError(f"{base}/healthz did not answer 200 within {timeout} s")


def credentials(home: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """A token and the role of every member of the home's network."""
    tokens, roles = {}, {}
    network = load_network(home)
    for member in network.members():
        cred = create_credential(home, member.msp_id, member.name, label="tests")
        tokens[(member.msp_id, member.name)] = cred["token"]
        roles[(member.msp_id, member.name)] = cred["role"]
    return tokens, roles


@pytest.fixture(scope="session")
def _api_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A registered network with credentials, built once; every test gets its own copy of it."""
    home = make_network(tmp_path_factory.mktemp("api-template") / "home")
    register_network(home)
    EmbeddedLedger.close_all()
    tokens, roles = credentials(home)
    return home, tokens, roles


def serve_copy(template: tuple[Path, dict, dict], tmp_path: Path) -> Iterator[ApiServer]:
    """Serve a fresh copy of a template home (and its credentials) with a real uvicorn server on 127.0.0.1."""
    source, tokens, roles = template
    home = tmp_path / "home"
    shutil.copytree(source, home)
    settings = Settings(home=home, host="127.0.0.1", port=free_port(), readmodel_poll_seconds=0.02)
    running = start_server(settings)
    api = ApiServer(running.base_url, home, tokens, roles)
    try:
        yield api
    finally:
        api.close()
        running.stop()


@pytest.fixture
def api_server(_api_template: tuple[Path, dict, dict], tmp_path: Path) -> Iterator[ApiServer]:
    """A real uvicorn server on 127.0.0.1 over a fresh copy of a registered network, a credential per member."""
    yield from serve_copy(_api_template, tmp_path)


# -- helpers for building a small supply chain through the API ---------------------------------------------------

#: Part types of the test chain: (org, part number, GTIN or None, USMCA category, core family).
PART_TYPES = {
    "SupplierMSP": ("CAST-1", "00628000000013", "core_part", "transmission"),
    "Tier1MSP": ("TX-1", None, "core_part", "transmission"),
    "OemMSP": ("VEH-1", None, "other", None),
}
SITES = {"SupplierMSP": "supplier-plant", "Tier1MSP": "tier1-plant", "OemMSP": "oem-plant"}
STATIONS = {"SupplierMSP": "sup-st1", "Tier1MSP": "t1-st1", "OemMSP": "oem-st1"}


def part_type_id(org: str) -> str:
    """The id of an org's test part type."""
    return f"{org}:{PART_TYPES[org][0]}"


def register_part_type(api: ApiServer, org: str) -> dict:
    """Register the org's test part type through the API (as its admin)."""
    number, gtin, category, family = PART_TYPES[org]
    body = {"part_number": number, "description": f"{number} test part", "hs_code": "8708.40",
            "usmca_category": category, "unit": "each"}  # fmt: skip
    if gtin:
        body["gtin"] = gtin
    if family:
        body["core_family"] = family
    r = api.client(org, "admin").post("/v1/part-types", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def uid(org: str, n: int) -> str:
    """A test part identifier."""
    return f"urn:usmca:part:{org}:{PART_TYPES[org][0]}:{n:04d}"


def commission(
    api: ApiServer, org: str, numbers: range | list[int], lot: str = "L1", date: str = "2026-01-10"
) -> list[str]:
    """Commission parts of the org's test part type (as its admin); returns their uids."""
    parts = [{"uid": uid(org, n), "part_type": part_type_id(org), "lot": lot, "production_date": date,
              "site_id": SITES[org]} for n in numbers]  # fmt: skip
    r = api.client(org, "admin").post("/v1/parts/batch", json={"parts": parts})
    assert r.status_code == 201, r.text
    return [p["uid"] for p in parts]


def ship_and_receive(api: ApiServer, sender: str, receiver: str, uids: list[str], shipment_id: str) -> None:
    """Move parts from one org to another through the API."""
    r = api.client(sender, "admin").post(
        "/v1/shipments", json={"shipment_id": shipment_id, "to_msp": receiver, "uids": uids}
    )
    assert r.status_code == 201, r.text
    r = api.client(receiver, "admin").post(f"/v1/shipments/{sender}/{shipment_id}/receipt", json={"uids": uids})
    assert r.status_code == 200, r.text


def path_uid(u: str) -> str:
    """A part uid as a URL path segment."""
    from urllib.parse import quote

    return quote(u, safe="")
