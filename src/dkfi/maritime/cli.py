"""``dkfi ais``: import files, listen to live feeds, statistics."""
from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dkfi.cli.console import print_table, table, when
from dkfi.core.config import get_settings
from dkfi.core.db import get_engine, session_scope
from dkfi.maritime import service
from dkfi.maritime.formats import FORMATS

app = typer.Typer(help="AIS: import files, listen to live feeds, show statistics.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def _format_ok(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


def _decoder_ok(value: str | None) -> str | None:
    from dkfi.maritime.sources.decoders import get_decoder

    try:
        get_decoder(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def accounting_table(title: str, d: dict) -> Table:
    t = table("what", "count", keep=("count",), right=("count",), title=title)
    t.add_row("received", f"{d['received']:,}")
    t.add_row("accepted", f"{d['accepted']:,}")
    if d.get("comments"):
        t.add_row("  comments", f"{d['comments']:,}")
    t.add_row("duplicates", f"{d['duplicates']:,}")
    rejected = d["rejected"]
    t.add_row("rejected", f"{sum(rejected.values()):,}")
    for reason, n in sorted(rejected.items(), key=lambda kv: -kv[1]):
        t.add_row(f"  {reason}", f"{n:,}")
    if "vessels" in d:
        t.add_row("vessels", f"{d['vessels']:,}")
    return t


@app.command("import")
def import_(
    paths: List[Path] = typer.Argument(..., help="AIS files or folders (plain or gzip)"),
    format: str = typer.Option("auto", "--format", "-f", callback=_format_ok,
                               help="auto | nmea | dma-csv | digitraffic (auto reads the content)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object with the accounting on stdout"),
    force: bool = typer.Option(False, "--force",
                               help="import a file again even if the same file (same bytes) was imported before"),
    decoder: Optional[str] = typer.Option(None, "--decoder", callback=_decoder_ok,
                                          help="AIS decoder of NMEA files: columnar (default) | pyais | aiscat | "
                                               "marlin; default DKFI_AIS_DECODER or columnar"),
) -> None:
    """Import AIS files into the vessel picture and its history.

    Every input unit (line, row, message) is accepted, counted as a duplicate, or rejected with a
    reason; received = accepted + duplicates + rejected (comment lines are accepted and counted
    apart). Bad files are reported and skipped, keeping what could be read of them. A file imported
    before (the same bytes) is skipped, so the history never holds it twice; --force imports it again.
    """
    settings = get_settings()
    engine = get_engine(settings.effective_database_url)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} units"), TimeElapsedColumn(), console=err,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task("importing", total=None)

        def on_file(path: Path, size: int) -> None:
            progress.update(task, description=f"importing {path.name}")

        report = service.import_paths(engine, paths, settings, fmt=format, on_file=on_file,
                                      progress=lambda n: progress.advance(task, n), force=force, decoder=decoder)
    d = report.as_dict()
    for f in report.skipped:
        err.print(f"[yellow]note:[/] {escape(f.skipped or '')}")
    if report.skipped:
        err.print("(--force imports a file again)")
    for f in report.errors:
        err.print(f"[red]error:[/] {escape(f.error or '')}")
    if as_json:
        out = {k: d[k] for k in ("received", "accepted", "duplicates", "rejected", "comments", "vessels")}
        out["files"] = d["files"]
        typer.echo(json.dumps(out))
    else:
        err.print(accounting_table("AIS import", d))
    if report.errors:
        raise typer.Exit(1)


@app.command()
def listen(
    tcp: Optional[str] = typer.Option(None, "--tcp", help="connect to an NMEA TCP server HOST:PORT"),
    udp: Optional[int] = typer.Option(None, "--udp", help="listen for NMEA UDP datagrams on PORT"),
    udp_host: str = typer.Option("127.0.0.1", "--udp-host", help="address to bind the UDP listener to"),
    mqtt: Optional[str] = typer.Option(None, "--mqtt", help="Digitraffic-shaped MQTT broker URL, e.g. mqtt://127.0.0.1:1883"),
    record: Optional[Path] = typer.Option(None, "--record", help="with --mqtt: append raw messages as JSON lines"),
    seconds: Optional[float] = typer.Option(None, "--seconds", help="stop after this many seconds"),
) -> None:
    """Listen to one live source and keep the vessel picture current until stopped (Ctrl-C)."""
    chosen = [x for x in (tcp, udp, mqtt) if x is not None]
    if len(chosen) != 1:
        raise typer.BadParameter("name exactly one source: --tcp HOST:PORT, --udp PORT or --mqtt URL")
    settings = get_settings()
    engine = get_engine(settings.effective_database_url)
    from dkfi.core.bus import get_bus

    feed = service.LiveFeed(engine, settings, get_bus())
    try:
        acc = asyncio.run(_listen(feed, tcp, udp, udp_host, mqtt, record, seconds))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    d = acc.as_dict()
    d["vessels"] = len(feed.pipeline.vessels_seen)
    err.print(accounting_table("AIS listen", d))


async def _listen(feed, tcp, udp, udp_host, mqtt, record, seconds):
    from dkfi.maritime.sources import net

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    if seconds:
        loop.call_later(seconds, stop.set)
    if tcp is not None:
        host, port = net.parse_endpoint(tcp)
        items = service.lines_to_items(
            net.tcp_lines(host, port, stop=stop, on_state=lambda s: err.print(f"tcp {tcp}: {s}")), f"tcp:{tcp}")
    elif udp is not None:
        if not 1 <= udp <= 65535:
            raise ValueError(f"UDP port must be 1-65535, got {udp}")
        items = service.lines_to_items(net.udp_lines(udp, udp_host, stop=stop), f"udp:{udp}")
    else:
        from dkfi.maritime.sources.digitraffic import subscribe

        items = subscribe(mqtt, stop=stop, record_to=record)
    runner = asyncio.create_task(feed.run(items, stop))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    try:
        return await asyncio.wait_for(runner, timeout=10)
    except asyncio.TimeoutError:
        runner.cancel()
        return feed.pipeline.acc


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Counts of the vessel picture (by station kind), ingest runs and the Parquet history."""
    settings = get_settings()
    engine = get_engine(settings.effective_database_url)
    with session_scope(engine) as s:
        d = service.stats(s, service.make_store(engine, settings))
    if as_json:
        typer.echo(json.dumps(d, default=str))
        return
    t = table("what", "value", keep=("value",), right=("value",), title="AIS picture")
    t.add_row("vessels", f"{d['vessels']:,}")
    for k, v in sorted(d["by_station"].items()):
        t.add_row(f"  station {k}", f"{v:,}")
    t.add_row("with position", f"{d['vessels_with_position']:,}")
    t.add_row("newest position (UTC)", when(d["newest_position"]) or "none")
    t.add_row("ingest runs", f"{d['ingest_runs']:,}")
    t.add_row("units received / accepted / duplicates",
              f"{d['received']:,} / {d['accepted']:,} / {d['duplicates']:,}")
    t.add_row("history positions", f"{d['history_positions']:,}")
    days = d["history_days"]
    t.add_row("history days", f"{len(days)} ({days[0]} .. {days[-1]})" if days else "0")
    print_table(t)
