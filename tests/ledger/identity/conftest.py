from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger.identity.config import NetworkConfig, parse_config
from ledger.identity.msp import init_network
from ledger.identity.network import Network


def mini_data() -> dict[str, Any]:
    """A fresh three-org network description (OEM in Mexico, Tier-1 in the US, an auditor)."""
    return {
        "name": "mini",
        "endorsement_policy": "AND('OemMSP.peer', OR('SeatsMSP.peer', 'AuditMSP.peer'))",
        "orgs": [
            {
                "msp_id": "OemMSP",
                "name": "Ensambladora del Bajío S.A. de C.V.",
                "tier": "oem",
                "country": "MX",
                "address": {"street": "Carretera Silao-León km 2.5", "city": "Silao", "region": "GTO"},
                "gs1_company_prefixes": ["7501234"],
                "duns": "812345670",
                "sites": [
                    {
                        "id": "SIL-ASSY",
                        "name": "Silao assembly",
                        "address": {"street": "Carretera Silao-León km 2.5", "city": "Silao"},
                        "country": "MX",
                        "gln": "7501234000017",
                        "lat": 20.94,
                        "lon": -101.43,
                    }
                ],
                "members": [
                    {"name": "plant-admin", "role": "admin"},
                    {"name": "line1", "role": "station", "station": "SIL-L1", "site": "SIL-ASSY"},
                    {"name": "trade", "role": "compliance"},
                ],
            },
            {
                "msp_id": "SeatsMSP",
                "name": "Lakeshore Seating Inc.",
                "tier": "tier1",
                "country": "US",
                "address": {"street": "400 Industrial Dr", "city": "Holland", "region": "MI"},
                "gs1_company_prefixes": ["0614141"],
                "duns": "123456789",
                "members": [{"name": "origin", "role": "certifier"}],
            },
            {
                "msp_id": "AuditMSP",
                "name": "Customs Verification Office",
                "tier": "auditor",
                "country": "US",
                "address": {"street": "1 Customs Way", "city": "Laredo", "region": "TX"},
                "duns": "987654321",
                "members": [{"name": "inspector", "role": "auditor"}],
            },
        ],
    }


@pytest.fixture
def data() -> dict[str, Any]:
    return mini_data()


@pytest.fixture
def mini_config() -> NetworkConfig:
    return parse_config(mini_data())


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "network.yaml"
    path.write_text(yaml.safe_dump(mini_data(), allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def network(tmp_path: Path, mini_config: NetworkConfig) -> Network:
    return init_network(tmp_path / "home", mini_config)
