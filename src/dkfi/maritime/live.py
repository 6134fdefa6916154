"""Live sources inside the web process (so the in-process bus reaches the pages' live streams): replayed
recordings, NMEA over TCP or UDP, a Digitraffic-shaped MQTT feed. Other domains hang taps on these feeds through
the registry's ``maritime.feed_taps`` extension point (the watch's detectors)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dkfi.core import registry
from dkfi.core.registry import LiveContext

log = logging.getLogger(__name__)

FEED_TAPS = "maritime.feed_taps"


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

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "LiveSources":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in options.items() if k in names and v is not None})

    def any(self) -> bool:
        return bool(self.replay or self.tcp or self.udp or self.mqtt)

    async def run(self, ctx: LiveContext) -> None:
        """Start every configured source; each feeds its own pipeline into the same store."""
        from dkfi.maritime import service
        from dkfi.maritime.sources import net

        engine, settings, bus, stop = ctx.engine, ctx.settings, ctx.bus, ctx.stop
        tap_sources = [t for t in await asyncio.gather(*(f(ctx) for f in registry.extensions(FEED_TAPS)))
                       if t is not None]

        def feed(source: str):
            return service.LiveFeed(engine, settings, bus, taps=[t.tap() for t in tap_sources], source=source)

        tasks = []
        if self.replay or self.extra:
            records, _ = await asyncio.to_thread(service.load_records, self.replay)
            extra, _ = await asyncio.to_thread(service.load_records, self.extra) if self.extra else ([], None)
            log.info("replaying %d records (+%d merged) at %gx", len(records), len(extra), self.speed)
            looped = {r.mmsi for r in records}
            replay_feed = feed("replay")
            # looped ships jump back to where they started: not a case for the detectors
            on_loop = (lambda: replay_feed.forget(looped)) if tap_sources else None
            tasks.append(replay_feed.run(service.replay(records, self.speed, self.loop, stop, extra, on_loop), stop))
        if self.tcp:
            host, port = net.parse_endpoint(self.tcp)
            tasks.append(feed("tcp").run(service.lines_to_items(net.tcp_lines(host, port, stop=stop), f"tcp:{self.tcp}"), stop))
        if self.udp:
            tasks.append(feed("udp").run(service.lines_to_items(net.udp_lines(self.udp, stop=stop), f"udp:{self.udp}"), stop))
        if self.mqtt:
            from dkfi.maritime.sources.digitraffic import subscribe

            tasks.append(feed("mqtt").run(subscribe(self.mqtt, stop=stop), stop))
        try:
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for t in tap_sources:
                await asyncio.to_thread(t.close, engine)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
                log.error("live source failed: %s", r)


async def run(ctx: LiveContext) -> None:
    """The picture's live task: the sources ``dkfi serve`` names, if any."""
    sources = LiveSources.from_options(ctx.options)
    if sources.any():
        await sources.run(ctx)


def check_options(options: dict[str, Any]) -> None:
    """The serve options of the picture are usable (ValueError naming the option otherwise)."""
    from dkfi.maritime.sources.net import parse_endpoint

    speed = options.get("speed", 1.0)
    if speed is not None and speed <= 0:
        raise ValueError(f"--speed must be positive, got {speed}")
    for opt in ("replay", "extra"):
        for p in options.get(opt) or []:
            if not Path(p).exists():
                raise ValueError(f"--{'merge' if opt == 'extra' else opt} {p}: no such file")
    if options.get("tcp"):
        try:
            parse_endpoint(options["tcp"])
        except ValueError as exc:
            raise ValueError(f"--tcp: {exc}") from None


def bundled_sample() -> Path:
    """The packaged 5-minute recording of the whole Danish AIS network (Danish Maritime Authority)."""
    from importlib import resources

    return Path(str(resources.files("dkfi") / "data" / "ais" / "ais-sample.txt.gz"))


def demo_options(settings, options: dict[str, Any]) -> None:
    """The demo replays the bundled recording in a loop."""
    options["replay"] = [*options.get("replay", []), bundled_sample()]
    options["loop"] = True
