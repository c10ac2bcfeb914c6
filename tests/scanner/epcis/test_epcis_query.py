from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.errors import ValidationError
from scanner.epcis.builders import aggregation_event, object_event_for_read, transformation_event
from scanner.epcis.fields import QuantityElement
from scanner.epcis.model import Event, ObjectEvent
from scanner.epcis.query import EventQuery

SITE_A = "https://id.gs1.org/414/4012345000009"
SITE_B = "https://id.gs1.org/414/4012345000023"
SN = "https://id.gs1.org/01/04012345123456/21/SN{}"
SSCC = "https://id.gs1.org/00/340123450000000017"


def events() -> dict[str, Event]:
    ship = object_event_for_read(
        SN.format(1),
        event_time="2025-03-14T09:00:00Z",
        read_point=SITE_A,
        biz_location=SITE_A,
        biz_step="shipping",
        disposition="in_transit",
    )
    recv = object_event_for_read(
        SN.format(1),
        event_time="2025-03-15T09:00:00Z",
        read_point=SITE_B,
        biz_location=SITE_B,
        biz_step="receiving",
        disposition="active",
    )
    other = object_event_for_read(
        SN.format(2),
        event_time="2025-03-16T09:00:00Z",
        read_point=SITE_A,
        biz_location=SITE_A,
        biz_step="inspecting",
        disposition="conformant",
        action="OBSERVE",
    )
    pack = aggregation_event(SSCC, [SN.format(1), SN.format(2)], event_time="2025-03-14T08:00:00Z", biz_location=SITE_A)
    build = transformation_event(
        [SN.format(1)],
        ["https://id.gs1.org/01/04012345987652/21/ASM-1"],
        event_time="2025-03-17T09:00:00Z",
        biz_location=SITE_B,
        input_quantities=[QuantityElement("https://id.gs1.org/01/04012345999990/10/B1", 4)],
    )
    bulk = ObjectEvent(
        event_time=datetime(2025, 3, 18, tzinfo=UTC),
        action="OBSERVE",
        quantity_list=[QuantityElement("https://id.gs1.org/01/04012345999990/10/B1", 10)],
        record_time=datetime(2025, 3, 18, 1, tzinfo=UTC),
    )
    return {
        "ship": ship,
        "recv": recv,
        "other": other,
        "pack": pack,
        "build": build,
        "bulk": bulk.with_event_id(),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"ship", "recv", "other", "pack", "build", "bulk"}),
        ({"EQ_bizStep": "shipping"}, {"ship"}),
        ({"EQ_bizStep": "shipping|urn:epcglobal:cbv:bizstep:receiving"}, {"ship", "recv"}),
        ({"EQ_bizStep": ["shipping", "receiving"]}, {"ship", "recv"}),
        ({"EQ_disposition": "https://ref.gs1.org/cbv/Disp-active"}, {"recv", "build"}),
        ({"MATCH_epc": SN.format(1)}, {"ship", "recv", "pack"}),
        ({"MATCH_epc": "urn:epc:id:sgtin:4012345.012345.SN2"}, {"other", "pack"}),
        ({"MATCH_epc": "urn:epc:idpat:sgtin:4012345.012345.*"}, {"ship", "recv", "other", "pack"}),
        ({"MATCH_anyEPC": SN.format(1)}, {"ship", "recv", "pack", "build"}),
        ({"MATCH_parentID": "urn:epc:id:sscc:4012345.3000000001"}, {"pack"}),
        ({"MATCH_inputEPC": SN.format(1)}, {"build"}),
        ({"MATCH_outputEPC": "urn:epc:id:sgtin:4012345.098765.ASM-1"}, {"build"}),
        ({"MATCH_epcClass": "urn:epc:class:lgtin:4012345.099999.B1"}, {"bulk"}),
        ({"MATCH_anyEPCClass": "urn:epc:class:lgtin:4012345.099999.B1"}, {"bulk", "build"}),
        ({"GE_eventTime": "2025-03-15T09:00:00Z"}, {"recv", "other", "build", "bulk"}),
        ({"GE_eventTime": "2025-03-15T00:00:00Z", "LT_eventTime": "2025-03-16T09:00:00Z"}, {"recv"}),
        ({"LT_eventTime": "2025-03-14T10:00:00+01:00"}, {"pack"}),
        ({"GE_recordTime": "2025-03-18T00:00:00Z"}, {"bulk"}),
        ({"EQ_bizLocation": "urn:epc:id:sgln:4012345.00002.0"}, {"recv", "build"}),
        ({"EQ_readPoint": SITE_A}, {"ship", "other"}),
        ({"eventType": "AggregationEvent|TransformationEvent"}, {"pack", "build"}),
        ({"EQ_action": "OBSERVE"}, {"ship", "recv", "other", "bulk"}),
        ({"EQ_action": "ADD"}, {"pack"}),
        ({"EQ_bizStep": "shipping", "EQ_bizLocation": SITE_B}, set()),
    ],
)
def test_filters(params: dict[str, object], expected: set[str]) -> None:
    pool = events()
    query = EventQuery.from_params(params)  # type: ignore[arg-type]
    assert {name for name, e in pool.items() if query.matches(e)} == expected


def test_event_id_filter_and_ordering() -> None:
    pool = events()
    wanted = f"{pool['ship'].event_id}|{pool['recv'].event_id}"
    assert EventQuery.from_params({"EQ_eventID": wanted}).select(pool.values()) == [
        pool["recv"],
        pool["ship"],
    ]
    ascending = EventQuery.from_params({"orderBy": "eventTime", "orderDirection": "ASC", "eventCountLimit": "2"})
    assert ascending.select(pool.values()) == [pool["pack"], pool["ship"]]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"EQ_color": "red"}, "EQ_color", "unknown EPCIS query parameter 'EQ_color'"),
        (
            {"EQ_bizStep": "shiping"},
            "EQ_bizStep",
            "EQ_bizStep 'shiping' is neither a CBV 2.0 business step nor an absolute URI",
        ),
        (
            {"GE_eventTime": "yesterday"},
            "GE_eventTime",
            "GE_eventTime 'yesterday' is not an ISO 8601 date-time with offset (e.g. 2025-03-14T09:15:27.123+01:00)",
        ),
        (
            {"GE_eventTime": "2025-01-01T00:00:00Z|2025-02-01T00:00:00Z"},
            "GE_eventTime",
            "GE_eventTime takes one value, got 2",
        ),
        (
            {"eventType": "ObjectEvnt"},
            "eventType",
            "eventType 'ObjectEvnt' is not one of ObjectEvent, AggregationEvent, TransformationEvent, "
            "AssociationEvent, TransactionEvent",
        ),
        ({"MATCH_epc": "SN1"}, "MATCH_epc", "MATCH_epc value 'SN1' is not an absolute URI"),
        ({"perPage": "0"}, "perPage", "perPage '0' is not a positive integer"),
        ({"orderDirection": "UP"}, "orderDirection", "orderDirection 'UP' is not one of ASC, DESC"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        EventQuery.from_params(params)
    assert info.value.field == field
    assert info.value.message == message


def test_paging_parameters_are_kept_for_the_api() -> None:
    query = EventQuery.from_params({"perPage": "50", "nextPageToken": "abc"})
    assert (query.per_page, query.next_page_token) == (50, "abc")
