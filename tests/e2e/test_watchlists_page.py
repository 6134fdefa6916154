"""The watch lists page in headless Chromium: a planner imports a CSV through the form and sees the entries."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import PageWatch, log_in


def test_planner_imports_a_watch_list_through_the_page(browser, server, dkfi_app, tmp_path):
    url = dkfi_app.state.engine.url.render_as_string(hide_password=False)
    make_user(url, "e2e-planner", "DNK", "SECRET", ("planner",), "planner password 1")
    csv = tmp_path / "shadow.csv"
    csv.write_text("imo;mmsi;name;list;reason\n9329760;518998865;EAGLE S;shadow fleet;Estlink 2, Dec 2024\n"
                   ";12;;shadow fleet;no identifier\n", encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1300, "height": 900}, base_url=server.url)
    try:
        pg = ctx.new_page()
        watch = PageWatch(pg, server.url)
        log_in(pg, "e2e-planner", "planner password 1")
        pg.goto("/watchlists")
        expect(pg.get_by_role("link", name="Watch lists")).to_have_attribute("aria-current", "page")
        pg.locator("#i-file").set_input_files(str(csv))
        pg.locator("#i-classification").select_option("CONFIDENTIAL")
        with pg.expect_navigation():
            pg.get_by_role("button", name="Import").click()
        result = pg.locator("#import-result")
        expect(result).to_contain_text("1 entries stored in shadow fleet (1)")
        expect(result).to_contain_text("1 bad rows skipped")
        expect(result).to_contain_text("row 3")
        expect(pg.locator("#entries")).to_contain_text("EAGLE S")
        expect(pg.locator("#lists")).to_contain_text("CONFIDENTIAL")
        expect(pg.locator("#banner")).to_have_text("CONFIDENTIAL")   # the highest label on the page
        assert watch.errors == [] and watch.console_errors == [] and watch.foreign() == []
    finally:
        ctx.close()
