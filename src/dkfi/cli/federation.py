"""``dkfi federation``: outbox status, delivery by hand, the inbox server alone, certificates for a pair of nodes."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from dkfi.sharing import outbox as _outbox  # noqa: F401  (every dkfi command writes the outbox of what it changes)

app = typer.Typer(help="Federation with partner nodes: outbox, delivery (HTTPS mutual TLS or NATS), inbox, "
                       "certificates. Settings: DKFI_PARTNERS, DKFI_TLS_CERT/KEY/CA, DKFI_FEDERATION_PORT.",
                  no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _engine():
    from dkfi.core.db import get_engine

    return get_engine()


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Outbox counts per partner, last delivery and last error; records received per origin."""
    from dkfi.core.db import session_scope
    from dkfi.sharing import federation, outbox

    engine = _engine()
    with session_scope(engine) as s:
        st = federation.status(s, outbox.node_of(engine))
    if as_json:
        out.print_json(json.dumps(st))
        return
    out.print(f"node {st['nation']}")
    if not st["partners"]:
        out.print("no partners configured (DKFI_PARTNERS)")
    for p in st["partners"]:
        out.print(f"  -> {p['partner']} ({p['transport'] or '?'} {p['endpoint'] or ''}): pending {p['pending']}, "
                  f"delivered {p['delivered']}, last delivery {p['last_delivery'] or '-'}"
                  + (f", last error ({p['attempts']} attempts): {p['last_error']}" if p["last_error"] else ""))
    for r in st["received"]:
        out.print(f"  <- {r['origin']}: {r['records']} records, {r['withdrawn']} withdrawn, "
                  f"last applied {r['last_applied'] or '-'}")


@app.command()
def deliver(once: bool = typer.Option(False, "--once", help="one pass over the outbox, then exit")) -> None:
    """Deliver the outbox to the partners (until Ctrl-C, or once)."""
    from dkfi.core.config import get_settings
    from dkfi.sharing.federation import Deliverer, TLSFiles

    settings = get_settings()
    engine = _engine()
    d = Deliverer(engine, tls=TLSFiles.from_settings(settings), nats_url=settings.nats_url,
                  stream=settings.federation_stream)
    if not d.node.partners:
        err.print("no partners configured (DKFI_PARTNERS=FIN=https://host:8443 or FIN=nats)")
        raise typer.Exit(2)

    async def main():
        if once:
            try:
                return await d.deliver_once()
            finally:
                await d.close()
        stop = asyncio.Event()
        await d.run(stop)

    try:
        res = asyncio.run(main())
    except KeyboardInterrupt:
        return
    if res is not None:
        out.print_json(json.dumps(res))
        if any(isinstance(v, str) for v in res.values()):
            raise typer.Exit(1)


@app.command()
def inbox(host: Optional[str] = typer.Option(None, help="address (default DKFI_FEDERATION_HOST)"),
          port: Optional[int] = typer.Option(None, help="port (default DKFI_FEDERATION_PORT)")) -> None:
    """Serve this node's inbox alone: HTTPS with mutual TLS (and the NATS consumer if a partner uses NATS)."""
    from dkfi.core.config import get_settings
    from dkfi.sharing import outbox
    from dkfi.sharing.federation import TLSFiles
    from dkfi.sharing.federation_inbox import NatsInbox, create_inbox_app, inbox_server

    settings = get_settings()
    engine = _engine()
    node = outbox.node_of(engine)
    tls = TLSFiles.from_settings(settings)
    if tls is None:
        err.print("the inbox needs DKFI_TLS_CERT, DKFI_TLS_KEY and DKFI_TLS_CA (see `dkfi federation certs`)")
        raise typer.Exit(2)
    server = inbox_server(create_inbox_app(settings.effective_database_url, node), host or settings.federation_host,
                          port or settings.federation_port, tls.cert, tls.key, tls.ca)
    err.print(f"federation inbox of {node.nation} on https://{host or settings.federation_host}:"
              f"{port or settings.federation_port} (client certificates from {tls.ca})")

    async def main():
        stop = asyncio.Event()
        tasks = []
        if any(p.transport == "nats" for p in node.partners.values()):
            tasks.append(asyncio.create_task(NatsInbox(engine, node, settings.nats_url,
                                                       settings.federation_stream).run(stop)))
        try:
            await server.serve()
        finally:
            stop.set()
            if tasks:
                await asyncio.wait(tasks, timeout=5)

    asyncio.run(main())


@app.command()
def certs(folder: Path = typer.Argument(..., help="folder for ca.pem/ca.key and <NATION>.pem/.key"),
          nation: List[str] = typer.Option(["DNK", "FIN"], "--nation", help="a node to certify (repeatable)"),
          host: List[str] = typer.Option(["127.0.0.1", "localhost"], "--host",
                                         help="address or name the nodes' inboxes are reached at (repeatable)")) -> None:
    """Generate a CA and one certificate per node (common name = nation), for tests and for a pair of nodes.

    In production each nation's certificate comes from the CA the two nations agreed on; keep ca.key offline."""
    from dkfi.sharing.federation import make_certs

    paths = make_certs(folder, list(nation), list(host))
    for k, p in paths.items():
        out.print(f"{k}: {p}")
