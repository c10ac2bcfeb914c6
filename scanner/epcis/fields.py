"""Value objects nested in EPCIS events, and the field readers that turn JSON-LD into them.

Every reader raises ParseError for a value of the wrong JSON type and ValidationError for a well-typed value
that breaks an EPCIS rule, always naming the field path (``quantityList[2].quantity``) and the value, so that
a capture client can fix its document from the message alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.errors import ParseError, ValidationError
from scanner.epcis import cbv

#: Prefixes the EPCIS 2.0 context itself defines; extension keys may use them without declaring them.
CONTEXT_PREFIXES = frozenset({"epcis", "cbv", "cbvmda", "gs1", "rdfs", "owl", "xsd", "dcterms"})


def want_str(value: Any, field: str) -> str:
    """The value as a non-empty string, or ParseError / ValidationError naming the field."""
    if not isinstance(value, str):
        raise ParseError(f"{field} must be a string, got {value!r}", value=value, field=field)
    if not value.strip():
        raise ValidationError(f"{field} must not be empty", value=value, field=field)
    return value


def want_uri(value: Any, field: str) -> str:
    """An absolute URI (EPC, Digital Link, ``urn:uuid:``...), as the GS1 schema's ``format: uri`` demands."""
    text = want_str(value, field)
    if not cbv.is_absolute_uri(text):
        raise ValidationError(
            f"{field} {text!r} is not an absolute URI (e.g. https://id.gs1.org/01/04012345123456/21/SN1)",
            value=text,
            field=field,
        )
    return text


def want_list(value: Any, field: str) -> list[Any]:
    """A JSON array, or ParseError naming the field."""
    if not isinstance(value, list):
        raise ParseError(f"{field} must be an array, got {value!r}", value=value, field=field)
    return value


