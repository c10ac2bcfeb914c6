"""Annex 5-A minimum data elements and the 19 CFR 182.12 details: field-by-field validation.

``validate_certificate`` never raises on bad content: it returns every problem as a ``FieldError`` with a path
such as ``goods[0].hs`` and a message naming the offending value, so a form can show them all at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from api.origin.rules import load_rules
from ledger.errors import ValidationError

ROLES = ("importer", "exporter", "producer")
CRITERIA = ("A", "B", "C", "D")
LANGUAGES = ("en", "fr", "es")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]{7,30}(\s*(x|ext\.?)\s*\d{1,6})?$")
_HS = re.compile(r"^\d{6}(\d{2}(\d{2})?)?$")

#: What each party slot may hold besides a party object.
PARTY_WORDS = {
    "exporter": ("same_as_certifier", "various", "unknown"),
    "producer": ("same_as_certifier", "same_as_exporter", "various", "available_upon_request"),
    "importer": ("various",),
}


@dataclass(frozen=True)
class FieldError:
    """One problem in a certificate: where it is and what is wrong (the value is named in the message)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """JSON form used by the CLI and the API."""
        return {"field": self.field, "message": self.message}


def _text(
    data: dict[str, Any], key: str, path: str, errors: list[FieldError], *, label: str | None = None
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(FieldError(f"{path}.{key}", f"{label or key} is required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(f"{path}.{key}", f"{label or key} must be text, got {value!r}"))
        return None
    return value.strip()


def _party(value: Any, path: str, errors: list[FieldError], *, certifier: bool = False) -> None:
    if not isinstance(value, dict):
        errors.append(FieldError(path, f"{path} must be an object, got {value!r}"))
        return
    for key in ("name", "address"):
        _text(value, key, path, errors)
    if certifier:
        _text(value, "title", path, errors)
    country = _text(value, "country", path, errors)
    countries = load_rules().raw["certification"]["usmca_countries"]
    if country is not None and country.upper() not in countries:
        errors.append(
            FieldError(
                f"{path}.country",
                f"country {country!r} is not a USMCA country code ({', '.join(countries)}); the address must be in "
                "USMCA territory (19 CFR 182.12(b))",
            )
        )
    phone = _text(value, "phone", path, errors)
    if phone is not None and not _PHONE.match(phone):
        errors.append(FieldError(f"{path}.phone", f"phone {phone!r} is not a telephone number"))
    email = _text(value, "email", path, errors)
    if email is not None and not _EMAIL.match(email):
        errors.append(FieldError(f"{path}.email", f"email {email!r} is not an e-mail address"))


def _slot(data: dict[str, Any], key: str, errors: list[FieldError], *, required: bool) -> None:
    value = data.get(key)
    words = PARTY_WORDS[key]
    if value is None:
        if required:
            errors.append(FieldError(key, f"{key} is required (an object or one of: {', '.join(words)})"))
        return
    if isinstance(value, str):
        if value not in words:
            errors.append(
                FieldError(key, f"{key} {value!r} is not allowed; use an object or one of: {', '.join(words)}")
            )
        return
    _party(value, key, errors)


def _date(value: Any, path: str, errors: list[FieldError]) -> dt.date | None:
    if value is None:
        errors.append(FieldError(path, f"{path} is required (YYYY-MM-DD)"))
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.append(FieldError(path, f"{path} {value!r} is not a date (YYYY-MM-DD)"))
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _goods(data: dict[str, Any], errors: list[FieldError], single_shipment: bool) -> None:
    goods = data.get("goods")
    if not isinstance(goods, list) or not goods:
        errors.append(FieldError("goods", f"goods must be a non-empty list, got {goods!r}"))
        return
    for i, good in enumerate(goods):
        path = f"goods[{i}]"
        if not isinstance(good, dict):
            errors.append(FieldError(path, f"{path} must be an object, got {good!r}"))
            continue
        _text(good, "description", path, errors)
        hs = good.get("hs")
        digits = re.sub(r"[.\s]", "", str(hs)) if isinstance(hs, str | int) else ""
        if hs is None:
            errors.append(FieldError(f"{path}.hs", "hs is required (at least 6 digits)"))
        elif not _HS.match(digits):
            errors.append(FieldError(f"{path}.hs", f"hs {hs!r} must be an HS number of at least 6 digits (6, 8 or 10)"))
        crit = good.get("origin_criterion")
        if crit not in CRITERIA:
            errors.append(
                FieldError(
                    f"{path}.origin_criterion",
                    f"origin_criterion {crit!r} must be one of A, B, C, D (Art. 4.2)",
                )
            )
        if single_shipment and not good.get("invoice"):
            errors.append(
                FieldError(f"{path}.invoice", "invoice is required for a single shipment (no blanket_period given)")
            )
        if "schedule_ii" in good and not isinstance(good["schedule_ii"], bool):
            errors.append(
                FieldError(f"{path}.schedule_ii", f"schedule_ii must be true or false, got {good['schedule_ii']!r}")
            )


def valid_until(cert: dict[str, Any]) -> dt.date:
    """Last day a certification is accepted: four years after it was completed (19 CFR 182.12(h)).

    The completion date is ``signed_date``; the day before its fourth anniversary is the last valid day.

    Raises:
        ValidationError: no valid ``signed_date``.
    """
    try:
        signed = dt.date.fromisoformat(str(cert["signed_date"]))
    except (KeyError, ValueError):
        raise ValidationError(
            f"signed_date {cert.get('signed_date')!r} is not a date (YYYY-MM-DD)", field="signed_date"
        ) from None
    years = int(load_rules().raw["certification"]["validity_years"])
    return add_months(signed, 12 * years) - dt.timedelta(days=1)


def validate_certificate(data: dict[str, Any]) -> list[FieldError]:
    """Every problem with a certification of origin; an empty list means it is complete and consistent."""
    if not isinstance(data, dict):
        return [FieldError("$", f"a certificate must be a JSON object, got {type(data).__name__}")]
    errors: list[FieldError] = []
    cert = load_rules().raw["certification"]
    certifier = data.get("certifier")
    role = None
    if certifier is None:
        errors.append(FieldError("certifier", "certifier is required"))
    else:
        _party(certifier, "certifier", errors, certifier=True)
        if isinstance(certifier, dict):
            role = certifier.get("role")
            if role not in ROLES:
                errors.append(
                    FieldError("certifier.role", f"role {role!r} must be one of importer, exporter, producer")
                )
    exporter = data.get("exporter")
    if exporter in (None, "unknown") and role != "producer":
        errors.append(
            FieldError("exporter", "exporter is required unless the certifier is a producer that does not know it")
        )
    elif exporter is not None:
        _slot(data, "exporter", errors, required=False)
    _slot(data, "producer", errors, required=True)
    _slot(data, "importer", errors, required=False)
    blanket = data.get("blanket_period")
    if blanket is not None:
        if not isinstance(blanket, dict):
            errors.append(
                FieldError("blanket_period", f"blanket_period must be an object with from and to, got {blanket!r}")
            )
        else:
            start = _date(blanket.get("from"), "blanket_period.from", errors)
            end = _date(blanket.get("to"), "blanket_period.to", errors)
            months = int(cert["blanket_max_months"])
            if start and end:
                if end < start:
                    errors.append(FieldError("blanket_period.to", f"to {end} is before from {start}"))
                elif end >= add_months(start, months):
                    last = add_months(start, months) - dt.timedelta(days=1)
                    errors.append(
                        FieldError(
                            "blanket_period.to",
                            f"to {end} makes the period longer than {months} months (latest allowed {last}, "
                            "19 CFR 182.12(g))",
                        )
                    )
    _goods(data, errors, single_shipment=blanket is None)
    _date(data.get("signed_date"), "signed_date", errors)
    statement = data.get("certification_statement")
    if statement is not None and statement != cert["statement"]:
        errors.append(
            FieldError(
                "certification_statement",
                "certification_statement differs from the text required by 19 CFR 182.12(a)(5); omit it to use "
                "the exact text",
            )
        )
    if data.get("signer") is not None:
        _party(data["signer"], "signer", errors, certifier=True)
    lang = data.get("language")
    if lang is not None and lang not in LANGUAGES:
        errors.append(FieldError("language", f"language {lang!r} must be en, fr or es (19 CFR 182.12(e))"))
    return errors
