"""The watch in a second process gives the same alerts as in-process, also through a live feed."""
from __future__ import annotations

import asyncio

from dkfi.core.config import get_settings
from dkfi.core.db import get_engine, session_scope
from dkfi.maritime import service
from dkfi.sim import scenarios as sim
from dkfi.watch import service as watch
from dkfi.watch.live import WorkerTap
from dkfi.watch.worker import WatchWorker


def test_worker_matches_in_process_watch(tmp_path):
    out = tmp_path / "vez"
    sim.run_sim_cli(out, "vezhen", seed=2, vessels=6, hours=6.0)
    records, _ = service.load_records([out.parent / (out.name + ".nmea")])
    local = watch.WatchRunner(watch.make_context())
    local.run(records)
    expected = {a.key: (a.kind, a.mmsi, a.asset, a.severity) for a in local.alerts()}
    assert any(k[0] == "anchor_drag" for k in expected.values())

    worker = WatchWorker()
    engine = get_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    feed = service.LiveFeed(engine, get_settings(), None, flush_interval=0.2,
                            taps=[WorkerTap(worker, get_settings().nation)])

    async def stream():
        for r in records:
            yield r
            await asyncio.sleep(0)

    asyncio.run(feed.run(stream()))
    stats = worker.close()
    assert stats["records"] == len(records)
    alerts, withdrawn = worker.results()
    with session_scope(engine) as s:
        watch.save_alerts(s, alerts, "DNK")  # what the live shell does with the worker's last results
        stored = {r.key: (r.kind, r.mmsi, r.asset, r.severity) for r in watch.list_alerts(s)}
    assert stored == expected and withdrawn == []


def test_detection_makes_no_reference_cycles(tmp_path):
    """The worker switches the cyclic garbage collector off (watch_worker's module doc): that is safe only
    while detection, alerts and late-data revision leave no cycles behind for it to find."""
    import gc
    import random

    from dkfi.watch.late import Reviser
    from dkfi.maritime.records import Position

    out = tmp_path / "eagle"
    sim.run_sim_cli(out, "eagle-s", seed=3, vessels=12, hours=4.0)
    records, _ = service.load_records([out.parent / (out.name + ".nmea")])
    # some reports arrive late (minutes to an hour), so the revision path runs too
    rng = random.Random(7)
    feed = list(records)
    for i in range(len(feed) - 1, 0, -1):
        if type(feed[i]) is Position and rng.random() < 0.01:
            j = min(len(feed) - 1, i + rng.randint(50, 2000))
            feed.insert(j, feed.pop(i))
    runner = watch.WatchRunner(watch.make_context())
    reviser = Reviser(runner)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        alerts = 0
        for r in feed:
            alerts += len(reviser.process(r))
        runner.forget({r.mmsi for r in feed[:100]})
        runner.finish()
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert alerts and reviser.revised
    assert found == 0
