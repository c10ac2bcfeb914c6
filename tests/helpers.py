"""Test helpers shared by several test packages: a small realistic network on a fresh home directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import AUDITOR, OEM, SUPPLIER, TIER1, small_network_config

__all__ = ["AUDITOR", "OEM", "SUPPLIER", "TIER1", "js", "make_network", "small_network_config"]


def make_network(home: Path, config: dict | None = None) -> Path:
    """Initialise identities for a network in ``home`` and return it."""
    init_network(home, parse_config(config or small_network_config()))
    return home


def js(obj: Any) -> str:
    """Compact JSON argument for a transaction."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
