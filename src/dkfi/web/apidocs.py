"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (Redoc), served wholly by this node.

FastAPI's own pages load Swagger UI and Redoc from a CDN (and Redoc its fonts from Google), so on a network
without internet they stay blank. These are the same pages (FastAPI's ``get_swagger_ui_html`` and
``get_redoc_html``) on the npm packages' files, which ``scripts/copy_vendor.py`` puts in ``/static/vendor/``
(``src/dkfi/web/vendor.txt``).

Each page also tells the browser, by a Content-Security-Policy, to load nothing from anywhere but this node, so
a reference a library update brings is refused rather than sent. The two known ones are switched off: Swagger
UI's online validator badge (validator.swagger.io, asked for when the node is not reached as localhost), and the
Redocly logo that Redoc 2 draws from cdn.redoc.ly whatever its options (Redocly/redoc#2108): a small script on
the page hands Redoc's images from other hosts an empty ``data:`` source instead, which Redoc answers by leaving
the logo out (the policy alone would refuse it, but the browser still starts the request and logs an error).

Like FastAPI's pages they are public, as ``/openapi.json`` is: they show the API's shape, never a record.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

__all__ = ["router", "ASSETS", "CSP", "DOCS", "REDOC", "OAUTH2_REDIRECT"]

DOCS, REDOC, OAUTH2_REDIRECT = "/docs", "/redoc", "/docs/oauth2-redirect"
VENDOR = "/static/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui.css"
FAVICON = f"{VENDOR}/swagger-ui-favicon-32x32.png"
REDOC_JS = f"{VENDOR}/redoc.standalone.js"
ASSETS = (SWAGGER_JS, SWAGGER_CSS, FAVICON, REDOC_JS)

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",  # the start-up script FastAPI writes into the page
    "style-src 'self' 'unsafe-inline'",   # both libraries set styles from script
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",            # Redoc's search index runs in a worker made from a blob
    "connect-src 'self'",                 # the OpenAPI document and Swagger UI's "Try it out"
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))

# Before Redoc's bundle: an <img> given a source on another host (by property, as React does, or attribute) gets an
# empty data: source instead, so the browser never asks for it; Redoc then drops the image (its logo's onError).
REDOC_IMAGES_STAY_HOME = """<script>
(() => {
  const away = (value) => {
    const url = String(value);
    if (/^(data|blob):/i.test(url)) return false;
    try { return new URL(url, document.baseURI).origin !== location.origin; } catch (e) { return true; }
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src, set(value) { src.set.call(this, away(value) ? "data:," : value); },
  });
  const setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, String(name).toLowerCase() === "src" && away(value) ? "data:," : value);
  };
})();
</script>
"""

router = APIRouter()


def _own(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = CSP
    return response


def _root(request: Request) -> str:
    """The path the app is mounted under behind a proxy (``root_path``), as FastAPI's own pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(DOCS, include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    app, root = request.app, _root(request)
    return _own(get_swagger_ui_html(
        openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI",
        swagger_js_url=root + SWAGGER_JS, swagger_css_url=root + SWAGGER_CSS, swagger_favicon_url=root + FAVICON,
        oauth2_redirect_url=root + OAUTH2_REDIRECT, init_oauth=app.swagger_ui_init_oauth,
        swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": "none"}))


@router.get(OAUTH2_REDIRECT, include_in_schema=False)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return _own(get_swagger_ui_oauth2_redirect_html())


@router.get(REDOC, include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    app, root = request.app, _root(request)
    page = get_redoc_html(openapi_url=root + app.openapi_url, title=f"{app.title} - ReDoc",
                          redoc_js_url=root + REDOC_JS, redoc_favicon_url=root + FAVICON, with_google_fonts=False)
    html = bytes(page.body).decode()
    if "</head>" not in html:  # FastAPI changed its page: better no page than one that reaches out
        raise RuntimeError("FastAPI's Redoc page has no </head> to put the image guard before")
    return _own(HTMLResponse(html.replace("</head>", REDOC_IMAGES_STAY_HOME + "</head>", 1)))
