"""Stored watch lists: import (CLI, API, page), replace semantics, labels, and the live watch using them."""
from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from dkfi.core.access import system_session, user_session
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification, Label
from dkfi.watch.models import WatchEntry
from dkfi.watch.watchlist import WatchList
from dkfi.watch.watchlist_store import import_watchlist, stored_watchlist
from tests.conftest import login

CSV = ("imo,mmsi,name,list,reason\n"
       "9329760,518998865,EAGLE S,shadow fleet,Estlink 2 damage Dec 2024\n"
       "9329761,,BAD CHECK DIGIT,shadow fleet,x\n"
       ",412000001,YI PENG 3,,C-Lion1\n")
DNK_ONLY = Label(Classification.RESTRICTED, ("DNK",))


def _import(engine, text: str, nation: str = "DNK", label: Label | None = None, default: str = "national"):
    with system_session(engine, nation) as s, s.begin():
        kw = {} if label is None else {"label": label}
        return import_watchlist(s, WatchList.from_text(text, default, "test"), nation, **kw)


def test_import_keeps_good_rows_reports_bad_ones_and_replaces_by_list(engine):
    r = _import(engine, CSV)
    assert r.lists == {"shadow fleet": 1, "national": 1} and r.replaced == 0
    assert r.errors and r.errors[0][0] == 3 and "check digit" in r.errors[0][1]
    # the same list again replaces it; another nation's list of the same name and other lists stay
    _import(engine, "imo,name,list\n9329760,EAGLE S,shadow fleet\n", nation="FIN")
    r2 = _import(engine, "mmsi,name,list\n636019825,PIRANHA,shadow fleet\n636019826,KIWALA,shadow fleet\n")
    assert r2.replaced == 1 and r2.lists == {"shadow fleet": 2}
    with system_session(engine, "DNK") as s:
        rows = s.scalars(select(WatchEntry).order_by(WatchEntry.id)).all()
        got = sorted((e.owner_nation, e.list_name, e.name) for e in rows)
        assert got == [("DNK", "national", "YI PENG 3"), ("DNK", "shadow fleet", "KIWALA"),
                       ("DNK", "shadow fleet", "PIRANHA"), ("FIN", "shadow fleet", "EAGLE S")]
        assert {(e.classification, e.releasable_to) for e in rows} == {("RESTRICTED", "DNK,FIN")}
        wl = stored_watchlist(s)
    assert len(wl) == 4 and wl.matches(636019825)[0].entry.list == "shadow fleet"


def test_entries_are_seen_only_as_their_label_allows(engine):
    _import(engine, CSV, label=DNK_ONLY)
    _import(engine, "mmsi,name,list\n273000001,LISTED,shared\n")
    fin = Principal("fi-op", "FIN", Classification.SECRET, frozenset({"operator"}))
    with user_session(engine, fin) as s:
        assert [e.list_name for e in s.scalars(select(WatchEntry))] == ["shared"]
    low = Principal("dk-low", "DNK", Classification.UNCLASSIFIED, frozenset({"operator"}))
    with user_session(engine, low) as s:
        assert s.scalars(select(WatchEntry)).all() == []


def test_stored_list_drives_the_watch():
    """What the live watch gets from the store (make_context takes a WatchList) raises watchlist alerts."""
    from dkfi.watch.detectors.base import Context
    from dkfi.watch.detectors.watchlist import WatchlistDetector
    from dkfi.maritime.records import Position
    from dkfi.watch.service import WatchRunner

    wl = WatchList.from_text("mmsi,name,list,reason\n518998865,EAGLE S,shadow fleet,Estlink 2\n", "x", "database")
    runner = WatchRunner(Context(watchlist=wl), [WatchlistDetector()])
    runner.process(Position(ts=1_735_120_800.0, mmsi=518998865, lat=59.9, lon=25.0, sog=6.0, cog=80.0))
    [a] = runner.alerts()
    assert a.kind == "watchlist" and a.mmsi == 518998865


def test_live_sources_read_the_stored_lists(tmp_path):
    from dkfi.core.config import Settings
    from dkfi.core.db import get_engine
    from dkfi.watch.live import stored_watchlist as live_watchlist

    engine = get_engine(f"sqlite:///{tmp_path / 'l.sqlite'}")
    settings = Settings(data_dir=tmp_path)
    assert live_watchlist(engine, settings) is None
    _import(engine, CSV)
    wl = live_watchlist(engine, settings)
    assert len(wl) == 2 and wl.source == "database"


