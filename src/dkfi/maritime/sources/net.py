"""AIS NMEA 0183 lines from the network: a reconnecting TCP client and a UDP listener (asyncio).

Both yield raw lines as ``bytes`` without the line ending (``\\r\\n`` and ``\\n`` are both
understood; a lone trailing ``\\r`` is removed). Empty lines are skipped; nothing else is altered,
so the NMEA parser sees (and accounts for) exactly what the receiver sent.

:func:`tcp_lines` — for AIS-catcher, coastal network servers and the like:

* connects, yields lines, and on any failure or close reconnects after a back-off that starts at
  ``min_backoff`` and doubles up to ``max_backoff``; the back-off is reset to ``min_backoff`` after
  a connection that delivered data (so a server that accepts and closes at once is not hammered);
* ``on_state`` is told ``"connecting"``, ``"connected"``, ``"disconnected (reason)"`` and
  ``"waiting N s"`` (without ``on_state`` these go to the module logger);
* a partial last line left when the connection drops is yielded (the parser rejects it if it is
  truncated), so every received byte is accounted for;
* stops within milliseconds when ``stop`` is set: while connecting, reading or waiting;
* **over-long lines**: a line longer than :data:`MAX_LINE` (64 KiB) is not yielded, neither whole
  nor truncated (a 64 KiB prefix could still hold a valid sentence followed by junk and be
  accepted). Its bytes are discarded up to the next line ending and a short marker line
  ``<overlong line dropped: N bytes> ...`` (at most ~120 bytes, starting with the first bytes of
  the line) is yielded in its place. The marker is never valid NMEA, so the parser rejects it as
  ``malformed`` and the line is counted once, as every other line. :attr:`NetStats.overlong`
  counts them too.

:func:`udp_lines` — a UDP listener on ``host:port`` (default host ``127.0.0.1``; pass ``0.0.0.0``
to listen on all interfaces). Each datagram may hold several lines; a last line without line
ending is a whole line (datagrams are not split across). Received lines go through a bounded
queue (:data:`UDP_QUEUE_LINES`); when the consumer falls behind and the queue is full, **newly
arriving lines are dropped** (the lines already queued are kept, in order), counted in
:attr:`NetStats.dropped` and reported by a warning in the log (at most one every 10 s).

Pass a :class:`NetStats` as ``stats=`` to either to read counters while it runs.
"""
from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from dkfi.maritime.records import MAX_LINE as _MAX_LINE
from dkfi.maritime.sources.nmea import overlong_marker

__all__ = ["tcp_lines", "udp_lines", "parse_endpoint", "NetStats", "MAX_LINE", "UDP_QUEUE_LINES"]

log = logging.getLogger(__name__)

# The longest line (bytes, without the line ending) yielded as is; longer ones become a marker. One cap for every
# source: the file readers apply it too.
MAX_LINE = _MAX_LINE

UDP_QUEUE_LINES = 100_000
"""Lines held for a slow consumer of :func:`udp_lines` before new ones are dropped."""

_READ_SIZE = 64 * 1024
_DROP_WARN_INTERVAL = 10.0


@dataclass
class NetStats:
    """Counters of one :func:`tcp_lines` / :func:`udp_lines` run (updated as it goes)."""

    lines: int = 0
    """Lines yielded (markers for over-long lines included)."""
    overlong: int = 0
    """Over-long lines replaced by a marker (TCP)."""
    dropped: int = 0
    """Lines dropped because the queue was full (UDP)."""
    connections: int = 0
    """Successful TCP connections."""
    datagrams: int = 0
    """Datagrams received (UDP)."""
    local_address: tuple | None = None
    """Bound UDP address (``(host, port, ...)``), set once listening: useful with port 0."""


# ---- endpoint -----------------------------------------------------------------------------------

_ENDPOINT = re.compile(r"^(?:\[(?P<v6>[^\[\]]+)\]|(?P<host>[^:\[\]\s]+)):(?P<port>[0-9]+)$")


