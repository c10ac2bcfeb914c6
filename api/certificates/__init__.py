"""USMCA certifications of origin: Annex 5-A validation, building from an engine answer, PDF, content hash."""

from __future__ import annotations

from api.certificates.build import build_certificate
from api.certificates.canonical import canonical_json, content_hash
from api.certificates.fields import FieldError, valid_until, validate_certificate
from api.certificates.pdf import render_certificate_pdf

__all__ = [
    "FieldError",
    "build_certificate",
    "canonical_json",
    "content_hash",
    "render_certificate_pdf",
    "valid_until",
    "validate_certificate",
]
