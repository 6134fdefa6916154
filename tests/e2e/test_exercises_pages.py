"""The exercises pages in headless Chromium against a real server holding the exercises seed set.

On top of ``dkfi.exercises.seed``: a Danish exercise that books the 1st Brigade twice in March 2026 (a conflict),
a Finnish exercise not releasable to Denmark (never shown to the Danish users here), and a CONFIDENTIAL Danish
lesson (shown to a SECRET-cleared user, hidden from a RESTRICTED one). Every page is checked to stay on
127.0.0.1 and to run without script errors, and photographed into var/screenshots/.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import assert_clean, dispose, make_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)

PLANNER = ("e2e-ex-planner", "planner password 1")            # DNK, SECRET, planner
RESTRICTED = ("e2e-ex-restricted", "restricted password 1")   # DNK, RESTRICTED, operator
FIN_ONLY = "FINNISH ONLY DRILL"
CONFIDENTIAL_LESSON = "Liaison radios could not join the brigade net"
OVERDUE_LESSON = "Mine countermeasures logs were kept apart"
CONFLICT_TEXT = "1st Brigade is booked into Cold Response 26 and Frost Shield 26 at once"


def seed_exercises(engine) -> None:
    """The seed set, a double booking, an exercise only Finland may see and a CONFIDENTIAL lesson."""
    from dkfi.core.db import session_scope
    from dkfi.exercises import service
    from dkfi.exercises.schemas import ExerciseIn, LessonAction, LessonIn, ParticipationIn
    from dkfi.exercises.seed import seed

    with session_scope(engine) as s:
        seed(s, "DNK")
        # Cold Response 26 runs 2026-03-09..19 with the 1st Brigade; Frost Shield books it again from the 16th
        service.save_exercise(s, ExerciseIn(
            key="frost-shield-26-2026", name="Frost Shield 26", framework="bilateral", domains=["land"],
            start=date(2026, 3, 16), end=date(2026, 3, 25), location="Oksbøl", fpc=date(2026, 3, 2),
            description="e2e: a double booking"),
            "DNK")
        service.save_participation(s, ParticipationIn(unit="dk-1bde", exercise="frost-shield-26-2026",
                                                      status="planned", role="participant"), "DNK")
        service.save_exercise(s, ExerciseIn(
            key="finnish-only-drill-2026", name=FIN_ONLY, framework="national", domains=["land"],
            start=date(2026, 3, 10), end=date(2026, 3, 14), location="Rovajärvi", ipc=date(2026, 3, 2),
            classification="UNCLASSIFIED", releasable_to=["FIN"]), "FIN")
        service.save_participation(s, ParticipationIn(unit="fi-jaeger-bde", exercise="finnish-only-drill-2026",
                                                      status="planned", releasable_to=["FIN"]), "FIN")
        service.add_lesson(s, LessonIn(
            title=CONFIDENTIAL_LESSON, exercise="cold-response-26-2026", objective="land-arctic",
            observation="e2e: the Finnish liaison officers' radios had no crypto fill for the Danish brigade net.",
            classification="CONFIDENTIAL", releasable_to=["DNK"]), "DNK", "e2e")
        late = service.add_lesson(s, LessonIn(
            title=OVERDUE_LESSON, exercise="baltops-25-2025", objective="mar-mcm",
            observation="e2e: Danish and Finnish mine countermeasures logs could not be merged."), "DNK", "e2e")
        service.act_on_lesson(s, late.id, LessonAction(action="identify", lesson="Agree one log format."), "e2e")
        service.act_on_lesson(s, late.id, LessonAction(action="act", action_text="Write the shared log format",
                                                       owner="FIN Navy N3", due=date(2026, 1, 15)), "e2e")


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """Overrides the conftest's: no AIS sample, the exercises seed set instead (the ``server`` fixture uses it)."""
    app, url = make_app(tmp_path_factory.mktemp("e2e-exercises"))
    seed_exercises(app.state.engine)
    make_user(url, PLANNER[0], "DNK", "SECRET", ("planner",), PLANNER[1])
    make_user(url, RESTRICTED[0], "DNK", "RESTRICTED", ("operator",), RESTRICTED[1])
    yield app
    dispose(url)


