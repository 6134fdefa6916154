"""The page shell every domain's pages use: templates, the navigation and the classification banner, both read
from the domain registry, and the packaged map layers. The pages themselves live in their domains."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select

import dkfi
from dkfi.core import registry
from dkfi.core.access import open_session
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification
from dkfi.core.security import CSRF_COOKIE, PrincipalDep, page_principal

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
GEO_DIR = Path(dkfi.__file__).resolve().parent / "data" / "geo"
GEO_LAYERS = ("land", "assets")
GEO_CACHE = "public, max-age=604800"  # a week; the ETag changes whenever the packaged file does

router = APIRouter()
PagePrincipal = Depends(page_principal)


class _Templates:
    """The shell's templates and every registered domain's, looked up when first used (domains may register
    after this module is imported, e.g. a test's toy domain)."""

    def __init__(self) -> None:
        self._t: Jinja2Templates | None = None
        self._dirs: tuple[Path, ...] = ()

    def get(self) -> Jinja2Templates:
        dirs = (TEMPLATES_DIR, *registry.template_dirs())
        if self._t is None or dirs != self._dirs:
            t = Jinja2Templates(directory=TEMPLATES_DIR)
            t.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])
            self._t, self._dirs = t, dirs
        return self._t

    def TemplateResponse(self, *args, **kw):  # noqa: N802 (Starlette's name)
        return self.get().TemplateResponse(*args, **kw)


templates = _Templates()


def level(name: str | None) -> int:
    try:
        return int(Classification.parse(name or ""))
    except ValueError:
        return len(Classification)   # unknown: above everything known, so never under-marked


def highest(names) -> str:
    """The highest of these classification names (unknown ones count above every known level)."""
    return max(names, key=level).upper()


def banner(request: Request, p: Principal, page: str) -> str:
    """The page banner: the highest of the node's banner and the labels of the records the page may show to
    this user, over every table the domains declare for ``page`` (:class:`dkfi.core.registry.BannerSource`).
    The queries go through the user's access filter, so the banner is never higher than what they see."""
    names = {request.app.state.settings.banner}
    with open_session(request.app.state.engine, p) as s:
        for model, where in registry.banner_sources(page):
            q = select(model.classification).distinct()
            if where is not None:
                q = q.where(where)
            names.update(s.scalars(q))
    return highest(names)


def render(request: Request, template: str, page: str, banner_text: str | None = None, **extra) -> HTMLResponse:
    """A page of the shell: banner (computed for ``page`` unless given), navigation, user, CSRF token."""
    settings = request.app.state.settings
    p: Principal = request.state.principal
    return templates.TemplateResponse(request, template, {
        "nation": settings.nation,
        "banner": banner_text if banner_text is not None else banner(request, p, page),
        "version": dkfi.__version__,
        "user": p.as_dict(),
        "may": sorted(p.actions),
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "nav": registry.nav(),
        "page": page,
        **extra,
    })


@lru_cache(maxsize=len(GEO_LAYERS))
def _geo(layer: str) -> tuple[bytes, str]:
    data = (GEO_DIR / f"{layer}.geojson").read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


@router.get("/api/geo/{layer}", tags=["map"], summary="A packaged map layer as GeoJSON (land, assets)",
            responses={200: {"content": {"application/geo+json": {}}}, 404: {"description": "unknown layer"}})
def geo_layer(layer: str, request: Request, p: PrincipalDep) -> Response:
    """Packaged open data (land polygons; cables and pipelines from public sources): UNCLASSIFIED."""
    if layer not in GEO_LAYERS:
        return JSONResponse({"detail": f"unknown map layer {layer!r}; known layers: {', '.join(GEO_LAYERS)}"},
                            status_code=404)
    data, etag = _geo(layer)
    headers = {"Cache-Control": GEO_CACHE, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/geo+json", headers=headers)
