"""The F-35 pages in headless Chromium against a real server holding a small fleet of both nations.

The data: ``dkfi.f35.seed`` (both fleets, their sites, the demo items and maintenance programme, people), and on
top people with an exchange, a qualification expiring in 30 days and the course that renews it, and a Danish-only
SECRET depot ("HIDDEN DEPOT") that a Finnish user and a RESTRICTED Danish user must never see, on any page, also
not through the models' results. Every page is checked to stay on
127.0.0.1 and to run without script errors, and photographed into var/screenshots/dkfi-f35-*.png.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import assert_clean, dispose, make_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)

PLANNER = ("e2e-f35-planner", "planner password 1")          # DNK, SECRET, planner: sees the hidden depot
FIN_PLANNER = ("e2e-f35-fin", "finnish password 1")         # FIN, SECRET, planner
RESTRICTED = ("e2e-f35-restricted", "restricted password 1")  # DNK, RESTRICTED, planner
HIDDEN = "HIDDEN DEPOT"
HIDDEN_KEY = "dk-hidden-depot"
TODAY = date.today()
EXPIRES = TODAY + timedelta(days=30)
QUAL = "E2E F-35A instructor pilot"
COURSE = "E2E instructor pilot refresher"

def _rel(classification: str = "RESTRICTED", releasable_to=("DNK", "FIN")) -> dict:
    return {"classification": classification, "releasable_to": list(releasable_to)}


def _people(s) -> None:
    """An instructor pilot on exchange with a qualification that expires in 30 days, booked on the course that
    renews it; a Finnish maintainer; a Finnish pilot whose qualification has expired; a joint exercise."""
    from dkfi.f35 import service
    from dkfi.f35.schemas import ExchangeIn, PersonIn, QualificationIn, TrainingIn

    service.save_person(s, PersonIn(key="e2e-anna", name="Anna Holm", nation="DNK", role="instructor",
                                    unit="Fighter Wing Skrydstrup", **_rel()), "DNK")
    service.save_person(s, PersonIn(key="e2e-mikko", name="Mikko Laine", nation="FIN", role="maintainer",
                                    unit="Lapland Air Wing", **_rel()), "FIN")
    service.save_person(s, PersonIn(key="e2e-juha", name="Juha Virtanen", nation="FIN", role="pilot",
                                    unit="Karelia Air Wing", **_rel()), "FIN")
    service.save_qualification(s, QualificationIn(person="e2e-anna", name=QUAL, valid_until=EXPIRES, **_rel()), "DNK")
    service.save_qualification(s, QualificationIn(person="e2e-anna", name="E2E F-35A pilot",
                                                  valid_until=TODAY + timedelta(days=700), **_rel()), "DNK")
    service.save_qualification(s, QualificationIn(person="e2e-mikko", name="E2E engine run-up",
                                                  valid_until=TODAY + timedelta(days=400), **_rel()), "FIN")
    service.save_qualification(s, QualificationIn(person="e2e-mikko", name="E2E egress systems", **_rel()), "FIN")
    service.save_qualification(s, QualificationIn(person="e2e-juha", name="E2E F-35A pilot",
                                                  valid_until=TODAY - timedelta(days=10), **_rel()), "FIN")
    service.save_exchange(s, ExchangeIn(person="e2e-anna", to_nation="FIN", unit="E2E Lapland Air Wing",
                                        start=TODAY - timedelta(days=60), end=TODAY + timedelta(days=300),
                                        role="instructor pilot", **_rel()), "DNK")
    service.save_training(s, TrainingIn(key="e2e-ip-refresher", name=COURSE, kind="course",
                                        start=TODAY + timedelta(days=20), end=TODAY + timedelta(days=25),
                                        location="Rovaniemi", qualifies=QUAL, participants=["e2e-anna"], **_rel()),
                          "FIN")
    service.save_training(s, TrainingIn(key="e2e-nordic-lightning", name="E2E Nordic Lightning", kind="event",
                                        start=TODAY + timedelta(days=90), end=TODAY + timedelta(days=100),
                                        location="Skrydstrup", participants=["e2e-anna", "e2e-juha"], **_rel()),
                          "DNK")


def _hidden_depot(s) -> None:
    from dkfi.f35 import service
    from dkfi.f35.schemas import SiteIn

    service.save_site(s, SiteIn(key=HIDDEN_KEY, name=HIDDEN, nation="DNK", kind="depot", capabilities=["component"],
                                capacity={"component": 1}, classification="SECRET", releasable_to=["DNK"]), "DNK")


def seed_f35(engine) -> None:
    from dkfi.core.db import session_scope
    from dkfi.f35.seed import seed

    with session_scope(engine) as s:
        seed(s)
        _people(s)
        _hidden_depot(s)


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """Overrides the conftest's: no AIS sample, the F-35 records instead (the ``server`` fixture uses it)."""
    app, url = make_app(tmp_path_factory.mktemp("e2e-f35"))
    seed_f35(app.state.engine)
    make_user(url, PLANNER[0], "DNK", "SECRET", ("planner",), PLANNER[1])
    make_user(url, FIN_PLANNER[0], "FIN", "SECRET", ("planner",), FIN_PLANNER[1])
    make_user(url, RESTRICTED[0], "DNK", "RESTRICTED", ("planner",), RESTRICTED[1])
    yield app
    dispose(url)


