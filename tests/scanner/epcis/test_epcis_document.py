from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from epcis_reference import EX, reference_prehashes

from ledger.errors import ParseError, ValidationError
from scanner.epcis.builders import aggregation_event, object_event_for_read, transformation_event
from scanner.epcis.document import EPCISDocument, EPCISQueryDocument, load_json, read_events
from scanner.epcis.hashing import event_hash, hash_prehash
from scanner.epcis.model import EPCIS_CONTEXT_URL, ObjectEvent
from scanner.epcis.schema import validate_document

SN = "https://id.gs1.org/01/04012345123456/21/SN{}"
LOC = "https://id.gs1.org/414/4012345000009"
WHEN = "2025-03-14T09:15:27.123+01:00"


def station_events() -> list[Any]:
    read = object_event_for_read(
        SN.format(1),
        event_time=WHEN,
        read_point=LOC + "/254/MARK-01",
        biz_location=LOC,
        biz_step="commissioning",
        disposition="active",
        action="ADD",
        ilmd={"ex:grade": "A"},
        namespaces={"ex": EX},
    )
    packed = aggregation_event(
        "https://id.gs1.org/00/340123450000000017",
        [SN.format(1), SN.format(2)],
        event_time=WHEN,
        read_point=LOC + "/254/PACK-02",
    )
    built = transformation_event(
        [SN.format(1)],
        ["https://id.gs1.org/01/04012345987652/21/ASM-1"],
        event_time=WHEN,
        read_point=LOC + "/254/ASSY-07",
    )
    return [read, packed, built]


def test_document_round_trip_validates_and_hashes_like_the_reference() -> None:
    doc = EPCISDocument(station_events(), creation_date=datetime(2025, 3, 14, 10, tzinfo=UTC))
    data = doc.to_jsonld()
    assert data["@context"] == [EPCIS_CONTEXT_URL, {"ex": EX}]
    assert data["schemaVersion"] == "2.0"
    assert data["creationDate"] == "2025-03-14T10:00:00.000Z"
    validate_document(data)
    again = EPCISDocument.from_json(doc.to_json())
    assert again == doc
    expected = [hash_prehash(p) for p in reference_prehashes(data)]
    assert [event_hash(e) for e in again.events] == expected
    assert [e.event_id for e in again.events] == expected


def test_read_events_reports_each_event_separately() -> None:
    data = EPCISDocument(station_events()).to_jsonld()
    data["epcisBody"]["eventList"][1]["action"] = "MOVE"
    obj, namespaces = EPCISDocument.header(data)
    results = list(read_events(obj["epcisBody"]["eventList"], namespaces, "epcisBody.eventList"))
    assert [type(r).__name__ for r in results] == ["ObjectEvent", "ValidationError", "TransformationEvent"]
    err = results[1]
    assert isinstance(err, ValidationError)
    assert err.field == "epcisBody.eventList[1].action"
    assert err.message == "epcisBody.eventList[1]: action 'MOVE' is not one of ADD, OBSERVE, DELETE"
    with pytest.raises(ValidationError, match=r"epcisBody.eventList\[1\]: action 'MOVE'"):
        EPCISDocument.from_jsonld(data)


def _doc(**changes: Any) -> dict[str, Any]:
    data = EPCISDocument(station_events()).to_jsonld()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_doc(type="EPCISQueryDocument"), "type", "document type 'EPCISQueryDocument' is not EPCISDocument"),
        (
            _doc(**{"@context": ["https://example.com/ctx.jsonld"]}),
            "@context",
            '@context must include https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld, got ["https://example.com/ctx.jsonld"]',
        ),
        (_doc(schemaVersion="1.2"), "schemaVersion", "schemaVersion '1.2' is not 2.x"),
        (
            _doc(creationDate="today"),
            "creationDate",
            "creationDate 'today' is not an ISO 8601 date-time with offset (e.g. 2025-03-14T09:15:27.123+01:00)",
        ),
        (_doc(epcisBody={}), "epcisBody.eventList", "epcisBody is missing eventList"),
        (
            {k: v for k, v in _doc().items() if k != "creationDate"},
            "creationDate",
            "EPCISDocument is missing required field creationDate",
        ),
    ],
)
def test_bad_envelopes_are_refused(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        EPCISDocument.from_jsonld(data)
    assert info.value.field == field
    assert info.value.message == message


def test_invalid_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="document is not valid JSON: Expecting"):
        load_json('{"type": ')


def test_conflicting_prefixes_are_refused() -> None:
    a = ObjectEvent(
        event_time=WHEN,
        action="OBSERVE",
        epc_list=[SN.format(1)],
        extensions={"ex:a": 1},
        namespaces={"ex": EX},
    )
    b = ObjectEvent(
        event_time=WHEN,
        action="OBSERVE",
        epc_list=[SN.format(2)],
        extensions={"ex:a": 1},
        namespaces={"ex": "https://other.example/"},
    )
    with pytest.raises(ValidationError) as info:
        EPCISDocument([a, b])
    assert (
        info.value.message == "prefix 'ex' is bound to both 'https://example.com/epcis/' and 'https://other.example/'"
    )


def test_query_document_round_trip_and_schema() -> None:
    events = station_events()
    query = EPCISQueryDocument(events, subscription_id="sub-1", creation_date=datetime(2025, 3, 14, tzinfo=UTC))
    data = query.to_jsonld()
    assert data["type"] == "EPCISQueryDocument"
    assert data["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    assert len(data["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 3
    validate_document(data)
    back = EPCISQueryDocument.from_jsonld(json.loads(json.dumps(data)))
    assert back == query


def test_empty_query_result_is_valid() -> None:
    data = EPCISQueryDocument([]).to_jsonld()
    validate_document(data)
    assert data["@context"] == [EPCIS_CONTEXT_URL]
    assert data["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


def test_documents_do_not_share_state_with_their_json() -> None:
    doc = EPCISDocument(station_events())
    data = doc.to_jsonld()
    snapshot = copy.deepcopy(data)
    data["epcisBody"]["eventList"][0]["ilmd"]["ex:grade"] = "Z"
    assert doc.to_jsonld() == snapshot
