"""The alerts page (and the alert layer of the map page) in headless Chromium against a real server.

The database holds three alerts of the watch with evidence tracks in the Gulf of Finland, one of them an
anchor drag across the Finland Estonia Connection cable. The page must list them with their labels, explain
the score, draw the evidence, run the lifecycle (acknowledge -> assign -> close) recording who did it, show
the server's refusals, filter, and take new alerts live from the stream; no request may leave 127.0.0.1.
"""
from __future__ import annotations

from pathlib import Path

import time
from types import SimpleNamespace

import httpx
import pytest

from tests.e2e.conftest import E2E_PASSWORD, E2E_USER, dispose, make_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
SCREENSHOT = str(SCREENSHOTS / "dkfi-alerts.png")
SCREENSHOT_MAP = str(SCREENSHOTS / "dkfi-alerts-map.png")
T0 = 1_735_120_000.0   # 2024-12-25T09:46:40Z
FEC = "Finland Estonia Connection (FEC)"
EESF2 = "Finland-Estonia 2 (EESF-2)"
ESTLINK2 = "Estlink 2"
ACTOR = E2E_USER  # actions record the logged-in user
TIMEOUT = 45_000


def _track(start, end, lat0, lon0, lat1, lon1, sog, n=12):
    from dkfi.watch.detectors.base import TrackPoint

    pts = []
    for i in range(n):
        f = i / (n - 1)
        pts.append(TrackPoint(start + f * (end - start), lat0 + f * (lat1 - lat0), lon0 + f * (lon1 - lon0),
                              sog, 90.0, 90))
    return pts


def _event(kind, mmsi, start, end, asset, track, rule, **measured):
    from dkfi.watch.detectors.base import Event

    return Event(kind=kind, mmsi=mmsi, start=start, end=end, rule=rule, measured=measured, evidence=track,
                 asset=asset)


def _save(engine, events, names, nation="DNK"):
    """Events -> alerts (AlertBuilder) -> the database (watch.save_alerts); returns their summaries."""
    from dkfi.core.db import session_scope
    from dkfi.watch import service as watch
    from dkfi.watch.alerts import AlertBuilder

    b = AlertBuilder(static={m: SimpleNamespace(name=n) for m, n in names.items()})   # names from static data
    b.add_all(events)
    with session_scope(engine) as s:
        recs = watch.save_alerts(s, b.final(), nation)
        return [watch.summary_dict(r) for r in recs]


def drag_events():
    """An anchor drag eastwards across FEC and EESF-2 near Helsinki, corroborated by an AIS gap."""
    return [
        _event("anchor_drag", 518998865, T0, T0 + 3600, FEC,
               _track(T0, T0 + 3600, 60.00, 24.85, 60.02, 25.28, 6.2),
               "nav status 'at anchor' while moving > 3 kn for >= 10 min across an asset corridor",
               speed_kn=6.2, distance_m=24_100.0, assets_crossed=[FEC, EESF2]),
        _event("ais_gap", 518998865, T0 + 3900, T0 + 6000, FEC,
               _track(T0 + 3900, T0 + 6000, 60.02, 25.30, 60.03, 25.45, 5.0, n=4),
               "no position for >= 30 min within 5 km of an asset", gap_min=35.0),
    ]


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """create_app on a fresh database with three alerts of the watch (no AIS picture needed)."""
    app, url = make_app(tmp_path_factory.mktemp("e2e-alerts"))
    eng = app.state.engine
    names = {518998865: "EAGLE S", 230123456: "NORDIC LOITERER", 276555000: "BALTIC GHOST"}
    app.state.test_alerts = {
        "drag": _save(eng, drag_events(), names)[0],
        "loiter": _save(eng, [_event("loitering", 230123456, T0 + 86_400, T0 + 90_000, ESTLINK2,
                                     _track(T0 + 86_400, T0 + 90_000, 59.90, 26.00, 59.93, 26.12, 1.0),
                                     "speed < 3 kn for >= 60 min within 2 km of an asset", duration_min=60.0)],
                           names)[0],
        "gap": _save(eng, [_event("ais_gap", 276555000, T0 - 86_400, T0 - 80_000, None,
                                  _track(T0 - 86_400, T0 - 80_000, 59.70, 23.80, 59.75, 24.10, 9.0, n=6),
                                  "no position for >= 30 min", gap_min=106.0)], names)[0],
    }
    yield app
    dispose(url)


