"""Is a certification valid now? Its own revocation and expiry, then every certification it relies on.

A supplier's origin statement is only as good as the upstream statements it was built on: if a Tier-3's
casting certification is revoked, the Tier-2 machined part and the Tier-1 module that roll it up are no longer
supported. Status is evaluated at a given moment (the transaction timestamp) over the transitive closure of
upstream references, naming the upstream id that breaks the chain. Expiry: the blanket period is over, or four
years have passed since signing (19 CFR 182.12(h): records must be kept five years, and a certification may be
relied on for up to four years after it was completed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VALID, REVOKED, EXPIRED, UPSTREAM_INVALID = "valid", "revoked", "expired", "upstream_invalid"
VALIDITY_YEARS = 4


@dataclass(frozen=True)
class Status:
    """A certification's status at one moment, with every reason it is not valid."""

    status: str
    reasons: tuple[str, ...]
    expires_at: str

    @property
    def valid(self) -> bool:
        """True when nothing is wrong with it or its upstream."""
        return self.status == VALID

    def as_dict(self, at: str) -> dict[str, Any]:
        """JSON form returned with the certification."""
        return {
            "status": self.status,
            "valid": self.valid,
            "reasons": list(self.reasons),
            "expires_at": self.expires_at,
            "evaluated_at": at,
        }


def add_years(day: dt.date, years: int) -> dt.date:
    """Same month and day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expiry(cert: Mapping[str, Any]) -> dt.date:
    """Last day a certification may be relied on: end of blanket period or four years after signing."""
    issued = dt.date.fromisoformat(cert["issued_at"][:10])
    limit = add_years(issued, VALIDITY_YEARS)
    scope = cert["scope"]
    if scope["kind"] == "blanket":
        limit = min(limit, dt.date.fromisoformat(scope["to"]))
    return limit


def own_status(cert: Mapping[str, Any], today: dt.date) -> tuple[str, str | None]:
    """(status, reason) from the certification alone."""
    revocation = cert.get("revocation")
    if revocation:
        return REVOKED, f"revoked at {revocation['at']}: {revocation['reason']}"
    ends = expiry(cert)
    if today > ends:
        scope = cert["scope"]
        why = (
            "blanket period ended"
            if scope["kind"] == "blanket" and scope["to"] == ends.isoformat()
            else (f"{VALIDITY_YEARS} years after signing ended")
        )
        return EXPIRED, f"expired: {why} {ends.isoformat()}"
    return VALID, None


def evaluate(cert_id: str, certs: Mapping[str, Mapping[str, Any] | None], today: dt.date) -> Status:
    """Status of ``cert_id`` given every certification reachable from it (``None`` for a missing one)."""
    memo: dict[str, Status] = {}

    def walk(cid: str, path: frozenset[str]) -> Status:
        if cid in memo:
            return memo[cid]
        cert = certs.get(cid)
        if cert is None:
            return Status(UPSTREAM_INVALID, (f"certification {cid} does not exist",), "")
        status, reason = own_status(cert, today)
        reasons = [reason] if reason else []
        for up in cert.get("upstream", []):
            if up in path:
                continue
            sub = walk(up, path | {up})
            if not sub.valid:
                word = {REVOKED: "revoked", EXPIRED: "expired"}.get(sub.status, "not valid")
                detail = sub.reasons[0] if sub.reasons else ""
                reasons.append(f"upstream certification {up} is {word}" + (f" ({detail})" if detail else ""))
                if status == VALID:
                    status = UPSTREAM_INVALID
        result = Status(status, tuple(reasons), expiry(cert).isoformat())
        memo[cid] = result
        return result

    return walk(cert_id, frozenset({cert_id}))
