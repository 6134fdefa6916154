"""The maritime HTTP API on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import login

from dkfi.maritime.api import store_of
from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import Position, Static

T0 = 1_384_257_600.0  # 2013-11-12T12:00:00Z


@pytest.fixture
def client(db_url):
    from dkfi.web.app import create_app

    app = create_app(db_url)
    pipe = Pipeline(store_of(app))
    pipe.feed([
        Position(ts=T0, mmsi=219000001, lat=55.5, lon=11.0, sog=12.0, cog=90.0, heading=91, nav_status=0,
                 station="A", source="t", msg_type=1),
        Position(ts=T0 + 60, mmsi=219000001, lat=55.5, lon=11.05, sog=12.0, cog=90.0, heading=91,
                 nav_status=0, station="A", source="t", msg_type=1),
        Position(ts=T0 + 5, mmsi=230000002, lat=60.1, lon=24.9, sog=0.0, nav_status=5, station="A",
                 source="t", msg_type=1),
        Static(ts=T0, mmsi=219000001, name="EAGLE TEST", imo=9329760, ship_type=80, callsign="OZAB",
               station="A"),
    ])
    pipe.flush()
    with TestClient(app) as c:
        login(c, db_url)
        yield c


def test_vessels_geojson_and_bbox(client):
    fc = client.get("/api/vessels").json()
    assert fc["type"] == "FeatureCollection"
    assert {f["id"] for f in fc["features"]} == {219000001, 230000002}
    danish = client.get("/api/vessels", params={"bbox": "7.5,54,16.5,58"}).json()
    [f] = danish["features"]
    assert f["geometry"]["coordinates"] == [11.05, 55.5]
    props = f["properties"]
    assert props["name"] == "EAGLE TEST" and props["ship_type"] == 80 and props["sog"] == 12.0
    assert props["time"] == "2013-11-12T12:01:00Z"
    assert set(props) >= {"mmsi", "name", "ship_type", "sog", "cog", "heading", "nav_status", "time"}


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,60,5,50", "0,0,200,10"])
def test_bad_bbox_is_a_clear_422(client, bbox):
    r = client.get("/api/vessels", params={"bbox": bbox})
    assert r.status_code == 422
    assert "bbox" in r.json()["detail"]


def test_vessel_detail_with_label(client):
    v = client.get("/api/vessels/219000001").json()
    assert v["name"] == "EAGLE TEST" and v["imo"] == 9329760 and v["ship_type_text"] == "Tanker"
    assert v["nav_status_text"] == "Under way using engine"
    assert v["label"] == {"classification": "UNCLASSIFIED", "releasable_to": ["DNK", "FIN"], "policy": "NATO", "categories": [],
                          "owner_nation": "DNK"}
    assert client.get("/api/vessels/123456789").status_code == 404


def test_track(client):
    fc = client.get("/api/vessels/219000001/track").json()
    line = fc["features"][0]
    assert line["geometry"]["type"] == "LineString"
    assert line["geometry"]["coordinates"] == [[11.0, 55.5], [11.05, 55.5]]
    assert [f["properties"]["time"] for f in fc["features"][1:]] == ["2013-11-12T12:00:00Z", "2013-11-12T12:01:00Z"]
    part = client.get("/api/vessels/219000001/track",
                      params={"start": "2013-11-12T12:00:30Z", "end": "2013-11-12T12:05:00Z"}).json()
    assert len(part["features"]) == 1  # one point: no line
    r = client.get("/api/vessels/219000001/track", params={"start": "yesterday"})
    assert r.status_code == 422 and "start" in r.json()["detail"]


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/vessels", "/api/vessels/{mmsi}", "/api/vessels/{mmsi}/track", "/api/stream/positions"} <= set(paths)
