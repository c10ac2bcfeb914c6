"""Fixtures for the chaincode tests: a fresh state, event loop and world per test.

The ``ContractChaincode`` object itself is built once per session: it holds no state between invocations
(each ``invoke`` gets its own stub, context and client identity, and our contract class has no attributes),
and building it costs about 70 ms of the library's JSON-schema compilation, which per test would make this
suite ten times slower. ``test_chaincode_dispatch.py`` builds fresh ones where construction is under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chaincode_harness import Harness, World, build_world

from chaincode import build_chaincode


@pytest.fixture(scope="session")
def chaincode_object() -> Any:
    return build_chaincode()


@pytest.fixture
def h(chaincode_object: Any) -> Iterator[Harness]:
    harness = Harness(cc=chaincode_object)
    yield harness
    harness.close()


@pytest.fixture
def world(h: Harness) -> World:
    return build_world(h)
