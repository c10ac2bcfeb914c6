"""``qualify``: one request in, one answer out, byte for byte the same every time.

The engine is pure: the rules data is loaded from the package, nothing else is read or written. It parses the
request, evaluates the BOM once (``evaluation``), computes the RVC under each method the rule offers, runs the
tests that apply to the category, and for a failing good works out the smallest what-if change (``decision``).
"""

from __future__ import annotations

import json
from typing import Any

from api.origin.decision import decide
from api.origin.evaluation import Evaluation, ParsedRequest, evaluate, input_sha256, parse_request
from api.origin.models import QualifyAnswer, QualifyRequest
from api.origin.rules import load_rules
from ledger.errors import ParseError

__all__ = [
    "Evaluation",
    "ParsedRequest",
    "answer_json",
    "decide",
    "evaluate",
    "input_sha256",
    "parse_request",
    "qualify",
    "qualify_json",
]


def qualify(request: dict[str, Any] | QualifyRequest) -> QualifyAnswer:
    """Qualify one good: the library call behind ``usmca origin qualify``.

    Raises:
        ValidationError: a request that breaks the contract, with the offending field and value.
    """
    rules = load_rules()
    parsed = parse_request(request)
    return decide(evaluate(parsed, rules), rules, input_sha256(parsed.raw))


def answer_json(answer: QualifyAnswer) -> str:
    """The canonical text form of an answer (sorted keys, two-space indent, UTF-8)."""
    return json.dumps(answer.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False)


def qualify_json(text: str) -> str:
    """Qualify a JSON request given as text and return the JSON answer; same text, same bytes.

    Raises:
        ParseError: text that is not JSON, naming the position.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"request is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    return answer_json(qualify(data))
