"""``dkfi demo``: a Danish and a Finnish node on this machine, federated over mutual TLS, each with its own database.

The Danish node replays the bundled recording of the Danish AIS network with a simulated anchor drag merged in;
its watch raises alerts labelled RESTRICTED, releasable to DNK and FIN, and its outbox delivers them to the Finnish
node's federation inbox (HTTPS with client certificates from a demo CA made here), where they appear on the
alerts page and the map while the user watches. ``--single-node`` runs the Danish node alone.

Layout under the demo folder (``DKFI_DATA_DIR``, default ``var/demo``): ``dnk/`` and ``fin/`` (each node's SQLite
database, history, secret and ``demo-credentials.txt``) and ``pki/`` (the demo CA and the two node certificates).
Ports: the Danish node's web port ``--port`` (8000), the Finnish ``--port + 1``; their federation inboxes
``--port + 443`` and ``--port + 444`` (8443, 8444). Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dkfi.cli import serve

err = Console(stderr=True, soft_wrap=True)

NATIONS = ("DNK", "FIN")
NAMES = {"DNK": "Danish", "FIN": "Finnish"}
READY_S = 180.0  # a node seeds its demo data before it serves: allow for a slow machine


def demo(
    port: int = typer.Option(8000, help="web port of the Danish node; the Finnish node takes the next one"),
    speed: float = typer.Option(5.0, help="replay speed-up of the 5-minute recording"),
    fresh: bool = typer.Option(True, help="start from empty demo databases"),
    single_node: bool = typer.Option(False, "--single-node", help="run the Danish node alone, no federation"),
    node: Optional[str] = typer.Option(None, "--node", hidden=True,
                                       help="(internal) run one node of the two-node demo, settings from the "
                                       "environment"),
) -> None:
    """A Danish and a Finnish node with mutual TLS between them: the Danish node replays the bundled 5-minute
    recording of the Danish AIS network (and a simulated anchor drag); its alerts reach the Finnish node."""
    if node is not None:
        serve.demo_node(port, speed, fresh=False, nation=node)
        return
    if single_node:
        serve.demo_node(port, speed, fresh)
        return
    two_nodes(port, speed, fresh)


def node_ports(port: int) -> dict[str, tuple[int, int]]:
    """nation -> (web port, federation inbox port)."""
    return {"DNK": (port, port + 443), "FIN": (port + 1, port + 444)}


def port_free(port: int) -> bool:
    """Could a server listen on ``port`` (with SO_REUSEADDR, as uvicorn does: closed connections do not count)?"""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def node_env(root: Path, nation: str, ports: dict[str, tuple[int, int]], certs: dict) -> dict[str, str]:
    """The settings of one node: its own data folder (so its own SQLite database), its nation, the other node as
    its partner over HTTPS, and its certificate, key and the demo CA."""
    (other,) = [n for n in NATIONS if n != nation]
    env = {k: v for k, v in os.environ.items() if k != "DKFI_DATABASE_URL"}
    env.update(
        DKFI_NATION=nation,
        DKFI_DATA_DIR=str(root / nation.lower()),
        DKFI_PARTNERS=f"{other}=https://127.0.0.1:{ports[other][1]}",
        DKFI_TLS_CERT=str(certs[nation]),
        DKFI_TLS_KEY=str(certs[f"{nation}_key"]),
        DKFI_TLS_CA=str(root / "pki" / "ca.pem"),
        DKFI_FEDERATION_HOST="127.0.0.1",
        DKFI_FEDERATION_PORT=str(ports[nation][1]),
        DKFI_FEDERATION_TRANSPORT="https",
    )
    return env


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """In a node's process, before it runs: ask Linux to stop it (SIGTERM) when the demo's process dies, however
    it dies, so a killed demo leaves no node serving."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's own signal handling still stops the nodes
        pass


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 20
    for p in procs.values():
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def two_nodes(port: int, speed: float, fresh: bool) -> None:
    from dkfi.core.config import get_settings
    from dkfi.sharing.federation import make_certs

    if os.environ.get("DKFI_DATABASE_URL"):
        raise typer.BadParameter("DKFI_DATABASE_URL is set, but each node of the demo has its own SQLite database: "
                                 "unset it, or run `dkfi demo --single-node`")
    ports = node_ports(port)
    busy = [p for pair in ports.values() for p in pair if not port_free(p)]
    if busy:
        raise typer.BadParameter(f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are in use: the demo needs "
                                 f"{port}, {port + 1} (web) and {port + 443}, {port + 444} (federation); "
                                 "choose another --port")
    root = Path(os.environ["DKFI_DATA_DIR"]) if os.environ.get("DKFI_DATA_DIR") else get_settings().data_dir / "demo"
    if fresh:
        for sub in ("dnk", "fin", "pki"):
            shutil.rmtree(root / sub, ignore_errors=True)
    if (root / "pki" / "ca.pem").is_file() and all((root / "pki" / f"{n}.pem").is_file() for n in NATIONS):
        certs = {**{n: root / "pki" / f"{n}.pem" for n in NATIONS},
                 **{f"{n}_key": root / "pki" / f"{n}.key" for n in NATIONS}}
    else:
        certs = make_certs(root / "pki", list(NATIONS), ["127.0.0.1", "localhost"])
    procs: dict[str, subprocess.Popen] = {}
    # Ctrl-C, `kill`, a closed terminal: stop the nodes. SIGINT too, since a process started in the background by
    # a shell inherits SIGINT ignored, and Python then leaves it so.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        for nation in NATIONS:
            web, _ = ports[nation]
            procs[nation] = subprocess.Popen(
                [sys.executable, "-m", "dkfi", "demo", "--node", nation, "--port", str(web), "--speed", f"{speed:g}"],
                env=node_env(root, nation, ports, certs), preexec_fn=_die_with_parent)
        deadline = time.monotonic() + READY_S
        waiting = set(NATIONS)
        while waiting:
            for nation in sorted(waiting):
                code = procs[nation].poll()
                if code is not None:
                    raise RuntimeError(f"the {NAMES[nation]} node stopped (exit code {code}) before it was ready; "
                                       "its messages are above")
                if _ready(ports[nation][0]):
                    waiting.discard(nation)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"the {' and '.join(NAMES[n] for n in sorted(waiting))} node(s) did not answer "
                                   f"/readyz within {READY_S:.0f} s")
            time.sleep(0.3)
        _summary(root, ports, speed)
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        stopped = [n for n, p in procs.items() if p.poll() is not None]
        err.print(f"dkfi demo: the {' and '.join(NAMES[n] for n in stopped)} node stopped; stopping the demo")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        err.print("dkfi demo: stopping both nodes")
    except RuntimeError as exc:
        err.print(f"[red]dkfi demo: {exc}[/]")
        raise typer.Exit(1) from None
    finally:
        _stop(procs)


