"""The event bus: in-process (embedded default) or NATS JetStream (production).

Publishers may run in any thread; subscribers are asyncio consumers (the web's live streams).
"""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, AsyncIterator


class InProcessBus:
    """Fan-out of messages to asyncio subscribers of the same process.

    Each subscriber has a bounded queue; a subscriber that cannot keep up loses its oldest
    messages (a live map wants the newest positions, not a growing backlog).
    """

    def __init__(self, queue_size: int = 10_000) -> None:
        self._subs: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
        self._lock = threading.Lock()
        self.queue_size = queue_size
        self.published = 0
        self.dropped = 0  # oldest messages a slow subscriber lost
        self.publish_failures = 0  # the same figures as NatsBus; handing over in memory cannot fail

    def publish(self, subject: str, message: Any) -> None:
        with self._lock:
            self.published += 1
            subs = list(self._subs.get(subject, ()))
        for loop, q in subs:
            try:
                loop.call_soon_threadsafe(self._put, q, message)
            except RuntimeError:  # loop closed: the subscriber is gone
                pass

    def _put(self, q: asyncio.Queue, message: Any) -> None:
        if q.full():
            try:
                q.get_nowait()
                with self._lock:
                    self.dropped += 1
            except asyncio.QueueEmpty:
                pass
        q.put_nowait(message)

    def stats(self) -> dict[str, int]:
        """The bus's figures, as :meth:`dkfi.core.bus_nats.NatsBus.stats` (nothing waits: ``pending`` is 0)."""
        with self._lock:
            return {"published": self.published, "dropped": self.dropped,
                    "publish_failures": self.publish_failures, "pending": 0}

    async def subscribe(self, subject: str) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        q: asyncio.Queue = asyncio.Queue(self.queue_size)
        entry = (loop, q)
        with self._lock:
            self._subs.setdefault(subject, []).append(entry)
        try:
            while True:
                yield await q.get()
        finally:
            with self._lock:
                self._subs[subject].remove(entry)

    def connected(self) -> bool:
        """Ready to carry messages (``/readyz``): always, in memory."""
        return True

    def subscribers(self, subject: str) -> int:
        with self._lock:
            return len(self._subs.get(subject, ()))


def encode(message: Any) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


_bus = None


def get_bus():
    """The process's bus: in-process by default, NATS JetStream when DKFI_BUS=nats."""
    global _bus
    if _bus is None:
        from dkfi.core.config import get_settings

        settings = get_settings()
        if settings.bus == "nats":
            from dkfi.core.bus_nats import NatsBus

            _bus = NatsBus(settings.nats_url)
        elif settings.bus == "memory":
            _bus = InProcessBus()
        else:
            raise ValueError(f"DKFI_BUS must be 'memory' or 'nats', got {settings.bus!r}")
    return _bus
