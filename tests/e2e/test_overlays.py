"""Imported NVG overlays on the map page (headless Chromium, a real server): an overlay imported through the API
is listed under "Overlays", drawn when its box is checked (MapLibre source and layers), shows its symbol code on
click, and hides again; the "NVG" button downloads the view as NVG 2.0.2."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.e2e.conftest import E2E_PASSWORD, E2E_USER

pytestmark = pytest.mark.e2e

NVG = """<?xml version="1.0" encoding="UTF-8"?>
<nvg xmlns="https://tide.act.nato.int/schemas/2012/10/nvg" version="2.0.2">
  <g label="FIN patrol plan">
    <point x="15.5" y="57.5" label="Patrol boat &amp; crew" symbol="2525c:SFSPCP---------"/>
    <polyline points="14.5,57 15.5,57.4 16.5,57.8" label="Patrol route"/>
    <polygon points="15,57.2 16,57.2 16,57.8 15,57.8" label="Patrol box"/>
    <arc cx="15" cy="57" rx="100" ry="100" startangle="0" endangle="90"/>
  </g>
</nvg>
"""


def open_map(page) -> None:
    """The map page, wherever the navigation puts it; ready once its vessels are loaded."""
    from dkfi.core import registry

    page.goto(next(n.href for n in registry.nav() if n.page == "map"))
    page.wait_for_function("() => window.dkfi && window.dkfi.ready === true", timeout=90_000)


def assert_clean(page) -> None:
    w = page.watch
    assert not w.errors, f"page errors: {w.errors}"
    assert not w.foreign(), f"requests outside {w.base_url}: {w.foreign()}"
    assert page.evaluate("window.dkfi.lastError") is None


def _import(server) -> dict:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/api/auth/token", data={"username": E2E_USER, "password": E2E_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        r = c.post("/api/overlays", files={"file": ("patrol.nvg", NVG.encode(), "application/xml")},
                   data={"label": "RESTRICTED REL TO DNK,FIN"})
        assert r.status_code == 201, r.text
        return r.json()


def test_overlay_is_listed_drawn_and_hidden(page, server):
    ov = _import(server)
    assert ov["features"] == 3 and ov["report"]["skipped_by_reason"] == {"unsupported element arc": 1}
    oid = ov["id"]
    open_map(page)
    page.wait_for_function("() => window.dkfi.overlays && window.dkfi.overlays.ready", timeout=30_000)
    box = page.locator(f'#overlay-list input[data-overlay="{oid}"]')
    assert "patrol (3)" in page.locator("#overlays").inner_text()
    assert page.evaluate(f"window.dkfi.map.getSource('overlay-{oid}')") is None      # drawn only when asked

    box.check()
    page.wait_for_function(f"() => !!window.dkfi.map.getLayer('overlay-{oid}-point')", timeout=30_000)
    page.wait_for_function("() => window.dkfi.map.loaded() && !window.dkfi.map.isMoving()", timeout=30_000)
    page.wait_for_function(
        f"() => window.dkfi.map.queryRenderedFeatures({{layers: ['overlay-{oid}-point']}}).length === 1",
        timeout=30_000)
    kinds = page.evaluate(
        f"""() => window.dkfi.map.querySourceFeatures('overlay-{oid}').map(f => f.geometry.type).sort()""")
    assert {"Point", "LineString", "Polygon"} <= set(kinds), kinds
    rendered = page.evaluate(f"""() => ({{
        fill: window.dkfi.map.queryRenderedFeatures({{layers: ['overlay-{oid}-fill']}}).length,
        line: window.dkfi.map.queryRenderedFeatures({{layers: ['overlay-{oid}-line']}}).length}})""")
    assert rendered["fill"] >= 1 and rendered["line"] >= 2, rendered

    # a click on the point shows its name and symbol code
    xy = page.evaluate("""() => { const m = window.dkfi.map, r = m.getContainer().getBoundingClientRect();
                                  const p = m.project([15.5, 57.5]); return {x: r.left + p.x, y: r.top + p.y}; }""")
    page.mouse.click(xy["x"], xy["y"])
    popup = page.locator(".overlay-popup")
    popup.wait_for(state="visible", timeout=15_000)
    assert "Patrol boat & crew" in popup.inner_text()
    assert page.locator('.overlay-popup [data-field="symbol"]').inner_text() == "2525c:SFSPCP---------"
    assert page.locator('.overlay-popup [data-field="label"]').inner_text() == "NATO RESTRICTED REL TO DNK, FIN"

    box.uncheck()
    assert page.evaluate(f"window.dkfi.map.getLayoutProperty('overlay-{oid}-point', 'visibility')") == "none"
    assert page.evaluate("window.dkfi.overlays.error") is None
    assert_clean(page)


def test_nvg_button_downloads_the_view(page, server):
    open_map(page)
    page.wait_for_function("() => window.dkfi.overlays && window.dkfi.overlays.ready", timeout=30_000)
    with page.expect_download(timeout=60_000) as info:
        page.locator("#export-nvg").click()
    download = info.value
    assert download.suggested_filename.startswith("dkfi-overlay-") and download.suggested_filename.endswith(".nvg")
    root = ET.parse(download.path()).getroot()
    ns = "{https://tide.act.nato.int/schemas/2012/10/nvg}"
    assert root.tag == f"{ns}nvg" and root.get("version") == "2.0.2"
    groups = {g.get("label"): g for g in root.findall(f"{ns}g")}
    assert set(groups) == {"vessels", "alerts", "assets"}
    assert len(groups["vessels"].findall(f"{ns}point")) > 50      # the DMA sample's vessels in the start view
    assert_clean(page)
