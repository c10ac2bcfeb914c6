"""Which scans look wrong, and why: pure rules over the part record and where the part was last seen.

A scan is evidence; a suspicious one is more valuable recorded with a flag than dropped, because a cloned
label shows up exactly as a scan that cannot be right. The chaincode evaluates these rules for every scan and
stores the flags with it (and an ``anomaly`` record for flagged scans).

Impossible travel: the same serial read at two sites faster than anything ships parts. The great-circle
distance between the sites' coordinates divided by the time between the two event times must not exceed
:data:`MAX_SPEED_KMH` (1,000 km/h: above any airliner's ground speed that air freight would reach door to
door). Two reads at the same site never flag, whatever the times, and neither do sites closer than
:data:`MIN_DISTANCE_KM` (same campus, GPS rounding).

>>> round(distance_km(Point("19.4326", "-99.1332"), Point("42.3314", "-83.0458")))
2701
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

#: Fastest plausible movement of a part between two sites, in km/h.
MAX_SPEED_KMH = 1000.0
#: Sites closer than this are treated as one place.
MIN_DISTANCE_KM = 1.0
#: How far an event time may lie after the transaction time before the station's clock is suspect.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
EARTH_RADIUS_KM = 6371.0088

UNKNOWN_PART = "unknown_part"
NOT_IN_CUSTODY = "not_in_custody"
DECOMMISSIONED = "decommissioned"
CONSUMED = "consumed"
IMPOSSIBLE_TRAVEL = "impossible_travel"
CLOCK_SKEW = "clock_skew"
ALL_FLAGS = (UNKNOWN_PART, NOT_IN_CUSTODY, DECOMMISSIONED, CONSUMED, IMPOSSIBLE_TRAVEL, CLOCK_SKEW)


@dataclass(frozen=True)
class Point:
    """A site's coordinates in degrees, as the decimal strings stored on the ledger."""

    lat: str
    lon: str


@dataclass(frozen=True)
class Sighting:
    """Where and when a part was read: org, site, coordinates, event time."""

    msp_id: str
    site_id: str
    point: Point
    at: dt.datetime

    @property
    def place(self) -> str:
        """``MSP/site`` as shown in messages."""
        return f"{self.msp_id}/{self.site_id}"


def distance_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance between two points."""
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_flag(uid: str, prev: Sighting, here: Sighting) -> str | None:
    """A message when going from ``prev`` to ``here`` needs more than :data:`MAX_SPEED_KMH`, else None."""
    if (prev.msp_id, prev.site_id) == (here.msp_id, here.site_id):
        return None
    km = distance_km(prev.point, here.point)
    if km < MIN_DISTANCE_KM:
        return None
    hours = abs((here.at - prev.at).total_seconds()) / 3600
    if hours > 0 and km / hours <= MAX_SPEED_KMH:
        return None
    speed = "an instant" if hours == 0 else f"{hours:.2f} h ({km / hours:,.0f} km/h)"
    return (
        f"{uid} read at {here.place} and at {prev.place} {km:,.0f} km apart within {speed}; "
        f"faster than {MAX_SPEED_KMH:,.0f} km/h"
    )


def custody_flags(uid: str, part: dict[str, Any] | None, station_msp: str) -> dict[str, str]:
    """Flags from the part record alone: unknown, retired, or in another org's hands."""
    if part is None:
        return {UNKNOWN_PART: f"{uid} was never commissioned"}
    flags: dict[str, str] = {}
    status = part["status"]
    if status == CONSUMED:
        # Custody of a consumed part follows its top-level assembly, which this record does not name.
        return {CONSUMED: f"{uid} was consumed by {part.get('parent')}"}
    if status == DECOMMISSIONED:
        flags[DECOMMISSIONED] = f"{uid} was decommissioned"
    owner = part["owner_msp"]
    inbound = status == "in_transit" and (part.get("shipment") or {}).get("to_msp") == station_msp
    if owner != station_msp and not inbound:
        flags[NOT_IN_CUSTODY] = f"{uid} is in the custody of {owner}, not {station_msp}"
    return flags


def scan_flags(
    uid: str,
    part: dict[str, Any] | None,
    here: Sighting,
    prev: Sighting | None,
    tx_time: dt.datetime,
) -> dict[str, str]:
    """Every flag for one scan, flag name -> message naming the values involved (empty when clean)."""
    flags = custody_flags(uid, part, here.msp_id)
    if prev is not None:
        travel = travel_flag(uid, prev, here)
        if travel is not None:
            flags[IMPOSSIBLE_TRAVEL] = travel
    if here.at - tx_time > MAX_CLOCK_SKEW:
        flags[CLOCK_SKEW] = (
            f"event time {here.at.isoformat()} is {(here.at - tx_time).total_seconds():.0f} s "
            f"after the transaction time {tx_time.isoformat()}"
        )
    return dict(sorted(flags.items()))
