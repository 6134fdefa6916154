"""``dkfi export``: GeoJSON and Cursor-on-Target files for allies' tools, and CoT sent to a TAK server.

``--user`` names a local account (``dkfi users add``): the export holds only what that user may see (their
nation, clearance and roles bound it, through the same access filter as the API), and is audited in their name.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Exports for allies: GeoJSON (vessels, alerts, assets), Cursor-on-Target XML, NVG 2.0.2 "
                       "overlays, TAK servers.",
                  no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

USER_OPT = typer.Option(..., "--user", "-u", help="local account whose nation, clearance and roles bound the export")
OUT_OPT = typer.Option(None, "--out", "-o", help="file to write (default: standard output)")
STATUS_OPT = typer.Option(None, "--status", help="alerts only: comma-separated statuses (default: all)")


def _principal(name: str):
    """The principal of a local account, or a clear error (exit 2)."""
    from sqlalchemy import select

    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import principal_of
    from dkfi.core.models import User

    with session_scope(get_engine()) as s:
        u = s.scalar(select(User).where(User.name == name))
        if u is None:
            err.print(f"[red]error:[/] no user {name!r} on this node (dkfi users list; dkfi users add)")
            raise typer.Exit(2)
        if not u.active:
            err.print(f"[red]error:[/] user {name!r} is not active")
            raise typer.Exit(2)
        try:
            return principal_of(u)
        except ValueError as exc:
            err.print(f"[red]error:[/] user {name!r}: {exc}")
            raise typer.Exit(2) from None


def _need(p, action: str) -> None:
    if not p.may(action):
        err.print(f"[red]error:[/] {p.name}: role(s) {', '.join(sorted(p.roles)) or 'none'} may not {action}")
        raise typer.Exit(2)


def _statuses(status: Optional[str]):
    return [s for s in status.split(",") if s.strip()] if status else None


def _write(text: str, out: Optional[Path]) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def _audit(s, layer: str, fmt: str, label, count: int, **extra) -> None:
    from dkfi.core import audit

    audit.record(s, "export", "export", f"{layer}.{fmt}", classification=label.classification.name,
                 detail={"format": fmt, "layer": layer, "count": count, "label": str(label), "via": "cli", **extra})


def _hint(layer: str) -> None:
    """Under an empty export: what the layer's domain says about where its records come from."""
    from dkfi.sharing import exports

    hint = exports.empty_hint(layer)
    if hint:
        err.print(f"hint: {hint}", markup=False, highlight=False)


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/] {exc}")
    raise typer.Exit(2)


@app.command()
def geojson(
    layer: str = typer.Argument(..., help="vessels | alerts | assets"),
    user: str = USER_OPT,
    out: Optional[Path] = OUT_OPT,
    status: Optional[str] = STATUS_OPT,
) -> None:
    """A GeoJSON FeatureCollection of a layer, labelled (features and the collection)."""
    from dkfi.core.access import user_session
    from dkfi.core.db import get_engine
    from dkfi.sharing import exports

    p = _principal(user)
    _need(p, "read")
    try:
        with user_session(get_engine(), p) as s:
            fc = exports.geojson(s, layer, statuses=_statuses(status))
            label = exports.collection_label(fc)
            _audit(s, layer, "geojson", label, len(fc["features"]))
    except (LookupError, ValueError) as exc:
        _fail(exc)
    _write(json.dumps(fc, ensure_ascii=False) + "\n", out)
    err.print(f"{len(fc['features'])} {layer} for {p.name} ({p.nation}, {p.clearance.name}); label "
              f"[bold]{label}[/]" + (f" -> {out}" if out else ""))
    if not fc["features"]:
        _hint(layer)


@app.command()
def cot(
    layer: str = typer.Argument(..., help="vessels | alerts"),
    user: str = USER_OPT,
    out: Optional[Path] = OUT_OPT,
    stale: int = typer.Option(300, "--stale", min=1, max=7 * 86400,
                              help="seconds from now (the event's time) to stale"),
    start_now: bool = typer.Option(False, "--start-now", help="events start now, not at the record's time"),
    status: Optional[str] = STATUS_OPT,
) -> None:
    """Cursor-on-Target XML: <events> with the combined label, then one <event> per record."""
    from dkfi.core.access import user_session
    from dkfi.core.db import get_engine
    from dkfi.sharing import exports

    p = _principal(user)
    _need(p, "read")
    try:
        with user_session(get_engine(), p) as s:
            res = exports.cot(s, layer, stale_s=stale, start="now" if start_now else "record",
                              statuses=_statuses(status))
            _audit(s, layer, "cot", res.label, len(res.events))
    except (LookupError, ValueError) as exc:
        _fail(exc)
    _write(res.document(), out)
    err.print(f"{len(res.events)} CoT events ({layer}) for {p.name}; label [bold]{res.label}[/]"
              + (f" -> {out}" if out else ""))
    if not res.events:
        _hint(layer)


