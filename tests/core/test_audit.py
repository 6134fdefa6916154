"""The hash-chained audit log: automatic entries, admins-only view, and verification that names tampering."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from dkfi.core import audit
from dkfi.core.db import get_engine, session_scope
from dkfi.core.labels import Classification, Label
from dkfi.core.models import AuditEntry
from tests.conftest import login

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _alert(s, key: str, label: Label, owner: str = "DNK"):
    from dkfi.watch.models import AlertRecord

    a = AlertRecord(key=key, kind="loitering", mmsi=219000001, start=NOW, end=NOW, severity="low", score=10,
                    summary=key, factors=[], evidence=[], status="new", created=NOW, updated=NOW)
    a.set_label(label, owner)
    s.add(a)
    s.flush()
    return a.id


@pytest.fixture
def node(db_url):
    from dkfi.web.app import create_app

    app = create_app(db_url)
    with session_scope(app.state.engine) as s:
        ids = {"restricted": _alert(s, "r", Label(Classification.RESTRICTED, ("DNK", "FIN"))),
               "open": _alert(s, "u", Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))),
               "dnk_only": _alert(s, "d", Label(Classification.RESTRICTED, ("DNK",)))}
    with TestClient(app) as c:
        yield app, c, ids


def _entries(engine):
    with engine.connect() as c:
        return c.execute(select(AuditEntry).order_by(AuditEntry.seq)).mappings().all()


def test_reads_changes_and_denials_are_chained(node):
    app, c, ids = node
    login(c, str(app.state.engine.url.render_as_string(hide_password=False)), "fin-op", "FIN", "SECRET", ("operator",))
    assert c.get(f"/api/alerts/{ids['restricted']}").status_code == 200
    assert c.get(f"/api/alerts/{ids['dnk_only']}").status_code == 404
    r = c.post(f"/api/alerts/{ids['restricted']}/actions", json={"action": "acknowledge"})
    assert r.status_code == 200
    rows = _entries(app.state.engine)
    kinds = [(e["action"], e["object_type"], e["decision"], e["actor"]) for e in rows]
    assert ("login", "app_user", "allow", "fin-op") in kinds
    assert ("read", "alert", "allow", "fin-op") in kinds
    assert ("read", "alert", "deny", "fin-op") in kinds          # the DNK-only alert: answered 404, recorded
    assert ("update", "alert", "allow", "fin-op") in kinds
    assert ("create", "alert_change", "allow", "fin-op") in kinds
    read = next(e for e in rows if e["action"] == "read" and e["decision"] == "allow")
    assert str(ids["restricted"]) in read["object_id"].split(",") and read["remote"] == "testclient"
    assert str(ids["open"]) not in read["object_id"].split(",")   # UNCLASSIFIED reads are not logged
    assert [e["seq"] for e in rows] == list(range(1, len(rows) + 1))
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))
    n, problems = audit.verify(app.state.engine)
    assert n == len(rows) and problems == []


def test_only_admins_of_the_owning_nation_see_the_log(node):
    app, c, ids = node
    url = app.state.engine.url.render_as_string(hide_password=False)
    login(c, url, "dk-op", "DNK", "SECRET", ("operator",))
    c.get(f"/api/alerts/{ids['restricted']}")
    assert c.get("/api/audit").status_code == 403
    login(c, url, "fi-admin", "FIN", "SECRET", ("admin",))
    assert all(e["label"]["owner_nation"] == "FIN" for e in c.get("/api/audit").json())
    assert not any(e["actor"] == "dk-op" for e in c.get("/api/audit").json())
    login(c, url, "dk-admin", "DNK", "SECRET", ("admin",))
    log = c.get("/api/audit").json()
    assert any(e["actor"] == "dk-op" and e["action"] == "read" for e in log)
    assert all(e["label"]["releasable_to"] == ["DNK"] for e in log)
    # an admin cleared only RESTRICTED does not see entries about CONFIDENTIAL records
    with session_scope(app.state.engine) as s:
        audit.append(s.connection(), actor="x", actor_nation="DNK", action="read", object_type="alert",
                     object_id="99", object_classification="CONFIDENTIAL")
    login(c, url, "dk-admin-r", "DNK", "RESTRICTED", ("admin",))
    assert not any(e["object_id"] == "99" for e in c.get("/api/audit").json())


def _tamper(engine, sql: str, **params) -> None:
    with engine.begin() as c:
        c.execute(text(sql), params)


def _verify_cli(db_url, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return CliRunner().invoke(cli, ["audit", "verify"])


def _some_entries(engine, n: int = 6) -> None:
    for i in range(n):
        with session_scope(engine) as s:
            audit.append(s.connection(), actor=f"user{i}", actor_nation="DNK", action="read", object_type="alert",
                         object_id=str(i), object_classification="RESTRICTED")


def test_verify_names_an_edited_entry(db_url, monkeypatch):
    engine = get_engine(db_url)
    _some_entries(engine)
    res = _verify_cli(db_url, monkeypatch)
    assert res.exit_code == 0, res.output
    assert "intact" in res.output and "6 entries" in res.output
    _tamper(engine, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3")
    res = _verify_cli(db_url, monkeypatch)
    assert res.exit_code == 1
    assert "entry seq 3" in res.output and "edited" in res.output
    assert "seq 2 " not in res.output and "seq 4 " not in res.output   # only the edited one is named


def test_verify_names_deleted_and_reordered_entries(db_url, monkeypatch):
    engine = get_engine(db_url)
    _some_entries(engine)
    _tamper(engine, "DELETE FROM audit_log WHERE seq = 4")
    _, problems = audit.verify(engine)
    assert any(p.kind == "missing" and "4..4" in p.message for p in problems), problems
    # swap two entries' order
    _tamper(engine, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
    _tamper(engine, "UPDATE audit_log SET seq = 2 WHERE seq = 5")
    _tamper(engine, "UPDATE audit_log SET seq = 5 WHERE seq = 100")
    _, problems = audit.verify(engine)
    named = {p.seq for p in problems}
    assert {2, 5} <= named, problems
    # deleting the newest entry: the head no longer matches
    engine2 = get_engine(db_url)
    _tamper(engine2, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    _, problems = audit.verify(engine2)
    assert any(p.kind == "head" for p in problems)
    res = _verify_cli(db_url, monkeypatch)
    assert res.exit_code == 1 and "TAMPERED" in res.output


def test_label_change_is_audited_and_owner_only(node):
    app, c, ids = node
    url = app.state.engine.url.render_as_string(hide_password=False)
    login(c, url, "fi-planner", "FIN", "SECRET", ("planner",))
    r = c.put(f"/api/labels/alert/{ids['restricted']}", json={"classification": "CONFIDENTIAL"})
    assert r.status_code == 403 and "owner nation DNK" in r.json()["detail"]
    login(c, url, "dk-planner", "DNK", "SECRET", ("planner",))
    r = c.put(f"/api/labels/alert/{ids['restricted']}", json={"classification": "CONFIDENTIAL"})
    assert r.status_code == 200 and r.json()["classification"] == "CONFIDENTIAL"
    r = c.put(f"/api/labels/alert/{ids['restricted']}", json={"classification": "RESTRICTED"})
    assert r.status_code == 409 and "downgrade" in r.json()["detail"]
    r = c.put(f"/api/labels/alert/{ids['restricted']}", json={"classification": "RESTRICTED", "downgrade": True})
    assert r.status_code == 200
    xml = c.get(f"/api/labels/alert/{ids['restricted']}/stanag4774")
    assert xml.status_code == 200 and "RESTRICTED" in xml.text and "FIN" in xml.text
    rows = _entries(app.state.engine)
    label_rows = [e for e in rows if e["action"] == "label"]
    assert [(e["actor"], e["decision"]) for e in label_rows] == [
        ("fi-planner", "deny"), ("dk-planner", "allow"), ("dk-planner", "deny"), ("dk-planner", "allow")]
    assert "raised RESTRICTED -> CONFIDENTIAL" in label_rows[1]["detail"]["changes"]
    assert audit.verify(app.state.engine)[1] == []


def test_label_import_from_stanag4774_xml(node):
    from dkfi.core.stanag4774 import to_xml

    app, c, ids = node
    url = app.state.engine.url.render_as_string(hide_password=False)
    login(c, url, "dk-op2", "DNK", "SECRET", ("operator",))
    xml = to_xml(Label(Classification.CONFIDENTIAL, ("DNK", "FIN", "SWE")), NOW, None)
    r = c.put(f"/api/labels/alert/{ids['open']}/stanag4774", content=xml, headers={"Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    assert r.json()["classification"] == "CONFIDENTIAL" and r.json()["releasable_to"] == ["DNK", "FIN", "SWE"]
    r = c.put(f"/api/labels/alert/{ids['open']}/stanag4774", content=b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
              headers={"Content-Type": "application/xml"})
    assert r.status_code == 422 and "STANAG 4774" in r.json()["detail"]
    back = c.get(f"/api/labels/alert/{ids['open']}/stanag4774").text
    from dkfi.core.stanag4774 import from_xml

    assert from_xml(back)[0] == Label(Classification.CONFIDENTIAL, ("DNK", "FIN", "SWE"))
