"""Sharing's figures for ``/metrics``: the federation outbox's depth per partner, read at scrape time.

Changes owed to a partner wait in the outbox until they are delivered; a depth that keeps growing is a partner
(or the link to it) that is away. Counted with one grouped query on the node's own connection, so no user's
session, access filter or audit entry is involved; partners configured for this node are listed with 0 when
nothing waits for them.
"""
from __future__ import annotations

from typing import Any, Iterable

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from dkfi.sharing.models import OutboxItem
from dkfi.sharing.outbox import node_of


def outbox_depth(engine: Any) -> dict[str, int]:
    """Undelivered outbox rows per partner nation (configured partners included with 0)."""
    depth = {p: 0 for p in node_of(engine).partners}
    q = (select(OutboxItem.partner, func.count(OutboxItem.id)).where(OutboxItem.delivered_at.is_(None))
         .group_by(OutboxItem.partner))
    with engine.connect() as conn:
        for partner, n in conn.execute(q):
            depth[partner] = int(n)
    return depth


def families(engine: Any) -> Iterable[Metric]:
    """Sharing's contribution to ``/metrics`` (registry extension point ``core.metrics``)."""
    fam = GaugeMetricFamily("dkfi_outbox_pending", "federation changes not yet delivered, per partner nation",
                            labels=["partner"])
    for partner, n in sorted(outbox_depth(engine).items()):
        fam.add_metric([partner], n)
    return [fam]
