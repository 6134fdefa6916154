"""`dkfi watch replay` as the acceptance list states it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

from tests.conftest import AIS


def replay(*args, tmp_path):
    r = subprocess.run([sys.executable, "-m", "dkfi", "watch", "replay", *map(str, args), "--json"],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "DKFI_DATA_DIR": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_dma_labelled_drift_case(tmp_path):
    alerts = replay(AIS / "labelled/dma_aisabnormal/538004030_drift_1.ais", tmp_path=tmp_path)
    drift = [a for a in alerts if a["kind"] == "drift" and a["mmsi"] == 538004030]
    assert drift, alerts
    start = datetime.fromisoformat(drift[0]["start"].replace("Z", "+00:00"))
    labelled = datetime.fromisoformat("2014-09-28T16:50:04+00:00")
    assert abs((start - labelled).total_seconds()) <= 300
    ev = drift[0]["evidence"][0]
    assert ev["track"] and "COG" in ev["rule"] and ev["measured"]


def test_real_danish_recording_raises_no_anchor_drag(tmp_path):
    alerts = replay(AIS / "nmea/dma_aisabnormal/ais-sample.txt.gz", tmp_path=tmp_path)
    assert not [a for a in alerts if a["kind"] == "anchor_drag"]
    assert len(alerts) <= 6, [a["summary"] for a in alerts]
    for a in alerts:  # each explainable from its evidence
        assert a["evidence"] and all(e["rule"] and e["measured"] for e in a["evidence"])


def test_missing_input_and_bad_detector_are_clear_errors(tmp_path):
    r = subprocess.run([sys.executable, "-m", "dkfi", "watch", "replay", str(tmp_path / "nope.nmea")],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "DKFI_DATA_DIR": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 2 and "no such file" in r.stderr
    r = subprocess.run([sys.executable, "-m", "dkfi", "watch", "replay",
                        str(AIS / "nmea/dma_aislib/replay_dump.txt"), "--detectors", "telepathy"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "DKFI_DATA_DIR": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 2 and "telepathy" in r.stderr


def test_sim_cli_writes_nmea_and_truth(tmp_path):
    r = subprocess.run([sys.executable, "-m", "dkfi", "sim", "run", "vezhen", "--out", str(tmp_path / "v"),
                        "--vessels", "3", "--json"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "DKFI_DATA_DIR": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["incidents"] == 1 and (tmp_path / "v.nmea").exists() and (tmp_path / "v.truth.json").exists()
    truth = json.loads((tmp_path / "v.truth.json").read_text())["incidents"]
    assert truth[0]["kind"] == "anchor_drag" and truth[0]["mmsi"] == 256999103
    r = subprocess.run([sys.executable, "-m", "dkfi", "sim", "run", "atlantis"], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert r.returncode == 2 and "atlantis" in r.stderr


def test_live_watch_runs_in_a_second_process_by_default_on_two_cpus(monkeypatch):
    """`dkfi watch live` / `serve`: the detectors get their own process where there are 2+ CPUs."""
    from typer.testing import CliRunner

    import dkfi.sharing.federation as federation
    import dkfi.web.app as web_app
    from dkfi.cli.main import app as cli

    chosen = []
    monkeypatch.setattr(web_app, "create_app", lambda live=None: chosen.append(live["watch_process"]))
    monkeypatch.setattr(federation, "run_with_federation", lambda app, **kw: None)
    drift = str(AIS / "labelled" / "dma_aisabnormal" / "538004030_drift_1.ais")
    runner = CliRunner()
    for cpus, flag, expected in ((2, [], True), (1, [], False), (8, ["--watch-in-process"], False),
                                 (1, ["--watch-process"], True)):
        monkeypatch.setattr(os, "cpu_count", lambda c=cpus: c)
        res = runner.invoke(cli, ["watch", "live", "--replay", drift, *flag])
        assert res.exit_code == 0, res.output
        assert chosen[-1] is expected, (cpus, flag)
