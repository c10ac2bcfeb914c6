"""An org's private store: its material prices, certification cost breakdowns and producer figures, off the ledger.

One SQLite file per org (``home/private/<MSP>.db``). A cost breakdown is kept with the salt of the commitment
the ledger holds, so the org can later hand an auditor the *opening* for one certification (and nothing else).
Prices are what the org pays for each part type it buys, used for its own RVC calculations. Producer figures are
what a vehicle producer alone knows about a model line (its steel and aluminum purchases, its labor value
content); the origin engine needs them for the vehicle tests and the ledger never holds them. In a multi-org
deployment each org's API node holds only its own file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger.commitment import Opening, commit
from ledger.errors import Conflict, NotFound, ValidationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS cost_breakdowns(
    cert_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    salt TEXT NOT NULL,
    commitment TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS prices(
    part_type TEXT NOT NULL,
    supplier_msp TEXT NOT NULL DEFAULT '',
    unit_price TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'USD',
    valid_from TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(part_type, supplier_msp)
);
CREATE TABLE IF NOT EXISTS producer_figures(
    part_type TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
"""
#: Producer figures of a vehicle model line, as the origin engine's request fields (CA-ROO s.17, s.18).
PURCHASE_FIELDS = ("purchases", "originating")
LVC_FIELDS = ("material_manufacturing", "technology", "assembly")


def private_path(home: Path, msp_id: str) -> Path:
    """Where an org's private store lives."""
    return Path(home) / "private" / f"{msp_id}.db"


def _decimal(value: Any, field: str) -> str:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"{field} {value!r} is not a decimal amount", field=field, value=str(value)) from exc
    if not d.is_finite() or d < 0:
        raise ValidationError(f"{field} {value!r} must be a non-negative amount", field=field, value=str(value))
    return str(d)


def _purchases(name: str, raw: Any) -> dict[str, str]:
    """Steel or aluminum purchases: non-negative amounts, the originating part not above the total."""
    if not isinstance(raw, dict) or set(raw) != set(PURCHASE_FIELDS):
        raise ValidationError(f"{name} needs exactly {', '.join(PURCHASE_FIELDS)}", field=name)
    out = {k: _decimal(raw[k], f"{name}.{k}") for k in PURCHASE_FIELDS}
    if Decimal(out["originating"]) > Decimal(out["purchases"]):
        raise ValidationError(
            f"{name}.originating {out['originating']} exceeds {name}.purchases {out['purchases']}",
            field=f"{name}.originating",
            value=out["originating"],
        )
    return out


def _lvc(raw: Any) -> dict[str, str]:
    """LVC points (percent of the producer's net cost or purchase value); material and manufacturing required."""
    if not isinstance(raw, dict) or "material_manufacturing" not in raw or not set(raw) <= set(LVC_FIELDS):
        raise ValidationError(f"lvc needs material_manufacturing and may have {', '.join(LVC_FIELDS[1:])}", field="lvc")
    out = {k: _decimal(raw[k], f"lvc.{k}") for k in LVC_FIELDS if k in raw}
    for k, v in out.items():
        if Decimal(v) > 100:
            raise ValidationError(f"lvc.{k} {v} is above 100 percent", field=f"lvc.{k}", value=v)
    return out


def _currency(currency: str) -> None:
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise ValidationError(f"currency {currency!r} is not an ISO 4217 code", field="currency", value=currency)


