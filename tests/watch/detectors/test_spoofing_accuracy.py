"""Spoofing is not receiver noise nor late delivery (issue 10 point 17): the labelled drift recording of 538004030
raised a ``two_places`` alert whose two places were 13 m apart. Its "second place" was the ship's own reports
delivered 16 min 57 s late, and the closing event named the last two reports of one track as the two places.

Floors (documented in :mod:`dkfi.watch.detectors.spoofing`): positions closer than ``min_jump_m`` are one place;
a report identical to an earlier one of the MMSI and out of reach of the latest is a late copy."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from dkfi.maritime.records import Position
from dkfi.watch.detectors.base import Context, DetectionEngine, haversine_m
from dkfi.watch.detectors.spoofing import SpoofingDetector
from tests.conftest import AIS, need_shared
from trackkit import T0, destination

DRIFT = AIS / "labelled" / "dma_aisabnormal" / "538004030_drift_1.ais"
SHIP = 230_123_456
FLOOR = SpoofingDetector.min_jump_m


def run(records, detector=None, late: dict | None = None):
    """The detector's final events over ``records`` (in time order); ``late`` gets each MMSI's late copies."""
    det = detector or SpoofingDetector()
    eng = DetectionEngine([det], Context())
    for r in sorted(records, key=lambda p: p.ts):
        eng.process(r)
    if late is not None:
        late.update({mmsi: s.late_copies for mmsi, s in det.state.items()})
    eng.finish()
    return eng.final_events()


def pos(ts, lat, lon, sog=10.0, cog=90.0, mmsi=SHIP):
    return Position(ts=ts, mmsi=mmsi, lat=lat, lon=lon, sog=sog, cog=cog, heading=int(cog) % 360, station="A",
                    msg_type=1)


def test_labelled_drift_recording_raises_no_spoofing():
    need_shared(DRIFT)
    from dkfi.maritime.sources.nmea import read_nmea
    from dkfi.watch.detectors.drift import DriftDetector

    positions = [r for r in read_nmea(DRIFT) if isinstance(r, Position)]
    late: dict = {}
    events = run(positions, late=late)
    assert [e.measured for e in events] == []
    # the copies, 0.95-1.4 km astern and 16 min 57 s late, were recognised (those out of reach of the latest
    # report as they came; those within the noise floor when the next report came)
    assert late[538004030] >= 7
    # and the recording is still what it is labelled: a drift
    drift = run(positions, DriftDetector())
    assert any(e.mmsi == 538004030 for e in drift)


def test_two_places_name_one_position_on_each_track_when_the_episode_closes():
    """Transmitter B falls silent while A goes on: the closed episode still names A's and B's places, not the
    last two reports of A (the 13 m of the report)."""
    a = [pos(T0 + 30 * i, 59.9, 24.0 + 0.0028 * i) for i in range(40)]
    b = [pos(T0 + 15 + 30 * i, 59.45, 24.75 + 0.0028 * i) for i in range(8)]    # 60 km away, then silent
    events = run(a + b)
    twins = [e for e in events if e.measured["check"] == "two_places"]
    assert len(twins) == 1 and twins[0].status == "closed"
    m = twins[0].measured
    pa, pb = m["position_a"], m["position_b"]
    assert haversine_m(pa["lat"], pa["lon"], pb["lat"], pb["lon"]) > 50_000
    assert m["separation_m"] > 50_000
    assert {round(pa["lat"], 1), round(pb["lat"], 1)} == {59.9, 59.5}


def test_a_glitch_ahead_on_course_is_not_a_second_place():
    """One bad fix 1.5 km ahead makes a second track; the ship then sails through that place: its reports reach
    both tracks, whose latest positions end up metres apart. One place, not two."""
    lat, lon = 57.0, 11.0
    track = []
    for i in range(60):                                         # 20 kn east, a report every 10 s
        track.append(pos(T0 + 10 * i, *destination(lat, lon, 90.0, 20 * 0.514444 * 10 * i), sog=20.0))
    glitch_lat, glitch_lon = destination(lat, lon, 90.0, 20 * 0.514444 * 10 * 5 + 1500)
    track.append(pos(T0 + 10 * 5 + 1, glitch_lat, glitch_lon, sog=20.0))
    events = run(track)
    assert [e.measured for e in events if e.measured["check"] == "two_places"] == []


# ---- properties: noise and late copies never, a real jump always -------------------------------------------

@st.composite
def voyages(draw):
    """A ship on a steady course with noisy fixes, same-second duplicates, and some of its reports delivered again
    minutes later; returns (reports, the clean track)."""
    sog = draw(st.floats(min_value=0.0, max_value=20.0))
    cog = draw(st.floats(min_value=0.0, max_value=359.0))
    every = draw(st.floats(min_value=2.0, max_value=30.0))
    n = draw(st.integers(min_value=20, max_value=150))
    noise = draw(st.floats(min_value=0.0, max_value=200.0))      # metres: twenty times a "low accuracy" fix
    seed = draw(st.integers(min_value=0, max_value=2**31))
    import random

    rnd = random.Random(seed)
    lat0, lon0 = 57.0, 11.0
    clean, reports = [], []
    for i in range(n):
        ts = T0 + every * i
        lat, lon = destination(lat0, lon0, cog, sog * 0.514444 * every * i)
        clean.append((ts, lat, lon))
        jl, jo = destination(lat, lon, rnd.uniform(0, 360), rnd.uniform(0, noise))
        reports.append(pos(ts, round(jl, 6), round(jo, 6), sog=sog, cog=cog))
        if rnd.random() < 0.1:                                  # the same report twice in one second
            reports.append(pos(ts + rnd.uniform(0, 0.9), round(jl, 6), round(jo, 6), sog=sog, cog=cog))
    for _ in range(draw(st.integers(min_value=0, max_value=8))):  # late copies, 1-20 min behind
        old = reports[rnd.randrange(len(reports))]
        lag = rnd.uniform(60, 1200)
        if old.ts + lag < reports[-1].ts:
            reports.append(pos(old.ts + lag, old.lat, old.lon, sog=old.sog, cog=old.cog))
    return reports, clean


@settings(max_examples=60, deadline=None)
@given(v=voyages())
def test_noise_duplicates_and_late_copies_never_raise_spoofing(v):
    reports, _ = v
    assert [e.measured for e in run(reports)] == []


@settings(max_examples=40, deadline=None)
@given(v=voyages(), jump_km=st.floats(min_value=5.0, max_value=200.0), bearing=st.floats(min_value=0, max_value=359),
       at=st.floats(min_value=0.2, max_value=0.8))
def test_a_real_jump_is_spoofing_whatever_the_noise(v, jump_km, bearing, at):
    """The same voyages, where from some report on the positions are ``jump_km`` away: a jump the noise floor
    and the late-copy rule must not hide."""
    reports, _ = v
    cut = reports[0].ts + at * (reports[-1].ts - reports[0].ts)
    moved = [p if p.ts < cut else pos(p.ts, *destination(p.lat, p.lon, bearing, jump_km * 1000), sog=p.sog,
                                      cog=p.cog) for p in reports]
    if not any(p.ts >= cut for p in moved) or not any(p.ts < cut for p in moved):
        return
    events = run(moved)
    checks = {e.measured["check"] for e in events}
    assert checks & {"implied_speed", "two_places"}, [e.measured for e in events]


def test_jitter_just_under_the_floor_is_quiet_and_just_over_it_at_speed_is_a_jump():
    base = [pos(T0 + 10 * i, 57.0, 11.0) for i in range(10)]
    step = FLOOR / 111_195.0                                      # degrees of latitude per floor
    quiet = base + [pos(T0 + 101, 57.0 + 0.99 * step, 11.0)] + [pos(T0 + 110 + 10 * i, 57.0, 11.0) for i in range(5)]
    assert run(quiet) == []
    loud = base + [pos(T0 + 101, 57.0 + 1.5 * step, 11.0)] + [pos(T0 + 110 + 10 * i, 57.0 + 1.5 * step, 11.0)
                                                              for i in range(5)]
    assert "implied_speed" in {e.measured["check"] for e in run(loud)}
    assert math.isclose(FLOOR, 1000.0)


def test_a_moored_second_transmitter_is_two_places_not_late_copies():
    """One MMSI at sea and in port at once: the port one repeats its position, which the late-copy rule must not
    take for old reports delivered again."""
    at_sea = [pos(T0 + 30 * i, 59.9, 24.0 + 0.0028 * i) for i in range(20)]
    in_port = [pos(T0 + 15 + 30 * i, 59.45, 24.75, sog=0.0) for i in range(20)]
    checks = [e.measured["check"] for e in run(at_sea + in_port)]
    assert "two_places" in checks, checks
