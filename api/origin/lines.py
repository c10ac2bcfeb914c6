"""A request's BOM as columns of plain values: the roll-up reads these, never a pydantic model per line.

Validating a 5,000-line BOM into ``Material`` models costs more than the whole roll-up, so BOMs as parsed
from JSON are read here without pydantic: column by column (C-level passes) when every line has only ``id``,
``value``, ``origin`` and perhaps ``parent``, else line by line. Both accept only a subset of what
``Material`` accepts (exact ``str``/``int``/``bool``/``None`` values, plain decimal strings) and yield the
same values (``Decimal(text)`` is what pydantic builds from a string or an int); anything else returns
``None`` and the caller lets pydantic validate the whole request, so pydantic alone decides and words every
refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any, get_args

from api.origin.models import CorePart, Material, Origin

_ORIGINS = frozenset(get_args(Origin))
_CORE_PARTS = frozenset(get_args(CorePart))
_FIELDS = frozenset(Material.model_fields)
_STR = frozenset({str})
_TEXT_OR_NONE = frozenset({str, type(None)})
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ID, _VALUE, _ORIGIN = itemgetter("id"), itemgetter("value"), itemgetter("origin")

Row = tuple[str, Decimal, str, str | None, Decimal | None, Decimal | None, str | None, bool, str | None]


@dataclass(frozen=True)
class BomLines:
    """A validated BOM, one column per field the engine reads, one entry per line in request order.

    ``description``, ``hs`` and ``supplier`` are validated but not kept: nothing downstream reads them.
    ``warnings`` name the lines' unknown fields.
    """

    ids: tuple[str, ...]
    values: tuple[Decimal, ...]
    origins: tuple[str, ...]
    parents: tuple[str | None, ...]
    regional_content: tuple[Decimal | None, ...]
    non_originating_content: tuple[Decimal | None, ...]
    core_parts: tuple[str | None, ...]
    fails_tariff_shift: tuple[bool, ...]
    evidence: tuple[str | None, ...]
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)


def _from_rows(rows: list[Row], warnings: list[str]) -> BomLines:
    if not rows:
        return BomLines((), (), (), (), (), (), (), (), (), tuple(warnings))
    return BomLines(*zip(*rows, strict=True), warnings=tuple(warnings))


def _extra_warnings(i: int, keys: Any) -> list[str]:
    return [f"unknown field 'materials[{i}].{k}' ignored" for k in sorted(keys)]


def lines_from_models(materials: list[Material]) -> BomLines:
    """The lines of already validated ``Material`` models."""
    rows = [
        (
            m.id,
            m.value,
            m.origin,
            m.parent,
            m.regional_content,
            m.non_originating_content,
            m.core_part,
            m.fails_tariff_shift,
            m.evidence,
        )
        for m in materials
    ]
    warnings = [w for i, m in enumerate(materials) if m.model_extra for w in _extra_warnings(i, m.model_extra)]
    return _from_rows(rows, warnings)


def lines_from_json(materials: Any) -> BomLines | None:
    """The lines of a request's ``materials`` as parsed from JSON, without pydantic.

    Returns ``None`` for anything outside the plain subset (including every input ``Material`` would refuse).
    """
    if type(materials) is not list:
        return None
    lines = _basic_columns(materials)
    return lines if lines is not None else _by_line(materials)


def _amounts(raw: list[Any]) -> tuple[Decimal, ...] | None:
    """Plain decimal strings and ints as ``Decimal``s (``None`` for anything else)."""
    kinds = set(map(type, raw))
    if kinds == _STR:
        plain = all(map(_PLAIN.fullmatch, raw))
    else:
        plain = kinds <= {str, int} and all(_PLAIN.fullmatch(x) for x in raw if type(x) is str)
    return tuple(map(Decimal, raw)) if plain else None


def _basic_columns(materials: list[Any]) -> BomLines | None:
    """Lines that all hold only ``id``, ``value``, ``origin`` and perhaps ``parent``, read column by column."""
    n = len(materials)
    if not n or set(map(type, materials)) != {dict}:
        return None
    parents = tuple([m.get("parent") for m in materials])
    # Each line has the three required keys, plus ``parent`` exactly when it names one: no other key anywhere.
    if sum(map(len, materials)) != 4 * n - parents.count(None):
        return None
    try:
        ids, origins = tuple(map(_ID, materials)), tuple(map(_ORIGIN, materials))
        values = _amounts(list(map(_VALUE, materials)))
    except KeyError:
        return None
    if (
        values is None
        or set(map(type, ids)) != _STR
        or "" in ids
        or set(map(type, origins)) != _STR
        or not _ORIGINS.issuperset(origins)
        or not _TEXT_OR_NONE.issuperset(map(type, parents))
    ):
        return None
    nothing = (None,) * n
    return BomLines(ids, values, origins, parents, nothing, nothing, nothing, (False,) * n, nothing)


def _amount(x: Any) -> Decimal | None:
    return Decimal(x) if (type(x) is str and _PLAIN.fullmatch(x)) or type(x) is int else None


def _by_line(materials: list[Any]) -> BomLines | None:
    """Any plain BOM, line by line (optional fields, unknown fields)."""
    text_or_none = _TEXT_OR_NONE
    rows: list[Row] = []
    warnings: list[str] = []
    for i, m in enumerate(materials):
        if type(m) is not dict:
            return None
        get = m.get
        mid, value, origin, parent = get("id"), _amount(get("value")), get("origin"), get("parent")
        rc, noc = get("regional_content"), get("non_originating_content")
        core, fails, evidence = get("core_part"), get("fails_tariff_shift", False), get("evidence")
        if rc is not None and (rc := _amount(rc)) is None:
            return None
        if noc is not None and (noc := _amount(noc)) is None:
            return None
        if (
            value is None
            or type(mid) is not str
            or not mid
            or type(origin) is not str
            or origin not in _ORIGINS
            or type(parent) not in text_or_none
            or (core is not None and (type(core) is not str or core not in _CORE_PARTS))
            or (fails is not True and fails is not False)
            or type(evidence) not in text_or_none
            or type(get("description")) not in text_or_none
            or type(get("hs")) not in text_or_none
            or type(get("supplier")) not in text_or_none
        ):
            return None
        if not m.keys() <= _FIELDS:
            extra = [k for k in m if k not in _FIELDS]
            if any(type(k) is not str for k in extra):
                return None
            warnings.extend(_extra_warnings(i, extra))
        rows.append((mid, value, origin, parent, rc, noc, core, fails, evidence))
    return _from_rows(rows, warnings)
