"""OEM compliance reports: per vehicle or per model line over a period, rendered to JSON, CSV and PDF."""

from __future__ import annotations

from api.reports.build import model_line_report, vehicle_report
from api.reports.models import CertificationStatus, ComplianceReport, SupplierIssue, VehicleInput
from api.reports.render import report_to_csv, report_to_json, report_to_pdf

__all__ = [
    "CertificationStatus",
    "ComplianceReport",
    "SupplierIssue",
    "VehicleInput",
    "model_line_report",
    "report_to_csv",
    "report_to_json",
    "report_to_pdf",
    "vehicle_report",
]
