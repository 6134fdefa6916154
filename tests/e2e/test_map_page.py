"""The map page in headless Chromium against a real server holding the DMA 5-minute sample.

Checks that the page works air-gapped (no request leaves 127.0.0.1), draws the vessels, opens a vessel's
details and track on click, and moves vessels on live updates from the server-sent events stream.
"""
from __future__ import annotations

from pathlib import Path

import re
import time

import httpx
import pytest

from tests.e2e.conftest import E2E_PASSWORD, E2E_USER

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
SCREENSHOT = str(SCREENSHOTS / "dkfi-map.png")                    # zoomed in, a vessel selected
SCREENSHOT_OVERVIEW = str(SCREENSHOTS / "dkfi-map-overview.png")  # the start view


def open_map(page, timeout_ms: int = 90_000):
    page.goto("/map")
    page.wait_for_function("() => window.dkfi && window.dkfi.ready === true", timeout=timeout_ms)


def assert_clean(page):
    w = page.watch
    assert not w.errors, f"page errors: {w.errors}"
    assert not w.foreign(), f"requests outside {w.base_url}: {w.foreign()}"
    assert page.evaluate("window.dkfi.lastError") is None


# The pixel position (page coordinates) of a rendered vessel with no other vessel within 14 px,
# away from the legend (left) and the side panel (right).
PICK_VESSEL = """() => {
  const map = window.dkfi.map;
  const rect = map.getContainer().getBoundingClientRect();
  const feats = map.queryRenderedFeatures({layers: ['vessels']});
  const pts = feats.map(f => ({f, p: map.project(f.geometry.coordinates)}));
  for (const {f, p} of pts) {
    if (p.x < 280 || p.x > rect.width - 360 || p.y < 40 || p.y > rect.height - 40) continue;
    if (pts.some(o => o.f.id !== f.id && Math.hypot(o.p.x - p.x, o.p.y - p.y) < 14)) continue;
    return {mmsi: f.properties.mmsi, x: rect.left + p.x, y: rect.top + p.y};
  }
  return null;
}"""


def test_map_renders_vessels_and_opens_details(page, server):
    open_map(page)
    header = page.locator("header.topbar").inner_text()
    assert "dkfi — Danish–Finnish defence cooperation" in header
    assert "DNK" in header
    assert page.locator(".classification").inner_text().strip() == "UNCLASSIFIED"

    count = page.evaluate("window.dkfi.vesselCount()")
    assert count > 100, count
    rendered = page.evaluate("window.dkfi.map.queryRenderedFeatures({layers: ['vessels']}).length")
    assert rendered > 100, rendered
    assert page.evaluate("window.dkfi.map.queryRenderedFeatures({layers: ['land']}).length") > 0
    assert page.evaluate("window.dkfi.map.queryRenderedFeatures({layers: "
                         "['assets-cable', 'assets-pipeline', 'assets-power']}).length") > 0
    assert page.locator("#status-count").inner_text().replace(",", "") == str(count)
    page.screenshot(path=SCREENSHOT_OVERVIEW)

    # zoom in on the Danish straits so the ships are apart, then click an isolated one
    page.evaluate("window.dkfi.map.jumpTo({center: [11.0, 55.6], zoom: 8})")
    page.wait_for_function("() => window.dkfi.map.loaded() && !window.dkfi.map.isMoving()")
    page.wait_for_timeout(300)
    target = page.evaluate(PICK_VESSEL)
    assert target, "no isolated vessel on screen to click"
    page.mouse.click(target["x"], target["y"])

    panel = page.locator("#panel")
    panel.wait_for(state="visible", timeout=45_000)
    assert panel.get_attribute("data-mmsi") == str(target["mmsi"])
    page.wait_for_function("() => document.getElementById('panel-track').textContent.startsWith('Track:')",
                           timeout=45_000)
    body = page.locator("#panel-body").inner_text()
    assert str(target["mmsi"]) in body
    assert "Station" in body and "Position" in body
    assert "UNCLASSIFIED" in page.locator("#panel-label").inner_text()
    track = page.evaluate("async () => (await window.dkfi.map.getSource('track').getData()).features")
    assert track and all(f["geometry"]["type"] in ("LineString", "Point") for f in track)
    assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b", body), body   # whole seconds, UTC
    page.wait_for_timeout(500)
    page.screenshot(path=SCREENSHOT)

    page.locator("#panel-close").click()
    panel.wait_for(state="hidden")
    page.locator("#toggle-base").uncheck()
    assert page.evaluate("window.dkfi.map.getLayoutProperty('stations-base', 'visibility')") == "none"
    assert_clean(page)


