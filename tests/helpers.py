"""Test helpers shared by several test packages: a small realistic network on a fresh home directory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import AUDITOR, OEM, SUPPLIER, TIER1, small_network_config

__all__ = ["AUDITOR", "OEM", "SUPPLIER", "TIER1", "day", "js", "make_network", "small_network_config", "today"]


def make_network(home: Path, config: dict | None = None) -> Path:
    """Initialise identities for a network in ``home`` and return it."""
    init_network(home, parse_config(config or small_network_config()))
    return home


def js(obj: Any) -> str:
    """Compact JSON argument for a transaction."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def today() -> dt.date:
    """Today's UTC date: what the ledger's transaction time, the API and the pages judge deadlines and validity at."""
    return dt.datetime.now(dt.UTC).date()


def day(offset: int = 0) -> str:
    """The ISO date ``offset`` days from today, so due dates and validity periods hold whenever the tests run."""
    return (today() + dt.timedelta(days=offset)).isoformat()
