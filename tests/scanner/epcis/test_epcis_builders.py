from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from epcis_reference import EX, reference_hash

from ledger.errors import ValidationError
from scanner.epcis.builders import aggregation_event, object_event_for_read, transformation_event
from scanner.epcis.fields import QuantityElement, SourceDest
from scanner.epcis.model import AggregationEvent, ObjectEvent, TransformationEvent

UID = "https://id.gs1.org/01/04012345123456/21/SN000187"
MARK = "https://id.gs1.org/414/4012345000009/254/MARK-01"
SITE = "https://id.gs1.org/414/4012345000009"
CDMX = timezone(timedelta(hours=-6))


def read(**overrides: object) -> ObjectEvent:
    kwargs: dict[str, object] = {
        "event_time": datetime(2025, 3, 14, 9, 15, 27, 123000, tzinfo=CDMX),
        "read_point": MARK,
        "biz_location": SITE,
        "biz_step": "inspecting",
        "disposition": "conformant",
    }
    kwargs.update(overrides)
    return object_event_for_read(UID, **kwargs)  # type: ignore[arg-type]


def test_read_event_carries_its_hash_as_event_id() -> None:
    event = read()
    assert event.action == "OBSERVE"
    assert event.epc_list == (UID,)
    assert event.event_time_zone_offset == "-06:00"
    assert event.biz_step == "https://ref.gs1.org/cbv/BizStep-inspecting"
    assert event.event_id == reference_hash(event.to_jsonld())
    assert event.event_id.startswith("ni:///sha-256;")


def test_rereading_the_same_scan_gives_the_same_id_and_another_scan_another() -> None:
    assert read().event_id == read().event_id
    assert read(event_time="2025-03-14T15:15:27.123Z", tz_offset="-06:00").event_id == read().event_id
    assert read(disposition="non_conformant").event_id != read().event_id
    assert read(event_time=datetime(2025, 3, 14, 9, 15, 28, tzinfo=CDMX)).event_id != read().event_id


def test_read_event_with_extensions_and_given_id() -> None:
    event = read(extensions={"ex:station": "MARK-01", "ex:operator": 17}, namespaces={"ex": EX})
    assert event.event_id == reference_hash(event.to_jsonld())
    fixed = read(event_id="urn:uuid:6d2b7e6a-1f7e-4c55-9d55-3d7e0c7a1b11")
    assert fixed.event_id == "urn:uuid:6d2b7e6a-1f7e-4c55-9d55-3d7e0c7a1b11"


def test_commissioning_read_may_carry_ilmd() -> None:
    event = read(action="ADD", biz_step="commissioning", disposition="active", ilmd={"cbvmda:lotNumber": "LOT42"})
    assert event.ilmd == {"cbvmda:lotNumber": "LOT42"}
    assert event.event_id == reference_hash(event.to_jsonld())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"biz_step": "assembly"},
            "bizStep 'assembly' is neither a CBV 2.0 business step nor an absolute URI",
        ),
        ({"action": "SCAN"}, "action 'SCAN' is not one of ADD, OBSERVE, DELETE"),
        (
            {"tz_offset": "+1"},
            "eventTimeZoneOffset '+1' is not a UTC offset between -14:00 and +14:00 (e.g. +01:00)",
        ),
        (
            {"read_point": "dock 3"},
            "readPoint.id 'dock 3' is not an absolute URI (e.g. https://id.gs1.org/01/04012345123456/21/SN1)",
        ),
        (
            {"extensions": {"station": "A"}},
            "extensions member 'station' is not a standard EPCIS field and has no namespace prefix (e.g. ex:station)",
        ),
    ],
)
def test_builder_refuses_bad_input(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        read(**overrides)
    assert info.value.message == message


def test_transformation_event_for_an_assembly_station() -> None:
    event = transformation_event(
        [UID, "https://id.gs1.org/01/04012345123456/21/SN000188"],
        ["https://id.gs1.org/01/04012345987652/21/ASM-1"],
        event_time="2025-03-15T14:02:11.500-06:00",
        read_point=MARK,
        input_quantities=[QuantityElement("https://id.gs1.org/01/04012345999990/10/B-0777", 4)],
    )
    assert isinstance(event, TransformationEvent)
    assert event.biz_step == "https://ref.gs1.org/cbv/BizStep-assembling"
    assert event.event_id == reference_hash(event.to_jsonld())
    with pytest.raises(ValidationError, match="TransformationEvent needs outputEPCList or outputQuantityList"):
        transformation_event([UID], [], event_time="2025-03-15T14:02:11.500-06:00")


def test_aggregation_event_for_packing_and_unpacking() -> None:
    sscc = "https://id.gs1.org/00/340123450000000017"
    packed = aggregation_event(
        sscc,
        [UID],
        event_time="2025-03-14T09:40:05Z",
        destinations=[SourceDest("https://ref.gs1.org/cbv/SDT-location", "https://id.gs1.org/414/4012345000023")],
    )
    assert isinstance(packed, AggregationEvent)
    assert packed.action == "ADD"
    assert packed.event_id == reference_hash(packed.to_jsonld())
    unpacked = aggregation_event(sscc, [], event_time="2025-03-14T10:00:00Z", action="DELETE", biz_step="unpacking")
    assert unpacked.event_id == reference_hash(unpacked.to_jsonld())
    assert unpacked.event_id != packed.event_id
