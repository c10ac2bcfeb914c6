"""Certification view models over the certification routes: readable status, expiring soon, reliance.

Statuses and visibility come from ``api.routes.certifications.list_certifications`` (the API's own function:
issued by the org, addressed to it, upstream of those; auditors see all). The pages only add "expiring" for a
valid certification whose validity ends within 30 days, the horizon suppliers asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.core.clock import today as utc_today
from api.core.credentials import Principal
from api.core.services import Services
from api.routes.certifications import list_certifications

EXPIRING_DAYS = 30
LABELS = {
    "valid": "Valid",
    "expiring": "Expiring within 30 days",
    "revoked": "Revoked",
    "upstream_invalid": "Upstream revoked or expired",
    "expired": "Expired",
}


@dataclass(frozen=True)
class CertRow:
    """One certification as a table row."""

    cert_id: str
    part_type: str
    issuer_msp: str
    status: str
    label: str
    reasons: tuple[str, ...]
    expires_at: str | None
    originating: bool
    criterion: str
    method: str | None
    rvc: str | None
    customers: tuple[str, ...]
    upstream: tuple[str, ...]
    relied_on_by: tuple[str, ...]
    cost_commitment: str
    issued_at: str


def display_status(status: dict[str, Any], today: dt.date) -> str:
    """The ledger status, or ``expiring`` for a valid one that ends within 30 days of ``today``."""
    name = str(status.get("status") or "valid")
    expires = status.get("expires_at")
    if name == "valid" and expires:
        try:
            if dt.date.fromisoformat(str(expires)[:10]) <= today + dt.timedelta(days=EXPIRING_DAYS):
                return "expiring"
        except ValueError:
            return name
    return name


def cert_row(cert: dict[str, Any], today: dt.date) -> CertRow:
    """A certification (API form, with ``status``) as a row."""
    status = cert.get("status") or {}
    name = display_status(status, today)
    return CertRow(
        cert_id=cert["cert_id"],
        part_type=cert["part_type"],
        issuer_msp=cert["issuer_msp"],
        status=name,
        label=LABELS.get(name, name),
        reasons=tuple(status.get("reasons") or ()),
        expires_at=status.get("expires_at"),
        originating=bool(cert.get("originating")),
        criterion=str(cert.get("origin_criterion") or ""),
        method=cert.get("method"),
        rvc=cert.get("rvc"),
        customers=tuple(cert.get("customers") or ()),
        upstream=tuple(cert.get("upstream") or ()),
        relied_on_by=tuple(cert.get("relied_on_by") or ()),
        cost_commitment=str(cert.get("cost_commitment") or ""),
        issued_at=str(cert.get("issued_at") or ""),
    )


def certifications(
    services: Services,
    principal: Principal,
    *,
    issuer: str | None = None,
    part_type: str | None = None,
    today: dt.date | None = None,
) -> list[CertRow]:
    """The certifications the member may see (optionally of one issuer or part type), as rows."""
    today = today or utc_today()
    answer = list_certifications(
        services, principal, part_type=part_type, issuer=issuer, customer=None, status=None, limit=1000, offset=0
    )
    return [cert_row(c.model_dump(), today) for c in answer.certifications]


def part_type_certifications(services: Services, principal: Principal, part_type: str) -> list[CertRow]:
    """The visible certifications of one part type."""
    return certifications(services, principal, part_type=part_type)
