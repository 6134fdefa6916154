"""Asset registry geometry: loading, corridors, crossings, land and ports."""
from __future__ import annotations

import json
import time

import pytest

from dkfi.watch.assets import (LandIndex, PortIndex, default_assets_path, load_assets_geojson,
                                  project)
from dkfi.watch.detectors.base import haversine_m
from trackkit import baltic_assets, destination
from tests.conftest import SHARED, need_shared

SHARED_GEO = SHARED / "data" / "geo"


def test_packaged_assets_load_with_kinds():
    assets = load_assets_geojson(default_assets_path())
    kinds = {a.kind for a in assets}
    assert kinds == {"cable", "pipeline", "power"}
    names = {a.name for a in assets}
    assert {"C-Lion1", "Estlink 2"} <= names
    assert all(a.corridor_m == 1852.0 and 1 <= a.criticality <= 3 for a in assets)


def test_tolerant_properties_and_skips(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"Name": "A", "kind": "telecom", "owners": "X, Y", "corridor_m": 500},
         "geometry": {"type": "LineString", "coordinates": [[20, 58], [21, 58]]}},
        {"type": "Feature", "properties": {"title": "B", "criticality": 3},
         "geometry": {"type": "MultiLineString", "coordinates": [[[20, 59], [21, 59]]]}},
        {"type": "Feature", "properties": {"name": "P"}, "geometry": {"type": "Point", "coordinates": [20, 58]}},
        {"type": "Feature", "properties": {"name": "N"}, "geometry": None},
    ]}
    stats = {}
    assets = load_assets_geojson(fc, stats=stats)
    assert [a.name for a in assets] == ["A", "B"] and stats == {"skipped": 2, "loaded": 2}
    assert assets[0].kind == "cable" and assets[0].owners == ("X", "Y") and assets[0].corridor_m == 500
    assert assets[1].criticality == 3
    p = tmp_path / "pipelines_demo.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": fc["features"][:1]}))
    a = load_assets_geojson(p, default_corridor_m=1000)[0]
    assert a.kind == "cable"  # an explicit kind property wins over the file name
    fc["features"][0]["properties"].pop("kind")
    p.write_text(json.dumps(fc))
    assert load_assets_geojson(p)[0].kind == "pipeline"  # guessed from the file name
    bad = tmp_path / "broken.geojson"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="broken.geojson"):
        load_assets_geojson(bad)


def test_shared_source_files_load():
    for rel, kind in (("cables/baltic_telecom_cables.geojson", "cable"),
                      ("pipelines/gem_pipelines_baltic_offshore.geojson", "pipeline"),
                      ("power/baltic_hvdc_links_entsoe_gridkit.geojson", "power")):
        path = SHARED_GEO / rel
        need_shared(path)
        assets = load_assets_geojson(path)
        assert assets and {a.kind for a in assets} == {kind}


def test_projection_error_is_small():
    # distances on the plane vs great circle, across the Baltic box
    for (la1, lo1), (la2, lo2) in [((54.5, 10.5), (54.6, 10.6)), ((65.5, 24.0), (65.4, 24.2)),
                                   ((59.9, 26.0), (59.95, 26.1)), ((58.0, 20.0), (58.0, 21.0))]:
        x1, y1 = project(la1, lo1)
        x2, y2 = project(la2, lo2)
        plane = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        assert abs(plane / haversine_m(la1, lo1, la2, lo2) - 1) < 0.004


def test_near_corridor_and_order():
    idx = baltic_assets()
    e2 = idx.by_name["Estlink 2"]
    lon, lat = list(e2.geometry.coords)[2]  # a vertex of the route in mid-gulf
    on = idx.near(lat, lon)
    assert on and on[0][0].name == "Estlink 2" and on[0][1] < 1.0
    assert [d for _, d in on] == sorted(d for _, d in on)
    lat2, lon2 = destination(lat, lon, 90, 1500)
    assert "Estlink 2" in [a.name for a, _ in idx.near(lat2, lon2)]
    lat3, lon3 = destination(lat, lon, 90, 3000)
    assert "Estlink 2" not in [a.name for a, _ in idx.near(lat3, lon3)]
    assert "Estlink 2" in [a.name for a, _ in idx.near(lat3, lon3, within_m=5000)]
    assert "Estlink 2" in [a.name for a, _ in idx.near(lat3, lon3, within_m=20_000)]  # slow path
    assert idx.near(57.0, 19.0) == [] or all(d <= a.corridor_m for a, d in idx.near(57.0, 19.0))


def test_near_matches_shapely_everywhere():
    from shapely.geometry import Point
    import random

    idx = baltic_assets()
    rnd = random.Random(1)
    for _ in range(1500):
        lat, lon = rnd.uniform(54, 66), rnd.uniform(10, 30)
        got = {a.name for a, _ in idx.near(lat, lon)}
        x, y = project(lat, lon)
        want = {a.name for a, g in zip(idx.assets, idx.projected) if g.distance(Point(x, y)) <= a.corridor_m}
        assert got == want


def test_crossings():
    idx = baltic_assets()
    # a north-south leg across the Gulf of Finland at 26.2 E crosses Estlink 2 ...
    names = [a.name for a in idx.crossings((59.6, 26.2), (60.3, 26.2))]
    assert "Estlink 2" in names
    # ... and a short segment crossing it is found by the fast path, with a position object too
    lon, lat = list(idx.by_name["Estlink 2"].geometry.coords)[2]
    a = destination(lat, lon, 300, 200)
    b = destination(lat, lon, 120, 200)
    assert "Estlink 2" in [x.name for x in idx.crossings(a, b)]
    assert idx.crossings(a, a) == [] or all(x.name != "Nothing" for x in idx.crossings(a, a))
    # a segment running beside it does not
    a2 = destination(lat, lon, 55, 600)
    c = destination(*a2, 325, 300)
    assert "Estlink 2" not in [x.name for x in idx.crossings(a2, c)]


def test_land_and_ports():
    land = LandIndex()
    assert land.on_land(60.5, 25.5)          # inland Finland
    assert not land.on_land(59.8, 24.9)      # Gulf of Finland
    assert not land.on_land(57.0, 19.0)      # open Baltic
    assert not land.on_land(60.166667, 24.966667)  # Helsinki (World Port Index point)
    assert not land.on_land(59.450128, 24.766676)  # Tallinn old harbour
    ports = PortIndex()
    assert len(ports) > 300
    hel = ports.near_port(60.16, 24.95, radius_m=5000)
    assert hel is not None and hel.name == "Helsinki"
    assert ports.near_port(57.0, 19.0) is None


def test_near_is_fast():
    import random

    idx = baltic_assets()
    rnd = random.Random(2)
    pts = [(rnd.uniform(59.4, 60.3), rnd.uniform(22.0, 27.5)) for _ in range(5_000)]
    for lat, lon in pts:  # warm the cell cache
        idx.near(lat, lon)
    t = time.perf_counter()
    for lat, lon in pts:
        idx.near(lat, lon)
    per_call = (time.perf_counter() - t) / len(pts)
    assert per_call < 50e-6, per_call
