"""The station agent: reads in, durable events out, one operator line per read, delivery in the background.

Threads: the source's reader puts reads on a queue; the main loop takes whatever has arrived (a burst from a
fast reader is one group), turns each read into a ticket and maybe an event, appends the group's events to the
outbox in one durable transaction, and only then lets the operator output print their lines. The forwarder
delivers the outbox to the sink and hands the ledger's verdicts to the waiting lines. Text reads queue without
loss; frames queue a few at a time (scanner/station/readqueue.py), a live camera's stalest ones dropped.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

from ledger.errors import LedgerError, ValidationError
from scanner.identifiers import PartIdentifier, parse
from scanner.station.config import StationConfig
from scanner.station.events import Assembler, AssemblyStep, Dedupe, LineLimit, assembly_event, scan_event
from scanner.station.forwarder import Backoff, Forwarder
from scanner.station.operator import (
    REFUSING_FLAGS,
    OperatorOutput,
    Ticket,
    assembly_verdict,
    ok_line,
    part_info,
    refused_line,
    scan_verdict,
)
from scanner.station.outbox import REFUSED, NewEvent, Outbox, OutboxEvent
from scanner.station.readqueue import ReadQueue
from scanner.station.sinks import Sink
from scanner.station.sources import Read, Source

#: Most reads handled (and appended in one transaction) per group.
MAX_GROUP = 512
#: Text reads waiting for the main loop (lossless: the reader waits beyond this).
TEXT_QUEUE = 100_000
#: Frames waiting for the main loop: a couple of frames keeps a live camera's reads current and memory flat.
FRAME_QUEUE = 2
_END = object()


@dataclass(frozen=True)
class Summary:
    """What a run did, and the outbox's state when it ended."""

    reads: int
    events: int
    refused_lines: int
    delivered: int
    pending: int
    refused: int
    dropped: int = 0

    def status_line(self, station_id: str, outbox: str) -> str:
        """The status line printed on exit."""
        dropped = f", {self.dropped} stale camera frames dropped" if self.dropped else ""
        return (
            f"station {station_id} stopped: {self.delivered} delivered, {self.pending} pending, "
            f"{self.refused} refused in {outbox} (this run: {self.reads} reads, {self.events} new events, "
            f"{self.refused_lines} REFUSED lines{dropped})"
        )


