"""Salted commitments to confidential cost data.

A supplier's cost breakdown never goes on the ledger. The ledger holds ``sha256(salt || canonical_json(data))``
with a fresh 32-byte salt per certification, so nobody can test guesses of the figures against the hash. To let
an auditor check the figures behind one certification, the supplier hands over an *opening* (the data and the
salt); anyone can recompute the hash and compare it with the ledger.

>>> opening = Opening(data={"total_cost": "100.00"}, salt="00" * 32)
>>> opening.commitment()
'5564275e5ffe534cb216fa5b68537976a2039a7bd1d042fc4a04651614afc683'
>>> opening.matches('5564275e5ffe534cb216fa5b68537976a2039a7bd1d042fc4a04651614afc683')
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical_json
from ledger.errors import ValidationError

SALT_BYTES = 32
SCHEME = "sha256-salted-canonical-json-v1"


@dataclass(frozen=True)
class Opening:
    """The data behind a commitment plus its salt (hex)."""

    data: dict[str, Any]
    salt: str
    scheme: str = SCHEME

    def commitment(self) -> str:
        """Recompute the commitment this opening opens."""
        if self.scheme != SCHEME:
            raise ValidationError(f"unknown commitment scheme {self.scheme!r}", field="scheme", value=self.scheme)
        try:
            salt = bytes.fromhex(self.salt)
        except ValueError as exc:
            raise ValidationError(f"salt {self.salt!r} is not hex", field="salt", value=self.salt) from exc
        if len(salt) != SALT_BYTES:
            raise ValidationError(f"salt must be {SALT_BYTES} bytes, got {len(salt)}", field="salt", value=self.salt)
        return hashlib.sha256(salt + canonical_json(self.data)).hexdigest()

    def matches(self, commitment: str) -> bool:
        """Constant-time comparison with a commitment read from the ledger."""
        return hmac.compare_digest(self.commitment(), commitment.lower())

    def as_dict(self) -> dict[str, Any]:
        """JSON form handed to an auditor."""
        return {"scheme": self.scheme, "salt": self.salt, "data": self.data}


def commit(data: dict[str, Any]) -> Opening:
    """A fresh opening (random salt) for some confidential data; put ``opening.commitment()`` on the ledger."""
    return Opening(data=data, salt=secrets.token_hex(SALT_BYTES))
