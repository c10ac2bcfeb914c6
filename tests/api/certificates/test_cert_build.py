"""Building a certificate from an engine answer; canonical JSON and the content hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from api.certificates import build_certificate, canonical_json, content_hash, validate_certificate
from api.origin import qualify
from ledger.errors import ValidationError
from tests.api.certificates.test_cert_validate import cert

CERTIFIER = cert()["certifier"]
IMPORTER = cert()["importer"]


def answer(non_originating="200"):
    """8708.50 axle (Table A.1, 75 % NC in 2025): NC 1000, VNM 200 -> 80, qualifies (VNM 300 -> 70 fails)."""
    return qualify(
        {
            "good": {"description": "Rear drive axle RA-220", "hs": "870850", "end_use": "oe_pv_lt"},
            "as_of": "2025-11-01",
            "net_cost": "1000",
            "materials": [
                {"id": "gears", "value": non_originating, "origin": "non_originating"},
                {"id": "housing", "value": "400", "origin": "originating"},
            ],
        }
    )


def test_build_from_answer_is_valid_and_carries_the_qualification():
    doc = build_certificate(
        answer(),
        certifier=CERTIFIER,
        producer="same_as_certifier",
        exporter="same_as_certifier",
        importer=IMPORTER,
        blanket_period={"from": "2026-01-01", "to": "2026-12-31"},
        signed_date=dt.date(2025, 12, 15),
    )
    assert validate_certificate(doc) == []
    good = doc["goods"][0]
    assert (good["hs"], good["origin_criterion"], good["description"]) == ("8708.50", "B", "Rear drive axle RA-220")
    assert good["qualification"]["rvc"] == "80"
    assert good["qualification"]["input_sha256"] == answer().input_sha256
    assert doc["signed_date"] == "2025-12-15"


def test_criterion_c_when_everything_is_originating():
    doc = build_certificate(
        answer(non_originating="0"),
        certifier=CERTIFIER,
        producer="same_as_certifier",
        invoice="INV-1",
        signed_date="2025-12-15",
    )
    assert doc["goods"][0]["origin_criterion"] == "B"  # a non_originating line exists (value 0): still B
    a = answer().model_dump(mode="json")
    a["lines"] = [ln | {"origin": "originating"} for ln in a["lines"]]
    a["vnm"] = "0"
    assert (
        build_certificate(a, certifier=CERTIFIER, producer="various", invoice="I", signed_date="2025-01-01")["goods"][
            0
        ]["origin_criterion"]
        == "C"
    )


def test_refuses_a_failing_answer():
    with pytest.raises(ValidationError, match=r"does not qualify; no certificate can be built"):
        build_certificate(answer("300"), certifier=CERTIFIER, producer="same_as_certifier", invoice="I")


def test_refuses_incomplete_parties():
    with pytest.raises(ValidationError) as err:
        build_certificate(answer(), certifier={"role": "producer"}, producer="same_as_certifier", invoice="I")
    assert err.value.message.startswith("certificate incomplete: certifier.name: name is required;")


def test_content_hash_ignores_signature_and_key_order():
    doc = cert()
    h = content_hash(doc)
    assert h == hashlib.sha256(canonical_json(doc)).hexdigest()
    signed = dict(reversed(list({**doc, "signature": {"algorithm": "ECDSA-P256-SHA256", "value": "MEUC"}}.items())))
    assert content_hash(signed) == h
    assert canonical_json(signed) != canonical_json(doc)
    changed = json.loads(json.dumps(doc))
    changed["goods"][0]["hs"] = "8708.99"
    assert content_hash(changed) != h


def test_canonical_json_form():
    assert canonical_json({"b": "ü", "a": [1, "x"]}) == '{"a":[1,"x"],"b":"ü"}'.encode()
    with pytest.raises(ValidationError, match=r"\$.rvc is a float"):
        canonical_json({"rvc": 80.5})
