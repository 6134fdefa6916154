"""The scenario library: every family generates, decodes, stays at sea, and its ships move as the family says."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from shapely.geometry import Point
from shapely.prepared import prep
from typer.testing import CliRunner

from dkfi.maritime.records import Position, Static
from dkfi.maritime.sources.nmea import iter_nmea
from dkfi.sim import library as lib
from dkfi.sim.anchor import drifting_drag, under_way_drag
from dkfi.sim.scenarios import load_land
from dkfi.watch.detectors.base import angle_diff

NEGATIVES = ["ice-convoy", "ice-channel", "anchor-swing", "pilot-boarding", "tss-slowdown", "heavy-weather",
             "fishing-dredging", "cable-work", "sar", "fog"]
POSITIVES = ["drag-fast", "drag-slow", "drag-night", "drag-after-turn", "drag-first-seen", "drag-under-way-status",
             "drag-pause-resume", "drag-ais-gap"]


def _positions(res) -> list[Position]:
    return [r for r in iter_nmea(res.lines, source="sim") if isinstance(r, Position)]


def test_every_family_of_the_issue_with_three_named_scenarios():
    fams = lib.families()
    assert set(NEGATIVES) <= set(fams) and set(POSITIVES) <= set(fams)
    assert {f.truth for n, f in fams.items() if n in NEGATIVES} == {"negative"}
    assert {f.truth for n, f in fams.items() if n in POSITIVES} == {"anchor_drag"}
    names = lib.library_names()
    for f in fams:
        assert [n for n in names if n.rsplit("-", 1)[0] == f] == [f"{f}-1", f"{f}-2", f"{f}-3"]
    assert lib.parse_name("ice-convoy-2") == lib.Spec("ice-convoy", 2)
    assert lib.parse_name("eagle-s") is None and lib.parse_name("nope-1") is None


def test_the_simulator_knows_no_detector():
    """Scenarios come from seamanship: no module of the library reads a detector's class or thresholds."""
    root = Path(lib.__file__).parent
    for name in ("library.py", "anchor.py", "negatives.py", "positives.py"):
        text = (root / name).read_text()
        imports = re.findall(r"^\s*(?:from|import) (\S+)", text, flags=re.M)
        assert not [m for m in imports if m.startswith("dkfi.watch") and m != "dkfi.watch.detectors.base"], name
        assert "Detector" not in text and "sog_max_kn" not in text and "max_speed_ratio" not in text, name


@pytest.mark.parametrize("fam", NEGATIVES + POSITIVES)
def test_family_generates_decodable_deterministic_reports_at_sea(fam):
    a, b = lib.build(lib.Spec(fam, 1)), lib.build(lib.Spec(fam, 1))
    assert a.lines == b.lines and a.truth == b.truth
    assert lib.build(lib.Spec(fam, 2)).lines != a.lines
    items = list(iter_nmea(a.lines, source="sim"))
    assert not [i for i in items if type(i).__name__ == "Rejected"]
    pos = [i for i in items if isinstance(i, Position)]
    assert pos and any(isinstance(i, Static) for i in items)
    assert [p.ts for p in pos] == sorted(p.ts for p in pos)
    land = prep(load_land())
    assert not [p for p in pos[::5] if land.contains(Point(p.lon, p.lat))]
    if fam in NEGATIVES:
        assert a.truth == [] and a.negative_mmsis == {v["mmsi"] for v in a.vessels}
    else:
        (t,) = a.truth
        assert t["kind"] == "anchor_drag" and t["start"] < t["end"] and t["nav_status"] == 0
        assert a.negative_mmsis and t["mmsi"] not in a.negative_mmsis


