"""Where reads come from: scanners that send text lines, and image sources that must be decoded.

Hardware scanners send each decoded code as text terminated by CR, LF or CR LF: as a keyboard wedge (stdin), on
a serial port, or over TCP (industrial readers such as Cognex DataMan or Keyence SR act as a TCP server that the
station connects to; some push to a listening host instead). Image sources (a folder of image files, a camera)
yield frames that the Data Matrix decoder reads. Every source is an iterator of :class:`Read` and stops when its
input ends or :meth:`Source.stop` is called.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import ValidationError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
_EOL = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class Read:
    """One read: the transmitted text, or a frame (numpy array) to decode, and where it came from.

    ``quiet`` frames (a camera's continuous video) produce no operator line when no code is found in them; a
    file dropped into a folder is one deliberate read, so finding nothing in it is reported.
    """

    origin: str
    text: str | None = None
    frame: Any = None
    quiet: bool = False


def split_lines(buffer: bytearray) -> list[str]:
    """Pop complete CR/LF-terminated lines off a buffer (empty lines, e.g. the LF of CR LF, are skipped).

    Bytes are read as Latin-1 so that control characters a scanner transmits (GS, RS, EOT) survive unchanged.
    """
    lines: list[str] = []
    end = 0
    for m in _EOL.finditer(buffer):
        if m.start() > end:
            lines.append(bytes(buffer[end : m.start()]).decode("latin-1"))
        end = m.end()
    del buffer[:end]
    return lines


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Source:
    """Base: a stoppable iterator of reads.

    ``frames`` sources yield images to decode and ``live`` ones cannot be paused (a camera): the agent sizes its
    queue from these. ``on_notice`` receives one-line messages for the operator (the agent sets it to its
    notice output).
    """

    name = "source"
    frames = False
    live = False

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.on_notice: Callable[[str], None] = _to_stderr

    def stop(self) -> None:
        """Ask the source to end."""
        self._stop.set()

    def __iter__(self) -> Iterator[Read]:
        return self.reads()

    def reads(self) -> Iterator[Read]:
        """Yield reads until the input ends or stop() is called."""
        raise NotImplementedError


class StreamSource(Source):
    """Lines from a file object (stdin as a keyboard wedge, or a pipe)."""

    name = "stdin"

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self._stream = stream if stream is not None else sys.stdin.buffer

    def reads(self) -> Iterator[Read]:
        """One read per non-empty line."""
        buf = bytearray()
        fd = self._stream.fileno()
        while not self._stop.is_set():
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf.extend(chunk)
            for line in split_lines(buf):
                yield Read(self.name, text=line)
        if buf:
            yield Read(self.name, text=buf.decode("latin-1"))


class _SocketLines(Source):
    """Shared line reading for the TCP sources."""

    def _lines(self, sock: socket.socket, origin: str) -> Iterator[Read]:
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ)
        buf = bytearray()
        try:
            while not self._stop.is_set():
                if not sel.select(timeout=0.2):
                    continue
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf.extend(chunk)
                for line in split_lines(buf):
                    yield Read(origin, text=line)
        finally:
            sel.close()
            sock.close()


class TcpClientSource(_SocketLines):
    """Connect to a reader that serves results on a TCP port; reconnect with backoff when it drops."""

    def __init__(self, host: str, port: int, *, retry_max: float = 5.0) -> None:
        super().__init__()
        self.host, self.port, self._retry_max = host, port, retry_max
        self.name = f"tcp:{host}:{port}"

    def reads(self) -> Iterator[Read]:
        """Reads from every connection, in order."""
        delay = 0.1
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2)
            except OSError:
                self._stop.wait(delay)
                delay = min(self._retry_max, delay * 2)
                continue
            delay = 0.1
            sock.settimeout(None)
            yield from self._lines(sock, self.name)


class TcpListenSource(_SocketLines):
    """Listen for readers that push results to the station (one connection at a time, in order)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host, self.port = host, port
        self.name = f"tcp-listen:{host}:{port}"
        self._server = socket.create_server((host, port), reuse_port=False)
        self._server.settimeout(0.2)

    @property
    def bound_port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.getsockname()[1])

    def reads(self) -> Iterator[Read]:
        """Reads from each accepted connection."""
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = self._server.accept()
                except TimeoutError:
                    continue
                conn.settimeout(None)
                yield from self._lines(conn, self.name)
        finally:
            self._server.close()