def open_alerts(page, path="/alerts"):
    page.goto(path)
    page.wait_for_function("() => window.dkfiAlerts && window.dkfiAlerts.ready === true", timeout=TIMEOUT)


def assert_clean(page, ns="dkfiAlerts"):
    w = page.watch
    assert not w.errors, f"page errors: {w.errors}"
    assert not w.foreign(), f"requests outside {w.base_url}: {w.foreign()}"
    # the refused actions answer 409, which Chromium logs as a failed resource load: that is expected
    unexpected = [m for m in w.console_errors if "status of 409" not in m]
    assert not unexpected, f"console errors: {unexpected}"
    assert page.evaluate(f"window.{ns}.lastError") is None


def row_ids(page):
    return [int(x) for x in page.eval_on_selector_all("#alerts-body tr", "rs => rs.map(r => r.dataset.id)")]


def wait_status(page, status):
    page.wait_for_function("(s) => document.getElementById('detail').dataset.status === s", arg=status,
                           timeout=TIMEOUT)


def publish_until(page, summary, js_condition):
    """Publish on the bus until the page shows it (the page's stream may still be subscribing)."""
    from dkfi.core.bus import get_bus
    from dkfi.watch.service import ALERTS_SUBJECT

    deadline = time.monotonic() + 45
    while True:
        get_bus().publish(ALERTS_SUBJECT, summary)
        try:
            page.wait_for_function(js_condition, arg=summary["id"], timeout=1500)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise


