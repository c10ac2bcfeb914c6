"""USMCA rules-of-origin engine: pure code, no I/O (see docs/origin.md for the request/answer contract)."""

from __future__ import annotations

from api.origin.averaging import qualify_average
from api.origin.engine import answer_json, qualify, qualify_json
from api.origin.models import QualifyAnswer, QualifyRequest
from api.origin.rules import load_rules

__all__ = [
    "QualifyAnswer",
    "QualifyRequest",
    "answer_json",
    "load_rules",
    "qualify",
    "qualify_average",
    "qualify_json",
]
