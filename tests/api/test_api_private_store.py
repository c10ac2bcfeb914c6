"""api.private.store extensions on a real SQLite file: reserving breakdowns before submission, price lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.private.store import PrivateStore, private_path
from ledger.commitment import commit
from ledger.errors import Conflict, NotFound, ValidationError


def test_reserve_release_and_read_back(tmp_path: Path) -> None:
    store = PrivateStore(tmp_path, "SupplierMSP")
    opening = commit({"total_cost": "280", "vnm": "80"})
    store.reserve_breakdown("C-1", opening)
    assert private_path(tmp_path, "SupplierMSP").is_file()
    again = PrivateStore(tmp_path, "SupplierMSP")
    assert again.opening("C-1") == opening
    assert again.breakdown("C-1")["commitment"] == opening.commitment()
    with pytest.raises(Conflict) as info:
        again.reserve_breakdown("C-1", commit({"total_cost": "1"}))
    assert info.value.message == "SupplierMSP already holds a cost breakdown for certification 'C-1'"
    assert again.opening("C-1") == opening
    again.release_breakdown("C-1")
    with pytest.raises(NotFound) as missing:
        again.breakdown("C-1")
    assert missing.value.message == "SupplierMSP holds no cost breakdown for certification 'C-1'"


def test_replace_prices_is_all_or_nothing(tmp_path: Path) -> None:
    store = PrivateStore(tmp_path, "OemMSP")
    store.set_price("T:1", "10")
    with pytest.raises(ValidationError) as info:
        store.replace_prices([{"part_type": "T:2", "unit_price": "5"}, {"part_type": "T:3", "unit_price": "x"}])
    assert info.value.message == "prices.1.unit_price 'x' is not a decimal amount"
    assert [p["part_type"] for p in store.prices()] == ["T:1"]
    out = store.replace_prices(
        [{"part_type": "T:2", "unit_price": "5"}, {"part_type": "T:2", "unit_price": "4", "supplier_msp": "S"}]
    )
    assert [(p["part_type"], p["supplier_msp"], p["unit_price"]) for p in out] == [("T:2", "", "5"), ("T:2", "S", "4")]
    assert store.price("T:2", "S") == 4
    assert store.price("T:2", "Other") == 5
    assert store.price("T:1") is None


def test_delete_price_names_what_was_missing(tmp_path: Path) -> None:
    store = PrivateStore(tmp_path, "OemMSP")
    store.set_price("T:1", "10", supplier_msp="S")
    with pytest.raises(NotFound) as info:
        store.delete_price("T:1")
    assert info.value.message == "OemMSP has no price for part type 'T:1'"
    store.delete_price("T:1", "S")
    assert store.prices() == []
