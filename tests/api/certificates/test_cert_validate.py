"""Annex 5-A minimum data elements and 19 CFR 182.12 details, field by field."""

from __future__ import annotations

import pytest

from api.certificates import FieldError, validate_certificate
from api.origin.rules import load_rules


def cert(**over):
    data = {
        "certifier": {
            "role": "producer",
            "name": "Ana Torres",
            "title": "Trade Compliance Manager",
            "address": "Av. Industrial 450, Saltillo, Coahuila 25290",
            "country": "MX",
            "phone": "+52 844 555 0199",
            "email": "ana.torres@frontera-axle.mx",
        },
        "exporter": "same_as_certifier",
        "producer": "same_as_certifier",
        "importer": {
            "name": "Great Lakes Assembly LLC",
            "address": "1200 Plant Rd, Lansing, MI 48906",
            "country": "US",
            "phone": "+1 517 555 0100",
            "email": "trade@gla.example",
        },
        "goods": [{"description": "Rear drive axle RA-220", "hs": "8708.50", "origin_criterion": "B"}],
        "blanket_period": {"from": "2026-01-01", "to": "2026-12-31"},
        "signed_date": "2025-12-15",
    }
    data.update(over)
    return data


def errors_of(data):
    return [(e.field, e.message) for e in validate_certificate(data)]


def test_valid_certificate():
    assert validate_certificate(cert()) == []


@pytest.mark.parametrize("key", ["name", "title", "address", "country", "phone", "email"])
def test_certifier_fields_required(key):
    data = cert()
    del data["certifier"][key]
    assert errors_of(data) == [(f"certifier.{key}", f"{key} is required")]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("role", "broker", "role 'broker' must be one of importer, exporter, producer"),
        (
            "country",
            "DE",
            "country 'DE' is not a USMCA country code (US, CA, MX); the address must be in USMCA territory (19 CFR 182.12(b))",
        ),
        ("phone", "call me", "phone 'call me' is not a telephone number"),
        ("email", "ana@", "email 'ana@' is not an e-mail address"),
        ("name", 42, "name must be text, got 42"),
    ],
)
def test_certifier_bad_values(key, value, message):
    data = cert()
    data["certifier"][key] = value
    assert errors_of(data) == [(f"certifier.{key}", message)]


def test_certifier_missing():
    data = cert()
    del data["certifier"]
    assert errors_of(data)[0] == ("certifier", "certifier is required")


@pytest.mark.parametrize("value", ["same_as_certifier", "various"])
def test_exporter_words(value):
    assert validate_certificate(cert(exporter=value)) == []


def test_exporter_may_be_absent_or_unknown_only_for_a_producer_certifier():
    data = cert()
    del data["exporter"]
    assert validate_certificate(data) == []
    assert validate_certificate(cert(exporter="unknown")) == []
    data["certifier"]["role"] = "exporter"
    assert errors_of(data) == [
        ("exporter", "exporter is required unless the certifier is a producer that does not know it")
    ]


def test_exporter_object_checked():
    exporter = {"name": "X", "address": "1 Rd", "country": "CN", "phone": "+1 555 555 5555", "email": "x@x.com"}
    assert errors_of(cert(exporter=exporter)) == [
        (
            "exporter.country",
            "country 'CN' is not a USMCA country code (US, CA, MX); the address must be in USMCA territory (19 CFR 182.12(b))",
        )
    ]


def test_exporter_bad_word():
    assert errors_of(cert(exporter="nobody")) == [
        ("exporter", "exporter 'nobody' is not allowed; use an object or one of: same_as_certifier, various, unknown")
    ]


@pytest.mark.parametrize("value", ["various", "available_upon_request", "same_as_exporter"])
def test_producer_words(value):
    assert validate_certificate(cert(producer=value)) == []


def test_producer_required():
    data = cert()
    del data["producer"]
    assert errors_of(data) == [
        (
            "producer",
            "producer is required (an object or one of: same_as_certifier, same_as_exporter, various, available_upon_request)",
        )
    ]


def test_importer_optional_various_or_object():
    data = cert()
    del data["importer"]
    assert validate_certificate(data) == []
    assert validate_certificate(cert(importer="various")) == []
    assert errors_of(cert(importer={"name": "Y"})) == [
        ("importer.address", "address is required"),
        ("importer.country", "country is required"),
        ("importer.phone", "phone is required"),
        ("importer.email", "email is required"),
    ]


@pytest.mark.parametrize("goods", [[], None, "axle"])
def test_goods_non_empty_list(goods):
    assert errors_of(cert(goods=goods)) == [("goods", f"goods must be a non-empty list, got {goods!r}")]


