"""The watch on live feeds: a tap on each of the picture's live feeds (:class:`dkfi.maritime.service.FeedTap`)
that runs the detectors in this process (in batches) or hands records to a second process, and stores and
publishes the alerts at each flush. ``dkfi serve`` / ``dkfi watch live`` reach it through the registry's
``maritime.feed_taps`` extension point."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from dkfi.core.db import session_scope
from dkfi.watch import metrics as watch_metrics
from dkfi.watch import service as watch
from dkfi.watch.models import AlertRecord
from dkfi.watch.late import Reviser

log = logging.getLogger(__name__)


class WatchBatches:
    """Accepted records for the watch, handed to ``process`` in batches of ``size`` (and on :meth:`run`).

    Interleaving ingest and detection record by record makes each evict the other's data from the CPU's
    caches; in batches each runs warm. bench/watch_speed.py (B) measured the detectors' cost in an
    in-process import a fifth lower this way (56 -> 45 µs per position). A live feed stores and publishes alerts only at its
    flush, and runs the batch before it, so batching adds no delay an operator could see.
    """

    def __init__(self, process: Callable, size: int = 2000) -> None:
        self.process = process
        self.size = size
        self.pending: list = []

    def add(self, record) -> None:
        pending = self.pending
        pending.append(record)
        if len(pending) >= self.size:
            self.run()

    def run(self) -> None:
        """Detect on everything pending, in arrival order."""
        pending, self.pending = self.pending, []
        process = self.process
        for r in pending:
            process(r)



class RunnerTap:
    """The detectors in this process: records in :class:`WatchBatches`, late reports through the reviser.

    For the lag gauge (:mod:`dkfi.watch.metrics`) it keeps when the first record after the last flush arrived
    (``_since``) and, from a flush until its write has committed, the oldest receive time that flush took
    (``_taken_since``)."""

    def __init__(self, runner: watch.WatchRunner, nation: str, batch: int = 2000) -> None:
        self.runner = runner
        self.nation = nation
        self.reviser = Reviser(runner)  # late reports revise or withdraw what they contradict
        self.batches = WatchBatches(self._detect, batch)
        self._alerts: dict[str, dict] = {}
        self._since: float | None = None
        self._taken_since: float | None = None

    def _detect(self, record) -> None:
        for a in self.reviser.process(record):
            self._alerts[a.key] = a.as_dict()  # a snapshot: detection goes on while the writer saves

    def process(self, record) -> None:
        if self._since is None:
            self._since = watch_metrics.now()
        self.batches.add(record)

    def forget(self, mmsis) -> None:
        """What this feed accepted before is detected first, with what the watch knew then."""
        self.batches.run()
        self.runner.forget(mmsis)

    def take(self) -> tuple[list[dict], list[str]]:
        self.batches.run()
        self._taken_since, self._since = watch_metrics.earliest(self._taken_since, self._since), None
        alerts, self._alerts = list(self._alerts.values()), {}
        withdrawn, self.reviser.withdrawn_alerts = self.reviser.withdrawn_alerts, []
        return alerts, withdrawn

    def write(self, engine, taken) -> list[tuple[str, dict]]:
        out = store_alerts(engine, self.nation, *taken)
        self._taken_since = None  # stored: what that flush took is no longer behind
        return out

    def oldest_unstored(self) -> float | None:
        """Receive time of the oldest record whose findings are not stored yet (None: all are)."""
        return watch_metrics.earliest(self._taken_since, self._since)


class WorkerTap:
    """The detectors in a second process (:class:`dkfi.watch.worker.WatchWorker`, which knows what it has not
    finished or not handed back yet); from a flush until its write has committed, the tap keeps the oldest
    receive time that flush took."""

    def __init__(self, worker, nation: str) -> None:
        self.worker = worker
        self.nation = nation
        self._taken_since: float | None = None

    def process(self, record) -> None:
        self.worker.process(record)

    def forget(self, mmsis) -> None:
        self.worker.forget(mmsis)

    def take(self):
        taken = self.worker.results()
        self._taken_since = watch_metrics.earliest(self._taken_since, self.worker.results_since)
        return taken

    def write(self, engine, taken) -> list[tuple[str, dict]]:
        out = store_alerts(engine, self.nation, *taken)
        self._taken_since = None
        return out

    def oldest_unstored(self) -> float | None:
        """Receive time of the oldest record whose findings are not stored yet (None: all are)."""
        return watch_metrics.earliest(self._taken_since, self.worker.oldest_unreturned())


def store_alerts(engine, nation: str, alerts: list, withdrawn: list) -> list[tuple[str, dict]]:
    """Store new and changed alerts and withdrawals in one transaction; the bus messages to publish. The alerts
    stored for the first time are counted, by kind, in the watch's metrics once the transaction has committed."""
    if not (alerts or withdrawn):
        return []
    with session_scope(engine) as s:
        keys = [a["key"] for a in alerts]
        known = set(s.scalars(select(AlertRecord.key).where(AlertRecord.key.in_(keys)))) if keys else set()
        recs = watch.save_alerts(s, alerts, nation)
        raised = [a["kind"] for a in alerts if a["key"] not in known]
        recs += watch.withdraw(s, withdrawn)
        summaries = [watch.summary_dict(r) for r in recs]
    watch_metrics.TOTALS.add(raised)
    return [(watch.ALERTS_SUBJECT, m) for m in summaries]


