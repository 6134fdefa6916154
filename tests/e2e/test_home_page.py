"""The home page in headless Chromium against a real server holding every domain's seed data and the alerts,
exercises, aircraft and cases of tests/core/test_home_api.py (some Danish-only, some SECRET).

Checked: a tile per domain with the figures the API gives, every chart drawn by Chart.js on a canvas with
something on it, every link going to a page that answers, the banner raised to the highest label behind the
figures, nothing the user may not see, empty states, the map now at /map, nothing from outside 127.0.0.1 and no
console errors. Photographed into var/screenshots/dkfi-home*.png.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import make_user
from tests.core.test_home_api import HIDDEN_NAMES, _seed
from tests.e2e.conftest import E2E_PASSWORD, E2E_USER, assert_clean, dispose, make_app

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by people; git ignores var/
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
TIMEOUT = 30_000

FIN = ("e2e-home-fin", "finnish password 1")            # FIN, RESTRICTED, operator
VIEWER = ("e2e-home-viewer", "viewer password 1")       # DNK, UNCLASSIFIED, viewer
DOMAINS = ["watch", "exercises", "f35", "acquisition"]


@pytest.fixture(scope="module")
def dkfi_app(tmp_path_factory):
    """Overrides the conftest's: no AIS sample, every domain's records instead (the ``server`` fixture uses it)."""
    app, url = make_app(tmp_path_factory.mktemp("e2e-home"))
    _seed(app.state.engine)
    make_user(url, FIN[0], "FIN", "RESTRICTED", ("operator",), FIN[1])
    make_user(url, VIEWER[0], "DNK", "UNCLASSIFIED", ("viewer",), VIEWER[1])
    yield app
    dispose(url)


def open_home(pg):
    pg.goto("/")
    pg.wait_for_function("() => window.dkfiHome && window.dkfiHome.ready === true", timeout=TIMEOUT)
    assert pg.evaluate("window.dkfiHome.error") is None


def api_home(pg) -> dict:
    """/api/home with the page's own session cookie: what the page drew from."""
    r = pg.request.get("/api/home")
    assert r.ok, r.status
    return r.json()


def shot(pg, name: str) -> None:
    size = pg.viewport_size
    height = pg.evaluate("() => { const p = document.querySelector('.home-page');"
                         " return p.getBoundingClientRect().top + p.scrollHeight; }")
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 2, 6000))})
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    pg.set_viewport_size(size)


def painted(pg, canvas) -> int:
    """Pixels of a canvas that are not transparent: Chart.js drew something."""
    return canvas.evaluate("c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                           " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")


def figure_text(value, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:,.1f}"
    if abs(value) >= 100000:
        return f"{value / 1e6:,.1f} M" if abs(value) < 1e7 else f"{value / 1e6:,.0f} M"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def test_tiles_figures_charts_and_links(as_user):
    pg = as_user()   # the conftest's Danish SECRET operator
    open_home(pg)
    home = api_home(pg)
    assert [t["domain"] for t in home["tiles"]] == DOMAINS
    assert pg.locator("nav a[aria-current=page]").inner_text() == "Home"
    assert pg.locator("nav a[href='/map']").inner_text() == "Map"
    # the banner: the highest label behind the figures (a SECRET aircraft, a SECRET alert)
    pg.wait_for_function("() => document.getElementById('banner').textContent.trim() === 'SECRET'", timeout=TIMEOUT)

    drawn = 0
    for t in home["tiles"]:
        tile = pg.locator(f"section.tile[data-domain='{t['domain']}']")
        assert tile.locator("h2 a").inner_text() == t["title"]
        assert tile.locator("h2 a").get_attribute("href") == t["href"]
        assert tile.locator("header .lbl").inner_text() == t["classification"]
        figures = tile.locator(".figure")
        assert figures.count() == len(t["figures"])
        for i, f in enumerate(t["figures"]):
            assert figures.nth(i).locator(".k").inner_text().lower() == f["label"]
            assert figures.nth(i).locator(".v").inner_text().replace("\n", " ").startswith(
                figure_text(f["value"], f["unit"])), (f, figures.nth(i).inner_text())
        for i, c in enumerate(t["charts"]):
            fig = tile.locator(f"figure[data-chart='{t['domain']}-{i}']")
            assert fig.locator("figcaption").inner_text() == c["title"]
            if c["empty"]:
                assert fig.locator("canvas").count() == 0 and "Nothing to draw" in fig.inner_text()
                continue
            canvas = fig.locator("canvas")
            assert painted(pg, canvas) > 500, c["title"]
            assert c["categories"][0] in canvas.get_attribute("aria-label")
            drawn += 1
    assert pg.evaluate("window.dkfiHome.charts.length") == drawn >= 5

    # the figures the test data fixes: five open alerts, two critical or high ... (tests/core/test_home_api.py)
    watch = pg.locator("section.tile[data-domain='watch']")
    assert watch.locator(".figure").nth(0).locator(".v").inner_text() == "5"
    exercises = pg.locator("section.tile[data-domain='exercises'] .items li a")
    assert [exercises.nth(i).inner_text() for i in range(2)] == list(HIDDEN_NAMES)

    # every link on the tiles leads to a page that answers for this user
    hrefs = sorted(set(pg.eval_on_selector_all("section.tile a", "as => as.map(a => a.getAttribute('href'))")))
    assert {"/alerts", "/exercises", "/exercises/matrix", "/f35", "/f35/spares", "/acquisition"} <= set(hrefs)
    for href in hrefs:
        r = pg.request.get(href, max_redirects=0)
        assert r.status == 200 and "text/html" in r.headers["content-type"], (href, r.status)
    shot(pg, "dkfi-home")
    # and a click goes there
    with pg.expect_navigation():
        pg.locator("section.tile[data-domain='f35'] h2 a").click()
    assert pg.url.endswith("/f35") and pg.locator("header.topbar nav a[aria-current=page]").inner_text() == "F-35"
    assert_clean(pg)


def test_a_finnish_restricted_user_sees_only_what_is_released(as_user):
    pg = as_user(*FIN)
    open_home(pg)
    assert pg.locator("#banner").inner_text().strip() == "RESTRICTED"
    text = pg.locator("#tiles").inner_text()
    assert not any(n in text for n in HIDDEN_NAMES) and "SECRET" not in text
    assert pg.locator("section.tile[data-domain='watch'] .figure").nth(0).locator(".v").inner_text() == "3"
    shot(pg, "dkfi-home-fin-restricted")
    assert_clean(pg)


def test_empty_tiles_say_nothing_is_visible(as_user):
    pg = as_user(*VIEWER)
    open_home(pg)
    acq = pg.locator("section.tile[data-domain='acquisition']")
    assert "No plan items, opportunities or joint cases visible to you" in acq.locator(".empty").inner_text()
    assert acq.locator("canvas").count() == 0
    assert pg.locator("#banner").inner_text().strip() == "UNCLASSIFIED"
    assert_clean(pg)


def test_login_lands_on_home_and_the_map_moved(server, dkfi_app):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.get("/").status_code == 303
        r = c.post("/login", data={"username": E2E_USER, "password": E2E_PASSWORD})
        assert r.status_code == 303 and r.headers["location"] == "/"
        home = c.get("/")
        assert home.status_code == 200 and "/static/vendor/chart.umd.min.js" in home.text
        assert "http://" not in home.text.replace(server.url, "") and "https://" not in home.text
        assert c.get("/static/vendor/chart.umd.min.js").status_code == 200
        m = c.get("/map")
        assert m.status_code == 200 and "maplibre-gl.js" in m.text
