"""LiveFeed hands records to the in-process watch in batches: order kept, nothing left behind at a flush."""
from __future__ import annotations

from dkfi.maritime.service import WatchBatches


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
