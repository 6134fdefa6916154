"""``dkfi watch evaluate``: labelled incidents in, the per-family table out; bad CSV rows named by line."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dkfi.sim import library as lib
from dkfi.watch import evaluation as ev
from dkfi.watch.cli import app


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A drag scenario and a convoy written to disk, with labels as a ministry would write them."""
    d = tmp_path_factory.mktemp("eval")
    drag = lib.build(lib.Spec("drag-slow", 2))
    convoy = lib.build(lib.Spec("ice-convoy", 1))
    lib.write(drag, d / "drag.nmea", d / "drag.truth.json")
    lib.write(convoy, d / "convoy.nmea", d / "convoy.truth.json")
    (t,) = drag.truth
    rows = ["mmsi;start;end;kind;family;note",
            f"{t['mmsi']};{t['start_iso']};{t['end']};anchor_drag;slow drags;from the sim",
            *[f"{m};{convoy.start - 600:.0f};{convoy.end + 600:.0f};negative;convoys;" for m in convoy.negative_mmsis]]
    (d / "labels.csv").write_text("\n".join(rows) + "\n")
    return d, drag, convoy


def test_evaluate_prints_the_table_per_family(recording):
    d, drag, convoy = recording
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), str(d / "convoy.nmea"), "--incidents",
                                 str(d / "labels.csv"), "--json"])
    assert r.exit_code == 0, r.output
    rows = {x["family"]: x for x in (json.loads(line) for line in r.stdout.splitlines() if line.startswith("{"))}
    assert set(rows) >= {"slow drags", "convoys", "all"}
    s = rows["slow drags"]
    assert (s["positives"], s["detected"], s["recall"], s["precision"]) == (1, 1, 1.0, 1.0)
    assert 0 < s["ttd_min_max"] <= 10.0 and 0 < s["km_max"] < 3.0
    c = rows["convoys"]
    assert c["positives"] == 0 and c["critical_on_negatives"] == 0 and c["false_alarms_above_low"] == 0
    assert c["false_alarms"] == c["false_events"] >= 1        # low-severity notes, counted honestly
    assert c["vessel_hours"] > 3 and c["false_alarms_per_1000_vh"] > 0
    assert rows["all"]["positives"] == 1
    # the same as a table
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), "--incidents", str(d / "labels.csv")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "slow drags" in r.stdout and "recall" in r.stdout


def test_bad_rows_are_named_by_line_and_stop_the_evaluation(recording, tmp_path):
    d, *_ = recording
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,start,end,kind\n12345,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,anchor_drag\n"
                   "230000000,yesterday,2024-01-01T01:00:00Z,\n"
                   "230000001,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z,\n"
                   "230000002,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,anchor_drag\n")
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), "--incidents", str(bad)])
    assert r.exit_code == 2
    assert "line 2: mmsi '12345' is not a 9-digit MMSI" in r.stderr
    assert "line 3: start 'yesterday' is neither an ISO 8601 time nor Unix seconds" in r.stderr
    assert "line 4: end '2024-01-01T00:00:00Z' is before start" in r.stderr
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), "--incidents", str(bad), "--skip-bad-rows",
                                 "--json"])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("skipped") == 3
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert rows[0]["positives"] == 1 and rows[0]["detected"] == 0        # that MMSI is not in the recording
    assert rows[0]["missed"] == ["MMSI 230000002 (line 5)"]


def test_label_file_errors(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("vessel,from,to\n1,2,3\n")
    with pytest.raises(ev.LabelError, match="lacks the columns mmsi, start, end"):
        ev.read_labels(p)
    p.write_text("")
    with pytest.raises(ev.LabelError, match="empty"):
        ev.read_labels(p)
    p.write_text("mmsi,start,end\n")
    with pytest.raises(ev.LabelError, match="no labelled row"):
        ev.read_labels(p)
    p.write_bytes(b"mmsi,start,end\n\xff\xfe\n")
    with pytest.raises(ev.LabelError, match="not UTF-8"):
        ev.read_labels(p)
    p.write_text("mmsi\tstart\tend\tkind\n230000000\t1700000000\t2023-11-15T00:00:00+01:00\tnone\n")
    (lb,), bad = ev.read_labels(p)
    assert bad == [] and lb.negative and lb.family == "negative" and lb.end == 1_700_002_800.0
    assert lb.start == 1_700_000_000.0


def test_missing_files_are_usage_errors(tmp_path, recording):
    d, *_ = recording
    r = CliRunner().invoke(app, ["evaluate", str(tmp_path / "none.nmea"), "--incidents", str(d / "labels.csv")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), "--incidents", str(tmp_path / "none.csv")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = CliRunner().invoke(app, ["evaluate", str(d / "drag.nmea"), "--incidents", str(d / "labels.csv"),
                                 "--kind", "nope"])
    assert r.exit_code == 2 and "unknown kind" in r.output
