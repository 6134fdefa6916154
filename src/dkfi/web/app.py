"""FastAPI application factory: the routers, pages and live tasks of every registered domain, the shell's own
routes (login, packaged map layers) and the packaged static files."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

import dkfi
from dkfi.web.pages import TEMPLATES_DIR, WEB_DIR

STATIC_DIR = WEB_DIR / "static"
__all__ = ["create_app", "STATIC_DIR", "TEMPLATES_DIR"]


def create_app(database_url: str | None = None, live: dict[str, Any] | None = None) -> FastAPI:
    """Build the web application for one node.

    ``database_url`` overrides the settings; ``live`` holds the serve options (sources to ingest, the watch's
    settings) that the domains' live tasks read while the app serves.
    """
    from dkfi.core import registry
    from dkfi.core.bus import get_bus
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.core.security import NotLoggedIn
    from dkfi.web import auth, pages

    registry.start()
    settings = get_settings()
    engine = get_engine(database_url or settings.effective_database_url)
    tasks = registry.live_tasks() if live else []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = asyncio.Event()
        ctx = registry.LiveContext(engine, settings, get_bus(), stop, dict(live or {}))
        running = [asyncio.create_task(t(ctx)) for t in tasks]
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
                  description=f"Danish-Finnish defence cooperation platform: {titles}. "
                              "Every record carries its confidentiality label and owner nation.")
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.state.settings = settings
    app.state.engine = engine
    app.include_router(auth.router)
    for router in registry.routers():
        app.include_router(router)
    for router in registry.page_routers():
        app.include_router(router)
    app.include_router(pages.router)  # after the domains': its /api/geo/{layer} must not shadow theirs

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, exc: NotLoggedIn):
        return RedirectResponse(f"/login?next={quote(str(exc))}", 303)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
