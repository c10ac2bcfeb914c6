"""The GS1 EPCIS event hash ID (CBV 2.0 §8.9): ``ni:///sha-256;<hex>?ver=CBV2.0``.

:func:`event_hash` is what stations and the API call: they hash thousands of events a second (batches of 5,000
through the API), so events our model produced take a direct path that writes the pre-hash string field by
field. It gives the same string as the general engine in :mod:`scanner.epcis.prehash` (which mirrors the
reference tool step by step and handles any JSON-LD); the general engine still serves sensor data, error
declarations and raw JSON (:func:`jsonld_event_hash`). The tests hold both to the reference implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.errors import ValidationError
from scanner.epcis import cbv
from scanner.epcis.bare_words import expand_vocab, expanded_cbv_values, replace_bare, suffix_index
from scanner.epcis.prehash import canonical_value, generic_part, prehash_jsonld, reshape, to_tree
from scanner.epcis.timestamps import hash_timestamp

__all__ = ["HASH_ALGORITHMS", "event_hash", "hash_prehash", "jsonld_event_hash", "prehash_jsonld"]

HASH_ALGORITHMS = {"sha256": "sha-256", "sha3-256": "sha3-256", "sha384": "sha-384", "sha512": "sha-512"}
_HASHLIB = {"sha256": "sha256", "sha3-256": "sha3_256", "sha384": "sha384", "sha512": "sha512"}

# Fields the direct path writes itself, in the canonical order; the rest goes through the general engine.
_SIMPLE = ("parentID", "action", "transformationID", "bizStep", "disposition")
_EPC_LISTS = ("epcList", "inputEPCList", "childEPCs")
_QTY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList")
_HANDLED = frozenset(
    {
        "type",
        "eventTime",
        "eventTimeZoneOffset",
        "certificationInfo",
        "persistentDisposition",
        "readPoint",
        "bizLocation",
        "outputEPCList",
        "outputQuantityList",
        *_SIMPLE,
        *_EPC_LISTS,
        *_QTY_LISTS,
    }
)
_IGNORED = frozenset({"eventID", "recordTime"})
_FALLBACK = frozenset({"sensorElementList", "errorDeclaration"})


def hash_prehash(prehash: str, algorithm: str = "sha256") -> str:
    """Wrap the digest of a pre-hash string as a CBV 2.0 hash ID (``ni:///sha-256;<hex>?ver=CBV2.0``)."""
    if algorithm not in HASH_ALGORITHMS:
        raise ValidationError(
            f"hash algorithm {algorithm!r} is not one of {', '.join(HASH_ALGORITHMS)}",
            value=algorithm,
            field="algorithm",
        )
    digest = hashlib.new(_HASHLIB[algorithm], prehash.encode("utf-8")).hexdigest()
    return f"ni:///{HASH_ALGORITHMS[algorithm]};{digest}?ver=CBV2.0"


def jsonld_event_hash(
    event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None, algorithm: str = "sha256"
) -> str:
    """Event hash ID of one JSON-LD event (see :func:`prehash_jsonld` for ``namespaces``)."""
    return hash_prehash(prehash_jsonld(event, namespaces), algorithm)


def event_hash(event: Any, algorithm: str = "sha256") -> str:
    """Event hash ID of a model event (ObjectEvent, AggregationEvent, TransformationEvent)."""
    data = event.to_jsonld()
    prehash = model_prehash(data, event.namespaces, event.event_time)
    if prehash is None:
        prehash = prehash_jsonld(data, event.namespaces)
    return hash_prehash(prehash, algorithm)


class _Writer:
    """Writes ``name=value`` pieces the way the general engine does, with bare-word and prefix rewriting."""

    def __init__(self, index: Mapping[str, str | None], namespaces: Mapping[str, str]) -> None:
        self.index = index
        self.ns = {k: v.replace("{", "").replace("}", "") for k, v in namespaces.items()}

    def text(self, value: Any) -> str:
        if value.__class__ is not str:
            return str(value)
        value = self.index.get(value) or value
        if self.ns:
            prefix, sep, local = value.partition(":")
            if sep and prefix in self.ns:
                return self.ns[prefix] + local
        return value

    def field(self, name: str, value: Any) -> str:
        text = self.text(value).strip()
        if not text:
            return ""
        return name + "=" + canonical_value(text)

    def many(self, name: str, values: list[Any]) -> str:
        return "".join(sorted(filter(None, (self.field(name, v) for v in values))))

    def quantities(self, elements: list[Mapping[str, Any]]) -> str:
        out = []
        for q in elements:
            body = "".join(self.field(k, q[k]) for k in ("epcClass", "quantity", "uom") if k in q)
            if body:
                out.append("quantityElement" + body)
        return "".join(sorted(out))


_FLAT_URI_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")


def _pool(event: Mapping[str, Any]) -> frozenset[str]:
    """The bare-word replacement pool (see :mod:`scanner.epcis.bare_words`), cheaply for model output.

    Flat strings and URI lists are checked directly; only nested structures (ILMD, extensions, business
    transactions...) take the general walk.
    """
    nested: dict[str, Any] = {}
    extra: list[str] = []
    for key, value in event.items():
        if key == "bizStep":
            extra.append(expand_vocab(value, cbv.BIZ_STEPS, cbv.BIZ_STEP.uri_prefix))
        elif key == "disposition":
            extra.append(expand_vocab(value, cbv.DISPOSITIONS, cbv.DISPOSITION.uri_prefix))
        elif isinstance(value, str):
            if _cbv_like(value):
                extra.append(value)
        elif key in _FLAT_URI_LISTS:
            extra.extend(v for v in value if _cbv_like(v))
        elif key in ("readPoint", "bizLocation"):
            if _cbv_like(value["id"]):
                extra.append(value["id"])
        else:
            nested[key] = value
    pool = expanded_cbv_values(nested) if nested else frozenset()
    extra = [v for v in extra if _cbv_like(v)]
    return pool.union(extra) if extra else pool


_CBV_PREFIXES = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")


def _cbv_like(value: str) -> bool:
    return value.startswith(_CBV_PREFIXES)


def _utc_millis(moment: datetime) -> str:
    """What :func:`hash_timestamp` makes of ``moment`` written out, without writing and re-reading it."""
    utc = moment.astimezone(UTC)
    if utc.microsecond % 1000:
        utc = utc.replace(microsecond=0) + timedelta(microseconds=round(utc.microsecond, -3))
    return utc.isoformat(timespec="milliseconds")[:-6] + "Z"


def model_prehash(
    event: Mapping[str, Any], namespaces: Mapping[str, str], event_time: datetime | None = None
) -> str | None:
    """Pre-hash string of an event in our model's JSON-LD shape, or None to use the general engine.

    ``event_time`` (the model's datetime) saves re-parsing the written ``eventTime``.
    """
    if not _FALLBACK.isdisjoint(event):
        return None
    pool = _pool(event)
    index = suffix_index(pool) if pool else {}
    w = _Writer(index, namespaces)
    parts = ["eventType=", w.text(event["type"])]
    if event_time is not None:
        parts.append("eventTime=" + _utc_millis(event_time))
    else:
        time = w.text(event["eventTime"]).strip()
        if time:
            parts.append("eventTime=" + (hash_timestamp(time) or time))
    parts.append(w.field("eventTimeZoneOffset", event["eventTimeZoneOffset"]))
    if "certificationInfo" in event:
        ci = event["certificationInfo"]
        parts.append(w.many("certificationInfo", ci if isinstance(ci, list) else [ci]))
    if "parentID" in event:
        parts.append(w.field("parentID", event["parentID"]))
    for name in (*_EPC_LISTS, *_QTY_LISTS, "outputEPCList", "outputQuantityList"):
        if name in event:
            body = w.quantities(event[name]) if "uantity" in name else w.many("epc", event[name])
            parts.append(name + body if body else "")
    for name in _SIMPLE[1:]:
        if name in event:
            parts.append(w.field(name, event[name]))
    if "persistentDisposition" in event:
        pd = event["persistentDisposition"]
        body = w.many("set", pd.get("set", [])) + w.many("unset", pd.get("unset", []))
        parts.append("persistentDisposition" + body if body else "")
    for name in ("readPoint", "bizLocation"):
        if name in event:
            body = w.field("id", event[name]["id"])
            parts.append(name + body if body else "")
    parts.append(_rest(event, w, index, namespaces))
    return "".join(parts)


def _rest(event: Mapping[str, Any], w: _Writer, index: Mapping[str, str | None], namespaces: Mapping[str, str]) -> str:
    """The sorted generic part: scalar extension fields directly, everything nested via the general engine."""
    pieces: list[str] = []
    nested: dict[str, Any] = {}
    for key, value in event.items():
        if key in _HANDLED or key in _IGNORED:
            continue
        if isinstance(value, list | dict) or key.endswith("List"):
            nested[key] = value
            continue
        prefix, sep, local = key.partition(":")
        name = "{" + namespaces[prefix] + "}" + local if sep and prefix in namespaces else key
        text = w.text(value).strip()
        pieces.append(name + "=" + canonical_value(text) if text else name)
    if nested:
        if index:
            nested = replace_bare(nested, index)
        pieces.extend(generic_part([child]) for child in reshape(to_tree(nested, dict(namespaces)))[2])
    if len(pieces) > 1:
        pieces.sort()
    return "".join(pieces)