class SerialSource(Source):
    """Lines from a serial port (RS-232 / USB-CDC scanners), via pyserial.

    A port that cannot be opened at start is a configuration error (raised). A scanner unplugged later is
    reopened with backoff until it is back, and the partial line it was sending is dropped: a truncated code
    could parse as another part.
    """

    def __init__(self, device: str, baudrate: int = 9600, *, retry_max: float = 5.0) -> None:
        super().__init__()
        self.device, self.baudrate = device, baudrate
        self.name = f"serial:{device}"
        self._retry_max = retry_max

    def reads(self) -> Iterator[Read]:
        """One read per line received."""
        import serial

        port: Any = serial.Serial(self.device, self.baudrate, timeout=0.2)
        delay = 0.1
        while not self._stop.is_set():
            buf = bytearray()
            try:
                while not self._stop.is_set():
                    chunk = port.read(4096)
                    if chunk:
                        buf.extend(chunk)
                        for line in split_lines(buf):
                            yield Read(self.name, text=line)
            except (serial.SerialException, OSError):
                pass
            finally:
                port.close()
            while not self._stop.wait(delay):
                try:
                    port = serial.Serial(self.device, self.baudrate, timeout=0.2)
                    delay = 0.1
                    break
                except (serial.SerialException, OSError):
                    delay = min(self._retry_max, delay * 2)


