"""The real-Fabric test gate and network: skipped with one reason unless FABRIC_BIN has a usable Fabric release.

Test networks listen on their own port range (not the 7050/7051 defaults) so that they never collide with a
network a developer is running from the same machine.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledger.connect import connect
from ledger.errors import NotFound
from ledger.fabric.netconfig import locate_install
from ledger.gateway import Gateway

#: Port range of the real-network tests.
TEST_PORT_BASE = 27000


def with_orderer(config: dict[str, Any], *, base: int = TEST_PORT_BASE) -> dict[str, Any]:
    """A network config with an orderer org and explicit ports from ``base`` (orderer base, org i base+100(i+1))."""
    out = copy.deepcopy(config)
    out["orderer"] = {
        "msp_id": "OrdererMSP",
        "name": "Test Ordering Service",
        "nodes": [
            {"name": "orderer0", "host": "127.0.0.1", "port": base, "admin_port": base + 3, "ops_port": base + 4}
        ],
    }
    for i, org in enumerate(out["orgs"]):
        port = base + 100 * (i + 1) + 1
        org["peer"] = {"port": port, "chaincode_port": port + 1, "ops_port": port + 2}
    return out


def fabric_skip_reason() -> str | None:
    """Why the real-network tests cannot run here (None when they can)."""
    fabric_bin = os.environ.get("FABRIC_BIN")
    if not fabric_bin:
        return "FABRIC_BIN is not set: real-Fabric tests need peer, orderer, osnadmin and configtxgen"
    try:
        locate_install(fabric_bin)
    except NotFound as err:
        return f"FABRIC_BIN={fabric_bin} is unusable: {err.message}"
    return None


SKIP_REASON = fabric_skip_reason()
requires_fabric = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")


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
