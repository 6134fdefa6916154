"""The acquisition pages in headless Chromium against a real server holding both nations' INVENTED plans.

The data: ``dkfi.acquisition.seed`` (both plans, their matches stored as opportunities), and on top a Danish-only
SECRET plan item ("HIDDEN RADAR") that a Finnish user must never see. The tests go through the pages as planners
would: the plans on the timeline and an import, the opportunities best first (dismiss one, match again), a joint
case from an opportunity to a contract with both nations' approvals (each given by a user of that nation), and the
savings with the learning-rate sensitivity. Every page is checked to stay on 127.0.0.1 and to run without script
errors, and photographed into var/screenshots/dkfi-acquisition-*.png.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import assert_clean, dispose, make_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)

PLANNER = ("e2e-acq-planner", "planner password 1")      # DNK, SECRET, planner: sees the hidden item
FIN_PLANNER = ("e2e-acq-fin", "finnish password 1")     # FIN, SECRET, planner
HIDDEN = "HIDDEN RADAR"
HIDDEN_ID = "DK-HIDDEN-1"
HEADER = ("id,description,capability_area,nsn,cpv,quantity,budget,currency,delivery_start,delivery_end,status,"
          "requirements\n")


def _hidden_item(s) -> None:
    from dkfi.acquisition import service
    from dkfi.core.labels import Classification, Label

    # an air-defence radar: it matches Finland's air-defence item, so matching must not leak it through an opportunity
    data = (HEADER + f'{HIDDEN_ID},"{HIDDEN}, long-range air surveillance radar for air defence",air defence,'
            '5840-22-999-0001,35720000,2,900000000,DKK,2027-01-01,2029-12-31,planned,\n').encode()
    report = service.import_plan(s, data, "hidden.csv", "DNK", label=Label(Classification.SECRET, ("DNK",)))
    assert report["stored"] == 1, report


def seed_acquisition(engine) -> dict:
    from dkfi.acquisition.seed import seed
    from dkfi.core.db import session_scope

    with session_scope(engine) as s:
        counts = seed(s)
        _hidden_item(s)
    return counts


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """Overrides the conftest's: no AIS sample, the acquisition records instead (the ``server`` fixture uses it)."""
    app, url = make_app(tmp_path_factory.mktemp("e2e-acquisition"))
    counts = seed_acquisition(app.state.engine)
    assert counts["plan items"] >= 20 and counts["opportunities"] >= 3, counts
    make_user(url, PLANNER[0], "DNK", "SECRET", ("planner",), PLANNER[1])
    make_user(url, FIN_PLANNER[0], "FIN", "SECRET", ("planner",), FIN_PLANNER[1])
    yield app
    dispose(url)


def visible(engine, nation: str, what: str):
    """What a SECRET planner of ``nation`` may see: plan items (dicts) or opportunities (dicts, best first)."""
    from sqlalchemy import select

    from dkfi.acquisition import service
    from dkfi.acquisition.models import Opportunity
    from dkfi.core.access import user_session
    from dkfi.core.identity import Principal
    from dkfi.core.labels import Classification

    p = Principal("e2e-check", nation, Classification.SECRET, frozenset({"planner"}))
    with user_session(engine, p) as s:
        if what == "items":
            return [service.item_dict(i) for i in service.plans(s)]
        return [service.opportunity_dict(o) for o in
                s.scalars(select(Opportunity).order_by(Opportunity.score.desc(), Opportunity.key))]


def shot(pg, name: str) -> None:
    """The whole page: the pages scroll inside the shell, so the window grows to their height."""
    size = pg.viewport_size
    height = pg.evaluate("() => { const p = document.querySelector('.ex-page');"
                         " return p.getBoundingClientRect().top + p.scrollHeight; }")
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 2, 6000))})
    pg.screenshot(path=str(SCREENSHOTS / f"dkfi-acquisition-{name}.png"))
    pg.set_viewport_size(size)


