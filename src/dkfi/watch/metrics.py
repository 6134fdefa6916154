"""The watch's figures for ``/metrics``: alerts its live detectors raised in this process, by kind, and how far
the live watch is behind ingest.

:func:`dkfi.watch.live.store_alerts` counts an alert once, when it is first stored (a refreshed finding is not
a new alert), after its transaction committed. Kinds are the detectors' rule names: a bounded label set,
nothing of a vessel or an alert.

``dkfi_watch_lag_seconds`` answers an operator's question "how stale are the alerts?": the seconds since the
oldest record that ingest accepted and whose findings are not yet stored was received; 0 when the watch has
caught up. Every record passes three steps after ingest: the detectors (in batches, or in the second process),
the feed's next flush (which takes what they found) and the write that stores the alerts; a record counts until
the write of the flush that took its findings has committed. Normal operation therefore shows up to the flush
interval (2 s); a watch that falls behind (detection slower than ingest), a worker that stopped or writes that
fail make it grow with every scrape. An idle feed is not lag: with nothing received, it is 0. Receive times are
this process's monotonic clock (:func:`now`), read when a tap first sees a record after the previous flush, not
per record. With the detectors in a second process the server still computes the figure: the worker reports each
batch it finished on its result queue (:mod:`dkfi.watch.worker`), so ``/metrics`` of the serving process sees it.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from typing import Any, Iterable, Protocol

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

now = time.monotonic  # the clock of receive times (tests put their own here)


def earliest(a: float | None, b: float | None) -> float | None:
    """The earlier of two optional receive times."""
    if a is None:
        return b
    return a if b is None or a <= b else b


class AlertTotals:
    """New alerts by kind since the process started (added from the feeds' writer threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.raised: Counter[str] = Counter()

    def add(self, kinds: Iterable[str]) -> None:
        with self._lock:
            self.raised.update(kinds)

    def families(self) -> list[Metric]:
        fam = CounterMetricFamily("dkfi_watch_alerts_raised", "alerts the live watch raised, by kind",
                                  labels=["kind"])
        with self._lock:
            for kind, n in sorted(self.raised.items()):
                fam.add_metric([kind], n)
        return [fam]


class Lagging(Protocol):
    """A live feed's tap, seen by the lag gauge."""

    def oldest_unstored(self) -> float | None: ...


class WatchLag:
    """The taps of the live watch (one per live feed) and the gauge of how far behind the slowest one is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taps: weakref.WeakSet = weakref.WeakSet()  # a tap left behind by a feed that ended goes with it

    def watch(self, tap: Lagging) -> None:
        with self._lock:
            self._taps.add(tap)

    def forget(self, tap: Lagging) -> None:
        with self._lock:
            self._taps.discard(tap)

    def seconds(self) -> float | None:
        """The lag now; None when no live feed has a watch."""
        with self._lock:
            taps = list(self._taps)
        if not taps:
            return None
        oldest = None
        for tap in taps:
            oldest = earliest(oldest, tap.oldest_unstored())
        return 0.0 if oldest is None else max(0.0, now() - oldest)

    def families(self) -> list[Metric]:
        fam = GaugeMetricFamily("dkfi_watch_lag_seconds", "seconds since the oldest record whose watch findings "
                                "are not yet stored was received (0: the watch has caught up with ingest); absent "
                                "when no live feed has a watch")
        lag = self.seconds()
        if lag is not None:
            fam.add_metric([], round(lag, 3))
        return [fam]


TOTALS = AlertTotals()
LAG = WatchLag()


def families(engine: Any) -> Iterable[Metric]:
    """The watch's contribution to ``/metrics`` (registry extension point ``core.metrics``)."""
    return TOTALS.families() + LAG.families()
