"""Building a certification of origin from an engine answer and the parties' organisation data.

The builder refuses an answer that does not qualify, picks the origin criterion the facts support (C when no
non-originating material was used, else B; the certifier may override), and validates the result, so a
document it returns is always complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.certificates.fields import FieldError, validate_certificate
from api.core.clock import today
from api.origin.models import QualifyAnswer
from api.origin.rules import load_rules
from ledger.errors import ValidationError


class IncompleteCertificate(ValidationError):
    """The document would miss required data elements; ``errors`` lists every one, so a form can mark each field."""

    def __init__(self, errors: list[FieldError]) -> None:
        listing = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"certificate incomplete: {listing}", field=errors[0].field)
        self.errors = tuple(errors)


def format_hs(hs: str) -> str:
    """Dotted HS: 870840 -> 8708.40; 8708400000 -> 8708.40.00.00."""
    digits = hs.replace(".", "")
    parts = [digits[:4]] + [digits[i : i + 2] for i in range(4, len(digits), 2)]
    return ".".join(parts)


def criterion_for(answer: dict[str, Any]) -> str:
    """C when every top-level material is originating and VNM is zero, else B (Art. 4.2(b), (c))."""
    top = [ln for ln in answer.get("lines", []) if ln.get("parent") is None]
    if answer.get("vnm") == "0" and all(ln.get("origin") == "originating" for ln in top):
        return "C"
    return "B"


def build_certificate(
    answer: QualifyAnswer | dict[str, Any],
    *,
    certifier: dict[str, Any],
    producer: dict[str, Any] | str,
    exporter: dict[str, Any] | str | None = None,
    importer: dict[str, Any] | str | None = None,
    description: str | None = None,
    invoice: str | None = None,
    blanket_period: dict[str, str] | None = None,
    signed_date: dt.date | str | None = None,
    origin_criterion: str | None = None,
    language: str = "en",
    extra_goods: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A certificate document (Annex 5-A) for the good an engine answer qualified.

    Raises:
        ValidationError: the answer does not qualify, or the document would be incomplete (all problems are
            listed in the message).
    """
    data = answer.model_dump(mode="json") if isinstance(answer, QualifyAnswer) else answer
    if not data.get("qualifies"):
        failed = [
            f"{t.get('name')} {t.get('value')} < {t.get('required')}"
            if t.get("value") is not None and t.get("required") is not None
            else f"{t.get('name')}: {t.get('detail')}"
            for t in data.get("tests") or []
            if isinstance(t, dict) and not t.get("passed")
        ]
        why = f" (failed: {'; '.join(failed)})" if failed else ""
        raise ValidationError(
            f"the qualification {str(data.get('input_sha256', '?'))[:12]} does not qualify; no certificate can be "
            f"built{why}",
            field="answer.qualifies",
            value=str(data.get("qualifies")),
        )
    good_in = data.get("good") or {}
    hs = good_in.get("hs")
    good: dict[str, Any] = {
        "description": description or good_in.get("description") or "",
        "hs": format_hs(hs) if hs else None,
        "origin_criterion": origin_criterion or criterion_for(data),
        "qualification": {
            "rules_version": data.get("rules_version"),
            "input_sha256": data.get("input_sha256"),
            "method": data.get("method"),
            "rvc": data.get("rvc"),
            "threshold": data.get("threshold"),
            "as_of": data.get("as_of"),
        },
    }
    if invoice:
        good["invoice"] = invoice
    signed = signed_date or today()
    cert: dict[str, Any] = {
        "certifier": certifier,
        "producer": producer,
        "goods": [good, *(extra_goods or [])],
        "signed_date": signed.isoformat() if isinstance(signed, dt.date) else signed,
        "certification_statement": load_rules().raw["certification"]["statement"],
        "language": language,
    }
    if exporter is not None:
        cert["exporter"] = exporter
    if importer is not None:
        cert["importer"] = importer
    if blanket_period is not None:
        cert["blanket_period"] = blanket_period
    errors = validate_certificate(cert)
    if errors:
        raise IncompleteCertificate(errors)
    return cert
