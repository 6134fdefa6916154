"""Live sources run inside the web process, so the in-process bus reaches the page's live stream."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class LiveSources:
    """What ``dkfi serve`` ingests while it serves: replayed files, TCP, UDP, MQTT."""

    replay: list[Path] = field(default_factory=list)
    speed: float = 1.0
    loop: bool = False
    tcp: str | None = None
    udp: int | None = None
    mqtt: str | None = None
    extra: list[Path] = field(default_factory=list)  # replayed once, merged by time (a simulated incident)
    watch: bool = True                                 # run the detectors and raise alerts
    watch_process: bool = False                        # ... in a second process (another core)
    assets: Path | None = None
    watchlist: Path | None = None

    def any(self) -> bool:
        return bool(self.replay or self.tcp or self.udp or self.mqtt)

    async def run(self, engine, settings, bus, stop: asyncio.Event) -> None:
        """Start every configured source; each feeds its own pipeline into the same store."""
        from dkfi.maritime import service
        from dkfi.maritime.sources import net

        runner = worker = None
        watchlist = self.watchlist
        if self.watch and watchlist is None:  # the lists stored with `dkfi watch lists import`, if any
            watchlist = await asyncio.to_thread(self._stored_watchlist, engine, settings)
        if self.watch and self.watch_process:
            from dkfi.maritime.watch_worker import WatchWorker

            worker = await asyncio.to_thread(WatchWorker, self.assets, watchlist)
        elif self.watch:
            from dkfi.maritime import watch

            ctx = await asyncio.to_thread(watch.make_context, self.assets, watchlist)
            runner = watch.WatchRunner(ctx)  # one watch over every source: a vessel may appear in several
        detector = runner or worker

        def feed():
            return service.LiveFeed(engine, settings, bus, runner=runner, worker=worker)

        tasks = []
        if self.replay or self.extra:
            records, _ = await asyncio.to_thread(service.load_records, self.replay)
            extra, _ = await asyncio.to_thread(service.load_records, self.extra) if self.extra else ([], None)
            log.info("replaying %d records (+%d merged) at %gx", len(records), len(extra), self.speed)
            looped = {r.mmsi for r in records}
            replay_feed = feed()
            # looped ships jump back to where they started: not a case for the detectors
            on_loop = (lambda: replay_feed.forget(looped)) if detector is not None else None
            tasks.append(replay_feed.run(service.replay(records, self.speed, self.loop, stop, extra, on_loop), stop))
        if self.tcp:
            host, port = net.parse_endpoint(self.tcp)
            tasks.append(feed().run(service.lines_to_items(net.tcp_lines(host, port, stop=stop), f"tcp:{self.tcp}"), stop))
        if self.udp:
            tasks.append(feed().run(service.lines_to_items(net.udp_lines(self.udp, stop=stop), f"udp:{self.udp}"), stop))
        if self.mqtt:
            from dkfi.maritime.sources.digitraffic import subscribe

            tasks.append(feed().run(subscribe(self.mqtt, stop=stop), stop))
        try:
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if worker is not None:
                await asyncio.to_thread(self._close_worker, worker, engine, settings)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
                log.error("live source failed: %s", r)

    @staticmethod
    def _stored_watchlist(engine, settings):
        from dkfi.core.access import system_session
        from dkfi.maritime.watchlist_store import stored_watchlist

        with system_session(engine, settings.nation, "watch") as s:
            wl = stored_watchlist(s)
        if wl is not None:
            log.info("watch list: %d stored entries", len(wl))
        return wl

    @staticmethod
    def _close_worker(worker, engine, settings) -> None:
        """Let the worker finish what it was handed and store its last alerts (nothing is lost at shutdown)."""
        from dkfi.core.db import session_scope
        from dkfi.maritime import watch

        worker.close(30.0)
        alerts, withdrawn = worker.results()
        if alerts or withdrawn:
            with session_scope(engine) as s:
                watch.save_alerts(s, alerts, settings.nation)
                watch.withdraw(s, withdrawn)