class PrivateStore:
    """One org's private data."""

    def __init__(self, home: Path, msp_id: str) -> None:
        self.msp_id = msp_id
        path = private_path(home, msp_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    # -- cost breakdowns -------------------------------------------------------------------------------------
    def commit_breakdown(self, data: dict[str, Any]) -> Opening:
        """A fresh salted commitment to a cost breakdown (not yet bound to a certification)."""
        return commit(data)

    def keep_breakdown(self, cert_id: str, opening: Opening) -> None:
        """Store the breakdown and salt of a submitted certification."""
        self._conn.execute(
            "INSERT OR REPLACE INTO cost_breakdowns VALUES (?,?,?,?,?)",
            (cert_id, json.dumps(opening.data, sort_keys=True), opening.salt, opening.commitment(), time.time()),
        )

    def reserve_breakdown(self, cert_id: str, opening: Opening) -> None:
        """Store a breakdown *before* its certification is submitted.

        A crash after the ledger commit can then never leave a certification whose figures nobody can open;
        :meth:`release_breakdown` undoes it when the submission fails. A cert id this org already holds a
        breakdown for is a Conflict (never overwritten).
        """
        try:
            self._conn.execute(
                "INSERT INTO cost_breakdowns VALUES (?,?,?,?,?)",
                (cert_id, json.dumps(opening.data, sort_keys=True), opening.salt, opening.commitment(), time.time()),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(
                f"{self.msp_id} already holds a cost breakdown for certification {cert_id!r}",
                field="cert_id",
                value=cert_id,
            ) from exc

    def release_breakdown(self, cert_id: str) -> None:
        """Drop a reserved breakdown whose certification was refused by the ledger."""
        self._conn.execute("DELETE FROM cost_breakdowns WHERE cert_id=?", (cert_id,))

    def breakdown(self, cert_id: str) -> dict[str, Any]:
        """One stored breakdown (the org's own view), NotFound naming the cert id."""
        row = self._conn.execute(
            "SELECT cert_id, data, commitment, created_at FROM cost_breakdowns WHERE cert_id=?", (cert_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"{self.msp_id} holds no cost breakdown for certification {cert_id!r}", value=cert_id)
        return {"cert_id": row[0], "data": json.loads(row[1]), "commitment": row[2], "created_at": row[3]}

    def opening(self, cert_id: str) -> Opening:
        """The opening of one certification's commitment, to hand to an auditor."""
        row = self._conn.execute("SELECT data, salt FROM cost_breakdowns WHERE cert_id=?", (cert_id,)).fetchone()
        if row is None:
            raise NotFound(f"{self.msp_id} holds no cost breakdown for certification {cert_id!r}", value=cert_id)
        return Opening(json.loads(row[0]), row[1])

    def breakdowns(self) -> list[dict[str, Any]]:
        """Every stored breakdown (the org's own view)."""
        rows = self._conn.execute("SELECT cert_id, data, commitment, created_at FROM cost_breakdowns ORDER BY 1")
        return [{"cert_id": c, "data": json.loads(d), "commitment": h, "created_at": t} for c, d, h, t in rows]

    # -- prices ------------------------------------------------------------------------------------------------
    def set_price(
        self, part_type: str, unit_price: Any, *, supplier_msp: str = "", currency: str = "USD", note: str = ""
    ) -> dict[str, str]:
        """Record what this org pays for a part type (optionally per supplier)."""
        price = _decimal(unit_price, "unit_price")
        _currency(currency)
        self._conn.execute(
            "INSERT OR REPLACE INTO prices(part_type, supplier_msp, unit_price, currency, note) VALUES (?,?,?,?,?)",
            (part_type, supplier_msp, price, currency.upper(), note),
        )
        return {
            "part_type": part_type,
            "supplier_msp": supplier_msp,
            "unit_price": price,
            "currency": currency.upper(),
            "note": note,
        }

    def replace_prices(self, prices: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Make the price list exactly ``prices`` in one SQLite transaction (all validated before any write).

        Each item has ``part_type``, ``unit_price`` and optionally ``supplier_msp``, ``currency``, ``note``; the
        same (part type, supplier) twice is refused.
        """
        rows: list[tuple[str, str, str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for i, item in enumerate(prices):
            key = (str(item["part_type"]), str(item.get("supplier_msp") or ""))
            if key in seen:
                raise ValidationError(
                    f"prices[{i}] repeats part type {key[0]!r} for supplier {key[1] or '(any)'}",
                    field=f"prices.{i}.part_type",
                    value=key[0],
                )
            seen.add(key)
            currency = str(item.get("currency") or "USD")
            _currency(currency)
            rows.append(
                (*key, _decimal(item["unit_price"], f"prices.{i}.unit_price"), currency.upper(), item.get("note") or "")
            )
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute("DELETE FROM prices")
            self._conn.executemany(
                "INSERT INTO prices(part_type, supplier_msp, unit_price, currency, note) VALUES (?,?,?,?,?)", rows
            )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return self.prices()

    def delete_price(self, part_type: str, supplier_msp: str = "") -> None:
        """Forget one price; NotFound naming the part type when there was none."""
        cur = self._conn.execute("DELETE FROM prices WHERE part_type=? AND supplier_msp=?", (part_type, supplier_msp))
        if cur.rowcount != 1:
            raise NotFound(
                f"{self.msp_id} has no price for part type {part_type!r}"
                + (f" from supplier {supplier_msp}" if supplier_msp else ""),
                field="part_type",
                value=part_type,
            )

    def price(self, part_type: str, supplier_msp: str = "") -> Decimal | None:
        """The price of a part type (a supplier-specific price wins over the general one)."""
        for supplier in (supplier_msp, ""):
            row = self._conn.execute(
                "SELECT unit_price FROM prices WHERE part_type=? AND supplier_msp=?", (part_type, supplier)
            ).fetchone()
            if row:
                return Decimal(row[0])
        return None

    def prices(self) -> list[dict[str, str]]:
        """Every price."""
        rows = self._conn.execute("SELECT part_type, supplier_msp, unit_price, currency, note FROM prices ORDER BY 1")
        return [
            dict(zip(("part_type", "supplier_msp", "unit_price", "currency", "note"), r, strict=True)) for r in rows
        ]

    # -- producer figures ---------------------------------------------------------------------------------------
    def set_producer_figures(
        self,
        part_type: str,
        *,
        steel: dict[str, Any] | None = None,
        aluminum: dict[str, Any] | None = None,
        lvc: dict[str, Any] | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Record a vehicle model line's steel and aluminum purchases and LVC (replacing earlier figures).

        Steel and aluminum are the producer's purchase amounts (``purchases``, ``originating``), LVC the points
        of its labor value content calculation; the origin engine judges them (70 %, 40/45 %) on every report.
        """
        data: dict[str, Any] = {}
        if steel is not None:
            data["steel"] = _purchases("steel", steel)
        if aluminum is not None:
            data["aluminum"] = _purchases("aluminum", aluminum)
        if lvc is not None:
            data["lvc"] = _lvc(lvc)
        if not data:
            raise ValidationError("producer figures need at least one of steel, aluminum and lvc", field="steel")
        self._conn.execute(
            "INSERT OR REPLACE INTO producer_figures VALUES (?,?,?,?)",
            (part_type, json.dumps(data, sort_keys=True), note, time.time()),
        )
        return {"part_type": part_type, **data, "note": note}

    def producer_figures(self) -> dict[str, dict[str, Any]]:
        """Every model line's figures as origin request fields (``steel``, ``aluminum``, ``lvc``), by part type."""
        return {pt: data for pt, (data, _note) in self.producer_figure_records().items()}

    def producer_figure_records(self) -> dict[str, tuple[dict[str, Any], str]]:
        """Every model line's figures with the note they were recorded with (their period or source)."""
        rows = self._conn.execute("SELECT part_type, data, note FROM producer_figures ORDER BY 1")
        return {pt: (json.loads(data), note) for pt, data, note in rows}

    def delete_producer_figures(self, part_type: str) -> None:
        """Forget a model line's figures; NotFound naming the part type when there were none."""
        cur = self._conn.execute("DELETE FROM producer_figures WHERE part_type=?", (part_type,))
        if cur.rowcount != 1:
            raise NotFound(
                f"{self.msp_id} has no producer figures for part type {part_type!r}", field="part_type", value=part_type
            )
