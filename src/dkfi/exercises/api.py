"""HTTP routes of exercises and training (``/api/exercises/...``): they translate HTTP to service calls and nothing
more. Reads need a login (and see only what the caller may see); creating records and planning need the
``plan`` role (planners, admins)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dkfi.core.access import denied_get
from dkfi.core.records import LifecycleError, Problem
from dkfi.core.security import UserSession, require
from dkfi.exercises import service
from dkfi.exercises.models import FRAMEWORKS, Exercise, InteropObjective, Lesson, Participation, Unit
from dkfi.exercises.schemas import (ExerciseIn, LessonAction, LessonIn, ObjectiveIn, ParticipationIn, PlanStoredIn,
                                    QualificationIn, UnitIn)

router = APIRouter(prefix="/api/exercises", tags=["exercises"])
MAX_CSV_BYTES = 2_000_000
Planner = require("plan")


def _invalid(exc: Exception) -> HTTPException:
    return HTTPException(422, str(exc))


def _today(as_of: date | None) -> date:
    return as_of or date.today()


# ---- the calendar ------------------------------------------------------------------------------------------------

@router.get("", summary="Exercises, filtered by framework, domain, a nation taking part and dates")
def exercises(session: UserSession,
              framework: Annotated[str | None, Query(description=" | ".join(FRAMEWORKS))] = None,
              domain: Annotated[str | None, Query(description="land | maritime | air | cyber | space | joint")] = None,
              nation: Annotated[str | None, Query(pattern="^(DNK|FIN)$")] = None,
              start: date | None = None, end: date | None = None) -> list[dict]:
    rows = service.list_exercises(session, framework=framework, domain=domain, nation=nation, start=start, end=end)
    return [service.exercise_dict(e) for e in rows]


@router.post("", summary="Create or update an exercise (planners)", status_code=201,
             responses={422: {"model": Problem}})
def create_exercise(body: ExerciseIn, session: UserSession, p=Planner) -> dict:
    try:
        return service.exercise_dict(service.save_exercise(session, body, p.nation, p.clearance))
    except service.Invalid as exc:
        raise _invalid(exc) from None


@router.get("/calendar", summary="A year or month of exercises with their milestones and conflicts")
def calendar(session: UserSession, year: Annotated[int, Query(ge=1990, le=2100)],
             month: Annotated[int | None, Query(ge=1, le=12)] = None, framework: str | None = None,
             domain: str | None = None, nation: Annotated[str | None, Query(pattern="^(DNK|FIN)$")] = None) -> dict:
    return service.calendar(session, year=year, month=month, framework=framework, domain=domain, nation=nation)


@router.get("/calendar.ics", summary="The exercises and their planning milestones as iCalendar",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
def calendar_ics(session: UserSession, framework: str | None = None, start: date | None = None,
                 end: date | None = None) -> Response:
    from dkfi.exercises.calendar_io import to_ics

    rows = service.list_exercises(session, framework=framework, start=start, end=end)
    return Response(to_ics(service.calendar_items(rows)), media_type="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="dkfi-exercises.ics"',
                             "Cache-Control": "no-store"})


@router.post("/calendar/import", summary="Import a calendar CSV (planners): good rows stored, bad ones reported",
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"text/csv": {"schema": {"type": "string"}}}}},
             responses={413: {"model": Problem}, 422: {"model": Problem}})
async def import_calendar(request: Request, session: UserSession, p=Planner) -> dict:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {int(declared):,} bytes; at most {MAX_CSV_BYTES:,} are accepted")
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {len(body):,} bytes; at most {MAX_CSV_BYTES:,} are accepted")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the CSV is not UTF-8 text (byte {exc.start})") from None
    from dkfi.exercises.calendar_io import CalendarCsvError

    try:
        report = await run_in_threadpool(service.import_calendar_csv, session, text, p.nation, p.clearance)
    except CalendarCsvError as exc:
        raise HTTPException(422, str(exc)) from None
    return report.as_dict()


# ---- units, competencies, participations ---------------------------------------------------------------------

@router.get("/units", summary="Units of both nations")
def units(session: UserSession, nation: Annotated[str | None, Query(pattern="^(DNK|FIN)$")] = None) -> list[dict]:
    q = select(Unit).order_by(Unit.nation, Unit.name)
    if nation:
        q = q.where(Unit.nation == nation)
    return [service.unit_dict(u) for u in session.scalars(q)]


@router.post("/units", summary="Create or update a unit (planners)", status_code=201,
             responses={422: {"model": Problem}})
def create_unit(body: UnitIn, session: UserSession, p=Planner) -> dict:
    try:
        return service.unit_dict(service.save_unit(session, body, p.nation, p.clearance))
    except service.Invalid as exc:
        raise _invalid(exc) from None


@router.post("/qualifications", summary="Record a unit's qualification (planners)", status_code=201,
             responses={422: {"model": Problem}})
def create_qualification(body: QualificationIn, session: UserSession, p=Planner) -> dict:
    try:
        q = service.save_qualification(session, body, p.nation, p.clearance)
    except service.Invalid as exc:
        raise _invalid(exc) from None
    return {"key": q.key, "unit": q.unit_key, "name": q.name, "valid_until": q.valid_until}


@router.get("/competencies", summary="Qualification expiry warnings per unit, and the exercises that renew them")
def competencies(session: UserSession, as_of: date | None = None,
                 warn_days: Annotated[int, Query(ge=0, le=3650)] = 180) -> list[dict]:
    return service.competencies(session, _today(as_of), warn_days)


@router.get("/participations", summary="Who takes part in which exercise")
def participations(session: UserSession, exercise: str | None = None) -> list[dict]:
    q = select(Participation).order_by(Participation.key)
    rows = [p for p in session.scalars(q) if exercise is None or service.bare(p.exercise_key) == service.bare(exercise)]
    return [service.participation_dict(p) for p in rows]


@router.post("/participations", summary="Book a unit into an exercise (planners)", status_code=201,
             responses={422: {"model": Problem}})
def create_participation(body: ParticipationIn, session: UserSession, p=Planner) -> dict:
    try:
        return service.participation_dict(service.save_participation(session, body, p.nation, p.clearance))
    except service.Invalid as exc:
        raise _invalid(exc) from None


# ---- interoperability -----------------------------------------------------------------------------------------

@router.get("/objectives", summary="Interoperability objectives (Danish-Finnish pairs to practise together)")
def objectives(session: UserSession) -> list[dict]:
    return [service.objective_dict(o) for o in
            session.scalars(select(InteropObjective).order_by(InteropObjective.key))]


@router.post("/objectives", summary="Create or update an objective (planners)", status_code=201,
             responses={422: {"model": Problem}})
def create_objective(body: ObjectiveIn, session: UserSession, p=Planner) -> dict:
    try:
        return service.objective_dict(service.save_objective(session, body, p.nation, p.clearance))
    except service.Invalid as exc:
        raise _invalid(exc) from None


@router.get("/matrix", summary="The interoperability matrix: when each pair last trained together, overdue or not")
def matrix(session: UserSession, as_of: date | None = None) -> dict:
    return service.matrix(session, _today(as_of))


@router.get("/matrix.csv", summary="The interoperability matrix as CSV", response_class=PlainTextResponse,
            responses={200: {"content": {"text/csv": {}}}})
def matrix_csv(session: UserSession, as_of: date | None = None) -> Response:
    return Response(service.matrix_csv(service.matrix(session, _today(as_of))), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="dkfi-interop-matrix.csv"'})


# ---- the planner ----------------------------------------------------------------------------------------------

@router.post("/plan", summary="Plan participation (the planner's JSON file format, docs/exercises.md)",
             responses={422: {"model": Problem}})
async def plan(request: Request, p=Planner) -> dict:
    from dkfi.exercises.planner import PlanInputError, plan as make_plan

    try:
        data: Any = await request.json()
    except ValueError as exc:
        raise HTTPException(422, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HTTPException(422, "the body must be a JSON object with exercises, units, objectives, budget")
    try:
        return await run_in_threadpool(make_plan, data)
    except PlanInputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/plan/stored", summary="Plan from the stored records the caller may see, within budgets",
             responses={422: {"model": Problem}})
async def plan_stored(body: PlanStoredIn, session: UserSession, p=Planner) -> dict:
    from dkfi.exercises.planner import PlanInputError, plan as make_plan

    start = body.start or date.today()
    end = body.end or date(start.year + 1, start.month, 1)
    if end < start:
        raise HTTPException(422, f"end {end} is before start {start}")
    problem = service.stored_problem(session, start=start, end=end, budget=body.budget)
    try:
        result = await run_in_threadpool(make_plan, problem, time_limit_s=body.time_limit_s)
    except PlanInputError as exc:
        raise HTTPException(422, f"the stored records do not make a valid plan: {exc}") from None
    return {"problem": problem, "plan": result}


# ---- lessons ---------------------------------------------------------------------------------------------------

@router.get("/lessons", summary="Lessons (observation -> identified -> action -> learned)")
def lessons(session: UserSession, status: Annotated[str | None, Query(
        pattern="^(observation|identified|action|learned)$")] = None) -> list[dict]:
    q = select(Lesson).order_by(Lesson.created.desc(), Lesson.id.desc())
    if status:
        q = q.where(Lesson.status == status)
    return [service.lesson_dict(r) for r in session.scalars(q)]


@router.post("/lessons", summary="Record an observation (planners, operators)", status_code=201,
             responses={422: {"model": Problem}})
def create_lesson(body: LessonIn, session: UserSession, p=require("act")) -> dict:
    try:
        lesson = service.add_lesson(session, body, p.nation, p.name, p.clearance)
    except service.Invalid as exc:
        raise _invalid(exc) from None
    return service.lesson_dict(lesson, service.lesson_changes(session, lesson.id))


@router.get("/lessons/{lesson_id}", summary="A lesson with its history", responses={404: {"model": Problem}})
def lesson(lesson_id: int, session: UserSession) -> dict:
    r = session.get(Lesson, lesson_id) if 0 < lesson_id < 2**62 else None
    if r is None:
        if 0 < lesson_id < 2**62:
            denied_get(session, Lesson, lesson_id)
        raise HTTPException(404, f"no lesson {lesson_id}")
    return service.lesson_dict(r, service.lesson_changes(session, r.id))


@router.post("/lessons/{lesson_id}/actions", summary="Move a lesson along the process",
             responses={404: {"model": Problem}, 409: {"model": Problem}})
def lesson_action(lesson_id: int, body: LessonAction, session: UserSession, p=require("act")) -> dict:
    if not 0 < lesson_id < 2**62:
        raise HTTPException(404, f"no lesson {lesson_id}")
    try:
        r = service.act_on_lesson(session, lesson_id, body, p.name)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except LifecycleError as exc:
        raise HTTPException(409, str(exc)) from None
    return service.lesson_dict(r, service.lesson_changes(session, r.id))


# ---- one exercise (last: its path would shadow the fixed ones above) ---------------------------------------------

@router.get("/{key}", summary="One exercise, with who takes part", responses={404: {"model": Problem}})
def exercise(key: str, session: UserSession) -> dict:
    try:
        e = service.get_exercise(session, key)
    except service.NotFound:
        row = session.connection().execute(select(Exercise.__table__.c.id).where(Exercise.__table__.c.key == key))\
            .first()
        if row is not None:
            denied_get(session, Exercise, row[0])
        raise HTTPException(404, f"no exercise {key!r}") from None
    parts = [service.participation_dict(p) for p in session.scalars(select(Participation))
             if service.bare(p.exercise_key) == service.bare(e.key)]
    return service.exercise_dict(e) | {"participations": parts}
