"""The engine's sample gate: which reports the minute-scale detectors see (detectors/base.py module doc)."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings, strategies as st

from dkfi.watch.detectors.base import Context, DetectionEngine, Detector
from dkfi.watch.detectors.loitering import LoiteringDetector
from dkfi.watch.late import Reviser
from dkfi.maritime.records import Position
from dkfi.watch.service import WatchRunner
from trackkit import T0, Ship, baltic_assets


class Probe(Detector):
    """Remembers the times of the reports it is handed."""

    kind = "probe"

    def __init__(self, every_report: bool) -> None:
        super().__init__()
        self.every_report = every_report
        self.seen: list[float] = []

    def update(self, p, ctx):
        self.seen.append(p.ts)
        return ()


def pos(ts: float, sog: float | None = 12.0, nav: int | None = 0, mmsi: int = 230000001) -> Position:
    return Position(ts=T0 + ts, mmsi=mmsi, lat=55.5, lon=12.8, sog=sog, cog=90.0, heading=90, nav_status=nav)


def feed(reports, **kw) -> tuple[list[float], list[float]]:
    every, sampled = Probe(True), Probe(False)
    eng = DetectionEngine([every, sampled], Context(), **kw)
    for p in reports:
        eng.process(p)
    return [t - T0 for t in every.seen], [t - T0 for t in sampled.seen]


def test_a_ship_under_way_is_sampled_every_30_s():
    every, sampled = feed([pos(t) for t in range(0, 120, 5)])
    assert every == list(range(0, 120, 5))
    assert sampled == [0, 30, 60, 90]


def test_status_and_speed_changes_pass_at_once():
    reports = [pos(0), pos(5), pos(10, nav=1), pos(15, nav=1), pos(20, sog=9.5), pos(25, sog=8.0),
               pos(30, sog=None), pos(35, sog=None), pos(40, sog=12.0)]
    _, sampled = feed(reports)
    # 10: at anchor now; 20: SOG 12 -> 9.5 (>= 2 kn); 25: 9.5 -> 8 is < 2 kn; 30: SOG lost; 40: SOG back
    assert sampled == [0, 10, 20, 30, 40]


def test_older_reports_are_not_sampled_and_vessels_are_separate():
    reports = [pos(0), pos(40), pos(35, nav=5), pos(41, mmsi=230000002), pos(70)]
    _, sampled = feed(reports)
    assert sampled == [0, 40, 41, 70]


def test_sample_s_zero_hands_every_report_to_every_detector():
    reports = [pos(t) for t in range(0, 60, 5)]
    every, sampled = feed(reports, sample_s=0)
    assert every == sampled == list(range(0, 60, 5))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 90.0), st.sampled_from([None, 0.0, 1.5, 6.0, 12.0, 14.5]),
                          st.sampled_from([None, 0, 1, 5])), min_size=1, max_size=60))
def test_gate_properties(steps):
    """No sampled detector waits longer than sample_s for a report, and every change it reacts to reaches it."""
    t, reports = 0.0, []
    for dt, sog, nav in steps:
        t += dt
        reports.append(pos(t, sog, nav))
    every, sampled = feed(reports)
    times = [p.ts - T0 for p in reports]
    assert every == times
    assert sampled[0] == times[0] and set(sampled) <= set(times)
    given_ = set(sampled)
    last = reports[0]
    for p in reports[1:]:
        ts = p.ts - T0
        if ts in given_:
            last = p
            continue
        assert ts - (last.ts - T0) < 30.0
        assert p.nav_status == last.nav_status
        assert (p.sog is None) == (last.sog is None)
        assert p.sog is None or abs(p.sog - last.sog) < 2.0


def test_late_report_revises_a_sampled_detector_as_if_it_came_in_order():
    """The reviser re-runs the vessel through the same gate: the events equal those of the sorted track."""
    assets = baltic_assets()
    lon, lat = list(assets.by_name["Estlink 2"].geometry.coords)[2]
    s = Ship(518998867, lat, lon, every_s=6)
    s.leg(sog=11, cog=262, minutes=15)
    s.leg(sog=0.8, cog=262, minutes=50)  # loitering on the cable
    s.leg(sog=11, cog=262, minutes=10)
    late = s.positions[-150]  # late by 15 min, inside the loitering
    in_order = WatchRunner(Context(assets=assets), [LoiteringDetector()])
    for p in s.positions:
        in_order.process(p)
    revised = WatchRunner(Context(assets=assets), [LoiteringDetector()])
    rev = Reviser(revised, max_points=1000)
    for p in s.positions:
        if p is not late:
            rev.process(p)
    rev.process(replace(late))
    assert rev.revised == 1
    key = [(e.kind, e.start, e.end, e.status) for e in in_order.events()]
    assert key and key == [(e.kind, e.start, e.end, e.status) for e in revised.events()]