@pytest.mark.parametrize(
    ("good", "expected"),
    [
        ({"hs": "8708.50", "origin_criterion": "B"}, [("goods[0].description", "description is required")]),
        ({"description": "d", "origin_criterion": "B"}, [("goods[0].hs", "hs is required (at least 6 digits)")]),
        (
            {"description": "d", "hs": "8708", "origin_criterion": "B"},
            [("goods[0].hs", "hs '8708' must be an HS number of at least 6 digits (6, 8 or 10)")],
        ),
        (
            {"description": "d", "hs": "8708.5", "origin_criterion": "B"},
            [("goods[0].hs", "hs '8708.5' must be an HS number of at least 6 digits (6, 8 or 10)")],
        ),
        ({"description": "d", "hs": "8708.50.65", "origin_criterion": "A"}, []),
        (
            {"description": "d", "hs": "870850", "origin_criterion": "E"},
            [("goods[0].origin_criterion", "origin_criterion 'E' must be one of A, B, C, D (Art. 4.2)")],
        ),
        (
            {"description": "d", "hs": "870850"},
            [("goods[0].origin_criterion", "origin_criterion None must be one of A, B, C, D (Art. 4.2)")],
        ),
    ],
)
def test_goods_fields(good, expected):
    assert errors_of(cert(goods=[good])) == expected


def test_invoice_required_for_single_shipment():
    data = cert()
    del data["blanket_period"]
    data["goods"].append({"description": "Hub", "hs": "8708.99", "origin_criterion": "B", "invoice": "INV-77"})
    assert errors_of(data) == [
        ("goods[0].invoice", "invoice is required for a single shipment (no blanket_period given)")
    ]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"from": "2026-01-01", "to": "2026-12-31"}, []),  # exactly 12 months
        (
            {"from": "2026-01-01", "to": "2027-01-01"},
            [
                (
                    "blanket_period.to",
                    "to 2027-01-01 makes the period longer than 12 months (latest allowed 2026-12-31, 19 CFR 182.12(g))",
                )
            ],
        ),
        ({"from": "2026-03-15", "to": "2027-03-14"}, []),
        (
            {"from": "2024-02-29", "to": "2025-03-01"},
            [
                (
                    "blanket_period.to",
                    "to 2025-03-01 makes the period longer than 12 months (latest allowed 2025-02-27, 19 CFR 182.12(g))",
                )
            ],
        ),
        (
            {"from": "2026-05-01", "to": "2026-04-30"},
            [("blanket_period.to", "to 2026-04-30 is before from 2026-05-01")],
        ),
        (
            {"from": "soon", "to": "2026-04-30"},
            [("blanket_period.from", "blanket_period.from 'soon' is not a date (YYYY-MM-DD)")],
        ),
        ({"to": "2026-04-30"}, [("blanket_period.from", "blanket_period.from is required (YYYY-MM-DD)")]),
    ],
)
def test_blanket_period(period, expected):
    assert errors_of(cert(blanket_period=period)) == expected


def test_signed_date_required_and_valid():
    data = cert()
    del data["signed_date"]
    assert errors_of(data) == [("signed_date", "signed_date is required (YYYY-MM-DD)")]
    assert errors_of(cert(signed_date="15/12/2025")) == [
        ("signed_date", "signed_date '15/12/2025' is not a date (YYYY-MM-DD)")
    ]


def test_statement_must_be_exact():
    text = load_rules().raw["certification"]["statement"]
    assert validate_certificate(cert(certification_statement=text)) == []
    assert (
        errors_of(cert(certification_statement=text.replace("true and accurate", "true")))[0][0]
        == "certification_statement"
    )


def test_language():
    assert validate_certificate(cert(language="es")) == []
    assert errors_of(cert(language="de")) == [("language", "language 'de' must be en, fr or es (19 CFR 182.12(e))")]


def test_not_an_object():
    assert validate_certificate([1]) == [FieldError("$", "a certificate must be a JSON object, got list")]


def test_every_problem_is_reported_at_once():
    data = cert(goods=[{"description": "", "hs": "87", "origin_criterion": "Z"}], signed_date=None)
    assert [f for f, _ in errors_of(data)] == [
        "goods[0].description",
        "goods[0].hs",
        "goods[0].origin_criterion",
        "signed_date",
    ]


@pytest.mark.parametrize(
    ("signed", "last"),
    [("2025-12-15", "2029-12-14"), ("2024-02-29", "2028-02-28"), ("2026-01-01", "2029-12-31")],
)
def test_valid_for_four_years_from_completion(signed, last):
    """19 CFR 182.12(h): accepted for four years following the date it was completed."""
    import datetime as dt

    from api.certificates import valid_until

    assert valid_until(cert(signed_date=signed)) == dt.date.fromisoformat(last)


def test_valid_until_needs_a_date():
    from api.certificates import valid_until
    from ledger.errors import ValidationError

    with pytest.raises(ValidationError, match=r"signed_date 'soon' is not a date"):
        valid_until(cert(signed_date="soon"))
