"""FastAPI application factory: the routers, pages and live tasks of every registered domain, the shell's own
routes (login, packaged map layers) and the packaged static files, behind the request guard."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import dkfi
from dkfi.web.pages import TEMPLATES_DIR, WEB_DIR

STATIC_DIR = WEB_DIR / "static"
__all__ = ["create_app", "RequestGuard", "STATIC_DIR", "TEMPLATES_DIR"]
log = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """The request body passed the cap while it streamed in (raised from ``receive``; answered 413)."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"request body larger than {cap:,} bytes, the most this route accepts "
                              "(DKFI_MAX_BODY_BYTES)")


class RequestGuard:
    """ASGI middleware in front of every route: refuse before reading, and cap while reading.

    FastAPI reads a request's whole body before it solves the route's dependencies, so a refusal by role came
    after the upload, and nothing bounded the upload but memory. The guard hands the route a ``receive`` that,
    the first time the body is asked for (the router has chosen the route by then):

    1. refuses a declared Content-Length above the cap (413);
    2. authenticates the caller and checks the route's declared actions
       (:func:`dkfi.core.security.refuse_before_body`): 401/403 before a byte of the body is read;

    and then counts the body message by message (chunked bodies too), raising 413 as soon as the count passes
    the cap, so at most the cap and one message are ever held. The cap is ``DKFI_MAX_BODY_BYTES``, or a route's
    own ``max_body_size`` when it declares one (an import route that needs more). A response sent before the body
    was read to its end closes the connection, so the client stops sending.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from dkfi.core.security import refuse_before_body

        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        length = int(declared) if declared is not None and declared.strip().isdigit() else None
        if "transfer-encoding" not in headers and (declared is None or length == 0):
            await self.app(scope, receive, send)  # no body (HTTP/1.1 has one only with either header)
            return
        read, checked, done, started = 0, False, False, False
        cap = self.max_body_bytes

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not done:
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal read, checked, done, cap
            if not checked:
                route = scope.get("route")
                own = getattr(route, "max_body_size", None)
                cap = own if own is not None else self.max_body_bytes
                if length is not None and length > cap:
                    raise BodyTooLarge(cap)
                await run_in_threadpool(refuse_before_body, Request(scope), route)
                checked = True
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > cap:
                    raise BodyTooLarge(cap)
                done = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except BodyTooLarge as exc:  # raised where no exception handler answers it
            if started:
                raise
            await JSONResponse({"detail": exc.detail}, 413)(scope, receive, guarded_send)


def create_app(database_url: str | None = None, live: dict[str, Any] | None = None) -> FastAPI:
    """Build the web application for one node.

    ``database_url`` overrides the settings; ``live`` holds the serve options (sources to ingest, the watch's
    settings) that the domains' live tasks read while the app serves.
    """
    from dkfi.core import identity, registry
    from dkfi.core.bus import get_bus
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.core.security import NotLoggedIn
    from dkfi.web import apidocs, auth, home, ops, pages

    registry.start()
    settings = get_settings()
    engine = get_engine(database_url or settings.effective_database_url)
    tasks = registry.live_tasks() if live else []

    async def flush_failed_logins(stop: asyncio.Event) -> None:
        """Write failed-login summaries when their window ends, also while nobody logs in."""
        every = max(1.0, min(60.0, settings.login_window_s / 2))
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            try:
                await asyncio.to_thread(auth.flush_failed_logins, app, stop.is_set())
            except Exception:  # the database away for a moment: the summaries stay counted for the next turn
                log.exception("writing failed-login summaries")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = asyncio.Event()
        ctx = registry.LiveContext(engine, settings, get_bus(), stop, dict(live or {}))
        running = [asyncio.create_task(t(ctx)) for t in tasks]
        running.append(asyncio.create_task(flush_failed_logins(stop)))
        try:
            yield
        finally:
            stop.set()
            for task in running:
                try:
                    await asyncio.wait_for(task, timeout=10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    task.cancel()

    titles = ", ".join(d.title for d in registry.domains())
    app = FastAPI(title="dkfi", version=dkfi.__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served from the package by web/apidocs.py, not from a CDN
                  description=f"Danish-Finnish defence cooperation platform: {titles}. "
                              "Every record carries its confidentiality label and owner nation.")
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)  # outermost: before anything reads
    app.state.settings = settings
    app.state.engine = engine
    identity.dummy_hash()  # made now, so the first login of an unknown name costs no more than any other
    app.include_router(auth.router)
    app.include_router(ops.router)  # /healthz, /readyz, /metrics (docs/operations.md, "Health and metrics")
    app.include_router(apidocs.router)  # /docs, /redoc
    for router in registry.routers():
        app.include_router(router)
    for router in registry.page_routers():
        app.include_router(router)
    app.include_router(pages.router)  # after the domains': its /api/geo/{layer} must not shadow theirs
    app.include_router(home.router)  # / and /api/home: the domains' tiles (registry extension point web.home_tiles)

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, exc: NotLoggedIn):
        return RedirectResponse(f"/login?next={quote(str(exc))}", 303)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
