"""``dkfi watch``: the critical-infrastructure watch — replay files, run live, work the alerts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dkfi.cli.console import print_table, table, when
from dkfi.core.records import record_label
from dkfi.maritime.formats import FORMATS

app = typer.Typer(help="Critical-infrastructure watch: explainable alerts for ships that threaten cables and "
                       "pipelines.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def _format_ok(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


def _detectors_ok(value: Optional[str]) -> Optional[List[str]]:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _fail(message: str, code: int = 1) -> NoReturn:
    """``error: message`` on stderr (no markup: file names and reasons print as they are), then exit ``code``."""
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


def _report_assets(load, path: Optional[Path]) -> None:
    """``assets: 91 loaded (53 cables, ...), 2 skipped`` and a line per skipped feature, on stderr; exit 1 when a
    named file gave no asset at all."""
    err.print(f"assets: {load.summary()}" + (f" from {path}" if path is not None else ""),
              markup=False, highlight=False)
    for sk in load.skipped:
        err.print(f"  skipped {sk}", markup=False, highlight=False)
    for note in load.notes:
        err.print(f"  note: {note}", markup=False, highlight=False)
    if path is not None and not load.assets:
        _fail(f"--assets {path}: no feature is a usable asset (lines or areas); see the reasons above")


@app.command()
def replay(
    paths: List[Path] = typer.Argument(..., help="AIS files (any format the picture imports)"),
    assets: Optional[Path] = typer.Option(None, "--assets", help="asset GeoJSON (default: the bundled Baltic set)"),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="watch-list CSV (imo, mmsi, name, list, reason)"),
    format: str = typer.Option("auto", "--format", "-f", callback=_format_ok, help="auto | nmea | dma-csv | digitraffic"),
    detectors: Optional[str] = typer.Option(None, "--detectors", help="comma-separated kinds (default: all)"),
    corridor_m: Optional[float] = typer.Option(None, "--corridor-m", help="protection corridor each side, metres (default 1852)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per alert on stdout"),
    save: bool = typer.Option(False, "--save", help="also store the alerts in the database"),
) -> None:
    """Run every detector over recorded AIS, in time order, and print the alerts."""
    from dkfi.maritime import service
    from dkfi.watch import service as watch

    for p in paths:
        if not p.exists():
            raise typer.BadParameter(f"{p}: no such file")
    if assets is not None and not assets.exists():
        raise typer.BadParameter(f"--assets {assets}: no such file")
    if watchlist is not None and not watchlist.exists():
        raise typer.BadParameter(f"--watchlist {watchlist}: no such file")
    try:
        ctx = watch.make_context(assets, watchlist, corridor_m)
        if ctx.assets is not None and ctx.assets.load is not None:
            _report_assets(ctx.assets.load, assets)
        runner = watch.WatchRunner(ctx, watch.make_detectors(_detectors_ok(detectors)))
        records, _ = service.load_records(paths, format)
    except watch.DetectorLoadError as exc:
        _fail(str(exc))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task("replay", total=len(records))
        for i, r in enumerate(records):
            runner.process(r)
            if i % 5000 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=len(records))
    runner.finish()
    alerts = runner.alerts()
    database = None
    if save:
        from dkfi.core.config import get_settings
        from dkfi.core.db import get_engine, session_scope

        settings = get_settings()
        with session_scope(get_engine(settings.effective_database_url)) as s:
            watch.save_alerts(s, alerts, settings.nation)
        database = settings.effective_database_url
    if as_json:
        for a in alerts:
            typer.echo(json.dumps(a.as_dict(), separators=(",", ":")))
    else:
        _alerts_table(alerts, len(records))
    err.print(_where_alerts_went(len(alerts), database), markup=False, highlight=False)


@app.command()
def evaluate(
    paths: List[Path] = typer.Argument(..., help="AIS recordings (any format the picture imports)"),
    incidents: Path = typer.Option(..., "--incidents", help="labelled incidents CSV: mmsi, start, end[, kind, family, "
                                                            "note] (docs/watch.md, 'Evaluate on your own archive')"),
    kind: str = typer.Option("anchor_drag", "--kind", help="the detector kind the labels are about"),
    assets: Optional[Path] = typer.Option(None, "--assets", help="asset GeoJSON (default: the bundled Baltic set)"),
    format: str = typer.Option("auto", "--format", "-f", callback=_format_ok, help="auto | nmea | dma-csv | digitraffic"),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows", help="evaluate the good rows of a CSV with bad ones "
                                                                      "(each reported) instead of stopping"),
    as_json: bool = typer.Option(False, "--json", help="the table as JSON on stdout (one object per family)"),
) -> None:
    """Measure the watch on a recording against labelled incidents: recall, precision, time-to-detect (minutes and
    km) and false alarms per 1,000 vessel-hours, per family of the labels.

    Exit code 2 for a missing file or a labelled-incidents CSV with bad rows (each named by line and reason)."""
    from dkfi.maritime import service
    from dkfi.watch import evaluation as ev
    from dkfi.watch import service as watch

    for p in paths:
        if not p.exists():
            raise typer.BadParameter(f"{p}: no such file", param_hint="PATHS")
    if not incidents.is_file():
        raise typer.BadParameter(f"{incidents}: no such file", param_hint="--incidents")
    if assets is not None and not assets.exists():
        raise typer.BadParameter(f"--assets {assets}: no such file")
    try:
        labels, bad = ev.read_labels(incidents, skip_bad=skip_bad_rows)
    except ev.LabelError as exc:
        err.print(f"error: {exc.path}: labelled incidents not usable:", markup=False, highlight=False)
        for line, why in exc.errors:
            err.print(f"  line {line}: {why}" if line else f"  {why}", markup=False, highlight=False)
        err.print("  expected a header row and columns mmsi,start,end[,kind,family,note]; times in ISO 8601 (UTC "
                  "unless an offset is given) or Unix seconds" + ("" if skip_bad_rows else
                                                                "; --skip-bad-rows evaluates the good rows"),
                  markup=False, highlight=False)
        raise typer.Exit(2)
    for line, why in bad:
        err.print(f"skipped {incidents} line {line}: {why}", markup=False, highlight=False)
    try:
        ctx = watch.make_context(assets)
        records, _ = service.load_records(paths, format)
        detectors = watch.make_detectors()
    except watch.DetectorLoadError as exc:
        _fail(str(exc))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if kind not in {d.kind for d in detectors}:
        raise typer.BadParameter(f"unknown kind {kind!r}; one of {', '.join(sorted(d.kind for d in detectors))}",
                                 param_hint="--kind")
    with Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task("evaluate", total=len(records))
        run = ev.run_watch(records, ctx, {lb.mmsi for lb in labels}, detectors,
                           progress=lambda i: progress.update(task, completed=i))
        progress.update(task, completed=len(records))
    rows = ev.rows(ev.score(run, labels, kind))
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r))
        return
    t = table(*ev.HEADERS, keep=("family",),
              title=f"{kind.replace('_', ' ')}: {len(labels)} labels, {len(records):,} records")
    for r in rows:
        t.add_row(*ev.cells(r))
    print_table(t)
    missed = [m for r in rows[:-1] for m in r["missed"]]
    if missed:
        err.print(f"missed: {', '.join(missed)}", markup=False, highlight=False)


def _where_alerts_went(n: int, database: str | None) -> str:
    """The last line of a replay: a replay only shows its alerts unless ``--save`` stores them (in ``database``),
    and the commands that read alerts (``dkfi watch alerts``, ``dkfi export ... alerts``, the web pages) see
    stored ones only."""
    if database is not None:
        return (f"{n} alerts stored in {_without_password(database)} (new ones as 'new'; known ones refreshed): "
                "dkfi watch alerts lists them, dkfi export geojson alerts exports them")
    if not n:
        return "0 alerts: nothing to store"
    return (f"{n} alerts shown, not stored: run the replay again with --save to keep them (dkfi watch alerts, "
            "dkfi export ... alerts and the alerts page read stored alerts only)")


def _without_password(url: str) -> str:
    """The database URL to print: its password masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL SQLAlchemy reads: say nothing of it rather than print a secret
        return "the database"


