from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from epcis_reference import EX, reference_hash

from ledger.errors import LedgerError, ParseError, ValidationError
from scanner.epcis.fields import BizTransaction, PersistentDisposition, QuantityElement, SourceDest
from scanner.epcis.model import (
    AggregationEvent,
    EPCISEvent,
    ObjectEvent,
    TransformationEvent,
    event_from_jsonld,
)

NS = {"ex": EX}
SN1 = "https://id.gs1.org/01/04012345123456/21/SN1"
BASE: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2025-03-14T09:15:27.123+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": [SN1],
    "action": "OBSERVE",
}
AGG = {"type": "AggregationEvent", "eventTime": "2025-03-14T09:15:27.000Z", "eventTimeZoneOffset": "+00:00"}
TRA = {
    "type": "TransformationEvent",
    "eventTime": "2025-03-14T09:15:27.000Z",
    "eventTimeZoneOffset": "+00:00",
}


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != key}


BAD = [
    (
        dict(BASE, type="TransactionEvent"),
        ValidationError,
        "type",
        "event type 'TransactionEvent' is not one of ObjectEvent, AggregationEvent, TransformationEvent",
    ),
    (
        without("eventTimeZoneOffset"),
        ValidationError,
        "eventTimeZoneOffset",
        "ObjectEvent is missing required field eventTimeZoneOffset",
    ),
    (
        dict(BASE, eventTime="2025-03-14T09:15:27"),
        ValidationError,
        "eventTime",
        "eventTime '2025-03-14T09:15:27' is not an ISO 8601 date-time with offset (e.g. 2025-03-14T09:15:27.123+01:00)",
    ),
    (
        dict(BASE, eventTime="2025-02-30T09:15:27Z"),
        ValidationError,
        "eventTime",
        "eventTime '2025-02-30T09:15:27Z' is not a valid instant: day is out of range for month",
    ),
    (
        dict(BASE, eventTimeZoneOffset="+15:00"),
        ValidationError,
        "eventTimeZoneOffset",
        "eventTimeZoneOffset '+15:00' is not a UTC offset between -14:00 and +14:00 (e.g. +01:00)",
    ),
    (
        dict(BASE, action="MOVE"),
        ValidationError,
        "action",
        "action 'MOVE' is not one of ADD, OBSERVE, DELETE",
    ),
    (without("epcList"), ValidationError, "epcList", "ObjectEvent needs an epcList or a quantityList"),
    (
        dict(BASE, epcList=["SN1"]),
        ValidationError,
        "epcList[0]",
        "epcList[0] 'SN1' is not an absolute URI (e.g. https://id.gs1.org/01/04012345123456/21/SN1)",
    ),
    (dict(BASE, epcList=[5]), ParseError, "epcList[0]", "epcList[0] must be a string, got 5"),
    (dict(BASE, epcList="x"), ParseError, "epcList", "epcList must be an array, got 'x'"),
    (
        dict(BASE, bizStep="assembly"),
        ValidationError,
        "bizStep",
        "bizStep 'assembly' is neither a CBV 2.0 business step nor an absolute URI",
    ),
    (
        dict(BASE, bizStep="https://ref.gs1.org/cbv/BizStep-foo"),
        ValidationError,
        "bizStep",
        "bizStep 'https://ref.gs1.org/cbv/BizStep-foo' is not a CBV 2.0 business step",
    ),
    (
        dict(BASE, ilmd={"ex:a": 1}),
        ValidationError,
        "ilmd",
        "ilmd is only allowed with action ADD, not OBSERVE",
    ),
    (
        dict(BASE, color="red"),
        ValidationError,
        "color",
        "ObjectEvent has unknown field 'color'; extension fields need a namespace prefix (ex:color)",
    ),
    (
        dict(BASE, **{"zz:color": "red"}),
        ValidationError,
        "zz:color",
        "event member 'zz:color' uses prefix 'zz', which the document's @context does not declare",
    ),
    (
        dict(BASE, readPoint={"id": "urn:x:1", "ex:a": 1}),
        ValidationError,
        "readPoint",
        "readPoint has unknown member 'ex:a' (allowed: id)",
    ),
    (
        dict(BASE, quantityList=[{"epcClass": "urn:x:c", "quantity": "4"}]),
        ParseError,
        "quantityList[0].quantity",
        "quantityList[0].quantity must be a number, got '4'",
    ),
    (
        dict(BASE, bizTransactionList=[{"type": "po"}]),
        ValidationError,
        "bizTransactionList[0].bizTransaction",
        "bizTransactionList[0].bizTransaction is required",
    ),
    (
        dict(BASE, bizTransactionList=[{"type": "order", "bizTransaction": "urn:x:1"}]),
        ValidationError,
        "bizTransactionList[0].type",
        "bizTransactionList[0].type 'order' is neither a CBV 2.0 business transaction type nor an absolute URI",
    ),
    (
        dict(BASE, sourceList=[{"source": "urn:x:1"}]),
        ValidationError,
        "sourceList[0].type",
        "sourceList[0].type is required",
    ),
    (
        dict(AGG, childEPCs=[SN1], action="ADD"),
        ValidationError,
        "parentID",
        "AggregationEvent with action ADD needs a parentID",
    ),
    (
        dict(AGG, parentID="urn:x:p", action="OBSERVE"),
        ValidationError,
        "childEPCs",
        "AggregationEvent with action OBSERVE needs childEPCs or a childQuantityList",
    ),
    (
        dict(TRA, inputEPCList=[SN1]),
        ValidationError,
        "outputEPCList",
        "TransformationEvent needs outputEPCList or outputQuantityList (or a transformationID)",
    ),
    (["x"], ParseError, "event", "event must be an object, got ['x']"),
]


