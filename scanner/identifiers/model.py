"""The parsed part identifier handed to the ledger, the station agent and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Scheme = Literal["gs1", "mh10"]


@dataclass(frozen=True)
class PartIdentifier:
    """One scanned part (or lot) identifier, whatever spelling it was scanned in.

    ``uid`` is the key the ledger stores parts under; it is canonical, so every spelling of the same part
    (raw element string, HRI, Digital Link, 15434 envelope, 25S versus 18V+S) gives the same ``uid``. The
    typed fields are conveniences derived from ``fields``, which keeps every AI/DI exactly as scanned.

    Attributes:
        scheme: ``"gs1"`` (Application Identifiers) or ``"mh10"`` (ANSI MH10.8.2 Data Identifiers).
        uid: Canonical id: a GS1 Digital Link URI on id.gs1.org, or a ``urn:usmca:...`` URN for MH10.
        serialized: True when ``uid`` names one physical item; False when it names a lot or a product class.
        gtin: GTIN-14 (GS1 AI 01, or the GTIN inside AI 8006).
        serial: Serial number (AI 21 / 8011, DI S or the serial part of 25S / 37S).
        lot: Batch or lot (AI 10, DI 1T or T).
        production_date: ISO date (AI 11, DI 16D).
        expiry_date: ISO date (AI 17, DI 14D).
        part_number: Customer part number (DI P, else 1P; AI 241, else 240).
        supplier_part_number: Supplier-assigned part number (DI 1P).
        supplier_code: Supplier code assigned by the customer (DI V).
        duns: DUNS of the manufacturer (DI 12V, or the CIN of an ``UN`` issuer in 18V / 25S), else 13V.
        country_of_origin: ISO 3166-1 alpha-2 (AI 422 converted from numeric, DI 4L).
        quantity: Piece count (AI 30 / 37, DI Q).
        fields: Every AI (GS1, e.g. ``"21"``) or DI (MH10, e.g. ``"25S"``) with its raw value, in scan order.
        primary_key: The GS1 primary key AI (``"01"``, ``"8006"``...) or MH10 construct used to build ``uid``.
    """

    scheme: Scheme
    uid: str
    serialized: bool
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    production_date: str | None = None
    expiry_date: str | None = None
    part_number: str | None = None
    supplier_part_number: str | None = None
    supplier_code: str | None = None
    duns: str | None = None
    country_of_origin: str | None = None
    quantity: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    primary_key: str = ""

    def __hash__(self) -> int:
        """Hash by value (``fields`` is a dict, which a generated hash cannot take), for sets of parts."""
        return hash((self.scheme, self.uid, tuple(self.fields.items())))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``fields`` copied, so callers may mutate the result)."""
        return asdict(self)
