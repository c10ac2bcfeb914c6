"""Building compliance reports: one vehicle, or a model line over a period averaged (pure functions).

With ``strict_evidence`` (the default) a material claimed originating counts as origin *unknown* - so as
non-originating, and listed in ``missing_evidence`` - unless a valid certification backs it on the report date:
a revoked, expired or missing certification cannot support a preference claim (19 CFR 182.107).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from api.origin.averaging import qualify_average_keyed
from api.origin.engine import qualify
from api.reports.inputs import plain_head, raw_key, validated_key
from api.reports.models import CertificationStatus, ComplianceReport, SupplierIssue, VehicleInput
from ledger.errors import ValidationError

DEFAULT_EXPIRING_DAYS = 60
_MEMO_LIMIT = 100_000

_Issue = tuple[str, str, str | None, str, str, str | None]
"""supplier, material, certification, issue kind, detail, valid until"""


def _issues_and_request(
    vehicle: VehicleInput, on: dt.date, horizon: dt.date, strict: bool
) -> tuple[dict[str, Any], list[_Issue]]:
    certs: dict[str, CertificationStatus] = {c.id: c for c in vehicle.certifications}
    request = vehicle.request
    materials = request.get("materials") or []
    issues: list[_Issue] = []
    new_materials: list[Any] | None = None
    for i, m in enumerate(materials):
        if not isinstance(m, dict) or m.get("parent") is not None:
            continue
        if m.get("origin") == "unknown" and not m.get("evidence"):
            who = str(m.get("supplier") or "unknown supplier")
            issues.append((who, str(m.get("id")), None, "missing", "origin unknown: no certification covers it", None))
            continue
        if m.get("origin") != "originating":
            continue
        evidence = m.get("evidence")
        cert = certs.get(evidence) if evidence else None
        supplier = str(m.get("supplier") or (cert.supplier if cert else "") or "unknown supplier")
        mid = str(m.get("id"))
        kind: str | None = None
        detail = ""
        until = str(cert.valid_until) if cert and cert.valid_until else None
        if cert is None:
            kind = "missing"
            detail = f"no certification on record for evidence {evidence!r}" if evidence else "no certification cited"
        elif cert.status == "revoked":
            kind, detail = "revoked", f"certification {cert.id} was revoked"
        elif cert.status == "upstream_invalid":
            kind, detail = "upstream_invalid", f"certification {cert.id} relies on an upstream one that is not valid"
        elif cert.status == "expired" or (cert.valid_until is not None and cert.valid_until < on):
            kind, detail = "expired", f"certification {cert.id} expired on {until}"
        elif cert.status == "pending":
            kind, detail = "pending", f"certification {cert.id} is pending"
        elif cert.valid_until is not None and cert.valid_until <= horizon:
            issues.append((supplier, mid, cert.id, "expiring", f"certification {cert.id} expires on {until}", until))
            continue
        if kind is None:
            continue
        issues.append((supplier, mid, cert.id if cert else evidence, kind, detail, until))
        if strict:
            if new_materials is None:
                new_materials = list(materials)
            new_materials[i] = {**m, "origin": "unknown"}
    if new_materials is not None:
        request = {**request, "materials": new_materials}
    return request, issues


def _parse_vehicle(vehicle: VehicleInput | dict[str, Any]) -> VehicleInput:
    return vehicle if isinstance(vehicle, VehicleInput) else VehicleInput.model_validate(vehicle)


def vehicle_report(
    vehicle: VehicleInput | dict[str, Any],
    *,
    on: dt.date,
    expiring_within_days: int = DEFAULT_EXPIRING_DAYS,
    strict_evidence: bool = True,
) -> ComplianceReport:
    """The compliance report of one vehicle as of ``on``."""
    v = _parse_vehicle(vehicle)
    horizon = on + dt.timedelta(days=expiring_within_days)
    request, raw_issues = _issues_and_request(v, on, horizon, strict_evidence)
    answer = qualify(request)
    issues = [
        SupplierIssue(supplier=s, material=m, certification=c, issue=k, detail=d, valid_until=u)
        for s, m, c, k, d, u in sorted(raw_issues, key=lambda x: (x[0], x[1], x[3]))
    ]
    return ComplianceReport(
        kind="vehicle",
        subject=v.vin,
        generated_on=on.isoformat(),
        period_from=None,
        period_to=None,
        vehicles=1,
        qualifies=answer.qualifies,
        rvc=answer.rvc,
        threshold=answer.threshold,
        answer=answer.model_dump(mode="json"),
        supplier_issues=issues,
        rules_version=answer.rules_version,
        strict_evidence=strict_evidence,
    )


def model_line_report(
    vehicles: Iterable[VehicleInput | dict[str, Any]],
    *,
    model_line: str,
    period_from: dt.date,
    period_to: dt.date,
    on: dt.date,
    expiring_within_days: int = DEFAULT_EXPIRING_DAYS,
    strict_evidence: bool = True,
) -> ComplianceReport:
    """The averaged report of a model line over ``[period_from, period_to]`` (vehicles outside are skipped).

    Raises:
        ValidationError: an empty period, or no vehicle of the model line produced in it.
    """
    if period_to < period_from:
        raise ValidationError(f"period_to {period_to} is before period_from {period_from}", field="period_to")
    horizon = on + dt.timedelta(days=expiring_within_days)
    counts: dict[tuple[str, str, str | None, str], list[Any]] = {}
    # Vehicles with the same request and certifications (one configuration built on one day) have the same
    # issues and the same evidence-adjusted request: work them out once, and let averaging reuse the key.
    known: dict[bytes, tuple[dict[str, Any], list[_Issue]]] = {}

    def requests() -> Iterator[tuple[bytes | None, dict[str, Any]]]:
        for item in vehicles:
            v: VehicleInput | None = None
            key: bytes | None = None
            done: tuple[dict[str, Any], list[_Issue]] | None = None
            head: tuple[str, dt.date | None] | None = None
            if type(item) is dict:
                key = raw_key(item)
                done = known.get(key) if key is not None else None
                head = plain_head(item) if done is not None else None
            if head is None:
                v = _parse_vehicle(item)
                head = v.model_line, v.produced_on
                if key is None:
                    key = validated_key(v)
                    done = known.get(key) if key is not None else None
            line, produced_on = head
            if line != model_line:
                continue
            if produced_on is None or not (period_from <= produced_on <= period_to):
                continue
            if done is None:
                assert v is not None  # a vehicle is parsed unless its inputs were seen before
                done = _issues_and_request(v, on, horizon, strict_evidence)
                if key is not None and len(known) < _MEMO_LIMIT:
                    known[key] = done
            request, raw_issues = done
            for s, m, c, k, d, u in raw_issues:
                issue = (s, m, c, k)
                if issue in counts:
                    counts[issue][2] += 1
                else:
                    counts[issue] = [d, u, 1]
            yield key, request

    try:
        answer = qualify_average_keyed(requests())
    except ValidationError as err:
        if err.field == "requests":
            raise ValidationError(
                f"no vehicle of model line {model_line!r} produced between {period_from} and {period_to}",
                field="model_line",
                value=model_line,
            ) from None
        raise
    issues = [
        SupplierIssue(supplier=s, material=m, certification=c, issue=k, detail=d, valid_until=u, vehicles=n)
        for (s, m, c, k), (d, u, n) in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][3]))
    ]
    return ComplianceReport(
        kind="model_line",
        subject=model_line,
        generated_on=on.isoformat(),
        period_from=period_from.isoformat(),
        period_to=period_to.isoformat(),
        vehicles=answer.vehicles or 0,
        qualifies=answer.qualifies,
        rvc=answer.rvc,
        threshold=answer.threshold,
        answer=answer.model_dump(mode="json"),
        supplier_issues=issues,
        rules_version=answer.rules_version,
        strict_evidence=strict_evidence,
    )
