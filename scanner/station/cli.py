"""``usmca station run|status|requeue``: run a scanning station, and inspect or repair its outbox.

The lead mounts ``station_app`` as ``usmca station``; ``python -m scanner.station.cli run ...`` runs it
stand-alone. Operator lines go to stdout (one per read); notices and the exit status line go to stderr.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli_support import cli_errors, print_json
from ledger.errors import NotFound
from scanner.station.agent import StationAgent
from scanner.station.config import Mode, StationConfig, build_config
from scanner.station.outbox import Outbox
from scanner.station.sinks import ApiSink, LedgerSink, Sink
from scanner.station.sources import open_source

station_app = typer.Typer(
    help="Scanning stations: reads to EPCIS events, a durable outbox, delivery to the ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

OutboxOpt = Annotated[Path, typer.Option("--outbox", help="The station's outbox file.")]


def make_sink(cfg: StationConfig) -> Sink:
    """The sink a config names: the embedded ledger of ``home``, or the API."""
    if cfg.api_url is not None:
        return ApiSink(cfg.api_url, cfg.token or "")
    assert cfg.home is not None  # the config validator guarantees one sink
    return LedgerSink(cfg.home, cfg.org, cfg.member)


@station_app.command("run")
@cli_errors
def run_cmd(
    source: Annotated[
        str,
        typer.Option(help="dir:PATH, stdin, tcp:HOST:PORT, tcp-listen:HOST:PORT, serial:DEVICE[@BAUD], camera:N"),
    ],
    config: Annotated[Path | None, typer.Option("--config", help="Station config file (TOML, YAML, JSON).")] = None,
    home: Annotated[Path | None, typer.Option(help="Ledger home (direct embedded-ledger delivery).")] = None,
    org: Annotated[str | None, typer.Option(help="MSP id of the station's org.")] = None,
    member: Annotated[str | None, typer.Option(help="The station's member identity.")] = None,
    station: Annotated[str | None, typer.Option("--station", help="Station id registered on the ledger.")] = None,
    outbox: Annotated[Path | None, typer.Option(help="Outbox file (default station-<ID>.outbox.db).")] = None,
    api: Annotated[str | None, typer.Option("--api", help="API base URL (instead of --home).")] = None,
    token: Annotated[str | None, typer.Option(help="API bearer token.")] = None,
    mode: Annotated[Mode | None, typer.Option(help="observe, or assemble (parent, then its parts).")] = None,
    dedupe_window: Annotated[float | None, typer.Option(help="Seconds in which repeats are one event.")] = None,
    biz_step: Annotated[str | None, typer.Option(help="CBV business step (e.g. inspecting, receiving).")] = None,
    disposition: Annotated[str | None, typer.Option(help="CBV disposition (e.g. active, in_progress).")] = None,
    read_point: Annotated[str | None, typer.Option(help="EPCIS read point (default: the registered one).")] = None,
    biz_location: Annotated[str | None, typer.Option(help="EPCIS business location.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Events per ledger transaction.")] = None,
    assemble_count: Annotated[int | None, typer.Option(help="Parts per assembly (assemble mode).")] = None,
    terminator: Annotated[str | None, typer.Option(help="Code that ends an assembly (assemble mode).")] = None,
    answer_wait: Annotated[float | None, typer.Option(help="Seconds a line waits for the ledger.")] = None,
    drain_seconds: Annotated[float | None, typer.Option(help="Seconds spent delivering on shutdown.")] = None,
    once: Annotated[bool, typer.Option("--once", help="dir: source: stop when the folder is empty.")] = False,
) -> None:
    """Run a station: one line per read on stdout (OK / REFUSED), a status line on stderr when it stops.

    Stops cleanly on SIGTERM / SIGINT (storing every read already received, delivering for --drain-seconds) or
    when the source ends (stdin closed; a dir: folder emptied with --once).
    """
    cfg = build_config(
        config,
        home=home,
        org=org,
        member=member,
        station_id=station,
        outbox=outbox,
        api_url=api,
        token=token,
        mode=mode,
        dedupe_window=dedupe_window,
        biz_step=biz_step,
        disposition=disposition,
        read_point=read_point,
        biz_location=biz_location,
        batch_size=batch_size,
        assemble_count=assemble_count,
        terminator=terminator,
        answer_wait=answer_wait,
        drain_seconds=drain_seconds,
    )
    src = open_source(source, once=once)
    agent = StationAgent(cfg, src, make_sink(cfg))

    def _stop(signum: int, frame: Any) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"station {cfg.station_id}: reading {src.name}, outbox {cfg.outbox_path}", err=True)
    summary = agent.run()
    typer.echo(summary.status_line(cfg.station_id, str(cfg.outbox_path)), err=True)


def _open_existing(path: Path) -> Outbox:
    if not path.is_file():
        raise NotFound(f"outbox {path} does not exist", value=str(path))
    return Outbox(path)


@station_app.command("status")
@cli_errors
def status_cmd(outbox: OutboxOpt) -> None:
    """Print an outbox's counts, its last delivery error, and the events it refused."""
    box = _open_existing(outbox)
    try:
        refused = [
            {"event_id": e.event_id, "uid": e.uid, "kind": e.kind, "error": (e.outcome or {}).get("error")}
            for e in box.events("refused")
        ]
        print_json({"outbox": str(outbox), **box.counts(), "last_error": box.last_error(), "refused_events": refused})
    finally:
        box.close()


@station_app.command("requeue")
@cli_errors
def requeue_cmd(outbox: OutboxOpt) -> None:
    """Put refused events back to pending (after fixing the cause); the next run resends them."""
    box = _open_existing(outbox)
    try:
        print_json({"outbox": str(outbox), "requeued": box.requeue_refused()})
    finally:
        box.close()


def main() -> None:
    """Run ``station`` stand-alone (``python -m scanner.station.cli run ...``)."""
    station_app(prog_name="usmca station", args=sys.argv[1:])


if __name__ == "__main__":
    main()
