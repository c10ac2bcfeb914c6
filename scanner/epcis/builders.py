"""Event builders for the station agent and the API: one call per business situation, eventID included.

A station turns each accepted read into one event and must be able to resend it any number of times without
creating a duplicate; giving every event its GS1 canonical hash as ``eventID`` makes delivery idempotent
across stations, the API and partners' own repositories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from scanner.epcis.fields import BizTransaction, QuantityElement, SourceDest
from scanner.epcis.model import AggregationEvent, ObjectEvent, TransformationEvent
from scanner.epcis.timestamps import offset_of, parse_timestamp


def _when(event_time: datetime | str, tz_offset: str | None) -> tuple[datetime, str]:
    moment = parse_timestamp(event_time) if isinstance(event_time, str) else event_time
    return moment, tz_offset or offset_of(moment)


def object_event_for_read(
    uid: str,
    *,
    event_time: datetime | str,
    tz_offset: str | None = None,
    read_point: str | None,
    biz_location: str | None,
    biz_step: str | None,
    disposition: str | None,
    action: str = "OBSERVE",
    extensions: Mapping[str, Any] | None = None,
    namespaces: Mapping[str, str] | None = None,
    ilmd: Mapping[str, Any] | None = None,
    biz_transactions: Iterable[BizTransaction] = (),
    event_id: str | None = None,
    record_time: datetime | None = None,
) -> ObjectEvent:
    """The ObjectEvent for one scan of part ``uid`` (an EPC or Digital Link URI) at a station.

    ``tz_offset`` defaults to the offset of ``event_time``; ``biz_step`` / ``disposition`` take bare CBV words
    or URIs. ``eventID`` is the event's canonical hash unless ``event_id`` is given.
    """
    moment, offset = _when(event_time, tz_offset)
    event = ObjectEvent(
        event_time=moment,
        event_time_zone_offset=offset,
        action=action,
        epc_list=(uid,),
        read_point=read_point,
        biz_location=biz_location,
        biz_step=biz_step,
        disposition=disposition,
        ilmd=dict(ilmd) if ilmd else None,
        biz_transactions=tuple(biz_transactions),
        extensions=dict(extensions or {}),
        namespaces=dict(namespaces or {}),
        event_id=event_id,
        record_time=record_time,
    )
    return event.with_event_id()


def transformation_event(
    inputs: Iterable[str],
    outputs: Iterable[str],
    *,
    event_time: datetime | str,
    tz_offset: str | None = None,
    read_point: str | None = None,
    biz_location: str | None = None,
    biz_step: str | None = "assembling",
    disposition: str | None = "active",
    input_quantities: Iterable[QuantityElement] = (),
    output_quantities: Iterable[QuantityElement] = (),
    transformation_id: str | None = None,
    ilmd: Mapping[str, Any] | None = None,
    extensions: Mapping[str, Any] | None = None,
    namespaces: Mapping[str, str] | None = None,
    event_id: str | None = None,
    record_time: datetime | None = None,
) -> TransformationEvent:
    """A TransformationEvent consuming ``inputs`` into ``outputs`` (an assembly station's event)."""
    moment, offset = _when(event_time, tz_offset)
    event = TransformationEvent(
        event_time=moment,
        event_time_zone_offset=offset,
        input_epc_list=tuple(inputs),
        output_epc_list=tuple(outputs),
        input_quantity_list=tuple(input_quantities),
        output_quantity_list=tuple(output_quantities),
        transformation_id=transformation_id,
        read_point=read_point,
        biz_location=biz_location,
        biz_step=biz_step,
        disposition=disposition,
        ilmd=dict(ilmd) if ilmd else None,
        extensions=dict(extensions or {}),
        namespaces=dict(namespaces or {}),
        event_id=event_id,
        record_time=record_time,
    )
    return event.with_event_id()


def aggregation_event(
    parent: str,
    children: Iterable[str],
    *,
    event_time: datetime | str,
    tz_offset: str | None = None,
    action: str = "ADD",
    read_point: str | None = None,
    biz_location: str | None = None,
    biz_step: str | None = "packing",
    disposition: str | None = "in_progress",
    child_quantities: Iterable[QuantityElement] = (),
    sources: Iterable[SourceDest] = (),
    destinations: Iterable[SourceDest] = (),
    extensions: Mapping[str, Any] | None = None,
    namespaces: Mapping[str, str] | None = None,
    event_id: str | None = None,
) -> AggregationEvent:
    """An AggregationEvent putting ``children`` into (ADD) or taking them out of (DELETE) ``parent``."""
    moment, offset = _when(event_time, tz_offset)
    event = AggregationEvent(
        event_time=moment,
        event_time_zone_offset=offset,
        action=action,
        parent_id=parent,
        child_epcs=tuple(children),
        child_quantity_list=tuple(child_quantities),
        read_point=read_point,
        biz_location=biz_location,
        biz_step=biz_step,
        disposition=disposition,
        sources=tuple(sources),
        destinations=tuple(destinations),
        extensions=dict(extensions or {}),
        namespaces=dict(namespaces or {}),
        event_id=event_id,
    )
    return event.with_event_id()
