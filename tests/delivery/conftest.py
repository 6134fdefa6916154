"""What the delivery tests share: the artefacts `make bundle` leaves in dist/, pip with the network refused, and a
dkfi server started from a fresh environment.

`make test` makes the wheel, the sdist and the bundle first (the Makefile's `bundle` target); run alone, these
tests skip without them, and fail under CI=true (tests/conftest.py ``need``).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.conftest import ROOT, need

DIST = ROOT / "dist"
# a port nothing listens on: any request pip makes through the proxy is refused at once
REFUSED = "http://127.0.0.1:9"


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def bundle_name() -> str:
    """As scripts/make_bundle.py names it, for the Python running the tests."""
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"dkfi-bundle-{version()}-cp{sys.version_info[0]}{sys.version_info[1]}-{plat}"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    archive: Path
    stage: Path  # the unpacked tree the archive was made from

    @property
    def wheelhouse(self) -> Path:
        return self.stage / "wheelhouse"


@pytest.fixture(scope="session")
def built() -> Built:
    """The wheel, sdist and bundle of this checkout's version in dist/ (made by `make bundle`)."""
    ver, name = version(), bundle_name()
    b = Built(DIST / f"dkfi-{ver}-py3-none-any.whl", DIST / f"dkfi-{ver}.tar.gz", DIST / f"{name}.tar.gz",
              DIST / "bundle" / name)
    for path in (b.wheel, b.sdist, b.archive, b.wheelhouse):
        need(f"{path.relative_to(ROOT)} not found: run `make bundle` (`make test` does)", path.exists())
    return b


def offline_env(**extra: str) -> dict[str, str]:
    """The environment for pip and dkfi with the network refused: no index, no pip configuration of the machine
    (its extra indexes and find-links), and every HTTP(S) request sent to a proxy that refuses it."""
    drop = ("PIP_", "DKFI_", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(drop) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
               http_proxy=REFUSED, https_proxy=REFUSED, HTTP_PROXY=REFUSED, HTTPS_PROXY=REFUSED)
    env.update(extra)
    return env


def run(cmd: list[str | Path], env: dict[str, str], cwd: Path, stdin: str | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n"
                    f"stderr:\n{done.stderr[-3000:]}", pytrace=False)
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(cmd: list[str | Path], env: dict[str, str], cwd: Path, port: int) -> Iterator[httpx.Client]:
    """Start ``cmd`` (a dkfi server on 127.0.0.1:``port``), wait for /healthz, yield a client; stop it after."""
    log = cwd / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited {proc.returncode} before answering:\n{log.read_text()[-3000:]}",
                            pytrace=False)
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from /healthz in 90 s:\n{log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.3)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PageRefs(HTMLParser):
    """What a page makes the browser load (scripts, stylesheets, icons) and the links of its navigation bar."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.nav: list[str] = []
        self._in_nav = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and a.get("href") and {"stylesheet", "icon"} & set(a.get("rel", "").lower().split()):
            if not a["href"].startswith("data:"):
                self.assets.append(a["href"])
        elif tag == "nav":
            self._in_nav += 1
        elif tag == "a" and self._in_nav and a.get("href"):
            self.nav.append(a["href"].split("#", 1)[0])

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._in_nav:
            self._in_nav -= 1


def page_refs(html: str) -> PageRefs:
    p = PageRefs()
    p.feed(html)
    return p


# what a browser needs each kind of file to be served as
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",),
                 ".png": ("image/png",), ".svg": ("image/svg+xml",), ".woff2": ("font/woff2",),
                 ".ico": ("image/x-icon", "image/vnd.microsoft.icon"), ".json": ("application/json",)}