class LiveWatch:
    """One watch over every live source of a node (a vessel may appear in several): a tap per feed."""

    def __init__(self, nation: str, runner: watch.WatchRunner | None = None, worker=None) -> None:
        self.nation = nation
        self.runner = runner
        self.worker = worker
        self.taps: list[RunnerTap | WorkerTap] = []

    def tap(self) -> RunnerTap | WorkerTap:
        """A tap for one more live feed, seen by the lag gauge of ``/metrics`` until :meth:`close`."""
        t: RunnerTap | WorkerTap
        if self.worker is not None:
            t = WorkerTap(self.worker, self.nation)
        else:
            assert self.runner is not None
            t = RunnerTap(self.runner, self.nation)
        self.taps.append(t)
        watch_metrics.LAG.watch(t)
        return t

    def close(self, engine) -> None:
        """Let a worker finish what it was handed and store its last alerts (nothing is lost at shutdown)."""
        for t in self.taps:
            watch_metrics.LAG.forget(t)
        if self.worker is None:
            return
        self.worker.close(30.0)
        store_alerts(engine, self.nation, *self.worker.results())


def stored_watchlist(engine, settings):
    """The lists stored with ``dkfi watch lists import``, if any."""
    from dkfi.core.access import system_session
    from dkfi.watch.watchlist_store import stored_watchlist as stored

    with system_session(engine, settings.nation, "watch") as s:
        wl = stored(s)
    if wl is not None:
        log.info("watch list: %d stored entries", len(wl))
    return wl


async def feed_taps(ctx) -> LiveWatch | None:
    """The watch for ``dkfi serve``'s live sources (options ``watch``, ``watch_process``, ``assets``,
    ``watchlist``), or None when the watch is off."""
    opts = ctx.options
    if not opts.get("watch", True):
        return None
    assets: Path | None = opts.get("assets")
    watchlist = opts.get("watchlist")
    if watchlist is None:
        watchlist = await asyncio.to_thread(stored_watchlist, ctx.engine, ctx.settings)
    if opts.get("watch_process"):
        from dkfi.watch.worker import WatchWorker

        worker = await asyncio.to_thread(WatchWorker, assets, watchlist)
        return LiveWatch(ctx.settings.nation, worker=worker)
    wctx = await asyncio.to_thread(watch.make_context, assets, watchlist)
    return LiveWatch(ctx.settings.nation, runner=watch.WatchRunner(wctx))


def check_options(options: dict[str, Any]) -> None:
    """Files the watch's serve options name exist (ValueError naming the option otherwise)."""
    for opt in ("assets", "watchlist"):
        p = options.get(opt)
        if p is not None and not Path(p).exists():
            raise ValueError(f"--{opt} {p}: no such file")


