"""Asset files with lines and areas: what loads, what is skipped and why, and how the detectors see areas."""
from __future__ import annotations

import json
import math
import random

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from typer.testing import CliRunner

from dkfi.watch.assets import (AssetFileError, AssetIndex, default_assets_path, load_assets, load_assets_geojson,
                               project)
from dkfi.watch.detectors.anchor_drag import AnchorDragDetector
from dkfi.watch.detectors.base import Context
from tests.conftest import login
from tests.watch.detectors.trackkit import Ship, destination, ports, run

# a wind farm in the open Baltic south of Gotland, about 12.5 x 11 km, with a 2.5 x 2.2 km hole (a shipping gap)
FARM = [[[18.9, 55.95], [19.1, 55.95], [19.1, 56.05], [18.9, 56.05], [18.9, 55.95]],
        [[18.98, 55.99], [19.02, 55.99], [19.02, 56.01], [18.98, 56.01], [18.98, 55.99]]]
PLATFORMS = [[[[20.0, 56.0], [20.01, 56.0], [20.01, 56.01], [20.0, 56.0]]],
             [[[20.1, 56.1], [20.11, 56.1], [20.11, 56.11], [20.1, 56.11], [20.1, 56.1]]]]


def feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection() -> dict:
    return {"type": "FeatureCollection", "features": [
        feature({"type": "LineString", "coordinates": [[20, 58], [21, 58]]}, name="Cable A", kind="telecom"),   # 0
        feature({"type": "MultiLineString", "coordinates": [[[20, 59], [21, 59]], [[21, 59], [22, 59.5]]]},    # 1
                name="Pipe B", kind="gas pipeline"),
        feature({"type": "Polygon", "coordinates": FARM}, name="Wind Farm W", kind="offshore wind farm"),       # 2
        feature({"type": "MultiPolygon", "coordinates": PLATFORMS}, name="Platforms P", kind="platform",        # 3
                corridor_m=500),
        feature({"type": "Point", "coordinates": [20, 58]}, name="Buoy"),                                       # 4
        feature(None, name="Ghost"),                                                                            # 5
        feature({"type": "LineString", "coordinates": [[20, 57], [float("nan"), 57]]}, name="NaN cable"),       # 6
        feature({"type": "LineString", "coordinates": [[20, 57], [21, 95]]}, name="Polar cable"),               # 7
        feature({"type": "GeometryCollection", "geometries": []}, name="Bag"),                                  # 8
        feature({"type": "LineString", "coordinates": [[20, 57]]}, name="Stub"),                                # 9
        {"type": "Feature", "id": "EE-X1", "properties": {"kind": "power"},                                     # 10
         "geometry": {"type": "LineString", "coordinates": [[24, 59], [25, 60]]}},
        feature({"type": "LineString", "coordinates": [[22, 58], [23, 58]]}, name="Wide", corridor_m="wide"),   # 11
        "not a feature",                                                                                        # 12
    ]}


def test_lines_and_areas_load_and_every_skip_has_its_reason(tmp_path):
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(collection()))  # NaN written as the NaN literal, which Python's json reads back
    got = load_assets(path)
    assert [a.name for a in got.assets] == ["Cable A", "Pipe B", "Wind Farm W", "Platforms P", "EE-X1", "Wide"]
    by = {a.name: a for a in got.assets}
    assert [by[n].kind for n in ("Cable A", "Pipe B", "Wind Farm W", "Platforms P", "EE-X1")] == \
        ["cable", "pipeline", "wind_farm", "platform", "power"]
    assert by["Pipe B"].geometry.geom_type == "MultiLineString"  # one asset, both parts
    assert by["Wind Farm W"].is_area and by["Platforms P"].is_area and not by["Cable A"].is_area
    assert by["Platforms P"].corridor_m == 500 and by["Wind Farm W"].corridor_m == 1852
    assert by["EE-X1"].id == "EE-X1"  # no name: named after its id
    reasons = {s.index: (s.name, s.reason) for s in got.skipped}
    assert set(reasons) == {4, 5, 6, 7, 8, 9, 12}
    assert reasons[4] == ("Buoy", "Point geometry is not an asset (lines and areas are)")
    assert reasons[5] == ("Ghost", "no geometry")
    assert "finite" in reasons[6][1] and reasons[6][0] == "NaN cable"
    assert "latitude 95 is outside -90..90" in reasons[7][1]
    assert "unsupported geometry type 'GeometryCollection'" in reasons[8][1]
    assert reasons[9][1].startswith("invalid LineString")
    assert "not a GeoJSON Feature" in reasons[12][1]
    assert str(got.skipped[0]) == "feature 4 'Buoy': Point geometry is not an asset (lines and areas are)"
    # the bad corridor is replaced by the default and said so
    assert by["Wide"].corridor_m == 1852 and [n.index for n in got.notes] == [11]
    assert "corridor_m 'wide'" in got.notes[0].reason
    assert got.counts() == {"cable": 2, "pipeline": 1, "power": 1, "wind_farm": 1, "platform": 1}
    assert got.summary() == "6 loaded (2 cables, 1 pipeline, 1 power link, 1 wind farm, 1 platform), 7 skipped"
    # the old interface: a list, and the counts in ``stats``
    stats: dict = {}
    assert [a.name for a in load_assets_geojson(path, stats=stats)] == [a.name for a in got.assets]
    assert stats == {"loaded": 6, "skipped": 7}


