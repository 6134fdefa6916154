"""The home page's API (``GET /api/home``, dkfi/web/home.py) on the seeded domains, on SQLite and PostgreSQL.

Every figure is checked against the domain's own API for the same user (a second path to the same records), and
label filtering with records a Finnish RESTRICTED user must not count: Danish-only ones and SECRET ones, in every
domain. The registry's extension point is checked with a toy domain: its tile appears, a failing tile shows its
error and leaves the others, an uninstalled domain has no tile.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from dkfi.core.labels import Classification, Label
from tests.conftest import make_user

TODAY = date.today()
NOW = datetime.now(timezone.utc)
DK_ONLY = Label(Classification.RESTRICTED, ("DNK",))
SECRET = Label(Classification.SECRET, ("DNK", "FIN"))
SHARED = Label(Classification.RESTRICTED, ("DNK", "FIN"))
OPEN = ("new", "acknowledged", "assigned")

# (severity, status, label, owner): what each user may count is written out in the test
ALERTS = [("critical", "new", SHARED, "DNK"), ("high", "acknowledged", Label(Classification.UNCLASSIFIED, ("DNK", "FIN")), "FIN"),
          ("high", "new", DK_ONLY, "DNK"), ("medium", "new", SECRET, "DNK"), ("low", "closed", SHARED, "DNK"),
          ("low", "assigned", SHARED, "FIN")]
HIDDEN_NAMES = ("HIDDEN DK-ONLY DRILL", "HIDDEN SECRET DRILL")


def _seed(engine) -> None:
    from sqlalchemy import select

    from dkfi.acquisition import seed as acq_seed
    from dkfi.acquisition import service as acq
    from dkfi.acquisition.models import PlanItem
    from dkfi.core.db import session_scope
    from dkfi.exercises import seed as ex_seed
    from dkfi.exercises import service as ex
    from dkfi.exercises.schemas import ExerciseIn
    from dkfi.f35 import seed as f35_seed
    from dkfi.f35 import service as f35
    from dkfi.f35.schemas import AircraftIn
    from dkfi.watch.models import AlertRecord

    with session_scope(engine) as s:
        ex_seed.seed(s)
        f35_seed.seed(s)
        acq_seed.seed(s)
        for i, (sev, status, label, owner) in enumerate(ALERTS):
            a = AlertRecord(key=f"home-{i}", kind="loitering", mmsi=219000000 + i, start=NOW, end=NOW, severity=sev,
                            score=50, summary=f"alert {i}", factors=[], evidence=[], status=status, created=NOW,
                            updated=NOW)
            a.set_label(label, owner)
            s.add(a)
        for name, label in zip(HIDDEN_NAMES, (DK_ONLY, SECRET)):
            ex.save_exercise(s, ExerciseIn(name=name, framework="bilateral", start=TODAY + timedelta(days=3),
                                           end=TODAY + timedelta(days=5), location="HIDDEN PLACE",
                                           classification=label.classification.name,
                                           releasable_to=list(label.releasable_to)), "DNK")
        f35.save_aircraft(s, AircraftIn(key="HIDDEN-TAIL", nation="DNK", base="Skrydstrup",
                                        delivery=TODAY - timedelta(days=100), classification="SECRET",
                                        releasable_to=["DNK"]), "DNK")
        items = {i.nation: i.key for i in s.scalars(select(PlanItem).order_by(PlanItem.key))}
        for label in (DK_ONLY, SECRET):
            acq.create_case(s, title="hidden case", items=[items["DNK"], items["FIN"]], nation="DNK", actor="test",
                            label=label)
        acq.create_case(s, title="shared case", items=[items["DNK"], items["FIN"]], nation="DNK", actor="test")


def _headers(c: TestClient, url: str, name: str, nation: str, clearance: str, roles=("planner",)) -> dict:
    pw = make_user(url, name, nation, clearance, roles)
    r = c.post("/api/auth/token", data={"username": name, "password": pw})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def seeded(db_url):
    from dkfi.web.app import create_app

    app = create_app(db_url)
    _seed(app.state.engine)
    with TestClient(app) as c:
        yield c, {"dk": _headers(c, db_url, "dk-secret", "DNK", "SECRET"),
                  "fi": _headers(c, db_url, "fi-restricted", "FIN", "RESTRICTED")}


def _tiles(c, h) -> dict:
    r = c.get("/api/home", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not [t for t in body["tiles"] if t["error"]], body["tiles"]
    return body


def _fig(tile: dict, label: str):
    return next(f["value"] for f in tile["figures"] if f["label"] == label)


def _by(body: dict) -> dict:
    return {t["domain"]: t for t in body["tiles"]}


def _expected_alerts(c, h) -> dict[str, dict[str, int]]:
    """Open alerts by severity and owner nation, from the watch's own list API."""
    out: dict[str, dict[str, int]] = {}
    for a in c.get("/api/alerts", params={"limit": 5000}, headers=h).json():
        if a["status"] in OPEN:
            row = out.setdefault(a["severity"], {})
            row[a["label"]["owner_nation"]] = row.get(a["label"]["owner_nation"], 0) + 1
    return out


