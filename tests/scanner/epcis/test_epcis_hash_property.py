from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from epcis_reference import EX, reference_hash, reference_uri
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerError
from scanner.epcis import cbv
from scanner.epcis.gs1_uri import canonical_gs1_uri
from scanner.epcis.hashing import event_hash, jsonld_event_hash
from scanner.epcis.model import event_from_jsonld

NS = {"ex": EX}
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

serial = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdef0123456789-._", min_size=1, max_size=12)
digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def epc(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["dl-sgtin", "urn-sgtin", "sscc", "urn-sscc", "giai", "lgtin"]))
    gcp = draw(st.text("0123456789", min_size=7, max_size=7))
    item = draw(st.text("0123456789", min_size=6, max_size=6))
    ser = draw(serial)
    if kind == "dl-sgtin":
        return f"https://id.gs1.org/01/{gcp}{item}{draw(digits)}/21/{ser}"
    if kind == "urn-sgtin":
        return f"urn:epc:id:sgtin:{gcp}.{item}.{ser}"
    if kind == "sscc":
        return f"https://id.gs1.org/00/3{gcp}{draw(st.text('0123456789', min_size=10, max_size=10))}"
    if kind == "urn-sscc":
        return f"urn:epc:id:sscc:{gcp}.{draw(st.text('0123456789', min_size=10, max_size=10))}"
    if kind == "giai":
        return f"urn:epc:id:giai:{gcp}.{ser}"
    return f"urn:epc:class:lgtin:{gcp}.{item}.{ser}"


def _not_overflowing(text: str) -> bool:
    try:
        return not math.isinf(float(text))
    except ValueError:
        return True


plain_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12).filter(
    _not_overflowing
)
json_leaf = st.one_of(
    plain_text,
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.sampled_from(["shipping", "active", "urn:epcglobal:cbv:disp:damaged", "ex:thing"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["ex:a", "ex:b", "ex:c"]), inner, max_size=3),
    ),
    max_leaves=6,
)
members = st.dictionaries(
    st.sampled_from(["ex:grade", "ex:torque", "ex:line", "cbvmda:lotNumber"]), json_value, max_size=3
)


def spelled(words: frozenset[str], vocab: cbv.Vocabulary) -> st.SearchStrategy[str]:
    word = st.sampled_from(sorted(words))
    return st.one_of(
        word,
        word.map(lambda w: vocab.uri_prefix + w),
        word.map(lambda w: vocab.urn_prefix + w),
        st.sampled_from(["urn:acme:vocab:heat_treating", "https://acme.example/vocab/deburring"]),
    )


@st.composite
def timestamp(draw: st.DrawFn) -> tuple[str, str]:
    moment = draw(st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)))
    if moment.microsecond >= 999_500:  # the reference fails on rounding into the next second
        moment = moment.replace(microsecond=0)
    minutes = draw(st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15))
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    text = aware.isoformat(timespec=draw(st.sampled_from(["seconds", "milliseconds", "microseconds"])))
    if minutes == 0 and draw(st.booleans()):
        text = text[:-6] + "Z"
    sign = "-" if minutes < 0 else "+"
    return text, f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


quantity = st.fixed_dictionaries(
    {"epcClass": epc()},
    optional={
        "quantity": st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)),
        "uom": st.just("KGM"),
    },
).filter(lambda q: "uom" not in q or "quantity" in q)
location = st.builds(
    lambda g, s: {"id": f"https://id.gs1.org/414/{g}/254/{s}"},
    st.text("0123456789", min_size=13, max_size=13),
    serial,
)