class StationAgent:
    """Runs one station until its source ends or :meth:`stop` is called."""

    def __init__(
        self,
        cfg: StationConfig,
        source: Source,
        sink: Sink,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        outbox: Outbox | None = None,
        clock: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
    ) -> None:
        self.cfg = cfg
        self.source = source
        self.outbox = outbox or Outbox(cfg.outbox_path)
        self.clock = clock
        self.output = OperatorOutput(out or sys.stdout, err or sys.stderr, answer_wait=cfg.answer_wait)
        self.forwarder = Forwarder(
            self.outbox,
            sink,
            batch_size=cfg.batch_size,
            backoff=backoff or Backoff(maximum=cfg.backoff_max),
            on_outcome=self._outcome,
            on_offline=self._offline,
            on_online=self._online,
        )
        self.dedupe = Dedupe(cfg.dedupe_window)
        self.dedupe.seed(self.outbox.recent(clock() - cfg.dedupe_window))
        self.quiet_lines = LineLimit(cfg.dedupe_window)
        self.assembler = Assembler(cfg.assemble_count, cfg.terminator)
        self._queue: ReadQueue[Any] = (
            ReadQueue(FRAME_QUEUE, drop_stale=source.live) if source.frames else ReadQueue(TEXT_QUEUE)
        )
        source.on_notice = self.output.notice
        self._stop = threading.Event()
        self._source_error: BaseException | None = None
        self.reads = 0
        self.events = 0

    # -- lifecycle -------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the agent to finish (signal handlers call this): stop reading, store what was read, drain."""
        self._stop.set()
        self.source.stop()

    def run(self) -> Summary:
        """Read until the source ends or stop(); then drain, print the remaining lines and summarize."""
        self.output.start()
        self.forwarder.start()
        reader = threading.Thread(target=self._read_source, name="station-reader", daemon=True)
        reader.start()
        try:
            ended = False
            while not ended and not self._stop.is_set():
                ended = self._step(timeout=0.2)
            if not ended:  # reads already taken from the device are stored, none is dropped
                reader.join(timeout=2.0)
                while not ended and not self._queue.empty():
                    ended = self._step(timeout=0)
        finally:
            self._shutdown()
        if self._source_error is not None:
            err = self._source_error
            raise err if isinstance(err, LedgerError) else ValidationError(f"source {self.source.name}: {err}")
        return self.summary()

    def summary(self) -> Summary:
        """Counts for this run and the outbox."""
        c = self.outbox.counts()
        return Summary(
            self.reads,
            self.events,
            self.output.refused,
            c["delivered"],
            c["pending"],
            c["refused"],
            self._queue.dropped,
        )

    def _shutdown(self) -> None:
        parent, children = self.assembler.abandon()
        if parent is not None:
            self.output.notice(
                f"notice: assembly of {parent} with {len(children)} children was not finished and is not recorded"
            )
        self.forwarder.stop(drain_timeout=self.cfg.drain_seconds)
        self.output.close()

    def _read_source(self) -> None:
        # A frame not yet queued when the station stops was never seen by anyone: give up waiting for room.
        # A scanner's text read was: the reader waits (the final drain makes room), so none is lost.
        give_up = self._stop if self.source.frames else None
        reads = self.source.reads()
        try:
            for read in reads:
                if not self._queue.put(read, give_up):
                    break
        except BaseException as exc:  # reported by run() on the main thread
            self._source_error = exc
        finally:
            with contextlib.suppress(BaseException):
                reads.close()  # releases the device now, not when the generator is collected
            self._queue.put_last(_END)

    def _step(self, timeout: float) -> bool:
        """Handle one group of reads; True when the source has ended."""
        try:
            first = self._queue.get(timeout)
        except queue.Empty:
            return False
        group, ended = [], first is _END
        if not ended:
            group.append(first)
        while not ended and len(group) < MAX_GROUP:
            try:
                item = self._queue.get()
            except queue.Empty:
                break
            if item is _END:
                ended = True
            else:
                group.append(item)
        if group:
            self.process(group)
        return ended

    # -- reads -----------------------------------------------------------------------------------------------
    def process(self, reads: list[Read]) -> None:
        """Turn reads into lines and events; events are durable before any of these lines is printed."""
        tickets: list[Ticket] = []
        new: list[tuple[Ticket, NewEvent]] = []
        for read in reads:
            self.reads += 1
            for ticket, event in self._handle(read):
                tickets.append(ticket)
                if event is not None:
                    new.append((ticket, event))
        self.output.add(tickets)
        added = self.outbox.append_many([e for _, e in new])
        for (ticket, event), ok in zip(new, added, strict=True):
            if ok:
                self.events += 1
            else:  # the very same event (same code, same millisecond) is already stored
                ticket.line = ok_line(event.uid, "", "repeat read, recorded once")
        self.output.stored(tickets)

    def _handle(self, read: Read) -> list[tuple[Ticket, NewEvent | None]]:
        if read.text is None:
            return self._frame(read)
        text = read.text
        if self.cfg.mode == "assemble" and self.assembler.is_terminator(text):
            return [self._assembly_step(self.assembler.terminate(), "")]
        try:
            part = parse(text, require_serial=True)
        except LedgerError as err:
            return [(Ticket(line=refused_line(err.message)), None)]
        handled = self._part(part, text)
        return [] if handled is None else [handled]

    def _frame(self, read: Read) -> list[tuple[Ticket, NewEvent | None]]:
        """Every code an image shows is a read of its own (two labels in view are two parts)."""
        if read.frame is None:
            return [(Ticket(line=refused_line(f"{read.origin} is not a readable image")), None)]
        from scanner.datamatrix import decode

        results = decode(read.frame, all=True, require_serial=True)
        if not results[0].found:
            nothing = refused_line(f"no Data Matrix code found in {read.origin}")
            return [] if read.quiet else [(Ticket(line=nothing), None)]
        out: list[tuple[Ticket, NewEvent | None]] = []
        seen: set[str] = set()  # a code shown twice in one image is one read of it
        for r in results:
            key = r.part.uid if r.part is not None else f"unreadable:{r.raw}"
            if key in seen:
                continue
            seen.add(key)
            if r.part is not None:
                handled = self._part(r.part, r.raw, quiet=read.quiet)
            elif not read.quiet or self.quiet_lines.due(key, self.clock()):  # a bad code in view: once a window
                message = (r.error or {}).get("message", f"unreadable code in {read.origin}")
                handled = (Ticket(line=refused_line(str(message))), None)
            else:
                handled = None
            if handled is not None:
                out.append(handled)
        return out

    def _part(
        self, part: PartIdentifier, raw: str | None, *, quiet: bool = False
    ) -> tuple[Ticket, NewEvent | None] | None:
        """The read of one part; None for a camera's repeat read that was already reported within the window."""
        uid, info, now = part.uid, part_info(part), self.clock()
        repeat = self.dedupe.repeat(uid, now)
        said = self.quiet_lines.due(uid, now) if quiet else True
        if repeat:
            if not said:
                return None
            window = f"{self.cfg.dedupe_window:g}"
            return Ticket(line=ok_line(uid, info, f"repeat read within {window} s, recorded once")), None
        if self.cfg.mode == "assemble":
            return self._assembly_step(self.assembler.add(uid), ok_line(uid, info))
        try:
            event = scan_event(self.cfg, uid, now, raw)
        except LedgerError as err:  # the identifier parsed but its event cannot be built: refuse this read only
            return Ticket(line=refused_line(f"{uid}: {err.message}")), None
        return self._waiting(event, partial(scan_verdict, uid, info), ok_line(uid, info)), event

    def _assembly_step(self, step: AssemblyStep, prefix: str) -> tuple[Ticket, NewEvent | None]:
        if step.role == "refused":
            return Ticket(line=refused_line(step.reason)), None
        if step.role == "parent":
            return Ticket(line=f"{prefix} (assembly parent: scan its parts)"), None
        progress = f"part {len(step.children)}" + (f" of {self.cfg.assemble_count}" if self.cfg.assemble_count else "")
        if step.role == "again":
            return Ticket(line=f"{prefix} (already in the assembly of {step.parent})"), None
        if step.role == "child":
            return Ticket(line=f"{prefix} ({progress} for {step.parent})"), None
        head = f"{prefix} ({progress})" if prefix else "OK end of assembly"
        if step.parent is None:  # a complete step always names its parent
            raise ValidationError("assembly completed without a parent")
        event = assembly_event(self.cfg, step.parent, step.children, self.clock())
        render = partial(assembly_verdict, head, step.parent, len(step.children))
        return self._waiting(event, render, head + f"; assembly of {step.parent}"), event

    def _waiting(self, event: NewEvent, render: Any, base: str) -> Ticket:
        return Ticket(
            event_id=event.event_id,
            render=render,
            pending_line=base + " (stored, sending)",
            offline_line=base + " (stored offline, will send)",
        )

    # -- forwarder callbacks ---------------------------------------------------------------------------------
    def _outcome(self, event: OutboxEvent, status: str, answer: dict[str, Any]) -> None:
        if self.output.resolve(event.event_id, status, answer):
            return
        if event.kind == "scan":
            line = scan_verdict(event.uid, "", status, answer)
        else:
            line = assembly_verdict("OK", event.uid, len(event.payload.get("child_uids", [])), status, answer)
        flagged = any(f in REFUSING_FLAGS for f in answer.get("anomalies") or [])
        if status == REFUSED or flagged:
            self.output.notice(f"LATE {line}")

    def _offline(self, exc: Exception, was_online: bool) -> None:
        self.output.set_offline(True)
        if was_online:
            self.output.notice(f"notice: ledger unreachable ({exc}); reads are stored and will be sent")

    def _online(self) -> None:
        self.output.set_offline(False)
        self.output.notice("notice: ledger reachable again; sending stored reads")
