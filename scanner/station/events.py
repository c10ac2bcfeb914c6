"""From accepted reads to stored events: dedupe window, assembly sequences, EPCIS events and ledger payloads.

Pure logic with an injected clock, so the rules a station applies (what counts as a repeat, when an assembly is
complete, what the ledger is sent) are tested without sockets or files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledger.errors import ValidationError
from scanner.epcis import object_event_for_read, transformation_event
from scanner.epcis.timestamps import format_timestamp
from scanner.station.config import StationConfig
from scanner.station.outbox import NewEvent


def event_time(wall: float) -> datetime:
    """A read's EPCIS eventTime: the wall-clock instant in the station's local offset, to the millisecond."""
    moment = datetime.fromtimestamp(round(wall, 3), UTC).astimezone()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Dedupe:
    """Repeated reads of one code at this station within ``window`` seconds are one event.

    The window slides: each repeat extends it, so a part left in front of a reader in continuous-read mode is
    one event however long it stays. Times are wall-clock seconds so that the window can be seeded from the
    outbox after a restart (a part re-presented because its OK line never appeared is not recorded twice).
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._last: dict[str, float] = {}
        self._pruned = 0.0

    def seed(self, seen: Iterable[tuple[str, float]]) -> None:
        """Remember reads stored before a restart."""
        for uid, at in seen:
            self._last[uid] = max(at, self._last.get(uid, at))

    def repeat(self, uid: str, now: float) -> bool:
        """True when ``uid`` was read within the window before ``now`` (and remember this read either way)."""
        last = self._last.get(uid)
        self._last[uid] = now
        if now - self._pruned > max(self.window, 1.0) * 10:
            self._prune(now)
        return last is not None and now - last <= self.window

    def _prune(self, now: float) -> None:
        self._pruned = now
        self._last = {u: t for u, t in self._last.items() if now - t <= self.window}


class LineLimit:
    """At most one operator line per code per ``window`` seconds, for continuous (camera) reads.

    A camera sees a part held in view in every frame, ~30 times a second. Each frame is still a read (dedupe
    keeps it one event), but the operator gets a line for it only when no line about that code was printed in
    the last ``window`` seconds: the first read, then a reminder per window while it stays in view. A new event
    is never held back: it needs the code to have been unseen for longer than the dedupe window.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._said: dict[str, float] = {}
        self._pruned = 0.0

    def due(self, key: str, now: float) -> bool:
        """True (and remembered as said) when no line about ``key`` was printed within the window before ``now``."""
        last = self._said.get(key)
        if last is not None and now - last < self.window:
            return False
        self._said[key] = now
        if now - self._pruned > max(self.window, 1.0) * 10:
            self._pruned = now
            self._said = {k: t for k, t in self._said.items() if now - t < self.window}
        return True


@dataclass
class AssemblyStep:
    """What one read did to the assembly under way.

    ``role`` is ``parent`` (the read opened an assembly), ``child`` (added), ``again`` (already in it),
    ``complete`` (the assembly is closed: ``parent`` and ``children`` hold it), or ``refused`` (``reason``).
    """

    role: str
    parent: str | None = None
    children: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class Assembler:
    """Assembly-station sequence: the first read is the parent, following reads are its children.

    The assembly closes after ``count`` children or when the ``terminator`` code is scanned, whichever the
    station is configured with.
    """

    count: int | None = None
    terminator: str | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)

    def is_terminator(self, text: str) -> bool:
        """Whether a scanned text is the configured end-of-assembly code."""
        return self.terminator is not None and text.strip() == self.terminator

    def terminate(self) -> AssemblyStep:
        """The terminator was scanned."""
        if self.parent is None:
            return AssemblyStep("refused", reason="end-of-assembly code scanned with no assembly open")
        if not self.children:
            parent = self.parent
            return AssemblyStep("refused", parent, reason=f"assembly of {parent} has no children yet")
        return self._close()

    def add(self, uid: str) -> AssemblyStep:
        """A part was read."""
        if self.parent is None:
            self.parent = uid
            return AssemblyStep("parent", uid)
        if uid == self.parent:
            return AssemblyStep("refused", self.parent, reason=f"{uid} is the parent of this assembly")
        if uid in self.children:
            return AssemblyStep("again", self.parent, tuple(self.children))
        self.children.append(uid)
        if self.count is not None and len(self.children) >= self.count:
            return self._close()
        return AssemblyStep("child", self.parent, tuple(self.children))

    def abandon(self) -> tuple[str | None, tuple[str, ...]]:
        """Drop the assembly under way (shutdown); returns what was dropped."""
        dropped = (self.parent, tuple(self.children))
        self.parent, self.children = None, []
        return dropped

    def _close(self) -> AssemblyStep:
        step = AssemblyStep("complete", self.parent, tuple(self.children))
        self.parent, self.children = None, []
        return step


def scan_event(cfg: StationConfig, uid: str, wall: float, raw: str | None = None) -> NewEvent:
    """The ObjectEvent (OBSERVE) for one read and the RecordScans item carrying its canonical hash."""
    when = event_time(wall)
    event = object_event_for_read(
        uid,
        event_time=when,
        read_point=cfg.effective_read_point,
        biz_location=cfg.biz_location,
        biz_step=cfg.biz_step,
        disposition=cfg.disposition,
    )
    event_id = _event_id(event.event_id, uid)
    payload = {
        "uid": uid,
        "station_id": cfg.station_id,
        "read_point": cfg.effective_read_point,
        "event_time": format_timestamp(when),
        "event_hash": event_id,
    }
    payload["biz_step"] = cfg.biz_step
    if cfg.disposition is not None:
        payload["disposition"] = cfg.disposition
    return NewEvent(event_id, "scan", uid, event.to_jsonld(), payload, raw)


def assembly_event(cfg: StationConfig, parent: str, children: tuple[str, ...], wall: float) -> NewEvent:
    """The TransformationEvent (children in, parent out) and the Assemble payload for a closed assembly."""
    when = event_time(wall)
    event = transformation_event(
        children,
        [parent],
        event_time=when,
        read_point=cfg.effective_read_point,
        biz_location=cfg.biz_location,
        biz_step=cfg.biz_step or "assembling",
        disposition=cfg.disposition or "active",
    )
    event_id = _event_id(event.event_id, parent)
    payload = {
        "parent_uid": parent,
        "child_uids": list(children),
        "event_hash": event_id,
        "event_time": format_timestamp(when),
    }
    return NewEvent(event_id, "assembly", parent, event.to_jsonld(), payload)


def _event_id(event_id: str | None, uid: str) -> str:
    if event_id is None:  # with_event_id() always sets it; a None here is a bug worth naming
        raise ValidationError(f"event for {uid} has no eventID", value=uid)
    return event_id
