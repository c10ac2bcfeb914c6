"""GS1 Core Business Vocabulary (CBV) 2.0 values used in EPCIS events, in both of their spellings.

EPCIS 2.0 JSON-LD writes standard values as bare words (``"assembling"``) that the EPCIS context expands to
web URIs (``https://ref.gs1.org/cbv/BizStep-assembling``); EPCIS 1.x and XML documents use the full URI or
the legacy URN (``urn:epcglobal:cbv:bizstep:assembling``). Stations, the API and the ledger must treat all
three as one value, so every value is normalised to the full URI on the way in (:func:`normalize`) and
written back as the bare word on the way out (:func:`compact`), which is what the GS1 JSON schema and the
event hash expect. Values outside the CBV must be absolute URIs (a company's own vocabulary); an unknown bare
word is a typo and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ledger.errors import ValidationError

CBV_BASE = "https://ref.gs1.org/cbv/"

BIZ_STEPS: frozenset[str] = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sampling",
        "sensor_reporting",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)
DISPOSITIONS: frozenset[str] = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_class",
        "mismatch_instance",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)
BIZ_TRANSACTION_TYPES: frozenset[str] = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)
SOURCE_DEST_TYPES: frozenset[str] = frozenset({"owning_party", "possessing_party", "location"})
ERROR_REASONS: frozenset[str] = frozenset({"did_not_occur", "incorrect_data"})


@dataclass(frozen=True)
class Vocabulary:
    """One CBV vocabulary: its field name (for messages), URI prefix, legacy URN prefix and bare words."""

    field: str
    label: str
    uri_prefix: str
    urn_prefix: str
    words: frozenset[str]


BIZ_STEP = Vocabulary("bizStep", "business step", CBV_BASE + "BizStep-", "urn:epcglobal:cbv:bizstep:", BIZ_STEPS)
DISPOSITION = Vocabulary("disposition", "disposition", CBV_BASE + "Disp-", "urn:epcglobal:cbv:disp:", DISPOSITIONS)
BIZ_TRANSACTION_TYPE = Vocabulary(
    "bizTransactionList.type",
    "business transaction type",
    CBV_BASE + "BTT-",
    "urn:epcglobal:cbv:btt:",
    BIZ_TRANSACTION_TYPES,
)
SOURCE_DEST_TYPE = Vocabulary(
    "sourceList.type",
    "source/destination type",
    CBV_BASE + "SDT-",
    "urn:epcglobal:cbv:sdt:",
    SOURCE_DEST_TYPES,
)
ERROR_REASON = Vocabulary(
    "errorDeclaration.reason", "error reason", CBV_BASE + "ER-", "urn:epcglobal:cbv:er:", ERROR_REASONS
)

#: Legacy URN prefixes and their web-URI replacements (CBV 2.0 §6.1), applied by the event hash to any value.
LEGACY_URN_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (v.urn_prefix, v.uri_prefix) for v in (BIZ_STEP, DISPOSITION, BIZ_TRANSACTION_TYPE, SOURCE_DEST_TYPE, ERROR_REASON)
)

# RFC 3986 scheme followed by something: what the GS1 schema's "format: uri" accepts for non-CBV values.
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def is_absolute_uri(value: str) -> bool:
    """True for an absolute URI (scheme, colon, no whitespace), e.g. ``urn:uuid:...`` or ``https://...``."""
    return _ABSOLUTE_URI.match(value) is not None


@lru_cache(maxsize=4096)
def _normalize(vocab: Vocabulary, value: str, field: str) -> str:
    if value in vocab.words:
        return vocab.uri_prefix + value
    for prefix in (vocab.uri_prefix, vocab.urn_prefix, "cbv:" + vocab.uri_prefix[len(CBV_BASE) :]):
        if value.startswith(prefix):
            word = value[len(prefix) :]
            if word in vocab.words:
                return vocab.uri_prefix + word
            raise ValidationError(
                f"{field} {value!r} is not a CBV 2.0 {vocab.label}",
                value=value,
                field=field,
            )
    if value.startswith(CBV_BASE):
        raise ValidationError(f"{field} {value!r} is not a CBV 2.0 {vocab.label}", value=value, field=field)
    if is_absolute_uri(value):
        return value
    raise ValidationError(
        f"{field} {value!r} is neither a CBV 2.0 {vocab.label} nor an absolute URI",
        value=value,
        field=field,
    )


def normalize(vocab: Vocabulary, value: object, *, field: str | None = None) -> str:
    """Full URI of a CBV value given as bare word, web URI, legacy URN or ``cbv:`` compact IRI.

    Non-CBV absolute URIs (a company's own vocabulary) pass unchanged. Raises ValidationError naming the field
    and value for an unknown bare word, an unknown word under a CBV prefix, or a value that is no URI at all.
    """
    name = field or vocab.field
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, got {value!r}", value=value, field=name)
    return _normalize(vocab, value.strip(), name)


def compact(vocab: Vocabulary, uri: str) -> str:
    """The bare word for a CBV URI of this vocabulary, or ``uri`` unchanged when it is not one."""
    if uri.startswith(vocab.uri_prefix):
        word = uri[len(vocab.uri_prefix) :]
        if word in vocab.words:
            return word
    return uri


def biz_step(value: object) -> str:
    """Full URI of a business step (see :func:`normalize`)."""
    return normalize(BIZ_STEP, value)


def disposition(value: object) -> str:
    """Full URI of a disposition (see :func:`normalize`)."""
    return normalize(DISPOSITION, value)
