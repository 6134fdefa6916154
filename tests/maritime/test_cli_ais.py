"""The ``dkfi ais`` and ``dkfi db`` commands as a user runs them."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AIS

DKFI = [sys.executable, "-m", "dkfi"]


def run(args, env_extra, stdin=None):
    env = {**os.environ, **env_extra}
    return subprocess.run(DKFI + args, env=env, capture_output=True, text=True, input=stdin, timeout=300)


def test_import_json_accounting_and_stats(tmp_path, db_url):
    env = {"DKFI_DATA_DIR": str(tmp_path / "var"), "DKFI_DATABASE_URL": db_url}
    r = run(["ais", "import", str(AIS / "nmea/dma_aisabnormal/ais-sample.txt.gz"), "--json"], env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"received", "accepted", "duplicates", "rejected", "vessels"}
    assert d["received"] == 80_246
    assert d["received"] == d["accepted"] + d["duplicates"] + sum(d["rejected"].values())
    assert 1_400 <= d["vessels"] <= 1_600
    history = json.loads(run(["ais", "stats", "--json"], env).stdout)["history_positions"]
    # importing the same file again is recognised: nothing is read or stored twice
    again = run(["ais", "import", str(AIS / "nmea/dma_aisabnormal/ais-sample.txt.gz"), "--json"], env)
    assert again.returncode == 0 and "already imported on" in again.stderr
    r2 = json.loads(again.stdout)
    assert r2["received"] == 0 and "skipped" in r2["files"][0]["skipped"]
    s = json.loads(run(["ais", "stats", "--json"], env).stdout)
    assert s["vessels"] == d["vessels"] and s["ingest_runs"] == 1 and s["history_positions"] == history
    assert s["history_days"] == ["2013-11-12"]


def test_every_shared_file_imports_and_bad_files_are_reported(tmp_path):
    env = {"DKFI_DATA_DIR": str(tmp_path / "var")}
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(os.urandom(5000))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    files = sorted(p for p in (AIS / "nmea").rglob("*") if p.is_file() and "LICENSE" not in p.name)
    files += sorted(p for p in (AIS / "decoder_vectors").rglob("*") if p.is_file() and p.suffix in (".nmea", ".aivdm", ".ais", ".txt", ""))
    files = [f for f in files if "LICENSE" not in f.name]
    files += [AIS / "dma_csv/aisdk_2018-06-01_first_rows.csv", garbage, empty, tmp_path / "missing.nmea"]
    r = run(["ais", "import", *map(str, files), "--format", "auto", "--json"], env)
    assert r.returncode == 1  # some files were bad: said so, the rest imported
    d = json.loads(r.stdout)
    per_file = {Path(f["path"]).name: f for f in d["files"]}
    assert "no such file" in per_file["missing.nmea"]["error"]
    assert "empty" in per_file["empty.txt"]["error"]
    assert "not recognised" in per_file["garbage.bin"]["error"]
    assert per_file["aisdk_2018-06-01_first_rows.csv"]["format"] == "dma-csv"
    assert per_file["ais-sample.txt.gz"]["format"] == "nmea"
    ok = [f for f in d["files"] if "error" not in f]
    assert len(ok) >= 12
    for f in ok:
        assert f["received"] == f["accepted"] + f["duplicates"] + sum(f["rejected"].values()), f
    assert "error:" in r.stderr and "missing.nmea" in r.stderr


def test_binary_garbage_forced_as_nmea_is_counted_not_crashing(tmp_path):
    env = {"DKFI_DATA_DIR": str(tmp_path / "var")}
    g = tmp_path / "g.nmea.gz"
    with gzip.open(g, "wb") as f:
        f.write(os.urandom(20000) + b"\n!AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0*62\n" + os.urandom(3000))
    r = run(["ais", "import", str(g), "--format", "nmea", "--json"], env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["received"] == d["accepted"] + d["duplicates"] + sum(d["rejected"].values()) > 0
    assert sum(d["rejected"].values()) > 0


def test_db_upgrade_and_bad_format_option(tmp_path):
    env = {"DKFI_DATA_DIR": str(tmp_path / "var")}
    r = run(["db", "upgrade"], env)
    assert r.returncode == 0 and "revision" in r.stderr
    assert (tmp_path / "var" / "dkfi.sqlite").exists()
    r = run(["ais", "import", "x", "--format", "excel"], env)
    assert r.returncode == 2 and "excel" in r.stderr


@pytest.mark.parametrize("args, msg", [(["ais", "listen"], "exactly one source"),
                                       (["ais", "listen", "--tcp", "nohost"], "HOST:PORT")])
def test_listen_argument_errors(tmp_path, args, msg):
    r = run(args, {"DKFI_DATA_DIR": str(tmp_path / "var")})
    assert r.returncode == 2 and msg in r.stderr