@pytest.mark.parametrize(("data", "error", "field", "message"), BAD)
def test_bad_events_are_refused_naming_field_and_value(
    data: Any, error: type[LedgerError], field: str, message: str
) -> None:
    with pytest.raises(error) as info:
        event_from_jsonld(data, NS)
    assert type(info.value) is error
    assert info.value.field == field
    assert info.value.message == message


def test_from_jsonld_on_a_subclass_checks_the_type() -> None:
    with pytest.raises(ValidationError, match="expected a AggregationEvent, got 'ObjectEvent'"):
        AggregationEvent.from_jsonld(BASE, NS)
    assert isinstance(ObjectEvent.from_jsonld(BASE, NS), ObjectEvent)


FULL = {
    "type": "ObjectEvent",
    "eventID": "urn:uuid:6d2b7e6a-1f7e-4c55-9d55-3d7e0c7a1b11",
    "eventTime": "2025-03-14T09:15:27.123456-05:00",
    "eventTimeZoneOffset": "-05:00",
    "recordTime": "2025-03-14T14:20:00.000Z",
    "certificationInfo": ["https://example.com/cert/1", "https://example.com/cert/2"],
    "epcList": [SN1],
    "quantityList": [{"epcClass": "https://id.gs1.org/01/04012345999990/10/B-1", "quantity": 2.5, "uom": "KGM"}],
    "action": "ADD",
    "bizStep": "commissioning",
    "disposition": "active",
    "persistentDisposition": {"set": ["completeness_verified"], "unset": ["needs_replacement"]},
    "readPoint": {"id": "https://id.gs1.org/414/4012345000009/254/MARK-01"},
    "bizLocation": {"id": "https://id.gs1.org/414/4012345000009"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1"}],
    "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/4012345000016"}],
    "destinationList": [{"type": "location", "destination": "https://id.gs1.org/414/4012345000023"}],
    "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL"}]}],
    "ilmd": {"cbvmda:lotNumber": "LOT42", "ex:grade": "A"},
    "errorDeclaration": {"declarationTime": "2025-03-15T00:00:00.000Z", "reason": "incorrect_data"},
    "ex:station": "MARK-01",
    "ex:torque": {"ex:nm": 41.5, "ex:ok": True},
}


