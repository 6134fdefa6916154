"""A real dkfi server (create_app on a temporary SQLite database filled with the DMA sample) and headless Chromium.

The server runs uvicorn in a thread on 127.0.0.1 with a free port and stops at the end of the module.
Chromium is Debian's (`chromium` on PATH, or DKFI_CHROMIUM); MapLibre gets WebGL from SwiftShader.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import AIS, make_user, need

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "dkfi" / "web" / "static" / "vendor"
SHARED_SAMPLE = AIS / "nmea" / "dma_aisabnormal" / "ais-sample.txt.gz"
PACKAGED_SAMPLE = ROOT / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"  # the same file, shipped
CHROMIUM = os.environ.get("DKFI_CHROMIUM") or shutil.which("chromium") or "chromium"  # Debian's, on PATH
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-default-browser-check",
    "--metrics-recording-only", "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    # WebGL without a GPU: ANGLE on SwiftShader (software). Needed by MapLibre.
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving ``app`` in a daemon thread."""

    def __init__(self, app):
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=3, ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="dkfi-e2e-uvicorn", daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        if self.thread.is_alive():  # an open stream kept it: force
            self.server.force_exit = True
            self.thread.join(timeout=5)


def make_app(tmp: Path):
    """create_app on a fresh SQLite file in ``tmp``; returns (app, database url)."""
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    need("vendor files missing: run `npm ci && .venv/bin/python scripts/copy_vendor.py`",
         (VENDOR / "maplibre-gl.js").is_file())
    url = f"sqlite:///{tmp / 'dkfi.sqlite'}"
    saved = {k: os.environ.get(k) for k in ("DKFI_DATA_DIR", "DKFI_DATABASE_URL")}
    os.environ["DKFI_DATA_DIR"] = str(tmp / "var")
    os.environ.pop("DKFI_DATABASE_URL", None)
    get_settings.cache_clear()
    try:
        app = create_app(url)   # keeps its own settings object
        make_user(url, E2E_USER, "DNK", "SECRET", ("operator",), E2E_PASSWORD)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
    return app, url


E2E_USER = "e2e-officer"
E2E_PASSWORD = "e2e password 1"


def log_in(pg, user: str = E2E_USER, password: str = E2E_PASSWORD) -> None:
    """Log in through the login page, as a user would."""
    pg.goto("/login")
    pg.locator('input[name="username"]').fill(user)
    pg.locator('input[name="password"]').fill(password)
    with pg.expect_navigation():
        pg.get_by_role("button", name="Log in").click()
    assert "/login" not in pg.url, pg.content()[:500]


def dispose(url: str) -> None:
    from dkfi.core.db import _engines, _lock

    with _lock:
        eng = _engines.pop(url, None)
    if eng is not None:
        eng.dispose()


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """create_app on a fresh SQLite file with the DMA 5-minute sample imported."""
    from dkfi.maritime import service

    sample = SHARED_SAMPLE if SHARED_SAMPLE.is_file() else PACKAGED_SAMPLE
    app, url = make_app(tmp_path_factory.mktemp("e2e"))
    report = service.import_paths(app.state.engine, [sample], app.state.settings, fmt="nmea")
    assert not report.errors, report.errors
    assert report.vessels > 100, report.as_dict()
    yield app
    dispose(url)


@pytest.fixture(scope="module")
def server(dkfi_app):
    with Server(dkfi_app) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    need(f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
         Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is not None)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageWatch:
    """Every request the page makes, and every page error and console error."""

    def __init__(self, page, base_url: str):
        self.base_url = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def foreign(self) -> list[str]:
        local = self.base_url + "/"
        return [u for u in self.requests
                if not (u.startswith(local) or u.startswith("blob:") or u.startswith("data:"))]


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.url)
    pg = ctx.new_page()
    pg.watch = PageWatch(pg, server.url)
    log_in(pg)
    try:
        yield pg
    finally:
        ctx.close()   # closes the live stream before the server stops


# ---- shared by the domain pages' tests ----------------------------------------------------------------

@pytest.fixture
def as_user(browser, server):
    """Open a logged-in page as (user, password); every context is closed at the end."""
    contexts = []

    def open_page(user=None, password=None, downloads=False):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.url,
                                  accept_downloads=downloads)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.watch = PageWatch(pg, server.url)
        if user:
            log_in(pg, user, password)
        else:
            log_in(pg)
        return pg

    yield open_page
    for ctx in contexts:
        ctx.close()


def assert_clean(pg, refusals: tuple[int, ...] = ()) -> None:
    """No script errors, no console errors but the refusals the test provoked, nothing from outside 127.0.0.1."""
    w = pg.watch
    assert not w.errors, f"page errors: {w.errors}"
    provoked = tuple(f"the server responded with a status of {code} " for code in refusals)
    console = [m for m in w.console_errors if not any(p in m for p in provoked)]
    assert not console, f"console errors: {console}"
    assert not w.foreign(), f"requests outside {w.base_url}: {w.foreign()}"
