"""Pages of the watch: the alerts (drawn by static/alerts.js) and the stored watch lists."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dkfi.core.access import user_session
from dkfi.core.audit import REMOTE_KEY
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification
from dkfi.core.security import client_addr
from dkfi.watch import service as watch
from dkfi.watch.alerts import KIND_POINTS
from dkfi.web.pages import PagePrincipal, highest, render

router = APIRouter()

SEVERITIES = ("critical", "high", "medium", "low")


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_page(request: Request, p: Principal = PagePrincipal):
    return render(request, "alerts.html", "alerts",
                  statuses=watch.STATUSES, outcomes=watch.OUTCOMES, severities=SEVERITIES,
                  kinds=sorted(set(KIND_POINTS) | set(watch.detector_classes())))


@router.get("/watchlists", response_class=HTMLResponse, include_in_schema=False)
def watchlists_page(request: Request, p: Principal = PagePrincipal):
    from dkfi.watch.watchlist_store import entries, lists_summary

    # only the entries this user may see; committed, so the reads above UNCLASSIFIED are audited
    with user_session(request.app.state.engine, p, **{REMOTE_KEY: client_addr(request)}) as s:
        rows = entries(s)
    banner = highest([request.app.state.settings.banner, *(r.classification for r in rows)])
    return render(request, "watchlists.html", "watchlists", banner_text=banner, entries=rows,
                  lists=lists_summary(rows), classifications=[c.name for c in Classification if c <= p.clearance])
