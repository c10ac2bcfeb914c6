"""Schemathesis conformance runs shared by the API schema tests: every response of every operation is checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

#: Business rules (check digits, HS chapters, custody) refuse schema-valid data by design, so "positive data
#: acceptance" does not apply; everything about the responses does.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
POSITIVE = ((GenerationMode.POSITIVE, 12),)


def conformance_test(
    operation: schemathesis.APIOperation,
    headers: dict[str, str],
    mode: GenerationMode,
    examples: int,
    checks: Sequence[Any] = CHECKS,
) -> Callable[[], None]:
    """A bounded hypothesis test calling one operation with ``headers`` and checking every response."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=list(checks), timeout=60)

    return check


def check_operations(
    base_url: str,
    path_regex: str,
    headers_for: Callable[[schemathesis.APIOperation], dict[str, str]],
    *,
    runs: Sequence[tuple[GenerationMode, int]] = POSITIVE,
    checks: Sequence[Any] = CHECKS,
) -> tuple[int, dict[str, str]]:
    """Run every operation matching ``path_regex``; returns how many there were and each failure by operation."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json").include(path_regex=path_regex)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    for operation in operations:
        for mode, examples in runs:
            try:
                conformance_test(operation, headers_for(operation), mode, examples, checks)()
            except Exception as exc:  # collect every operation's failure, then report them all
                failures[f"{mode.value} {operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    return len(operations), failures
