"""Anchor drag: a slow drag across Gulf of Finland cables fires early; service-speed transits do not."""
from __future__ import annotations

from dkfi.watch.detectors.anchor_drag import AnchorDragDetector
from dkfi.watch.detectors.base import Context
from dkfi.watch.detectors.base import haversine_m
from trackkit import Ship, baltic_assets, destination, ports, run, track_km

# Westbound down the Gulf of Finland from off Kotka, on the Eagle S line: the track runs along
# Nord Stream and crosses Estlink 2 and the Finland-Estonia telecom cables towards Porkkala.
START = (59.97, 27.3)


def ctx():
    return Context(assets=baltic_assets(), ports=ports())


def drag_voyage(drag_sog=6.5, drag_km=120.0):
    s = Ship(518998865, *START)
    s.leg(sog=12, cog=262, hours=1.5)                       # service speed
    drag_start = s.ts
    s.leg(sog=drag_sog, cog=262, heading=252, km=drag_km)   # anchor down: slower, yawing 10 deg
    return s, drag_start


def test_drag_fires_before_10_km_and_collects_crossings():
    s, t_drag = drag_voyage()
    _, emitted = run(AnchorDragDetector(), [s.static(ship_type=80, length=228)] + s.positions, ctx())
    assert emitted, "no anchor-drag event"
    first = emitted[0]
    assert first.status == "open" and first.kind == "anchor_drag"
    assert track_km(s.positions, t_drag, first.end) < 10.0  # out before 10 km of dragging
    keys = {e.key for e in emitted}
    assert len(keys) == 1  # one episode, updated in place
    final = emitted[-1]
    m = final.measured
    crossed = {c["asset"] for c in m["crossings"]}
    assert {"Estlink 2", "Finland-Estonia 2 (EESF-2)"} <= crossed
    assert len(m["assets_crossed"]) >= 4 and len(m["voyage_assets_crossed"]) >= 4
    assert all(isinstance(a, str) for a in m["assets_crossed"])
    assert m["usual_sog_kn"] == 12.0 and m["median_sog_kn"] == 6.5 and m["speed_ratio"] < 0.6
    assert m["distance_km"] > 100 and m["cog_heading_diff_deg"] == 10.0
    assert m["score"] >= 6
    assert final.asset is not None and final.evidence and len(final.evidence) <= 200
    # the score grows as assets are crossed
    scores = [e.measured["score"] for e in emitted]
    assert scores == sorted(scores) and scores[-1] > scores[0]


def test_drag_at_8_knots_from_14_also_fires():
    s = Ship(518998866, *START)
    s.leg(sog=14, cog=262, hours=1.0)
    t_drag = s.ts
    s.leg(sog=8, cog=262, km=60)
    _, emitted = run(AnchorDragDetector(), s.positions, ctx())  # no static data: unknown type is watched
    assert emitted and track_km(s.positions, t_drag, emitted[0].end) < 10.0


def test_service_speed_transit_does_not_fire():
    for sog in (10, 12, 14):
        s = Ship(230000000 + sog, *START)
        s.leg(sog=sog, cog=262, km=230)  # the same cables, crossed at service speed
        _, emitted = run(AnchorDragDetector(), [s.static(ship_type=70)] + s.positions, ctx())
        assert emitted == [], sog


def test_slow_steaming_ship_is_not_reduced():
    s = Ship(230000099, *START)
    s.leg(sog=7.5, cog=262, km=150)  # always slow: nothing relative to its own speed
    _, emitted = run(AnchorDragDetector(), s.positions, ctx())
    assert emitted == []


def test_non_merchant_and_port_approach_are_ignored():
    s, _ = drag_voyage(drag_km=40)
    _, emitted = run(AnchorDragDetector(), [s.static(ship_type=52, length=30)] + s.positions, ctx())  # a tug
    assert emitted == []
    # slowing down for Helsinki, 6 km out, over the cables landing there: a harbour approach, not a drag
    hel = (60.1667, 24.9667)
    lat0, lon0 = destination(*hel, 225, 40_000)
    h = Ship(230000100, lat0, lon0)
    h.leg(sog=13, cog=45, km=34)
    h.leg(sog=5, cog=45, km=5.5)
    assert haversine_m(h.lat, h.lon, *hel) < 1500
    passed = {a.name for p, q in zip(h.positions, h.positions[1:]) for a in baltic_assets().crossings(p, q)}
    assert passed  # it does cross cables on the way in
    _, emitted = run(AnchorDragDetector(), [h.static()] + h.positions, ctx())
    assert emitted == []


def test_nav_status_contradiction_counts():
    s = Ship(518998867, *START)
    s.leg(sog=12, cog=262, hours=1.5)
    s.leg(sog=6.0, cog=262, heading=250, km=30, nav_status=1)  # "at anchor" while making 6 kn
    _, emitted = run(AnchorDragDetector(), s.positions, ctx())
    assert emitted and emitted[-1].measured["nav_status_contradictions"] > 0


def test_drag_episode_closes_when_speed_recovers():
    s, _ = drag_voyage(drag_km=30)
    s.leg(sog=12, cog=262, hours=1)
    _, emitted = run(AnchorDragDetector(), s.positions, ctx())
    closed = [e for e in emitted if e.status == "closed"]
    assert len(closed) == 1 and closed[0].key == emitted[0].key
