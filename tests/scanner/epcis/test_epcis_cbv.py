from __future__ import annotations

import json
from importlib import resources

import pytest

from ledger.errors import ValidationError
from scanner.epcis import cbv

STEP = "https://ref.gs1.org/cbv/BizStep-"
DISP = "https://ref.gs1.org/cbv/Disp-"


@pytest.mark.parametrize(
    ("vocab", "value", "expected"),
    [
        (cbv.BIZ_STEP, "assembling", STEP + "assembling"),
        (cbv.BIZ_STEP, " assembling ", STEP + "assembling"),
        (cbv.BIZ_STEP, STEP + "assembling", STEP + "assembling"),
        (cbv.BIZ_STEP, "urn:epcglobal:cbv:bizstep:assembling", STEP + "assembling"),
        (cbv.BIZ_STEP, "cbv:BizStep-assembling", STEP + "assembling"),
        (cbv.BIZ_STEP, "urn:acme:bizstep:heat_treating", "urn:acme:bizstep:heat_treating"),
        (cbv.BIZ_STEP, "https://acme.example/steps/deburring", "https://acme.example/steps/deburring"),
        (cbv.DISPOSITION, "non_conformant", DISP + "non_conformant"),
        (cbv.DISPOSITION, "urn:epcglobal:cbv:disp:in_transit", DISP + "in_transit"),
        (cbv.BIZ_TRANSACTION_TYPE, "desadv", "https://ref.gs1.org/cbv/BTT-desadv"),
        (cbv.BIZ_TRANSACTION_TYPE, "urn:epcglobal:cbv:btt:po", "https://ref.gs1.org/cbv/BTT-po"),
        (cbv.SOURCE_DEST_TYPE, "owning_party", "https://ref.gs1.org/cbv/SDT-owning_party"),
        (cbv.ERROR_REASON, "did_not_occur", "https://ref.gs1.org/cbv/ER-did_not_occur"),
    ],
)
def test_normalize_to_full_uri(vocab: cbv.Vocabulary, value: str, expected: str) -> None:
    assert cbv.normalize(vocab, value) == expected


@pytest.mark.parametrize(
    ("vocab", "uri", "expected"),
    [
        (cbv.BIZ_STEP, STEP + "assembling", "assembling"),
        (cbv.DISPOSITION, DISP + "in_progress", "in_progress"),
        (cbv.DISPOSITION, STEP + "assembling", STEP + "assembling"),
        (cbv.BIZ_STEP, "urn:acme:bizstep:heat_treating", "urn:acme:bizstep:heat_treating"),
    ],
)
def test_compact_to_bare_word(vocab: cbv.Vocabulary, uri: str, expected: str) -> None:
    assert cbv.compact(vocab, uri) == expected


@pytest.mark.parametrize(
    ("vocab", "value", "message"),
    [
        (
            cbv.BIZ_STEP,
            "assembly",
            "bizStep 'assembly' is neither a CBV 2.0 business step nor an absolute URI",
        ),
        (cbv.BIZ_STEP, STEP + "welding", f"bizStep '{STEP}welding' is not a CBV 2.0 business step"),
        (
            cbv.BIZ_STEP,
            "urn:epcglobal:cbv:bizstep:welding",
            "bizStep 'urn:epcglobal:cbv:bizstep:welding' is not a CBV 2.0 business step",
        ),
        (
            cbv.BIZ_STEP,
            "https://ref.gs1.org/cbv/Disp-active",
            "bizStep 'https://ref.gs1.org/cbv/Disp-active' is not a CBV 2.0 business step",
        ),
        (
            cbv.DISPOSITION,
            "assembling",
            "disposition 'assembling' is neither a CBV 2.0 disposition nor an absolute URI",
        ),
        (cbv.DISPOSITION, 7, "disposition must be a string, got 7"),
        (
            cbv.SOURCE_DEST_TYPE,
            "owner",
            "sourceList.type 'owner' is neither a CBV 2.0 source/destination type nor an absolute URI",
        ),
    ],
)
def test_invalid_values_are_refused(vocab: cbv.Vocabulary, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        cbv.normalize(vocab, value)
    assert info.value.message == message
    assert info.value.field == vocab.field


def test_every_word_round_trips() -> None:
    for vocab in (
        cbv.BIZ_STEP,
        cbv.DISPOSITION,
        cbv.BIZ_TRANSACTION_TYPE,
        cbv.SOURCE_DEST_TYPE,
        cbv.ERROR_REASON,
    ):
        for word in vocab.words:
            assert cbv.compact(vocab, cbv.normalize(vocab, word)) == word
            assert cbv.normalize(vocab, vocab.urn_prefix + word) == vocab.uri_prefix + word


def test_vocabularies_match_the_epcis_context_shipped_with_the_reference() -> None:
    package = resources.files("epcis_event_hash_generator")
    name = "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
    context = json.loads(package.joinpath(name).read_text(encoding="utf-8"))["@context"]
    assert set(context["bizStep"]["@context"]) == cbv.BIZ_STEPS
    assert set(context["disposition"]["@context"]) == cbv.DISPOSITIONS
    assert set(context["bizTransactionList"]["@context"]["type"]["@context"]) == cbv.BIZ_TRANSACTION_TYPES
    assert set(context["sourceList"]["@context"]["type"]["@context"]) == cbv.SOURCE_DEST_TYPES
