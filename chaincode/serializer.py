"""A leaner argument serializer for a contract whose every parameter and return value is a string.

The contract API's JSONSerializer validates each argument and each answer against the JSON schema reflected
from its type. For ``str`` that schema is ``{"type": "string"}`` and the value is a ``str`` by construction,
so the check cannot fail, yet jsonschema costs about a fifth of the dispatch of a one-scan transaction. This
serializer passes ``str`` through unchanged and defers to the library for every other type, so behaviour is
identical; our own validation of the JSON inside those strings happens in :mod:`chaincode.validate`.
"""

from __future__ import annotations

from typing import Any

from chaincode.fabric import JSONSerializer


class StringPassthroughSerializer(JSONSerializer):
    """JSONSerializer that skips the schema check for ``str`` parameters and ``str`` answers."""

    def from_string(
        self, value: str, field_type: Any, param_metadata: Any, components: Any
    ) -> tuple[Any, Exception | None]:
        """Strings stay strings; anything else goes through the library's conversion and schema check."""
        if field_type is str and isinstance(value, str):
            return value, None
        return super().from_string(value, field_type, param_metadata, components)

    def to_string(self, result: Any, result_type: Any, returns: Any, components: Any) -> tuple[str, Exception | None]:
        """A ``str`` answer is the payload as-is."""
        if result_type is str and isinstance(result, str):
            return result, None
        return super().to_string(result, result_type, returns, components)
