"""Offline everywhere: no page of the node asks anything of another host, in headless Chromium.

The pages are read from the domain registry (every navigation entry and every page route a domain declares, so a
new domain's pages are checked without a change here), plus the shell's home page /, /login and the API
documentation, /docs (Swagger UI) and /redoc. For each page every request of the browser context is recorded,
and any request to another host than the test's server on 127.0.0.1 is aborted before it leaves (and recorded, so
the test fails): the test never sends traffic out. A page passes when every URL it asked for is on 127.0.0.1 (or
data:/blob:), no request failed or answered an error, no script failed and the console has no error. /docs must
show Swagger UI's operations and /redoc Redoc's, both drawn from the packaged files.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute

from tests.conftest import make_user
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

USER = ("e2e-offline", "offline password 1")   # every role, so pages show every control they have
SHELL_PAGES = ("/",)                             # the shell's own page behind the login (the domains' tiles)
PUBLIC_PAGES = ("/login", "/docs", "/redoc")     # the shell's pages without a login (tested one by one below)
# A page that draws a map says when the map is idle (every source, glyph and image it needs loaded): wait for it.
MAP_READY = ("() => [window.dkfi, window.dkfiAlerts].every(ns => !ns || !('ready' in ns) || ns.ready === true)")


def registry_pages() -> list[str]:
    """Every page the registered domains declare: their navigation entries and page routes (GET, no path
    parameter: a page about one record needs a record, and its domain's own tests open it)."""
    from dkfi.core import registry

    pages = {n.href for n in registry.nav()}
    for router in registry.page_routers():
        pages.update(r.path for r in router.routes
                     if isinstance(r, APIRoute) and "GET" in r.methods and "{" not in r.path)
    return sorted(pages)


PAGES = sorted({*registry_pages(), *SHELL_PAGES})


def _local(url: str, host: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or (parts.scheme in ("http", "https", "ws", "wss")
                                                and parts.netloc == host)


class Traffic:
    """Every request of a browser context, the ones to other hosts aborted; failures; script and console errors."""

    def __init__(self, ctx, host: str):
        self.host = host
        self.requests: list[str] = []
        self.aborted: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.inflight: set = set()
        ctx.route(lambda url: not _local(url, host), self._abort)
        ctx.on("request", self._request)
        ctx.on("requestfinished", self._done)
        ctx.on("requestfailed", self._failed)
        ctx.on("response", self._response)

    def watch(self, page) -> None:
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.console.append(f"{m.text} ({m.location.get('url', '')})")
                if m.type == "error" else None)

    def _abort(self, route) -> None:
        self.aborted.append(route.request.url)
        route.abort("blockedbyclient")

    def _request(self, request) -> None:
        self.requests.append(request.url)
        if request.resource_type != "eventsource":   # live streams stay open while the page is shown
            self.inflight.add(request)

    def _done(self, request) -> None:
        self.inflight.discard(request)

    def _failed(self, request) -> None:
        self.inflight.discard(request)
        if _local(request.url, self.host):
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.bad_status.append(f"{response.status} {response.url}")

    def settle(self, page, quiet_polls: int = 5) -> None:
        """Wait until no request but a live stream has been open for ``quiet_polls`` polls in a row, so what a
        page's scripts ask for after loading (data, map layers, a library's images) is seen too."""
        quiet = 0
        for _ in range(600):
            page.wait_for_timeout(100)
            quiet = quiet + 1 if not self.inflight else 0
            if quiet >= quiet_polls:
                return
        raise AssertionError(f"requests still open: {[r.url for r in self.inflight]}")

    def outside(self) -> list[str]:
        return sorted({u for u in self.requests if not _local(u, self.host)} | set(self.aborted))


@pytest.fixture(scope="module")
def user_state(browser, server, dkfi_app):
    """The cookies of a logged-in user with every role (logged in once, through the login page)."""
    from dkfi.core.identity import ROLES

    make_user(dkfi_app.state.engine.url.render_as_string(hide_password=False), USER[0], "DNK", "SECRET", ROLES,
              USER[1])
    ctx = browser.new_context(base_url=server.url)
    try:
        pg = ctx.new_page()
        log_in(pg, *USER)
        return ctx.storage_state()
    finally:
        ctx.close()


def visit(browser, server, path: str, state=None, ready=None):
    """Open ``path`` in a fresh context; returns (traffic, the page's final path, its title, what ``ready`` found)."""
    host = urlsplit(server.url).netloc
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.url, storage_state=state)
    try:
        traffic = Traffic(ctx, host)
        pg = ctx.new_page()
        traffic.watch(pg)
        response = pg.goto(path, wait_until="load")
        assert response is not None and response.status == 200, (path, response and response.status)
        try:
            pg.wait_for_function(MAP_READY, timeout=90_000)
            found = ready(pg) if ready else None
        except Exception as exc:
            raise AssertionError(f"{path} did not render ({exc}); asked other hosts: {traffic.outside()}; "
                                 f"console: {traffic.console}; script errors: {traffic.errors}") from exc
        traffic.settle(pg)
        return traffic, urlsplit(pg.url).path, pg.title(), found
    finally:
        ctx.close()


