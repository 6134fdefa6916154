"""The logic of exercises and training, no HTTP: records, the calendar and its conflicts, the interoperability
matrix, competencies, planning from the stored records, lessons. Functions take a session (already filtered to
what its user may see) and never commit: the API, CLI and seed own the transaction."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Sequence, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label
from dkfi.core import records
from dkfi.core.records import Lifecycle, LifecycleError, record_label
from dkfi.exercises.models import (Exercise, InteropObjective, Lesson, LessonChange, Participation, Qualification,
                                   Unit)

T = TypeVar("T")
DEFAULT_LABEL = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))


class NotFound(LookupError):
    """No such record, or none the user may see (the API answers 404 either way)."""


class Invalid(ValueError):
    """Input that refers to something impossible (the message names the field)."""


# ---- keys ------------------------------------------------------------------------------------------------------

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100] or "x"


def by_key(session: Session, model: type[T], ref: str) -> T | None:
    """The record with natural key ``ref``: this node's own, or a partner's (stored as ``<origin>:<ref>``)."""
    return records.by_key(session, model, ref)


bare = records.bare_key


def _need(session: Session, model: type[T], ref: str, field_name: str) -> T:
    r = by_key(session, model, ref)
    if r is None:
        raise Invalid(f"{field_name}: no {model.__tablename__} {ref!r} that you may see")  # type: ignore[attr-defined]
    return r


def _label(data: Any, ceiling: Classification | None) -> Label:
    lab = Label.from_text(data.classification, ",".join(data.releasable_to))
    if ceiling is not None and lab.classification > ceiling:
        raise Invalid(f"classification: {lab.classification.name} is above your clearance {ceiling.name}")
    return lab


# ---- records ---------------------------------------------------------------------------------------------------

def save_exercise(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Exercise:
    """Create or update (same key, same owner) an exercise from an :class:`ExerciseIn`."""
    key = data.key or f"{slug(data.name)}-{data.start.year}"
    ex = session.scalar(select(Exercise).where(Exercise.key == key))
    if ex is not None and ex.owner_nation != nation:
        raise Invalid(f"key: exercise {key!r} belongs to {ex.owner_nation}")
    if ex is None:
        ex = Exercise(key=key)
        session.add(ex)
    for f in ("name", "series", "framework", "organiser", "start", "end", "domains", "location", "lat", "lon",
              "ipc", "mpc", "fpc", "practises", "renews", "cost", "description"):
        setattr(ex, f, getattr(data, f))
    ex.updated = datetime.now(timezone.utc)
    ex.set_label(_label(data, ceiling), nation)
    session.flush()
    return ex


def save_unit(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Unit:
    u = session.scalar(select(Unit).where(Unit.key == data.key))
    if u is not None and u.owner_nation != nation:
        raise Invalid(f"key: unit {data.key!r} belongs to {u.owner_nation}")
    if u is None:
        u = Unit(key=data.key)
        session.add(u)
    for f in ("name", "nation", "service", "type", "home_base", "capability_codes", "readiness", "max_exercises"):
        setattr(u, f, getattr(data, f))
    u.availability = [[a.isoformat(), b.isoformat()] for a, b in data.availability]
    u.set_label(_label(data, ceiling), nation)
    session.flush()
    return u


def save_qualification(session: Session, data: Any, nation: str,
                       ceiling: Classification | None = None) -> Qualification:
    unit = _need(session, Unit, data.unit, "unit")
    key = f"{bare(unit.key)}/{slug(data.name)}"
    q = session.scalar(select(Qualification).where(Qualification.key == key))
    if q is None:
        q = Qualification(key=key)
        session.add(q)
    q.unit_key, q.name, q.level, q.valid_until = bare(unit.key), data.name, data.level, data.valid_until
    q.set_label(_label(data, ceiling), nation)
    session.flush()
    return q


def save_participation(session: Session, data: Any, nation: str,
                       ceiling: Classification | None = None) -> Participation:
    unit = _need(session, Unit, data.unit, "unit")
    ex = _need(session, Exercise, data.exercise, "exercise")
    key = f"{bare(ex.key)}/{bare(unit.key)}"
    p = session.scalar(select(Participation).where(Participation.key == key))
    if p is None:
        p = Participation(key=key)
        session.add(p)
    p.unit_key, p.exercise_key, p.role, p.status = bare(unit.key), bare(ex.key), data.role, data.status
    p.start, p.end = ex.start, ex.end
    p.set_label(_label(data, ceiling), nation)
    session.flush()
    return p


def save_objective(session: Session, data: Any, nation: str,
                   ceiling: Classification | None = None) -> InteropObjective:
    a, b = _need(session, Unit, data.unit_a, "unit_a"), _need(session, Unit, data.unit_b, "unit_b")
    if {a.nation, b.nation} != {"DNK", "FIN"}:
        raise Invalid(f"unit_b: an interoperability objective pairs a Danish and a Finnish unit "
                      f"(got {a.nation} and {b.nation})")
    o = session.scalar(select(InteropObjective).where(InteropObjective.key == data.key))
    if o is not None and o.owner_nation != nation:
        raise Invalid(f"key: objective {data.key!r} belongs to {o.owner_nation}")
    if o is None:
        o = InteropObjective(key=data.key)
        session.add(o)
    o.name, o.unit_a, o.unit_b = data.name, bare(a.key), bare(b.key)
    o.capability, o.priority, o.interval_days = data.capability, data.priority, data.interval_days
    o.set_label(_label(data, ceiling), nation)
    session.flush()
    return o


def list_exercises(session: Session, *, framework: str | None = None, domain: str | None = None,
                   nation: str | None = None, start: date | None = None, end: date | None = None) -> list[Exercise]:
    """Exercises (optionally of a framework, a domain, with a nation's units taking part, overlapping a span)."""
    q = select(Exercise).order_by(Exercise.start, Exercise.key)
    if framework:
        q = q.where(Exercise.framework == framework)
    if start:
        q = q.where(Exercise.end >= start)
    if end:
        q = q.where(Exercise.start <= end)
    rows = list(session.scalars(q))
    if domain:
        rows = [e for e in rows if domain in (e.domains or [])]
    if nation:
        units = {bare(u.key) for u in session.scalars(select(Unit).where(Unit.nation == nation))}
        taking = {bare(p.exercise_key) for p in session.scalars(select(Participation)) if p.unit_key in units
                  and p.status != "cancelled"}
        rows = [e for e in rows if bare(e.key) in taking]
    return rows


def get_exercise(session: Session, key: str) -> Exercise:
    ex = by_key(session, Exercise, key)
    if ex is None:
        raise NotFound(f"no exercise {key!r}")
    return ex


def exercise_dict(e: Exercise) -> dict:
    return {"key": e.key, "name": e.name, "series": e.series, "framework": e.framework, "organiser": e.organiser,
            "start": e.start.isoformat(), "end": e.end.isoformat(), "domains": e.domains or [],
            "location": e.location, "lat": e.lat, "lon": e.lon,
            "milestones": {m: getattr(e, m).isoformat() for m in ("ipc", "mpc", "fpc") if getattr(e, m)},
            "practises": e.practises or [], "renews": e.renews or [], "cost": e.cost or {},
            "description": e.description, "label": record_label(e)}


def unit_dict(u: Unit) -> dict:
    return {"key": u.key, "name": u.name, "nation": u.nation, "service": u.service, "type": u.type,
            "home_base": u.home_base, "capability_codes": u.capability_codes or [], "readiness": u.readiness,
            "availability": u.availability or [], "max_exercises": u.max_exercises, "label": record_label(u)}


def participation_dict(p: Participation) -> dict:
    return {"key": p.key, "unit": p.unit_key, "exercise": p.exercise_key, "role": p.role, "status": p.status,
            "start": p.start.isoformat() if p.start else None, "end": p.end.isoformat() if p.end else None,
            "label": record_label(p)}


def objective_dict(o: InteropObjective) -> dict:
    return {"key": o.key, "name": o.name, "unit_a": o.unit_a, "unit_b": o.unit_b, "capability": o.capability,
            "priority": o.priority, "interval_days": o.interval_days, "label": record_label(o)}


# ---- calendar and conflicts --------------------------------------------------------------------------------------

@dataclass
class Conflict:
    kind: str                     # unit_double_booked | milestone_clash
    date: date
    what: str
    exercises: list[str] = field(default_factory=list)
    unit: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "date": self.date.isoformat(), "what": self.what, "exercises": self.exercises,
                "unit": self.unit}