def _alerts_table(alerts, records: int) -> None:
    """The replay's alerts as a table (or one record per alert where the terminal is narrow)."""
    t = table("start UTC", "kind", "mmsi", "asset", "severity", "score", "summary",
              keep=("start UTC", "kind", "mmsi", "severity", "score"), right=("score",),
              title=f"{len(alerts)} alerts from {records:,} records")
    for a in alerts:
        t.add_row(when(a.start), a.kind, str(a.mmsi), a.asset or "", a.severity, f"{a.score:.0f}", a.summary())
    print_table(t)


@app.command("assets")
def assets_(
    path: Optional[Path] = typer.Argument(None, help="asset GeoJSON (default: the bundled Baltic set)"),
    corridor_m: Optional[float] = typer.Option(None, "--corridor-m", help="corridor each side, metres (default 1852)"),
    as_json: bool = typer.Option(False, "--json", help="the result as JSON on stdout"),
) -> None:
    """Load an asset file as the watch would: assets by kind, and every feature left out with its reason.

    Exit code 0 when at least one asset loaded, 1 when none did or the file is not GeoJSON, 2 when it is missing."""
    from dkfi.watch.assets import AssetFileError, default_assets_path, kind_words, load_assets

    file = path if path is not None else default_assets_path()
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file", param_hint="PATH")
    try:
        load = load_assets(file, **({} if corridor_m is None else {"default_corridor_m": corridor_m}))
    except AssetFileError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**load.as_dict(), "source": str(file)}))
    else:
        typer.echo(f"{file}: {load.summary()}")
        for kind, n in load.counts().items():
            typer.echo(f"  {n:5d} {kind_words(kind, n)}")
        if load.skipped:
            typer.echo("skipped:")
            for sk in load.skipped:
                typer.echo(f"  {sk}")
        if load.notes:
            typer.echo("loaded with a value replaced:")
            for note in load.notes:
                typer.echo(f"  {note}")
    if not load.assets:
        _fail(f"{file}: no feature is a usable asset (lines or areas)"
              + (f"; {len(load.skipped)} skipped, see above" if load.skipped and not as_json else ""))