def assert_offline(traffic: Traffic, path: str) -> None:
    assert not traffic.outside(), f"{path} asked another host than {traffic.host}: {traffic.outside()}"
    assert not traffic.failed, f"{path}: requests failed: {traffic.failed}"
    assert not traffic.bad_status, f"{path}: error answers: {traffic.bad_status}"
    assert not traffic.errors, f"{path}: script errors: {traffic.errors}"
    assert not traffic.console, f"{path}: console errors: {traffic.console}"
    assert traffic.requests, f"{path}: no request recorded"


def test_pages_come_from_the_registry():
    from dkfi.core import registry

    assert {n.href for n in registry.nav()} <= set(PAGES)
    assert len(registry.nav()) >= 5 and len(PAGES) > len(registry.nav())   # the domains' sub-pages too
    assert "/" in PAGES and not set(PUBLIC_PAGES) & set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_domain_page_stays_on_the_node(browser, server, user_state, path):
    traffic, final, _, _ = visit(browser, server, path, user_state)
    assert final == path, f"{path} led to {final} (not logged in?)"
    assert_offline(traffic, path)
    assert any(urlsplit(u).path.startswith("/static/") for u in traffic.requests), traffic.requests


def test_login_page_stays_on_the_node(browser, server):
    traffic, final, _, _ = visit(browser, server, "/login")
    assert final == "/login"
    assert_offline(traffic, "/login")


OPERATIONS_SHOWN = """() => [...document.querySelectorAll('.opblock')].map(b => [
  b.querySelector('.opblock-summary-method').textContent.trim().toLowerCase(),
  b.querySelector('.opblock-summary-path').getAttribute('data-path')])"""


def _swagger(pg) -> tuple[set[tuple[str, str]], str]:
    """The operations Swagger UI lists, and the status it shows after "Try it out" on GET /healthz."""
    pg.locator(".opblock").first.wait_for(state="visible", timeout=60_000)
    shown = {(method, path) for method, path in pg.evaluate(OPERATIONS_SHOWN)}
    block = pg.locator(".opblock", has=pg.locator('.opblock-summary-path[data-path="/healthz"]'))
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(state="visible", timeout=30_000)
    return shown, status.inner_text().strip()


def operations(app) -> set[tuple[str, str]]:
    return {(method, path) for path, item in app.openapi()["paths"].items() for method in item}


def test_swagger_ui_renders_offline(browser, server, dkfi_app):
    """Swagger UI draws every operation of /openapi.json from the packaged files, without a login, and its
    "Try it out" reaches the node."""
    expected = operations(dkfi_app)
    traffic, final, title, (shown, status) = visit(browser, server, "/docs", ready=_swagger)
    assert final == "/docs" and title == "dkfi - Swagger UI"
    assert len(expected) > 50 and shown == expected, (shown ^ expected)
    assert status == "200", status
    assert f"{server.url}/healthz" in traffic.requests
    assert f"{server.url}/static/vendor/swagger-ui-bundle.js" in traffic.requests
    assert f"{server.url}/openapi.json" in traffic.requests
    assert_offline(traffic, "/docs")


# Redoc's sections, one per operation and tag (an operation with two tags is shown under both)
REDOC_OPERATIONS = """() => new Set([...document.querySelectorAll('.api-content [data-section-id*="operation/"]')]
  .map(e => e.getAttribute('data-section-id'))).size"""


def _redoc(pg) -> dict:
    pg.locator(".api-content h1").first.wait_for(state="visible", timeout=60_000)
    pg.locator(".menu-content li").first.wait_for(state="visible", timeout=60_000)
    return {"title": pg.locator(".api-content h1").first.inner_text(),
            "menu": pg.locator(".menu-content li").count(),
            "operations": pg.evaluate(REDOC_OPERATIONS)}


def test_redoc_renders_offline(browser, server, dkfi_app, user_state):
    """Redoc draws the API from the packaged bundle (here for a logged-in user: the page is public either way)."""
    traffic, final, title, shown = visit(browser, server, "/redoc", user_state, ready=_redoc)
    assert final == "/redoc" and title == "dkfi - ReDoc"
    assert shown["title"].startswith("dkfi"), shown
    assert shown["menu"] > 10 and shown["operations"] >= len(operations(dkfi_app)), shown
    assert f"{server.url}/static/vendor/redoc.standalone.js" in traffic.requests
    assert_offline(traffic, "/redoc")
