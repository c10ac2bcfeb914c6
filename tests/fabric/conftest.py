"""Fixtures for the Fabric tests: one real network per session (when FABRIC_BIN allows), and a backend fixture
that runs the same workflow tests on the embedded ledger and on Fabric.

Bringing a Fabric network up takes 10-20 s, so the real network is shared by the session; tests on it use
fresh identifiers (part numbers, uids) so that no test depends on another's data. The embedded side gets a
fresh home per test as everywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fabric_net import SKIP_REASON, requires_fabric, with_orderer

from ledger.bootstrap import register_network
from ledger.connect import connect
from ledger.fabric.localnet import LocalNet
from ledger.gateway import Gateway
from tests.helpers import make_network, small_network_config


@pytest.fixture(scope="session")
def fabric_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNet]:
    """A running four-org Fabric network with the orgs registered on the ledger; wiped at the end."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    home = make_network(tmp_path_factory.mktemp("fabric") / "home", with_orderer(small_network_config()))
    net = LocalNet.open(home, os.environ["FABRIC_BIN"])
    try:
        net.up(timeout=180)
        register_network(home, backend="fabric")
        yield net
    finally:
        net.down(wipe=True)


@dataclass
class Backend:
    """A ledger home on one backend; gateways opened through it are closed after the test."""

    name: str
    home: Path
    opened: list[Gateway] = field(default_factory=list)

    def connect(self, msp_id: str, member: str) -> Gateway:
        """A gateway for one member on this backend."""
        gw = connect(self.home, msp_id, member, backend=self.name)
        self.opened.append(gw)
        return gw


@pytest.fixture(params=["embedded", pytest.param("fabric", marks=[pytest.mark.fabric, requires_fabric])])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The same workflow on each backend: a fresh embedded home, or the session's Fabric network."""
    if request.param == "embedded":
        b = Backend("embedded", request.getfixturevalue("ledger_home"))
    else:
        b = Backend("fabric", request.getfixturevalue("fabric_network").network.home)
    yield b
    for gw in b.opened:
        gw.close()