def _chart_counts(chart: dict) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for s in chart["series"]:
        for cat, v in zip(chart["categories"], s["values"]):
            if v:
                out.setdefault(cat, {})[s["name"]] = v
    return out


@pytest.mark.parametrize("user", ["dk", "fi"])
def test_figures_match_the_domains_own_apis(seeded, user):
    c, users = seeded
    h = users[user]
    body = _tiles(c, h)
    tiles = _by(body)
    assert [t["domain"] for t in body["tiles"]] == ["watch", "exercises", "f35", "acquisition"]

    # watch: open alerts by severity and owner nation, as GET /api/alerts lists them
    want = _expected_alerts(c, h)
    w = tiles["watch"]
    assert _chart_counts(w["charts"][0]) == want
    assert _fig(w, "open alerts") == sum(sum(r.values()) for r in want.values())
    assert _fig(w, "critical or high") == sum(sum(want.get(s, {}).values()) for s in ("critical", "high"))

    # exercises: the interoperability matrix and the exercises ahead, as the exercises API gives them
    m = c.get("/api/exercises/matrix", params={"as_of": TODAY.isoformat()}, headers=h).json()
    statuses = [r["status"] for r in m["objectives"]]
    e = tiles["exercises"]
    assert _fig(e, "open interoperability gaps") == statuses.count("overdue") + statuses.count("never")
    assert _fig(e, "pairs due within 60 days") == statuses.count("due_soon")
    ahead = [x for x in c.get("/api/exercises", params={"start": TODAY.isoformat()}, headers=h).json()
             if x["start"] < (TODAY + timedelta(days=365)).isoformat()]
    assert _fig(e, "exercises under way or in the next 12 months") == len(ahead)
    assert [i["text"] for i in e["items"]] == [x["name"] for x in ahead[:4]]
    assert sum(e["charts"][1]["series"][0]["values"]) == sum(1 for x in ahead if x["start"] >= TODAY.isoformat())

    # F-35: the fleet API's counts, and the saving the spares pooling API computes over the same records
    fleet = c.get("/api/f35/fleet", headers=h).json()
    f = tiles["f35"]
    assert _fig(f, "aircraft delivered") == sum(b["delivered"] for n in fleet["by_nation"].values() for b in n.values())
    pool = c.post("/api/f35/spares/stored", json={"target_availability": 0.9}, headers=h)
    assert pool.status_code == 200, pool.text
    assert _fig(f, "pooled-spares saving") == round(pool.json()["result"]["saving"])
    assert _fig(f, "pooled-spares saving") > 0

    # acquisition: the portfolio API's opportunities by state and cases by stage
    pf = c.get("/api/acquisition/portfolio", headers=h).json()
    a = tiles["acquisition"]
    assert _fig(a, "open opportunities") == pf["opportunities"].get("open", 0) > 0
    assert dict(zip(a["charts"][0]["categories"], a["charts"][0]["series"][0]["values"])) == pf["cases"]
    assert _fig(a, "joint cases in progress") == sum(n for s, n in pf["cases"].items()
                                                     if s not in ("delivered", "withdrawn"))


