"""Test helpers shared by several test packages: a small realistic network on a fresh home directory."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.identity.config import parse_config
from ledger.identity.msp import init_network
from ledger.samples import AUDITOR, OEM, SUPPLIER, TIER1, small_network_config

__all__ = [
    "AUDITOR",
    "OEM",
    "SUPPLIER",
    "TIER1",
    "day",
    "js",
    "make_network",
    "run_threads",
    "small_network_config",
    "today",
]


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


#: The supplier's own org record, as its admin re-registers it (tests update it concurrently).
SUPPLIER_ORG_DOC = {
    "msp_id": SUPPLIER, "legal_name": "Castings Test Ltd", "tier": "tier2", "country": "CA",
    "address": "1 Industrial Way, Windsor", "gs1_prefixes": ["0628000"], "duns": "345678912",
}  # fmt: skip


def run_threads(fn: Callable[[int], object], threads: int) -> None:
    """Run ``fn(0) .. fn(threads - 1)`` on as many threads started together; re-raise the first failure."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run(k: int) -> None:
        try:
            barrier.wait()
            fn(k)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def race_org_updates(gw: Any, rounds: int, threads: int = 8) -> list[str]:
    """Rounds of ``threads`` concurrent updates of one org record; each submit's outcome (VALID or the code).

    Stops after the first round that produced an MVCC conflict.
    """
    from ledger.errors import CommitError

    outcomes: list[str] = []
    lock = threading.Lock()
    for round_no in range(rounds):

        def worker(k: int, round_no: int = round_no) -> None:
            try:
                gw.submit("RegisterOrg", js({**SUPPLIER_ORG_DOC, "legal_name": f"Castings {round_no}-{k}"}))
                result = "VALID"
            except CommitError as err:
                result = err.code
            with lock:
                outcomes.append(result)

        run_threads(worker, threads)
        if "MVCC_READ_CONFLICT" in outcomes:
            break
    return outcomes
