"""The exercises API and CLI end to end: planners create records, every user sees only what their label allows,
clear 4xx errors, .ics and CSV, the planner over HTTP and from the stored records, lessons."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import login

EX = {"name": "Baltic Guard", "framework": "nato", "start": "2027-05-03", "end": "2027-05-14",
      "domains": ["maritime"], "practises": ["o1"], "cost": {"DNK": 10, "FIN": 8}, "mpc": "2027-01-20"}


@pytest.fixture
def app_url(db_url):
    from dkfi.web.app import create_app

    app = create_app(db_url)
    with TestClient(app) as c:
        yield c, db_url


def planner(c, url, name="dk-plan", nation="DNK", clearance="SECRET"):
    login(c, url, name, nation, clearance, roles=("planner",))
    return c


def test_records_labels_and_access(app_url):
    c, url = app_url
    planner(c, url)
    for u in ({"key": "dk-1", "name": "DK one", "nation": "DNK", "service": "navy",
               "availability": [["2027-01-01", "2027-12-31"]]},
              {"key": "fi-1", "name": "FI one", "nation": "FIN", "service": "navy",
               "availability": [["2027-01-01", "2027-12-31"]]}):
        assert c.post("/api/exercises/units", json=u).status_code == 201
    r = c.post("/api/exercises/objectives", json={"key": "o1", "name": "ASW", "unit_a": "dk-1", "unit_b": "fi-1",
                                                  "priority": 3})
    assert r.status_code == 201, r.text
    r = c.post("/api/exercises", json=EX)
    assert r.status_code == 201 and r.json()["key"] == "baltic-guard-2027" and r.json()["framework"] == "NATO"
    secret = dict(EX, name="Quiet Drill", classification="SECRET", releasable_to=["DNK"])
    assert c.post("/api/exercises", json=secret).status_code == 201
    for unit in ("dk-1", "fi-1"):
        r = c.post("/api/exercises/participations", json={"unit": unit, "exercise": "baltic-guard-2027"})
        assert r.status_code == 201, r.text

    assert [e["name"] for e in c.get("/api/exercises").json()] == ["Baltic Guard", "Quiet Drill"]
    assert c.get("/api/exercises/baltic-guard-2027").json()["participations"][0]["unit"] == "dk-1"
    m = c.get("/api/exercises/matrix", params={"as_of": "2027-06-01"}).json()
    assert m["objectives"][0]["last_trained"] == "2027-05-14"
    assert c.get("/api/exercises/matrix.csv").text.startswith("objective,")
    cal = c.get("/api/exercises/calendar", params={"year": 2027, "month": 5}).json()
    assert {e["name"] for e in cal["exercises"]} == {"Baltic Guard", "Quiet Drill"}

    # a Finnish user sees the releasable exercise, not the Danish SECRET one, and gets 404 for it
    fin = TestClient(c.app)
    login(fin, url, "fi-op", "FIN", "SECRET", roles=("operator",))
    assert [e["name"] for e in fin.get("/api/exercises").json()] == ["Baltic Guard"]
    assert fin.get("/api/exercises/quiet-drill-2027").status_code == 404
    assert b"Quiet Drill" not in fin.get("/api/exercises/calendar.ics").content
    # an operator may read but not plan
    assert fin.post("/api/exercises", json=EX).status_code == 403


def test_bad_input_is_a_clear_422(app_url):
    c, url = app_url
    planner(c, url)
    r = c.post("/api/exercises", json=dict(EX, end="2027-05-01"))
    assert r.status_code == 422 and "end 2027-05-01 is before start 2027-05-03" in r.text
    r = c.post("/api/exercises/participations", json={"unit": "ghost", "exercise": "x"})
    assert r.status_code == 422 and "unit: no unit 'ghost'" in r.text
    r = c.post("/api/exercises", json=dict(EX, classification="COSMIC"))
    assert r.status_code == 422
    c2 = TestClient(c.app)
    login(c2, url, "dk-low", "DNK", "RESTRICTED", roles=("planner",))
    r = c2.post("/api/exercises", json=dict(EX, name="Too High", classification="SECRET"))
    assert r.status_code == 422 and "above your clearance" in r.text


def test_planner_over_http_and_from_stored_records(app_url):
    from dkfi.core.db import get_engine, session_scope
    from dkfi.exercises.seed import seed

    c, url = app_url
    planner(c, url)
    r = c.post("/api/exercises/plan", json={"exercises": [], "units": [], "objectives": [],
                                             "budget": {"DNK": -1, "FIN": 0}})
    assert r.status_code == 422 and "budget.DNK" in r.text
    assert c.post("/api/exercises/plan", content=b"[1,2]",
                  headers={"content-type": "application/json"}).status_code == 422
    with session_scope(get_engine(url)) as s:
        seed(s, "DNK")
    r = c.post("/api/exercises/plan/stored", json={"start": "2027-01-01", "end": "2027-12-31",
                                                    "budget": {"DNK": 2000, "FIN": 2000}})
    assert r.status_code == 200, r.text
    res = r.json()["plan"]
    assert res["status"] in ("optimal", "feasible") and res["value"] >= res["separate"]["value"] > 0
    assert {"unit": "fi-jaeger-bde", "exercise": "arctic-forge-27-2027"} in res["attend"]  # none confirmed: 0 fixed
    assert res["cost"]["DNK"] <= 2000 and res["cost"]["FIN"] <= 2000


def test_calendar_import_ics_and_lessons(app_url):
    c, url = app_url
    planner(c, url)
    csv_text = "name;start;end;framework\nGood;2027-02-01;2027-02-03;NATO\nBad;2027-02-05;2027-02-01;NATO\n"
    r = c.post("/api/exercises/calendar/import", content=csv_text.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["stored"] == 1 and r.json()["rejected"][0]["line"] == 3
    r = c.post("/api/exercises/calendar/import", content=b"foo,bar\n1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422
    ics = c.get("/api/exercises/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and b"SUMMARY:Good" in ics.content
    r = c.post("/api/exercises/lessons", json={"title": "late picture", "observation": "o", "exercise": "good-2027"})
    assert r.status_code == 201, r.text
    lid = r.json()["id"]
    r = c.post(f"/api/exercises/lessons/{lid}/actions", json={"action": "act"})
    assert r.status_code == 409 and "cannot act" in r.text
    r = c.post(f"/api/exercises/lessons/{lid}/actions", json={"action": "identify", "lesson": "share early"})
    assert r.status_code == 200 and r.json()["status"] == "identified"
    assert [x["status"] for x in c.get("/api/exercises/lessons").json()] == ["identified"]
    assert c.get("/api/exercises/lessons/999").status_code == 404


def test_cli(tmp_path, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    get_settings.cache_clear()
    run = CliRunner(env={"COLUMNS": "200"})
    assert run.invoke(cli, ["exercises", "seed"]).exit_code == 0
    res = run.invoke(cli, ["exercises", "list", "--json", "--year", "2026"])
    assert res.exit_code == 0 and "Cold Response 26" in {e["name"] for e in json.loads(res.stdout)}
    res = run.invoke(cli, ["exercises", "matrix", "--csv", "--as-of", "2026-12-01"])
    assert res.exit_code == 0 and res.stdout.startswith("objective,")
    out = tmp_path / "cal.ics"
    assert run.invoke(cli, ["exercises", "ics", "--out", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
    bad = tmp_path / "bad.json"
    bad.write_text('{"exercises": [{"id": "e", "start": "2027-01-05", "end": "2027-01-01", "cost": {}, '
                   '"practises": []}], "units": [], "objectives": [], "budget": {"DNK": 1, "FIN": 1}}')
    res = run.invoke(cli, ["exercises", "plan", str(bad)])
    assert res.exit_code == 2 and "exercises[0].end" in res.output
    res = run.invoke(cli, ["exercises", "plan-stored", "--budget-dnk", "5000", "--budget-fin", "5000",
                           "--start", "2027-01-01", "--end", "2027-12-31", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["value"] > 0
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("name,start,end,framework\nX,2027-01-01,2027-01-02,JEF\nY,2027-01-03,2027-01-01,JEF\n")
    res = run.invoke(cli, ["exercises", "import", str(csv_file)])
    assert res.exit_code == 0 and "1 stored, 1 rejected" in res.output and "line 3" in res.output
    assert run.invoke(cli, ["exercises", "lessons", "add", "--title", "t", "--observation", "o",
                            "--by", "anna"]).exit_code == 0
    res = run.invoke(cli, ["exercises", "lessons", "act", "2", "identify", "--by", "anna"])
    assert res.exit_code == 1 and "identify needs the lesson" in res.output