def test_alerts_page_lifecycle_filters_and_live(page, server, dkfi_app):
    from dkfi.core.db import session_scope
    from dkfi.watch import service as watch

    alerts = dkfi_app.state.test_alerts
    drag, loiter, gap = alerts["drag"], alerts["loiter"], alerts["gap"]
    open_alerts(page)

    # header, navigation and the banner: alerts are RESTRICTED, so the page is too
    header = page.locator("header.topbar").inner_text()
    assert "dkfi — Danish–Finnish defence cooperation" in header and "DNK" in header
    assert page.locator(".classification").inner_text().strip() == "RESTRICTED"
    assert page.locator("nav a[aria-current=page]").inner_text().startswith("Alerts")
    assert page.locator("nav a[href='/map']").inner_text() == "Map"

    # the list: newest first, each row with its label
    assert row_ids(page) == [loiter["id"], drag["id"], gap["id"]]
    rows = page.locator("#alerts-body tr")
    for i in range(3):
        lbl = rows.nth(i).locator("td.lbl")
        assert lbl.inner_text().split() == ["RESTRICTED", "REL", "TO", "DNK,", "FIN"]
        assert lbl.get_attribute("title") == "RESTRICTED · REL TO DNK, FIN"
    drag_row = page.locator(f"#alerts-body tr[data-id='{drag['id']}']")
    text = drag_row.inner_text()
    for s in ("critical", "EAGLE S\n518998865", "anchor drag, ais gap", FEC, "2024-12-25T09:46:40Z", "new"):
        assert s in text, (s, text)
    assert drag_row.locator(".sev").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(176, 0, 32)"

    # the detail: factors, evidence and the mini map with the tracks
    drag_row.click()
    page.wait_for_function("(id) => window.location.hash === '#' + id", arg=drag["id"], timeout=TIMEOUT)
    wait_status(page, "new")
    factors = page.locator("#d-factors").inner_text()
    assert "anchor drag detected" in factors and "+50" in factors
    assert "corroborated by ais gap" in factors and f"critical infrastructure involved: {FEC}, {EESF2}" in factors
    assert page.locator("#d-score").inner_text() == str(int(drag["score"]))
    evidence = page.locator("#d-evidence").inner_text()
    assert "speed kn" in evidence and "6.2" in evidence and "assets crossed" in evidence and EESF2 in evidence
    assert "at anchor" in evidence and "gap min" in evidence
    assert page.locator("#d-label").inner_text().startswith("RESTRICTED · REL TO DNK, FIN")
    page.wait_for_function("(id) => window.dkfiAlerts.mapReady && window.dkfiAlerts.drawn === id "
                           "&& window.dkfiAlerts.map.loaded() && !window.dkfiAlerts.map.isMoving()",
                           arg=drag["id"], timeout=TIMEOUT)
    feats = page.evaluate("async () => (await window.dkfiAlerts.map.getSource('evidence').getData()).features")
    lines = [f for f in feats if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 2 and len([f for f in feats if f["geometry"]["type"] == "Point"]) == 16
    assert lines[0]["geometry"]["coordinates"][0] == [24.85, 60.0]
    page.wait_for_function("() => window.dkfiAlerts.map.queryRenderedFeatures({layers: ['evidence-line']}).length > 0"
                           " && window.dkfiAlerts.map.queryRenderedFeatures({layers: ['asset-highlight']}).length > 0",
                           timeout=TIMEOUT)
    hl = page.evaluate("window.dkfiAlerts.map.queryRenderedFeatures({layers: ['asset-highlight']})"
                       ".map(f => f.properties.name)")
    assert set(hl) <= {FEC, EESF2} and FEC in hl
    bounds = page.evaluate("window.dkfiAlerts.map.getBounds().toArray()")
    assert bounds[0][0] <= 24.85 and bounds[1][0] >= 25.45 and bounds[0][1] <= 60.0 and bounds[1][1] >= 60.03
    assert bounds[1][0] - bounds[0][0] < 3, bounds   # fitted to the track, not the whole region

    # the lifecycle: acknowledge -> assign to a Finnish unit -> (refused close) -> close as confirmed
    assert page.locator("#actor").inner_text() == ACTOR
    assert page.locator("#a-reopen").is_disabled()
    page.get_by_role("button", name="Acknowledge").click()
    wait_status(page, "acknowledged")
    assert "acknowledged" in drag_row.inner_text()
    page.locator("#assign-unit").fill("Finnish Border Guard")
    page.locator("#assign-nation").select_option("FIN")
    page.get_by_role("button", name="Assign").click()
    wait_status(page, "assigned")
    assert "Finnish Border Guard (FIN)" in drag_row.inner_text() and "assigned" in drag_row.inner_text()
    page.get_by_role("button", name="Close alert").click()   # no outcome chosen: the server says no
    page.wait_for_function("() => document.getElementById('d-message').classList.contains('refused')",
                           timeout=TIMEOUT)
    msg = page.locator("#d-message").inner_text()
    assert msg.startswith("Refused:") and "close needs an outcome" in msg, msg
    assert page.locator("#d-message").get_attribute("role") == "alert"
    wait_status(page, "assigned")
    page.locator("#close-outcome").select_option("confirmed")
    page.locator("#close-notes").fill("anchor found dragged; boarded")
    page.get_by_role("button", name="Close alert").click()
    wait_status(page, "closed")
    assert "closed" in drag_row.inner_text()
    assert page.locator("#a-acknowledge").is_disabled() and page.locator("#a-reopen").is_enabled()
    history = page.locator("#d-changes tbody tr")
    assert history.count() == 4
    assert [history.nth(i).locator("td").nth(2).inner_text() for i in range(4)] == \
        ["detected", "acknowledge", "assign", "close"]
    assert history.nth(2).locator("td").nth(1).inner_text() == ACTOR
    assert "assigned → closed" in history.nth(3).inner_text() and "confirmed" in history.nth(3).inner_text()
    assert "confirmed" in page.locator("#d-facts").inner_text()

    with session_scope(dkfi_app.state.engine) as s:
        log = [(c.actor, c.action, c.from_status, c.to_status) for c in watch.changes(s, drag["id"])]
        assert log == [("system", "detected", None, "new"),
                       (ACTOR, "acknowledge", "new", "acknowledged"),
                       (ACTOR, "assign", "acknowledged", "assigned"),
                       (ACTOR, "close", "assigned", "closed")]
        [rec] = [r for r in watch.list_alerts(s) if r.id == drag["id"]]
        assert (rec.status, rec.outcome, rec.assigned_to, rec.assigned_nation) == \
            ("closed", "confirmed", "Finnish Border Guard", "FIN")

    # /alerts#<id> opens the alert; the actor's name is remembered
    open_alerts(page, f"/alerts#{loiter['id']}")
    page.wait_for_function("(id) => document.getElementById('detail').dataset.id === String(id)",
                           arg=loiter["id"], timeout=TIMEOUT)
    assert page.locator("#actor").inner_text() == ACTOR
    page.locator("#a-reopen").evaluate("b => { b.disabled = false; }")   # what a stale page could send
    page.locator("#a-reopen").click()
    page.wait_for_function("() => document.getElementById('d-message').classList.contains('refused')",
                           timeout=TIMEOUT)
    assert "is new: cannot reopen" in page.locator("#d-message").inner_text()

    # who is logged in is always shown; the share dialog sets releasability (owner nation only, audited)
    assert page.locator("#who").inner_text().split() [:3] == [ACTOR, "DNK", "SECRET"]
    assert page.locator("#d-label").inner_text().startswith("RESTRICTED · REL TO DNK, FIN")
    page.get_by_role("button", name="Label and sharing…").click()
    assert page.locator("#share").is_visible()
    assert page.locator("#share-owner").inner_text() == "DNK"
    page.locator('#share-nations input[value="FIN"]').uncheck()
    page.locator('#share-classification').select_option("CONFIDENTIAL")
    page.get_by_role("button", name="Save label").click()
    page.wait_for_function("() => document.getElementById('d-label').textContent.startsWith('CONFIDENTIAL · REL TO DNK')"
                           " && !document.getElementById('share').open", timeout=TIMEOUT)
    assert "raised RESTRICTED -> CONFIDENTIAL" in page.locator("#d-message").inner_text()
    assert "no longer releasable to FIN" in page.locator("#d-message").inner_text()
    assert page.locator("#banner").inner_text() == "CONFIDENTIAL"       # the page now shows a CONFIDENTIAL record
    # lowering needs the explicit confirmation; the server refuses and the dialog says why
    page.get_by_role("button", name="Label and sharing…").click()
    page.locator('#share-classification').select_option("RESTRICTED")
    page.get_by_role("button", name="Save label").click()
    page.wait_for_function("() => document.getElementById('share-message').textContent.startsWith('Refused')",
                           timeout=TIMEOUT)
    assert "downgrade" in page.locator("#share-message").inner_text()
    page.locator("#share-downgrade").check()                          # confirmed: back as it was
    page.locator('#share-nations input[value="FIN"]').check()
    page.get_by_role("button", name="Save label").click()
    page.wait_for_function("() => document.getElementById('d-label').textContent.startsWith('RESTRICTED · REL TO DNK, FIN')",
                           timeout=TIMEOUT)
    from sqlalchemy import select as _select

    from dkfi.core.models import AuditEntry
    with session_scope(dkfi_app.state.engine) as s:
        labels = [(e.actor, e.decision) for e in s.scalars(_select(AuditEntry).where(AuditEntry.action == "label"))]
        assert labels == [(ACTOR, "allow"), (ACTOR, "deny"), (ACTOR, "allow")]

    # filters
    page.locator("#f-status").select_option("closed")
    page.wait_for_function("(id) => [...document.querySelectorAll('#alerts-body tr')].map(r => +r.dataset.id)"
                           ".join() === String(id)", arg=drag["id"], timeout=TIMEOUT)
    page.locator("#f-status").select_option("new")
    page.wait_for_function("() => document.querySelectorAll('#alerts-body tr').length === 2", timeout=TIMEOUT)
    assert row_ids(page) == [loiter["id"], gap["id"]]
    page.locator("#f-status").select_option("")
    page.locator("#f-mmsi").fill("276555000")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function("() => document.querySelectorAll('#alerts-body tr').length === 1", timeout=TIMEOUT)
    assert row_ids(page) == [gap["id"]]
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("() => document.querySelectorAll('#alerts-body tr').length === 3", timeout=TIMEOUT)

    # a new alert from the live stream goes on top, highlighted, without a reload
    page.evaluate("window.__marker = 1")
    new = _save(dkfi_app.state.engine,
                [_event("loitering", 273111222, T0 - 200_000, T0 - 196_000, ESTLINK2,
                        _track(T0 - 200_000, T0 - 196_000, 59.85, 26.20, 59.86, 26.25, 0.8),
                        "speed < 3 kn for >= 60 min within 2 km of an asset", duration_min=66.0)],
                {273111222: "LIVE ARRIVAL"})[0]
    publish_until(page, new, "(id) => document.querySelector('#alerts-body tr')?.dataset.id === String(id)")
    assert page.evaluate("window.__marker") == 1   # no reload
    top = page.locator("#alerts-body tr").first
    assert "LIVE ARRIVAL\n273111222" in top.inner_text() and "fresh" in top.get_attribute("class")
    assert row_ids(page)[1:] == [loiter["id"], drag["id"], gap["id"]]
    assert page.locator("#status-conn").inner_text() == "live"

    top.locator("a").click()   # open the live one, and keep it for the screenshot
    page.wait_for_function("(id) => window.dkfiAlerts.drawn === id && window.dkfiAlerts.map.loaded()",
                           arg=new["id"], timeout=TIMEOUT)
    open_alerts(page, f"/alerts#{drag['id']}")
    page.wait_for_function("(id) => window.dkfiAlerts.drawn === id && window.dkfiAlerts.map.loaded() "
                           "&& !window.dkfiAlerts.map.isMoving()", arg=drag["id"], timeout=TIMEOUT)
    page.wait_for_timeout(500)
    page.screenshot(path=SCREENSHOT)
    assert_clean(page)


def test_map_page_shows_open_alerts(page, server, dkfi_app):
    from dkfi.core.db import session_scope
    from dkfi.watch import service as watch

    with session_scope(dkfi_app.state.engine) as s:
        open_ids = {r.id for r in watch.list_alerts(s) if r.status != "closed"}
        new_count = len(watch.list_alerts(s, status="new"))
    assert open_ids
    page.goto("/map")
    page.wait_for_function("() => window.dkfi && window.dkfi.ready === true", timeout=90_000)
    page.wait_for_function("(n) => window.dkfi.alertCount === n", arg=len(open_ids), timeout=TIMEOUT)
    assert page.locator(".classification").inner_text().strip() == "RESTRICTED"   # it shows restricted alerts
    assert page.locator("#alerts-badge").inner_text() == str(new_count)
    assert page.locator("nav a[aria-current=page]").inner_text() == "Map"
    feats = page.evaluate("async () => (await window.dkfi.map.getSource('alerts').getData()).features")
    assert {f["properties"]["id"] for f in feats} == open_ids

    # a toast for a new alert from the stream, linking to it
    new = _save(dkfi_app.state.engine,
                [_event("drift", 265000111, T0 + 300_000, T0 + 303_000, EESF2,
                        _track(T0 + 300_000, T0 + 303_000, 59.80, 25.00, 59.82, 25.05, 1.5),
                        "drifting without propulsion near an asset", drift_m=900.0)],
                {265000111: "TOAST TEST"})[0]
    publish_until(page, new, "(id) => !!document.querySelector(`#toasts a[href='/alerts#${id}']`)")
    toast = page.locator(f"#toasts a[href='/alerts#{new['id']}']")
    assert "TOAST TEST" in toast.inner_text() and "RESTRICTED" in toast.inner_text()
    page.wait_for_function("(n) => window.dkfi.alertCount === n", arg=len(open_ids) + 1, timeout=TIMEOUT)

    # clicking a marker opens the alert on the alerts page
    target = sorted(open_ids)[0]
    page.evaluate("async (id) => { const fc = await window.dkfi.map.getSource('alerts').getData();"
                  " const f = fc.features.find(f => f.properties.id === id);"
                  " window.dkfi.map.jumpTo({center: f.geometry.coordinates, zoom: 9}); }", target)
    page.wait_for_function("() => window.dkfi.map.loaded() && !window.dkfi.map.isMoving() && "
                           "window.dkfi.map.queryRenderedFeatures({layers: ['alerts']}).length > 0", timeout=TIMEOUT)
    page.screenshot(path=SCREENSHOT_MAP)
    errors_before = list(page.watch.errors)
    assert page.evaluate("window.dkfi.lastError") is None
    xy = page.evaluate("(id) => { const m = window.dkfi.map; const r = m.getContainer().getBoundingClientRect();"
                       " const f = m.queryRenderedFeatures({layers: ['alerts']}).find(f => f.properties.id === id);"
                       " const p = m.project(f.geometry.coordinates); return {x: r.left + p.x, y: r.top + p.y}; }",
                       target)
    page.mouse.click(xy["x"], xy["y"])
    page.wait_for_url(f"**/alerts#{target}", timeout=TIMEOUT)
    page.wait_for_function("(id) => window.dkfiAlerts && document.getElementById('detail').dataset.id === String(id)",
                           arg=target, timeout=TIMEOUT)
    assert not errors_before
    assert_clean(page)


def test_alert_pages_are_served_air_gapped(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get("/alerts" if "alerts" in __name__ else "/map").status_code == 303   # to the login page
        r = c.post("/login", data={"username": E2E_USER, "password": E2E_PASSWORD})
        assert r.status_code == 303 and "dkfi_session" in c.cookies
        r = c.get("/alerts")
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "http://" not in r.text and "https://" not in r.text
        assert ">RESTRICTED<" in r.text
        fc = c.get("/api/geo/alerts", params={"status": "new,acknowledged,assigned,closed"}).json()
        assert fc["type"] == "FeatureCollection" and len(fc["features"]) >= 3
        assert all(f["properties"]["classification"] == "RESTRICTED" for f in fc["features"])
        assert c.get("/api/geo/alerts", params={"status": "bogus"}).status_code == 422
        assert c.get("/api/geo/land").status_code == 200   # the packaged layers still answer
