"""The scenario simulator: decodable NMEA with tag-block times, ground truth that matches the geometry."""
from __future__ import annotations

import json

import pytest
from shapely.geometry import Point
from shapely.prepared import prep

from dkfi.maritime.records import Position, Static
from dkfi.sim.scenarios import (
    INCIDENTS, Incident, Scenario, check_lanes, load_land, named_scenario, run_sim_cli, simulate, tag_block,
)
from dkfi.maritime.sources.nmea import iter_nmea, nmea_checksum


def _records(lines):
    return [r for r in iter_nmea(lines, source="sim") if isinstance(r, (Position, Static))]


@pytest.fixture(scope="module")
def mixed():
    sc = Scenario(seed=7, duration_h=4.3, transit=4, ferry=2, fishing=2, anchored=2, leisure=1, thin=3.0,
                  incidents=[Incident("vezhen", 0.2), Incident("rendezvous", 0.0), Incident("ais-gap", 0.0)])
    return simulate(sc)


def test_tag_block_checksum():
    tb = tag_block(1735120800)
    body, cs = tb[1:-1].split("*")
    assert nmea_checksum(body.encode()) == int(cs, 16)
    assert tb == "\\s:dkfi-sim,c:1735120800*" + cs + "\\"


def test_lines_decode_with_times_in_order(mixed):
    items = list(iter_nmea(mixed.lines, source="sim"))
    assert not [i for i in items if type(i).__name__ == "Rejected"]
    recs = [i for i in items if isinstance(i, (Position, Static))]
    pos = [r for r in recs if isinstance(r, Position)]
    assert len(pos) > 500 and any(isinstance(r, Static) for r in recs)
    assert all(r.time_from_message for r in recs)
    times = [r.ts for r in recs]
    assert times == sorted(times)
    sc = mixed.scenario
    assert sc.start <= times[0] and times[-1] <= sc.start + sc.duration_h * 3600
    assert {r.station for r in pos} >= {"A", "B"}
    assert {r.msg_type for r in pos} >= {1, 3, 18}


def test_deterministic_for_a_seed():
    sc = lambda seed: Scenario(seed=seed, duration_h=0.5, transit=3, ferry=1, fishing=1, anchored=1, leisure=1)  # noqa: E731
    a, b, c = simulate(sc(1)), simulate(sc(1)), simulate(sc(2))
    assert a.lines == b.lines and a.truth == b.truth
    assert a.lines != c.lines


def test_routes_and_positions_at_sea(mixed):
    assert all(v == 0 for v in check_lanes().values()), check_lanes()
    land = prep(load_land())
    pos = [r for r in _records(mixed.lines) if isinstance(r, Position)]
    on_land = [(p.mmsi, p.lat, p.lon) for p in pos if land.contains(Point(p.lon, p.lat))]
    assert on_land == []


def test_incidents_cross_intended_assets():
    """Geometry only (no NMEA): each drag crosses the assets of its real case."""
    sc = Scenario(seed=1, duration_h=1.0, transit=0, ferry=0, fishing=0, anchored=0, leisure=0,
                  incidents=[Incident(k) for k in ("eagle-s", "yi-peng-3", "newnew-polar-bear", "vezhen")])
    from dkfi.sim.scenarios import _Sim, load_assets

    sim = _Sim(sc, load_assets(None))
    for inc in sc.incidents:
        sim.incident(inc)
    drags = {t["incident"]: t for t in sim.truth if t["kind"] == "anchor_drag"}
    assert "Estlink 2" in drags["eagle-s"]["assets_crossed"]
    assert any("EESF" in a or "Finland Estonia" in a for a in drags["eagle-s"]["assets_crossed"])
    assert {"BCS East-West Interlink", "C-Lion1"} <= set(drags["yi-peng-3"]["assets_crossed"])
    assert any(a.startswith("Balticconnector") for a in drags["newnew-polar-bear"]["assets_crossed"])
    assert "Sweden-Estonia (EE-S 1)" in drags["newnew-polar-bear"]["assets_crossed"]
    assert "Latvia-Sweden 1 (LV-SE 1)" in drags["vezhen"]["assets_crossed"]
    for name, t in drags.items():
        tpl = INCIDENTS[name]
        assert t["start"] < t["t_10km"] < t["end"]
        # 10 km at the drag speed
        assert t["t_10km"] - t["start"] == pytest.approx(10_000 / (tpl["drag_kn"] * 1852 / 3600), rel=0.02)
        assert all(t["start"] <= c["ts"] <= t["end"] for c in t["crossings"])
    gaps = [t for t in sim.truth if t["kind"] == "ais_gap"]
    assert {g["incident"] for g in gaps} == {"yi-peng-3", "newnew-polar-bear"}