def _summary(root: Path, ports: dict[str, tuple[int, int]], speed: float) -> None:
    from dkfi.core import registry

    pages = ", ".join(f"{n.label.lower()} {n.href}" for n in registry.nav())
    err.print(f"\n[bold]dkfi demo[/]: two nodes, each with its own database, federated over mutual TLS "
              f"(demo CA in {root / 'pki'}). Pages: {pages}. Ctrl-C stops both.")
    for nation in NATIONS:
        web, fed = ports[nation]
        what = (f"replays the Danish AIS network of 2013-11-12 12:00-12:05 UTC at {speed:g}x (data: Danish Maritime "
                "Authority) with a simulated anchor drag south of the Sound"
                if nation == "DNK" else
                "no AIS of its own: the Danish alerts releasable to FIN appear on its alerts page and map as they "
                "are raised")
        err.print(f"\n[bold]{NAMES[nation]} node[/]  http://127.0.0.1:{web}/   (federation inbox https://127.0.0.1:"
                  f"{fed}, client certificates required): {what}")
        path = root / nation.lower() / serve.DEMO_CREDENTIALS
        for line in path.read_text().splitlines():
            name, _, pw = line.partition(" ")
            info = next((u for u in serve.DEMO_USERS if u[0] == name), None)
            who = f"  ({info[1]}, {info[2]}, {', '.join(info[3])})" if info else ""
            err.print(f"  [bold]{name}[/]  password [bold]{pw}[/]{who}")
    err.print(f"\naccounts are kept in {root}/<dnk|fin>/{serve.DEMO_CREDENTIALS}")
