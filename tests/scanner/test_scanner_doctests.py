"""The examples in the scanner modules' docstrings are executed, so the documentation cannot drift."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "scanner.identifiers.checks",
    "scanner.identifiers.countries",
    "scanner.identifiers.gs1",
    "scanner.identifiers.gs1_syntax",
    "scanner.identifiers.iso15434",
    "scanner.identifiers.mh10",
    "scanner.identifiers.parse",
    "scanner.identifiers.render",
    "scanner.identifiers.text",
    "scanner.labels",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