def _overlap(a0: date, a1: date, b0: date, b1: date) -> bool:
    return a0 <= b1 and b0 <= a1


def conflicts(exercises: Sequence[Exercise], participations: Sequence[Participation],
              units: dict[str, Unit]) -> list[Conflict]:
    """Units booked into two exercises whose dates overlap (end dates inclusive), and planning conferences that
    clash: two on the same day, or one held while another exercise of a unit it plans for runs."""
    exs = {bare(e.key): e for e in exercises}
    out: list[Conflict] = []
    by_unit: dict[str, list[Exercise]] = {}
    for p in participations:
        e = exs.get(bare(p.exercise_key))
        if e is not None and p.status != "cancelled":
            by_unit.setdefault(p.unit_key, []).append(e)
    for unit_key, booked in sorted(by_unit.items()):
        booked.sort(key=lambda e: (e.start, e.key))
        name = units[unit_key].name if unit_key in units else unit_key
        for i, a in enumerate(booked):
            for b in booked[i + 1:]:
                if _overlap(a.start, a.end, b.start, b.end):
                    out.append(Conflict("unit_double_booked", max(a.start, b.start),
                                        f"{name} is booked into {a.name} and {b.name} at once",
                                        [a.key, b.key], unit_key))
    milestones = [(getattr(e, m), m.upper(), e) for e in exercises for m in ("ipc", "mpc", "fpc") if getattr(e, m)]
    seen: dict[date, list[tuple[str, Exercise]]] = {}
    for d, m, e in milestones:
        seen.setdefault(d, []).append((m, e))
    for d, items in sorted(seen.items()):
        if len(items) > 1:
            out.append(Conflict("milestone_clash", d, "planning conferences on the same day: " +
                                ", ".join(f"{e.name} {m}" for m, e in items), [e.key for _, e in items]))
    for d, m, e in milestones:
        mine = {u for u, booked in by_unit.items() if any(x.key == e.key for x in booked)}
        for other in exercises:
            if other.key == e.key or not (other.start <= d <= other.end):
                continue
            shared = sorted(u for u in mine if any(x.key == other.key for x in by_unit.get(u, [])))
            if shared:
                out.append(Conflict("milestone_clash", d, f"{e.name} {m} falls during {other.name}, where "
                                    f"{len(shared)} of its units are", [e.key, other.key]))
    return sorted(out, key=lambda c: (c.date, c.kind, c.what))


