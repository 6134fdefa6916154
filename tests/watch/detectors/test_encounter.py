"""Encounters: two slow vessels within 500 m for 2 h (GFW), away from ports; grid neighbours only."""
from __future__ import annotations

from dkfi.watch.detectors.base import Context, DetectionEngine
from dkfi.watch.detectors.encounter import EncounterDetector
from dkfi.maritime.records import Position

T0 = 1_735_120_800.0
A, B, C = 636_999_105, 538_999_106, 230_000_001


def drifting(mmsi, lat, lon, hours, every=180, sog=0.3, t0=0.0):
    n = int(hours * 3600 / every)
    return [Position(ts=T0 + t0 + i * every + (mmsi % 7), mmsi=mmsi, lat=lat + 0.00001 * (i % 3), lon=lon,
                     sog=sog, cog=0.0, station="A") for i in range(n)]


def run(records, ctx=None, **params):
    eng = DetectionEngine([EncounterDetector(**params)], ctx or Context())
    for r in sorted(records, key=lambda r: r.ts):
        eng.process(r)
    eng.finish()
    return eng.final_events()


def test_two_slow_ships_side_by_side_for_two_and_a_half_hours():
    recs = drifting(A, 56.2, 18.9, 2.5) + drifting(B, 56.2, 18.9032, 2.5)  # ~200 m apart
    ev = run(recs)
    assert len(ev) == 1
    e = ev[0]
    assert (e.mmsi, e.other_mmsi) == (B, A)  # lower MMSI first
    assert e.status == "closed" and e.end - e.start >= 2 * 3600
    assert 150 < e.measured["min_distance_m"] < 250
    assert e.measured["median_sog_kn"] < 2 and e.measured["other_track"]
    assert "500 m" in e.rule and "2 h" in e.rule


def test_too_short_too_far_too_fast_or_in_port():
    assert run(drifting(A, 56.2, 18.9, 1.5) + drifting(B, 56.2, 18.9032, 1.5)) == []      # 1.5 h
    assert run(drifting(A, 56.2, 18.9, 3) + drifting(B, 56.2, 18.915, 3)) == []           # ~900 m
    assert run(drifting(A, 56.2, 18.9, 3) + drifting(B, 56.2, 18.9032, 3, sog=5)) == []   # B not slow

    class Ports:
        def near_port(self, lat, lon, radius_m=3000):
            return radius_m >= 10_000 and abs(lat - 56.2) < 0.05

    assert run(drifting(A, 56.2, 18.9, 3) + drifting(B, 56.2, 18.9032, 3), Context(ports=Ports())) == []


def test_skylight_rendezvous_threshold_and_grid_scale():
    pair = drifting(A, 56.2, 18.9, 1.0) + drifting(B, 56.2, 18.9032, 1.0)
    assert run(pair) == []
    ev = run(pair, min_duration_s=1800)
    assert len(ev) == 1
    # 400 slow vessels 2 km apart on a lattice: no pairs, and each update looks at a few neighbours only
    crowd = []
    for k in range(400):
        crowd += drifting(240_000_000 + k, 55.0 + (k // 20) * 0.018, 15.0 + (k % 20) * 0.032, 0.5, every=300)
    det = EncounterDetector(min_duration_s=600)
    eng = DetectionEngine([det])
    for r in sorted(crowd, key=lambda r: r.ts):
        eng.process(r)
    assert eng.final_events() == [] and det.pairs == {}
    assert max(len(v) for v in det.grid.values()) <= 2


def test_two_ships_at_anchor_in_one_anchorage_are_not_an_encounter():
    from dkfi.watch.detectors.base import Context
    from dkfi.watch.detectors.encounter import EncounterDetector
    from dkfi.maritime.records import Position

    t0 = 1_735_120_800.0
    recs = []
    for k in range(0, 3 * 3600, 180):  # 3 h, reports every 3 min, 300 m apart
        recs.append(Position(ts=t0 + k, mmsi=261269813, lat=56.2, lon=18.9, sog=0.1, cog=0.0, heading=10,
                             nav_status=1, station="A"))
        recs.append(Position(ts=t0 + k + 5, mmsi=277591283, lat=56.2027, lon=18.9, sog=0.1, cog=0.0, heading=10,
                             nav_status=1, station="A"))
    det, ctx = EncounterDetector(), Context()
    assert [e for r in recs for e in det.update(r, ctx)] == []
    # the same two ships side by side, one of them under way: a meeting
    for r in recs:
        if r.mmsi == 277591283:
            r.nav_status = 0
    det = EncounterDetector()
    assert {e.kind for r in recs for e in det.update(r, ctx)} == {"encounter"}
