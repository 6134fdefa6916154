"""LiveFeed hands records to the in-process watch in batches: order kept, nothing left behind at a flush."""
from __future__ import annotations

from dkfi.watch.live import WatchBatches


def test_batches_keep_order_and_run_when_full_or_asked():
    seen: list[int] = []
    b = WatchBatches(seen.append, size=3)
    for i in range(7):
        b.add(i)
    assert seen == [0, 1, 2, 3, 4, 5]  # two full batches
    b.run()
    assert seen == list(range(7)) and b.pending == []
    b.run()  # nothing pending: nothing happens
    assert seen == list(range(7))


def test_a_looping_replay_forgets_its_ships_after_what_came_before(tmp_path):
    """LiveFeed.forget runs the pending batch first: the recording's ships restarting where they began are
    not taken for position jumps (spoofing) when the replay loops."""
    from dataclasses import replace

    from dkfi.core.config import Settings
    from dkfi.core.db import get_engine
    from dkfi.watch.detectors.base import Context
    from dkfi.watch.detectors.spoofing import SpoofingDetector
    from dkfi.maritime.service import LiveFeed, load_records
    from dkfi.watch.live import RunnerTap
    from dkfi.watch.service import WatchRunner
    from tests.conftest import AIS

    records, _ = load_records([AIS / "nmea" / "dma_aisabnormal" / "ais-sample.txt.gz"])
    engine = get_engine(f"sqlite:///{tmp_path / 'loop.sqlite'}")
    settings = Settings(data_dir=tmp_path)

    def spoofing_after_loop(forget_via_feed: bool) -> int:
        runner = WatchRunner(Context(), [SpoofingDetector(check_mmsi=False)])
        feed = LiveFeed(engine, settings, None, taps=[RunnerTap(runner, settings.nation)])
        for r in records:
            feed.pipeline.add(r)
        looped = {r.mmsi for r in records}
        if forget_via_feed:
            feed.forget(looped)
        else:
            runner.forget(looped)  # not in order with the pending batch: the bug this guards against
        t_end = records[-1].ts
        for r in records:  # the second pass of the loop, later in time
            feed.pipeline.add(replace(r, ts=r.ts + 300.0, dedupe_key=None))
        feed._take()
        return sum(1 for e in runner.engine.events.values() if e.measured.get("check") == "implied_speed"
                   and e.start > t_end - 5)

    assert spoofing_after_loop(forget_via_feed=False) > 10
    assert spoofing_after_loop(forget_via_feed=True) == 0
