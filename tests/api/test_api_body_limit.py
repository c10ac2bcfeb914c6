"""The request-size limit: a Content-Length over ``max_body_bytes`` is refused with 413 before the body is read."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from api.core.settings import Settings
from tests.api.conftest import ApiServer


def _raw_post(base_url: str, path: str, length: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request whose Content-Length we choose (HTTP clients always compute it) and read the answer."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        head = f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        s.sendall(f"{head}Content-Length: {length}\r\nConnection: close\r\n\r\n".encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    header, _, payload = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, payload


def test_oversized_content_length_is_413_problem_without_reading_the_body(api_server: ApiServer) -> None:
    limit = Settings.model_fields["max_body_bytes"].default
    status, headers, payload = _raw_post(api_server.base_url, "/v1/scans", str(limit + 1), b"{}")
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(payload)
    assert problem["type"].endswith("/payload_too_large")
    assert problem["detail"] == f"request body of {limit + 1} bytes exceeds the limit of {limit} bytes"
    assert (problem["instance"], problem["value"]) == ("/v1/scans", str(limit + 1))


def test_a_body_within_the_limit_reaches_the_route(api_server: ApiServer) -> None:
    body = b'{"scans": []}'
    status, _, payload = _raw_post(api_server.base_url, "/v1/scans/batch", str(len(body)), body)
    assert status == 401, payload  # past the limit: the route's authentication answers
