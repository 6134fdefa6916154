"""HTML pages and the packaged map layers; thin on purpose (the map is drawn in static/app.js)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

import dkfi
from dkfi.web.app import TEMPLATES_DIR

GEO_DIR = Path(dkfi.__file__).resolve().parent / "data" / "geo"
GEO_LAYERS = ("land", "assets")
GEO_CACHE = "public, max-age=604800"  # a week; the ETag changes whenever the packaged file does

router = APIRouter()
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request):
    settings = request.app.state.settings
    return templates.TemplateResponse(request, "map.html", {
        "nation": settings.nation,
        "banner": settings.banner,
        "version": dkfi.__version__,
    })


@lru_cache(maxsize=len(GEO_LAYERS))
def _geo(layer: str) -> tuple[bytes, str]:
    data = (GEO_DIR / f"{layer}.geojson").read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


@router.get("/api/geo/{layer}", tags=["map"], summary="A packaged map layer as GeoJSON (land, assets)",
            responses={200: {"content": {"application/geo+json": {}}}, 404: {"description": "unknown layer"}})
def geo_layer(layer: str, request: Request) -> Response:
    if layer not in GEO_LAYERS:
        return JSONResponse({"detail": f"unknown map layer {layer!r}; known layers: {', '.join(GEO_LAYERS)}"},
                            status_code=404)
    data, etag = _geo(layer)
    headers = {"Cache-Control": GEO_CACHE, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/geo+json", headers=headers)
