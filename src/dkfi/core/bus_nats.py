"""The production event bus: NATS JetStream.

Publishing is synchronous and may happen from any thread (the ingest pipeline is not async): messages
are handed to a background thread that owns the NATS connection and publishes them to a JetStream
stream, so they survive a subscriber's restart. Subscribers are asyncio consumers with their own
connection and an ordered push consumer that starts at new messages.

The bus never stops the pipeline, so a message it cannot deliver is not an exception for the publisher:
it is counted (:meth:`NatsBus.stats`: ``dropped`` when the queue is full, ``publish_failures`` when
JetStream did not acknowledge it: not connected, timed out, refused, bus closed) and logged as a warning.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any, AsyncIterator

log = logging.getLogger(__name__)

STREAM = "DKFI"
SUBJECTS = ["maritime.>", "sharing.>", "dkfi.>"]
WARN_EVERY = 10.0  # seconds between warnings about lost messages: a broker outage must not flood the log


class NatsBus:
    """Same interface as :class:`dkfi.core.bus.InProcessBus`, backed by NATS JetStream."""

    def __init__(self, url: str = "nats://127.0.0.1:4222", stream: str = STREAM,
                 max_pending: int = 50_000, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.stream = stream
        self.max_pending = max_pending
        self.connect_timeout = connect_timeout
        self.dropped = 0  # not queued: the publishing thread is max_pending messages behind
        self.published = 0  # acknowledged by JetStream
        self.publish_failures = 0  # queued or refused but never acknowledged
        self._counts = threading.Lock()  # the counters change in the publishers' threads and the bus's own
        self._closed = False
        self._warned_at = float("-inf")
        self._unwarned = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._connect_error: BaseException | None = None  # the client's last error (e.g. a refused connect)
        self._queue: asyncio.Queue[tuple[str, bytes] | None] | None = None
        self._thread = threading.Thread(target=self._run, name="dkfi-nats-bus", daemon=True)
        self._thread.start()
        if not self._ready.wait(connect_timeout + 2) or self._error is not None:
            reason = self._error or self._connect_error or "timed out"
            self.close()
            raise ConnectionError(f"cannot reach NATS at {url}: {reason}")

    # ---- the publishing thread ----------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the constructor, or logged once it had connected
            self._error = exc
            if self._ready.is_set():
                log.warning("NATS bus stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._ready.set()  # first: the constructor waits for it, whatever ending the loop does
            self._end_loop()

    def _end_loop(self) -> None:
        """Cancel the tasks the NATS client may leave behind (it does not close cleanly while reconnecting)
        and close the loop: nothing is left pending for the garbage collector to abort."""
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _main(self) -> None:
        import nats

        self._nc = await nats.connect(self.url, connect_timeout=self.connect_timeout, max_reconnect_attempts=-1,
                                      reconnect_time_wait=1, error_cb=self._on_error)
        self._js = self._nc.jetstream()
        await ensure_stream(self._js, self.stream)
        # unbounded, the bound is kept by _enqueue: close()'s end marker always fits
        queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        self._queue = queue
        self._ready.set()
        while True:
            item = await queue.get()
            if item is None:
                break
            subject, data = item
            try:
                await self._js.publish(subject, data, stream=self.stream)
                with self._counts:
                    self.published += 1
            except Exception as exc:  # the bus must never stop the pipeline: counted and logged instead
                self._failed(subject, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            finally:
                queue.task_done()
        await self._nc.drain()  # fails while reconnecting: _run then ends what the client left running

    async def _on_error(self, exc: BaseException) -> None:
        """The client's errors (a failed connect, a lost connection): kept for the constructor's message and
        logged in one line; nats-py's default logs a traceback for every attempt, once a second while the server
        is away."""
        self._connect_error = exc
        log.warning("NATS at %s: %s", self.url, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    def publish(self, subject: str, message: Any) -> None:
        data = json.dumps(message, separators=(",", ":"), default=str).encode()
        with self._counts:  # close() takes the lock too: a message handed over before it is still sent
            closed = self._closed
            if not closed and self._thread.is_alive():
                try:
                    self._loop.call_soon_threadsafe(self._enqueue, subject, data)
                    return
                except RuntimeError:  # the loop is closed
                    pass
        self._failed(subject, "the bus is closed" if closed else f"the publishing thread stopped: {self._error}")

    def _enqueue(self, subject: str, data: bytes) -> None:
        queue = self._queue
        if queue is None:  # cannot happen once the constructor returned: only a ready bus is handed out
            self._failed(subject, "not connected")
        elif queue.qsize() >= self.max_pending:
            with self._counts:
                self.dropped += 1
            self._warn(subject, f"{self.max_pending} messages waiting for JetStream: dropped")
        else:
            queue.put_nowait((subject, data))

    def _failed(self, subject: str, reason: str) -> None:
        with self._counts:
            self.publish_failures += 1
        self._warn(subject, reason)

    def _warn(self, subject: str, reason: str) -> None:
        """A warning for a lost message, at most one every WARN_EVERY seconds (the others are in the counts)."""
        now = time.monotonic()
        with self._counts:
            self._unwarned += 1
            if now - self._warned_at < WARN_EVERY:
                return
            n, self._unwarned, self._warned_at = self._unwarned, 0, now
            failures, dropped = self.publish_failures, self.dropped
        log.warning("NATS publish to %s lost: %s (%d lost since the last warning; %d failed and %d dropped in all)",
                    subject, reason, n, failures, dropped)

    def stats(self) -> dict[str, int]:
        """The bus's figures: messages acknowledged, dropped before sending, and failed; and still waiting."""
        queue = self._queue
        with self._counts:
            return {"published": self.published, "dropped": self.dropped,
                    "publish_failures": self.publish_failures, "pending": queue.qsize() if queue else 0}

    def connected(self) -> bool:
        """Ready to carry messages (``/readyz``): started, not closed, and the client connected to NATS now (not
        reconnecting after a lost connection)."""
        nc = getattr(self, "_nc", None)
        return self._ready.is_set() and not self._closed and nc is not None and bool(nc.is_connected)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything published so far has been acknowledged by JetStream or counted as failed."""
        queue = self._queue
        if queue is None or not self._thread.is_alive():  # closed: nothing is waiting
            return

        async def _wait() -> None:
            await queue.join()
            await self._nc.flush()

        asyncio.run_coroutine_threadsafe(_wait(), self._loop).result(timeout)

    def close(self) -> None:
        with self._counts:  # no publish() hands a message over after the end marker
            self._closed = True
            alive = self._thread.is_alive()
            queue = self._queue if alive else None
            if queue is not None:
                self._loop.call_soon_threadsafe(queue.put_nowait, None)
            elif alive:
                # still connecting (the constructor gave up waiting): the client retries for ever
                # (max_reconnect_attempts=-1 holds for the first connect too), so stop it here, or it
                # goes on in its thread after the bus is gone
                try:
                    self._loop.call_soon_threadsafe(self._stop_connecting)
                except RuntimeError:  # the loop has just closed: the thread is ending anyway
                    pass
        if alive:
            self._thread.join(10)

    def _stop_connecting(self) -> None:
        for task in asyncio.all_tasks(self._loop):
            task.cancel()

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
