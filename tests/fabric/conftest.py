"""Fixtures for the Fabric tests: one real network per session (when FABRIC_BIN allows), and a backend fixture
that runs the same workflow tests on the embedded ledger and on Fabric.

Bringing a Fabric network up takes 10-20 s, so the real network is shared by the session; tests on it use
fresh identifiers (part numbers, uids) so that no test depends on another's data. The embedded side gets a
fresh home per test as everywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fabric_net import SKIP_REASON, Backend, requires_fabric, with_orderer

from ledger.bootstrap import register_network
from ledger.fabric.localnet import LocalNet
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
