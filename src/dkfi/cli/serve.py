"""``dkfi serve`` and ``dkfi demo``: the web application, optionally with live sources in-process."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    replay: Optional[List[Path]] = typer.Option(None, "--replay", help="replay these AIS files in time order"),
    speed: float = typer.Option(1.0, help="replay speed-up (2 = twice real time)"),
    loop: bool = typer.Option(False, "--loop", help="replay again and again, times shifted forward"),
    tcp: Optional[str] = typer.Option(None, "--tcp", help="also ingest NMEA from this TCP server HOST:PORT"),
    udp: Optional[int] = typer.Option(None, "--udp", help="also ingest NMEA UDP datagrams on this port"),
    mqtt: Optional[str] = typer.Option(None, "--mqtt", help="also ingest a Digitraffic-shaped MQTT feed"),
    watch: bool = typer.Option(True, "--watch/--no-watch", help="run the detectors on the live sources"),
    watch_process: Optional[bool] = typer.Option(
        None, "--watch-process/--watch-in-process",
        help="run the detectors in a second process (default: when the machine has 2 or more CPUs)"),
    assets: Optional[Path] = typer.Option(None, "--assets", help="asset GeoJSON for the watch (default: bundled Baltic set)"),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="watch-list CSV for the watch"),
    extra: Optional[List[Path]] = typer.Option(None, "--merge", help="replay these files once, merged by time into --replay"),
) -> None:
    """Serve the web pages and API (OpenAPI docs at /docs); live sources named here feed the picture and the watch."""
    if watch_process is None:  # detection on its own core where there is one (docs/decisions/0004)
        watch_process = (os.cpu_count() or 1) >= 2
    options = dict(replay=list(replay or []), speed=speed, loop=loop, tcp=tcp, udp=udp, mqtt=mqtt,
                   extra=list(extra or []), watch=watch, assets=assets, watchlist=watchlist,
                   watch_process=watch_process)
    run_node(host, port, options)


def run_node(host: str, port: int, options: dict[str, Any]) -> None:
    """Check the live options with every domain, then serve (with federation when partners are configured)."""
    from dkfi.core import registry
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    try:
        registry.check_live_options(options)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    app = create_app(live=options)
    err.print(f"dkfi serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    from dkfi.sharing.federation import run_with_federation

    # with DKFI_PARTNERS: also the outbox deliverer and the inbox
    run_with_federation(app, host=host, port=port, **server_options(get_settings()))


def server_options(settings) -> dict[str, Any]:
    """What uvicorn is told about proxies: believe X-Forwarded-For/-Proto only from ``DKFI_TRUSTED_PROXIES``.

    uvicorn's own default believes them from 127.0.0.1, so on a node serving on localhost every local client could
    set its address (and so dodge the login limit and write any address into the audit log). With no trusted
    proxy the headers are not read at all; the connection's address is the client's."""
    trusted = ",".join(p.strip() for p in (settings.trusted_proxies or "").split(",") if p.strip())
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def demo(
    port: int = typer.Option(8000, help="port to listen on"),
    speed: float = typer.Option(5.0, help="replay speed-up of the 5-minute recording"),
    fresh: bool = typer.Option(True, help="start from an empty demo database"),
) -> None:
    """Replay the bundled 5-minute recording of the whole Danish AIS network and serve the map."""
    from dkfi.core import registry
    from dkfi.core.config import get_settings

    if not os.environ.get("DKFI_DATA_DIR") and not os.environ.get("DKFI_DATABASE_URL"):
        # the demo keeps its own database so it never mixes with real imports under var/
        demo_dir = get_settings().data_dir / "demo"
        if fresh:
            shutil.rmtree(demo_dir, ignore_errors=True)
        os.environ["DKFI_DATA_DIR"] = str(demo_dir)
        get_settings.cache_clear()
    settings = get_settings()
    options: dict[str, Any] = dict(speed=speed, watch=True, watch_process=False)
    for hook in registry.demo_hooks():  # each domain adds its demo data (the recording, a simulated incident)
        hook(settings, options)
    users = _demo_users(settings)
    err.print("dkfi demo: replaying the Danish AIS network of 2013-11-12 12:00-12:05 UTC "
              f"at {speed:g}x (data: Danish Maritime Authority), with a simulated anchor drag south of the Sound "
              f"merged in; exercises, F-35 fleets and acquisition plans seeded. Open http://127.0.0.1:{port}/ ("
              + ", ".join(f"{n.label.lower()}: {n.href}" for n in registry.nav()) + "). Ctrl-C stops.")
    err.print("log in as one of these demo accounts (kept in "
              f"{settings.data_dir / DEMO_CREDENTIALS}):")
    for name, nation, clearance, roles, pw in users:
        err.print(f"  [bold]{name}[/]  password [bold]{pw}[/]  ({nation}, {clearance}, {', '.join(roles)})")
    run_node("127.0.0.1", port, options)


DEMO_CREDENTIALS = "demo-credentials.txt"
DEMO_USERS = (("dk-duty", "DNK", "SECRET", ("operator", "admin")),
              ("fi-duty", "FIN", "RESTRICTED", ("operator",)),
              ("dk-viewer", "DNK", "UNCLASSIFIED", ("viewer",)))


def _demo_users(settings) -> list[tuple]:
    """Demo accounts of both nations with random passwords, written (mode 0600) beside the demo database."""
    import secrets

    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import add_user

    path = Path(settings.data_dir) / DEMO_CREDENTIALS
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            user, _, secret = line.partition(" ")
            known[user] = secret
    out = []
    with session_scope(get_engine(settings.effective_database_url)) as s:
        from sqlalchemy import select

        from dkfi.core.models import User

        for name, nation, clearance, roles in DEMO_USERS:
            pw = known.get(name)
            if pw is None or s.scalar(select(User).where(User.name == name)) is None:
                pw = secrets.token_urlsafe(9)
                existing = s.scalar(select(User).where(User.name == name))
                if existing is not None:
                    s.delete(existing)
                    s.flush()
                add_user(s, name, nation, clearance, list(roles), pw)
            out.append((name, nation, clearance, roles, pw))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{name} {pw}\n" for name, *_, pw in out))
    return out
