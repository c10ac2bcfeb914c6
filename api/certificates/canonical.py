"""The certificate's canonical bytes and content hash: what the certifier signs and the ledger records.

The hash covers everything except the ``signature`` block, so adding the detached signature does not change
what it signs. Floats are refused (ledger canonical JSON): amounts travel as decimal strings.
"""

from __future__ import annotations

from typing import Any

from ledger.canonical import canonical_json as _canonical
from ledger.canonical import sha256_hex

SIGNATURE_KEY = "signature"


def canonical_json(cert: dict[str, Any]) -> bytes:
    """Canonical JSON of the whole certificate (sorted keys, no spaces, UTF-8, no floats)."""
    return _canonical(cert)


def content_hash(cert: dict[str, Any]) -> str:
    """Hex sha256 of the canonical JSON of the certificate without its ``signature`` block."""
    return sha256_hex(_canonical({k: v for k, v in cert.items() if k != SIGNATURE_KEY}))
