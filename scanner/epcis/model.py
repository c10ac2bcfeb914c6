"""EPCIS 2.0 events as frozen dataclasses: ObjectEvent, AggregationEvent, TransformationEvent.

Values are held in one normal form (CBV values as full URIs, times as aware datetimes, lists as tuples) so
that two spellings of the same event compare equal and hash alike; ``to_jsonld()`` writes the compact JSON-LD
form the GS1 schema and trading partners expect. Common fields live in :mod:`scanner.epcis.base`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from ledger.errors import ParseError, ValidationError
from scanner.epcis.base import (
    ACTIONS,
    COMMON_READERS,
    EPCIS_CONTEXT_URL,
    READ_CHECKED,
    EPCISEvent,
    context_prefixes,
    read_action,
    read_members,
)
from scanner.epcis.fields import QuantityElement, quantity_list, typed_tuple, uri_list, want_uri

__all__ = [
    "ACTIONS",
    "COMMON_READERS",
    "EPCIS_CONTEXT_URL",
    "EVENT_TYPES",
    "AggregationEvent",
    "EPCISEvent",
    "Event",
    "ObjectEvent",
    "TransformationEvent",
    "context_prefixes",
    "event_from_jsonld",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ObjectEvent(EPCISEvent):
    """Something happened to objects: commissioned (ADD), observed (OBSERVE) or decommissioned (DELETE)."""

    TYPE: ClassVar[str] = "ObjectEvent"
    __hash__ = EPCISEvent.__hash__
    READERS: ClassVar[dict[str, tuple[str, Any]]] = {
        "action": ("action", read_action),
        "epcList": ("epc_list", uri_list),
        "quantityList": ("quantity_list", quantity_list),
        "ilmd": ("ilmd", read_members),
    }

    action: str
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()
    ilmd: Mapping[str, Any] | None = None

    def _check(self) -> None:
        read_action(self.action, "action")
        if not READ_CHECKED.get():
            object.__setattr__(self, "epc_list", typed_tuple(self.epc_list, "epcList", str))
            object.__setattr__(self, "quantity_list", typed_tuple(self.quantity_list, "quantityList", QuantityElement))
            for i, epc in enumerate(self.epc_list):
                want_uri(epc, f"epcList[{i}]")
        if not self.epc_list and not self.quantity_list and not self.sensor_elements:
            raise ValidationError("ObjectEvent needs an epcList or a quantityList", field="epcList")
        if self.ilmd is not None:
            object.__setattr__(self, "ilmd", self._checked_members(self.ilmd, "ilmd"))
        if self.ilmd is not None and self.action != "ADD":
            raise ValidationError(
                f"ilmd is only allowed with action ADD, not {self.action}", value=self.action, field="ilmd"
            )

    def _body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.epc_list:
            out["epcList"] = list(self.epc_list)
        if self.quantity_list:
            out["quantityList"] = [q.to_jsonld() for q in self.quantity_list]
        out["action"] = self.action
        return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class AggregationEvent(EPCISEvent):
    """Children joined to (ADD), seen with (OBSERVE) or removed from (DELETE) a parent container."""

    TYPE: ClassVar[str] = "AggregationEvent"
    __hash__ = EPCISEvent.__hash__
    READERS: ClassVar[dict[str, tuple[str, Any]]] = {
        "action": ("action", read_action),
        "parentID": ("parent_id", want_uri),
        "childEPCs": ("child_epcs", uri_list),
        "childQuantityList": ("child_quantity_list", quantity_list),
    }

    action: str
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    child_quantity_list: tuple[QuantityElement, ...] = ()

    def _check(self) -> None:
        read_action(self.action, "action")
        object.__setattr__(self, "child_epcs", typed_tuple(self.child_epcs, "childEPCs", str))
        object.__setattr__(
            self, "child_quantity_list", typed_tuple(self.child_quantity_list, "childQuantityList", QuantityElement)
        )
        if self.parent_id is not None:
            want_uri(self.parent_id, "parentID")
        elif self.action in ("ADD", "DELETE"):
            raise ValidationError(f"AggregationEvent with action {self.action} needs a parentID", field="parentID")
        for i, epc in enumerate(self.child_epcs):
            want_uri(epc, f"childEPCs[{i}]")
        if self.action != "DELETE" and not self.child_epcs and not self.child_quantity_list:
            raise ValidationError(
                f"AggregationEvent with action {self.action} needs childEPCs or a childQuantityList",
                field="childEPCs",
            )

    def _body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.parent_id is not None:
            out["parentID"] = self.parent_id
        if self.child_epcs:
            out["childEPCs"] = list(self.child_epcs)
        if self.child_quantity_list:
            out["childQuantityList"] = [q.to_jsonld() for q in self.child_quantity_list]
        out["action"] = self.action
        return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class TransformationEvent(EPCISEvent):
    """Inputs consumed to make outputs (machining, assembly): the event that carries USMCA lineage."""

    TYPE: ClassVar[str] = "TransformationEvent"
    __hash__ = EPCISEvent.__hash__
    READERS: ClassVar[dict[str, tuple[str, Any]]] = {
        "inputEPCList": ("input_epc_list", uri_list),
        "inputQuantityList": ("input_quantity_list", quantity_list),
        "outputEPCList": ("output_epc_list", uri_list),
        "outputQuantityList": ("output_quantity_list", quantity_list),
        "transformationID": ("transformation_id", want_uri),
        "ilmd": ("ilmd", read_members),
    }

    input_epc_list: tuple[str, ...] = ()
    input_quantity_list: tuple[QuantityElement, ...] = ()
    output_epc_list: tuple[str, ...] = ()
    output_quantity_list: tuple[QuantityElement, ...] = ()
    transformation_id: str | None = None
    ilmd: Mapping[str, Any] | None = None

    def _check(self) -> None:
        for name in ("input_epc_list", "input_quantity_list", "output_epc_list", "output_quantity_list"):
            kind = QuantityElement if "quantity" in name else str
            object.__setattr__(self, name, typed_tuple(getattr(self, name), _LABELS[name], kind))
        for label, epcs in (("inputEPCList", self.input_epc_list), ("outputEPCList", self.output_epc_list)):
            for i, epc in enumerate(epcs):
                want_uri(epc, f"{label}[{i}]")
        if self.transformation_id is not None:
            want_uri(self.transformation_id, "transformationID")
        has_in = bool(self.input_epc_list or self.input_quantity_list)
        has_out = bool(self.output_epc_list or self.output_quantity_list)
        if not (has_in and has_out) and self.transformation_id is None:
            missing = "inputEPCList or inputQuantityList" if not has_in else "outputEPCList or outputQuantityList"
            raise ValidationError(
                f"TransformationEvent needs {missing} (or a transformationID)",
                field="inputEPCList" if not has_in else "outputEPCList",
            )
        if self.ilmd is not None:
            object.__setattr__(self, "ilmd", self._checked_members(self.ilmd, "ilmd"))

    def _body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.input_epc_list:
            out["inputEPCList"] = list(self.input_epc_list)
        if self.input_quantity_list:
            out["inputQuantityList"] = [q.to_jsonld() for q in self.input_quantity_list]
        if self.output_epc_list:
            out["outputEPCList"] = list(self.output_epc_list)
        if self.output_quantity_list:
            out["outputQuantityList"] = [q.to_jsonld() for q in self.output_quantity_list]
        if self.transformation_id is not None:
            out["transformationID"] = self.transformation_id
        return out


_LABELS = {
    "input_epc_list": "inputEPCList",
    "input_quantity_list": "inputQuantityList",
    "output_epc_list": "outputEPCList",
    "output_quantity_list": "outputQuantityList",
}

EVENT_TYPES: dict[str, type[EPCISEvent]] = {c.TYPE: c for c in (ObjectEvent, AggregationEvent, TransformationEvent)}

#: Any of the supported event classes.
Event = ObjectEvent | AggregationEvent | TransformationEvent


def event_from_jsonld(data: Any, namespaces: Mapping[str, str] | None = None) -> Event:
    """Read any supported JSON-LD event (see :meth:`EPCISEvent.from_jsonld`)."""
    event = EPCISEvent.from_jsonld(data, namespaces)
    if not isinstance(event, ObjectEvent | AggregationEvent | TransformationEvent):
        raise ParseError(f"unsupported event {event!r}")
    return event
