"""Fixtures shared by every test package: fresh ledger homes, and closing the process-wide ledgers after each test."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.bootstrap import register_network
from ledger.embedded.ledger import EmbeddedLedger
from tests.helpers import make_network


@pytest.fixture(autouse=True)
def _close_ledgers() -> Iterator[None]:
    yield
    EmbeddedLedger.close_all()


@pytest.fixture
def network_home(tmp_path: Path) -> Path:
    """A fresh home with the four-org test network's identities (nothing on the ledger yet)."""
    return make_network(tmp_path / "home")


@pytest.fixture
def ledger_home(network_home: Path) -> Path:
    """A fresh home whose orgs, sites and stations are registered on the embedded ledger."""
    register_network(network_home)
    return network_home


@pytest.fixture(autouse=True)
def _quiet_chaincode_logging() -> None:
    logging.getLogger("fabric_chaincode_python").setLevel(logging.WARNING)
