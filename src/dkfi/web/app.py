"""FastAPI application factory: API routers, pages, packaged static files and live sources."""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

import dkfi

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def domain_routers() -> list:
    """The routers of the sharing domain: labels and audit, exports, federation status."""
    from dkfi.sharing import api, export_api, federation_api

    return [api.router, export_api.router, federation_api.router]


def create_app(database_url: str | None = None, live=None) -> FastAPI:
    """Build the web application for one node.

    ``database_url`` overrides the settings; ``live`` (a :class:`dkfi.web.live.LiveSources`) names
    sources to ingest while serving.
    """
    from dkfi.core.bus import get_bus
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.maritime.api import router as maritime_router
    from dkfi.maritime.service import make_store
    from dkfi.core.security import NotLoggedIn
    from dkfi.web import auth, pages

    settings = get_settings()
    engine = get_engine(database_url or settings.effective_database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = asyncio.Event()
        task = None
        if live is not None and live.any():
            task = asyncio.create_task(live.run(engine, settings, get_bus(), stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                try:
                    await asyncio.wait_for(task, timeout=10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    task.cancel()

    app = FastAPI(title="dkfi", version=dkfi.__version__, lifespan=lifespan,
                  description="Danish-Finnish defence cooperation platform: maritime picture, watch and sharing API. "
                              "Every record carries its confidentiality label and owner nation.")
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = make_store(engine, settings)
    app.include_router(auth.router)
    app.include_router(maritime_router)
    app.include_router(pages.router)
    for router in domain_routers():
        app.include_router(router)

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, exc: NotLoggedIn):
        return RedirectResponse(f"/login?next={quote(str(exc))}", 303)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
