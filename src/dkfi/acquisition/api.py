"""HTTP routes of military acquisitions (``/api/acquisition/...``): they translate HTTP to service calls and nothing
more. Reads need a login and see only what the caller may see; plans, matching and cases need ``plan``; a
nation's approval comes only from a user of that nation."""
from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from dkfi.acquisition import service
from dkfi.core.records import LifecycleError, Problem
from dkfi.core.security import PrincipalDep, UserSession, require

router = APIRouter(prefix="/api/acquisition", tags=["acquisition"])
Planner = require("plan")
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": Problem}}
MAX_PLAN_BYTES = 5_000_000


class SavingsIn(BaseModel):
    quantities: dict[str, int] = Field(description='e.g. {"DNK": 32, "FIN": 32}')
    first_unit_cost: float
    learning_rate: float
    nrc: float = 0.0
    split: str = Field("demand", pattern="^(demand|shapley)$")
    price_breaks: list[dict[str, float]] | None = None


class CaseIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    items: list[str] = Field(min_length=2, max_length=20, description="plan item keys (a Danish and a Finnish one)")
    opportunity: str | None = Field(None, max_length=330)


class CaseAction(BaseModel):
    action: str = Field(pattern="^(assess|approve|open_case|contract|deliver|withdraw)$")
    text: str | None = Field(None, max_length=10_000, description="assessment, or the reason to withdraw")
    lead_nation: str | None = Field(None, pattern="^(DNK|FIN)$")
    vehicle: str | None = None
    eu_member_states: list[str] | None = Field(None, max_length=27)


class OpportunityDecision(BaseModel):
    state: str = Field(pattern="^(confirmed|dismissed|open)$")


@router.get("/plans", summary="National acquisition plan items (what the caller may see)")
def plans(session: UserSession, nation: str | None = Query(None, pattern="^(DNK|FIN)$")) -> list[dict]:
    return [service.item_dict(i) for i in service.plans(session, nation)]


@router.get("/plans.csv", summary="Plan items as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def plans_csv(session: UserSession) -> Response:
    out = io.StringIO()
    cols = ("key", "nation", "id", "description", "capability_area", "nsn", "cpv", "quantity", "budget", "currency",
            "delivery_start", "delivery_end", "status")
    w = csv.writer(out)
    w.writerow(cols + ("classification", "releasable_to"))
    for i in service.plans(session):
        d = service.item_dict(i)
        w.writerow([d[c] if d[c] is not None else "" for c in cols] +
                   [d["label"]["classification"], " ".join(d["label"]["releasable_to"])])
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="dkfi-acquisition-plans.csv"'})


@router.post("/plans/import", summary="Import this nation's plan (CSV or XLSX): good rows kept, bad ones reported",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                     {"schema": {"type": "string", "format": "binary"}}}}},
             responses={413: {"model": Problem}, **ERRORS})
async def import_plan(request: Request, session: UserSession, p=Planner) -> dict:
    from dkfi.acquisition.plans_io import PlanFileError

    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_PLAN_BYTES:
        raise HTTPException(413, f"the file is {int(declared):,} bytes; at most {MAX_PLAN_BYTES:,} are accepted")
    body = await request.body()
    if len(body) > MAX_PLAN_BYTES:
        raise HTTPException(413, f"the file is {len(body):,} bytes; at most {MAX_PLAN_BYTES:,} are accepted")
    kind = request.headers.get("content-type", "")
    name = "plan.xlsx" if "spreadsheetml" in kind else "plan.csv"
    try:
        return await run_in_threadpool(service.import_plan, session, body, name, p.nation)
    except (PlanFileError, service.Invalid) as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/match", summary="Danish-Finnish pairs of plan items that could be bought together, best first")
def match(session: UserSession, backend: str = Query("auto", pattern="^(auto|tfidf|embedding)$")) -> dict:
    return service.match(session, backend=backend)


@router.post("/match", summary="Match and keep the results as opportunities (planners); dismissed stay dismissed")
def match_store(session: UserSession, p=Planner,
                backend: str = Query("auto", pattern="^(auto|tfidf|embedding)$")) -> dict:
    return service.match(session, backend=backend, store_as=p.nation)


@router.get("/opportunities", summary="Stored opportunities with their scores, factors and decisions")
def opportunities(session: UserSession) -> list[dict]:
    from sqlalchemy import select

    from dkfi.acquisition.models import Opportunity

    return [service.opportunity_dict(o) for o in
            session.scalars(select(Opportunity).order_by(Opportunity.score.desc(), Opportunity.key))]


@router.post("/opportunities/{key:path}/decision", summary="Confirm or dismiss an opportunity (planners)",
             responses={404: {"model": Problem}})
def decide(key: str, body: OpportunityDecision, session: UserSession, p=Planner) -> dict:
    try:
        return service.opportunity_dict(service.decide_opportunity(session, key, body.state, p.name))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/savings", summary="Learning-curve savings of buying together, and a fair split", responses=ERRORS)
def savings(body: SavingsIn, p: PrincipalDep) -> dict:
    from dkfi.acquisition import savings as model

    try:
        return model.savings(body.quantities, body.first_unit_cost, body.learning_rate, nrc=body.nrc,
                             split=body.split, price_breaks=body.price_breaks)
    except model.SavingsInputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/cases", summary="Joint cases with their stage, approvals and history")
def cases(session: UserSession) -> list[dict]:
    from sqlalchemy import select

    from dkfi.acquisition.models import JointCase

    return [service.case_dict(session, c) for c in session.scalars(select(JointCase).order_by(JointCase.created))]


@router.post("/cases", summary="Open a joint case (planners)", status_code=201, responses=ERRORS)
def create_case(body: CaseIn, session: UserSession, p=Planner) -> dict:
    try:
        c = service.create_case(session, title=body.title, items=body.items, nation=p.nation, actor=p.name,
                                opportunity=body.opportunity)
    except service.Invalid as exc:
        raise HTTPException(422, str(exc)) from None
    return service.case_dict(session, c)


@router.get("/cases/{key}", summary="One case", responses={404: {"model": Problem}})
def case(key: str, session: UserSession) -> dict:
    try:
        return service.case_dict(session, service.get_case(session, key))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/cases/{key}/actions", summary="A step of the case; approve or withdraw as the caller's nation",
             responses={404: {"model": Problem}, 409: {"model": Problem}})
def case_action(key: str, body: CaseAction, session: UserSession, p=Planner) -> dict:
    try:
        c = service.act(session, key, body.action, actor=p.name, nation=p.nation, text=body.text,
                        lead_nation=body.lead_nation, vehicle=body.vehicle, eu_member_states=body.eu_member_states)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except LifecycleError as exc:
        raise HTTPException(409, str(exc)) from None
    return service.case_dict(session, c)


@router.get("/portfolio", summary="Plan budgets by nation, opportunities by state, cases by stage")
def portfolio(session: UserSession) -> dict:
    return service.portfolio(session)
