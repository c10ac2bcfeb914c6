"""The canonical pre-hash string of an EPCIS event (CBV 2.0 §8.9), for any JSON-LD event.

Two parties that see the same business event must derive the same ID without talking to each other, so the
hash is taken over a canonical "pre-hash string" rather than over the JSON. The rules are those of
epcis-event-hash-generator 1.9.3 (MIT licence, (c) 2019-2023 Ralph Troeger, Sebastian Schmittner), the de
facto reference, reproduced here step by step so that our IDs equal its output for JSON-LD input:

1. Bare CBV words are replaced by the web URIs the EPCIS JSON-LD context expands them to. Like the reference,
   *any* string value of the event that is the last ``-``/``/`` segment of exactly one expanded CBV URI is
   replaced (an extension value ``"shipping"`` in an event whose bizStep is ``shipping`` hashes as the URI).
2. The event becomes a tree of ``(name, text, children)`` nodes shaped like its EPCIS XML twin: list fields
   lose their ``List`` suffix per element, prefixed keys become ``{namespace}local`` (only for prefixes
   declared inline in ``@context``; ``cbvmda:`` stays as written), siblings are sorted.
3. Standard fields are emitted in the fixed CBV order as ``name=value`` (values of a repeated field sorted),
   then everything else (bizTransactionList, sourceList, destinationList, ilmd, extensions) in sorted order.
   ``eventID``, ``recordTime``, ``type`` and ``errorDeclaration`` are left out.
4. Values are canonicalised: timestamps to UTC milliseconds, legacy CBV URNs to web URIs, numbers without
   trailing zeros, GS1 keys to canonical Digital Link URIs.

Divergences (documented in docs/epcis.md): a bizTransaction/source/destination is hashed type first (the
reference follows the JSON key order and fails outright when ``type`` is absent), a value that rounds to the
next second or overflows a float is hashed instead of dropping the event, and an event's hash never depends on
other events of the same document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from scanner.epcis import cbv
from scanner.epcis.bare_words import expanded_cbv_values, replace_bare, suffix_index
from scanner.epcis.gs1_uri import canonical_gs1_uri
from scanner.epcis.timestamps import hash_timestamp

Node = tuple[Any, str, list[Any]]


_QTY = [("epcClass", None), ("quantity", None), ("uom", None)]
_SENSOR_METADATA = [
    (n, None)
    for n in (
        "time",
        "startTime",
        "endTime",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "bizRules",
    )
]
_SENSOR_REPORT = [
    (n, None)
    for n in [
        "type",
        "exception",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "time",
        "microorganism",
        "chemicalSubstance",
        "value",
        "component",
        "stringValue",
        "booleanValue",
        "hexBinaryValue",
        "uriValue",
        "minValue",
        "maxValue",
        "meanValue",
        "sDev",
        "percRank",
        "percValue",
        "uom",
        "coordinateReferenceSystem",
    ]
]
#: Canonical field order of CBV 2.0 §8.9.3 (the reference's PROP_ORDER; the pair entries never match by
#: design, so those lists fall through to the generic, sorted part exactly as in the reference).
PROP_ORDER: list[tuple[Any, Any]] = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", [("epc", None)]),
    ("inputEPCList", [("epc", None)]),
    ("childEPCs", [("epc", None)]),
    ("quantityList", [("quantityElement", _QTY)]),
    ("childQuantityList", [("quantityElement", _QTY)]),
    ("inputQuantityList", [("quantityElement", _QTY)]),
    ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", [("quantityElement", _QTY)]),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    ("bizTransactionList", [(("type", None), ("bizTransaction", None))]),
    ("sourceList", [(("type", None), ("source", None))]),
    ("destinationList", [(("type", None), ("destination", None))]),
    (
        "sensorElementList",
        [("sensorElement", [("sensorMetadata", _SENSOR_METADATA), ("sensorReport", _SENSOR_REPORT)])],
    ),
]

_EXCLUDED = ("recordTime", "eventID", "type", "errorDeclaration")
_PAIR_LISTS = ("sourceList", "destinationList", "bizTransactionList")
_PAIR_KEYS = ("bizTransaction", "source", "destination")
_UNSORTED_KEYS = _PAIR_KEYS

# ---------------------------------------------------------------- step 2: XML-shaped tree


def _sort(nodes: list[Any]) -> None:
    """Sort sibling nodes as the reference does, falling back to their text form where it would fail."""
    try:
        nodes.sort()
    except TypeError:
        nodes.sort(key=repr)


def to_tree(obj: Any, ns: Mapping[str, str]) -> Node:
    """JSON as ``(name, text, children)`` nodes, siblings sorted, prefixed keys as ``{namespace}local``."""
    if isinstance(obj, list):
        children = [to_tree(item, ns) for item in obj]
        if not any(k in obj for k in _UNSORTED_KEYS):
            _sort(children)
        return ("", "", children)
    if isinstance(obj, dict):
        # Where the reference would fail on a non-string type or text, use its text form instead.
        name, text = obj.get("type", ""), obj.get("#text", "")
        name = name if isinstance(name, str) else str(name)
        text = text if isinstance(text, str) else str(text)
        kids: list[Any] = []
        for key, val in obj.items():
            if key in ("#text", "rdfs:comment", "comment") or key.startswith("@xmlns"):
                continue
            child = to_tree(val, ns)
            prefix, sep, local = key.partition(":")
            label = "{" + ns[prefix] + "}" + local if sep and prefix in ns else key
            if isinstance(val, list):
                kids.extend((label, item[1], item[2]) for item in child[2])
            else:
                kids.append((label, child[1], child[2]))
        if not any(k in obj for k in _UNSORTED_KEYS):
            _sort(kids)
        return (name, text, kids)
    if isinstance(obj, str):
        prefix, sep, local = obj.partition(":")
        if sep and prefix in ns:
            return ("", ns[prefix].replace("{", "").replace("}", "") + local, [])
        return ("", obj, [])
    return ("", str(obj), [])


def reshape(node: Node) -> Node:
    """Reshape JSON lists like their XML twins (``epcList: [a, b]`` -> ``epcList/epc`` ...)."""
    name, text, children = node
    kept: list[Any] = []
    lists: dict[str, list[Any]] = {}
    for e in children:
        if not isinstance(e[0], tuple) and e[0].endswith("List"):
            lists.setdefault(e[0], []).append((e[0][:-4], e[1], e[2]))
        else:
            kept.append(e)
    for list_name, elements in lists.items():
        if list_name in _PAIR_LISTS:
            kept.append((list_name, "", [p for p in (_pair(e[2]) for e in elements) if p]))
        else:
            kept.append((list_name, "", elements))
    child_epcs = [("epc", e[1], []) for e in kept if e[0] == "childEPCs"]
    if child_epcs:
        kept = [e for e in kept if e[0] != "childEPCs"]
        kept.append(("childEPCs", "", child_epcs))
    fixed = [e if e[0] in _PAIR_LISTS else reshape(e) for e in kept]
    if name in ("inputEPC", "outputEPC"):
        name = "epc"
    elif name in ("inputQuantity", "outputQuantity", "childQuantity") or (name == "quantity" and fixed):
        name = "quantityElement"
    return (name, text, fixed)


def _pair(fields: list[Any]) -> tuple[Any, ...]:
    """First two fields of a bizTransaction/source/destination, type first (see module docstring)."""
    ordered = sorted(fields[:2], key=lambda f: f[0] != "type")
    return tuple(ordered)


# ---------------------------------------------------------------- step 3/4: pre-hash string


@lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    """Canonical form of one value: CBV web URI, trimmed number, canonical GS1 Digital Link URI."""
    for urn, uri in cbv.LEGACY_URN_PREFIXES:
        if urn in text:
            text = text.replace(urn, uri)
    try:
        number = float(text)
        text = str(int(number)) if int(number) == number else str(number)
    except (ValueError, OverflowError):
        pass
    return canonical_gs1_uri(text) or text


def _gather_user_extensions(children: list[Any]) -> list[Any]:
    if len(children) <= 1:
        return []
    for c in children:
        if "eventTime" in c[0] or "action" in c[0]:
            return []
    found = [x for x in children if isinstance(x[0], str) and "{" in x[0] and "/}" in x[0]]
    for x in found:
        children.remove(x)
    return found


def _in_order(children: list[Any], order: list[tuple[Any, Any]]) -> str:
    out = ""
    extensions = _gather_user_extensions(children)
    for name, sub_order in order:
        values = []
        for child in [x for x in children if x[0] == name]:
            text = _field(child, sub_order)
            if text:
                values.append(text)
            if not child[2]:
                children.remove(child)
        values.sort()
        out += "".join(values)
    if extensions:
        out += generic_part(extensions)
    return out


def _field(child: Node, sub_order: Any) -> str:
    grand = _in_order(child[2], sub_order) if sub_order else ""
    text = ""
    if child[1]:
        text = child[1].strip()
        lower = child[0].lower()
        is_time = "time" in lower and "offset" not in lower
        text = (hash_timestamp(text) or text) if is_time else canonical_value(text)
        if text:
            text = "=" + text
    if text or grand:
        return child[0] + text + grand
    return ""


def generic_part(children: Iterable[Any]) -> str:
    """``name=value`` of nodes outside the canonical order, recursively, sorted (except transaction pairs)."""
    children = list(children)
    values = []
    for child in children:
        if isinstance(child[0], tuple):
            values.append(generic_part(child))
            continue
        text = child[1].strip()
        if text:
            text = "=" + canonical_value(text)
        values.append(child[0] + text + generic_part(child[2]))
    if len(children) > 1 and not any(c[0] in _PAIR_KEYS for c in children):
        values.sort()
    return "".join(values)


def prehash_jsonld(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event.

    ``namespaces`` maps the prefixes declared inline in the document's ``@context`` (``{"ex":
    "https://example.com/epcis/"}``) to their IRIs; prefixes of the EPCIS context itself (``cbvmda:``) are not
    expanded, as in the reference.
    """
    pool = expanded_cbv_values(event)
    data = replace_bare(event, suffix_index(pool)) if pool else event
    ns = dict(namespaces or {})
    root = reshape(to_tree(data, ns))
    children = root[2]
    head = "eventType=" + str(root[0]) + _in_order(children, PROP_ORDER)
    rest = [c for c in children if c[0] not in _EXCLUDED]
    return head + (generic_part(rest) if rest else "")
