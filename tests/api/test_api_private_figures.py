"""A vehicle producer's private figures (steel, aluminum, LVC) on a real SQLite file, and their use in origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.private.store import PrivateStore
from ledger.errors import NotFound, ValidationError

STEEL = {"purchases": "1000", "originating": "710.50"}


def test_figures_are_stored_normalized_and_replaced(tmp_path: Path) -> None:
    store = PrivateStore(tmp_path, "OemMSP")
    out = store.set_producer_figures("OemMSP:CAR", steel=STEEL, lvc={"material_manufacturing": 30}, note="FY")
    assert out == {"part_type": "OemMSP:CAR", "steel": STEEL, "lvc": {"material_manufacturing": "30"}, "note": "FY"}
    again = PrivateStore(tmp_path, "OemMSP")
    assert again.producer_figures() == {"OemMSP:CAR": {"steel": STEEL, "lvc": {"material_manufacturing": "30"}}}
    again.set_producer_figures("OemMSP:CAR", aluminum={"purchases": "5", "originating": "4"})
    assert again.producer_figures() == {"OemMSP:CAR": {"aluminum": {"purchases": "5", "originating": "4"}}}
    assert PrivateStore(tmp_path, "OtherMSP").producer_figures() == {}
    again.delete_producer_figures("OemMSP:CAR")
    with pytest.raises(NotFound) as info:
        again.delete_producer_figures("OemMSP:CAR")
    assert info.value.message == "OemMSP has no producer figures for part type 'OemMSP:CAR'"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "producer figures need at least one of steel, aluminum and lvc"),
        ({"steel": {"purchases": "10"}}, "steel needs exactly purchases, originating"),
        (
            {"aluminum": {"purchases": "10", "originating": "11"}},
            "aluminum.originating 11 exceeds aluminum.purchases 10",
        ),
        ({"steel": {"purchases": "-1", "originating": "0"}}, "steel.purchases '-1' must be a non-negative amount"),
        ({"lvc": {"technology": "5"}}, "lvc needs material_manufacturing and may have technology, assembly"),
        ({"lvc": {"material_manufacturing": "101"}}, "lvc.material_manufacturing 101 is above 100 percent"),
        ({"lvc": {"material_manufacturing": "x"}}, "lvc.material_manufacturing 'x' is not a decimal amount"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(tmp_path: Path, kwargs: dict, message: str) -> None:
    store = PrivateStore(tmp_path, "OemMSP")
    with pytest.raises(ValidationError) as info:
        store.set_producer_figures("OemMSP:CAR", **kwargs)
    assert info.value.message == message
    assert store.producer_figures() == {}