@app.command()
def nvg(
    layer: Optional[list[str]] = typer.Option(None, "--layer", "-l",
                                              help="a layer to include (repeat; default: every layer)"),
    user: str = USER_OPT,
    out: Optional[Path] = OUT_OPT,
    bbox: Optional[str] = typer.Option(None, "--bbox", help="minlon,minlat,maxlon,maxlat: only features inside"),
    status: Optional[str] = STATUS_OPT,
) -> None:
    """NATO Vector Graphics 2.0.2: one document, a group per layer, symbols (APP-6 / 2525C) and the combined label."""
    from dkfi.core.access import user_session
    from dkfi.core.db import get_engine
    from dkfi.sharing import exports
    from dkfi.sharing import nvg as nvg_mod

    p = _principal(user)
    _need(p, "read")
    layers = [x.strip() for item in (layer or []) for x in item.split(",") if x.strip()] \
        or list(exports.geojson_layers())
    try:
        box = nvg_mod.parse_bbox(bbox)
        for name in layers:
            if name not in exports.geojson_layers():
                raise LookupError(f"unknown export layer {name!r}; layers: {', '.join(exports.geojson_layers())}")
        with user_session(get_engine(), p) as s:
            res = nvg_mod.export(s, layers, bbox=box, statuses=_statuses(status))
            _audit(s, layers[0] if len(layers) == 1 else "overlay", "nvg", res.label, res.count, layers=layers,
                   bbox=bbox)
    except (LookupError, ValueError) as exc:
        _fail(exc)
    _write(res.document, out)
    counts = ", ".join(f"{n} {name}" for name, n in res.counts.items())
    left = ", ".join(f"{n} {why}" for why, n in sorted(res.skipped.items()))
    err.print(f"NVG for {p.name}: {counts}" + (f" (left out: {left})" if left else "") + f"; label [bold]{res.label}[/]"
              + (f" -> {out}" if out else ""))
    for name, n in res.counts.items():
        if not n:
            _hint(name)


@app.command("tak")
def tak_send(
    layer: str = typer.Argument(..., help="vessels | alerts"),
    user: str = USER_OPT,
    server: Optional[str] = typer.Option(None, "--server", help="tcp://host:port or udp://host:port (default: the "
                                                                "first of DKFI_TAK_SERVERS)"),
    repeat: int = typer.Option(1, "--repeat", min=0, help="send the layer this many times (0: until interrupted)"),
    interval: float = typer.Option(30.0, "--interval", min=0.0, help="seconds between repeats"),
    stale: int = typer.Option(300, "--stale", min=1, max=7 * 86400,
                              help="seconds from now (the event's time) to stale"),
    start_now: bool = typer.Option(False, "--start-now", help="events start now, not at the record's time"),
    status: Optional[str] = STATUS_OPT,
    allow_multicast: bool = typer.Option(False, "--allow-multicast",
                                         help="allow a multicast/broadcast destination (e.g. TAK SA 239.2.3.1:6969)"),
) -> None:
    """Send a layer's CoT events to a TAK server, one event per message; each repeat reads the layer afresh."""
    from dkfi.core.access import user_session
    from dkfi.core.db import get_engine
    from dkfi.sharing import exports, tak

    p = _principal(user)
    _need(p, "act")
    try:
        if server:
            target = tak.parse_server(server)
        else:
            configured = tak.configured_servers()
            if not configured:
                _fail(ValueError("no --server given and DKFI_TAK_SERVERS is empty"))
            target = configured[0]
        sender = tak.TakSender(target, allow_multicast=allow_multicast)
    except (ValueError, tak.TakError) as exc:
        _fail(exc)
    rounds = 0
    total = 0
    try:
        with sender, Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=err, disable=not err.is_terminal) as progress:
            while repeat == 0 or rounds < repeat:
                if rounds:
                    time.sleep(interval)
                with user_session(get_engine(), p) as s:
                    res = exports.cot(s, layer, stale_s=stale, start="now" if start_now else "record",
                                      statuses=_statuses(status))
                    task = progress.add_task(f"{layer} -> {target} (round {rounds + 1})", total=len(res.events))
                    def advance(n: int, t=task) -> None:
                        progress.update(t, completed=n)

                    sender.send_all(res.messages(), progress=advance)
                    _audit(s, layer, "cot", res.label, len(res.events), server=str(target))
                rounds += 1
                total += len(res.events)
    except KeyboardInterrupt:
        err.print("interrupted")
    except (LookupError, ValueError, tak.TakError) as exc:
        _fail(exc)
    err.print(f"sent {total} CoT events ({layer}, {rounds} round(s)) to {target} for {p.name}")
    if rounds and not total:
        _hint(layer)
