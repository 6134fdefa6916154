"""The watch in a second process, so detection overlaps ingest on another core.

The ingest pipeline hands each accepted record to :meth:`WatchWorker.process`, which batches them (plain
tuples) onto a bounded queue; the worker runs the same :class:`~dkfi.maritime.watch.WatchRunner` (with
the late-data :class:`~dkfi.maritime.late.Reviser`) and sends back snapshots of the alerts that changed
and the keys of alerts that late data withdrew. The queue's bound is the back-pressure: if detection
falls behind, ingest waits instead of memory growing.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import time
from pathlib import Path

from dkfi.maritime.records import Position, Static

_POS, _STA = 0, 1


def _main(inbox, outbox, assets, watchlist, corridor_m) -> None:  # runs in the worker process
    from dkfi.maritime import watch
    from dkfi.maritime.late import Reviser

    try:
        runner = watch.WatchRunner(watch.make_context(assets, watchlist, corridor_m))
    except Exception as exc:  # reported to the parent, which raises it
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    reviser = Reviser(runner)
    outbox.put(("ready", None))
    records = 0
    while True:
        msg = inbox.get()
        if msg is None:
            break
        kind, payload = msg
        if kind == "records":
            changed = {}
            for tag, values in payload:
                r = Position(*values) if tag == _POS else Static(*values)
                for a in reviser.process(r):
                    changed[a.key] = a
            records += len(payload)
            withdrawn, reviser.withdrawn_alerts = reviser.withdrawn_alerts, []
            if changed or withdrawn:
                outbox.put(("alerts", ([a.as_dict() for a in changed.values()], withdrawn)))
        elif kind == "forget":
            runner.forget(payload)
    outbox.put(("done", {"records": records, "events": len(runner.engine.events),
                         "alerts": len(runner.builder.alerts)}))


class WatchWorker:
    """A :class:`WatchRunner` in its own process; same records in, same alerts out."""

    def __init__(self, assets: Path | None = None, watchlist: Path | None = None, corridor_m: float | None = None,
                 batch: int = 2000, max_batches: int = 32, start_method: str = "spawn",
                 ready_timeout: float = 180.0) -> None:
        ctx = mp.get_context(start_method)
        self.inbox = ctx.Queue(maxsize=max_batches)
        self.outbox = ctx.Queue()
        self.batch = batch
        self._buf: list = []
        self._alerts: dict[str, dict] = {}
        self._withdrawn: list[str] = []
        self.stats: dict | None = None
        self.proc = ctx.Process(target=_main, args=(self.inbox, self.outbox, assets, watchlist, corridor_m),
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
        self._buf.append((_POS if type(record) is Position else _STA,
                          tuple(getattr(record, f) for f in record.__slots__)))
        if len(self._buf) >= self.batch:
            self._send()

    def forget(self, mmsis) -> None:
        self._send()
        self._put(("forget", set(mmsis)))

    def _send(self) -> None:
        if self._buf:
            batch, self._buf = self._buf, []
            self._put(("records", batch))

    def _put(self, msg) -> None:
        while True:  # keep the results flowing while waiting for room, or both sides could block
            try:
                self.inbox.put(msg, timeout=0.05)
                return
            except queue.Full:
                self._drain()
                if not self.proc.is_alive():
                    raise RuntimeError("watch worker stopped") from None

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
        elif kind == "done":
            self.stats = payload

    def results(self) -> tuple[list[dict], list[str]]:
        """Alert snapshots that changed and alert keys withdrawn since the last call."""
        self._send()
        self._drain()
        alerts, self._alerts = list(self._alerts.values()), {}
        withdrawn, self._withdrawn = self._withdrawn, []
        return alerts, withdrawn

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
