"""Canonical JSON: the one byte form that signatures, commitments and hashes are computed over.

Sorted keys, no insignificant white space, UTF-8 without escaping non-ASCII, and no floats (amounts and
percentages travel as decimal strings) so that every party, in any language, re-creates the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ledger.errors import ValidationError


def _reject_floats(obj: Any, path: str = "$") -> None:
    if isinstance(obj, float):
        raise ValidationError(f"{path} is a float ({obj!r}); use a decimal string", field=path, value=obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            _reject_floats(v, f"{path}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _reject_floats(v, f"{path}[{i}]")


def canonical_json(obj: Any) -> bytes:
    r"""Encode ``obj`` canonically; floats are refused because their text form differs between languages.

    >>> canonical_json({"b": 1, "a": ["x", "ü"]})
    b'{"a":["x","\\xc3\\xbc"],"b":1}'
    """
    _reject_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()