def test_drag_reports_match_truth():
    sc = Scenario(seed=2, duration_h=5.0, transit=0, ferry=0, fishing=0, anchored=0, leisure=0, thin=3.0,
                  incidents=[Incident("vezhen", 0.0)])
    res = simulate(sc)
    t = res.truth[0]
    pos = [r for r in _records(res.lines) if isinstance(r, Position) and r.mmsi == t["mmsi"]]
    during = [p for p in pos if t["start"] + 60 < p.ts < t["end"] - 60]
    before = [p for p in pos if p.ts < t["start"] - 60]
    assert during and before
    assert all(4.5 < p.sog < 7.5 for p in during)          # 6 kn drag
    assert all(10 < p.sog < 12 for p in before)             # 11 kn service speed
    assert all(p.nav_status == 0 for p in during)           # "under way" while dragging
    assert max(abs((p.cog - p.heading + 180) % 360 - 180) for p in during) < 20
    gaps = [b.ts - a.ts for a, b in zip(pos, pos[1:])]
    assert max(gaps) < 60                                   # 10 s x thin 3, no gap


def test_ais_gap_and_rendezvous_in_the_data(mixed):
    pos = [r for r in _records(mixed.lines) if isinstance(r, Position)]
    gap = next(t for t in mixed.truth if t["kind"] == "ais_gap")
    g = [p.ts for p in pos if p.mmsi == gap["mmsi"]]
    assert not [ts for ts in g if gap["start"] + 1 < ts < gap["end"] - 1]
    assert any(ts <= gap["start"] + 1 for ts in g) and any(ts >= gap["end"] - 1 for ts in g)
    assert 3600 <= gap["duration_s"] <= 3 * 3600 + 600
    enc = next(t for t in mixed.truth if t["kind"] == "encounter")
    a = {round(p.ts / 300): p for p in pos if p.mmsi == enc["mmsi"] and enc["start"] < p.ts < enc["end"]}
    b = {round(p.ts / 300): p for p in pos if p.mmsi == enc["other_mmsi"] and enc["start"] < p.ts < enc["end"]}
    from dkfi.watch.detectors.base import haversine_m

    common = set(a) & set(b)
    assert len(common) > 10
    assert max(haversine_m(a[k].lat, a[k].lon, b[k].lat, b[k].lon) for k in common) < 300


def test_run_sim_cli(tmp_path):
    out = run_sim_cli(tmp_path / "bg", "background", seed=3, vessels=4, hours=0.5)
    assert (tmp_path / "bg.nmea").exists() and out["incidents"] == 0 and out["lines"] > 0
    doc = json.loads((tmp_path / "bg.truth.json").read_text())
    assert doc["synthetic"] is True and doc["incidents"] == [] and len(doc["vessels"]) == 4
    sc = named_scenario("eagle-s", vessels=0, hours=1)
    assert sc.duration_h > 9 and [i.template for i in sc.incidents] == ["eagle-s"]
    with pytest.raises(ValueError):
        named_scenario("nope")


def test_background_raises_no_spoofing_or_identity_events(mixed):
    from dkfi.watch.assets import LandIndex
    from dkfi.watch.detectors.base import Context, DetectionEngine
    from dkfi.watch.detectors.identity_change import IdentityChangeDetector
    from dkfi.watch.detectors.spoofing import SpoofingDetector

    eng = DetectionEngine([SpoofingDetector(), IdentityChangeDetector()], Context(land=LandIndex()))
    for r in _records(mixed.lines):
        eng.process(r)
    eng.finish()
    assert eng.final_events() == []
