"""Streaming and batch are one engine: the same file gives the same events both ways."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from dkfi.core.config import get_settings
from dkfi.core.db import get_engine
from dkfi.maritime import service
from dkfi.sim import scenarios as sim
from dkfi.watch import service as watch
from dkfi.watch.live import RunnerTap
from dkfi.maritime.sources.nmea import read_nmea


@pytest.fixture(scope="module")
def incident_file(tmp_path_factory):
    """A simulated Eagle S-like drag with background traffic, as NMEA with tag-block times."""
    out = tmp_path_factory.mktemp("sim") / "eagle"
    summary = sim.run_sim_cli(out, "eagle-s", seed=3, vessels=12, hours=6.0)
    return out.parent / (out.name + ".nmea"), summary


def _key(e):
    return (e.kind, e.mmsi, round(e.start, 3), round(e.end, 3), e.asset, e.status, e.other_mmsi,
            json.dumps(e.measured, sort_keys=True, default=str))


def test_streaming_and_batch_give_identical_events(incident_file, tmp_path):
    path, _ = incident_file
    ctx = watch.make_context()
    # batch: the whole file, sorted by time, through the runner (what `dkfi watch replay` does)
    batch = watch.WatchRunner(ctx)
    records, _ = service.load_records([path])
    batch.run(records)
    batch.finish()
    # streaming: the file's items one by one through the live pipeline (de-duplication, state, bus)
    streaming = watch.WatchRunner(watch.make_context())
    engine = get_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    feed = service.LiveFeed(engine, get_settings(), None, flush_interval=0.05,
                           taps=[RunnerTap(streaming, get_settings().nation)])

    async def items():
        for item in read_nmea(path):
            yield item
            await asyncio.sleep(0)

    asyncio.run(feed.run(items()))
    streaming.finish()
    b = sorted(map(_key, batch.events()))
    s = sorted(map(_key, streaming.events()))
    assert b and any(k[0] == "anchor_drag" for k in b)
    assert s == b
    # the live feed stored the same alerts it raised
    from dkfi.core.db import session_scope
    with session_scope(engine) as sess:
        stored = {r.key for r in watch.list_alerts(sess)}
    assert stored == {a.key for a in streaming.alerts()}


def test_watch_replay_cli_json(incident_file, tmp_path):
    path, summary = incident_file
    r = subprocess.run([sys.executable, "-m", "dkfi", "watch", "replay", str(path), "--json"],
                       capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "DKFI_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    alerts = [json.loads(line) for line in r.stdout.splitlines()]
    drag = [a for a in alerts if a["kind"] == "anchor_drag"]
    truth = [t for t in summary["truth_summary"] if t["kind"] == "anchor_drag"]
    assert drag and drag[0]["mmsi"] == truth[0]["mmsi"]
    for a in alerts:
        assert set(a) >= {"kind", "mmsi", "asset", "start", "end", "severity", "score", "summary", "evidence"}
        assert a["start"].endswith("Z") and a["end"].endswith("Z")
