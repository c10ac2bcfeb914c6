"""Inputs and output of the OEM compliance report.

A vehicle's input is what the ledger side assembles: its qualify request (built from the as-built tree and the
OEM's private prices) and the status of every certification its materials cite as evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CertStatus = Literal["valid", "pending", "expired", "revoked", "upstream_invalid"]
IssueKind = Literal["missing", "expiring", "expired", "revoked", "pending", "upstream_invalid"]


class CertificationStatus(BaseModel):
    """A supplier's certification of origin as the ledger knows it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    supplier: str = ""
    status: CertStatus = "valid"
    valid_until: dt.date | None = None


class VehicleInput(BaseModel):
    """One vehicle: identity, model line, production date, qualify request and certification statuses."""

    model_config = ConfigDict(frozen=True)

    vin: str = Field(min_length=1)
    model_line: str = ""
    produced_on: dt.date | None = None
    request: dict[str, Any]
    certifications: list[CertificationStatus] = Field(default_factory=list)


class SupplierIssue(BaseModel):
    """A material whose origin claim is not (or soon not) backed by a valid certification."""

    model_config = ConfigDict(frozen=True)

    supplier: str
    material: str
    certification: str | None
    issue: IssueKind
    detail: str
    valid_until: str | None = None
    vehicles: int = 1


class ComplianceReport(BaseModel):
    """The report for one vehicle or one model line over a period (averaged)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["vehicle", "model_line"]
    subject: str
    generated_on: str
    period_from: str | None
    period_to: str | None
    vehicles: int
    qualifies: bool
    rvc: str | None
    threshold: str | None
    answer: dict[str, Any]
    supplier_issues: list[SupplierIssue]
    rules_version: str
    strict_evidence: bool