def test_a_finnish_restricted_user_counts_no_danish_only_or_secret_record(seeded):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dkfi.core.models import AuditEntry

    c, users = seeded
    dk = _tiles(c, users["dk"])
    with Session(c.app.state.engine) as s:
        before = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or 0
    fi = _tiles(c, users["fi"])
    dkt, fit = _by(dk), _by(fi)

    # the alerts, written out: FIN RESTRICTED sees the shared RESTRICTED, the UNCLASSIFIED and FIN's own
    assert _chart_counts(fit["watch"]["charts"][0]) == {"critical": {"DNK": 1}, "high": {"FIN": 1}, "low": {"FIN": 1}}
    assert _chart_counts(dkt["watch"]["charts"][0]) == {"critical": {"DNK": 1}, "high": {"FIN": 1, "DNK": 1},
                                                        "medium": {"DNK": 1}, "low": {"FIN": 1}}
    assert (_fig(fit["watch"], "open alerts"), _fig(dkt["watch"], "open alerts")) == (3, 5)
    assert (_fig(fit["watch"], "new, not yet acknowledged"), _fig(dkt["watch"], "new, not yet acknowledged")) == (1, 3)
    # one DNK-only and one SECRET record in each other domain: counted for the Danish SECRET user only
    ahead = "exercises under way or in the next 12 months"
    assert _fig(dkt["exercises"], ahead) == _fig(fit["exercises"], ahead) + 2
    assert [i["text"] for i in dkt["exercises"]["items"][:2]] == list(HIDDEN_NAMES)
    assert _fig(dkt["f35"], "aircraft delivered") == _fig(fit["f35"], "aircraft delivered") + 1
    progress = "joint cases in progress"
    assert (_fig(dkt["acquisition"], progress), _fig(fit["acquisition"], progress)) == (3, 1)
    text = str(fi)
    assert not any(n in text for n in (*HIDDEN_NAMES, "HIDDEN PLACE", "HIDDEN-TAIL", "SECRET")), text
    # the labels behind the tiles: the page's banner is the highest of them, never above the user's clearance
    assert fi["classification"] == "RESTRICTED" and dk["classification"] == "SECRET"
    assert dkt["f35"]["classification"] == "SECRET" and fit["f35"]["classification"] == "RESTRICTED"
    # and the reads above UNCLASSIFIED behind the figures are audited, as every other read
    with Session(c.app.state.engine) as s:
        reads = list(s.scalars(select(AuditEntry).where(AuditEntry.seq > before, AuditEntry.action == "read",
                                                        AuditEntry.actor == "fi-restricted")))
    assert {"alert", "acq_case", "f35_aircraft"} <= {r.object_type for r in reads}, [r.object_type for r in reads]


def test_empty_node_says_so_in_every_tile(tmp_path):
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    app = create_app(url)
    with TestClient(app) as c:
        body = _tiles(c, _headers(c, url, "dk-viewer", "DNK", "UNCLASSIFIED", ("viewer",)))
    for t in body["tiles"]:
        assert t["empty"] and "visible to you" in t["empty"], t
        assert all(f["value"] in (0, None) for f in t["figures"]), t
    assert body["classification"] == app.state.settings.banner


def test_the_extension_point_toy_tile_failing_tile_and_missing_domain(db_url):
    from sqlalchemy import text

    from dkfi.core import registry
    from dkfi.web.app import create_app
    from dkfi.web.home import Figure, Tile

    def toy_tile(session, p):
        return Tile(title="Toy", href="/toy", order=1, figures=[Figure("answer", 42)])

    def broken_tile(session, p):
        # an SQL error: PostgreSQL refuses the transaction's later queries unless the shell rolls back
        session.execute(text("SELECT * FROM no_such_table"))

    url = db_url
    app = create_app(url)
    acquisition = registry.get("acquisition")
    registry.register(registry.Domain(name="toyhome", title="toy home", extensions={registry.HOME_TILES: (toy_tile,)}))
    registry.register(registry.Domain(name="toybroken", title="toy broken",
                                      extensions={registry.HOME_TILES: (broken_tile,)}))
    registry.unregister("acquisition")
    try:
        with TestClient(app) as c:
            r = c.get("/api/home", headers=_headers(c, url, "dk-op", "DNK", "SECRET", ("operator",)))
    finally:
        registry.unregister("toyhome")
        registry.unregister("toybroken")
        registry.register(acquisition)
    assert r.status_code == 200, r.text
    tiles = _by(r.json())
    assert "acquisition" not in tiles
    assert tiles["toyhome"]["figures"] == [{"label": "answer", "value": 42, "unit": "", "note": "", "href": None}]
    assert r.json()["tiles"][0]["domain"] == "toyhome"   # ordered by the tiles' order
    assert "no_such_table" in tiles["toybroken"]["error"] and r.json()["tiles"][-1]["domain"] == "toybroken"
    assert not [t for t in r.json()["tiles"] if t["error"] and t["domain"] != "toybroken"]   # watch runs after it


def test_anonymous_callers_are_refused(tmp_path):
    from dkfi.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'anon.sqlite'}")
    with TestClient(app) as c:
        assert c.get("/api/home").status_code == 401
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