def fleet_as(engine, nation: str, clearance: str) -> dict:
    """service.fleet as a user of ``nation`` with ``clearance`` sees it: what the page must show."""
    from dkfi.core.access import user_session
    from dkfi.core.identity import Principal
    from dkfi.core.labels import Classification
    from dkfi.f35 import service

    p = Principal("e2e-check", nation, Classification[clearance], frozenset({"planner"}))
    with user_session(engine, p) as s:
        return service.fleet(s, TODAY)


def plan_start(engine) -> str:
    """The first day to plan from: today, or the day after the latest recorded maintenance when the stored fleet
    records any after today (the planner refuses a ``last`` event after its start)."""
    last = [date.fromisoformat(v if isinstance(v, str) else v["date"])
            for a in fleet_as(engine, "DNK", "SECRET")["aircraft"] for v in a["last_events"].values()]
    return max([TODAY, *(d + timedelta(days=1) for d in last)]).isoformat()


def shot(pg, name: str) -> None:
    """The whole page: the F-35 pages scroll inside the shell, so the window grows to their height."""
    size = pg.viewport_size
    height = pg.evaluate("() => { const p = document.querySelector('.ex-page');"
                         " return p.getBoundingClientRect().top + p.scrollHeight; }")
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 2, 6000))})
    pg.screenshot(path=str(SCREENSHOTS / f"dkfi-f35-{name}.png"))
    pg.set_viewport_size(size)


def assert_hidden_depot_absent(pg) -> None:
    html = pg.content()
    assert HIDDEN not in html and HIDDEN_KEY not in html, pg.url


