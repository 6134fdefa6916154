"""HTTP routes of F-35 cooperation (``/api/f35/...``): they translate HTTP to service calls and nothing more. Reads
need a login and see only what the caller may see; creating records and running the models need ``plan``."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dkfi.core.records import Problem
from dkfi.core.security import UserSession, require
from dkfi.f35 import service
from dkfi.f35.models import Aircraft, Exchange, Person, Site, TrainingEvent
from dkfi.f35.schemas import (AircraftIn, ExchangeIn, PersonIn, QualificationIn, SiteIn, StoredMaintenanceIn,
                              StoredPoolIn, TrainingIn)

router = APIRouter(prefix="/api/f35", tags=["f35"])
Planner = require("plan")
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": Problem}}


def _create(fn: Callable, session, body, p) -> Any:
    try:
        return fn(session, body, p.nation, p.clearance)
    except service.Invalid as exc:
        raise HTTPException(422, str(exc)) from None


# ---- fleets and industry ------------------------------------------------------------------------------------

@router.get("/fleet", summary="Both fleets: aircraft by nation and base, delivered or on order; the sites")
def fleet(session: UserSession, as_of: date | None = None) -> dict:
    return service.fleet(session, as_of or date.today())


@router.post("/aircraft", summary="Add or update an aircraft (planners)", status_code=201, responses=ERRORS)
def create_aircraft(body: AircraftIn, session: UserSession, p=Planner) -> dict:
    return service.aircraft_dict(_create(service.save_aircraft, session, body, p))


@router.get("/aircraft/{tail}", summary="One aircraft", responses={404: {"model": Problem}})
def aircraft(tail: str, session: UserSession) -> dict:
    a = service.by_key(session, Aircraft, tail)
    if a is None:
        raise HTTPException(404, f"no aircraft {tail!r}")
    return service.aircraft_dict(a)


@router.get("/sites", summary="Bases, depots and companies with their capabilities and capacity")
def sites(session: UserSession) -> list[dict]:
    from sqlalchemy import select

    return [service.site_dict(s) for s in session.scalars(select(Site).order_by(Site.nation, Site.key))]


@router.post("/sites", summary="Add or update a site (planners)", status_code=201, responses=ERRORS)
def create_site(body: SiteIn, session: UserSession, p=Planner) -> dict:
    return service.site_dict(_create(service.save_site, session, body, p))


# ---- people -------------------------------------------------------------------------------------------------

@router.get("/people", summary="Who is qualified for what, where; exchanges in progress; expiring qualifications")
def people(session: UserSession, as_of: date | None = None) -> list[dict]:
    return service.qualified_where(session, as_of or date.today())


@router.post("/people", summary="Add or update a person (planners)", status_code=201, responses=ERRORS)
def create_person(body: PersonIn, session: UserSession, p=Planner) -> dict:
    r: Person = _create(service.save_person, session, body, p)
    return {"key": r.key, "name": r.name, "nation": r.nation, "role": r.role}


@router.post("/qualifications", summary="Record a person's qualification (planners)", status_code=201,
             responses=ERRORS)
def create_qualification(body: QualificationIn, session: UserSession, p=Planner) -> dict:
    q = _create(service.save_qualification, session, body, p)
    return {"key": q.key, "person": q.person, "name": q.name, "valid_until": q.valid_until}


@router.get("/exchanges", summary="Personnel exchanges between the two nations")
def exchanges(session: UserSession) -> list[dict]:
    from sqlalchemy import select

    return [service.exchange_dict(x) for x in session.scalars(select(Exchange).order_by(Exchange.start))]


@router.post("/exchanges", summary="Record an exchange (planners)", status_code=201, responses=ERRORS)
def create_exchange(body: ExchangeIn, session: UserSession, p=Planner) -> dict:
    return service.exchange_dict(_create(service.save_exchange, session, body, p))


@router.get("/training", summary="Joint training events and courses")
def training(session: UserSession) -> list[dict]:
    from sqlalchemy import select

    return [service.training_dict(t) for t in session.scalars(select(TrainingEvent).order_by(TrainingEvent.start))]


@router.post("/training", summary="Add or update a training event or course (planners)", status_code=201,
             responses=ERRORS)
def create_training(body: TrainingIn, session: UserSession, p=Planner) -> dict:
    return service.training_dict(_create(service.save_training, session, body, p))


# ---- spare-parts pooling (docs/f35.md) ------------------------------------------------------------------------------

async def _json(request: Request) -> dict:
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(422, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HTTPException(422, "the body must be a JSON object (docs/f35.md)")
    return data


async def _run(fn: Callable, *args, **kw) -> Any:
    from dkfi.f35.maintenance import MaintenanceInputError
    from dkfi.f35.spares import SparesInputError

    try:
        return await run_in_threadpool(fn, *args, **kw)
    except (SparesInputError, MaintenanceInputError) as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/spares/evaluate", summary="Expected backorders, fill rate and availability of given stock levels",
             responses=ERRORS)
async def spares_evaluate(request: Request, p=Planner) -> dict:
    from dkfi.f35 import spares

    return await _run(spares.evaluate_data, await _json(request))


@router.post("/spares/optimize", summary="The cost-availability curve and the stock for a budget or target",
             responses=ERRORS)
async def spares_optimize(request: Request, p=Planner) -> dict:
    from dkfi.f35 import spares

    return await _run(spares.optimize_data, await _json(request))


@router.post("/spares/pool", summary="Separate national stocks against one pooled stock, the saving and its split",
             responses=ERRORS)
async def spares_pool(request: Request, p=Planner) -> dict:
    from dkfi.f35 import spares

    return await _run(spares.pool_data, await _json(request))


@router.post("/spares/stored", summary="Pool the stored items and bases the caller may see", responses=ERRORS)
async def spares_stored(body: StoredPoolIn, session: UserSession, p=Planner) -> dict:
    from dkfi.f35 import spares

    problem = service.stored_spares(session, model=body.model)
    problem["target_availability"] = body.target_availability
    return {"problem": problem, "result": await _run(spares.pool_data, problem)}


# ---- joint maintenance planning (docs/f35.md) --------------------------------------------------------------------

@router.post("/maintenance/plan", summary="Plan maintenance on the combined capacity (the planner's JSON)",
             responses=ERRORS)
async def maintenance_plan(request: Request, p=Planner) -> dict:
    from dkfi.f35 import maintenance

    return await _run(maintenance.plan, await _json(request))


@router.post("/maintenance/stored", summary="Plan maintenance for the stored fleets on the stored capacity",
             responses=ERRORS)
async def maintenance_stored(body: StoredMaintenanceIn, session: UserSession, p=Planner) -> dict:
    from dkfi.f35 import maintenance

    problem = service.stored_maintenance(session, start=body.start or date.today(), horizon_days=body.horizon_days)
    return {"problem": problem, "plan": await _run(maintenance.plan, problem, time_limit_s=body.time_limit_s)}


@router.post("/maintenance/plan.csv", summary="A maintenance plan's events as CSV (the Gantt's rows)",
             response_class=Response, responses={200: {"content": {"text/csv": {}}}, **ERRORS})
async def maintenance_csv(request: Request, p=Planner) -> Response:
    from dkfi.f35 import maintenance

    data = await _json(request)
    result = data["plan"] if isinstance(data.get("plan"), dict) and "events" in data["plan"] else \
        await _run(maintenance.plan, data)
    return Response(maintenance.to_csv(result), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="dkfi-f35-maintenance.csv"'})
