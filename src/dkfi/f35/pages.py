"""Pages of F-35 cooperation: fleets and industry, spares pooling, the joint maintenance plan (Gantt), people.
Data is read through the user's session, so a page shows only what its user may see; the model pages run the
models over the stored records through the API (``/api/f35/spares/stored``, ``/api/f35/maintenance/stored``)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dkfi.core.access import user_session
from dkfi.core.audit import REMOTE_KEY
from dkfi.core.identity import Principal
from dkfi.core.security import client_addr
from dkfi.f35 import service
from dkfi.core.records import record_label
from dkfi.f35.models import Aircraft, Exchange, MaintenanceType, Site, SparesItem, TrainingEvent
from dkfi.web.pages import PagePrincipal, highest, render

router = APIRouter()

TABS = (("/f35", "Fleets and industry", "f35"), ("/f35/spares", "Spares pooling", "f35-spares"),
        ("/f35/maintenance", "Joint maintenance", "f35-maintenance"), ("/f35/people", "People and training",
                                                                     "f35-people"))


def _session(request: Request, p: Principal):
    return user_session(request.app.state.engine, p, **{REMOTE_KEY: client_addr(request)})


def _banner(request: Request, labels) -> str:
    return highest([request.app.state.settings.banner, *labels])


@router.get("/f35", response_class=HTMLResponse, include_in_schema=False)
def fleet_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        f = service.fleet(s, date.today())
    labels = [a["label"]["classification"] for a in f["aircraft"]] + [x["label"]["classification"] for x in f["sites"]]
    return render(request, "f35_fleet.html", "f35", banner_text=_banner(request, labels), tabs=TABS, tab="f35",
                  fleet=f)


@router.get("/f35/spares", response_class=HTMLResponse, include_in_schema=False)
def spares_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        items = list(s.scalars(select(SparesItem).order_by(SparesItem.item, SparesItem.key)))
        # the pooling result names the shared sites and counts the aircraft (service.stored_spares)
        labels = [i.classification for i in items] + \
            [x.classification for x in s.scalars(select(Site)) if service.shared(x)] + \
            [a.classification for a in s.scalars(select(Aircraft))]
        n_items = len({i.item for i in items})
    return render(request, "f35_spares.html", "f35", banner_text=_banner(request, labels), tabs=TABS,
                  tab="f35-spares", n_items=n_items, may_plan=p.may("plan"))


@router.get("/f35/maintenance", response_class=HTMLResponse, include_in_schema=False)
def maintenance_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        types = list(s.scalars(select(MaintenanceType).order_by(MaintenanceType.key)))
        f = service.fleet(s, date.today())
    # the plan places aircraft on the sites released to both nations (service.stored_maintenance)
    shared_sites = [x for x in f["sites"] if {x["label"]["owner_nation"], *x["label"]["releasable_to"]} >= {"DNK", "FIN"}]
    labels = [t.classification for t in types] + [a["label"]["classification"] for a in f["aircraft"]] + \
        [x["label"]["classification"] for x in shared_sites]
    return render(request, "f35_maintenance.html", "f35", banner_text=_banner(request, labels), tabs=TABS,
                  tab="f35-maintenance", n_aircraft=len(f["aircraft"]), n_sites=len(f["sites"]),
                  types=[{"key": t.key, "name": t.name, "interval_hours": t.interval_hours,
                          "interval_days": t.interval_days, "duration_days": t.duration_days,
                          "capability": t.capability, "label": record_label(t)} for t in types],
                  start=date.today().isoformat(), may_plan=p.may("plan"))


@router.get("/f35/people", response_class=HTMLResponse, include_in_schema=False)
def people_page(request: Request, p: Principal = PagePrincipal, warn_days: int = Query(90, ge=0, le=3650)):
    with _session(request, p) as s:
        rows = service.qualified_where(s, date.today(), warn_days)
        exchanges = [service.exchange_dict(x) for x in s.scalars(select(Exchange).order_by(Exchange.start))]
        training = [service.training_dict(t) for t in s.scalars(select(TrainingEvent).order_by(TrainingEvent.start))]
    labels = [r["label"]["classification"] for r in rows] + [x["label"]["classification"] for x in exchanges] + \
        [t["label"]["classification"] for t in training] + \
        [q["label"]["classification"] for r in rows for q in r["qualifications"]]
    return render(request, "f35_people.html", "f35", banner_text=_banner(request, labels), tabs=TABS,
                  tab="f35-people", people=rows, exchanges=exchanges, training=training, warn_days=warn_days,
                  today=date.today().isoformat())
