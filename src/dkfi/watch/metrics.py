"""The watch's figures for ``/metrics``: alerts its live detectors raised in this process, by kind.

:func:`dkfi.watch.live.store_alerts` counts an alert once, when it is first stored (a refreshed finding is not
a new alert), after its transaction committed. Kinds are the detectors' rule names: a bounded label set,
nothing of a vessel or an alert.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Iterable

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily


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


TOTALS = AlertTotals()


def families(engine: Any) -> Iterable[Metric]:
    """The watch's contribution to ``/metrics`` (registry extension point ``core.metrics``)."""
    return TOTALS.families()
