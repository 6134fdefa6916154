"""The offline bundle (issue #17, point 2): unpacked, its SHA256SUMS hold, and its install.sh installs a node with
the network refused to pip, applies the migrations to a new SQLite database, and the node starts and is ready.
"""
from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.delivery.conftest import Built, bundle_name, free_port, offline_env, run, serving, version

# one fresh-environment install at a time; each takes about a minute, several on a loaded machine
pytestmark = [pytest.mark.xdist_group("delivery"), pytest.mark.timeout(900)]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture(scope="module")
def unpacked(built: Built, tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("bundle")
    with tarfile.open(built.archive) as tar:
        names = tar.getnames()
        assert all(n == bundle_name() or n.startswith(bundle_name() + "/") for n in names), names[:5]
        tar.extractall(where, filter="data")
    return where / bundle_name()


@pytest.fixture(scope="module")
def installed(unpacked: Path, tmp_path_factory) -> tuple[Path, str]:
    """install.sh --no-start into a new prefix, pip's network refused; returns the prefix and what it printed."""
    prefix = tmp_path_factory.mktemp("node") / "opt dkfi"  # a space: install.sh quotes its paths
    done = run(["bash", unpacked / "install.sh", "--prefix", prefix, "--no-start"], offline_env(), unpacked.parent)
    return prefix, done.stdout + done.stderr


def test_archive_checksums_hold(built: Built, unpacked: Path):
    recorded = Path(f"{built.archive}.sha256").read_text().split()
    assert recorded == [sha256(built.archive), built.archive.name]
    sums = {}
    for line in (unpacked / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    files = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    assert set(sums) == files - {"SHA256SUMS"}, "SHA256SUMS must name every other file of the bundle, and only those"
    bad = [name for name, digest in sums.items() if sha256(unpacked / name) != digest]
    assert not bad, f"files differing from SHA256SUMS: {bad}"


def test_bundle_holds_wheel_wheelhouse_migrations_and_config(built: Built, unpacked: Path):
    info = json.loads((unpacked / "BUNDLE.json").read_text())
    assert info["version"] == version() and bundle_name() == f"dkfi-bundle-{version()}-{info['python']}-" \
                                                             f"{info['platform']}"
    wheels = sorted(p.name for p in (unpacked / "wheelhouse").iterdir())
    assert wheels == sorted(info["wheels"]) and info["wheel"] in wheels
    assert sha256(unpacked / "wheelhouse" / info["wheel"]) == sha256(built.wheel)
    # a wheel for every runtime dependency the dkfi wheel declares
    with zipfile.ZipFile(built.wheel) as zf:
        meta = zf.read(f"dkfi-{version()}.dist-info/METADATA").decode()
    required = {re.split(r"[\s\[<>=!~;]", line.split(":", 1)[1].strip(), maxsplit=1)[0]
                for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    have = {w.split("-")[0].lower() for w in wheels}
    missing = {r for r in required if r.lower().replace("-", "_").replace(".", "_") not in have}
    assert not missing, f"no wheel for {missing}"
    shipped = {p.name for p in (unpacked / "migrations" / "versions").glob("*.py")}
    assert shipped == {p.name for p in (ROOT / "src/dkfi/migrations/versions").glob("*.py")}
    assert (unpacked / "install.sh").stat().st_mode & 0o111
    assert "DKFI_NATION=" in (unpacked / "dkfi.env.example").read_text()


def test_env_example_names_every_setting():
    """dkfi.env.example documents each DKFI_* setting and names nothing dkfi does not read."""
    from dkfi.core.config import Settings

    text = (ROOT / "packaging" / "dkfi.env.example").read_text()
    named = set(re.findall(r"^#? ?(DKFI_[A-Z0-9_]+)=", text, re.M))
    settings = {f"DKFI_{name.upper()}" for name in Settings.model_fields}
    assert settings - named == set(), "settings missing from packaging/dkfi.env.example"
    assert named - settings == {"DKFI_HOST", "DKFI_PORT"}  # read by bin/dkfi-node, not by dkfi


def test_install_sh_installs_migrates_and_the_node_starts(installed: tuple[Path, str], unpacked: Path):
    prefix, out = installed
    for n in range(1, 7):
        assert f"[{n}/6]" in out, out
    env_file = prefix / "etc" / "dkfi.env"
    assert f"DKFI_DATA_DIR={shlex.quote(str(prefix / 'var'))}" in env_file.read_text().splitlines()
    assert env_file.stat().st_mode & 0o077 == 0, "the settings file may hold secrets: owner only"
    env = offline_env()
    assert "Usage" in run([prefix / "bin" / "dkfi", "--help"], env, prefix).stdout
    db = run([prefix / "bin" / "dkfi", "db", "current"], env, prefix).stdout
    m = re.search(r"current: (\S+)\s+head: (\S+)", db)
    assert m and m.group(1) == m.group(2) != "None", db
    newest = max(p.name.split("_")[0] for p in (unpacked / "migrations" / "versions").glob("*.py"))
    assert m.group(1) == newest, db
    assert (prefix / "var" / "dkfi.sqlite").is_file()
    where = run([prefix / "venv" / "bin" / "python", "-c", "import dkfi; print(dkfi.__file__)"], env, prefix).stdout
    assert Path(where.strip()).is_relative_to(prefix / "venv")

    port = free_port()
    with serving([prefix / "bin" / "dkfi-node", "--port", str(port), "--no-watch"], env, prefix, port) as client:
        r = client.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready", r.text
        assert client.get("/login").status_code == 200


def test_install_sh_again_upgrades_in_place_and_keeps_the_settings(installed: tuple[Path, str], unpacked: Path):
    prefix, _ = installed
    env_file = prefix / "etc" / "dkfi.env"
    settings = env_file.read_text()
    cmd = ["bash", unpacked / "install.sh", "--prefix", prefix, "--no-start"]
    env_file.write_text(settings + "DKFI_NATION=DK\n")  # a bad setting stops it before the migrations
    done = run(cmd, offline_env(), unpacked.parent, check=False)
    assert done.returncode == 1 and "DKFI_NATION" in done.stderr and "did you mean DNK" in done.stderr, done.stderr
    env_file.write_text(settings + "DKFI_BANNER=RESTRICTED\n")
    done = run(cmd, offline_env(), unpacked.parent)
    assert "kept" in done.stdout and "DKFI_BANNER=RESTRICTED" in env_file.read_text()
    assert "settings hold" in done.stdout + done.stderr


def test_install_sh_refuses_bad_options_and_a_damaged_bundle(unpacked: Path, tmp_path):
    done = run(["bash", unpacked / "install.sh", "--prefix"], offline_env(), tmp_path, check=False)
    assert done.returncode == 2 and "--prefix needs a value" in done.stderr and "Usage" in done.stderr
    done = run(["bash", unpacked / "install.sh", "--frobnicate"], offline_env(), tmp_path, check=False)
    assert done.returncode == 2 and "unknown option: --frobnicate" in done.stderr
    done = run(["bash", unpacked / "install.sh", "--config", tmp_path / "none.env"], offline_env(), tmp_path,
               check=False)
    assert done.returncode == 2 and "none.env: no such file" in done.stderr
    assert "--no-start" in run(["bash", unpacked / "install.sh", "--help"], offline_env(), tmp_path).stdout

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("install.sh", "SHA256SUMS", "BUNDLE.json", "README.md", "dkfi.env.example"):
        shutil.copy(unpacked / name, damaged / name)
    (damaged / "README.md").write_text("changed on the way")
    done = run(["bash", damaged / "install.sh", "--prefix", tmp_path / "opt", "--no-start"], offline_env(), tmp_path,
               check=False)
    assert done.returncode == 1 and "damaged or missing" in done.stderr, done.stderr
    assert "README.md: FAILED" in done.stdout + done.stderr
    assert not (tmp_path / "opt" / "venv").exists()