@pytest.mark.parametrize(
    "data",
    [
        FULL,
        BASE,
        dict(
            AGG,
            parentID="urn:epc:id:sscc:4012345.0000000001",
            childEPCs=[SN1],
            action="ADD",
            bizStep="packing",
        ),
        dict(AGG, parentID="https://id.gs1.org/00/340123450000000017", action="DELETE"),
        dict(
            TRA,
            inputEPCList=[SN1],
            outputEPCList=["https://id.gs1.org/01/04012345987652/21/A1"],
            ilmd={"ex:line": 3},
            transformationID="urn:uuid:2a2c6a3f-5c1b-4a77-8e0c-6a0f1e1b9c00",
        ),
    ],
    ids=["object-full", "object-base", "aggregation", "aggregation-delete", "transformation"],
)
def test_jsonld_round_trip_is_exact(data: dict[str, Any]) -> None:
    event = event_from_jsonld(copy.deepcopy(data), NS)
    out = event.to_jsonld()
    assert out == data
    assert event_from_jsonld(out, NS) == event
    assert hash(event_from_jsonld(out, NS)) == hash(event)


def test_times_are_written_with_milliseconds_keeping_sub_millisecond_digits() -> None:
    plain = event_from_jsonld(dict(BASE, eventTime="2025-03-14T08:15:27Z", eventTimeZoneOffset="+00:00"), NS)
    assert plain.to_jsonld()["eventTime"] == "2025-03-14T08:15:27.000Z"
    fine = event_from_jsonld(dict(BASE, eventTime="2025-03-14T08:15:27.1234567+00:00"), NS)
    assert fine.to_jsonld()["eventTime"] == "2025-03-14T08:15:27.123456Z"


def test_model_holds_one_normal_form() -> None:
    event = event_from_jsonld(dict(BASE, bizStep="urn:epcglobal:cbv:bizstep:shipping", disposition="in_transit"), NS)
    assert isinstance(event, ObjectEvent)
    assert event.biz_step == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert event.disposition == "https://ref.gs1.org/cbv/Disp-in_transit"
    assert event.event_time == datetime(2025, 3, 14, 8, 15, 27, 123000, tzinfo=UTC)
    assert event.epc_list == (SN1,)
    assert event.to_jsonld()["bizStep"] == "shipping"


def test_frozen_and_detached_from_caller_data() -> None:
    extensions = {"ex:torque": {"ex:nm": 41.5}}
    event = ObjectEvent(
        event_time=datetime(2025, 1, 1, tzinfo=UTC),
        action="OBSERVE",
        epc_list=[SN1],
        extensions=extensions,
        namespaces=NS,
    )
    extensions["ex:torque"]["ex:nm"] = 0
    assert event.extensions == {"ex:torque": {"ex:nm": 41.5}}
    with pytest.raises(AttributeError):
        event.action = "ADD"  # type: ignore[misc]


def test_constructed_events_hash_like_the_reference() -> None:
    event = TransformationEvent(
        event_time=datetime(2025, 3, 15, 14, 2, 11, 500000, tzinfo=timezone(timedelta(hours=-6))),
        input_epc_list=[SN1],
        input_quantity_list=[QuantityElement("https://id.gs1.org/01/04012345999990/10/B-0777", 4)],
        output_epc_list=["https://id.gs1.org/01/04012345987652/21/ASM-1"],
        biz_step="assembling",
        disposition="active",
        read_point="https://id.gs1.org/414/4012345000023/254/ASSY-07",
        biz_transactions=[BizTransaction("urn:epcglobal:cbv:bt:4012345000009:PO-7", "https://ref.gs1.org/cbv/BTT-po")],
        sources=[SourceDest("https://ref.gs1.org/cbv/SDT-owning_party", "https://id.gs1.org/417/4012345000016")],
        persistent_disposition=PersistentDisposition(set=("https://ref.gs1.org/cbv/Disp-conformant",)),
        extensions={"ex:cycleSeconds": 41.0},
        namespaces=NS,
    )
    assert event.event_time_zone_offset == "-06:00"
    assert event.hash_id() == reference_hash(event.to_jsonld())


