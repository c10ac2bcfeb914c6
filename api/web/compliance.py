"""Compliance figures for the dashboard, taken from the report routes themselves so they equal the API's.

The dashboard calls ``api.routes.reports.vehicle`` and ``model_line`` (JSON format) and reads their answers back
into ``ComplianceReport``: RVC, threshold, each test and the supplier issues are exactly what
``GET /v1/reports/...`` answers the same member on the same day. Supplier issues are per material; the dashboard
groups them by supplier, certification and issue with the number of vehicles affected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from api.compliance.gather import LedgerOrigin
from api.core.credentials import Principal
from api.core.services import Services
from api.reports import vehicle_report
from api.reports.models import ComplianceReport
from api.routes.reports import model_line, vehicle


@dataclass(frozen=True)
class IssueGroup:
    """Supplier issues of one kind for one certification (or uncertified material), over many parts."""

    supplier: str
    certification: str | None
    issue: str
    detail: str
    materials: int


@dataclass(frozen=True)
class Gauge:
    """An RVC against its threshold, ready to draw as a bar (percent of a 0-100 scale)."""

    rvc: str | None
    threshold: str | None
    passed: bool
    fill: float
    mark: float


def gauge(rvc: str | None, threshold: str | None, passed: bool) -> Gauge:
    """Bar geometry for an RVC and threshold given as decimal strings (clamped to 0-100)."""

    def clamp(text: str | None) -> float:
        try:
            return float(min(max(Decimal(str(text)), Decimal(0)), Decimal(100))) if text is not None else 0.0
        except InvalidOperation:
            return 0.0

    return Gauge(rvc, threshold, passed, clamp(rvc), clamp(threshold))


def vehicle_compliance(services: Services, principal: Principal, uid: str, on: dt.date) -> ComplianceReport:
    """The vehicle report exactly as ``GET /v1/reports/vehicles/{uid}`` answers it."""
    response = vehicle(services, principal, uid, format="json", as_of=None, on=on)
    return ComplianceReport.model_validate_json(response.body)


def vehicle_reports(
    services: Services, principal: Principal, uids: list[str], on: dt.date
) -> dict[str, ComplianceReport]:
    """Reports of many vehicles with the report route's own steps, sharing one ledger snapshot.

    ``GET /v1/reports/vehicles/{uid}`` is ``vehicle_report(LedgerOrigin(...).vehicle_input(uid, as_of=day,
    on=day), on=day)``; building one ``LedgerOrigin`` for the page lets it load each part type and certification
    closure once instead of once per vehicle (a 48-vehicle page went from about 1.2 s to a few hundred ms).
    """
    lo = LedgerOrigin(services.readmodel, services.home, principal.msp_id)
    return {uid: vehicle_report(lo.vehicle_input(uid, as_of=on, on=on), on=on) for uid in uids}


def model_line_compliance(
    services: Services, principal: Principal, part_type: str, period_from: dt.date, period_to: dt.date, on: dt.date
) -> ComplianceReport:
    """The averaged model-line report exactly as ``GET /v1/reports/model-lines/{part_type}`` answers it."""
    response = model_line(
        services, principal, part_type, period_from=period_from, period_to=period_to, format="json", on=on
    )
    return ComplianceReport.model_validate_json(response.body)


def group_issues(report: ComplianceReport) -> list[IssueGroup]:
    """The report's per-material supplier issues grouped by supplier, certification and issue."""
    counts: dict[tuple[str, str | None, str], int] = {}
    details: dict[tuple[str, str | None, str], str] = {}
    for issue in report.supplier_issues:
        key = (issue.supplier, issue.certification, issue.issue)
        counts[key] = counts.get(key, 0) + 1
        details.setdefault(key, issue.detail)
    return [
        IssueGroup(supplier, cert, kind, details[(supplier, cert, kind)], n)
        for (supplier, cert, kind), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2]))
    ]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The model-line period shown by default: the calendar year so far."""
    return dt.date(today.year, 1, 1), today