def shot(pg, name: str) -> None:
    """The whole page: the exercises pages scroll inside the shell, so the window grows to their height."""
    size = pg.viewport_size
    height = pg.evaluate("() => { const p = document.querySelector('.ex-page');"
                         " return p.getBoundingClientRect().top + p.scrollHeight; }")
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 2, 6000))})
    pg.screenshot(path=str(SCREENSHOTS / f"dkfi-exercises-{name}.png"))
    pg.set_viewport_size(size)


def csrf(pg) -> str:
    return pg.locator('meta[name="csrf-token"]').get_attribute("content")


# ---- calendar ----------------------------------------------------------------------------------------------------

def test_calendar_year_and_month_views(page):
    page.goto("/exercises?view=year&year=2026")
    expect(page.get_by_role("link", name="Exercises")).to_have_attribute("aria-current", "page")
    expect(page.locator(".ex-tabs a[aria-current=page]")).to_have_text("Calendar")
    grid = page.locator("#year-grid")
    expect(grid).to_contain_text("Cold Response 26")
    expect(grid).to_contain_text("Northern Tern 26")
    # the March rows: both exercises of the double booking are highlighted, and listed in the panel
    march = grid.locator('tbody[data-month="3"]')
    expect(march.locator(".bar.conflict")).to_have_count(2)
    expect(page.locator("#conflicts")).to_contain_text(CONFLICT_TEXT)
    expect(page.locator("#exercise-list tr.conflict")).to_have_count(2)
    expect(page.locator("#exercise-list")).to_contain_text("UNCLASSIFIED · REL TO DNK, FIN")
    assert FIN_ONLY not in page.content()
    expect(page.locator("#banner")).to_have_text("UNCLASSIFIED")
    # Northern Tern 26's planning conferences in their months
    expect(grid.locator('tbody[data-month="4"]').get_by_title(re.compile("^MPC of Northern Tern 26"))).to_have_text("MPC")
    expect(grid.locator('tbody[data-month="7"] .ms-mark')).to_have_text("FPC")
    shot(page, "calendar-year")

    page.locator("#f-view").select_option("month")
    page.locator("#f-month").select_option("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "view=month" in page.url and "month=3" in page.url
    expect(page.locator("h1")).to_contain_text("March 2026")
    month = page.locator("#month-grid")
    expect(month.locator('td[data-date="2026-03-09"]')).to_contain_text("Cold Response 26")
    expect(month.locator('td[data-date="2026-03-16"]')).to_have_class(re.compile(r"\bconflict-day\b"))
    expect(month.locator('td[data-date="2026-03-19"]')).to_have_class(re.compile(r"\bconflict-day\b"))
    expect(month.locator('td[data-date="2026-03-20"]')).not_to_have_class(re.compile(r"\bconflict-day\b"))
    expect(month.locator('td[data-date="2026-03-16"] .bar.conflict')).to_have_count(2)
    expect(page.locator("#conflicts li")).to_have_count(1)
    assert FIN_ONLY not in page.content()
    shot(page, "calendar-month")

    # planning conferences: Frost Shield 26's FPC on 2 March (the Finnish drill's IPC that day stays hidden)
    expect(month.locator('td[data-date="2026-03-02"] .ms')).to_have_text("◆ FPC Frost Shield 26")

    page.locator("#cal-next").click()
    expect(page.locator("h1")).to_contain_text("April 2026")
    expect(page.locator("#no-conflicts")).to_be_visible()
    page.locator("#cal-prev").click()
    expect(page.locator("h1")).to_contain_text("March 2026")

    # filters: a framework keeps only its exercises
    page.goto("/exercises?view=year&year=2026&framework=JEF")
    # Northern Tern 26 runs in 2026; Nordic Sky 27 (JEF too) holds its main planning conference in Dec 2026
    expect(page.locator("#exercise-list tbody tr")).to_have_count(2)
    expect(page.locator("#exercise-list")).to_contain_text("Northern Tern 26")
    expect(page.locator("#exercise-list")).to_contain_text("Nordic Sky 27")

    # the iCalendar download: every exercise the user may see, nothing else
    href = page.locator("#ics-link").get_attribute("href")
    r = page.request.get(href)
    assert r.status == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Northern Tern 26" in r.text() and FIN_ONLY not in r.text()
    r = page.request.get("/api/exercises/calendar.ics")
    assert "SUMMARY:Cold Response 26" in r.text() and FIN_ONLY not in r.text()
    r = page.request.get("/api/exercises/calendar?year=2026&month=3")
    assert FIN_ONLY not in r.text()
    assert_clean(page)


def test_planner_imports_a_calendar_csv(as_user, tmp_path):
    csv = tmp_path / "calendar.csv"
    csv.write_text("name,start,end,framework,domains,location\n"
                   "Harbour Watch 28,2028-05-02,2028-05-06,bilateral,maritime,Aarhus\n"
                   "Broken Row 28,2028-13-01,2028-05-06,NATO,land,nowhere\n", encoding="utf-8")
    pg = as_user(*PLANNER)
    pg.goto("/exercises?view=month&year=2028&month=5")
    expect(pg.locator("#no-exercises")).to_be_visible()
    pg.locator("#import-file").set_input_files(str(csv))
    with pg.expect_navigation():   # rows stored: the page reloads to show them, and keeps the report
        pg.get_by_role("button", name="Import").click()
    report = pg.locator("#import-report")
    expect(report).to_contain_text("2 rows received, 1 stored, 1 rejected")
    expect(report.locator(".rejected li")).to_have_count(1)
    expect(report.locator(".rejected li")).to_contain_text("line 3")
    expect(report.locator(".rejected li")).to_contain_text("not a valid date")
    expect(pg.locator('#month-grid td[data-date="2028-05-02"]')).to_contain_text("Harbour Watch 28")
    expect(pg.locator('#month-grid td[data-date="2028-05-06"] .bar[data-key="harbour-watch-28-2028"]')).to_have_count(1)
    expect(pg.locator('#month-grid td[data-date="2028-05-07"] .bar[data-key="harbour-watch-28-2028"]')).to_have_count(0)

    # a file with no good row: the report, no reload
    bad = tmp_path / "bad.csv"
    bad.write_text("name,start,end,framework\nNope,2028-01-01,2027-01-01,NATO\n", encoding="utf-8")
    pg.locator("#import-file").set_input_files(str(bad))
    pg.get_by_role("button", name="Import").click()
    expect(report).to_contain_text("1 rows received, 0 stored, 1 rejected")
    expect(report.locator(".rejected li")).to_contain_text("line 2")

    # a file that is not a calendar at all: the server's 422, shown as refused
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    pg.locator("#import-file").set_input_files(str(other))
    pg.get_by_role("button", name="Import").click()
    expect(report).to_have_class(re.compile(r"\brefused\b"))
    expect(report).to_contain_text("other.csv: not imported")
    assert_clean(pg, refusals=(422,))


def test_operator_has_no_import_form(page):
    page.goto("/exercises")
    expect(page.locator("#month-grid")).to_be_visible()
    expect(page.locator("#cal-import")).to_have_count(0)
    assert_clean(page)


# ---- interoperability matrix -------------------------------------------------------------------------------------

def test_matrix_heat_map_and_csv(page):
    page.goto("/exercises/matrix?as_of=2027-04-01")   # a fixed date: the statuses do not depend on today
    heat = page.locator("#heatmap")
    expect(heat.locator("tbody th")).to_have_count(5)     # the Danish units of the seed objectives
    expect(heat.locator("thead th[data-unit]")).to_have_count(5)
    cells = {
        "air-dca": "overdue",      # last together at Ramstein Flag 25 (ended 2025-04-11), every 365 days
        "cyber-dco": "never",      # no exercise with both cyber units
        "mar-mcm": "due_soon",     # Freezing Winds 25 (ended 2025-12-04) + 540 days = 2027-05-28
        "land-arctic": "ok",       # Cold Response 26 (ended 2026-03-19) + 730 days
        "mar-asw": "ok", "mar-cip": "ok",   # Northern Tern 26 (ended 2026-09-18) + 365 days
    }
    for objective, status in cells.items():
        cell = heat.locator(f'.obj[data-objective="{objective}"]')
        expect(cell).to_have_count(1)
        expect(cell).to_have_attribute("data-status", status)
        expect(cell).to_have_class(re.compile(rf"\bms-{status}\b"))
    pair = heat.locator('td[data-pair="dk-frigate-sq/fi-coastal-fleet"]')
    expect(pair.locator(".obj")).to_have_count(2)
    expect(pair).to_have_class(re.compile(r"\bworst-ok\b"))
    expect(heat.locator('td[data-pair="dk-fw-skrydstrup/fi-karelia-aw"]')).to_have_class(re.compile(r"\bworst-overdue\b"))
    expect(heat.locator('td[data-pair="dk-fw-skrydstrup/fi-cyber"]')).to_have_class(re.compile(r"\bnone\b"))
    expect(page.locator("#matrix-legend")).to_contain_text("due soon")
    expect(page.locator("#objectives tbody tr")).to_have_count(6)
    expect(page.locator("#obj-air-dca")).to_contain_text("UNCLASSIFIED · REL TO DNK, FIN")
    shot(page, "matrix")

    href = page.locator("#matrix-csv").get_attribute("href")
    assert "as_of=2027-04-01" in href
    r = page.request.get(href)
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text().splitlines()
    assert lines[0].startswith("objective,name,priority") and len(lines) == 7
    assert any(line.startswith("air-dca,") and ",overdue," in line for line in lines)
    assert_clean(page)


# ---- planner -------------------------------------------------------------------------------------------------------

def test_planner_plans_2027(as_user):
    pg = as_user(*PLANNER)
    pg.goto("/exercises/planner")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("Planner")
    expect(pg.locator("#n-units")).to_have_text("10")
    # an impossible period: the server's 422 is shown
    pg.locator("#p-start").fill("2027-12-31")
    pg.locator("#p-end").fill("2027-01-01")
    pg.locator("#p-budget-dnk").fill("1000")
    pg.locator("#p-budget-fin").fill("1000")
    pg.get_by_role("button", name="Plan").click()
    expect(pg.locator("#plan-message")).to_contain_text("end 2027-01-01 is before start 2027-12-31")
    expect(pg.locator("#plan-message")).to_have_class(re.compile(r"\brefused\b"))
    expect(pg.locator("#plan-result")).to_be_hidden()
    assert_clean(pg, refusals=(422,))
    pg.watch.console_errors.clear()

    pg.locator("#p-start").fill("2027-01-01")
    pg.locator("#p-end").fill("2027-12-31")
    pg.locator("#p-budget-dnk").fill("1200")
    pg.locator("#p-budget-fin").fill("900")
    pg.get_by_role("button", name="Plan").click()
    result = pg.locator("#plan-result")
    expect(result).to_be_visible(timeout=60_000)
    expect(pg.locator("#plan-status")).to_have_text(re.compile(r"^(optimal|feasible)$"))
    expect(pg.locator("#plan-message")).to_be_hidden()
    rows = pg.locator("#plan-attend tbody tr")
    assert rows.count() > 0
    planned = {"Baltic Shield 27", "Arctic Forge 27", "Nordic Sky 27", "Seabed Guard 27", "Sound Link 27"}
    for text in rows.all_inner_texts():   # only the INVENTED 2027 exercises start in the period, by name
        assert any(name in text for name in planned), text
    expect(pg.locator('#plan-costs tr[data-nation="DNK"]')).to_contain_text("1,200")
    value = float(pg.locator("#plan-value").inner_text().replace(",", ""))
    alone = float(pg.locator("#plan-separate").inner_text().replace(",", ""))
    assert value >= alone > 0
    met = pg.locator("#plan-met li[data-objective]").count()
    open_ = pg.locator("#plan-open li[data-objective]").count()
    assert met + open_ == 6 and met > 0
    # costs within budget
    for nation, budget in (("DNK", 1200), ("FIN", 900)):
        cost = float(pg.locator(f'#plan-costs tr[data-nation="{nation}"] td').first.inner_text().replace(",", ""))
        assert cost <= budget
    shot(pg, "planner")
    assert_clean(pg)


def test_planner_needs_the_planner_role(page):
    page.goto("/exercises/planner")
    expect(page.locator("#plan-not-allowed")).to_contain_text("planner")
    expect(page.locator("#plan-form")).to_have_count(0)
    expect(page.locator("#upcoming")).to_be_visible()
    assert_clean(page)


# ---- units and competencies ----------------------------------------------------------------------------------------

def test_units_highlight_expiring_qualifications(page):
    page.goto("/exercises/units?warn_days=3650")
    card = page.locator("#unit-dk-1bde")
    expect(card).to_contain_text("Holstebro")
    expect(card).to_contain_text("LD-MECH-BDE")
    creval = card.locator('tr.q-row[data-name="CREVAL"]')
    # valid until 2026-11-30: expiring (within ten years) before that day, expired after it
    state = "expired" if date.today() > date(2026, 11, 30) else "expiring"
    expect(creval).to_have_attribute("data-state", state)
    expect(creval).to_have_class(re.compile(rf"\bwarn-{state}\b"))
    expect(card).to_have_class(re.compile(r"\bhas-warning\b"))
    expect(creval).to_contain_text("UNCLASSIFIED · REL TO DNK, FIN")
    if date.today() < date(2027, 6, 7):   # Baltic Shield 27 (planned for the frigates) renews their MARSUR
        marsur = page.locator('#unit-dk-frigate-sq tr.q-row[data-name="MARSUR certification"]')
        expect(marsur.locator(".renew")).to_contain_text("Baltic Shield 27")
    expect(page.locator("#warning-summary")).to_contain_text("3650 days")
    expect(page.locator(".unit-card")).to_have_count(10)
    shot(page, "units")

    page.goto("/exercises/units?warn_days=0")
    expect(page.locator('#unit-fi-coastal-fleet tr.q-row[data-name="MARSUR certification"]')).to_have_attribute(
        "data-state", "valid" if date.today() <= date(2028, 3, 31) else "expired")
    assert_clean(page)


# ---- lessons -------------------------------------------------------------------------------------------------------

def test_lessons_observe_identify_and_confidentiality(page, as_user):
    page.goto("/exercises/lessons")
    expect(page.locator("#banner")).to_have_text("CONFIDENTIAL")       # the highest label on the page
    confidential = page.locator("article.lesson", has_text=CONFIDENTIAL_LESSON)
    expect(confidential).to_contain_text("CONFIDENTIAL · REL TO DNK")
    late = page.locator("article.lesson", has_text=OVERDUE_LESSON)   # its action was due 2026-01-15
    expect(late).to_have_class(re.compile(r"\boverdue\b"))
    expect(late.locator(".due.overdue")).to_contain_text("2026-01-15 — overdue")
    expect(late.locator(".steps li.current")).to_have_text("Remedial action")
    expect(late).to_contain_text("FIN Navy N3")

    title = "E2E: chat rooms were not shared with the Finnish liaison"
    page.locator("#o-title").fill(title)
    page.locator("#o-observation").fill("The Danish staff chat was not reachable from the Finnish liaison cell.")
    page.locator("#o-exercise").select_option("northern-tern-26-2026")
    page.locator("#o-objective").select_option("mar-cip")
    page.locator("#o-classification").select_option("RESTRICTED")
    with page.expect_navigation():
        page.get_by_role("button", name="Record observation").click()
    card = page.locator("article.lesson", has_text=title)
    expect(card).to_have_attribute("data-status", "observation")
    expect(card).to_contain_text("Northern Tern 26")
    expect(card).to_contain_text("Seabed infrastructure protection")
    expect(card).to_contain_text("RESTRICTED · REL TO DNK, FIN")
    expect(card.locator(".steps li.current")).to_have_text("Observation")
    expect(page.locator("#lessons-message")).to_contain_text("recorded")

    # identify without the lesson text: the server refuses (409) and says what is missing
    card.get_by_role("button", name="Mark identified").click()
    expect(card.locator(".message.refused")).to_contain_text("identify needs the lesson identified")
    card.locator('textarea[name="lesson"]').fill("Open the staff chat to the liaison cell before STARTEX.")
    with page.expect_navigation():
        card.get_by_role("button", name="Mark identified").click()
    card = page.locator("article.lesson", has_text=title)
    expect(card).to_have_attribute("data-status", "identified")
    expect(card.locator(".steps li.current")).to_have_text("Lesson identified")
    expect(card.locator(".steps li.done")).to_have_count(1)
    expect(card).to_contain_text("Open the staff chat")
    shot(page, "lessons")

    # moved on elsewhere meanwhile: the page's button gets the server's 409
    lesson_id = card.get_attribute("data-id")
    r = page.request.post(f"/api/exercises/lessons/{lesson_id}/actions",
                          data={"action": "act", "action_text": "Federate the chat servers", "owner": "DNK J6",
                                "due": "2027-02-01"}, headers={"X-CSRF-Token": csrf(page)})
    assert r.status == 200, r.text()
    card.locator('input[name="owner"]').fill("someone")
    card.get_by_role("button", name="Start action").click()
    expect(card.locator(".message.refused")).to_contain_text("cannot act")
    page.goto("/exercises/lessons?status=identified")
    expect(page.locator("article.lesson", has_text=title)).to_have_count(0)
    page.goto("/exercises/lessons?status=action")
    expect(page.locator("article.lesson", has_text=title)).to_contain_text("DNK J6")
    assert_clean(page, refusals=(409,))

    # a RESTRICTED-cleared Danish user sees neither the CONFIDENTIAL lesson nor a CONFIDENTIAL banner
    other = as_user(*RESTRICTED)
    other.goto("/exercises/lessons")
    expect(other.locator("article.lesson", has_text=title)).to_have_count(1)
    expect(other.locator("article.lesson", has_text=CONFIDENTIAL_LESSON)).to_have_count(0)
    expect(other.locator("#banner")).to_have_text("RESTRICTED")
    expect(other.locator("#o-classification option")).to_have_text(["UNCLASSIFIED", "RESTRICTED"])
    assert CONFIDENTIAL_LESSON not in other.content()
    assert_clean(other)


def test_every_page_stays_on_this_server(page):
    for path in ("/exercises", "/exercises?view=year", "/exercises/matrix", "/exercises/planner",
                 "/exercises/units", "/exercises/lessons"):
        page.goto(path)
        expect(page.locator(".ex-tabs")).to_be_visible()
        assert FIN_ONLY not in page.content()
        html = page.content().replace(page.watch.base_url, "")
        assert "http://" not in html and "https://" not in html, path
    assert_clean(page)
