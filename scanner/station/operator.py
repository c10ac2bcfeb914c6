"""What the operator sees: exactly one line per read, in read order, printed only once the read is durable.

``OK <uid> <part/lot>`` when the ledger accepted the read, ``REFUSED <reason>`` when the scan is unreadable or
the ledger flags it (unknown part, not in our custody, consumed, decommissioned, clone suspected). A line waits
for the ledger's verdict for at most ``answer_wait`` seconds; when the ledger is unreachable (or slow) it says
the read is stored and will be sent, and a verdict arriving later is reported on stderr as a ``LATE`` notice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from chaincode.anomalies import CLOCK_SKEW, CONSUMED, DECOMMISSIONED, IMPOSSIBLE_TRAVEL, NOT_IN_CUSTODY, UNKNOWN_PART
from scanner.identifiers import PartIdentifier
from scanner.station.outbox import REFUSED

#: Ledger flags that refuse a read at the station, with the words the operator sees.
REFUSING_FLAGS = {
    UNKNOWN_PART: "unknown part",
    NOT_IN_CUSTODY: "not in our custody",
    CONSUMED: "already consumed",
    DECOMMISSIONED: "decommissioned",
    IMPOSSIBLE_TRAVEL: "clone suspected",
}
#: Flags that do not make the part wrong: the read is OK with a warning.
WARNING_FLAGS = {CLOCK_SKEW: "station clock is ahead of the ledger"}

Render = Callable[[str, dict[str, Any]], str]


def part_info(part: PartIdentifier) -> str:
    """``part <number or GTIN> lot <lot>`` from what the code itself carries (empty when it carries neither)."""
    bits = []
    number = part.part_number or part.gtin
    if number:
        bits.append(f"part {number}")
    if part.lot:
        bits.append(f"lot {part.lot}")
    return " ".join(bits)


def ok_line(uid: str, info: str = "", note: str = "") -> str:
    """``OK <uid> [info] [(note)]``."""
    return " ".join(x for x in ("OK", uid, info, f"({note})" if note else "") if x)


def refused_line(reason: str) -> str:
    """``REFUSED <reason>`` on one line whatever the reason holds."""
    return "REFUSED " + " ".join(reason.split())


def scan_verdict(uid: str, info: str, status: str, answer: dict[str, Any]) -> str:
    """The line for a scan the ledger answered: OK, OK with a warning, or REFUSED with the flags' reasons."""
    if status == REFUSED:
        return refused_line(f"ledger refused the read of {uid}: {_error_text(answer)}")
    flags = list(answer.get("anomalies") or answer.get("flags") or [])
    details = answer.get("anomaly_details") or {}
    bad = [f for f in flags if f in REFUSING_FLAGS]
    if bad:
        return refused_line("; ".join(f"{REFUSING_FLAGS[f]}: {details.get(f) or uid}" for f in bad))
    warnings = [WARNING_FLAGS.get(f, f) for f in flags]
    return ok_line(uid, info, "; ".join(f"warning: {w}" for w in warnings))


def assembly_verdict(prefix: str, parent: str, n: int, status: str, answer: dict[str, Any]) -> str:
    """The line for a closed assembly the ledger answered."""
    if status == REFUSED:
        return refused_line(f"assembly of {parent} refused: {_error_text(answer)}")
    return f"{prefix}; assembled {parent} from {n} part{'s' if n != 1 else ''}"


def _error_text(answer: dict[str, Any]) -> str:
    err = answer.get("error") or {}
    return str(err.get("message") or err or answer)


@dataclass
class Ticket:
    """One read's line: fixed (``line``), or waiting for the ledger's answer to ``event_id`` (``render``)."""

    line: str | None = None
    event_id: str | None = None
    render: Render | None = None
    pending_line: str = ""
    offline_line: str = ""
    ready: bool = False
    deadline: float = 0.0
    outcome: tuple[str, dict[str, Any]] | None = field(default=None)


class OperatorOutput:
    """Prints tickets in read order from its own thread, each once it is durable and answered (or waited for)."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        answer_wait: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out, self._err = out, err
        self._wait = answer_wait
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque[Ticket] = deque()
        self._waiting: dict[str, Ticket] = {}
        self._offline = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="station-operator", daemon=True)
        self.printed = 0
        self.refused = 0

    def start(self) -> None:
        """Start printing."""
        self._thread.start()

    def add(self, tickets: list[Ticket]) -> None:
        """Queue tickets (before their events are appended, so that a fast answer finds them)."""
        with self._cond:
            for t in tickets:
                self._queue.append(t)
                if t.event_id is not None and t.line is None:
                    self._waiting[t.event_id] = t

    def stored(self, tickets: list[Ticket]) -> None:
        """The tickets' events are durable: their lines may be printed."""
        now = self._clock()
        with self._cond:
            for t in tickets:
                t.ready, t.deadline = True, now + self._wait
            self._cond.notify_all()

    def resolve(self, event_id: str, status: str, answer: dict[str, Any]) -> bool:
        """The ledger answered; False when no line waits for it (already printed, or from an earlier run)."""
        with self._cond:
            t = self._waiting.pop(event_id, None)
            if t is None:
                return False
            t.outcome = (status, answer)
            self._cond.notify_all()
            return True

    def set_offline(self, offline: bool) -> None:
        """Lines stop waiting for answers while the ledger is unreachable."""
        with self._cond:
            self._offline = offline
            self._cond.notify_all()

    def notice(self, text: str) -> None:
        """A message for the operator that is not a read's line (stderr)."""
        self._err.write(text + "\n")
        self._err.flush()

    def close(self) -> None:
        """Print every remaining line (unanswered ones say the read is stored) and stop."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout=60)

    def _printable(self, t: Ticket) -> str | None:
        if not t.ready:
            return None
        if t.line is not None:
            return t.line
        if t.outcome is not None and t.render is not None:
            return t.render(*t.outcome)
        if self._offline:
            return t.offline_line
        if self._closing or self._clock() >= t.deadline:
            return t.pending_line
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                line = None
                while line is None:
                    if not self._queue:
                        if self._closing:
                            return
                        self._cond.wait(0.2)
                        continue
                    head = self._queue[0]
                    line = self._printable(head)
                    if line is None:
                        if self._closing and not head.ready:
                            self._queue.popleft()
                            continue
                        self._cond.wait(0.05 if head.ready else 0.2)
                        continue
                    self._queue.popleft()
                    if head.event_id is not None:
                        self._waiting.pop(head.event_id, None)
            self._out.write(line + "\n")
            self._out.flush()
            self.printed += 1
            if line.startswith("REFUSED"):
                self.refused += 1