def calendar(session: Session, *, year: int, month: int | None = None, framework: str | None = None,
             domain: str | None = None, nation: str | None = None) -> dict:
    """The exercises of a year (or a month of it), their milestones, and the conflicts among them."""
    start = date(year, month or 1, 1)
    end = (date(year + (month or 12) // 12, (month or 12) % 12 + 1, 1) - timedelta(days=1))
    # the exercises running in the span, and those whose planning conferences fall in it
    exs = [e for e in list_exercises(session, framework=framework, domain=domain, nation=nation)
           if _overlap(e.start, e.end, start, end)
           or any(d is not None and start <= d <= end for d in (e.ipc, e.mpc, e.fpc))]
    keys = {bare(e.key) for e in exs}
    parts = [p for p in session.scalars(select(Participation)) if bare(p.exercise_key) in keys]
    units = {bare(u.key): u for u in session.scalars(select(Unit))}
    return {"year": year, "month": month, "start": start.isoformat(), "end": end.isoformat(),
            "exercises": [exercise_dict(e) | {"units": sorted(p.unit_key for p in parts
                                                              if bare(p.exercise_key) == bare(e.key)
                                                              and p.status != "cancelled")} for e in exs],
            "conflicts": [c.as_dict() for c in conflicts(exs, parts, units)]}


def calendar_items(exercises: Iterable[Exercise]):
    """Exercises as :class:`dkfi.exercises.calendar_io.CalendarItem` for the .ics export."""
    from dkfi.exercises.calendar_io import CalendarItem, Milestone

    for e in exercises:
        lab = e.label
        yield CalendarItem(
            uid=f"{e.owner_nation}-{bare(e.key)}", name=e.name, start=e.start, end=e.end, framework=e.framework,
            organiser=e.organiser, domains=tuple(e.domains or ()), location=e.location, description=e.description,
            milestones=tuple(Milestone(m.upper(), getattr(e, m)) for m in ("ipc", "mpc", "fpc") if getattr(e, m)),
            classification=lab.classification.name, releasable_to=tuple(lab.releasable_to),
            owner_nation=e.owner_nation)


@dataclass
class ImportReport:
    received: int = 0
    stored: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"received": self.received, "stored": self.stored, "rejected": self.rejected}


def import_calendar_csv(session: Session, text: str, nation: str, ceiling: Classification | None = None,
                        default: Label = DEFAULT_LABEL) -> ImportReport:
    """Store the good rows of a calendar CSV (new exercises, or updates of this nation's), report the bad ones."""
    from dkfi.exercises.calendar_io import parse_calendar_csv
    from dkfi.exercises.schemas import ExerciseIn

    parsed = parse_calendar_csv(text)
    report = ImportReport(received=parsed.received)
    report.rejected = [{"line": r.line, "reason": r.reason} for r in parsed.rejected]
    for row in parsed.rows:
        try:
            ms = {m.name.lower(): m.date for m in row.milestones}
            data = ExerciseIn(
                name=row.name, series=row.series, framework=row.framework, organiser=row.organiser,
                start=row.start, end=row.end, domains=list(row.domains), location=row.location, lat=row.lat,
                lon=row.lon, ipc=ms.get("ipc"), mpc=ms.get("mpc"), fpc=ms.get("fpc"),
                description=row.description,
                classification=row.classification or default.classification.name,
                releasable_to=list(row.releasable_to) if row.releasable_to else list(default.releasable_to))
            with session.begin_nested():
                save_exercise(session, data, nation, ceiling)
            report.stored += 1
        except (ValueError, Invalid) as exc:
            report.rejected.append({"line": row.line, "reason": str(exc)})
    return report


# ---- interoperability matrix ---------------------------------------------------------------------------------------

def matrix(session: Session, as_of: date) -> dict:
    """For each objective: when its pair last trained together on it (both units in the same exercise that
    practises it, ended by ``as_of``), and whether that is overdue against its desired interval."""
    objectives = list(session.scalars(select(InteropObjective).order_by(InteropObjective.key)))
    units = {bare(u.key): u for u in session.scalars(select(Unit))}
    exs = {bare(e.key): e for e in session.scalars(select(Exercise))}
    attended: dict[str, set[str]] = {}
    for p in session.scalars(select(Participation)):
        if p.status != "cancelled":
            attended.setdefault(bare(p.exercise_key), set()).add(p.unit_key)
    rows = []
    for o in objectives:
        okey = bare(o.key)
        last: Exercise | None = None
        planned: Exercise | None = None
        for ekey, e in exs.items():
            if okey not in {bare(k) for k in e.practises or []}:
                continue
            if not {o.unit_a, o.unit_b} <= attended.get(ekey, set()):
                continue
            if e.end <= as_of and (last is None or e.end > last.end):
                last = e
            if e.start > as_of and (planned is None or e.start < planned.start):
                planned = e
        due = (last.end + timedelta(days=o.interval_days)) if last else None
        overdue_days = (as_of - due).days if due else None
        status = "never" if last is None else "overdue" if overdue_days is not None and overdue_days > 0 else \
            "due_soon" if due is not None and (due - as_of).days <= 60 else "ok"
        a, b = units.get(o.unit_a), units.get(o.unit_b)
        rows.append({"objective": o.key, "name": o.name, "priority": o.priority, "interval_days": o.interval_days,
                     "unit_a": o.unit_a, "unit_a_name": a.name if a else o.unit_a,
                     "unit_b": o.unit_b, "unit_b_name": b.name if b else o.unit_b, "capability": o.capability,
                     "last_trained": last.end.isoformat() if last else None, "last_exercise": last.name if last
                     else None, "due": due.isoformat() if due else None, "overdue_days": overdue_days,
                     "next_planned": planned.name if planned else None, "status": status,
                     "label": record_label(o)})
    paired = {k for r in rows for k in (r["unit_a"], r["unit_b"])}
    dk = sorted(k for k in paired if k in units and units[k].nation == "DNK")
    fi = sorted(k for k in paired if k in units and units[k].nation == "FIN")
    return {"as_of": as_of.isoformat(), "objectives": rows, "dnk_units": dk, "fin_units": fi,
            "unit_names": {k: u.name for k, u in units.items()}}


MATRIX_COLUMNS = ("objective", "name", "priority", "unit_a", "unit_a_name", "unit_b", "unit_b_name", "capability",
                  "interval_days", "last_trained", "last_exercise", "due", "overdue_days", "next_planned", "status")


def matrix_csv(m: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(MATRIX_COLUMNS + ("classification", "releasable_to"))
    for r in m["objectives"]:
        w.writerow([r[c] if r[c] is not None else "" for c in MATRIX_COLUMNS] +
                   [r["label"]["classification"], " ".join(r["label"]["releasable_to"])])
    return out.getvalue()


# ---- competencies ----------------------------------------------------------------------------------------------

def competencies(session: Session, as_of: date, warn_days: int = 180) -> list[dict]:
    """Per unit: each qualification's state (expired, expiring within ``warn_days``, valid, no expiry) and the
    planned exercises that renew it (exercises whose ``renews`` names it, which the unit attends)."""
    units = {bare(u.key): u for u in session.scalars(select(Unit).order_by(Unit.nation, Unit.name))}
    exs = {bare(e.key): e for e in session.scalars(select(Exercise))}
    parts: dict[str, list[Exercise]] = {}
    for p in session.scalars(select(Participation)):
        e = exs.get(bare(p.exercise_key))
        if e is not None and p.status != "cancelled" and e.start >= as_of:
            parts.setdefault(p.unit_key, []).append(e)
    quals: dict[str, list[Qualification]] = {}
    for q in session.scalars(select(Qualification).order_by(Qualification.name)):
        quals.setdefault(q.unit_key, []).append(q)
    out = []
    for key, u in units.items():
        items: list[dict[str, Any]] = []
        for q in quals.get(key, []):
            left = (q.valid_until - as_of).days if q.valid_until else None
            state = "no_expiry" if left is None else "expired" if left < 0 else \
                "expiring" if left <= warn_days else "valid"
            renew = sorted((e for e in parts.get(key, []) if q.name.lower() in
                            {r.lower() for r in e.renews or []}), key=lambda e: e.start)
            items.append({"name": q.name, "level": q.level, "valid_until": q.valid_until.isoformat()
                          if q.valid_until else None, "days_left": left, "state": state,
                          "renewed_by": [{"exercise": e.key, "name": e.name, "start": e.start.isoformat(),
                                          "in_time": q.valid_until is None or e.start <= q.valid_until}
                                         for e in renew],
                          "label": record_label(q)})
        out.append({"unit": u.key, "name": u.name, "nation": u.nation, "service": u.service,
                    "qualifications": items,
                    "warnings": sum(1 for i in items if i["state"] in ("expired", "expiring")
                                    and not any(r["in_time"] for r in i["renewed_by"]))})
    return out


# ---- planning from the stored records -------------------------------------------------------------------------------

def stored_problem(session: Session, *, start: date, end: date, budget: dict[str, float]) -> dict:
    """The planner's input (docs/exercises.md, Planner) from the stored records the user may see: exercises
    starting in ``[start, end]``, every unit, every objective between units, confirmed attendances as fixed."""
    exs = [e for e in session.scalars(select(Exercise).order_by(Exercise.start)) if start <= e.start <= end]
    units = list(session.scalars(select(Unit).order_by(Unit.key)))
    ukeys = {bare(u.key) for u in units}
    objs = [o for o in session.scalars(select(InteropObjective).order_by(InteropObjective.key))
            if o.unit_a in ukeys and o.unit_b in ukeys]
    okeys = {bare(o.key) for o in objs}
    ekeys = {bare(e.key) for e in exs}
    fixed = [{"unit": p.unit_key, "exercise": bare(p.exercise_key)} for p in session.scalars(select(Participation))
             if p.status == "confirmed" and bare(p.exercise_key) in ekeys and p.unit_key in ukeys]
    return {
        "exercises": [{"id": bare(e.key), "start": e.start.isoformat(), "end": e.end.isoformat(),
                       "cost": {n: float((e.cost or {}).get(n, 0.0)) for n in ("DNK", "FIN")},
                       "practises": sorted({bare(k) for k in e.practises or []} & okeys)} for e in exs],
        "units": [{"id": bare(u.key), "nation": u.nation, "available": u.availability or [],
                   "max_exercises": u.max_exercises} for u in units],
        "objectives": [{"id": bare(o.key), "units": [o.unit_a, o.unit_b], "priority": o.priority} for o in objs],
        "budget": {n: float(budget.get(n, 0.0)) for n in ("DNK", "FIN")},
        "fixed": fixed,
    }


# ---- lessons -----------------------------------------------------------------------------------------------------

LESSON_STATUSES = ("observation", "identified", "action", "learned")
LESSON_ACTIONS = {
    "identify": (("observation",), "identified"),
    "act": (("identified",), "action"),
    "learn": (("action",), "learned"),
    "reopen": (("learned",), "action"),
    "note": (LESSON_STATUSES, None),
}
LESSONS = Lifecycle("lesson", LESSON_STATUSES, LESSON_ACTIONS, LessonChange, "lesson_id")


def add_lesson(session: Session, data: Any, nation: str, actor: str,
               ceiling: Classification | None = None) -> Lesson:
    """Record an observation (the first step of the lessons process), linked to an exercise and an objective."""
    ex = _need(session, Exercise, data.exercise, "exercise") if data.exercise else None
    ob = _need(session, InteropObjective, data.objective, "objective") if data.objective else None
    now = datetime.now(timezone.utc)
    lesson = Lesson(key=f"{nation}-{now.strftime('%Y%m%d%H%M%S%f')}", title=data.title,
                    observation=data.observation, exercise_key=bare(ex.key) if ex else None,
                    objective_key=bare(ob.key) if ob else None, status="observation", created=now, updated=now)
    lesson.set_label(_label(data, ceiling), nation)
    session.add(lesson)
    session.flush()
    LESSONS.record_change(session, lesson, actor, "observe", None, "observation", {})
    return lesson


def act_on_lesson(session: Session, lesson_id: int, data: Any, actor: str) -> Lesson:
    """One step of the lessons process, with what it needs (the message names what is missing)."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(f"no lesson {lesson_id}")
    LESSONS.target(lesson, data.action, actor)
    detail: dict[str, Any] = {}
    if data.action == "identify":
        if not data.lesson:
            raise LifecycleError("identify needs the lesson identified (field lesson)")
        lesson.lesson = data.lesson
        detail["lesson"] = data.lesson
    elif data.action == "act":
        missing = [f for f, v in (("action_text", data.action_text), ("owner", data.owner), ("due", data.due))
                   if not v]
        if missing:
            raise LifecycleError(f"act needs the action, its owner and due date (missing: {', '.join(missing)})")
        lesson.action, lesson.action_owner, lesson.due = data.action_text, data.owner, data.due
        detail.update(action=data.action_text, owner=data.owner, due=data.due.isoformat())
    elif data.action in ("learn", "note") and not data.notes:
        raise LifecycleError(f"{data.action} needs notes ({'how the action was validated' if data.action == 'learn' else 'the note'})")
    if data.notes:
        detail["notes"] = data.notes
    return LESSONS.apply(session, lesson, data.action, actor, detail)


def lesson_dict(lesson: Lesson, changes: Iterable[LessonChange] | None = None) -> dict:
    d: dict[str, Any] = {"id": lesson.id, "key": lesson.key, "title": lesson.title, "status": lesson.status,
         "exercise": lesson.exercise_key, "objective": lesson.objective_key, "observation": lesson.observation,
         "lesson": lesson.lesson, "action": lesson.action, "action_owner": lesson.action_owner,
         "due": lesson.due.isoformat() if lesson.due else None,
         "overdue": bool(lesson.due and lesson.status == "action" and lesson.due < date.today()),
         "label": record_label(lesson)}
    if changes is not None:
        d["changes"] = [{"at": c.at.isoformat() if c.at else None, "actor": c.actor, "action": c.action,
                         "from": c.from_status, "to": c.to_status, "detail": c.detail or {}} for c in changes]
    return d


def lesson_changes(session: Session, lesson_id: int) -> list[LessonChange]:
    return list(session.scalars(select(LessonChange).where(LessonChange.lesson_id == lesson_id)
                                .order_by(LessonChange.id)))
