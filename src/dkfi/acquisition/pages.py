"""Portfolio pages of military acquisitions: plans side by side on a timeline, opportunities with scores and
factors, cases by stage, savings with the learning-rate sensitivity. Data is read through the user's session, so a
page shows only what its user may see."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dkfi.acquisition import service
from dkfi.acquisition.models import VEHICLES, JointCase, Opportunity
from dkfi.core.access import user_session
from dkfi.core.audit import REMOTE_KEY
from dkfi.core.identity import Principal
from dkfi.core.security import client_addr
from dkfi.web.pages import PagePrincipal, highest, render

router = APIRouter()

TABS = (("/acquisition", "Plans", "acquisition"), ("/acquisition/opportunities", "Opportunities",
                                                   "acquisition-opportunities"),
        ("/acquisition/cases", "Cases", "acquisition-cases"), ("/acquisition/savings", "Savings",
                                                               "acquisition-savings"))


def _session(request: Request, p: Principal):
    return user_session(request.app.state.engine, p, **{REMOTE_KEY: client_addr(request)})


def _banner(request: Request, labels) -> str:
    return highest([request.app.state.settings.banner, *labels])


@router.get("/acquisition", response_class=HTMLResponse, include_in_schema=False)
def plans_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        items = [service.item_dict(i) for i in service.plans(s)]
        totals = service.portfolio(s)
    return render(request, "acquisition_plans.html", "acquisition",
                  banner_text=_banner(request, [i["label"]["classification"] for i in items]), tabs=TABS,
                  tab="acquisition", items=items, totals=totals, may_plan=p.may("plan"))


@router.get("/acquisition/opportunities", response_class=HTMLResponse, include_in_schema=False)
def opportunities_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        opps = [service.opportunity_dict(o) for o in
                s.scalars(select(Opportunity).order_by(Opportunity.score.desc(), Opportunity.key))]
        items = {i.key.split(":", 1)[-1]: service.item_dict(i) for i in service.plans(s)}
    labels = [o["label"]["classification"] for o in opps] + [i["label"]["classification"] for i in items.values()]
    return render(request, "acquisition_opportunities.html", "acquisition", banner_text=_banner(request, labels),
                  tabs=TABS, tab="acquisition-opportunities", opportunities=opps, items=items,
                  may_plan=p.may("plan"))


@router.get("/acquisition/cases", response_class=HTMLResponse, include_in_schema=False)
def cases_page(request: Request, p: Principal = PagePrincipal):
    with _session(request, p) as s:
        cases = [service.case_dict(s, c) for c in s.scalars(select(JointCase).order_by(JointCase.created))]
        items = {i.key.split(":", 1)[-1]: service.item_dict(i) for i in service.plans(s)}
    labels = [c["label"]["classification"] for c in cases]
    return render(request, "acquisition_cases.html", "acquisition", banner_text=_banner(request, labels), tabs=TABS,
                  tab="acquisition-cases", cases=cases, items=items, vehicles=VEHICLES, nation=p.nation,
                  may_plan=p.may("plan"))


@router.get("/acquisition/savings", response_class=HTMLResponse, include_in_schema=False)
def savings_page(request: Request, p: Principal = PagePrincipal):
    # the model shows no stored record: the node's own banner
    return render(request, "acquisition_savings.html", "acquisition", banner_text=_banner(request, []), tabs=TABS,
                  tab="acquisition-savings")
