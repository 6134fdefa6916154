"""The node's Prometheus metrics, gathered from the domains at each scrape.

Each domain knows what it counts (the picture its ingest, the watch its alerts, sharing its outbox), so each
contributes its own metric families through the registry's ``core.metrics`` extension point: a reference to
``f(engine) -> Iterable[prometheus_client.Metric]``, called at every scrape (so a figure read from the database,
such as the outbox depth, is current). Core and the web app only read the registry and never import a domain.

Metrics carry counts only: labels are bounded codes (a source kind, a rejection reason, an alert kind, a partner
nation), never anything of a record (no MMSI, no name), so ``/metrics`` needs no access filter and writes no
audit entry.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from dkfi.core import registry

log = logging.getLogger(__name__)

EXTENSION_POINT = "core.metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Producer = Callable[[Any], Iterable[Metric]]


def producers() -> list[Producer]:
    """What the registered domains contribute to the metrics."""
    return registry.extensions(EXTENSION_POINT)


class DomainCollector(Collector):
    """Asks every domain's producer for its families at scrape time. A producer that fails (the database away
    while the outbox is counted) costs only its own families: the others are still served, and the failure is
    counted in ``dkfi_metrics_producer_errors`` by producer, so a broken figure is visible, not silently absent."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily("dkfi_metrics_producer_errors",
                                   "metric producers that failed during this scrape (see the node's log)",
                                   labels=["producer"])
        for produce in producers():
            name = f"{getattr(produce, '__module__', '?')}.{getattr(produce, '__qualname__', '?')}"
            try:
                families = list(produce(self.engine))
            except Exception:
                log.exception("metrics producer %s failed", name)
                errors.add_metric([name], 1)
                continue
            yield from families
        yield errors


def render(engine: Any) -> bytes:
    """The metrics of this node in the Prometheus text format (version 0.0.4)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(DomainCollector(engine))
    return generate_latest(reg)
