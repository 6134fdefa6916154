"""Pages of exercises and training: calendar (month and year), interoperability matrix, planner, lessons, units
and competencies. Data is read through the user's session, so a page shows only what its user may see; the
banner is the highest label on the page (:mod:`dkfi.web.pages`)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dkfi.core.access import user_session
from dkfi.core.audit import REMOTE_KEY
from dkfi.core.identity import Principal
from dkfi.core.security import client_addr
from dkfi.exercises import service
from dkfi.exercises.models import DOMAINS, FRAMEWORKS, InteropObjective, Lesson, Unit
from dkfi.web.pages import PagePrincipal, highest, render

router = APIRouter()

TABS = (("/exercises", "Calendar", "exercises"), ("/exercises/matrix", "Interoperability", "exercises-matrix"),
        ("/exercises/planner", "Planner", "exercises-planner"), ("/exercises/units", "Units and competencies",
                                                                   "exercises-units"),
        ("/exercises/lessons", "Lessons", "exercises-lessons"))


def _session(request: Request, p: Principal):
    # committed at the end, so the page's reads above UNCLASSIFIED are audited like the API's
    return user_session(request.app.state.engine, p, **{REMOTE_KEY: client_addr(request)})


def _banner(request: Request, labels) -> str:
    return highest([request.app.state.settings.banner, *labels])


@router.get("/exercises", response_class=HTMLResponse, include_in_schema=False)
def calendar_page(request: Request, p: Principal = PagePrincipal,
                  year: int | None = Query(None, ge=1990, le=2100), month: int | None = Query(None, ge=1, le=12),
                  view: str = Query("month", pattern="^(month|year)$"), framework: str | None = None,
                  domain: str | None = None, nation: str | None = Query(None, pattern="^(DNK|FIN)?$")):
    today = date.today()
    year = year or today.year
    month = (month or today.month) if view == "month" else None
    with _session(request, p) as s:
        cal = service.calendar(s, year=year, month=month, framework=framework or None, domain=domain or None,
                               nation=nation or None)
    labels = [e["label"]["classification"] for e in cal["exercises"]]
    return render(request, "exercises_calendar.html", "exercises", banner_text=_banner(request, labels),
                  tabs=TABS, tab="exercises", cal=cal, view=view, year=year, month=month, today=today.isoformat(),
                  frameworks=FRAMEWORKS, domains=DOMAINS, framework=framework or "", domain=domain or "",
                  nation=nation or "")


@router.get("/exercises/matrix", response_class=HTMLResponse, include_in_schema=False)
def matrix_page(request: Request, p: Principal = PagePrincipal, as_of: str | None = None):
    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        when = date.today()  # a form's bad date shows today's matrix rather than an error page
    with _session(request, p) as s:
        m = service.matrix(s, when)
        unit_labels = [u.classification for u in s.scalars(select(Unit))]
    labels = [r["label"]["classification"] for r in m["objectives"]] + unit_labels
    return render(request, "exercises_matrix.html", "exercises", banner_text=_banner(request, labels), tabs=TABS,
                  tab="exercises-matrix", m=m)


@router.get("/exercises/planner", response_class=HTMLResponse, include_in_schema=False)
def planner_page(request: Request, p: Principal = PagePrincipal):
    today = date.today()
    with _session(request, p) as s:
        n_units = len(list(s.scalars(select(Unit))))
        n_objectives = len(list(s.scalars(select(InteropObjective))))
        upcoming = service.list_exercises(s, start=today)
        labels = [e.classification for e in upcoming]
    return render(request, "exercises_planner.html", "exercises", banner_text=_banner(request, labels), tabs=TABS,
                  tab="exercises-planner", n_units=n_units, n_objectives=n_objectives,
                  upcoming=[service.exercise_dict(e) for e in upcoming], start=today.isoformat(),
                  end=date(today.year + 1, today.month, 1).isoformat(), may_plan=p.may("plan"))


@router.get("/exercises/units", response_class=HTMLResponse, include_in_schema=False)
def units_page(request: Request, p: Principal = PagePrincipal, warn_days: int = Query(180, ge=0, le=3650)):
    today = date.today()
    with _session(request, p) as s:
        rows = service.competencies(s, today, warn_days)
        units = {u.key: service.unit_dict(u) for u in s.scalars(select(Unit))}
    labels = [u["label"]["classification"] for u in units.values()] + \
        [q["label"]["classification"] for r in rows for q in r["qualifications"]]
    return render(request, "exercises_units.html", "exercises", banner_text=_banner(request, labels), tabs=TABS,
                  tab="exercises-units", rows=rows, units=units, warn_days=warn_days, today=today.isoformat())


@router.get("/exercises/lessons", response_class=HTMLResponse, include_in_schema=False)
def lessons_page(request: Request, p: Principal = PagePrincipal, status: str | None = Query(
        None, pattern="^(observation|identified|action|learned)?$")):
    with _session(request, p) as s:
        q = select(Lesson).order_by(Lesson.created.desc(), Lesson.id.desc())
        if status:
            q = q.where(Lesson.status == status)
        rows = [service.lesson_dict(r, service.lesson_changes(s, r.id)) for r in s.scalars(q)]
        exercises = [(e.key, e.name) for e in service.list_exercises(s)]
        objectives = [(o.key, o.name) for o in s.scalars(select(InteropObjective).order_by(InteropObjective.key))]
    labels = [r["label"]["classification"] for r in rows]
    return render(request, "exercises_lessons.html", "exercises", banner_text=_banner(request, labels), tabs=TABS,
                  tab="exercises-lessons", lessons=rows, status=status or "", statuses=service.LESSON_STATUSES,
                  exercises=exercises, objectives=objectives, may_act=p.may("act"))
