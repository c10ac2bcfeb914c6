"""Label requests from typed fields or from a CSV of many parts (one row per label).

CSV columns (header required, any order, empty cells ignored): ``scheme`` (gs1 / mh10; default gs1 when a
``gtin`` is given), ``payload`` (any spelling :func:`scanner.identifiers.parse` accepts, instead of fields),
``gtin``, ``serial``, ``lot``, ``production_date``, ``expiry_date`` (ISO dates), ``part_number``,
``supplier_part_number``, ``uii``, ``duns``, ``supplier_code``, ``country_of_origin`` (alpha-2), ``quantity``,
``description``. Errors name the row, so a 5,000-row print run can be fixed in one pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from ledger.errors import LedgerError, ValidationError
from scanner.identifiers import build_gs1, build_mh10
from scanner.labels.content import LabelContent, label_content

GS1_FIELDS = (
    "gtin",
    "serial",
    "lot",
    "production_date",
    "expiry_date",
    "part_number",
    "country_of_origin",
    "quantity",
)
MH10_FIELDS = (
    "part_number",
    "supplier_part_number",
    "serial",
    "uii",
    "duns",
    "supplier_code",
    "lot",
    "production_date",
    "expiry_date",
    "country_of_origin",
    "quantity",
)
COLUMNS = frozenset({"scheme", "payload", "description", *GS1_FIELDS, *MH10_FIELDS})
MAX_ROWS = 10_000


def content_from_fields(
    scheme: str | None = None, *, description: str | None = None, **fields: str | int | None
) -> LabelContent:
    """Validate typed fields, build the identifier and compose the label.

    Raises:
        ValidationError: an unknown scheme, a field the scheme does not carry, or an invalid value.
    """
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    scheme = scheme or ("gs1" if "gtin" in given else "mh10")
    if scheme not in ("gs1", "mh10"):
        raise ValidationError(f"scheme {scheme!r} must be gs1 or mh10", value=scheme, field="scheme")
    allowed = GS1_FIELDS if scheme == "gs1" else MH10_FIELDS
    extra = sorted(set(given) - set(allowed))
    if extra:
        raise ValidationError(f"{scheme} labels do not carry {', '.join(extra)}", value=extra[0], field=extra[0])
    if "quantity" in given:
        try:
            given["quantity"] = int(given["quantity"])  # type: ignore[arg-type]
        except ValueError:
            raise ValidationError(
                f"quantity {given['quantity']!r} is not a whole number",
                value=given["quantity"],
                field="quantity",
            ) from None
    if scheme == "gs1":
        if "gtin" not in given:
            raise ValidationError("gs1 labels need a gtin", field="gtin")
        identifier = build_gs1(**given)
    else:
        identifier = build_mh10(**given)
    return label_content(identifier, description=description)


def content_from_row(row: Mapping[str, str]) -> LabelContent:
    """One CSV row (column -> cell) as a label."""
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    description = cells.pop("description", "") or None
    payload = cells.pop("payload", "")
    if payload:
        return label_content(payload, description=description)
    scheme = cells.pop("scheme", "") or None
    return content_from_fields(scheme, description=description, **cells)


def read_parts_csv(text: str) -> list[LabelContent]:
    """Every row of a parts CSV as a label, in file order.

    Raises:
        ValidationError: an unknown column, no rows, too many rows, or a bad row (message starts "row N:").
    """
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise ValidationError(f"CSV column {unknown[0]!r} is not one of {', '.join(sorted(COLUMNS))}", value=unknown[0])
    out: list[LabelContent] = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise ValidationError(f"row {number}: more cells than header columns", value=number)
        if len(out) >= MAX_ROWS:
            raise ValidationError(f"CSV has more than {MAX_ROWS} rows; split the print run", value=MAX_ROWS)
        try:
            out.append(content_from_row(row))
        except LedgerError as err:
            raise type(err)(f"row {number}: {err.message}", value=err.value, field=err.field) from None
    if not out:
        raise ValidationError("CSV has no part rows", value=0)
    return out
