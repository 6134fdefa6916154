"""The picture's ingest figures for ``/metrics``: every unit this process's pipelines counted, by source kind.

The pipeline already accounts for every unit (:class:`dkfi.maritime.pipeline.Accounting`); file imports
(:func:`dkfi.maritime.service.import_paths`, per file) and live feeds (:class:`dkfi.maritime.service.LiveFeed`,
per flush) add what they counted since the last time here, so the totals are monotonic counters a Prometheus
``rate()`` turns into ingest rates. Sources are kinds (``import``, ``replay``, ``tcp``, ``udp``, ``mqtt``) and
reasons the pipeline's rejection codes: bounded label sets, nothing of a record.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Iterable

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily

from dkfi.maritime.pipeline import Accounting


class IngestTotals:
    """Units received, accepted, duplicate and rejected (by reason) per source kind since the process started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # imports and live feeds' writer threads add concurrently
        self.received: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.duplicates: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()

    def add(self, source: str, acc: Accounting) -> None:
        with self._lock:
            self.received[source] += acc.received
            self.accepted[source] += acc.accepted
            self.duplicates[source] += acc.duplicates
            for reason, n in acc.rejected.items():
                self.rejected[(source, reason)] += n

    def families(self) -> list[Metric]:
        with self._lock:
            out: list[Metric] = []
            for name, what, counts in (("received", "input units received", self.received),
                                       ("accepted", "input units accepted", self.accepted),
                                       ("duplicate", "input units dropped as duplicates (several receivers)",
                                        self.duplicates)):
                fam = CounterMetricFamily(f"dkfi_ingest_units_{name}", f"AIS {what}, by source kind",
                                          labels=["source"])
                for source, n in sorted(counts.items()):
                    fam.add_metric([source], n)
                out.append(fam)
            rej = CounterMetricFamily("dkfi_ingest_units_rejected", "AIS input units rejected, by source kind and "
                                      "reason", labels=["source", "reason"])
            for (source, reason), n in sorted(self.rejected.items()):
                rej.add_metric([source, reason], n)
            out.append(rej)
            return out


TOTALS = IngestTotals()


def families(engine: Any) -> Iterable[Metric]:
    """The picture's contribution to ``/metrics`` (registry extension point ``core.metrics``)."""
    return TOTALS.families()