def test_cli_import_and_show(tmp_path, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite'}")
    get_settings.cache_clear()
    f = tmp_path / "sanctions.csv"
    f.write_text(CSV.replace(",", ";"), encoding="utf-8")  # semicolons, as spreadsheets export
    runner = CliRunner(env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    res = runner.invoke(cli, ["watch", "lists", "import", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["stored"] == 2 and out["bad_rows"] == 1 and out["lists"] == {"shadow fleet": 1, "sanctions": 1}
    res = runner.invoke(cli, ["watch", "lists", "show", "--json"])
    assert sorted(json.loads(line)["name"] for line in res.stdout.splitlines()) == ["EAGLE S", "YI PENG 3"]
    res = runner.invoke(cli, ["watch", "lists", "import", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(cli, ["watch", "lists", "import", str(f), "--classification", "COSMIC"])
    assert res.exit_code == 2 and "unknown classification" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,list\n12,x\n", encoding="utf-8")
    res = runner.invoke(cli, ["watch", "lists", "import", str(bad)])
    assert res.exit_code == 1 and "row 2" in res.output
    get_settings.cache_clear()


def _page(c, user: str) -> str:
    """The page as the user's browser gets it (session cookie from the login form)."""
    bearer = c.headers.pop("Authorization")
    try:
        r = c.post("/login", data={"username": user, "password": "correct horse battery"})
        assert r.status_code == 200 and "/login" not in str(r.url), r.text[:300]
        r = c.get("/watchlists")
        assert r.status_code == 200 and "/login" not in str(r.url)
        return r.text
    finally:
        c.cookies.clear()
        c.headers["Authorization"] = bearer


def test_api_and_page(db_url):
    from dkfi.web.app import create_app

    with TestClient(create_app(db_url)) as c:
        assert c.get("/api/watchlists").status_code == 401
        login(c, db_url, "dk-plan", "DNK", "RESTRICTED", ("planner",))
        r = c.post("/api/watchlists?list=national", content=CSV, headers={"Content-Type": "text/csv"})
        assert r.status_code == 201, r.text
        assert r.json()["stored"] == 2 and r.json()["errors"][0]["row"] == 3
        r = c.post("/api/watchlists?classification=SECRET", content=CSV)
        assert r.status_code == 422 and "above your clearance" in r.json()["detail"]
        r = c.post("/api/watchlists", content=b"\xff\xfe\x00bad")
        assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
        r = c.post("/api/watchlists", content="mmsi\n12\n")
        assert r.status_code == 422 and "no usable row" in r.json()["detail"]
        r = c.post("/api/watchlists?releasable_to=DNK", content="mmsi,name,list\n273000001,DK EYES,dk only\n")
        assert r.status_code == 201
        got = c.get("/api/watchlists").json()
        assert sorted(e["name"] for e in got["entries"]) == ["DK EYES", "EAGLE S", "YI PENG 3"]
        assert {d["name"] for d in got["lists"]} == {"shadow fleet", "national", "dk only"}
        html = _page(c, "dk-plan")
        assert "EAGLE S" in html and 'id="import"' in html and "RESTRICTED" in html

        c.headers.pop("Authorization")
        login(c, db_url, "fi-view", "FIN", "SECRET", ("viewer",))
        assert c.post("/api/watchlists", content=CSV).status_code == 403
        names = sorted(e["name"] for e in c.get("/api/watchlists").json()["entries"])
        assert names == ["EAGLE S", "YI PENG 3"]  # the DNK-only list is not releasable to FIN
        html = _page(c, "fi-view")
        assert "EAGLE S" in html and "DK EYES" not in html and 'id="import"' not in html  # a viewer may not import


def test_oversized_upload_is_refused_before_it_is_read(db_url):
    from dkfi.watch.watchlist_store import MAX_UPLOAD_BYTES
    from dkfi.web.app import create_app

    with TestClient(create_app(db_url)) as c:
        login(c, db_url, "dk-plan2", "DNK", "RESTRICTED", ("planner",))
        big = "mmsi,name\n" + "219000001,X\n" * (MAX_UPLOAD_BYTES // 12 + 10)
        r = c.post("/api/watchlists", content=big)
        assert r.status_code == 413 and "at most" in r.json()["detail"]
        r = c.post("/api/watchlists?releasable_to=XX1", content=CSV)
        assert r.status_code == 422 and r.json()["detail"].startswith("label:")
        assert c.get("/api/watchlists").json()["entries"] == []  # nothing stored by refused uploads
