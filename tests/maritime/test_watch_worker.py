"""The watch in a second process gives the same alerts as in-process, also through a live feed."""
from __future__ import annotations

import asyncio

from dkfi.core.config import get_settings
from dkfi.core.db import get_engine, session_scope
from dkfi.maritime import service, sim, watch
from dkfi.maritime.watch_worker import WatchWorker


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
    feed = service.LiveFeed(engine, get_settings(), None, flush_interval=0.2, worker=worker)

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