def test_self_intersecting_polygon_is_repaired_and_noted():
    bowtie = {"type": "Polygon", "coordinates": [[[20, 56], [20.1, 56.1], [20.1, 56], [20, 56.1], [20, 56]]]}
    got = load_assets({"type": "FeatureCollection", "features": [feature(bowtie, name="Bowtie", kind="area")]})
    [a] = got.assets
    assert a.kind == "area" and a.geometry.is_valid and a.geometry.area > 0
    assert "repaired" in got.notes[0].reason and not got.skipped


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a GeoJSON FeatureCollection"),
    ('{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}', "not a GeoJSON FeatureCollection"),
])
def test_unreadable_files_are_clear_errors_naming_the_file(tmp_path, text, message):
    path = tmp_path / "broken.geojson"
    path.write_text(text)
    with pytest.raises(AssetFileError, match=f"broken.geojson.*{message}"):
        load_assets(path)
    with pytest.raises(ValueError, match="broken.geojson"):  # old callers catch ValueError
        load_assets_geojson(path)


def test_bundled_set_is_unchanged():
    got = load_assets(default_assets_path())
    assert len(got.assets) == 91 and not got.skipped and not got.notes
    assert got.counts() == {"cable": 53, "pipeline": 19, "power": 19}


# ---- areas in the index ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def index() -> AssetIndex:
    return AssetIndex(load_assets(collection()))


def test_inside_an_area_is_distance_zero_and_in_the_corridor(index):
    hits = index.near(55.97, 18.95)  # inside the wind farm
    assert hits and hits[0][0].name == "Wind Farm W" and hits[0][1] == 0.0
    assert index.nearest(55.97, 18.95)[1] == 0.0
    # in the hole: outside the farm, about 1.1 km from its inner edge, still in its corridor
    [(farm, d)] = index.near(56.0, 19.0)
    assert farm.name == "Wind Farm W" and 1000 < d < 1300
    # 1 km west of the farm: in the corridor; 3 km west: only within 5 km
    lat, lon = destination(56.0, 18.9, 270, 1000)
    assert [(a.name, round(d, -1)) for a, d in index.near(lat, lon)] == [("Wind Farm W", 1000.0)]
    lat, lon = destination(56.0, 18.9, 270, 3000)
    assert index.near(lat, lon) == []
    assert [a.name for a, _ in index.near(lat, lon, within_m=5000)] == ["Wind Farm W"]
    assert [a.name for a, _ in index.near(lat, lon, within_m=20_000)] == ["Wind Farm W"]  # the slow path


def test_a_large_area_answers_from_cells_wholly_inside():
    sea = feature({"type": "Polygon", "coordinates": [[[17, 55], [19, 55], [19, 56.5], [17, 56.5], [17, 55]]]},
                  name="Exercise area")
    idx = AssetIndex(load_assets({"type": "FeatureCollection", "features": [sea]}))
    assert idx.near(55.75, 18.0) == [(idx.assets[0], 0.0)]
    assert any(area is True for entries in idx._cells.values() for _, _, area in entries)


def test_near_matches_shapely_around_the_areas(index):
    rnd = random.Random(3)
    for _ in range(3000):
        lat, lon = rnd.uniform(55.9, 56.15), rnd.uniform(18.85, 20.15)
        got = {a.name: d for a, d in index.near(lat, lon)}
        x, y = project(lat, lon)
        want = {a.name: g.distance(Point(x, y)) for a, g in zip(index.assets, index.projected)
                if g.distance(Point(x, y)) <= a.corridor_m}
        assert got.keys() == want.keys(), (lat, lon)
        assert all(math.isclose(got[k], want[k], abs_tol=1e-6) for k in got)