@st.composite
def event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ObjectEvent", "AggregationEvent", "TransformationEvent"]))
    when, offset = draw(timestamp())
    out: dict[str, Any] = {"type": kind, "eventTime": when, "eventTimeZoneOffset": offset}
    if kind == "ObjectEvent":
        out["epcList"] = draw(st.lists(epc(), min_size=1, max_size=4))
        if draw(st.booleans()):
            out["quantityList"] = draw(st.lists(quantity, min_size=1, max_size=2))
        out["action"] = draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"]))
        if out["action"] == "ADD" and draw(st.booleans()):
            out["ilmd"] = draw(members)
    elif kind == "AggregationEvent":
        out["parentID"] = draw(epc())
        out["childEPCs"] = draw(st.lists(epc(), min_size=1, max_size=4))
        out["action"] = draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"]))
        if draw(st.booleans()):
            out["childQuantityList"] = draw(st.lists(quantity, min_size=1, max_size=2))
    else:
        out["inputEPCList"] = draw(st.lists(epc(), min_size=1, max_size=3))
        out["outputEPCList"] = draw(st.lists(epc(), min_size=1, max_size=2))
        if draw(st.booleans()):
            out["inputQuantityList"] = draw(st.lists(quantity, min_size=1, max_size=2))
        if draw(st.booleans()):
            out["outputQuantityList"] = draw(st.lists(quantity, min_size=1, max_size=2))
        if draw(st.booleans()):
            out["transformationID"] = draw(st.uuids().map(lambda u: f"urn:uuid:{u}"))
        if draw(st.booleans()):
            out["ilmd"] = draw(members)
    optional = {
        "bizStep": spelled(cbv.BIZ_STEPS, cbv.BIZ_STEP),
        "disposition": spelled(cbv.DISPOSITIONS, cbv.DISPOSITION),
        "readPoint": location,
        "bizLocation": location,
        "eventID": st.uuids().map(lambda u: f"urn:uuid:{u}"),
        "recordTime": st.just(datetime.now(UTC).isoformat()),
        "bizTransactionList": st.lists(
            st.fixed_dictionaries(
                {
                    "type": spelled(cbv.BIZ_TRANSACTION_TYPES, cbv.BIZ_TRANSACTION_TYPE),
                    "bizTransaction": serial.map(lambda s: f"urn:epcglobal:cbv:bt:4012345000009:{s}"),
                }
            ),
            min_size=1,
            max_size=3,
        ),
        "certificationInfo": st.one_of(
            st.just("https://example.com/cert/1"),
            st.lists(st.sampled_from(["urn:cert:a", "urn:cert:b"]), max_size=2),
        ),
        "persistentDisposition": st.fixed_dictionaries(
            {"set": st.lists(spelled(cbv.DISPOSITIONS, cbv.DISPOSITION), min_size=1, max_size=2)},
            optional={"unset": st.lists(spelled(cbv.DISPOSITIONS, cbv.DISPOSITION), min_size=1, max_size=2)},
        ),
        "errorDeclaration": st.fixed_dictionaries(
            {"declarationTime": st.just("2025-03-15T00:00:00Z")},
            optional={"reason": st.just("did_not_occur")},
        ),
        "destinationList": st.lists(
            st.fixed_dictionaries(
                {
                    "type": spelled(cbv.SOURCE_DEST_TYPES, cbv.SOURCE_DEST_TYPE),
                    "destination": location.map(lambda x: x["id"]),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        "sourceList": st.lists(
            st.fixed_dictionaries(
                {
                    "type": spelled(cbv.SOURCE_DEST_TYPES, cbv.SOURCE_DEST_TYPE),
                    "source": location.map(lambda x: x["id"]),
                }
            ),
            min_size=1,
            max_size=2,
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            out[key] = draw(strategy)
    out.update(draw(st.dictionaries(st.sampled_from(["ex:station", "ex:note", "ex:ok"]), json_value, max_size=2)))
    for key in ("bizTransactionList", "sourceList", "destinationList"):
        # Type first: the documented divergence from the reference, which hashes JSON key order here.
        out[key] = [dict(sorted(x.items(), key=lambda kv: kv[0] != "type")) for x in out.get(key, [])] or None
        if out[key] is None:
            del out[key]
    return out


@SETTINGS
@given(event())
def test_random_events_hash_like_the_reference(data: dict[str, Any]) -> None:
    assert jsonld_event_hash(data, NS) == reference_hash(data)
    event = event_from_jsonld(data, NS)
    written = event.to_jsonld()
    assert event_hash(event) == reference_hash(written)
    if not _legacy_cbv_spelling(data):
        # Equal to the input's own hash, except where the reference lets a legacy URN spelling change the
        # bare-word pool (documented divergence: the model hashes every spelling like the bare word).
        assert event_hash(event) == reference_hash(data)


def _legacy_cbv_spelling(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("urn:epcglobal:cbv:")
    if isinstance(value, list):
        return any(_legacy_cbv_spelling(v) for v in value)
    if isinstance(value, dict):
        return any(_legacy_cbv_spelling(v) for v in value.values())
    return False


@settings(max_examples=300, deadline=None)
@given(st.one_of(epc(), st.text(max_size=40), st.builds(lambda s: "https://id.gs1.org/01/" + s, st.text(max_size=30))))
def test_random_identifiers_normalise_like_the_reference(uri: str) -> None:
    assert canonical_gs1_uri(uri) == reference_uri(uri)


_KEYS = [
    "type",
    "eventTime",
    "eventTimeZoneOffset",
    "epcList",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "quantityList",
    "parentID",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
    "ilmd",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "persistentDisposition",
    "certificationInfo",
    "recordTime",
    "eventID",
    "sensorElementList",
    "errorDeclaration",
    "transformationID",
    "ex:x",
    "zz:y",
    "@context",
]
any_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=8),
        st.sampled_from(
            [
                "ObjectEvent",
                "AggregationEvent",
                "TransformationEvent",
                "ADD",
                "2025-03-14T09:15:27Z",
                "+01:00",
                "urn:x:1",
                "shipping",
            ]
        ),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=250, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), any_json, max_size=10))
def test_any_json_either_parses_or_raises_a_project_error(data: dict[str, Any]) -> None:
    try:
        event = event_from_jsonld(data, NS)
    except LedgerError:
        return
    assert event_from_jsonld(event.to_jsonld(), event.namespaces) == event
    assert event_hash(event).startswith("ni:///sha-256;")


@settings(max_examples=250, deadline=None)
@given(event(), st.sampled_from(_KEYS), any_json)
def test_a_valid_event_with_one_field_garbled_parses_or_raises_a_project_error(
    data: dict[str, Any], key: str, value: Any
) -> None:
    data = {**data, key: value}
    try:
        parsed = event_from_jsonld(data, NS)
    except LedgerError:
        return
    assert event_from_jsonld(parsed.to_jsonld(), parsed.namespaces) == parsed
    assert event_hash(parsed) == jsonld_event_hash(parsed.to_jsonld(), parsed.namespaces)


@settings(max_examples=250, deadline=None)
@given(st.dictionaries(st.sampled_from([*_KEYS, "#text", "comment"]), any_json, max_size=10))
def test_the_general_engine_hashes_any_json_object_without_crashing(data: dict[str, Any]) -> None:
    assert jsonld_event_hash(data, NS).startswith("ni:///sha-256;")