def money(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-").strip())


def percent(text: str) -> float:
    return float(text.replace("%", "").replace(",", "").strip()) / 100


# ---- fleets and industry -------------------------------------------------------------------------------------

def test_fleet_page_shows_both_nations(as_user, dkfi_app):
    pg = as_user(*PLANNER)
    pg.goto("/f35")
    expect(pg.get_by_role("link", name="F-35")).to_have_attribute("aria-current", "page")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("Fleets and industry")
    want = fleet_as(dkfi_app.state.engine, "DNK", "SECRET")
    for nation in ("DNK", "FIN"):
        bases = want["by_nation"][nation]
        card = pg.locator(f"#card-{nation}")
        expect(card.locator(".delivered")).to_have_text(str(sum(b["delivered"] for b in bases.values())))
        expect(card.locator(".on-order")).to_have_text(str(sum(b["on_order"] for b in bases.values())))
        expect(card.locator(".base-counts tbody tr")).to_have_count(len(bases))
        assert sum(b["delivered"] for b in bases.values()) > 0
    expect(pg.locator("#aircraft tbody tr")).to_have_count(len(want["aircraft"]))
    expect(pg.locator("#sites tbody tr")).to_have_count(len(want["sites"]))
    # the SECRET depot is shown to this SECRET Danish user, with its label, and the banner follows it
    hidden = pg.locator(f'#sites tr[data-key="{HIDDEN_KEY}"]')
    expect(hidden).to_contain_text(HIDDEN)
    expect(hidden).to_contain_text("SECRET · REL TO DNK")
    expect(hidden).to_contain_text("component")
    expect(pg.locator("#banner")).to_have_text("SECRET")
    expect(pg.locator("#aircraft tbody tr").first).to_contain_text("RESTRICTED · REL TO DNK, FIN")

    # filter by nation: only Finnish rows stay, the Danish card dims
    pg.locator('#fleet-filter input[name="nation"][value="FIN"]').check()
    n_fin = sum(1 for a in want["aircraft"] if a["nation"] == "FIN")
    expect(pg.locator("#aircraft tbody tr:visible")).to_have_count(n_fin)
    expect(pg.locator('#aircraft tbody tr:visible[data-nation="DNK"]')).to_have_count(0)
    expect(pg.locator("#card-DNK")).to_have_class(re.compile(r"\bdimmed\b"))
    expect(pg.locator("#aircraft-count")).to_have_text(f"{n_fin} of {len(want['aircraft'])}")
    pg.locator('#fleet-filter input[name="nation"][value=""]').check()
    expect(pg.locator("#aircraft tbody tr:visible")).to_have_count(len(want["aircraft"]))
    shot(pg, "fleet")
    assert_clean(pg)


# ---- spares pooling --------------------------------------------------------------------------------------------

def test_spares_pooling_shows_saving_and_both_splits(as_user):
    pg = as_user(*PLANNER)
    pg.goto("/f35/spares")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("Spares pooling")
    assert int(pg.locator("#n-items").inner_text()) > 0
    expect(pg.locator("#s-target")).to_have_value("0.90")
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")

    # a target the schema refuses: the server's 422 is shown, no result
    pg.locator("#s-target").evaluate("e => { e.removeAttribute('min'); e.removeAttribute('max'); }")
    pg.locator("#s-target").fill("1.5")
    pg.get_by_role("button", name="Pool").click()
    expect(pg.locator("#pool-message")).to_have_class(re.compile(r"\brefused\b"))
    expect(pg.locator("#pool-message")).to_contain_text("target_availability")
    expect(pg.locator("#pool-result")).to_be_hidden()
    assert_clean(pg, refusals=(422,))
    pg.watch.console_errors.clear()

    pg.locator("#s-target").fill("0.90")
    pg.locator("#s-model").select_option("vari-metric")
    pg.get_by_role("button", name="Pool").click()
    result = pg.locator("#pool-result")
    expect(result).to_be_visible(timeout=60_000)
    saving = money(pg.locator("#saving").inner_text())
    separate = money(pg.locator("#separate-cost").inner_text())
    pooled = money(pg.locator("#pooled-cost").inner_text())
    assert separate > 0 and pooled > 0
    assert saving == pytest.approx(separate - pooled, abs=2)
    expect(pg.locator("#saving-pct")).to_contain_text("% of the separate cost")
    rows = pg.locator("#pool-nations tbody tr")
    expect(rows).to_have_count(2)
    shapley = [money(x) for x in pg.locator('#pool-nations td[data-field="shapley"]').all_inner_texts()]
    proportional = [money(x) for x in pg.locator('#pool-nations td[data-field="proportional"]').all_inner_texts()]
    assert sum(shapley) == pytest.approx(pooled, abs=3) and sum(proportional) == pytest.approx(pooled, abs=3)
    expect(pg.locator("#core-shapley")).to_have_text(re.compile("in the core"))
    expect(pg.locator("#core-proportional")).to_have_text(re.compile("core"))
    reasoning = pg.locator("#pool-reasoning li")
    expect(reasoning.filter(has_text="Shapley value")).to_have_count(1)
    expect(reasoning.filter(has_text="Proportional to demand value")).to_have_count(1)
    expect(reasoning.filter(has_text="Saving =")).to_have_class(re.compile(r"\bkey\b"))
    # the curves: one per nation alone, their sum, the pool; the target line and the two compared costs
    chart = pg.locator("#curve-chart svg")
    expect(chart).to_be_visible(timeout=60_000)
    expect(chart.locator("path.series")).to_have_count(4)
    expect(chart.locator("circle.mark")).to_have_count(2)
    expect(pg.locator("#curve-chart .chart-legend")).to_contain_text("pooled (one stock)")
    # the shared depot the stored problem picked is this user's SECRET depot: its label raises the banner
    if HIDDEN in pg.locator("#pool-depot").inner_text():
        expect(pg.locator("#banner")).to_have_text("SECRET")
    shot(pg, "spares")

    pg.locator("#s-model").select_option("metric")
    pg.locator("#s-curves").uncheck()
    pg.get_by_role("button", name="Pool").click()
    expect(pg.locator("#saving-line")).to_contain_text("(metric)", timeout=60_000)
    expect(pg.locator("#curve-section")).to_be_hidden()
    assert_clean(pg)


def test_spares_needs_the_planner_role(page):
    page.goto("/f35/spares")
    expect(page.locator("#pool-not-allowed")).to_contain_text("planner")
    expect(page.locator("#pool-form")).to_have_count(0)
    assert_clean(page)


# ---- joint maintenance -----------------------------------------------------------------------------------------

def test_maintenance_plan_gantt_and_csv(as_user, dkfi_app):
    pg = as_user(*PLANNER, downloads=True)
    pg.goto("/f35/maintenance")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("Joint maintenance")
    assert int(pg.locator("#n-aircraft").inner_text()) > 0
    expect(pg.locator("#m-horizon")).to_have_value("730")
    expect(pg.locator("#m-start")).to_have_value(TODAY.isoformat())
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")

    # a horizon the schema refuses: the server's 422
    pg.locator("#m-horizon").evaluate("e => { e.removeAttribute('min'); e.removeAttribute('max'); }")
    pg.locator("#m-horizon").fill("5000")
    pg.get_by_role("button", name="Plan").click()
    expect(pg.locator("#mx-message")).to_contain_text("horizon_days")
    expect(pg.locator("#mx-message")).to_have_class(re.compile(r"\brefused\b"))
    expect(pg.locator("#mx-result")).to_be_hidden()
    assert_clean(pg, refusals=(422,))
    pg.watch.console_errors.clear()

    pg.locator("#m-start").fill(plan_start(dkfi_app.state.engine))
    pg.locator("#m-horizon").fill("180")
    pg.locator("#m-limit").fill("10")
    pg.get_by_role("button", name="Plan").click()
    expect(pg.locator("#mx-result")).to_be_visible(timeout=90_000)
    expect(pg.locator("#mx-status")).to_have_text(re.compile(r"^(optimal|feasible)$"))
    together = percent(pg.locator("#mx-availability").inner_text())
    alone = percent(pg.locator("#mx-separate").inner_text())
    assert 0 < alone <= together <= 1
    saved = int(pg.locator("#mx-saving").inner_text().replace("+", "").replace(",", ""))
    assert saved >= 0
    # per nation, counted by the page from the events as the planner counts: the fleet figure is their mean
    state = pg.evaluate("() => { const s = window.dkfiF35Maintenance; return {plan: s.plan, by: s.byNation}; }")
    by, plan = state["by"], state["plan"]
    days = sum(v["days"] for v in by["together"].values())
    assert sum(v["down"] for v in by["together"].values()) == plan["down_days"]
    assert sum(v["down"] for v in by["alone"].values()) == plan["separate"]["down_days"]
    assert 1 - sum(v["down"] for v in by["together"].values()) / days == pytest.approx(plan["availability"], abs=1e-6)
    expect(pg.locator("#mx-nations tbody tr")).to_have_count(2)

    # the Gantt: a bar per event, rows by site; the SECRET depot's row raises the banner for this user
    gantt = pg.locator("#gantt")
    n_events = len(plan["events"])
    assert n_events > 0
    expect(gantt.locator("g.ev")).to_have_count(n_events)
    expect(gantt.locator("g.ev rect.work")).to_have_count(n_events)
    assert gantt.locator(".gantt-head-svg text.month").count() >= 6   # month labels over ~6 months
    expect(pg.locator("#gantt-legend")).to_contain_text("transport")
    sites = {e["site"] for e in plan["events"]}
    if any(e["transport_days"] for e in plan["events"]):
        assert gantt.locator("rect.transport").count() >= 2
    if HIDDEN_KEY in {s["id"] for s in pg.evaluate("() => window.dkfiF35Maintenance.problem.sites")}:
        expect(pg.locator("#banner")).to_have_text("SECRET")
    assert sites
    expect(pg.locator("#mx-util tbody tr")).to_have_count(len(pg.evaluate("() => window.dkfiF35Maintenance.problem.sites")))
    shot(pg, "maintenance")

    pg.locator('input[name="gantt-view"][value="aircraft"]').check()
    expect(gantt).to_have_attribute("data-view", "aircraft")
    expect(gantt.locator("g.ev")).to_have_count(n_events)
    expect(gantt.locator(".gantt-labels-svg text.row-name")).to_have_count(
        len(pg.evaluate("() => window.dkfiF35Maintenance.problem.aircraft")))
    gantt.scroll_into_view_if_needed()
    gantt.screenshot(path=str(SCREENSHOTS / "dkfi-f35-maintenance-gantt-aircraft.png"))

    # the CSV of the plan's events, downloaded through a Blob
    with pg.expect_download() as dl:
        pg.locator("#mx-csv").click()
    download = dl.value
    assert download.suggested_filename.startswith("dkfi-f35-maintenance-") and download.suggested_filename.endswith(".csv")
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("tail,nation,type,occurrence,site")
    assert len(lines) == n_events + 1
    assert_clean(pg)


# ---- people and training -------------------------------------------------------------------------------------------

def test_people_expiring_qualification_and_its_course(as_user):
    pg = as_user(*PLANNER)
    pg.goto("/f35/people")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("People and training")
    warn = pg.locator(f'#warnings li[data-person="e2e-anna"][data-qual="{QUAL}"]')
    expect(warn).to_have_attribute("data-state", "expiring")
    expect(warn).to_have_class(re.compile(r"\bwarn-expiring\b"))
    expect(warn.locator(".course")).to_contain_text(COURSE)
    expect(warn.locator(".course")).to_contain_text("booked")
    expect(warn.locator(".days-left")).to_have_text("(in 30 days)")
    expect(warn).to_contain_text("RESTRICTED · REL TO DNK, FIN")
    expired = pg.locator('#warnings li[data-person="e2e-juha"]')
    expect(expired).to_have_attribute("data-state", "expired")
    expect(expired.locator(".no-renew")).to_be_visible()
    # the matrix: Anna serves in Finland now (exchange), her cell for the qualification is highlighted
    anna = pg.locator('#qual-matrix tr.person-row[data-person="e2e-anna"]')
    expect(anna.locator(".exchange-tag")).to_have_text("exchange → FIN")
    expect(pg.locator('#qual-matrix tbody[data-serving="FIN"] tr[data-person="e2e-anna"]')).to_have_count(1)
    cell = anna.locator(f'td.qcell[data-qual="{QUAL}"]')
    expect(cell).to_have_class(re.compile(r"\bq-cell-expiring\b"))
    expect(cell).to_contain_text(EXPIRES.isoformat())
    expect(cell.locator(".renew-mark")).to_be_visible()
    expect(pg.locator('#qual-matrix tr[data-person="e2e-mikko"] td.q-cell-no_expiry')).to_contain_text("no expiry")
    # exchanges and training
    ex = pg.locator("#exchanges tbody tr", has_text="Anna Holm")
    expect(ex).to_contain_text("DNK → FIN")
    expect(ex).to_contain_text("E2E Lapland Air Wing")
    expect(ex.locator(".when")).to_have_text("current")
    expect(pg.locator("#training tbody tr", has_text=COURSE)).to_contain_text(QUAL)
    expect(pg.locator("#training tbody tr", has_text="E2E Nordic Lightning")).to_contain_text("Anna Holm, Juha Virtanen")
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")
    shot(pg, "people")

    pg.locator("#warn-days").fill("10")
    with pg.expect_navigation():
        pg.get_by_role("button", name="Show").click()
    expect(pg.locator(f'#warnings li[data-qual="{QUAL}"]')).to_have_count(0)
    expect(pg.locator(f'#qual-matrix tr[data-person="e2e-anna"] td.qcell[data-qual="{QUAL}"]')).to_have_attribute(
        "data-state", "valid")
    assert_clean(pg)


# ---- who sees what ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", [FIN_PLANNER, RESTRICTED], ids=["FIN", "DNK-RESTRICTED"])
def test_hidden_depot_never_shown(as_user, who, dkfi_app):
    pg = as_user(*who)
    nation, clearance = ("FIN", "SECRET") if who is FIN_PLANNER else ("DNK", "RESTRICTED")
    want = fleet_as(dkfi_app.state.engine, nation, clearance)
    pg.goto("/f35")
    expect(pg.locator("#sites tbody tr")).to_have_count(len(want["sites"]))
    assert HIDDEN_KEY not in {s["key"] for s in want["sites"]}
    assert_hidden_depot_absent(pg)
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")
    if who is FIN_PLANNER:
        shot(pg, "fleet-fin")

    pg.goto("/f35/spares")
    pg.get_by_role("button", name="Pool").click()
    expect(pg.locator("#pool-result")).to_be_visible(timeout=60_000)
    expect(pg.locator("#curve-chart svg")).to_be_visible(timeout=60_000)
    assert_hidden_depot_absent(pg)
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")

    pg.goto("/f35/maintenance")
    pg.locator("#m-start").fill(plan_start(dkfi_app.state.engine))
    pg.locator("#m-horizon").fill("180")
    pg.locator("#m-limit").fill("10")
    pg.get_by_role("button", name="Plan").click()
    expect(pg.locator("#mx-result")).to_be_visible(timeout=90_000)
    assert_hidden_depot_absent(pg)
    sites = pg.evaluate("() => window.dkfiF35Maintenance.problem.sites.map(s => s.id)")
    assert HIDDEN_KEY not in sites
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")

    pg.goto("/f35/people")
    assert_hidden_depot_absent(pg)
    expect(pg.locator("#banner")).to_have_text("RESTRICTED")
    r = pg.request.get("/api/f35/sites")
    assert HIDDEN not in r.text()
    assert_clean(pg)


def test_every_page_stays_on_this_server(page):
    for path in ("/f35", "/f35/spares", "/f35/maintenance", "/f35/people"):
        page.goto(path)
        expect(page.locator(".ex-tabs")).to_be_visible()
        html = page.content().replace(page.watch.base_url, "")
        assert "http://" not in html and "https://" not in html, path
        if path == "/f35/maintenance":
            expect(page.locator("#mx-not-allowed")).to_contain_text("planner")
    assert_clean(page)


# ---- the Gantt at full-fleet scale --------------------------------------------------------------------------------

def test_gantt_readable_for_both_full_fleets(as_user):
    """The demo file's 107 aircraft over two years (planned here, served in place of the stored plan): every event
    a bar, a row per aircraft, month lines, and a horizontal scroll at 4 px a day."""
    import json

    from dkfi.f35 import maintenance

    problem = json.loads((Path(maintenance.__file__).parent / "data" / "maintenance-demo.json").read_text("utf-8"))
    plan = maintenance.plan(problem, time_limit_s=5)
    pg = as_user(*PLANNER)
    pg.route("**/api/f35/maintenance/stored", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"problem": problem, "plan": plan})))
    pg.goto("/f35/maintenance")
    pg.get_by_role("button", name="Plan").click()
    expect(pg.locator("#mx-result")).to_be_visible(timeout=30_000)
    gantt = pg.locator("#gantt")
    expect(gantt.locator("g.ev")).to_have_count(len(plan["events"]))
    assert gantt.locator(".gantt-head-svg text.month").count() == 24
    assert gantt.locator(".gantt-body-svg line.month-line, .gantt-body-svg line.year-line").count() == 23
    pg.locator("#mx-nations tbody tr").first.wait_for()
    shot(pg, "maintenance-full-fleet")
    pg.locator('input[name="gantt-view"][value="aircraft"]').check()
    expect(gantt.locator(".gantt-labels-svg text.row-name")).to_have_count(len(problem["aircraft"]))
    pg.locator("#gantt-zoom").select_option("4")
    wide = pg.evaluate("() => { const g = document.getElementById('gantt'); return [g.scrollWidth, g.clientWidth]; }")
    assert wide[0] > wide[1] > 0
    gantt.evaluate("g => { g.scrollLeft = 700; g.scrollTop = 0; }")
    gantt.screenshot(path=str(SCREENSHOTS / "dkfi-f35-maintenance-full-fleet-aircraft.png"))
    # the row names stay at the left and the months at the top while the chart scrolls
    box_label = pg.locator(".gantt-left").bounding_box()
    box_wrap = gantt.bounding_box()
    assert abs(box_label["x"] - box_wrap["x"]) < 3
    assert_clean(pg)