def test_entering_an_area_is_a_crossing(index):
    # from 6 km west of the farm into it: one crossing, at its western edge
    [(a, frac)] = index.crossing_points((56.02, 18.8), (56.02, 18.95))
    assert a.name == "Wind Farm W" and math.isclose(frac, 0.1 / 0.15, rel_tol=1e-3)
    assert index.crossings((56.02, 18.8), (56.02, 19.3))[0].name == "Wind Farm W"  # right through it
    assert index.crossings((55.97, 18.93), (55.97, 18.95)) == []  # moving about inside: no new crossing
    assert index.crossings((56.02, 19.05), (56.02, 19.2)) == []    # leaving it
    # a short step over the edge (the grid-cache path)
    assert [x.name for x in index.crossings((56.02, 18.8999), (56.02, 18.9001))] == ["Wind Farm W"]


def test_anchor_drag_across_a_wind_farm_is_detected(index):
    s = Ship(518998865, 56.02, 18.0)
    s.leg(sog=12, cog=90, hours=1.5)            # service speed, towards the farm
    s.leg(sog=6.5, cog=90, heading=80, km=50)   # anchor down: slower, yawing, dragging through the farm
    _, emitted = run(AnchorDragDetector(), [s.static(ship_type=80, length=228)] + s.positions,
                     Context(assets=index, ports=ports()))
    assert emitted
    final = emitted[-1].measured
    assert final["assets_crossed"] == ["Wind Farm W"]
    assert final["crossings"][0]["kind"] == "wind_farm" and final["crossings"][0]["lon"] == pytest.approx(18.9)


def test_every_detector_runs_over_areas(index):
    from dkfi.watch.assets import LandIndex
    from dkfi.watch.service import WatchRunner

    ctx = Context(assets=index, ports=ports(), land=LandIndex())
    runner = WatchRunner(ctx)
    drifter = Ship(518998866, 55.97, 18.76)
    drifter.leg(sog=11, cog=90, hours=0.5)                      # into the farm
    drifter.leg(sog=0.5, cog=90, hours=1.0)                     # stopped inside it
    drifter.leg(sog=3, cog=0, heading=90, minutes=20)           # drifting sideways
    dragger = Ship(518998867, 56.02, 18.0)
    dragger.leg(sog=12, cog=90, hours=1.5).leg(sog=6.5, cog=90, km=50)
    records = [drifter.static(ship_type=80), dragger.static(ship_type=80)] + drifter.positions + dragger.positions
    runner.run(sorted(records, key=lambda r: r.ts))
    runner.finish()
    events = runner.events()
    assert {e.kind for e in events} >= {"anchor_drag", "loitering", "drift"}
    [loiter] = [e for e in events if e.kind == "loitering"]
    assert loiter.asset == "Wind Farm W" and loiter.measured["asset_distance_m"] == 0.0
    assert {a.mmsi for a in runner.alerts() if a.asset == "Wind Farm W"} == {518998866, 518998867}


# ---- the CLI and the API ------------------------------------------------------------------------------------

def test_cli_assets_prints_counts_and_skips(tmp_path):
    from dkfi.cli.main import app

    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(collection()))
    r = CliRunner().invoke(app, ["watch", "assets", str(path)])
    assert r.exit_code == 0, r.output
    assert "6 loaded (2 cables, 1 pipeline, 1 power link, 1 wind farm, 1 platform), 7 skipped" in r.stdout
    assert "feature 4 'Buoy': Point geometry is not an asset" in r.stdout
    assert "feature 5 'Ghost': no geometry" in r.stdout
    r = CliRunner().invoke(app, ["watch", "assets", str(path), "--json"])
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["count"] == 6 and d["kinds"]["wind_farm"] == 1
    assert {s["index"] for s in d["skipped"]} == {4, 5, 6, 7, 8, 9, 12}
    # nothing usable: exit 1 with a message; not JSON: exit 1 naming the file; missing: a usage error
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": collection()["features"][4:6]}))
    r = CliRunner().invoke(app, ["watch", "assets", str(points)])
    assert r.exit_code == 1 and "no feature is a usable asset" in r.stderr and "0 loaded" in r.stdout
    (tmp_path / "bad.geojson").write_text("{")
    r = CliRunner().invoke(app, ["watch", "assets", str(tmp_path / "bad.geojson")])
    assert r.exit_code == 1 and "bad.geojson: not valid JSON" in r.stderr
    r = CliRunner().invoke(app, ["watch", "assets", str(tmp_path / "nope.geojson")])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["watch", "assets"])  # the bundled set
    assert r.exit_code == 0 and "91 loaded (53 cables, 19 pipelines, 19 power links), 0 skipped" in r.stdout


def test_api_assets_summary(tmp_path):
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path / 'dkfi.sqlite'}"
    with TestClient(create_app(url)) as c:
        assert c.get("/api/assets").status_code == 401
        login(c, url)
        r = c.get("/api/assets")
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["source"] == "assets.geojson" and d["count"] == 91
        assert d["kinds"] == {"cable": 53, "pipeline": 19, "power": 19}
        assert d["skipped"] == [] and d["notes"] == []
