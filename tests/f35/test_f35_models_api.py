"""The F-35 models over the API and the CLI: the documented JSON schema, clear 422/exit-2 errors for bad files, and
the models run over the stored (seeded) records the caller may see."""
from __future__ import annotations

import json
from importlib import resources

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import login

SPARES = json.loads((resources.files("dkfi.f35") / "data" / "spares-demo.json").read_text())
OPT_KEYS = {"items", "total_ebo", "cost", "availability", "curve", "details"}  # docs/f35.md, "Optimize"


def small_spares() -> dict:
    items = [dict(i) for i in SPARES["items"][:3]]
    ids = {i["id"] for i in items}
    return dict(SPARES, items=items, budget=2_000_000, qpa={k: v for k, v in SPARES.get("qpa", {}).items() if k in ids})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.f35.seed import seed
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('f35') / 'f.sqlite'}"
    get_settings.cache_clear()
    with session_scope(get_engine(url)) as s:
        counts = seed(s)
    assert counts == {"sites": 7, "aircraft": 107, "maintenance types": 4, "spares items": 62, "people": 5}
    with TestClient(create_app(url)) as c:
        login(c, url, "dk-plan", "DNK", "SECRET", roles=("planner",))
        yield c, url


def test_spares_over_http(seeded):
    c, _ = seeded
    r = c.post("/api/f35/spares/optimize", json=small_spares())
    assert r.status_code == 200, r.text
    res = r.json()
    assert set(res) == OPT_KEYS and res["cost"] <= 2_000_000 and res["curve"][0]["cost"] == 0
    assert set(next(iter(res["items"].values()))) >= {"stock", "ebo"}
    r = c.post("/api/f35/spares/evaluate", json=dict(small_spares(), stock={"PTMS": {"Skrydstrup": 2}}))
    assert r.status_code == 200 and r.json()["items"]["PTMS"]["stock"]["Skrydstrup"] == 2
    bad = dict(small_spares(), items=[dict(SPARES["items"][0], demand={"Nowhere": 1.0})], qpa={})
    r = c.post("/api/f35/spares/optimize", json=bad)
    assert r.status_code == 422 and "items[0].demand.Nowhere" in r.text
    r = c.post("/api/f35/spares/stored", json={"target_availability": 0.9})
    assert r.status_code == 200, r.text
    pool = r.json()["result"]
    assert pool["saving"] > 0 and pool["pooled_cost"] < pool["separate_cost"]
    assert set(pool["split"]) >= {"proportional", "shapley", "reasoning"}


def test_maintenance_over_http(seeded):
    c, _ = seeded
    r = c.post("/api/f35/maintenance/stored", json={"start": "2027-01-01", "horizon_days": 120,
                                                    "time_limit_s": 30})
    assert r.status_code == 200, r.text
    plan = r.json()["plan"]
    assert plan["status"] in ("optimal", "feasible") and plan["availability"] >= plan["separate"]["availability"]
    csv_r = c.post("/api/f35/maintenance/plan.csv", json={"plan": plan})
    assert csv_r.status_code == 200 and csv_r.text.splitlines()[0].startswith("tail,")
    assert len(csv_r.text.splitlines()) == len(plan["events"]) + 1
    r = c.post("/api/f35/maintenance/plan", json={"start": "2027-01-01", "horizon_days": -5, "aircraft": [],
                                                  "event_types": [], "sites": []})
    assert r.status_code == 422 and "horizon_days" in r.text


def test_cli_json_schema_and_bad_files(tmp_path):
    from dkfi.cli.main import app as cli

    run = CliRunner()
    f = tmp_path / "s.json"
    f.write_text(json.dumps(small_spares()))
    res = run.invoke(cli, ["f35", "spares", "optimize", str(f), "--json"])
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.stdout)) == OPT_KEYS
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(small_spares(), items=[dict(SPARES["items"][0], unit_cost=-1)], qpa={})))
    res = run.invoke(cli, ["f35", "spares", "optimize", str(bad), "--json"])
    assert res.exit_code == 2 and "items[0].unit_cost" in res.output and "Traceback" not in res.output
    res = run.invoke(cli, ["f35", "spares", "evaluate", str(tmp_path / "missing.json")])
    assert res.exit_code == 2 and "no such file" in res.output
    (tmp_path / "junk.json").write_text("[1, 2")
    res = run.invoke(cli, ["f35", "maintenance", "plan", str(tmp_path / "junk.json")])
    assert res.exit_code == 2 and "not JSON" in res.output