def want_object(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object, or ParseError naming the field."""
    if not isinstance(value, Mapping):
        raise ParseError(f"{field} must be an object, got {value!r}", value=value, field=field)
    return value


def as_tuple(value: Any, field: str) -> tuple[Any, ...]:
    """A list-like constructor argument as a tuple; a lone string is refused (it would split into characters)."""
    if value.__class__ is tuple:
        return value
    if value.__class__ is list:
        return tuple(value)
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{field} must be a list, got {value!r}", value=repr(value), field=field)
    return tuple(value)


def typed_tuple(value: Any, field: str, kind: type) -> tuple[Any, ...]:
    """:func:`as_tuple`, refusing elements that are not ``kind`` (a dict where a QuantityElement belongs...)."""
    items = as_tuple(value, field)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(
                f"{field}[{i}] must be a {kind.__name__}, got {item!r}", value=repr(item), field=field
            )
    return items


def uri_list(value: Any, field: str) -> tuple[str, ...]:
    """A list of absolute URIs (epcList, childEPCs, ...)."""
    return tuple(want_uri(item, f"{field}[{i}]") for i, item in enumerate(want_list(value, field)))


def only_keys(obj: Mapping[str, Any], allowed: tuple[str, ...], field: str) -> None:
    """Refuse members outside ``allowed`` (the GS1 schema sets additionalProperties: false there)."""
    for key in obj:
        if key not in allowed:
            raise ValidationError(
                f"{field} has unknown member {key!r} (allowed: {', '.join(allowed)})", value=key, field=field
            )


@dataclass(frozen=True)
class QuantityElement:
    """A class-level quantity: ``quantity`` of ``uom`` (UN/ECE rec 20, e.g. KGM) of the EPC class."""

    epc_class: str
    quantity: int | float | None = None
    uom: str | None = None

    def __post_init__(self) -> None:
        want_uri(self.epc_class, "epcClass")
        if self.quantity is not None and (
            isinstance(self.quantity, bool)
            or not isinstance(self.quantity, int | float)
            or not math.isfinite(self.quantity)
        ):
            raise ValidationError(f"quantity {self.quantity!r} is not a finite number", value=self.quantity)
        if self.uom is not None and (self.quantity is None or not self.uom.isalnum() or len(self.uom) > 3):
            raise ValidationError(
                f"uom {self.uom!r} needs a quantity and must be a 1-3 character UN/ECE code", value=self.uom
            )

    def to_jsonld(self) -> dict[str, Any]:
        """The JSON-LD quantity element."""
        out: dict[str, Any] = {"epcClass": self.epc_class}
        if self.quantity is not None:
            out["quantity"] = self.quantity
        if self.uom is not None:
            out["uom"] = self.uom
        return out

    @classmethod
    def from_jsonld(cls, data: Any, field: str = "quantityList[0]") -> QuantityElement:
        """Read one quantity element, naming ``field`` in errors."""
        obj = want_object(data, field)
        only_keys(obj, ("epcClass", "quantity", "uom"), field)
        if "epcClass" not in obj:
            raise ValidationError(f"{field}.epcClass is required", field=f"{field}.epcClass")
        quantity = obj.get("quantity")
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int | float)):
            raise ParseError(
                f"{field}.quantity must be a number, got {quantity!r}",
                value=quantity,
                field=f"{field}.quantity",
            )
        uom = obj.get("uom")
        if uom is not None:
            uom = want_str(uom, f"{field}.uom")
        try:
            return cls(want_uri(obj["epcClass"], f"{field}.epcClass"), quantity, uom)
        except ValidationError as err:
            raise ValidationError(f"{field}: {err.message}", value=err.value, field=field) from None


def quantity_list(value: Any, field: str) -> tuple[QuantityElement, ...]:
    """A quantityList / childQuantityList / inputQuantityList / outputQuantityList."""
    return tuple(QuantityElement.from_jsonld(item, f"{field}[{i}]") for i, item in enumerate(want_list(value, field)))


@dataclass(frozen=True)
class BizTransaction:
    """A business transaction reference (purchase order, despatch advice...); ``type`` is a full CBV URI."""

    value: str
    type: str | None = None

    def __post_init__(self) -> None:
        want_uri(self.value, "bizTransaction")
        if self.type is not None:
            object.__setattr__(self, "type", cbv.normalize(cbv.BIZ_TRANSACTION_TYPE, self.type))

    def to_jsonld(self) -> dict[str, Any]:
        """Type first: that is the order the event hash expects (see docs/epcis.md)."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = cbv.compact(cbv.BIZ_TRANSACTION_TYPE, self.type)
        out["bizTransaction"] = self.value
        return out


def biz_transactions(value: Any, field: str = "bizTransactionList") -> tuple[BizTransaction, ...]:
    """Read a bizTransactionList."""
    out = []
    for i, item in enumerate(want_list(value, field)):
        where = f"{field}[{i}]"
        obj = want_object(item, where)
        only_keys(obj, ("type", "bizTransaction"), where)
        if "bizTransaction" not in obj:
            raise ValidationError(f"{where}.bizTransaction is required", field=f"{where}.bizTransaction")
        kind = obj.get("type")
        out.append(
            BizTransaction(
                want_uri(obj["bizTransaction"], f"{where}.bizTransaction"),
                None if kind is None else cbv.normalize(cbv.BIZ_TRANSACTION_TYPE, kind, field=f"{where}.type"),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class SourceDest:
    """A source or destination: ``type`` (full CBV SDT URI: owning party, possessing party, location)."""

    type: str
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", cbv.normalize(cbv.SOURCE_DEST_TYPE, self.type))
        want_uri(self.value, "sourceList.source")

    def to_jsonld(self, member: str) -> dict[str, Any]:
        """``member`` is ``source`` or ``destination``."""
        return {"type": cbv.compact(cbv.SOURCE_DEST_TYPE, self.type), member: self.value}


def source_dest_list(value: Any, field: str, member: str) -> tuple[SourceDest, ...]:
    """Read a sourceList (``member='source'``) or destinationList (``member='destination'``)."""
    out = []
    for i, item in enumerate(want_list(value, field)):
        where = f"{field}[{i}]"
        obj = want_object(item, where)
        only_keys(obj, ("type", member), where)
        for key in ("type", member):
            if key not in obj:
                raise ValidationError(f"{where}.{key} is required", field=f"{where}.{key}")
        out.append(
            SourceDest(
                cbv.normalize(cbv.SOURCE_DEST_TYPE, obj["type"], field=f"{where}.type"),
                want_uri(obj[member], f"{where}.{member}"),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PersistentDisposition:
    """Dispositions that stay set (or are cleared) until a later event changes them; full CBV URIs."""

    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for part in ("set", "unset"):
            field = f"persistentDisposition.{part}"
            values = typed_tuple(getattr(self, part), field, str)
            normal = tuple(cbv.normalize(cbv.DISPOSITION, v, field=f"{field}[{i}]") for i, v in enumerate(values))
            object.__setattr__(self, part, normal)

    def to_jsonld(self) -> dict[str, Any]:
        """Bare CBV words where they exist."""
        out: dict[str, Any] = {}
        if self.set:
            out["set"] = [cbv.compact(cbv.DISPOSITION, v) for v in self.set]
        if self.unset:
            out["unset"] = [cbv.compact(cbv.DISPOSITION, v) for v in self.unset]
        return out

    @classmethod
    def from_jsonld(cls, data: Any, field: str = "persistentDisposition") -> PersistentDisposition:
        """Read ``{set: [...], unset: [...]}``."""
        obj = want_object(data, field)
        only_keys(obj, ("set", "unset"), field)
        parts = {}
        for key in ("set", "unset"):
            items = want_list(obj.get(key, []), f"{field}.{key}")
            parts[key] = tuple(
                cbv.normalize(cbv.DISPOSITION, v, field=f"{field}.{key}[{i}]") for i, v in enumerate(items)
            )
        if not parts["set"] and not parts["unset"]:
            raise ValidationError(f"{field} needs a set or unset list", field=field)
        return cls(parts["set"], parts["unset"])


def location(value: Any, field: str) -> str:
    """A readPoint / bizLocation: ``{"id": uri}`` (extension members are not accepted in this subset)."""
    obj = want_object(value, field)
    only_keys(obj, ("id",), field)
    if "id" not in obj:
        raise ValidationError(f"{field}.id is required", field=f"{field}.id")
    return want_uri(obj["id"], f"{field}.id")


def extension_key(key: str, namespaces: Mapping[str, str], field: str) -> str:
    """Check an extension / ILMD member name: a compact IRI with a known prefix, or an absolute IRI."""
    prefix, sep, local = key.partition(":")
    path = key if field == "event" else f"{field}.{key}"
    if not sep or not prefix or not local:
        raise ValidationError(
            f"{field} member {key!r} is not a standard EPCIS field and has no namespace prefix (e.g. ex:{key})",
            value=key,
            field=path,
        )
    if prefix in namespaces or prefix in CONTEXT_PREFIXES or local.startswith("//"):
        return key
    raise ValidationError(
        f"{field} member {key!r} uses prefix {prefix!r}, which the document's @context does not declare",
        value=key,
        field=path,
    )


def json_copy(value: Any, field: str) -> Any:
    """A plain-JSON copy of an extension value (so frozen events do not share mutable state with callers)."""
    if isinstance(value, Mapping):
        return {str(k): json_copy(v, f"{field}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(v, f"{field}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{field} {value!r} is not a finite number", value=value, field=field)
        return value
    raise ParseError(f"{field} {value!r} is not a JSON value", value=repr(value), field=field)


def used_prefixes(value: Any, namespaces: Mapping[str, str]) -> dict[str, str]:
    """The subset of ``namespaces`` whose prefixes start a key or string value somewhere in ``value``.

    An event read from a document keeps only the prefixes it uses, so it compares equal to the same event
    built alone and its hash (which depends on exactly those prefixes) is unchanged. Searching the JSON text
    for ``"prefix:`` is several times faster than walking the structure (a stray match keeps an unused
    prefix, which changes nothing).
    """
    if not namespaces:
        return {}
    text = json.dumps(value, ensure_ascii=False)
    return {p: iri for p, iri in namespaces.items() if f'"{p}:' in text}
