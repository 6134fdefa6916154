"""A record's dependants follow its label (issue 10, point 14).

Change-history rows (every :class:`~dkfi.core.records.ChangeLogMixin` table) were labelled once, when written,
and kept that label: after an alert was narrowed to DNK only, a FIN user still got 200 on
``GET /api/labels/alert_change/1`` and so learnt that the alert exists. Relabelling a record now relabels its
dependants in the same transaction (:mod:`dkfi.core.access`); these tests run over every change-log table there is.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import select

from dkfi.core import registry
from dkfi.core.access import labelled_models, meets, user_session
from dkfi.core.db import get_engine, session_scope
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification, Label
from dkfi.core.records import ChangeLogMixin
from tests.conftest import make_user

REL_BOTH = Label(Classification.RESTRICTED, ("DNK", "FIN"))
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _alert(s) -> tuple[object, object]:
    """An alert (its 'detected' change is written with it) and one more change."""
    from dkfi.watch.models import AlertChange
    from dkfi.watch.service import LIFECYCLE, save_alerts

    (rec,) = save_alerts(s, [{"key": "a-1", "kind": "loitering", "mmsi": 219000001, "vessel_name": None,
                              "asset": None, "start": NOW.isoformat(), "end": NOW.isoformat(), "severity": "low",
                              "score": 10.0, "summary": "a-1", "factors": [], "evidence": []}], "DNK", REL_BOTH)
    LIFECYCLE.apply(s, rec, "acknowledge", "dk-op")
    s.flush()
    return rec, AlertChange


def _lesson(s) -> tuple[object, object]:
    from dkfi.exercises.models import LessonChange
    from dkfi.exercises.schemas import LessonIn
    from dkfi.exercises.service import LESSONS, add_lesson

    lesson = add_lesson(s, LessonIn(title="radio", observation="the radios did not talk",
                                    classification="RESTRICTED", releasable_to=["DNK", "FIN"]), "DNK", "dk-op")
    LESSONS.apply(s, lesson, "note", "dk-op", {"notes": "seen twice"})
    s.flush()
    return lesson, LessonChange


# one maker per change-log table: a record owned by DNK, released to FIN, with change rows
MAKERS = {"alert_change": _alert, "lesson_change": _lesson}


def _change_tables() -> set[str]:
    registry.start()
    return {m.__table__.name for m in labelled_models() if issubclass(m, ChangeLogMixin)}


def test_every_change_log_table_is_covered():
    """A new domain with a change log must add its maker above (and so be tested like the others)."""
    assert _change_tables() == set(MAKERS)


def _made(engine, table: str) -> tuple[str, int, list[int]]:
    with session_scope(engine) as s:
        rec, change_model = MAKERS[table](s)
        ids = sorted(s.scalars(select(change_model.id)))
        return rec.__table__.name, rec.id, ids


@pytest.fixture
def app(db_url):
    from dkfi.web.app import create_app

    return create_app(db_url)


def _client(app, url: str, name: str, nation: str) -> TestClient:
    c = TestClient(app)
    pw = make_user(url, name, nation, "SECRET", ("operator",))
    r = c.post("/api/auth/token", data={"username": name, "password": pw})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return c


@pytest.mark.parametrize("table", sorted(MAKERS))
def test_narrowing_a_record_hides_its_history_from_the_nation_it_left(app, db_url, table):
    parent, pid, changes = _made(app.state.engine, table)
    assert len(changes) >= 2
    fin, dnk = _client(app, db_url, "fi-op", "FIN"), _client(app, db_url, "dk-op", "DNK")
    for cid in changes:
        assert fin.get(f"/api/labels/{table}/{cid}").status_code == 200
    r = dnk.put(f"/api/labels/{parent}/{pid}", json={"releasable_to": ["DNK"]})
    assert r.status_code == 200, r.text
    for cid in changes:
        assert fin.get(f"/api/labels/{table}/{cid}").status_code == 404      # no longer learns it exists
        got = dnk.get(f"/api/labels/{table}/{cid}").json()
        assert got["releasable_to"] == ["DNK"] and got["owner_nation"] == "DNK"
    assert fin.get(f"/api/labels/{parent}/{pid}").status_code == 404
    # widened again (and raised to CONFIDENTIAL): the history follows that way too
    r = dnk.put(f"/api/labels/{parent}/{pid}", json={"releasable_to": ["DNK", "FIN"],
                                                     "classification": "CONFIDENTIAL"})
    assert r.status_code == 200, r.text
    for cid in changes:
        got = fin.get(f"/api/labels/{table}/{cid}")
        assert got.status_code == 200 and got.json()["classification"] == "CONFIDENTIAL"


labels = st.builds(Label, st.sampled_from(list(Classification)),
                   st.lists(st.sampled_from(["DNK", "FIN", "SWE", "NOR"]), max_size=3).map(tuple))
principals = st.builds(lambda n, c: Principal(f"u-{n}", n, c, frozenset({"operator"})),
                       st.sampled_from(["DNK", "FIN", "SWE", "NOR"]), st.sampled_from(list(Classification)))


@pytest.mark.parametrize("table", sorted(MAKERS))
def test_dependants_carry_their_records_label_through_any_relabelling(tmp_path, table):
    """Whatever sequence of labels a record gets (set in the node's own sessions, as the federation inbox and
    the importers do), its change rows carry the same label, and a user sees them exactly when the record."""
    engine = get_engine(f"sqlite:///{tmp_path / 'dep.sqlite'}")
    _parent, pid, changes = _made(engine, table)

    @hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(steps=st.lists(labels, min_size=1, max_size=3), who=principals)
    def check(steps, who):
        model, change_model = _models(table)
        for lab in steps:
            with session_scope(engine) as s:
                s.get(model, pid).set_label(lab, "DNK")
        with session_scope(engine) as s:
            rec = s.get(model, pid)
            rows = list(s.scalars(select(change_model).where(change_model.id.in_(changes))))
            assert rows and all((r.label, r.owner_nation) == (rec.label, "DNK") for r in rows)
            expected = meets(who, rec.classification, rec.releasable_to, rec.owner_nation)
        with user_session(engine, who) as s:
            seen = set(s.scalars(select(change_model.id).where(change_model.id.in_(changes))))
        assert seen == (set(changes) if expected else set())

    check()


def _models(table: str):
    if table == "alert_change":
        from dkfi.watch.models import AlertChange, AlertRecord

        return AlertRecord, AlertChange
    from dkfi.exercises.models import Lesson, LessonChange

    return Lesson, LessonChange


def test_rows_written_before_take_their_records_label_on_upgrade(db_url):
    """Migration 0009 brings change rows written before this rule up to date with their record's label."""
    from sqlalchemy import create_engine, text

    from dkfi.core.db import upgrade

    upgrade(db_url, "0008")
    eng = create_engine(db_url)
    try:
        with eng.begin() as c:
            c.execute(text("INSERT INTO alert (key, kind, mmsi, start, \"end\", severity, score, summary, factors, "
                           "evidence, status, created, updated, owner_nation, classification, releasable_to, "
                           "label_policy, label_categories) VALUES ('a', 'loitering', 1, :t, :t, 'low', 1, 's', "
                           "'[]', '[]', 'new', :t, :t, 'DNK', 'CONFIDENTIAL', 'DNK', 'NATO', '')"), {"t": NOW})
            aid = c.execute(text("SELECT id FROM alert")).scalar()
            c.execute(text("INSERT INTO alert_change (alert_id, at, actor, action, detail, owner_nation, "
                           "classification, releasable_to, label_policy, label_categories) VALUES (:a, :t, 'x', "
                           "'detected', '{}', 'DNK', 'RESTRICTED', 'DNK,FIN', 'NATO', '')"), {"a": aid, "t": NOW})
        upgrade(db_url)
        with eng.connect() as c:
            row = c.execute(text("SELECT classification, releasable_to FROM alert_change")).one()
        assert tuple(row) == ("CONFIDENTIAL", "DNK")
    finally:
        eng.dispose()
