"""AIS gaps: silent far beyond the ITU-R M.1371 interval, in coverage, near an asset."""
from __future__ import annotations

from dkfi.watch.detectors.ais_gap import AisGapDetector, expected_interval_s
from dkfi.watch.detectors.base import Context
from trackkit import Ship, baltic_assets, run


def ctx():
    return Context(assets=baltic_assets())


def estlink2_point():
    lon, lat = list(baltic_assets().by_name["Estlink 2"].geometry.coords)[2]
    return lat, lon


def neighbour(lat, lon, hours=3.0):
    """Another ship heard near the place all along (receiver coverage)."""
    n = Ship(230999999, lat + 0.03, lon - 0.05, every_s=30)
    n.leg(sog=0.3, cog=90, hours=hours)
    return n.positions


def test_expected_intervals():
    assert expected_interval_s(12, 0, "A") == 10 and expected_interval_s(18, 0, "A") == 6
    assert expected_interval_s(25, 0, "A") == 2 and expected_interval_s(0.5, 1, "A") == 180
    assert expected_interval_s(5, 0, "B") == 30 and expected_interval_s(1, 0, "B") == 180


def test_gap_over_estlink2_is_reported():
    lat, lon = estlink2_point()
    s = Ship(518998865, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    t_off = s.ts
    s.silent(sog=7, cog=262, minutes=60)
    s.leg(sog=7, cog=262, minutes=10)
    _, emitted = run(AisGapDetector(), s.positions + neighbour(lat, lon), ctx())
    gaps = [e for e in emitted if e.mmsi == 518998865]
    assert len(gaps) == 1
    g = gaps[0]
    assert g.status == "closed" and abs(g.start - t_off) < 1 and g.asset is not None
    assert 59 <= g.measured["gap_min"] <= 61 and g.measured["coverage"] == 1.0
    assert g.measured["implied_sog_kn"] > 6


def test_no_gap_without_coverage_or_far_from_assets_or_short():
    lat, lon = estlink2_point()
    s = Ship(518998866, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    s.silent(sog=7, cog=262, minutes=60)
    s.leg(sog=7, cog=262, minutes=10)
    assert run(AisGapDetector(), s.positions, ctx())[1] == []        # nobody else heard: out of coverage
    f = Ship(518998867, 57.0, 19.0)
    f.leg(sog=7, cog=0, minutes=20)
    f.silent(sog=7, cog=0, minutes=60)
    f.leg(sog=7, cog=0, minutes=10)
    assert run(AisGapDetector(), f.positions + neighbour(57.0, 19.0), ctx())[1] == []  # no asset nearby
    q = Ship(518998868, lat, lon)
    q.leg(sog=7, cog=262, minutes=20)
    q.silent(sog=7, cog=262, minutes=8)
    q.leg(sog=7, cog=262, minutes=10)
    assert [e for e in run(AisGapDetector(), q.positions + neighbour(lat, lon), ctx())[1]
            if e.mmsi == 518998868 and e.status == "closed"] == []      # 8 min < 10 min


def test_anchored_vessel_needs_a_longer_silence():
    lat, lon = estlink2_point()
    s = Ship(518998869, lat, lon, every_s=180)
    s.leg(sog=0.1, cog=0, nav_status=1, minutes=30)
    s.silent(sog=0.1, cog=0, minutes=40)          # 40 min < 20 x 3 min
    s.leg(sog=0.1, cog=0, nav_status=1, minutes=30)
    emitted = run(AisGapDetector(), s.positions + neighbour(lat, lon), ctx())[1]
    assert [e for e in emitted if e.mmsi == s.mmsi and e.status == "closed"] == []
    s.silent(sog=0.1, cog=0, minutes=70)           # 70 min > 60 min: a gap
    s.leg(sog=0.1, cog=0, nav_status=1, minutes=10)
    emitted = run(AisGapDetector(), s.positions + neighbour(lat, lon, hours=4), ctx())[1]
    gaps = [e for e in emitted if e.mmsi == s.mmsi and e.status == "closed"]
    assert len(gaps) == 1 and gaps[0].measured["threshold_min"] == 60


def test_still_silent_at_end_is_open():
    lat, lon = estlink2_point()
    s = Ship(518998870, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    _, emitted = run(AisGapDetector(), s.positions + neighbour(lat, lon), ctx())
    gaps = [e for e in emitted if e.mmsi == s.mmsi]
    assert len(gaps) == 1 and gaps[0].status == "open" and gaps[0].measured["gap_min"] > 150