OPEN = {"classification": "UNCLASSIFIED", "releasable_to": ["DNK", "FIN"], "policy": "NATO", "owner_nation": "DNK"}


def test_live_updates_move_vessels(page, server):
    from dkfi.core.bus import get_bus
    from dkfi.maritime.service import POSITIONS_SUBJECT

    open_map(page)
    deadline = time.monotonic() + 15
    while get_bus().subscribers(POSITIONS_SUBJECT) < 1:   # the page's EventSource is connected
        assert time.monotonic() < deadline, "the page did not open the live stream"
        time.sleep(0.1)
    page.wait_for_function("() => document.getElementById('status-conn').textContent === 'live'",
                           timeout=45_000)
    before = page.evaluate("window.dkfi.vesselCount()")
    known = page.evaluate("window.dkfi.map.querySourceFeatures('vessels')"
                          ".find(f => f.properties._kind === 'vessel').properties.mmsi")
    updates = [
        {"mmsi": known, "lat": 55.123, "lon": 11.456, "sog": 10.0, "cog": 45.0, "heading": 44, "nav_status": 0,
         "time": "2099-01-01T00:00:00Z", "ship_type": None, "name": None, "station": "A", "label": OPEN},
        {"mmsi": 219999999, "lat": 55.5, "lon": 12.0, "sog": 0.0, "cog": None, "heading": None, "nav_status": 5,
         "time": "2099-01-01T00:00:00Z", "ship_type": 70, "name": "E2E NEWCOMER", "station": "A", "label": OPEN},
        # not releasable to the page's user (DNK): the stream never sends it
        {"mmsi": 219999998, "lat": 55.6, "lon": 12.1, "sog": 0.0, "cog": None, "heading": None, "nav_status": 5,
         "time": "2099-01-01T00:00:00Z", "ship_type": 70, "name": "E2E HIDDEN", "station": "A",
         "label": {"classification": "RESTRICTED", "releasable_to": ["FIN"], "policy": "NATO", "owner_nation": "FIN"}},
    ]
    for u in updates:
        get_bus().publish(POSITIONS_SUBJECT, u)
    page.wait_for_function("(n) => window.dkfi.vesselCount() === n + 1", arg=before, timeout=45_000)
    moved = page.evaluate("(m) => window.dkfi.vessel(m)", known)
    assert moved["geometry"]["coordinates"] == [11.456, 55.123]
    assert moved["properties"]["_icon"].endswith("-arrow") and moved["properties"]["_rot"] == 45.0
    assert page.evaluate("window.dkfi.vessel(219999998)") is None
    new = page.evaluate("window.dkfi.vessel(219999999)")
    assert new["properties"]["_icon"] == "v-cargo-dot"
    # the map's source got it too (throttled setData, at most ~2 a second)
    page.wait_for_function("() => window.dkfi.map.querySourceFeatures('vessels')"
                           ".some(f => f.properties.mmsi === 219999999)", timeout=30_000)
    assert_clean(page)


def test_geo_layers_are_served_with_cache_headers(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get("/alerts" if "alerts" in __name__ else "/map").status_code == 303   # to the login page
        r = c.post("/login", data={"username": E2E_USER, "password": E2E_PASSWORD})
        assert r.status_code == 303 and "dkfi_session" in c.cookies
        for layer, kinds in (("land", None), ("assets", {"cable", "pipeline", "power"})):
            r = c.get(f"/api/geo/{layer}")
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("application/geo+json")
            assert "max-age=" in r.headers["cache-control"]
            fc = r.json()
            assert fc["type"] == "FeatureCollection" and fc["features"]
            if kinds:
                assert {f["properties"]["kind"] for f in fc["features"]} == kinds
                assert all(f["properties"]["name"] for f in fc["features"])
            again = c.get(f"/api/geo/{layer}", headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == 304
        r = c.get("/api/geo/seamarks")
        assert r.status_code == 404
        assert "seamarks" in r.json()["detail"] and "land" in r.json()["detail"]
        page = c.get("/map")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "http://" not in page.text.replace(server.url, "") and "https://" not in page.text
