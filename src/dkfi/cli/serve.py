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
    from dkfi.core import logs, registry
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    logs.configure(node_settings())  # JSON lines or text on stdout from here on (uvicorn is given the same)
    try:
        registry.check_live_options(options)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    app = create_app(live=options)
    opts = server_options(get_settings())
    scheme = "https" if "ssl_certfile" in opts else "http"
    err.print(f"dkfi serving on {scheme}://{host}:{port}  (API docs: {scheme}://{host}:{port}/docs)")
    from dkfi.sharing.federation import run_with_federation

    # with DKFI_PARTNERS: also the outbox deliverer and the inbox
    run_with_federation(app, host=host, port=port, **opts)


def node_settings():
    """The node's settings; a variable that does not hold stops the start naming it (exit 2), not a traceback."""
    from pydantic import ValidationError

    from dkfi.core.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
                                 ) from None


def server_options(settings) -> dict[str, Any]:
    """What uvicorn is told about proxies: believe X-Forwarded-For/-Proto only from ``DKFI_TRUSTED_PROXIES``.

    uvicorn's own default believes them from 127.0.0.1, so on a node serving on localhost every local client could
    set its address (and so dodge the login limit and write any address into the audit log). With no trusted
    proxy the headers are not read at all; the connection's address is the client's."""
    trusted = ",".join(p.strip() for p in (settings.trusted_proxies or "").split(",") if p.strip())
    opts: dict[str, Any] = {"proxy_headers": False} if not trusted else {"proxy_headers": True,
                                                                          "forwarded_allow_ips": trusted}
    opts.update(web_tls_options(settings))
    return opts


def web_tls_options(settings) -> dict[str, Any]:
    """HTTPS for the web pages and API when ``DKFI_WEB_TLS_CERT`` and ``DKFI_WEB_TLS_KEY`` are set (both, as files);
    a half-set pair or a missing file stops the start with the variable's name (never a silent HTTP)."""
    cert, key = settings.web_tls_cert, settings.web_tls_key
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise typer.BadParameter("DKFI_WEB_TLS_CERT and DKFI_WEB_TLS_KEY must be set together")
    for name, path in (("DKFI_WEB_TLS_CERT", cert), ("DKFI_WEB_TLS_KEY", key)):
        if not Path(path).is_file():
            raise typer.BadParameter(f"{name}: {path} is not a file")
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def demo_node(port: int, speed: float, fresh: bool, nation: str | None = None) -> None:
    """One demo node: the configured nation's (``nation``: a node of the two-node demo, started by
    :mod:`dkfi.cli.demo` with its settings in the environment), or the single Danish node (``None``).

    Every domain's demo hook seeds its data (exercises, F-35 fleets, acquisition plans) and adds its live options:
    the Danish node replays the bundled recording with a simulated anchor drag merged in; a Finnish node replays
    nothing and shows what the Danish node releases to it."""
    from dkfi.core import registry
    from dkfi.core.config import get_settings

    # the demo's terminal shows the accounts and URLs, not a line per request (DKFI_LOG_LEVEL=info shows them)
    os.environ.setdefault("DKFI_LOG_LEVEL", "warning")
    get_settings.cache_clear()
    if not os.environ.get("DKFI_DATA_DIR") and not os.environ.get("DKFI_DATABASE_URL"):
        # the demo keeps its own database so it never mixes with real imports under var/
        demo_dir = get_settings().data_dir / "demo"
        if fresh:
            shutil.rmtree(demo_dir, ignore_errors=True)
        os.environ["DKFI_DATA_DIR"] = str(demo_dir)
        get_settings.cache_clear()
    settings = node_settings()
    options: dict[str, Any] = dict(speed=speed, watch=True, watch_process=False)
    for hook in registry.demo_hooks():  # each domain adds its demo data (the recording, a simulated incident)
        hook(settings, options)
    replays = settings.nation == "DNK"
    if not replays:  # the recording is the Danish network's: the other node sees what Denmark releases to it
        options.update(replay=[], extra=[], loop=False)
    users = _demo_users(settings)
    pages = ", ".join(f"{n.label.lower()}: {n.href}" for n in registry.nav())
    if nation is not None:
        what = ("replaying the Danish AIS network of 2013-11-12 with a simulated anchor drag"
                if replays else "no AIS of its own; alerts arrive from the Danish node")
        err.print(f"dkfi demo: {settings.nation} node on http://127.0.0.1:{port}/ ({what})")
        run_node("127.0.0.1", port, options)
        return
    err.print("dkfi demo: replaying the Danish AIS network of 2013-11-12 12:00-12:05 UTC "
              f"at {speed:g}x (data: Danish Maritime Authority), with a simulated anchor drag south of the Sound "
              f"merged in; exercises, F-35 fleets and acquisition plans seeded. Open http://127.0.0.1:{port}/ ("
              + pages + "). Ctrl-C stops.")
    err.print("log in as one of these demo accounts (kept in "
              f"{settings.data_dir / DEMO_CREDENTIALS}):")
    for name, nation_, clearance, roles, pw in users:
        err.print(f"  [bold]{name}[/]  password [bold]{pw}[/]  ({nation_}, {clearance}, {', '.join(roles)})")
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
