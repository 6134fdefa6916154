"""The build backend (build_hooks/dkfi_build.py): a wheel or sdist always carries the vendor files, made by npm when
they are missing or stale; without npm the build stops and says what to install; the editable install never needs
npm; and the sdist is enough to build a complete wheel with neither npm nor a network.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import setuptools.build_meta

from tests.conftest import ROOT
from tests.delivery.conftest import Built, offline_env, run

pytestmark = pytest.mark.xdist_group("delivery")


def backend() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dkfi_build_under_test", ROOT / "build_hooks" / "dkfi_build.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def no_npm_path(tmp_path: Path) -> str:
    """A PATH holding only this Python: no npm on it."""
    bin_dir = tmp_path / "bin-without-npm"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    return str(bin_dir)


def source_tree(tmp: Path, lock: dict, vendor_txt: str, modules: dict[str, str]) -> Path:
    """A small source tree: the real copier, this lock file and list, and node_modules with ``modules``' files."""
    (tmp / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "copy_vendor.py", tmp / "scripts")
    (tmp / "src" / "dkfi" / "web").mkdir(parents=True)
    (tmp / "src" / "dkfi" / "web" / "vendor.txt").write_text(vendor_txt, encoding="utf-8")
    (tmp / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    for rel, text in modules.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text, encoding="utf-8")
    return tmp


LOCK = {"lockfileVersion": 3, "packages": {"": {"dependencies": {"lib": "1.0.0", "@scope/kit": "2.1.0"}},
                                           "node_modules/lib": {"version": "1.0.0"},
                                           "node_modules/@scope/kit": {"version": "2.1.0"}}}
VENDOR_TXT = ("# test list\nnode_modules/lib/dist/lib.js lib.js\nnode_modules/lib/LICENSE LICENSE-lib.txt\n"
              "node_modules/@scope/kit/kit.css kit.css\nnode_modules/@scope/kit/LICENSE.md LICENSE-kit.txt\n")
MODULES = {"node_modules/lib/package.json": '{"version": "1.0.0"}', "node_modules/lib/dist/lib.js": "var lib;",
           "node_modules/lib/LICENSE": "MIT lib", "node_modules/@scope/kit/package.json": '{"version": "2.1.0"}',
           "node_modules/@scope/kit/kit.css": "a{}", "node_modules/@scope/kit/LICENSE.md": "ISC kit"}


def test_vendor_files_are_copied_recorded_and_then_current(tmp_path, monkeypatch):
    b = backend()
    root = source_tree(tmp_path, LOCK, VENDOR_TXT, MODULES)
    monkeypatch.setenv("PATH", no_npm_path(tmp_path))  # node_modules is current: npm is not needed
    assert b.ensure_vendor(root) == "copied"
    vendor = root / "src" / "dkfi" / "web" / "static" / "vendor"
    assert (vendor / "lib.js").read_text() == "var lib;" and (vendor / "LICENSE-kit.txt").read_text() == "ISC kit"
    record = json.loads((vendor / "vendor.json").read_text())
    assert record["files"]["kit.css"]["package"] == "@scope/kit" and record["files"]["lib.js"]["version"] == "1.0.0"
    assert b.ensure_vendor(root) == "current"

    (vendor / "lib.js").write_text("edited by hand")  # a changed file is copied again
    assert b.ensure_vendor(root) == "copied" and (vendor / "lib.js").read_text() == "var lib;"
    lock = json.loads(json.dumps(LOCK))
    lock["packages"][""]["name"] = "changed"  # a new lock file: the files are checked and recorded again
    (root / "package-lock.json").write_text(json.dumps(lock))
    assert b.ensure_vendor(root) == "copied" and b.ensure_vendor(root) == "current"


def test_stale_node_modules_without_npm_stops_naming_npm(tmp_path, monkeypatch):
    b = backend()
    lock = json.loads(json.dumps(LOCK))
    lock["packages"]["node_modules/lib"]["version"] = "1.1.0"  # the lock moved on, node_modules did not
    root = source_tree(tmp_path, lock, VENDOR_TXT, MODULES)
    assert not b.node_modules_current(root)
    monkeypatch.setenv("PATH", no_npm_path(tmp_path))
    with pytest.raises(b.VendorError, match=r"npm not found on PATH.*apt-get install nodejs npm"):
        b.ensure_vendor(root)
    assert not (root / "src" / "dkfi" / "web" / "static" / "vendor" / "vendor.json").exists()


def clean_checkout(tmp_path: Path) -> Path:
    """What a clean clone holds for the build: no node_modules, no vendor files."""
    tree = tmp_path / "clone"
    for rel in ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "package.json", "package-lock.json",
                "scripts/copy_vendor.py", "build_hooks/dkfi_build.py", "src/dkfi/__init__.py",
                "src/dkfi/web/vendor.txt"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tree / rel)
    return tree


def test_wheel_build_without_npm_stops_with_a_clear_message(tmp_path):
    tree = clean_checkout(tmp_path)
    env = offline_env(PATH=no_npm_path(tmp_path))
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir",
                tmp_path / "out", tree], env, tmp_path, check=False)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "dkfi build: error: npm not found on PATH" in out and "apt-get install nodejs npm" in out, out[-3000:]
    assert not list((tmp_path / "out").glob("*.whl"))


def test_editable_install_hooks_never_run_npm(tmp_path, monkeypatch):
    """`pip install -e` (the Makefile's) uses setuptools' own editable hooks: they build without npm."""
    b = backend()
    assert b.build_editable is setuptools.build_meta.build_editable
    assert b.prepare_metadata_for_build_editable is setuptools.build_meta.prepare_metadata_for_build_editable
    tree = clean_checkout(tmp_path)
    env = offline_env(PATH=no_npm_path(tmp_path), PYTHONPATH=str(tree / "build_hooks"))
    code = "import dkfi_build, sys; print(dkfi_build.build_editable(sys.argv[1]))"
    (tmp_path / "out").mkdir()
    done = run([sys.executable, "-c", code, tmp_path / "out"], env, tree)
    assert (tmp_path / "out" / done.stdout.strip().splitlines()[-1]).is_file()
    assert not (tree / "node_modules").exists() and not (tree / "src/dkfi/web/static/vendor").exists()


def test_sdist_builds_the_same_wheel_without_npm_or_network(built: Built, tmp_path):
    with zipfile.ZipFile(built.wheel) as zf:
        want = {n for n in zf.namelist() if not n.endswith("RECORD")}
    env = offline_env(PATH=no_npm_path(tmp_path))
    done = run([sys.executable, "-m", "pip", "wheel", "--verbose", "--no-cache-dir", "--no-deps",
                "--no-build-isolation", "--no-index", "--wheel-dir", tmp_path / "out", built.sdist], env, tmp_path)
    assert "vendor files current" in done.stdout + done.stderr
    (made,) = (tmp_path / "out").glob("dkfi-*.whl")
    with zipfile.ZipFile(made) as zf:
        got = {n for n in zf.namelist() if not n.endswith("RECORD")}
    assert got == want, f"only in make's wheel: {sorted(want - got)}; only in the sdist's: {sorted(got - want)}"
