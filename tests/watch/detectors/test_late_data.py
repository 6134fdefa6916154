"""Late data revises or withdraws events: a gap that late satellite reports fill is withdrawn."""
from __future__ import annotations

from dkfi.watch.detectors.ais_gap import AisGapDetector
from dkfi.watch.detectors.base import Context
from dkfi.watch.late import Reviser
from dkfi.watch.live import RunnerTap
from dkfi.watch.service import WatchRunner
from trackkit import Ship, baltic_assets


def estlink2_point():
    lon, lat = list(baltic_assets().by_name["Estlink 2"].geometry.coords)[2]
    return lat, lon


def test_late_reports_inside_a_gap_withdraw_it():
    lat, lon = estlink2_point()
    s = Ship(518998865, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    n_before = len(s.positions)
    s.leg(sog=7, cog=262, minutes=60)  # heard only by a satellite: arrives late
    n_middle = len(s.positions)
    s.leg(sog=7, cog=262, minutes=10)
    terrestrial = s.positions[:n_before] + s.positions[n_middle:]
    satellite = s.positions[n_before:n_middle:30]  # every 5 minutes
    n = Ship(230999999, lat + 0.03, lon - 0.05, every_s=30)
    n.leg(sog=0.3, cog=90, hours=2)  # coverage: another ship heard nearby all along
    live = sorted(terrestrial + n.positions, key=lambda p: p.ts)

    runner = WatchRunner(Context(assets=baltic_assets()), [AisGapDetector()])
    rev = Reviser(runner)
    for p in live:
        rev.process(p)
    [gap] = [e for e in runner.events() if e.mmsi == s.mmsi]
    assert gap.kind == "ais_gap" and gap.status == "closed" and 59 <= gap.measured["gap_min"] <= 61
    assert [a.kind for a in runner.alerts() if a.mmsi == s.mmsi] == ["ais_gap"]

    for p in satellite:  # the late reports arrive after the ship reappeared
        rev.process(p)
    assert rev.revised == len(satellite) and rev.withdrawn >= 1
    assert [e for e in runner.events() if e.mmsi == s.mmsi] == []       # withdrawn: no longer a finding
    assert [a for a in runner.alerts() if a.mmsi == s.mmsi] == []


def test_late_report_that_changes_nothing_keeps_the_event():
    lat, lon = estlink2_point()
    s = Ship(518998866, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    s.silent(sog=7, cog=262, minutes=60)
    s.leg(sog=7, cog=262, minutes=10)
    n = Ship(230999998, lat + 0.03, lon - 0.05, every_s=30)
    n.leg(sog=0.3, cog=90, hours=2)
    runner = WatchRunner(Context(assets=baltic_assets()), [AisGapDetector()])
    rev = Reviser(runner)
    for p in sorted(s.positions + n.positions, key=lambda p: p.ts):
        rev.process(p)
    before = [(e.kind, e.start, e.end) for e in runner.events() if e.mmsi == s.mmsi]
    rev.process(s.positions[5])  # a receiver's backlog repeats a report already seen
    assert [(e.kind, e.start, e.end) for e in runner.events() if e.mmsi == s.mmsi] == before


def test_live_feed_closes_a_stored_alert_that_late_data_disproves(tmp_path):
    import asyncio

    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.watch import service as watch
    from dkfi.maritime.service import LiveFeed

    lat, lon = estlink2_point()
    s = Ship(518998867, lat, lon)
    s.leg(sog=7, cog=262, minutes=20)
    a, b = len(s.positions), None
    s.leg(sog=7, cog=262, minutes=60)
    b = len(s.positions)
    s.leg(sog=7, cog=262, minutes=10)
    n = Ship(230999997, lat + 0.03, lon - 0.05, every_s=30)
    n.leg(sog=0.3, cog=90, hours=2)
    live = sorted(s.positions[:a] + s.positions[b:] + n.positions, key=lambda p: p.ts)
    late = s.positions[a:b:30]

    engine = get_engine(f"sqlite:///{tmp_path / 'late.sqlite'}")
    runner = WatchRunner(Context(assets=baltic_assets()), [AisGapDetector()])
    feed = LiveFeed(engine, get_settings(), None, flush_interval=0.0, taps=[RunnerTap(runner, get_settings().nation)])

    async def stream(records):
        for r in records:
            yield r
            await asyncio.sleep(0)

    asyncio.run(feed.run(stream(live)))
    with session_scope(engine) as sess:
        recs = watch.list_alerts(sess, mmsi=s.mmsi)
        assert [(r.kind, r.status) for r in recs] == [("ais_gap", "new")], [(r.key, r.summary) for r in recs]
        [rec] = recs
    first = rec.id
    asyncio.run(feed.run(stream(late)))  # the satellite backlog arrives, one report at a time
    with session_scope(engine) as sess:
        recs = watch.list_alerts(sess, mmsi=s.mmsi)
        # each report shortens the gap; every gap it implied on the way is withdrawn in the end
        assert recs and all((r.status, r.outcome) == ("closed", "withdrawn") for r in recs)
        assert [c.action for c in watch.changes(sess, first)] == ["detected", "withdrawn"]
