"""`dkfi demo`: a Danish and a Finnish node, each with its own database, federated over mutual TLS; the Danish
alerts releasable to FIN appear on the Finnish node. Real processes on 127.0.0.1, stopped by the test."""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dkfi.cli.demo import port_free as _free

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(900)]


def _base_port() -> int:
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p < 60000 and all(_free(q) for q in (p, p + 1, p + 443, p + 444)):
            return p
    raise AssertionError("no four free ports")


def _get(url: str, token: str | None = None, timeout: float = 10):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def _token(port: int, name: str, password: str) -> str:
    data = urllib.parse.urlencode({"username": name, "password": password}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/auth/token", data=data, timeout=10) as resp:
        return json.loads(resp.read())["access_token"]


def _credentials(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text().splitlines())


def _wait(what: str, check, proc: subprocess.Popen, log: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the demo stopped while waiting for {what}:\n{log.read_text()[-4000:]}"
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def test_danish_alerts_reach_the_finnish_node_over_mutual_tls(tmp_path):
    port = _base_port()
    dnk, fin, dnk_fed, fin_fed = port, port + 1, port + 443, port + 444
    env = {k: v for k, v in os.environ.items() if not k.startswith("DKFI_")}
    env["DKFI_DATA_DIR"] = str(tmp_path / "demo")
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dkfi", "demo", "--port", str(dnk), "--speed", "60"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        root = tmp_path / "demo"
        _wait("the summary of both nodes", lambda: "accounts are kept in" in log.read_text(), proc, log, 300)
        text = log.read_text()
        for url in (f"http://127.0.0.1:{dnk}/", f"http://127.0.0.1:{fin}/"):
            assert url in text
        # each node its own database, accounts and certificate
        assert (root / "dnk" / "dkfi.sqlite").is_file() and (root / "fin" / "dkfi.sqlite").is_file()
        fin_users = _credentials(root / "fin" / "demo-credentials.txt")
        dnk_users = _credentials(root / "dnk" / "demo-credentials.txt")
        assert fin_users["fi-duty"] in text and dnk_users["dk-duty"] in text

        # the federation inbox asks for a client certificate: without one, no answer
        ctx = ssl.create_default_context(cafile=str(root / "pki" / "ca.pem"))
        health = f"https://127.0.0.1:{fin_fed}/federation/health"
        with pytest.raises((ssl.SSLError, ConnectionError, urllib.error.URLError)):
            urllib.request.urlopen(health, context=ctx, timeout=10).read()
        ctx.load_cert_chain(root / "pki" / "DNK.pem", root / "pki" / "DNK.key")  # the Danish node's certificate
        with urllib.request.urlopen(health, context=ctx, timeout=10) as resp:
            assert resp.status == 200

        fin_token = _token(fin, "fi-duty", fin_users["fi-duty"])
        received = _wait("a Danish alert on the Finnish node",
                         lambda: [a for a in _get(f"http://127.0.0.1:{fin}/api/alerts", fin_token)
                                  if a["key"].startswith("DNK:")], proc, log, 400)
        alert = received[0]
        assert alert["label"]["owner_nation"] == "DNK" and "FIN" in alert["label"]["releasable_to"]
        dnk_token = _token(dnk, "dk-duty", dnk_users["dk-duty"])
        own = {a["key"] for a in _get(f"http://127.0.0.1:{dnk}/api/alerts", dnk_token)}
        assert alert["key"].removeprefix("DNK:") in own
        # the Finnish node replays nothing of its own: every alert it holds came from Denmark
        assert all(a["key"].startswith("DNK:") for a in _get(f"http://127.0.0.1:{fin}/api/alerts", fin_token))
        assert _get(f"http://127.0.0.1:{fin}/readyz")["status"] == "ready"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # Ctrl-C stopped both nodes: nothing listens on their ports any more
    assert proc.returncode is not None
    deadline = time.monotonic() + 30
    while any(_listening(p) for p in (dnk, fin, dnk_fed, fin_fed)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(_listening(p) for p in (dnk, fin, dnk_fed, fin_fed)), log.read_text()[-3000:]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True
