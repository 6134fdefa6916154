"""HTML pages and the map layers; thin on purpose (the map is drawn in static/app.js, the alerts in static/alerts.js)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

import dkfi
from dkfi.core.access import open_session, user_session
from dkfi.core.audit import REMOTE_KEY
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification
from dkfi.core.security import CSRF_COOKIE, PrincipalDep, UserSession, client_addr, page_principal
from dkfi.sharing.exports import alert_point
from dkfi.web.app import TEMPLATES_DIR

GEO_DIR = Path(dkfi.__file__).resolve().parent / "data" / "geo"
GEO_LAYERS = ("land", "assets")
GEO_CACHE = "public, max-age=604800"  # a week; the ETag changes whenever the packaged file does

router = APIRouter()
templates = Jinja2Templates(directory=TEMPLATES_DIR)


OPEN_STATUSES = ("new", "acknowledged", "assigned")
SEVERITIES = ("critical", "high", "medium", "low")


def _level(name: str | None) -> int:
    try:
        return int(Classification.parse(name or ""))
    except ValueError:
        return len(Classification)   # unknown: above everything known, so never under-marked


def _banner(request: Request, p: Principal, statuses: tuple[str, ...] | None = None) -> str:
    """The page banner: the highest of the node's banner and the labels of the records the page may show
    to this user (the query goes through the user's access filter, so it is never higher than what they see)."""
    from dkfi.maritime.models import AlertRecord, Vessel

    names = {request.app.state.settings.banner}
    q = select(AlertRecord.classification).distinct()
    if statuses is not None:
        q = q.where(AlertRecord.status.in_(statuses))
    with open_session(request.app.state.engine, p) as s:
        names.update(s.scalars(q))
        names.update(s.scalars(select(Vessel.classification).distinct()))
    return max(names, key=_level).upper()


PagePrincipal = Depends(page_principal)


def _page(request: Request, template: str, banner: str, **extra) -> HTMLResponse:
    settings = request.app.state.settings
    p: Principal = request.state.principal
    return templates.TemplateResponse(request, template, {
        "nation": settings.nation,
        "banner": banner,
        "version": dkfi.__version__,
        "user": p.as_dict(),
        "may": sorted(p.actions),
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        **extra,
    })


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request, p: Principal = PagePrincipal):
    return _page(request, "map.html", _banner(request, p, OPEN_STATUSES), page="map")


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_page(request: Request, p: Principal = PagePrincipal):
    from dkfi.maritime import watch
    from dkfi.maritime.alerts import KIND_POINTS

    return _page(request, "alerts.html", _banner(request, p), page="alerts",
                 statuses=watch.STATUSES, outcomes=watch.OUTCOMES, severities=SEVERITIES,
                 kinds=sorted(set(KIND_POINTS) | set(watch.detector_classes())))


@router.get("/watchlists", response_class=HTMLResponse, include_in_schema=False)
def watchlists_page(request: Request, p: Principal = PagePrincipal):
    from dkfi.maritime.watchlist_store import entries, lists_summary

    # only the entries this user may see; committed, so the reads above UNCLASSIFIED are audited
    with user_session(request.app.state.engine, p, **{REMOTE_KEY: client_addr(request)}) as s:
        rows = entries(s)
    banner = max([request.app.state.settings.banner, *(r.classification for r in rows)], key=_level).upper()
    return _page(request, "watchlists.html", banner, page="watchlists", entries=rows, lists=lists_summary(rows),
                 classifications=[c.name for c in Classification if c <= p.clearance])


@router.get("/api/geo/alerts", tags=["map"], summary="Alerts as GeoJSON points, for the map's alert layer",
            responses={422: {"description": "unknown status"}})
def geo_alerts(
    request: Request,
    s: UserSession,
    status: str = Query(",".join(OPEN_STATUSES), description="comma-separated statuses; default the open ones"),
    limit: int = Query(2000, ge=1, le=10_000),
) -> Response:
    """One Point per alert at its evidence track, with the alert's summary and label as properties."""
    from dkfi.maritime import watch
    from dkfi.maritime.models import AlertRecord

    wanted = [x.strip() for x in status.split(",") if x.strip()]
    bad = [x for x in wanted if x not in watch.STATUSES]
    if bad:
        return JSONResponse({"detail": f"status must be among {', '.join(watch.STATUSES)}; got {', '.join(bad)}"},
                            status_code=422)
    q = select(AlertRecord).order_by(AlertRecord.start.desc(), AlertRecord.id.desc()).limit(limit)
    if wanted:
        q = q.where(AlertRecord.status.in_(wanted))
    features = []
    # s is the user's session: only alerts the caller may see
    for r in s.scalars(q):
        pt = alert_point(r.evidence, r.kind)
        if pt is None:
            continue
        d = watch.summary_dict(r)
        props = {k: d[k] for k in ("id", "kind", "mmsi", "vessel_name", "asset", "start", "severity", "score",
                                    "summary", "status", "assigned_to")}
        props["classification"] = d["label"]["classification"]
        props["releasable_to"] = d["label"]["releasable_to"]
        features.append({"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": list(pt)},
                         "properties": props})
    return JSONResponse({"type": "FeatureCollection", "features": features},
                        media_type="application/geo+json", headers={"Cache-Control": "no-store"})


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
