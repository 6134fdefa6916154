"""The API documentation pages (dkfi.web.apidocs): /docs and /redoc are served from the package, reference
nothing outside the node, and every file they reference answers. The browser side (Swagger UI and Redoc really
render, and ask nothing of another host) is tests/e2e/test_offline.py."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
VENDOR_DIR = ROOT / "src" / "dkfi" / "web" / "static" / "vendor"
VENDOR_LIST = ROOT / "src" / "dkfi" / "web" / "vendor.txt"
ABSOLUTE = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^\s'\"<>)]+", re.I)   # http://x, https://x, //x, ftp://x ...


class _Refs(HTMLParser):
    """Every URL a page's markup makes the browser load: src, href and Redoc's spec-url attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]


def refs(html: str) -> list[str]:
    p = _Refs()
    p.feed(html)
    return p.refs


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from dkfi.web.app import create_app

    need("vendor files missing: run `npm ci && .venv/bin/python scripts/copy_vendor.py`",
         (VENDOR_DIR / "swagger-ui-bundle.js").is_file())
    url = f"sqlite:///{tmp_path_factory.mktemp('apidocs') / 'docs.sqlite'}"
    with TestClient(create_app(url)) as c:   # no login: the documentation pages are public, as before
        yield c


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_page_loads_only_packaged_files(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert not ABSOLUTE.findall(html), f"{path} names another host: {ABSOLUTE.findall(html)}"
    assert "fonts.googleapis" not in html and "cdn." not in html
    found = refs(html)
    assert found, f"{path}: no script or style found in {html[:300]}"
    outside = [u for u in found if not (u.startswith("/static/vendor/") or u == "/openapi.json")]
    assert not outside, f"{path} references {outside}"
    for url in found:
        asset = client.get(url)
        assert asset.status_code == 200, f"{path} references {url}: {asset.status_code}"
        assert asset.content, f"{url} is empty"


def test_swagger_ui_page(client):
    html = client.get("/docs").text
    assert set(refs(html)) == {"/static/vendor/swagger-ui.css", "/static/vendor/swagger-ui-favicon-32x32.png",
                               "/static/vendor/swagger-ui-bundle.js"}
    assert "url: '/openapi.json'" in html
    assert '"validatorUrl": "none"' in html             # no badge image from validator.swagger.io
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in html
    assert client.get("/static/vendor/swagger-ui-bundle.js").headers["content-type"] in (
        "application/javascript", "text/javascript; charset=utf-8")
    assert client.get("/static/vendor/swagger-ui.css").headers["content-type"].startswith("text/css")


def test_redoc_page_has_no_web_fonts(client):
    html = client.get("/redoc").text
    assert set(refs(html)) == {"/static/vendor/swagger-ui-favicon-32x32.png", "/openapi.json",
                               "/static/vendor/redoc.standalone.js"}
    assert '<redoc spec-url="/openapi.json">' in html
    assert "fonts.googleapis.com" not in html and "fonts.gstatic" not in html
    # the guard that keeps Redoc's own logo (cdn.redoc.ly) from being asked for comes before Redoc's bundle
    assert html.index("HTMLImageElement.prototype") < html.index('src="/static/vendor/redoc.standalone.js"')


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_pages_forbid_other_hosts(client, path):
    """The browser is told to load nothing from another host, whatever the libraries' code asks for."""
    r = client.get(path)
    assert r.status_code == 200
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src", "img-src", "font-src", "connect-src", "worker-src"):
        allowed = csp[directive]
        assert "'self'" in allowed, (directive, allowed)
        assert not [s for s in allowed if s not in ("'self'", "'unsafe-inline'", "data:", "blob:")], (directive,
                                                                                                         allowed)


def test_oauth2_redirect_page(client):
    r = client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "oauth2" in r.text.lower()
    assert not ABSOLUTE.findall(r.text)


def test_openapi_document_unchanged(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"] == "dkfi" and "/api/vessels" in doc["paths"]
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(doc["paths"])


def test_pages_follow_the_root_path(tmp_path):
    """Behind a proxy that mounts the node under a prefix, the pages ask for their files under it too."""
    from dkfi.web.app import create_app

    need("vendor files missing", (VENDOR_DIR / "redoc.standalone.js").is_file())
    with TestClient(create_app(f"sqlite:///{tmp_path / 'p.sqlite'}"), root_path="/dkfi") as c:
        for path in ("/docs", "/redoc"):
            found = refs(c.get(path).text)
            assert found and all(u.startswith("/dkfi/") for u in found), (path, found)


def test_docs_files_are_listed_for_the_vendor_copy():
    """Each file the pages reference is copied by scripts/copy_vendor.py from npm, with its licence beside it."""
    from dkfi.web.apidocs import ASSETS

    dests = {line.split()[1] for line in VENDOR_LIST.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")}
    assert {a.removeprefix("/static/vendor/") for a in ASSETS} <= dests
    assert {"LICENSE-swagger-ui.txt", "NOTICE-swagger-ui.txt", "LICENSE-redoc.txt"} <= dests
