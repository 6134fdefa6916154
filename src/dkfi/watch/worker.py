"""The watch in a second process, so detection overlaps ingest on another core.

The ingest pipeline hands each accepted record to :meth:`WatchWorker.process`, which batches them onto a
bounded queue: a position as the plain tuple of its fields (one C-level ``attrgetter`` call; the
de-duplication key, which only the pipeline needs, is left out), a static report (rare) as itself. The
worker rebuilds each position, runs the same :class:`~dkfi.watch.service.WatchRunner` (with the
late-data :class:`~dkfi.watch.late.Reviser`) and sends back snapshots of the alerts that changed and
the keys of alerts that late data withdrew. The queue's bound is the back-pressure: if detection falls
behind, ingest waits instead of memory growing. After each batch the worker reports how many it has finished
(``progress``), so the serving process knows how far behind the watch is (``dkfi_watch_lag_seconds``,
:mod:`dkfi.watch.metrics`) without the worker having a ``/metrics`` of its own.

Garbage collection: the worker's heap is mostly long-lived (modules, the asset, land and port indexes with
their grid caches, every vessel's detector state and recent track), and each position leaves a few new
container objects in that state (track points, the position itself in the late-data track), so CPython's
cyclic collector, left to its thresholds, keeps scanning them: that took a fifth to a quarter of the
worker's time (bench/watch_speed.py, "all nine" against "all nine, gc off"). Detection makes no reference
cycles (a test checks it: reference counting frees everything it drops), so the worker moves what it loaded
at start-up out of the collector's view (``gc.freeze``), switches automatic collection off, and runs one
full collection every ``gc_every`` records (a million by default) in case some cycle does appear.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import operator
import queue
import time
from collections import deque
from pathlib import Path

from dkfi.maritime.records import Position, Static
from dkfi.watch import metrics as watch_metrics
from dkfi.watch.watchlist import WatchList

# a position travels as the tuple of these fields, in Position's order (``Position(*values)`` rebuilds it)
POSITION_FIELDS = tuple(f for f in Position.__slots__ if f != "dedupe_key")
_position_values = operator.attrgetter(*POSITION_FIELDS)
GC_EVERY = 1_000_000  # records between the worker's full garbage collections (module doc)


def _main(inbox, outbox, assets, watchlist, corridor_m, gc_every) -> None:  # runs in the worker process
    from dkfi.core import logs
    from dkfi.core.config import get_settings
    from dkfi.watch import service as watch
    from dkfi.watch.late import Reviser

    logs.configure(get_settings())  # the same lines on the same stdout as the serving process (JSON or text)

    try:
        runner = watch.WatchRunner(watch.make_context(assets, watchlist, corridor_m))
    except Exception as exc:  # reported to the parent, which raises it
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    reviser = Reviser(runner)
    gc_s = [0.0, 0.0]  # time in the cyclic collector, and when the running collection began

    def gc_clock(phase, info, clock=time.perf_counter):
        if phase == "start":
            gc_s[1] = clock()
        else:
            gc_s[0] += clock() - gc_s[1]

    if gc_every:  # see the module doc
        gc.collect()
        gc.freeze()
        gc.disable()
    gc.callbacks.append(gc_clock)
    next_gc = gc_every or 0
    outbox.put(("ready", None))
    records = 0
    batches = 0
    wait_s = 0.0
    t_start = time.perf_counter()
    process = reviser.process
    clock = time.perf_counter
    while True:
        t = clock()
        msg = inbox.get()
        wait_s += clock() - t
        if msg is None:
            break
        kind, payload = msg
        if kind == "records":
            changed = None
            for values in payload:
                got = process(Position(*values) if type(values) is tuple else values)
                if got:
                    if changed is None:
                        changed = {}
                    for a in got:
                        changed[a.key] = a
            records += len(payload)
            if next_gc and records >= next_gc:
                gc.collect()
                next_gc = records + gc_every
            withdrawn, reviser.withdrawn_alerts = reviser.withdrawn_alerts, []
            if changed or withdrawn:
                outbox.put(("alerts", ([a.as_dict() for a in (changed or {}).values()], withdrawn)))
            batches += 1
            outbox.put(("progress", batches))  # after its alerts: what the parent takes covers the batch
        elif kind == "forget":
            runner.forget(payload)
    total_s = time.perf_counter() - t_start
    outbox.put(("done", {"records": records, "events": len(runner.engine.events),
                         "alerts": len(runner.builder.alerts), "busy_s": round(total_s - wait_s, 3),
                         "wait_s": round(wait_s, 3), "gc_s": round(gc_s[0], 3)}))


class WatchWorker:
    """A :class:`WatchRunner` in its own process; same records in, same alerts out."""

    def __init__(self, assets: Path | None = None, watchlist: Path | WatchList | None = None,
                 corridor_m: float | None = None, batch: int = 2000, max_batches: int = 32, start_method: str = "spawn",
                 ready_timeout: float = 180.0, gc_every: int | None = GC_EVERY) -> None:
        ctx = mp.get_context(start_method)
        self.inbox = ctx.Queue(maxsize=max_batches)
        self.outbox = ctx.Queue()
        self.batch = batch
        self._buf: list = []
        self._alerts: dict[str, dict] = {}
        self._withdrawn: list[str] = []
        self.stats: dict | None = None
        self.blocked_s = 0.0  # time spent handing batches to the queue, mostly waiting for room (detection behind)
        # for the lag gauge: receive times (watch_metrics.now) of the first record of the buffer, of each batch
        # handed over and not yet finished (with its number), and of the oldest finished one not yet returned
        self._buf_since: float | None = None
        self._sent: deque[tuple[int, float | None]] = deque()
        self._batches = 0
        self._done_since: float | None = None
        self.results_since: float | None = None  # the oldest receive time the last results() covered
        # every concrete context has Process; typeshed's BaseContext (what get_context(str) returns) lacks it
        self.proc = ctx.Process(  # type: ignore[attr-defined]
            target=_main, args=(self.inbox, self.outbox, assets, watchlist, corridor_m, gc_every),
            name="dkfi-watch", daemon=True)
        self.proc.start()
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                kind, payload = self.outbox.get(timeout=0.5)
                break
            except queue.Empty:
                if not self.proc.is_alive() or time.monotonic() > deadline:
                    kind, payload = "error", f"exit code {self.proc.exitcode}"
                    break
        if kind != "ready":
            self.proc.join(5)
            raise RuntimeError(f"watch worker did not start: {payload}")

    def process(self, record: Position | Static) -> None:
        buf = self._buf
        if not buf:
            self._buf_since = watch_metrics.now()
        buf.append(_position_values(record) if type(record) is Position else record)
        if len(buf) >= self.batch:
            self._send()

    def forget(self, mmsis) -> None:
        self._send()
        self._put(("forget", set(mmsis)))

    def _send(self) -> None:
        if self._buf:
            batch, self._buf = self._buf, []
            self._batches += 1
            self._sent.append((self._batches, self._buf_since))
            self._buf_since = None
            self._put(("records", batch))

    def _put(self, msg) -> None:
        t = time.perf_counter()
        while True:  # keep the results flowing while waiting for room, or both sides could block
            try:
                self.inbox.put(msg, timeout=0.05)
                break
            except queue.Full:
                self._drain()
                if not self.proc.is_alive():
                    raise RuntimeError("watch worker stopped") from None
        self.blocked_s += time.perf_counter() - t

    def _drain(self) -> None:
        while True:
            try:
                kind, payload = self.outbox.get_nowait()
            except queue.Empty:
                return
            self._take(kind, payload)

    def _take(self, kind, payload) -> None:
        if kind == "alerts":
            alerts, withdrawn = payload
            for a in alerts:
                self._alerts[a["key"]] = a
            self._withdrawn.extend(withdrawn)
        elif kind == "progress":
            sent = self._sent
            while sent and sent[0][0] <= payload:
                self._done_since = watch_metrics.earliest(self._done_since, sent.popleft()[1])
        elif kind == "done":
            self.stats = payload

    def results(self) -> tuple[list[dict], list[str]]:
        """Alert snapshots that changed and alert keys withdrawn since the last call."""
        self._send()
        self._drain()
        alerts, self._alerts = list(self._alerts.values()), {}
        withdrawn, self._withdrawn = self._withdrawn, []
        self.results_since, self._done_since = self._done_since, None
        return alerts, withdrawn

    def oldest_unreturned(self) -> float | None:
        """Receive time of the oldest record handed to :meth:`process` whose findings :meth:`results` has not
        returned yet: still buffered, in the worker's queue or being detected, or finished and waiting."""
        since = watch_metrics.earliest(self._buf_since, self._done_since)
        try:
            since = watch_metrics.earliest(since, self._sent[0][1])
        except IndexError:  # read from the scraping thread while the feed's thread empties it
            pass
        return since

    def close(self, timeout: float = 600.0) -> dict | None:
        """Hand over what is buffered, wait until the worker has processed everything, and stop it."""
        self._send()
        self._put(None)
        deadline = time.monotonic() + timeout
        while self.stats is None and time.monotonic() < deadline:
            try:
                kind, payload = self.outbox.get(timeout=0.5)
            except queue.Empty:
                if not self.proc.is_alive():
                    break
                continue
            self._take(kind, payload)
        self.proc.join(10)
        return self.stats
