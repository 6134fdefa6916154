"""``dkfi exercises``: the exercise calendar, interoperability matrix, competencies, planner and lessons.

Commands run as this node's operator (the node's nation owns what they create), like ``dkfi watch``."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from dkfi.cli.console import print_table, table

app = typer.Typer(help="Exercises and training: calendar (.ics, CSV import), interoperability matrix, "
                       "competencies, the participation planner, lessons learned.", no_args_is_help=True)
lessons_app = typer.Typer(help="Lessons learned: observation -> identified -> action -> learned.",
                          no_args_is_help=True)
app.add_typer(lessons_app, name="lessons")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
JSON_OPT = typer.Option(False, "--json", help="JSON on stdout")


def _session():
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope

    settings = get_settings()
    return settings, session_scope(get_engine(settings.effective_database_url))


def _date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be a date such as 2026-03-09; got {value!r}") from None


def _fail(msg: str, code: int = 1) -> None:
    err.print(f"[red]error:[/] {msg}")
    raise typer.Exit(code)


@app.command("list")
def list_(framework: Optional[str] = typer.Option(None, help="NATO | NORDEFCO | JEF | bilateral | national"),
          domain: Optional[str] = typer.Option(None, help="land | maritime | air | cyber | space | joint"),
          nation: Optional[str] = typer.Option(None, help="only exercises a DNK or FIN unit takes part in"),
          year: Optional[int] = typer.Option(None, help="only this year"),
          as_json: bool = JSON_OPT) -> None:
    """The exercises in the calendar."""
    from dkfi.exercises import service

    start, end = (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)
    _, scope = _session()
    with scope as s:
        rows = [service.exercise_dict(e) for e in service.list_exercises(
            s, framework=framework, domain=domain, nation=nation, start=start, end=end)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    t = table("key", "name", "framework", "start", "end", "domains", "label",
              keep=("key", "framework", "start", "end", "label"))
    for r in rows:
        t.add_row(r["key"], r["name"], r["framework"], r["start"], r["end"], ", ".join(r["domains"]),
                  r["label"]["classification"])
    print_table(t)


@app.command("import")
def import_(path: Path = typer.Argument(..., help="calendar CSV: name,start,end,framework[,series,organiser,"
                                                  "domains,location,lat,lon,ipc,mpc,fpc,classification,"
                                                  "releasable_to,description]"),
            as_json: bool = JSON_OPT) -> None:
    """Import a calendar CSV: good rows stored, every bad row reported with its line and reason."""
    from dkfi.exercises import service
    from dkfi.exercises.calendar_io import CalendarCsvError

    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(f"{path}: not UTF-8 text (byte {exc.start})", 2)
    settings, scope = _session()
    try:
        with scope as s:
            report = service.import_calendar_csv(s, text, settings.nation)
    except CalendarCsvError as exc:
        _fail(f"{path}: {exc}", 2)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        err.print(f"{path}: {report.received} rows, {report.stored} stored, {len(report.rejected)} rejected")
        for r in report.rejected:
            err.print(f"  line {r['line']}: {r['reason']}")
    if report.received and not report.stored:
        raise typer.Exit(1)


@app.command()
def ics(out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="file to write (default: stdout)"),
        framework: Optional[str] = typer.Option(None)) -> None:
    """The exercises and their planning milestones as an iCalendar (.ics) file."""
    from dkfi.exercises import service
    from dkfi.exercises.calendar_io import to_ics

    _, scope = _session()
    with scope as s:
        data = to_ics(service.calendar_items(service.list_exercises(s, framework=framework)))
    if out_file:
        out_file.write_bytes(data)
        err.print(f"wrote {out_file}")
    else:
        sys.stdout.buffer.write(data)


@app.command()
def plan(path: Path = typer.Argument(..., help="planner input JSON (docs/exercises.md, Planner)"),
         as_json: bool = JSON_OPT,
         time_limit: float = typer.Option(10.0, "--time-limit", help="seconds the solver may take")) -> None:
    """Plan which units attend which exercises: the most valuable interoperability objectives met within
    availability, overlaps, each unit's maximum and each nation's budget (OR-Tools CP-SAT)."""
    from dkfi.exercises.planner import PlanInputError, plan as make_plan

    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not JSON: {exc}", 2)
    if not isinstance(data, dict):
        _fail(f"{path}: expected a JSON object with exercises, units, objectives, budget", 2)
    try:
        with err.status("planning ..."):
            result = make_plan(data, time_limit_s=time_limit)
    except PlanInputError as exc:
        _fail(f"{path}: {exc}", 2)
    _print_plan(result, as_json)


def _print_plan(result: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    err.print(f"status [bold]{result['status']}[/], value {result['value']} (each nation alone: "
              f"{result['separate']['value']}), cost DNK {result['cost']['DNK']}, FIN {result['cost']['FIN']}")
    t = table("unit", "exercise")
    for a in result["attend"]:
        t.add_row(a["unit"], a["exercise"])
    print_table(t)
    out.print("met: " + (", ".join(result["met"]) or "none"))
    for o in result["open"]:
        out.print(f"open: {o['objective']} ({o['why']})")


@app.command("plan-stored")
def plan_stored(budget_dnk: float = typer.Option(..., "--budget-dnk", min=0, help="Danish budget"),
                budget_fin: float = typer.Option(..., "--budget-fin", min=0, help="Finnish budget"),
                start: Optional[str] = typer.Option(None, help="first exercise start (default: today)"),
                end: Optional[str] = typer.Option(None, help="last exercise start (default: a year on)"),
                as_json: bool = JSON_OPT) -> None:
    """Plan from the stored exercises, units and objectives (confirmed participations kept)."""
    from dkfi.exercises import service
    from dkfi.exercises.planner import PlanInputError, plan as make_plan

    d0 = _date(start, "--start") or date.today()
    d1 = _date(end, "--end") or date(d0.year + 1, d0.month, 1)
    _, scope = _session()
    with scope as s:
        problem = service.stored_problem(s, start=d0, end=d1, budget={"DNK": budget_dnk, "FIN": budget_fin})
    try:
        result = make_plan(problem)
    except PlanInputError as exc:
        _fail(f"the stored records do not make a valid plan: {exc}")
    _print_plan(result, as_json)


@app.command()
def matrix(as_of: Optional[str] = typer.Option(None, "--as-of", help="date (default: today)"),
           csv_out: bool = typer.Option(False, "--csv", help="CSV on stdout"), as_json: bool = JSON_OPT) -> None:
    """The interoperability matrix: when each Danish-Finnish pair last trained together, and what is overdue."""
    from dkfi.exercises import service

    _, scope = _session()
    with scope as s:
        m = service.matrix(s, _date(as_of, "--as-of") or date.today())
    if csv_out:
        typer.echo(service.matrix_csv(m), nl=False)
        return
    if as_json:
        typer.echo(json.dumps(m))
        return
    t = table("objective", "pair", "last trained", "due", "status", keep=("last trained", "due", "status"))
    for r in m["objectives"]:
        t.add_row(r["name"], f"{r['unit_a_name']} + {r['unit_b_name']}", r["last_trained"] or "never",
                  r["due"] or "-", r["status"])
    print_table(t)


@app.command()
def competencies(as_of: Optional[str] = typer.Option(None, "--as-of", help="date (default: today)"),
                 warn_days: int = typer.Option(180, "--warn-days", min=0, help="warn this many days ahead"),
                 as_json: bool = JSON_OPT) -> None:
    """Qualifications that expire, per unit, and the planned exercises that renew them."""
    from dkfi.exercises import service

    _, scope = _session()
    with scope as s:
        rows = service.competencies(s, _date(as_of, "--as-of") or date.today(), warn_days)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = table("unit", "qualification", "valid until", "state", "renewed by", keep=("valid until", "state"))
    for u in rows:
        for q in u["qualifications"]:
            t.add_row(u["name"], q["name"], q["valid_until"] or "-", q["state"],
                      ", ".join(r["name"] for r in q["renewed_by"]) or "-")
    print_table(t)


@app.command()
def seed() -> None:
    """Store the real 2025-26 exercises and an INVENTED unit set of both nations (idempotent)."""
    from dkfi.exercises.seed import seed as do_seed

    settings, scope = _session()
    with scope as s:
        counts = do_seed(s, settings.nation)
    err.print("seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@lessons_app.command("list")
def lessons_list(status: Optional[str] = typer.Option(None, help="observation | identified | action | learned"),
                 as_json: bool = JSON_OPT) -> None:
    """Lessons and where each stands."""
    from sqlalchemy import select

    from dkfi.exercises import service
    from dkfi.exercises.models import Lesson

    _, scope = _session()
    with scope as s:
        q = select(Lesson).order_by(Lesson.id)
        if status:
            q = q.where(Lesson.status == status)
        rows = [service.lesson_dict(r) for r in s.scalars(q)]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = table("id", "title", "status", "exercise", "action owner", "due", keep=("id", "status", "due"),
              right=("id",))
    for r in rows:
        t.add_row(str(r["id"]), r["title"], r["status"], r["exercise"] or "-", r["action_owner"] or "-",
                  r["due"] or "-")
    print_table(t)


@lessons_app.command("add")
def lessons_add(title: str = typer.Option(..., help="short title"),
                observation: str = typer.Option(..., help="what was observed"),
                exercise: Optional[str] = typer.Option(None, help="exercise key"),
                objective: Optional[str] = typer.Option(None, help="interoperability objective key"),
                by: str = typer.Option(..., "--by", help="who records it"),
                classification: str = typer.Option("RESTRICTED"),
                releasable_to: str = typer.Option("DNK,FIN", "--releasable-to")) -> None:
    """Record an observation (the first step of the lessons process)."""
    from pydantic import ValidationError

    from dkfi.exercises import service
    from dkfi.exercises.schemas import LessonIn

    try:
        data = LessonIn(title=title, observation=observation, exercise=exercise, objective=objective,
                        classification=classification, releasable_to=[x for x in releasable_to.split(",") if x])
    except ValidationError as exc:
        _fail(str(exc), 2)
    settings, scope = _session()
    try:
        with scope as s:
            lesson = service.add_lesson(s, data, settings.nation, by)
            lid = lesson.id
    except service.Invalid as exc:
        _fail(str(exc), 2)
    err.print(f"lesson {lid}: observation recorded")


@lessons_app.command("act")
def lessons_act(lesson_id: int = typer.Argument(...),
                action: str = typer.Argument(..., help="identify | act | learn | reopen | note"),
                by: str = typer.Option(..., "--by", help="who takes the step"),
                lesson: Optional[str] = typer.Option(None, help="identify: the lesson identified"),
                action_text: Optional[str] = typer.Option(None, "--action", help="act: the action"),
                owner: Optional[str] = typer.Option(None, help="act: who owns the action"),
                due: Optional[str] = typer.Option(None, help="act: due date"),
                notes: Optional[str] = typer.Option(None, help="learn: how it was validated; note: the note")) -> None:
    """Move a lesson along: identify, act (action, owner, due), learn (validated), reopen, note."""
    from pydantic import ValidationError

    from dkfi.core.records import LifecycleError
    from dkfi.exercises import service
    from dkfi.exercises.schemas import LessonAction

    try:
        data = LessonAction(action=action, lesson=lesson, action_text=action_text, owner=owner,
                            due=_date(due, "--due"), notes=notes)
    except ValidationError as exc:
        _fail(str(exc), 2)
    _, scope = _session()
    try:
        with scope as s:
            r = service.act_on_lesson(s, lesson_id, data, by)
            status = r.status
    except (service.NotFound, LifecycleError) as exc:
        _fail(str(exc))
    err.print(f"lesson {lesson_id}: {status}")
