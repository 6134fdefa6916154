"""Spoofing: implied speed, one MMSI in two places, invalid MMSI/MID, positions on land."""
from __future__ import annotations

from dkfi.watch.detectors.base import Context, DetectionEngine
from dkfi.watch.detectors.spoofing import SpoofingDetector, mmsi_problem
from dkfi.maritime.records import Position

T0 = 1_735_120_800.0
SHIP = 230_123_456


def pos(t, lat, lon, mmsi=SHIP, sog=10.0):
    return Position(ts=T0 + t, mmsi=mmsi, lat=lat, lon=lon, sog=sog, cog=90.0, heading=90, station="A")


def run(records, ctx=None, **params):
    eng = DetectionEngine([SpoofingDetector(**params)], ctx or Context())
    for r in records:
        eng.process(r)
    eng.finish()
    return eng.final_events()


def steaming(n=10, mmsi=SHIP, lat=59.9, lon=24.0, t0=0):
    # 10 kn east: ~0.0028 deg longitude per 30 s at 60 N
    return [pos(t0 + 30 * i, lat, lon + 0.0028 * i, mmsi) for i in range(n)]


def test_normal_track_and_gps_jitter_are_quiet():
    track = steaming()
    track.insert(5, pos(150, 59.9002, 24.014))   # 25 m off, same second as a neighbour: jitter
    assert run(track) == []


def test_implied_speed_jump():
    track = steaming(5) + [pos(150, 59.45, 24.75)]  # ~60 km away 30 s later (Tallinn)
    track += [pos(150 + 30 * i, 59.45, 24.75 + 0.0028 * i) for i in range(1, 4)]
    ev = [e for e in run(track) if e.measured["check"] == "implied_speed"]
    assert len(ev) == 1
    m = ev[0].measured
    assert m["implied_speed_kn"] > 1000 and m["distance_m"] > 50_000 and m["dt_s"] == 30
    assert "60 kn" in ev[0].rule and ev[0].status == "closed"


def test_one_mmsi_in_two_places():
    a = steaming(12, lat=59.9, lon=24.0)
    b = steaming(12, lat=59.45, lon=24.75, t0=15)  # same MMSI, 60 km away, reports interleaved
    track = sorted(a + b, key=lambda p: p.ts)
    ev = [e for e in run(track) if e.measured["check"] == "two_places"]
    assert len(ev) == 1
    m = ev[0].measured
    assert m["separation_m"] > 50_000
    lats = {round(m["position_a"]["lat"], 1), round(m["position_b"]["lat"], 1)}
    assert lats == {59.9, 59.5}
    assert ev[0].other_mmsi is None
    # while the twin episode is open, the jumps are not reported again one by one
    jumps = [e for e in run(track) if e.measured["check"] == "implied_speed"]
    assert len(jumps) <= 1


def test_invalid_mmsi_and_mid():
    assert mmsi_problem(123456789) == "placeholder MMSI"
    assert mmsi_problem(111111111) == "placeholder MMSI"
    assert mmsi_problem(0) == "placeholder MMSI"
    assert mmsi_problem(12345678) is not None          # 8 digits
    assert "not allocated" in mmsi_problem(217000001)  # MID 217 is not allocated
    assert "outside" in mmsi_problem(199000001)  or "not a ship" in mmsi_problem(199000001)
    assert mmsi_problem(230123456) is None              # Finland
    assert mmsi_problem(414270000) is None              # China
    assert mmsi_problem(518999101) is None              # Cook Islands
    assert mmsi_problem(970123456) is None              # AIS-SART
    assert mmsi_problem(217000001, mids=None) is None   # range only
    recs = steaming(3, mmsi=123456789) + steaming(3, mmsi=217000001, lat=58.0) + steaming(3)
    ev = [e for e in run(recs) if e.measured["check"] == "invalid_mmsi"]
    assert sorted(e.mmsi for e in ev) == [123456789, 217000001]   # once per MMSI, good MMSI quiet


class Land:
    """North of 60.5 N is land (a toy coastline)."""

    def on_land(self, lat, lon):
        return lat > 60.5


class Ports:
    def near_port(self, lat, lon, radius_m=3000):
        return lon > 30.0


def test_positions_on_land_need_several_reports_and_inland():
    ctx = Context(land=Land(), ports=Ports())
    glitch = steaming(4) + [pos(120, 61.0, 24.0)] + steaming(4, t0=150)
    assert [e for e in run(glitch, ctx) if e.measured["check"] == "on_land"] == []  # (it is a jump, though)
    coast = [pos(30 * i, 60.502, 24.0 + 0.001 * i) for i in range(10)]  # 200 m inland only
    assert run(coast, ctx) == []
    inland = steaming(3) + [pos(90 + 30 * i, 61.0, 24.0 + 0.001 * i) for i in range(8)]
    ev = [e for e in run(inland, ctx) if e.measured["check"] == "on_land"]
    assert len(ev) == 1 and ev[0].measured["reports"] == 8 and ev[0].status == "closed"
    in_port = [pos(30 * i, 61.0, 30.5) for i in range(10)]
    assert [e for e in run(in_port, ctx) if e.measured["check"] == "on_land"] == []
    # no land index: no land check
    assert [e for e in run(inland) if e.measured["check"] == "on_land"] == []