def money(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-").strip())


# ---- plans ---------------------------------------------------------------------------------------------------

def test_plans_page_shows_both_nations_on_the_timeline(as_user, dkfi_app, tmp_path):
    pg = as_user(*PLANNER)
    pg.goto("/acquisition")
    expect(pg.get_by_role("link", name="Acquisition", exact=True)).to_have_attribute("aria-current", "page")
    expect(pg.locator(".ex-tabs a[aria-current=page]")).to_have_text("Plans")
    want = visible(dkfi_app.state.engine, "DNK", "items")
    bars = pg.locator("#timeline .tl-bar")
    expect(bars).to_have_count(len(want))
    for nation in ("DNK", "FIN"):
        n = sum(1 for i in want if i["nation"] == nation)
        assert n > 5
        expect(pg.locator(f"#timeline .tl-bar.bar-{nation}")).to_have_count(n)
        expect(pg.locator(f"#total-{nation} .n-items")).to_have_text(str(n))
    # every capability area has a group with a Danish and a Finnish lane
    areas = sorted({i["capability_area"] for i in want})
    expect(pg.locator("#timeline .tl-group")).to_have_count(len(areas))
    expect(pg.locator("#timeline .tl-lane.lane-DNK:not(.more)")).to_have_count(len(areas))
    expect(pg.locator("#timeline .tl-lane.lane-FIN:not(.more)")).to_have_count(len(areas))
    # bars sit inside their track, in the order of their windows
    first, last = (sorted(want, key=lambda i: i["delivery_start"])[k] for k in (0, -1))
    box = lambda i: pg.locator(f'#timeline .tl-bar[data-key="{i["key"]}"]').bounding_box()  # noqa: E731
    assert box(first)["x"] <= box(last)["x"]
    # the SECRET Danish item is shown to this SECRET Danish user, with its label, and the banner follows it
    hidden = pg.locator(f'#plan-table tr[data-key="DNK/{HIDDEN_ID}"]')
    expect(hidden).to_contain_text(HIDDEN)
    expect(hidden).to_contain_text("SECRET · REL TO DNK")
    expect(pg.locator(f'#timeline .tl-bar[data-key="DNK/{HIDDEN_ID}"]')).to_have_count(1)
    expect(pg.locator("#banner")).to_have_text("SECRET")
    expect(pg.locator("#plans-csv")).to_have_attribute("href", "/api/acquisition/plans.csv")
    # every row carries its label
    expect(pg.locator("#plan-table tbody tr[data-key] .lbl")).to_have_count(len(want))
    shot(pg, "plans")

    # the import: one good row stored, one bad line reported with its reason
    f = tmp_path / "dnk-extra.csv"
    f.write_text(HEADER + 'DK-E2E-01,"Ceremonial brass band instruments",ceremonial,,37310000,12,450000,DKK,2027-03-01,'
                 '2027-09-30,planned,\nDK-E2E-02,"Broken row",ceremonial,,,lots,1,DKK,2027-01-01,2027-02-01,planned,\n')
    pg.locator("#import-file").set_input_files(str(f))
    pg.locator("#import-submit").click()
    report = pg.locator("#import-report")
    expect(report).to_contain_text("2 rows received", timeout=15000)
    expect(report.locator(".stored")).to_have_text("1 stored")
    expect(report.locator(".rejected li")).to_have_count(1)
    expect(report.locator(".rejected li")).to_contain_text("line 3")
    expect(pg.locator('#timeline .tl-bar[data-key="DNK/DK-E2E-01"]')).to_have_count(1)   # after the reload
    expect(bars).to_have_count(len(want) + 1)
    shot(pg, "plans-import")
    assert_clean(pg)


def test_plans_page_never_shows_the_hidden_item_to_finland(as_user, dkfi_app):
    pg = as_user(*FIN_PLANNER)
    pg.goto("/acquisition")
    want = visible(dkfi_app.state.engine, "FIN", "items")
    assert not any(HIDDEN in i["description"] for i in want)
    expect(pg.locator("#timeline .tl-bar")).to_have_count(len(want))
    expect(pg.locator("#timeline .tl-bar.bar-DNK")).to_have_count(sum(1 for i in want if i["nation"] == "DNK"))
    html = pg.content()
    assert HIDDEN not in html and HIDDEN_ID not in html
    expect(pg.locator("#banner")).not_to_have_text("SECRET")
    for path in ("/acquisition/opportunities", "/acquisition/cases", "/api/acquisition/plans.csv"):
        if path.endswith(".csv"):
            body = pg.request.get(path).text()
        else:
            pg.goto(path)
            body = pg.content()
        assert HIDDEN not in body and HIDDEN_ID not in body, path
    pg.goto("/acquisition")
    shot(pg, "plans-fin")
    assert_clean(pg)


# ---- opportunities -------------------------------------------------------------------------------------------

def test_opportunities_best_first_dismiss_and_match_again(as_user, dkfi_app):
    pg = as_user(*PLANNER)
    pg.goto("/acquisition/opportunities")
    want = [o for o in visible(dkfi_app.state.engine, "DNK", "opportunities") if o["state"] != "dismissed"]
    assert len(want) >= 3
    cards = pg.locator("#opps .opp")
    expect(cards).to_have_count(len(want))
    scores = [float(s) for s in cards.evaluate_all("cs => cs.map(c => c.dataset.score)")]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.5, scores
    assert cards.evaluate_all("cs => cs.map(c => c.dataset.key)") == [o["key"] for o in want]
    first = cards.first
    expect(first.locator(".factors tbody tr")).to_have_count(len(want[0]["factors"]))
    expect(first.locator('.factors tr[data-factor="codes"]')).to_be_visible()
    expect(first.locator(".opp-score .v")).to_have_text(str(round(100 * want[0]["score"])))
    expect(first.locator(".opp-item-DNK .opp-desc")).not_to_be_empty()
    expect(first.locator(".opp-item-FIN .opp-desc")).not_to_be_empty()
    expect(first.locator(".opp-side .lbl")).to_contain_text("RESTRICTED")
    shot(pg, "opportunities")

    # dismiss the best one: its key holds "/" and "|", sent as path segments
    gone = want[0]["key"]
    assert "/" in gone and "|" in gone
    first.get_by_role("button", name="Dismiss").click()
    expect(pg.locator("#opps-message")).to_contain_text("dismissed")
    expect(pg.locator(f'#opps .opp[data-key="{gone}"]')).to_have_count(0)
    expect(pg.locator(f'#dismissed .opp[data-key="{gone}"]')).to_have_count(1)
    expect(cards).to_have_count(len(want) - 1)
    # match again: the dismissed pair stays dismissed
    pg.get_by_role("button", name="Match now").click()
    expect(pg.locator("#opps-message")).to_contain_text("Matched", timeout=30000)
    expect(pg.locator(f'#opps .opp[data-key="{gone}"]')).to_have_count(0)
    expect(pg.locator(f'#dismissed .opp[data-key="{gone}"]')).to_have_count(1)
    expect(pg.locator("#n-dismissed")).to_have_text("1")
    stored = {o["key"]: o["state"] for o in visible(dkfi_app.state.engine, "DNK", "opportunities")}
    assert stored[gone] == "dismissed"
    shot(pg, "opportunities-dismissed")
    assert_clean(pg)


def test_matching_never_leaks_the_hidden_item_to_finland(as_user, dkfi_app):
    dk = as_user(*PLANNER)
    dk.goto("/acquisition/opportunities")
    dk.get_by_role("button", name="Match now").click()
    expect(dk.locator("#opps-message")).to_contain_text("Matched", timeout=30000)
    fi = as_user(*FIN_PLANNER)
    for path in ("/acquisition/opportunities", "/api/acquisition/opportunities", "/api/acquisition/match"):
        body = fi.request.get(path).text() if path.startswith("/api") else (fi.goto(path), fi.content())[1]
        assert HIDDEN not in body and HIDDEN_ID not in body, path


# ---- cases ---------------------------------------------------------------------------------------------------

def _card(pg, key: str):
    return pg.locator(f'.case-card[data-key="{key}"]')


def test_case_from_opportunity_to_contract_with_both_approvals(as_user, dkfi_app):
    dk = as_user(*PLANNER)
    dk.goto("/acquisition/opportunities")
    card = dk.locator(f'#opps .opp:not([data-dnk="DNK/{HIDDEN_ID}"])').first
    opp = card.get_attribute("data-key")
    card.get_by_role("button", name="Open case").click()
    expect(dk.locator("#opps-message")).to_contain_text("opened")
    expect(dk.locator(f'#opps .opp[data-key="{opp}"] .case-link')).to_have_text("case: opportunity")
    dk.locator("#opps-message a").click()
    dk.wait_for_url(re.compile(r"/acquisition/cases"))
    case = dk.locator("#stage-opportunity .case-card").first
    key = case.get_attribute("data-key")
    case = _card(dk, key)
    expect(case).to_have_attribute("data-stage", "opportunity")
    expect(case.locator(".case-items li")).to_have_count(2)
    expect(case.locator(".case-head .lbl")).to_contain_text("RESTRICTED")
    expect(case.locator(".approval-DNK")).to_have_class(re.compile("awaiting"))

    # assess
    case.locator('form[data-action="assess"] textarea').fill("Same NATO ammunition; one contract halves the work.")
    case.get_by_role("button", name="Assess").click()
    expect(case).to_have_attribute("data-stage", "assessment")
    expect(case.locator(".assessment")).to_contain_text("Same NATO ammunition")
    # approve as DNK
    case.get_by_role("button", name="Approve as DNK").click()
    expect(case.locator(".approval-DNK")).to_have_class(re.compile("approved"))
    expect(case.locator(".approval-DNK")).to_contain_text(PLANNER[0])
    expect(case.locator(".approval-FIN")).to_have_class(re.compile("awaiting"))
    # moving on without Finland's approval is refused, and the message names FIN
    case.locator('select[name="lead_nation"]').select_option("DNK")
    case.locator('select[name="vehicle"]').select_option("identical_national_contracts")
    case.get_by_role("button", name="Open the case").click()
    msg = case.locator(".case-actions .message")
    expect(msg).to_contain_text("missing: FIN")
    expect(msg).to_have_class(re.compile("refused"))
    expect(case).to_have_attribute("data-stage", "assessment")
    shot(dk, "case-refused")
    assert_clean(dk, refusals=(409,))

    # Finland approves as Finland; it does not own the case, so it cannot move it on
    fi = as_user(*FIN_PLANNER)
    fi.goto("/acquisition/cases")
    fcase = _card(fi, key)
    expect(fcase.locator(".owner-note")).to_contain_text("DNK owns this case")
    expect(fcase.get_by_role("button", name="Open the case")).to_have_count(0)
    fcase.get_by_role("button", name="Approve as FIN").click()
    expect(fcase.locator(".approval-FIN")).to_have_class(re.compile("approved"))
    expect(fcase.locator(".approval-FIN")).to_contain_text(FIN_PLANNER[0])
    assert_clean(fi)

    # back as Denmark: open the case (lead DNK, identical national contracts), then contract
    dk.goto("/acquisition/cases")
    case = _card(dk, key)
    expect(case.locator(".approval-FIN")).to_have_class(re.compile("approved"))
    # the EU states field shows only for an EU instrument
    expect(case.locator(".eu-states")).to_be_hidden()
    case.locator('select[name="vehicle"]').select_option("eu_instrument")
    expect(case.locator(".eu-states")).to_be_visible()
    case.locator('select[name="lead_nation"]').select_option("DNK")
    case.locator('select[name="vehicle"]').select_option("identical_national_contracts")
    case.get_by_role("button", name="Open the case").click()
    expect(case).to_have_attribute("data-stage", "case")
    expect(case.locator(".lead")).to_contain_text("DNK")
    expect(case.locator(".vehicle")).to_have_text("identical national contracts")
    case.get_by_role("button", name="Contract").click()
    expect(case).to_have_attribute("data-stage", "contracted")
    expect(dk.locator("#stage-contracted .case-card")).to_have_count(1)
    expect(dk.locator('.pipe-contracted .v')).to_have_text("1")
    actions = case.locator(".history li").evaluate_all("ls => ls.map(l => l.dataset.action)")
    assert actions == ["open", "assess", "approve", "open_case", "contract"], actions
    shot(dk, "cases")
    assert_clean(dk, refusals=(409,))   # the page's watch holds the whole session, the refusal above included


# ---- savings -------------------------------------------------------------------------------------------------

def test_savings_with_the_sensitivity_chart(as_user):
    from dkfi.acquisition.savings import savings

    pg = as_user(*PLANNER)
    pg.goto("/acquisition/savings")
    pg.locator("#q-DNK").fill("32")
    pg.locator("#q-FIN").fill("32")
    pg.locator("#s-first").fill("100")
    pg.locator("#s-rate").fill("0.85")
    pg.locator("#s-nrc").fill("0")
    pg.get_by_role("button", name="Compute").click()
    want = savings({"DNK": 32, "FIN": 32}, 100, 0.85)
    expect(pg.locator("#savings-result")).to_be_visible()
    expect(pg.locator("#saving")).to_have_text(f"{want['saving']:,.0f}")
    assert want["saving"] > 0
    expect(pg.locator("#joint-total")).to_have_text(f"{want['joint']:,.0f}")
    expect(pg.locator('#savings-nations tbody tr[data-nation="DNK"] [data-field="pays"]')).to_have_text(
        f"{want['split']['DNK']:,.0f}")
    expect(pg.locator("#curve-chart svg polyline")).to_have_count(1)
    # the sensitivity chart: 31 learning rates 0.70 .. 1.00, the saving falling to 0 at 1.00
    chart = pg.locator("#sensitivity-chart")
    expect(chart).to_have_attribute("data-drawn", "31", timeout=20000)
    expect(chart.locator("svg polyline")).to_have_count(1)
    expect(chart.locator(".dot.chosen")).to_have_count(1)
    rows = pg.evaluate("() => window.dkfiAcqSavings.sensitivity")
    assert [r["rate"] for r in rows][0] == 0.7 and rows[-1]["rate"] == 1.0
    assert rows[0]["saving"] > want["saving"] > rows[-1]["saving"] and abs(rows[-1]["saving"]) < 1e-6
    shot(pg, "savings")

    # a learning rate above 1 is refused, worded by the server
    pg.locator("#s-rate").fill("1.2")
    pg.get_by_role("button", name="Compute").click()
    msg = pg.locator("#savings-message")
    expect(msg).to_contain_text("learning_rate")
    expect(msg).to_contain_text("1.2")
    expect(msg).to_have_class(re.compile("refused"))
    expect(pg.locator("#savings-result")).to_be_hidden()
    shot(pg, "savings-error")
    assert_clean(pg, refusals=(422,))