@app.command("alerts")
def alerts_(
    status: Optional[str] = typer.Option(None, help="new | acknowledged | assigned | closed"),
    kind: Optional[str] = typer.Option(None, help="detector kind, e.g. anchor_drag"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List stored alerts."""
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.watch import service as watch

    with session_scope(get_engine(get_settings().effective_database_url)) as s:
        rows = watch.list_alerts(s, status=status, kind=kind)
        if as_json:
            for r in rows:
                typer.echo(json.dumps({"id": r.id, "kind": r.kind, "mmsi": r.mmsi, "asset": r.asset,
                                       "start": r.start.isoformat(), "severity": r.severity, "score": r.score,
                                       "status": r.status, "summary": r.summary}))
            return
        if not rows and not (status or kind):
            from dkfi.watch.exports import empty_export_hint

            err.print(f"no stored alerts; {empty_export_hint('alerts')}", markup=False, highlight=False)
            return
        t = table("id", "start UTC", "kind", "mmsi", "severity", "status", "summary",
                  keep=("id", "start UTC", "kind", "mmsi", "severity", "status"), right=("id",),
                  title=f"{len(rows)} alerts")
        for r in rows:
            t.add_row(str(r.id), when(r.start), r.kind, str(r.mmsi), r.severity, r.status, r.summary)
        print_table(t)


@app.command()
def act(
    alert_id: int = typer.Argument(..., help="alert id (see dkfi watch alerts)"),
    action: str = typer.Argument(..., help="acknowledge | assign | close | reopen | note"),
    actor: str = typer.Option(..., "--by", help="who takes the action"),
    unit: Optional[str] = typer.Option(None, help="with assign: the unit, e.g. 'Danish Navy MHC'"),
    nation: Optional[str] = typer.Option(None, help="with assign: DNK or FIN"),
    outcome: Optional[str] = typer.Option(None, help="with close: false_alarm | confirmed | handed_to_coast_guard | handed_to_police"),
    notes: Optional[str] = typer.Option(None, help="free text"),
) -> None:
    """Move an alert through its lifecycle: new -> acknowledged -> assigned -> closed."""
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.watch import service as watch

    try:
        with session_scope(get_engine(get_settings().effective_database_url)) as s:
            rec = watch.act(s, alert_id, action, actor, unit=unit, nation=nation, outcome=outcome, notes=notes)
            err.print(f"alert {rec.id}: {rec.status}")
    except (LookupError, watch.LifecycleError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1)


@app.command()
def live(
    host: str = typer.Option("127.0.0.1", help="address to serve on"),
    port: int = typer.Option(8000, help="port to serve on"),
    tcp: Optional[str] = typer.Option(None, "--tcp", help="NMEA TCP server HOST:PORT"),
    udp: Optional[int] = typer.Option(None, "--udp", help="NMEA UDP port"),
    mqtt: Optional[str] = typer.Option(None, "--mqtt", help="Digitraffic-shaped MQTT broker URL"),
    replay: Optional[List[Path]] = typer.Option(None, "--replay", help="recordings to replay as if live"),
    speed: float = typer.Option(1.0, help="replay speed-up"),
    assets: Optional[Path] = typer.Option(None, "--assets", help="asset GeoJSON (default: bundled Baltic set)"),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="watch-list CSV"),
    watch_process: Optional[bool] = typer.Option(
        None, "--watch-process/--watch-in-process",
        help="run the detectors in a second process (default: when the machine has 2 or more CPUs)"),
) -> None:
    """Run the detectors on live sources and serve the map and alerts pages (alerts pushed as they happen)."""
    from dkfi.cli.serve import serve
    from dkfi.watch.assets import AssetFileError, load_assets

    if not (tcp or udp or mqtt or replay):
        raise typer.BadParameter("name at least one source: --tcp, --udp, --mqtt or --replay")
    if assets is not None:  # said before the server starts: what the watch will protect, and what it left out
        if not assets.is_file():
            raise typer.BadParameter(f"--assets {assets}: no such file")
        try:
            _report_assets(load_assets(assets), assets)
        except AssetFileError as exc:
            _fail(str(exc))
    serve(host=host, port=port, replay=replay, speed=speed, loop=False, tcp=tcp, udp=udp, mqtt=mqtt,
          watch=True, assets=assets, watchlist=watchlist, extra=None, watch_process=watch_process)


lists_app = typer.Typer(help="Stored watch lists (sanctions, \"shadow fleet\", national lists) for the live watch.",
                        no_args_is_help=True)
app.add_typer(lists_app, name="lists")


def _label_of(classification: str, releasable_to: str):
    from dkfi.core.labels import Label

    try:
        return Label.from_text(classification, releasable_to)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@lists_app.command("import")
def lists_import(
    path: Path = typer.Argument(..., help="CSV with columns imo, mmsi, name, list, reason (any subset; , ; or tab)"),
    list_name: Optional[str] = typer.Option(None, "--list", help="list name for rows without one (default: file name)"),
    classification: str = typer.Option("RESTRICTED", "--classification", help="label of the entries"),
    releasable_to: str = typer.Option("DNK,FIN", "--releasable-to", help="nations the entries are releasable to"),
    as_json: bool = typer.Option(False, "--json", help="the result as JSON on stdout"),
) -> None:
    """Store a watch list; a list of the same name owned by this nation is replaced. Bad rows are reported."""
    from dkfi.core.access import system_session
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.watch.watchlist import WatchList
    from dkfi.watch.watchlist_store import import_watchlist

    label = _label_of(classification, releasable_to)
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint="PATH")
    try:
        wl = WatchList.from_csv(path, list_name)
    except (UnicodeDecodeError, OSError) as exc:
        err.print(f"[red]error:[/] {path}: cannot be read as a UTF-8 CSV ({exc})")
        raise typer.Exit(2) from None
    settings = get_settings()
    with system_session(get_engine(settings.effective_database_url), settings.nation, "watch lists") as s:
        with s.begin():
            result = import_watchlist(s, wl, settings.nation, label)
    d = result.as_dict()
    if as_json:
        typer.echo(json.dumps(d))
    else:
        lists = ", ".join(f"{n} ({c})" for n, c in d["lists"].items()) or "none"
        err.print(f"{path}: {d['stored']} entries stored in {lists}, {d['replaced']} older entries replaced, "
                  f"{d['bad_rows']} bad rows skipped; label {label}")
        for e in d["errors"]:
            err.print(f"  row {e['row']}: {e['message']}")
    if not result.lists and result.errors:
        raise typer.Exit(1)


@lists_app.command("show")
def lists_show(as_json: bool = typer.Option(False, "--json", help="entries as JSON lines on stdout")) -> None:
    """The stored watch lists of this node."""
    from dkfi.core.access import system_session
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.watch.watchlist_store import entries, lists_summary

    settings = get_settings()
    with system_session(get_engine(settings.effective_database_url), settings.nation, "watch lists") as s:
        rows = entries(s)
        if as_json:
            for r in rows:
                typer.echo(json.dumps({"list": r.list_name, "mmsi": r.mmsi, "imo": r.imo, "name": r.name,
                                       "reason": r.reason, "label": record_label(r)}))
            return
        if not rows:
            typer.echo("no stored watch lists (dkfi watch lists import FILE)")
            return
        t = table("list", "owner", "entries", "highest label", "imported UTC",
                  keep=("owner", "entries", "highest label", "imported UTC"), right=("entries",))
        for d in lists_summary(rows):
            t.add_row(d["name"], d["owner_nation"], str(d["entries"]), d["classification"], when(d["added"]))
        print_table(t)
