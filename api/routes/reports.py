"""OEM compliance reports from the ledger: one vehicle, or a model line over a period (averaged).

Each vehicle's input is built from its as-built tree with the caller's own prices and the claimed origin of each
supplied part, with every certification's status as the caller may see it; the report then judges the evidence
(revoked, expired, upstream-invalid or missing certifications count as origin unknown and are listed as supplier
issues, expiring ones are flagged). JSON, CSV or PDF.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.compliance.gather import LedgerOrigin
from api.core.clock import today
from api.core.credentials import Principal
from api.core.deps import ServicesDep, require_roles
from api.reports import model_line_report, report_to_csv, report_to_json, report_to_pdf, vehicle_report
from api.reports.models import ComplianceReport
from api.routes.scans import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/reports", tags=["compliance reports"], responses=PROBLEM_RESPONSES)

Compliance = Annotated[Principal, Depends(require_roles("compliance"))]
Format = Literal["json", "csv", "pdf"]
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
RESPONSES = {200: {"content": {"application/json": {}, "text/csv": {}, "application/pdf": {}}}}


def _render(report: ComplianceReport, fmt: Format, name: str) -> Response:
    if fmt == "pdf":
        body: bytes | str = report_to_pdf(report)
    else:
        body = report_to_json(report) if fmt == "json" else report_to_csv(report)
    headers = {} if fmt == "json" else {"Content-Disposition": f'inline; filename="{name}.{fmt}"'}
    return Response(body, media_type=MEDIA[fmt], headers=headers)


@router.get("/vehicles/{uid:path}", summary="Compliance report of one vehicle (compliance role of its producer)",
            response_class=Response, responses=RESPONSES)  # fmt: skip
def vehicle(
    services: ServicesDep,
    principal: Compliance,
    uid: Annotated[str, Path(min_length=1, max_length=512)],
    format: Annotated[Format, Query(description="json, csv or pdf")] = "json",
    as_of: Annotated[dt.date | None, Query(description="Thresholds date (default: report date).")] = None,
    on: Annotated[dt.date | None, Query(description="Report date: certification status (default today).")] = None,
) -> Response:
    """RVC, each test, core parts, supplier issues (missing, expiring, expired, revoked, upstream invalid)."""
    day = on or today()
    lo = LedgerOrigin(services.readmodel, services.home, principal.msp_id)
    report = vehicle_report(lo.vehicle_input(uid, as_of=as_of or day, on=day), on=day)
    return _render(report, format, "vehicle-report")


@router.get("/model-lines/{part_type}", summary="Model-line report averaged over a period (compliance)",
            response_class=Response, responses=RESPONSES)  # fmt: skip
def model_line(
    services: ServicesDep,
    principal: Compliance,
    part_type: Annotated[str, Path(min_length=1, max_length=128)],
    period_from: Annotated[dt.date, Query(alias="from", description="First production date, YYYY-MM-DD.")],
    period_to: Annotated[dt.date, Query(alias="to", description="Last production date, YYYY-MM-DD.")],
    format: Annotated[Format, Query(description="json, csv or pdf")] = "json",
    on: Annotated[dt.date | None, Query(description="Report date (default today).")] = None,
) -> Response:
    """Every vehicle of the part type the caller's org produced in the period, averaged (CA-ROO s.16)."""
    day = on or today()
    lo = LedgerOrigin(services.readmodel, services.home, principal.msp_id)
    uids = lo.model_line_uids(part_type, period_from, period_to)
    inputs = lo.vehicle_inputs(uids, as_of=period_to, on=day)
    report = model_line_report(inputs, model_line=part_type, period_from=period_from, period_to=period_to, on=day)
    return _render(report, format, "model-line-report")
