"""The wheel is complete (issue #17, point 1): it holds every file the pages load, with the third-party licences;
installed into a fresh environment with the network refused, it serves pages whose scripts and styles all load.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.delivery.conftest import (CONTENT_TYPES, Built, free_port, offline_env, page_refs, run, serving,
                                     version)

# one fresh-environment install at a time; each takes about a minute, several on a loaded machine
pytestmark = [pytest.mark.xdist_group("delivery"), pytest.mark.timeout(900)]
SRC = ROOT / "src" / "dkfi"
# a file the pages reference by its path under /static/ (templates, and routes that write HTML themselves)
STATIC_REF = re.compile(r"/static/([\w./-]+\.(?:js|css|png|svg|ico|json|geojson|woff2?|ttf|map))\b")
PASSWORD = "delivery test password"


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def referenced_static() -> dict[str, set[str]]:
    """Each /static/... file named in a template or a Python module of the package -> where it is named."""
    found: dict[str, set[str]] = {}
    sources = [*SRC.glob("**/templates/**/*.html"), *SRC.glob("**/*.py")]
    for path in sources:
        for m in STATIC_REF.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1), set()).add(str(path.relative_to(ROOT)))
    return found


def test_wheel_holds_every_file_the_pages_load(built: Built):
    names = wheel_names(built.wheel)
    refs = referenced_static()
    assert "vendor/maplibre-gl.js" in refs and "app.css" in refs, refs  # the scan sees the templates
    missing = {f"dkfi/web/static/{ref}": where for ref, where in refs.items() if f"dkfi/web/static/{ref}" not in names}
    assert not missing, f"named by the pages but not in {built.wheel.name}: {missing}"
    # and the rest of the package data: every static file, template, migration and data file of the checkout
    for folder, pattern in (("web/static", "**/*"), (".", "*/templates/**/*"), ("migrations", "**/*.py"),
                            (".", "**/data/**/*")):
        for path in (SRC / folder).glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("."):
                rel = f"dkfi/{path.relative_to(SRC).as_posix()}"
                assert rel in names, f"{rel} is not in {built.wheel.name}"


def test_wheel_carries_the_vendor_files_their_record_and_licences(built: Built):
    names = wheel_names(built.wheel)
    listed = [line.split()[1] for line in (SRC / "web" / "vendor.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.lstrip().startswith("#")]
    assert listed and all(f"dkfi/web/static/vendor/{n}" in names for n in listed), listed
    with zipfile.ZipFile(built.wheel) as zf:
        record = json.loads(zf.read("dkfi/web/static/vendor/vendor.json"))
        for name, meta in record["files"].items():
            assert hashlib.sha256(zf.read(f"dkfi/web/static/vendor/{name}")).hexdigest() == meta["sha256"], name
        assert "dkfi-" + version() + ".dist-info/licenses/LICENSE" in zf.namelist()
    # made from this checkout's lock file and list
    lock = hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()
    assert record["from"]["package-lock.json"] == lock, "the wheel's vendor files predate package-lock.json"
    assert set(record["files"]) == set(listed)
    # every npm package a shipped file comes from has its licence shipped beside it
    packages = {meta["package"] for meta in record["files"].values()}
    licensed = {meta["package"] for name, meta in record["files"].items() if name.upper().startswith("LICENSE")}
    assert packages <= licensed, f"no licence shipped for {sorted(packages - licensed)}"
    assert {"maplibre-gl", "htmx.org"} <= packages


@pytest.fixture(scope="module")
def fresh(built: Built, tmp_path_factory) -> Path:
    """A new virtual environment with the wheel installed from the bundle's wheelhouse, the network refused."""
    where = tmp_path_factory.mktemp("wheel-venv")
    venv = where / "venv"
    env = offline_env()
    run([sys.executable, "-m", "venv", venv], env, where)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "--no-index",
         "--find-links", built.wheelhouse, built.wheel], env, where)
    return venv


def test_pip_reaches_nothing_but_the_wheelhouse(fresh: Path, built: Built, tmp_path):
    """The refusal is real: a package that is on the index but not in the wheelhouse cannot be had."""
    assert not list(built.wheelhouse.glob("requests-*.whl"))
    done = run([fresh / "bin" / "python", "-m", "pip", "download", "--no-deps", "--dest", tmp_path,
                "--find-links", built.wheelhouse, "requests"], offline_env(), tmp_path, check=False)
    assert done.returncode != 0 and "No matching distribution found for requests" in done.stderr, done.stderr


def test_installed_wheel_serves_pages_whose_files_all_load(fresh: Path, built: Built, tmp_path):
    env = offline_env(DKFI_DATA_DIR=str(tmp_path / "var"), DKFI_LOG_FORMAT="text")
    code = "import dkfi, dkfi.web.app as a; print(dkfi.__file__); print(a.STATIC_DIR)"
    package, static = map(Path, run([fresh / "bin" / "python", "-c", code], env, tmp_path).stdout.split())
    assert package.is_relative_to(fresh), f"dkfi imported from {package}, not the fresh environment"
    assert static.is_relative_to(fresh) and (static / "vendor" / "maplibre-gl.js").is_file(), static
    run([fresh / "bin" / "dkfi", "users", "add", "deliverer", "--nation", "DNK", "--clearance", "SECRET",
         "--role", "admin"], env, tmp_path, stdin=f"{PASSWORD}\n")
    with zipfile.ZipFile(built.wheel) as zf:
        vendored = json.loads(zf.read("dkfi/web/static/vendor/vendor.json"))["files"]

    port = free_port()
    cmd = [fresh / "bin" / "dkfi", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-watch"]
    with serving(cmd, env, tmp_path, port) as client:
        assets: dict[str, str] = {}  # asset -> the page that loads it

        def visit(path: str) -> list[str]:
            r = client.get(path)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
            assert r.headers["content-type"].startswith("text/html"), (path, r.headers["content-type"])
            refs = page_refs(r.text)
            for asset in refs.assets:
                assets.setdefault(asset, path)
            return refs.nav

        visit("/login")
        r = client.post("/login", data={"username": "deliverer", "password": PASSWORD, "next": "/"})
        assert r.status_code in (302, 303) and r.headers["location"] == "/", (r.status_code, r.text[:300])
        nav = visit("/")  # the first page after login; its navigation names every other page
        pages = [p for p in dict.fromkeys(nav) if p.startswith("/") and p != "/"]
        assert len(pages) >= 4, f"the map page's navigation has too few pages: {nav}"
        for page in [*pages, "/docs", "/redoc"]:
            visit(page)

        assert "/static/vendor/maplibre-gl.js" in assets and "/static/app.css" in assets, assets
        for asset, page in sorted(assets.items()):
            assert asset.startswith("/") and not asset.startswith("//"), \
                f"{page} loads {asset} from outside the node (it is air-gapped)"
            r = client.get(asset)
            assert r.status_code == 200, f"{asset} (loaded by {page}): {r.status_code}"
            allowed = CONTENT_TYPES.get(Path(asset.split("?")[0]).suffix, ())
            assert r.headers["content-type"].split(";")[0] in allowed, (asset, r.headers["content-type"])
            assert r.content, f"{asset} is empty"
            name = asset.removeprefix("/static/vendor/")
            if name in vendored:
                assert hashlib.sha256(r.content).hexdigest() == vendored[name]["sha256"], asset
        # the packaged data the map page draws (static/basemap.js)
        for layer in ("land", "assets"):
            r = client.get(f"/api/geo/{layer}")
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json"), layer
            assert r.json()["type"] == "FeatureCollection" and r.json()["features"], layer

