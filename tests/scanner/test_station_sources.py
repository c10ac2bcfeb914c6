"""Read sources: CR/LF line splitting on each transport (pipe, TCP client, TCP listen, serial pty), image folders."""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from ledger.errors import ValidationError
from scanner.datamatrix import decode, encode
from scanner.station.sources import (
    DirectorySource,
    Read,
    SerialSource,
    StreamSource,
    TcpClientSource,
    TcpListenSource,
    open_source,
    split_lines,
)

GS = "\x1d"
CODES = [f"]d20100628000123453{GS}21S00000{i}" for i in range(3)]


@pytest.mark.parametrize(
    ("data", "lines", "rest"),
    [
        (b"A\r\nB\r\n", ["A", "B"], b""),
        (b"A\nB\rC\r\n", ["A", "B", "C"], b""),
        (b"A\r\n\r\nB", ["A"], b"B"),  # empty lines skipped, partial line kept
        (b"\r\n", [], b""),
        (b"no end", [], b"no end"),
        (b"01\x1d21X\x1e\x04\r\n", ["01\x1d21X\x1e\x04"], b""),  # control characters survive
        (b"caf\xe9\n", ["caf\xe9"], b""),  # bytes as Latin-1, never a decode error
    ],
)
def test_split_lines(data: bytes, lines: list[str], rest: bytes) -> None:
    buf = bytearray(data)
    assert split_lines(buf) == lines
    assert bytes(buf) == rest


def test_stdin_pipe_lines_and_unterminated_last_line() -> None:
    r, w = os.pipe()
    os.write(w, ("\r\n".join(CODES[:2]) + "\r\n" + CODES[2]).encode("latin-1"))
    os.close(w)
    with os.fdopen(r, "rb") as stream:
        reads = list(StreamSource(stream))
    assert [x.text for x in reads] == CODES
    assert {x.origin for x in reads} == {"stdin"}


def test_tcp_client_reads_split_packets_and_reconnects() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        src = TcpClientSource("127.0.0.1", port)
        got: queue.Queue[Read] = queue.Queue()
        threading.Thread(target=lambda: [got.put(x) for x in src], daemon=True).start()
        conn, _ = server.accept()
        data = ("\r\n".join(CODES) + "\r\n").encode("latin-1")
        for i in range(0, len(data), 7):  # a reader's output arrives in arbitrary pieces
            conn.sendall(data[i : i + 7])
            time.sleep(0.002)
        conn.sendall(b"TRUNCATED")  # the reader drops mid-code: that partial code is not a read
        conn.close()
        conn, _ = server.accept()  # the station reconnects by itself
        conn.sendall(b"AFTER\r\n")
        reads = [got.get(timeout=10) for _ in range(4)]
        src.stop()
        conn.close()
    assert [x.text for x in reads] == [*CODES, "AFTER"]
    assert reads[0].origin == f"tcp:127.0.0.1:{port}"


def test_tcp_listen_accepts_pushing_readers_in_turn() -> None:
    src = TcpListenSource("127.0.0.1", 0)
    port = src.bound_port
    got: queue.Queue[Read] = queue.Queue()
    threading.Thread(target=lambda: [got.put(x) for x in src], daemon=True).start()
    for text in ("ONE\nTWO\n", "THREE\r\n"):
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(text.encode())
    reads = [got.get(timeout=10) for _ in range(3)]
    src.stop()
    assert [x.text for x in reads] == ["ONE", "TWO", "THREE"]


def test_serial_port_through_a_pty() -> None:
    master, slave = os.openpty()
    try:
        src = SerialSource(os.ttyname(slave), 115200)
        got: queue.Queue[Read] = queue.Queue()
        t = threading.Thread(target=lambda: [got.put(x) for x in src], daemon=True)
        t.start()
        time.sleep(0.3)  # let pyserial open the port and set raw mode
        os.write(master, ("\r".join(CODES) + "\r").encode("latin-1"))
        reads = [got.get(timeout=10) for _ in range(3)]
        src.stop()
        t.join(timeout=5)
        assert not t.is_alive()
    finally:
        os.close(master)
        os.close(slave)
    assert [x.text for x in reads] == CODES
    assert reads[0].origin.startswith("serial:/dev/")


def test_serial_port_that_cannot_be_opened_is_an_error(tmp_path: Path) -> None:
    import serial

    with pytest.raises(serial.SerialException, match="nosuchtty"):
        list(SerialSource(str(tmp_path / "nosuchtty")))


def test_directory_of_png_images(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for i, text in enumerate(CODES):
        Image.fromarray(encode(text.removeprefix("]d2")).to_image(module_px=6)).save(folder / f"img{i}.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    reads = list(DirectorySource(folder, once=True))
    assert [Path(r.origin).name for r in reads] == ["broken.png", "img0.png", "img1.png", "img2.png"]
    assert reads[0].frame is None
    assert [decode(r.frame)[0].part.uid for r in reads[1:]] == [
        f"https://id.gs1.org/01/00628000123453/21/S00000{i}" for i in range(3)
    ]
    assert not reads[1].quiet
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["broken.png", "img0.png", "img1.png", "img2.png"]
    assert list(DirectorySource(folder, once=True)) == []  # a restart does not read them again


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tcp:nohost", "source 'tcp:nohost' needs HOST:PORT"),
        ("tcp-listen:127.0.0.1:x", "source 'tcp-listen:127.0.0.1:x' needs HOST:PORT"),
        ("serial:/dev/ttyS0@fast", "serial baud rate 'fast' is not a number"),
        ("ftp:x", "unknown source 'ftp:x'; use dir:PATH, stdin, tcp:HOST:PORT, tcp-listen:HOST:PORT, "
         "serial:DEVICE or camera:N"),
        ("dir:/nonexistent/folder", "image folder /nonexistent/folder does not exist"),
    ],
)  # fmt: skip
def test_open_source_errors(spec: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        open_source(spec)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("spec", "kind", "name"),
    [
        ("stdin", StreamSource, "stdin"),
        ("tcp:127.0.0.1:2001", TcpClientSource, "tcp:127.0.0.1:2001"),
        ("serial:/dev/ttyUSB0@115200", SerialSource, "serial:/dev/ttyUSB0"),
    ],
)
def test_open_source_spellings(spec: str, kind: type, name: str) -> None:
    src = open_source(spec)
    assert isinstance(src, kind)
    assert src.name == name
