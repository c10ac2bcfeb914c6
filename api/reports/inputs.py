"""Recognising a vehicle input whose request and certifications were already validated, without pydantic.

A model line repeats a few configurations over thousands of vehicles; validating each vehicle with pydantic costs
more than the rest of its share of the report. A vehicle is keyed by the content of its request and
certifications (``content_key``); when an identical pair was validated before, only the vehicle's own fields
(``vin``, ``model_line``, ``produced_on``) are checked here, for the plain values pydantic would accept unchanged.
Anything else goes to pydantic, which alone decides and words every refusal.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from api.origin.evaluation import content_key
from api.reports.models import VehicleInput

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def raw_key(item: dict[str, Any]) -> bytes | None:
    """The key of a vehicle given as parsed JSON: its request and certifications as received.

    Absent certifications key differently from any given value (pydantic supplies the default).
    """
    request = item.get("request")
    if "certifications" in item:
        return content_key(("raw", request, item["certifications"]))
    return content_key(("raw", request))


def validated_key(vehicle: VehicleInput) -> bytes | None:
    """The key of a validated vehicle: its request and the certification fields the report reads."""
    rows = []
    for c in vehicle.certifications:
        until = c.valid_until
        if until is not None and type(until) is not dt.date:
            return None
        rows.append((c.id, c.supplier, c.status, until.toordinal() if until is not None else None))
    return content_key(("validated", vehicle.request, rows))


def plain_head(item: dict[str, Any]) -> tuple[str, dt.date | None] | None:
    """``(model_line, produced_on)`` of a vehicle whose own fields are plain and valid, else ``None``.

    Accepts only what ``VehicleInput`` turns into the same values: a non-empty ``str`` vin, a ``str`` model line
    and a ``YYYY-MM-DD`` date (or a ``date``, or none); unknown keys are ignored, as the model ignores them.
    """
    vin, line, day = item.get("vin"), item.get("model_line", ""), item.get("produced_on")
    if type(vin) is not str or not vin or type(line) is not str:
        return None
    if type(day) is str:
        if not _DAY.fullmatch(day):
            return None
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            return None
    elif day is not None and type(day) is not dt.date:
        return None
    return line, day
