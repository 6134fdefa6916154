"""Two nodes (DNK on SQLite, FIN on PostgreSQL, HTTPS with mutual TLS): exercises, units, participations,
objectives and lessons that Denmark marks releasable to FIN appear on the Finnish node, by the same keys, and
nothing else does; narrowing a label withdraws the record there."""
from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from dkfi.core.db import session_scope
from dkfi.exercises import service
from dkfi.exercises.models import Exercise, Lesson, Participation, Unit
from dkfi.exercises.schemas import ExerciseIn, LessonIn, ObjectiveIn, ParticipationIn, UnitIn
from tests.conftest import login
from tests.sharing.test_federation import nodes  # noqa: F401  (the two-node fixture)

REL = dict(classification="RESTRICTED", releasable_to=["DNK", "FIN"])
DNK_ONLY = dict(classification="RESTRICTED", releasable_to=["DNK"])


def _keys(engine, model) -> set[str]:
    with session_scope(engine) as s:
        return {r.key for r in s.scalars(select(model))}


def test_releasable_exercise_records_reach_fin_and_withdraw(nodes):  # noqa: F811
    nodes.inbox.start()
    with session_scope(nodes.dnk) as s:
        for key, nat in (("dk-frig", "DNK"), ("fi-fleet", "FIN")):
            service.save_unit(s, UnitIn(key=key, name=key, nation=nat, service="navy", **REL), "DNK")
        service.save_unit(s, UnitIn(key="dk-secret", name="SECRET UNIT", nation="DNK", service="navy",
                                    **DNK_ONLY), "DNK")
        service.save_exercise(s, ExerciseIn(name="Baltic Guard", framework="NATO", start=date(2027, 5, 3),
                                            end=date(2027, 5, 14), practises=["asw"], **REL), "DNK")
        service.save_exercise(s, ExerciseIn(name="Quiet Drill", framework="national", start=date(2027, 6, 1),
                                            end=date(2027, 6, 2), **DNK_ONLY), "DNK")
        service.save_objective(s, ObjectiveIn(key="asw", name="ASW", unit_a="dk-frig", unit_b="fi-fleet", **REL),
                               "DNK")
        service.save_participation(s, ParticipationIn(unit="dk-frig", exercise="baltic-guard-2027", **REL), "DNK")
        service.save_participation(s, ParticipationIn(unit="fi-fleet", exercise="baltic-guard-2027", **REL), "DNK")
        service.add_lesson(s, LessonIn(title="t", observation="o", exercise="baltic-guard-2027", **DNK_ONLY),
                           "DNK", "anna")
    assert nodes.deliver() == {"FIN": 6}  # 2 units, the exercise, the objective, 2 participations

    assert _keys(nodes.fin, Exercise) == {"DNK:baltic-guard-2027"}
    assert _keys(nodes.fin, Unit) == {"DNK:dk-frig", "DNK:fi-fleet"}
    assert _keys(nodes.fin, Participation) == {"DNK:baltic-guard-2027/dk-frig", "DNK:baltic-guard-2027/fi-fleet"}
    assert _keys(nodes.fin, Lesson) == set()

    # the Finnish node's API finds them by the keys the planners use, and the matrix joins them up
    from dkfi.web.app import create_app

    with TestClient(create_app(nodes.fin_url)) as c:
        login(c, nodes.fin_url, "fi-plan", "FIN", "SECRET", roles=("planner",))
        e = c.get("/api/exercises/baltic-guard-2027").json()
        assert e["name"] == "Baltic Guard" and e["label"]["owner_nation"] == "DNK"
        assert {p["unit"] for p in e["participations"]} == {"dk-frig", "fi-fleet"}
        m = c.get("/api/exercises/matrix", params={"as_of": "2027-06-01"}).json()
        assert m["objectives"][0]["last_trained"] == "2027-05-14"
        assert c.get("/api/exercises/quiet-drill-2027").status_code == 404

    with session_scope(nodes.dnk) as s:
        service.save_exercise(s, ExerciseIn(name="Baltic Guard", framework="NATO", start=date(2027, 5, 3),
                                            end=date(2027, 5, 14), practises=["asw"], **DNK_ONLY), "DNK")
    assert nodes.deliver() == {"FIN": 1}
    assert _keys(nodes.fin, Exercise) == set()