def parse_endpoint(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (or ``"[IPv6]:PORT"``) -> ``(host, port)``; ValueError naming the input."""
    if not isinstance(text, str):
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    s = text.strip()
    m = _ENDPOINT.match(s)
    if m is None:
        if s.count(":") > 1 and not s.startswith("["):
            raise ValueError(f"expected HOST:PORT, got {text!r} (write an IPv6 address in brackets: [::1]:4001)")
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    port = int(m.group("port"))
    if not 1 <= port <= 65535:
        raise ValueError(f"port must be 1-65535, got {port} in {text!r}")
    host = m.group("v6") if m.group("v6") is not None else m.group("host")
    return host, port


# ---- helpers ------------------------------------------------------------------------------------

async def _race(aw, stop_task: asyncio.Task):
    """Await ``aw`` unless ``stop`` is set first; returns (done, result). Cancels ``aw`` on stop."""
    task = asyncio.ensure_future(aw)
    try:
        await asyncio.wait({task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    if task.done():
        return True, task.result()
    task.cancel()
    try:
        await task
    except BaseException:
        pass
    return False, None


def _set_keepalive(writer: asyncio.StreamWriter) -> None:
    """TCP keep-alive, so a silently dead peer is noticed within a few minutes."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6)):
            opt = getattr(socket, name, None)
            if opt is not None:
                sock.setsockopt(socket.IPPROTO_TCP, opt, value)
    except OSError:
        pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


# ---- TCP ----------------------------------------------------------------------------------------

async def tcp_lines(host: str, port: int, *, stop: asyncio.Event | None = None, min_backoff: float = 1.0,
                    max_backoff: float = 60.0, connect_timeout: float = 10.0,
                    on_state: Callable[[str], None] | None = None,
                    stats: NetStats | None = None) -> AsyncIterator[bytes]:
    """Lines from a TCP server, reconnecting forever (until ``stop``); see the module docstring."""
    if min_backoff <= 0 or max_backoff < min_backoff:
        raise ValueError(f"need 0 < min_backoff <= max_backoff, got {min_backoff}, {max_backoff}")
    if stop is None:
        stop = asyncio.Event()
    if stats is None:
        stats = NetStats()

    def state(text: str) -> None:
        if on_state is None:
            log.info("tcp %s:%s: %s", host, port, text)
            return
        try:
            on_state(text)
        except Exception:  # a faulty callback must not end the stream
            log.exception("tcp %s:%s: on_state callback failed", host, port)

    stop_task = asyncio.ensure_future(stop.wait())
    delay = min_backoff
    try:
        while not stop.is_set():
            state("connecting")
            writer = None
            got_data = False
            reason = "closed by server"
            try:
                ok, conn = await _race(
                    asyncio.wait_for(asyncio.open_connection(host, port, limit=MAX_LINE), connect_timeout),
                    stop_task)
                if not ok:
                    break
                reader, writer = conn
                _set_keepalive(writer)
                stats.connections += 1
                state("connected")

                buf = b""
                skipping = 0  # >0: inside an over-long line, this many bytes so far
                head = b""
                while True:
                    ok, chunk = await _race(reader.read(_READ_SIZE), stop_task)
                    if not ok:
                        return
                    if not chunk:
                        break
                    got_data = True
                    start = 0
                    if skipping:
                        nl = chunk.find(b"\n")
                        if nl < 0:
                            skipping += len(chunk)
                            continue
                        skipping += nl
                        stats.lines += 1
                        yield overlong_marker(head, skipping)
                        skipping = 0
                        start = nl + 1
                    data = buf + chunk[start:] if buf else chunk[start:]
                    lines = data.split(b"\n")
                    buf = lines.pop()
                    for line in lines:
                        if line.endswith(b"\r"):
                            line = line[:-1]
                        if not line:
                            continue
                        if len(line) > MAX_LINE:
                            stats.overlong += 1
                            stats.lines += 1
                            yield overlong_marker(line, len(line))
                            continue
                        stats.lines += 1
                        yield line
                        if stop.is_set():
                            return
                    if len(buf) > MAX_LINE:
                        stats.overlong += 1
                        skipping = len(buf)
                        head = buf[:80]
                        buf = b""
                # connection closed: account for what is left
                if skipping:
                    stats.lines += 1
                    yield overlong_marker(head, skipping)
                elif buf.rstrip(b"\r"):
                    stats.lines += 1
                    yield buf.rstrip(b"\r")
            except asyncio.TimeoutError as exc:  # (an OSError too: ETIMEDOUT while reading)
                reason = f"connect timed out after {connect_timeout:g} s" if writer is None else _reason(exc)
            except (OSError, EOFError) as exc:
                reason = _reason(exc)
            finally:
                if writer is not None:
                    writer.close()
                    try:
                        await asyncio.wait_for(writer.wait_closed(), 0.5)
                    except BaseException:
                        pass
            if stop.is_set():
                break
            state(f"disconnected ({reason})")
            if got_data:
                delay = min_backoff
            state(f"waiting {delay:g} s")
            ok, _ = await _race(asyncio.sleep(delay), stop_task)
            if not ok:
                break
            delay = min(delay * 2, max_backoff)
    finally:
        stop_task.cancel()


# ---- UDP ----------------------------------------------------------------------------------------

class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue, stats: NetStats, where: str) -> None:
        self.queue = queue
        self.stats = stats
        self.where = where
        self.error: Exception | None = None
        self._dropped_since_warn = 0
        self._last_warn = 0.0

    def datagram_received(self, data: bytes, addr) -> None:
        self.stats.datagrams += 1
        put = self.queue.put_nowait
        dropped = 0
        for line in data.split(b"\n"):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                continue
            if dropped:
                dropped += 1
                continue
            try:
                put(line)
            except asyncio.QueueFull:
                dropped = 1
        if dropped:
            self.stats.dropped += dropped
            self._dropped_since_warn += dropped
            now = time.monotonic()
            if now - self._last_warn >= _DROP_WARN_INTERVAL:
                log.warning("udp %s: queue full (%d lines), dropped %d new lines (%d in all)",
                            self.where, self.queue.maxsize, self._dropped_since_warn, self.stats.dropped)
                self._last_warn = now
                self._dropped_since_warn = 0

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP errors; keep listening
        log.debug("udp %s: %s", self.where, exc)


async def udp_lines(port: int, host: str = "127.0.0.1", *, stop: asyncio.Event | None = None,
                    queue_lines: int = UDP_QUEUE_LINES, stats: NetStats | None = None) -> AsyncIterator[bytes]:
    """Lines of the datagrams sent to ``host:port`` until ``stop``; see the module docstring."""
    if not 0 <= port <= 65535:
        raise ValueError(f"UDP port must be 0-65535 (0: any free port), got {port}")
    if stop is None:
        stop = asyncio.Event()
    if stats is None:
        stats = NetStats()
    where = f"{host}:{port}"
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(maxsize=queue_lines)
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(queue, stats, where), local_addr=(host, port))
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen for UDP on {where}: {_reason(exc)}") from exc
    stats.local_address = transport.get_extra_info("sockname")
    stop_task = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            try:
                line = queue.get_nowait()
            except asyncio.QueueEmpty:
                ok, line = await _race(queue.get(), stop_task)
                if not ok:
                    return
            stats.lines += 1
            yield line
    finally:
        stop_task.cancel()
        transport.close()
