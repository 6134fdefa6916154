"""dkfi's PEP 517 build backend: setuptools.build_meta, with the browser vendor files made before a wheel or sdist.

The pages load MapLibre GL and htmx from /static/vendor/, files that come from the npm registry (package.json,
package-lock.json) and are copied by scripts/copy_vendor.py as src/dkfi/web/vendor.txt lists them. They are not
in git, so a plain setuptools build of a clean clone made a wheel whose map page could not load. Here
``build_wheel`` and ``build_sdist`` first make sure ``src/dkfi/web/static/vendor/`` is complete and made from the
current lock file:

1. ``vendor/vendor.json`` records the SHA-256 of package-lock.json and vendor.txt the files were made from, and
   of each file; when all match, nothing is run (an sdist carries the files and this record, so a wheel builds
   from it with neither npm nor a network);
2. otherwise ``npm ci`` runs when node_modules does not hold the versions the lock names, then the copy, then
   the record is written;
3. without npm, the build stops and says what to install.

The editable install (``pip install -e``, the Makefile's) is setuptools' own and never runs npm: the Makefile
runs npm and the copy after it. See docs/decisions/0010-build-hook.md.
"""
from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from setuptools import build_meta as _orig
from setuptools.build_meta import *  # noqa: F401,F403  (every other hook is setuptools' own)

ROOT = Path.cwd()  # PEP 517: hooks run in the source tree's root
NPM_CI = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
RECORD = "vendor.json"


class VendorError(RuntimeError):
    """The vendor files cannot be made (npm missing or failing, a listed source missing)."""


def _say(msg: str) -> None:
    print(f"dkfi build: {msg}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copier(root: Path) -> ModuleType:
    """scripts/copy_vendor.py, the one reader of vendor.txt (shipped in the sdist too)."""
    path = root / "scripts" / "copy_vendor.py"
    if not path.is_file():
        raise VendorError(f"{path} is missing: the source tree is incomplete (it reads src/dkfi/web/vendor.txt)")
    spec = importlib.util.spec_from_file_location("dkfi_copy_vendor", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _key(root: Path, copier: ModuleType) -> dict[str, str]:
    return {"package-lock.json": _sha256(root / "package-lock.json"), "vendor.txt": _sha256(Path(copier.LIST))}


def record_matches(root: Path, copier: ModuleType) -> bool:
    """The vendor folder holds every listed file, as recorded when it was made from the current lock and list."""
    record = Path(copier.DEST) / RECORD
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if data.get("from") != _key(root, copier):
        return False
    files = data.get("files", {})
    for _, dst in copier.entries():
        want = files.get(dst.name, {}).get("sha256")
        if not want or not dst.is_file() or _sha256(dst) != want:
            return False
    return True


def node_modules_current(root: Path) -> bool:
    """node_modules holds, for every package of package-lock.json, the version the lock names."""
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    for where, meta in lock.get("packages", {}).items():
        if not where or meta.get("optional") or meta.get("dev"):
            continue
        manifest = root / where / "package.json"
        try:
            version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            return False
        if version != meta.get("version"):
            return False
    return True


def _npm_ci(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            "npm not found on PATH. Building dkfi's wheel or sdist from a source checkout runs `npm ci` to fetch "
            "the browser libraries the pages load (MapLibre GL, htmx, ...: package-lock.json) into "
            "src/dkfi/web/static/vendor/. Install Node.js >= 18 with npm (Debian/Ubuntu: apt-get install nodejs "
            "npm; or https://nodejs.org), then build again - or build from dkfi's sdist, which carries these files.")
    _say(f"node_modules is missing or not at package-lock.json's versions: {' '.join(NPM_CI)}")
    done = subprocess.run([npm, *NPM_CI[1:]], cwd=root)
    if done.returncode != 0:
        raise VendorError(f"`{' '.join(NPM_CI)}` failed (exit {done.returncode}) in {root}; its output is above")
    stamp = root / "node_modules" / ".stamp-install"  # the Makefile's: make does not run npm ci again
    stamp.touch()


def ensure_vendor(root: Path = ROOT) -> str:
    """Make src/dkfi/web/static/vendor/ complete and current; returns what was done ("current" or "copied")."""
    if not (root / "package-lock.json").is_file():
        raise VendorError(f"{root / 'package-lock.json'} is missing: the source tree is incomplete")
    copier = _copier(root)
    if record_matches(root, copier):
        _say("vendor files current (src/dkfi/web/static/vendor/vendor.json)")
        return "current"
    if not node_modules_current(root):
        _npm_ci(root)
    entries, copied = copier.entries(), 0
    for src, dst in entries:
        if not src.is_file():
            raise VendorError(f"{src} is missing after npm ci: fix src/dkfi/web/vendor.txt or package.json")
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        part = dst.with_name(dst.name + ".part")  # replaced whole: a server reading the folder never sees half
        shutil.copyfile(src, part)
        os.replace(part, dst)
        copied += 1
        _say(f"{src.relative_to(root)} -> {dst.relative_to(root)}")
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8")).get("packages", {})
    files: dict[str, Any] = {}
    for src, dst in entries:
        where = src.relative_to(root).parts
        pkg = None if where[0] != "node_modules" else "/".join(where[1:3]) if where[1].startswith("@") else where[1]
        files[dst.name] = {"sha256": _sha256(dst), "source": src.relative_to(root).as_posix(), "package": pkg,
                           "version": lock.get(f"node_modules/{pkg}", {}).get("version") if pkg else None}
    record = {"from": _key(root, copier), "files": files}
    part = Path(copier.DEST) / (RECORD + ".part")
    part.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(part, Path(copier.DEST) / RECORD)
    _say(f"vendor files made from package-lock.json: {copied} copied, {len(entries) - copied} unchanged; "
         f"recorded in {(Path(copier.DEST) / RECORD).relative_to(root)}")
    return "copied"


def _vendor_or_stop() -> None:
    try:
        ensure_vendor(ROOT)
    except VendorError as exc:
        _say(f"error: {exc}")
        raise SystemExit(1) from None


def build_wheel(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                metadata_directory: str | None = None) -> str:
    """setuptools' wheel, after the vendor files are made (the wheel serves them)."""
    _vendor_or_stop()
    return _orig.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    """setuptools' sdist, after the vendor files are made (the sdist carries them, see MANIFEST.in)."""
    _vendor_or_stop()
    return _orig.build_sdist(sdist_directory, config_settings)

