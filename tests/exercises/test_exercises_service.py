"""Exercises and training: records by natural key, calendar conflicts, the interoperability matrix, competencies,
planning from the stored records, lessons, the calendar CSV import, and the seed set (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from dkfi.core.db import session_scope
from dkfi.core.records import LifecycleError
from dkfi.exercises import service
from dkfi.exercises.models import Exercise, LessonChange, Participation
from dkfi.exercises.schemas import (ExerciseIn, LessonAction, LessonIn, ObjectiveIn, ParticipationIn,
                                   QualificationIn, UnitIn)
from dkfi.exercises.seed import seed


def ex(name, start, end, **kw) -> ExerciseIn:
    return ExerciseIn(name=name, framework=kw.pop("framework", "NATO"), start=date.fromisoformat(start),
                      end=date.fromisoformat(end), **kw)


def unit(key, nation, **kw) -> UnitIn:
    return UnitIn(key=key, name=key.upper(), nation=nation, service="navy", **kw)


@pytest.fixture
def small(engine):
    """Two units of each nation, two overlapping exercises, an objective practised by one of them."""
    with session_scope(engine) as s:
        for key, nat in (("dk-a", "DNK"), ("fi-a", "FIN"), ("dk-b", "DNK"), ("fi-b", "FIN")):
            service.save_unit(s, unit(key, nat, availability=[(date(2026, 1, 1), date(2026, 12, 31))]), nat)
        service.save_objective(s, ObjectiveIn(key="obj-1", name="ASW", unit_a="dk-a", unit_b="fi-a", priority=5,
                                              interval_days=100), "DNK")
        service.save_exercise(s, ex("Alpha", "2026-03-01", "2026-03-10", practises=["obj-1"], ipc="2025-10-01",
                                    renews=["TACEVAL"], cost={"DNK": 10, "FIN": 5}), "DNK")
        service.save_exercise(s, ex("Bravo", "2026-03-08", "2026-03-20", mpc="2025-10-01"), "DNK")
        for e in ("alpha-2026", "bravo-2026"):
            service.save_participation(s, ParticipationIn(unit="dk-a", exercise=e, status="confirmed"), "DNK")
        service.save_participation(s, ParticipationIn(unit="fi-a", exercise="alpha-2026"), "FIN")
        service.save_qualification(s, QualificationIn(unit="dk-a", name="TACEVAL", valid_until=date(2026, 2, 1)),
                                   "DNK")
    return engine


def test_keys_derive_from_name_and_year_and_resolve_received_records(small):
    with session_scope(small) as s:
        assert service.get_exercise(s, "alpha-2026").name == "Alpha"
        e = s.scalar(select(Exercise).where(Exercise.key == "bravo-2026"))
        e.key = "FIN:bravo-2026"  # as the partner's copy is stored
        s.flush()
        assert service.by_key(s, Exercise, "bravo-2026") is e
        with pytest.raises(service.NotFound):
            service.get_exercise(s, "nope")


def test_references_must_exist_and_pair_both_nations(small):
    with session_scope(small) as s:
        with pytest.raises(service.Invalid, match="exercise: no exercise 'ghost'"):
            service.save_participation(s, ParticipationIn(unit="dk-a", exercise="ghost"), "DNK")
        with pytest.raises(service.Invalid, match="pairs a Danish and a Finnish unit"):
            service.save_objective(s, ObjectiveIn(key="o2", name="x", unit_a="dk-a", unit_b="dk-b"), "DNK")


def test_input_checks_name_the_field():
    with pytest.raises(ValueError, match="end 2026-03-01 is before start 2026-03-05"):
        ex("X", "2026-03-05", "2026-03-01")
    with pytest.raises(ValueError, match="'UN' is not one of NATO"):
        ex("X", "2026-03-01", "2026-03-05", framework="UN")
    with pytest.raises(ValueError, match="fpc 2026-04-01 is after the exercise ends"):
        ex("X", "2026-03-01", "2026-03-05", fpc="2026-04-01")
    with pytest.raises(ValueError, match="Danish or Finnish"):
        unit("se-a", "SWE")


def test_calendar_conflicts_double_booking_and_milestone_clash(small):
    with session_scope(small) as s:
        cal = service.calendar(s, year=2026, month=3)
    kinds = sorted((c["kind"], c["date"]) for c in cal["conflicts"])
    assert ("unit_double_booked", "2026-03-08") in kinds
    assert [e["name"] for e in cal["exercises"]] == ["Alpha", "Bravo"]
    with session_scope(small) as s:
        before = service.calendar(s, year=2025)
        earlier = service.calendar(s, year=2024)
    # 2025 holds their planning conferences (1 October), so the year view shows both exercises
    assert [e["name"] for e in before["exercises"]] == ["Alpha", "Bravo"] and earlier["exercises"] == []
    with session_scope(small) as s:
        whole = service.conflicts(service.list_exercises(s), list(s.scalars(select(Participation))), {})
    clash = [c for c in whole if c.kind == "milestone_clash"]
    assert clash and clash[0].date == date(2025, 10, 1)  # Alpha's IPC and Bravo's MPC the same day


def test_matrix_last_trained_and_overdue(small):
    with session_scope(small) as s:
        before = service.matrix(s, date(2026, 2, 1))["objectives"][0]
        after = service.matrix(s, date(2026, 3, 20))["objectives"][0]
        late = service.matrix(s, date(2026, 8, 1))
    assert before["status"] == "never" and before["next_planned"] == "Alpha"
    assert after["last_trained"] == "2026-03-10" and after["status"] == "ok"
    assert late["objectives"][0]["status"] == "overdue" and late["objectives"][0]["overdue_days"] == 44
    assert late["dnk_units"] == ["dk-a"] and late["fin_units"] == ["fi-a"]
    csv_text = service.matrix_csv(late)
    assert csv_text.splitlines()[0].startswith("objective,name,priority") and "overdue" in csv_text


def test_competencies_warn_and_show_renewals(small):
    with session_scope(small) as s:
        rows = {r["unit"]: r for r in service.competencies(s, date(2026, 1, 1), warn_days=60)}
    q = rows["dk-a"]["qualifications"][0]
    assert q["state"] == "expiring" and q["days_left"] == 31
    assert q["renewed_by"] == [{"exercise": "alpha-2026", "name": "Alpha", "start": "2026-03-01", "in_time": False}]
    assert rows["dk-a"]["warnings"] == 1 and rows["fi-b"]["qualifications"] == []


def test_stored_problem_is_valid_planner_input(small):
    from dkfi.exercises.planner import plan

    with session_scope(small) as s:
        problem = service.stored_problem(s, start=date(2026, 1, 1), end=date(2026, 12, 31),
                                         budget={"DNK": 100, "FIN": 100})
    assert problem["fixed"] == [{"unit": "dk-a", "exercise": "alpha-2026"},
                                {"unit": "dk-a", "exercise": "bravo-2026"}]
    result = plan(dict(problem, fixed=[problem["fixed"][0]]))
    assert result["status"] == "optimal" and result["met"] == ["obj-1"]


def test_lessons_follow_the_process_and_log_each_step(small):
    with session_scope(small) as s:
        lesson = service.add_lesson(s, LessonIn(title="t", observation="o", exercise="alpha-2026",
                                                objective="obj-1"), "DNK", "anna")
        lid = lesson.id
    with session_scope(small) as s:
        with pytest.raises(LifecycleError, match="identify needs the lesson"):
            service.act_on_lesson(s, lid, LessonAction(action="identify"), "anna")
        with pytest.raises(LifecycleError, match="cannot learn"):
            service.act_on_lesson(s, lid, LessonAction(action="learn", notes="x"), "anna")
    with session_scope(small) as s:
        service.act_on_lesson(s, lid, LessonAction(action="identify", lesson="share the picture early"), "anna")
        with pytest.raises(LifecycleError, match="missing: owner, due"):
            service.act_on_lesson(s, lid, LessonAction(action="act", action_text="a feed"), "anna")
    with session_scope(small) as s:
        service.act_on_lesson(s, lid, LessonAction(action="act", action_text="a feed", owner="J6",
                                                   due=date(2026, 6, 1)), "bo")
        r = service.act_on_lesson(s, lid, LessonAction(action="learn", notes="worked at BALTOPS"), "anna")
        assert r.status == "learned"
        steps = [(c.action, c.to_status, c.actor) for c in
                 s.scalars(select(LessonChange).where(LessonChange.lesson_id == lid).order_by(LessonChange.id))]
    assert steps == [("observe", "observation", "anna"), ("identify", "identified", "anna"),
                     ("act", "action", "bo"), ("learn", "learned", "anna")]


def test_calendar_csv_import_keeps_good_rows_and_reports_bad(engine):
    text = ("name,start,end,framework,domains\n"
            "Good One,2026-05-01,2026-05-05,NATO,maritime\n"
            "Bad Dates,2026-05-05,2026-05-01,NATO,air\n"
            "Bad Frame,2026-05-01,2026-05-05,UN,air\n"
            "Good Two,01.06.2026,05.06.2026,jef,air|maritime\n")
    with session_scope(engine) as s:
        rep = service.import_calendar_csv(s, text, "DNK")
    assert rep.received == 4 and rep.stored == 2
    assert [r["line"] for r in rep.rejected] == [3, 4]
    with session_scope(engine) as s:
        assert [e.name for e in service.list_exercises(s)] == ["Good One", "Good Two"]
        assert service.get_exercise(s, "good-two-2026").framework == "JEF"


def test_seed_is_idempotent_and_complete(engine):
    with session_scope(engine) as s:
        first = seed(s, "DNK")
    with session_scope(engine) as s:
        again = seed(s, "DNK")
        names = [e.name for e in service.list_exercises(s, start=date(2025, 1, 1), end=date(2026, 12, 31))]
    assert first == {"exercises": 12, "units": 10, "objectives": 6, "qualifications": 7, "participations": 14,
                     "lessons": 1}
    assert again["lessons"] == 0 and again["exercises"] == 12
    assert {"BALTOPS 25", "Ramstein Flag 25", "Freezing Winds 25", "Cold Response 26"} <= set(names)
