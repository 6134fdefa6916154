"""The production event bus: NATS JetStream.

Publishing is synchronous and may happen from any thread (the ingest pipeline is not async): messages
are handed to a background thread that owns the NATS connection and publishes them to a JetStream
stream, so they survive a subscriber's restart. Subscribers are asyncio consumers with their own
connection and an ordered push consumer that starts at new messages.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, AsyncIterator

log = logging.getLogger(__name__)

STREAM = "DKFI"
SUBJECTS = ["maritime.>", "sharing.>", "dkfi.>"]


class NatsBus:
    """Same interface as :class:`dkfi.core.bus.InProcessBus`, backed by NATS JetStream."""

    def __init__(self, url: str = "nats://127.0.0.1:4222", stream: str = STREAM,
                 max_pending: int = 50_000, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.stream = stream
        self.max_pending = max_pending
        self.dropped = 0
        self.published = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._queue: asyncio.Queue | None = None
        self._thread = threading.Thread(target=self._run, name="dkfi-nats-bus", daemon=True)
        self._thread.start()
        if not self._ready.wait(connect_timeout + 2) or self._error is not None:
            self.close()
            raise ConnectionError(f"cannot reach NATS at {url}: {self._error or 'timed out'}")

    # ---- the publishing thread ----------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the constructor or logged
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        import nats

        self._nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=-1,
                                      reconnect_time_wait=1)
        self._js = self._nc.jetstream()
        await ensure_stream(self._js, self.stream)
        self._queue = asyncio.Queue(self.max_pending)
        self._ready.set()
        while True:
            item = await self._queue.get()
            if item is None:
                break
            subject, data = item
            try:
                await self._js.publish(subject, data, stream=self.stream)
                self.published += 1
            except Exception as exc:  # the bus must never stop the pipeline
                log.warning("NATS publish to %s failed: %s", subject, exc)
        await self._nc.drain()

    def publish(self, subject: str, message: Any) -> None:
        data = json.dumps(message, separators=(",", ":"), default=str).encode()
        try:
            self._loop.call_soon_threadsafe(self._enqueue, subject, data)
        except RuntimeError:
            self.dropped += 1

    def _enqueue(self, subject: str, data: bytes) -> None:
        if self._queue.full():
            self.dropped += 1
            return
        self._queue.put_nowait((subject, data))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything published so far has been acknowledged by JetStream."""
        async def _wait():
            while self._queue.qsize():
                await asyncio.sleep(0.01)
            await self._nc.flush()

        asyncio.run_coroutine_threadsafe(_wait(), self._loop).result(timeout)

    def close(self) -> None:
        if self._thread.is_alive() and self._queue is not None:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
            self._thread.join(10)

    # ---- subscribers ------------------------------------------------------------------------
    async def subscribe(self, subject: str) -> AsyncIterator[Any]:
        import nats
        from nats.js.api import DeliverPolicy

        nc = await nats.connect(self.url, connect_timeout=5)
        try:
            js = nc.jetstream()
            sub = await js.subscribe(subject, stream=self.stream, ordered_consumer=True,
                                     deliver_policy=DeliverPolicy.NEW)
            async for msg in sub.messages:
                yield json.loads(msg.data)
        finally:
            await nc.close()


async def ensure_stream(js, name: str = STREAM) -> None:
    """Create the stream if missing (memory-bounded: the newest 1 GiB / 24 h are kept)."""
    from nats.js.api import RetentionPolicy, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=name, subjects=SUBJECTS, retention=RetentionPolicy.LIMITS,
                                         max_bytes=1 << 30, max_age=24 * 3600))
