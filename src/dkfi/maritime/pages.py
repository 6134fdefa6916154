"""The map page: the live vessel picture (drawn by static/app.js; alerts join it from the watch's layer)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dkfi.core.identity import Principal
from dkfi.web.pages import PagePrincipal, render

router = APIRouter()


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request, p: Principal = PagePrincipal):
    return render(request, "map.html", "map")
