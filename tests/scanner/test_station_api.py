"""The API sink against a real uvicorn server on 127.0.0.1: delivery, isolation, assemblies, outages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.core.settings import Settings
from scanner.station.events import assembly_event, scan_event
from scanner.station.outbox import DELIVERED, REFUSED, Outbox
from scanner.station.sinks import ApiSink, SinkUnavailable
from tests.api.conftest import RunningServer, credentials, free_port, start_server
from tests.helpers import SUPPLIER
from tests.scanner.test_station_sinks import commission, ledger_scans, station_config, stored, uid


class Api:
    """A server over a commissioned home that can be stopped and started again on the same port."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.token = credentials(home)[0][(SUPPLIER, "station1")]
        self.settings = Settings(home=home, host="127.0.0.1", port=free_port(), readmodel_poll_seconds=0.02)
        self.running: RunningServer | None = start_server(self.settings)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def start(self) -> None:
        self.running = start_server(self.settings)


@pytest.fixture
def api(ledger_home: Path) -> Iterator[Api]:
    server = Api(commission(ledger_home, 10))
    yield server
    server.stop()


def test_batch_then_replay_through_the_api(api: Api, tmp_path: Path) -> None:
    cfg = station_config(api.home, tmp_path)
    events = stored(Outbox(tmp_path / "ob.db"), [scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(4)])
    sink = ApiSink(api.url, api.token)
    first = sink.deliver(events)
    assert [(first[e.event_id][0], first[e.event_id][1]["duplicate"]) for e in events] == [(DELIVERED, False)] * 4
    again = sink.deliver(events)
    assert [again[e.event_id][1]["duplicate"] for e in events] == [True] * 4
    assert sorted(ledger_scans(api.home)) == sorted((e.uid, e.event_id) for e in events)
    sink.close()


def test_bad_item_isolated_through_the_api(api: Api, tmp_path: Path) -> None:
    cfg = station_config(api.home, tmp_path)
    good = [scan_event(cfg, uid(i), 1_790_000_000.0 + i) for i in range(4)]
    bad = scan_event(cfg.model_copy(update={"read_point": "urn:usmca:readpoint:SupplierMSP:x"}), uid(8), 1.8e9)
    events = stored(Outbox(tmp_path / "ob.db"), [*good[:2], bad, *good[2:]])
    out = ApiSink(api.url, api.token).deliver(events)
    assert out[bad.event_id][0] == REFUSED
    assert out[bad.event_id][1]["error"]["message"] == (
        "scan read_point 'urn:usmca:readpoint:SupplierMSP:x' is not the read point "
        "'urn:usmca:readpoint:SupplierMSP:sup-st1' registered for station sup-st1"
    )
    assert {out[e.event_id][0] for e in good} == {DELIVERED}
    assert sorted(ledger_scans(api.home)) == sorted((e.uid, e.event_id) for e in good)


def test_assembly_through_the_api(api: Api, tmp_path: Path) -> None:
    cfg = station_config(api.home, tmp_path, mode="assemble", assemble_count=2)
    ev = assembly_event(cfg, uid(0), (uid(1), uid(2)), time.time())
    out = ApiSink(api.url, api.token).deliver(stored(Outbox(tmp_path / "ob.db"), [ev]))
    status, doc = out[ev.event_id]
    assert (status, doc["parent_uid"], doc["child_uids"], doc["event_hash"]) == (
        DELIVERED, uid(0), [uid(1), uid(2)], ev.event_id
    )  # fmt: skip


def test_server_down_and_bad_token_are_outages(api: Api, tmp_path: Path) -> None:
    cfg = station_config(api.home, tmp_path)
    events = stored(Outbox(tmp_path / "ob.db"), [scan_event(cfg, uid(1), 1_790_000_000.0)])
    with pytest.raises(SinkUnavailable) as info:
        ApiSink(api.url, "not-a-token").deliver(events)
    assert info.value.message == f"API {api.url}: unknown or revoked credential"
    assert len(ledger_scans(api.home)) == 0
    api.stop()
    sink = ApiSink(api.url, api.token, timeout=2)
    with pytest.raises(SinkUnavailable, match=f"^API {api.url}: ConnectError"):
        sink.deliver(events)
    api.start()
    assert sink.deliver(events)[events[0].event_id][0] == DELIVERED
    assert len(ledger_scans(api.home)) == 1