def test_with_event_id_sets_the_hash_once() -> None:
    event = event_from_jsonld(BASE, NS)
    stamped = event.with_event_id()
    assert stamped.event_id == event.hash_id()
    assert stamped.hash_id() == event.hash_id()  # eventID is not part of the hash
    assert stamped.with_event_id() is stamped
    given = event_from_jsonld(dict(BASE, eventID="urn:uuid:00000000-0000-4000-8000-000000000000"), NS)
    assert given.with_event_id().event_id == "urn:uuid:00000000-0000-4000-8000-000000000000"


def test_event_level_context_supplies_prefixes() -> None:
    data = dict(BASE, **{"@context": [{"acme": "https://acme.example/epcis/"}], "acme:line": "L3"})
    event = EPCISEvent.from_jsonld(data)
    assert event.namespaces == {"acme": "https://acme.example/epcis/"}
    assert event.extensions == {"acme:line": "L3"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": float("inf")}, "quantity inf is not a finite number"),
        ({"quantity": True}, "quantity True is not a finite number"),
        ({"uom": "KGM"}, "uom 'KGM' needs a quantity and must be a 1-3 character UN/ECE code"),
        (
            {"quantity": 1, "uom": "KG M"},
            "uom 'KG M' needs a quantity and must be a 1-3 character UN/ECE code",
        ),
    ],
)
def test_quantity_element_rules(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        QuantityElement("urn:epc:class:lgtin:4012345.012345.L1", **kwargs)
    assert info.value.message == message


def test_a_lone_string_where_a_list_is_expected_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        ObjectEvent(event_time="2025-03-14T09:15:27Z", action="OBSERVE", epc_list=SN1)  # type: ignore[arg-type]
    assert info.value.message == f"epcList must be a list, got {SN1!r}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"biz_transactions": [{"type": "po", "bizTransaction": "urn:x:1"}]},
            "bizTransactionList[0] must be a BizTransaction, got {'type': 'po', 'bizTransaction': 'urn:x:1'}",
        ),
        (
            {"quantity_list": [{"epcClass": "urn:x:c"}]},
            "quantityList[0] must be a QuantityElement, got {'epcClass': 'urn:x:c'}",
        ),
        ({"epc_list": [SN1, 7]}, "epcList[1] must be a str, got 7"),
    ],
)
def test_constructor_refuses_wrongly_typed_members(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"event_time": "2025-03-14T09:15:27Z", "action": "OBSERVE", "epc_list": [SN1]}
    with pytest.raises(ValidationError) as info:
        ObjectEvent(**{**base, **kwargs})
    assert info.value.message == message


def test_value_objects_normalise_cbv_words() -> None:
    assert BizTransaction("urn:x:po:1", "po").type == "https://ref.gs1.org/cbv/BTT-po"
    assert SourceDest("owning_party", "urn:x:1").type == "https://ref.gs1.org/cbv/SDT-owning_party"
    assert PersistentDisposition(set=("conformant",)).set == ("https://ref.gs1.org/cbv/Disp-conformant",)
    with pytest.raises(
        ValidationError, match=re.escape("'owner' is neither a CBV 2.0 source/destination type nor an absolute URI")
    ):
        SourceDest("owner", "urn:x:1")
    with pytest.raises(
        ValidationError, match=re.escape("recordTime datetime.datetime(2025, 1, 1, 0, 0) needs a UTC offset")
    ):
        ObjectEvent(
            event_time="2025-03-14T09:15:27Z", action="OBSERVE", epc_list=[SN1], record_time=datetime(2025, 1, 1)
        )