def _during(res, t) -> list[Position]:
    return [p for p in _positions(res) if p.mmsi == t["mmsi"] and t["start"] + 300 < p.ts < t["end"] - 60]


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_drag_follows_the_anchor_model(seed):
    """Under way with the anchor dragging: the heading departs from the COG and the speed surges."""
    res = lib.build(lib.Spec("drag-night", seed))
    (t,) = res.truth
    during = _during(res, t)
    yaw = sorted(angle_diff(p.cog, p.heading) for p in during)
    assert yaw[len(yaw) // 2] > 8.0
    sogs = [p.sog for p in during]
    mean = sum(sogs) / len(sogs)
    cv = math.sqrt(sum((v - mean) ** 2 for v in sogs) / len(sogs)) / mean
    assert cv > 0.08
    assert 2.0 < mean < t["service_speed_kn"] * 0.8
    assert all(p.nav_status == 0 for p in during)
    # and it starts from 20:00-03:00 UTC
    hour = (t["start"] % 86400) / 3600
    assert hour >= 20 or hour <= 3


def test_anchor_model_physics():
    import random

    m = under_way_drag(random.Random(1), course=90.0, mean_kn=6.0, wind_from=0.0)  # wind from the north
    sogs = [m.ground(t)[0] for t in range(0, 3600, 10)]
    assert 4.5 < sum(sogs) / len(sogs) < 7.5 and max(sogs) - min(sogs) > 1.5
    cogs = [m.ground(t)[1] for t in range(0, 3600, 10)]
    assert all(c > 90.0 for c in cogs) and sorted(cogs)[len(cogs) // 2] < 105.0  # crabbing down-wind (south)
    heads = [m.heading(t) for t in range(0, 3600, 10)]
    assert sum(heads) / len(heads) < 90.0                   # the bow held up-wind of the course
    d = drifting_drag(random.Random(2), wind_from=270.0, mean_kn=2.0)
    assert all(angle_diff(d.ground(t)[1], 90.0) < 1.0 for t in range(0, 600, 30))  # blown down-wind
    assert all(angle_diff(d.heading(t), 270.0) <= 40.0 for t in range(0, 600, 30))  # head to wind


def test_first_seen_gap_and_pause_are_in_the_data():
    first = lib.build(lib.Spec("drag-first-seen", 1))
    (t,) = first.truth
    mine = [p.ts for p in _positions(first) if p.mmsi == t["mmsi"]]
    assert t["first_seen_dragging"] and min(mine) >= t["start"] - 1
    gap = lib.build(lib.Spec("drag-ais-gap", 1))
    (t,) = gap.truth
    (d0, d1), = t["dark"]
    mine = [p.ts for p in _positions(gap) if p.mmsi == t["mmsi"]]
    assert not [ts for ts in mine if d0 + 1 < ts < d1 - 1] and d1 - d0 >= 600
    pause = lib.build(lib.Spec("drag-pause-resume", 1))
    (t,) = pause.truth
    during = [p for p in _positions(pause) if p.mmsi == t["mmsi"] and t["start"] < p.ts < t["end"]]
    assert t["paused_s"] >= 600 and sum(1 for p in during if p.sog < 0.8) >= 20


def test_negative_families_move_as_their_trade():
    conv = lib.build(lib.Spec("ice-convoy", 1))
    roles = {v["role"] for v in conv.vessels}
    assert roles == {"icebreaker", "column"}
    ib = next(v for v in conv.vessels if v["role"] == "icebreaker")
    from dkfi.watch.context import ICEBREAKER_NAMES

    assert ib["name"] in ICEBREAKER_NAMES
    swing = lib.build(lib.Spec("anchor-swing", 1))
    pos = _positions(swing)
    assert any(p.nav_status == 1 and p.sog > 3 for p in pos)            # a GNSS speed spike at anchor
    fish = lib.build(lib.Spec("fishing-dredging", 1))
    types = {v["ship_type"] for v in fish.vessels}
    assert {30, 33} <= types
    assert {p.nav_status for p in _positions(fish)} >= {3, 7}
    cable = lib.build(lib.Spec("cable-work", 2))
    assert 3 in {p.nav_status for p in _positions(cable)}                # restricted in ability to manoeuvre


def test_sim_cli_lists_and_runs_library_scenarios(tmp_path):
    from dkfi.sim.cli import app

    r = CliRunner().invoke(app, ["list", "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.output.splitlines()]
    lib_rows = [x for x in rows if x["family"] != "incident"]
    assert len(lib_rows) == 3 * len(lib.families())
    assert {x["truth"] for x in lib_rows} == {"negative", "anchor_drag"}
    r = CliRunner().invoke(app, ["run", "drag-slow-2", "--out", str(tmp_path / "d"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["expected"] == "anchor_drag" and out["incidents"] == 1
    doc = json.loads((tmp_path / "d.truth.json").read_text())
    assert doc["family"] == "drag-slow" and doc["synthetic"] and doc["incidents"][0]["kind"] == "anchor_drag"
    assert (tmp_path / "d.nmea").read_text().count("\n") == out["lines"]
    r = CliRunner().invoke(app, ["run", "no-such-family-1", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "library scenario" in r.output
