"""Loitering over assets: slow inside a corridor for 30 minutes, not in port."""
from __future__ import annotations

from shapely.geometry import box

from dkfi.watch.detectors.base import Context
from dkfi.watch.detectors.loitering import LoiteringDetector
from trackkit import Ship, baltic_assets, ports, run


def ctx():
    return Context(assets=baltic_assets(), ports=ports())


def estlink2_point():
    lon, lat = list(baltic_assets().by_name["Estlink 2"].geometry.coords)[2]
    return lat, lon


def test_loitering_on_estlink2():
    lat, lon = estlink2_point()
    s = Ship(273000001, lat, lon, every_s=60)
    s.leg(sog=0.8, cog=90, minutes=50)
    _, emitted = run(LoiteringDetector(), s.positions, ctx())
    assert emitted and emitted[0].status == "open" and emitted[0].asset == "Estlink 2"
    assert emitted[0].measured["duration_min"] >= 30
    assert emitted[-1].status == "closed" and emitted[-1].key == emitted[0].key
    assert emitted[-1].measured["duration_min"] > 45


def test_short_stop_transit_and_far_from_assets():
    lat, lon = estlink2_point()
    s = Ship(273000002, lat, lon, every_s=60)
    s.leg(sog=0.8, cog=90, minutes=20)      # too short
    assert run(LoiteringDetector(), s.positions, ctx())[1] == []
    s = Ship(273000003, lat, lon, every_s=10)
    s.leg(sog=10, cog=90, minutes=40)       # passing through
    assert run(LoiteringDetector(), s.positions, ctx())[1] == []
    s = Ship(273000004, 57.0, 19.0, every_s=60)  # open Baltic, no asset
    s.leg(sog=0.5, cog=0, minutes=60)
    assert run(LoiteringDetector(), s.positions, ctx())[1] == []


def test_watched_area_and_tug_exclusion():
    s = Ship(273000005, 57.0, 19.0, every_s=60)
    s.leg(sog=0.5, cog=0, minutes=60)
    c = ctx()
    c.areas = [("Test box", box(18.9, 56.9, 19.1, 57.1))]
    _, emitted = run(LoiteringDetector(), s.positions, c)
    assert emitted and emitted[0].asset == "Test box"
    lat, lon = estlink2_point()
    t = Ship(273000006, lat, lon, every_s=60)
    t.leg(sog=0.5, cog=0, minutes=60)
    assert run(LoiteringDetector(), [t.static(ship_type=52, length=30)] + t.positions, ctx())[1] == []


def test_moored_at_a_berth_is_not_loitering():
    from dkfi.watch.detectors.loitering import LoiteringDetector
    from trackkit import Ship, baltic_assets, run
    from dkfi.watch.detectors.base import Context

    lon, lat = list(baltic_assets().by_name["Estlink 2"].geometry.coords)[2]
    s = Ship(276000001, lat, lon, every_s=60)
    s.leg(sog=0.0, cog=0, nav_status=5, hours=2)  # a ferry alongside, say, at a terminal the port list lacks
    assert run(LoiteringDetector(), s.positions, Context(assets=baltic_assets()))[1] == []
    t = Ship(276000002, lat, lon, every_s=60)
    t.leg(sog=0.5, cog=0, nav_status=0, hours=2)  # the same place, under way at 0.5 kn: loitering
    assert [e.kind for e in run(LoiteringDetector(), t.positions, Context(assets=baltic_assets()))[1]][:1] == ["loitering"]