class DirectorySource(Source):
    """Image files dropped into a folder (a fixed camera saving frames, or a batch of photos).

    Each file is yielded once as a frame and then moved to ``done/`` so a restart does not read it twice.
    With ``once`` the source ends when the folder is empty instead of waiting for more.
    """

    frames = True

    def __init__(self, path: Path, *, once: bool = False, poll: float = 0.2) -> None:
        super().__init__()
        self.path = Path(path)
        if not self.path.is_dir():
            raise ValidationError(f"image folder {self.path} does not exist", value=str(self.path))
        self.done = self.path / "done"
        self.done.mkdir(exist_ok=True)
        self.name = f"dir:{self.path}"
        self._once, self._poll = once, poll

    def reads(self) -> Iterator[Read]:
        """Frames in file-name order."""
        import numpy as np
        from PIL import Image

        while not self._stop.is_set():
            files = sorted(p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            for f in files:
                try:
                    with Image.open(f) as im:
                        frame = np.asarray(im.convert("L"))
                except OSError:
                    frame = None
                yield Read(f"{self.name}/{f.name}", frame=frame)
                with contextlib.suppress(OSError):
                    f.replace(self.done / f.name)
            if self._once and not files:
                return
            if not files:
                time.sleep(self._poll)


class CameraSource(Source):
    """Frames from a camera (``camera:0``) or a video file (``camera:/path/video.avi``), through OpenCV.

    OpenCV is the optional ``camera`` extra (docs/decisions.md, Station agent). The device or file is opened
    here, when the source is built, so a missing OpenCV, a missing file or a camera that cannot be opened is
    a start-up error (one line, exit 2) rather than a failure of the running station. Every frame is a quiet
    read: a video shows no code most of the time.

    A video file ends the source at its last frame. A live camera (a camera index, or ``live=True``) that fails
    to deliver a frame was unplugged or reset: it is not the end of the shift, so the source says so in one
    notice, reopens it with backoff (``opener``, up to ``retry_max`` seconds apart) and says when it is back.
    """

    frames = True

    def __init__(
        self,
        spec: str,
        *,
        every: int = 1,
        live: bool | None = None,
        retry_max: float = 5.0,
        opener: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__()
        self.spec, self._every = spec, max(1, every)
        self.name = f"camera:{spec}"
        self.live = spec.isdigit() if live is None else live
        self._retry_max = retry_max
        self._open = opener or _open_capture
        self._cap = self._open(spec)

    def reads(self) -> Iterator[Read]:
        """Grayscale frames (``origin`` ends with ``#N``, the 1-based frame number) until the file ends or stop()."""
        from scanner.datamatrix.frames import to_gray

        cap, n, lost, delay = self._cap, 0, False, 0.1
        try:
            while not self._stop.is_set():
                ok, frame = cap.read() if cap is not None else (False, None)
                if ok and frame is not None:
                    if lost:
                        lost, delay = False, 0.1
                        self.on_notice(f"notice: {self.name} is back; reading frames again")
                    n += 1
                    if n % self._every == 0:
                        yield Read(f"{self.name}#{n}", frame=to_gray(frame), quiet=True)
                    continue
                if not self.live:
                    return
                if not lost:
                    lost = True
                    self.on_notice(f"notice: {self.name} sends no frames (unplugged?); reopening it until it is back")
                if cap is not None:
                    cap.release()
                    cap = None
                # Backoff holds until a frame arrives: a device that opens but sends nothing is not retried hot.
                if self._stop.wait(delay):
                    break
                delay = min(self._retry_max, delay * 2)
                with contextlib.suppress(ValidationError):
                    cap = self._open(self.spec)
        finally:
            if cap is not None:
                cap.release()


def _open_capture(spec: str) -> Any:
    """An opened ``cv2.VideoCapture`` for a camera index or a video file, or a ValidationError saying why not."""
    try:
        import cv2
    except ImportError as exc:
        raise ValidationError(
            "camera sources need OpenCV: pip install 'usmca-ledger[camera]' (opencv-python-headless)", value=spec
        ) from exc
    if not spec.isdigit() and not Path(spec).is_file():
        raise ValidationError(f"video file {spec} does not exist", value=spec)
    cvlog = cv2.utils.logging
    level = cvlog.getLogLevel()
    cvlog.setLogLevel(cvlog.LOG_LEVEL_SILENT)  # backends print their failed attempts; we say it in one line
    try:
        cap = cv2.VideoCapture(int(spec) if spec.isdigit() else spec)
    finally:
        cvlog.setLogLevel(level)
    if not cap.isOpened():
        what = f"camera {spec}" if spec.isdigit() else f"video file {spec}"
        raise ValidationError(f"{what} cannot be opened", value=spec)
    return cap


def _host_port(text: str, spec: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValidationError(f"source {spec!r} needs HOST:PORT", value=spec)
    return host, int(port)


def open_source(spec: str, *, once: bool = False) -> Source:
    """Build a source from its command-line spelling.

    Spellings: dir:PATH, stdin, tcp:HOST:PORT, tcp-listen:HOST:PORT, serial:DEVICE[@BAUD], camera:N|FILE.
    """
    kind, _, rest = spec.partition(":")
    if spec == "stdin":
        return StreamSource()
    if kind == "dir" and rest:
        return DirectorySource(Path(rest), once=once)
    if kind == "tcp" and rest:
        return TcpClientSource(*_host_port(rest, spec))
    if kind == "tcp-listen" and rest:
        return TcpListenSource(*_host_port(rest, spec))
    if kind == "serial" and rest:
        dev, _, baud = rest.partition("@")
        if baud and not baud.isdigit():
            raise ValidationError(f"serial baud rate {baud!r} is not a number", value=baud)
        return SerialSource(dev, int(baud or 9600))
    if kind == "camera" and rest:
        return CameraSource(rest)
    raise ValidationError(
        f"unknown source {spec!r}; use dir:PATH, stdin, tcp:HOST:PORT, tcp-listen:HOST:PORT, serial:DEVICE or camera:N",
        value=spec,
    )
