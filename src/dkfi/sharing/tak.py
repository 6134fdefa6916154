"""Send Cursor-on-Target events to a TAK server: TCP (a persistent connection) or UDP (unicast datagrams).

Servers are written ``tcp://host:port`` or ``udp://host:port`` (IPv6 hosts in brackets). The API may send only to
the servers configured in ``DKFI_TAK_SERVERS`` (a comma list, e.g. ``tcp://10.0.0.5:8087,udp://10.0.0.5:6969``);
the CLI names one with ``--server``.

* TCP: one connection kept open across sends. Before each write the connection is checked (a server that closed
  it is noticed, and anything the server sent is drained); a failed connect or write closes the socket and
  retries with exponential back-off (``backoff`` doubling up to ``max_backoff``) for ``retries`` further
  attempts, then raises :class:`TakError` naming ``tcp://host:port``. An event whose write failed is sent again
  on the new connection: CoT is keyed by ``uid``, so a repeat only refreshes the marker.
* UDP: one datagram per event, unicast only.
* Multicast and broadcast destinations (224.0.0.0/4, ff00::/8, 255.255.255.255, and the unspecified address)
  are refused unless ``allow_multicast=True`` is passed explicitly (TAK's SA multicast group 239.2.3.1:6969 is a
  deployment decision, never a default). Host names are resolved and every address they resolve to is checked.
"""
from __future__ import annotations

import ipaddress
import select
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

SCHEMES = ("tcp", "udp")
MAX_DATAGRAM = 65_000


class TakError(Exception):
    """Sending to a TAK server failed (the message names the server as scheme://host:port)."""


class Refused(TakError):
    """The destination is not allowed (multicast or broadcast without ``allow_multicast=True``)."""


class MessageTooLarge(TakError):
    """An event does not fit in one UDP datagram (no retry helps)."""


@dataclass(frozen=True)
class TakServer:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def address(self) -> str:
        return str(self).split("://", 1)[1]


def parse_server(text: str) -> TakServer:
    """``tcp://host:port`` or ``udp://host:port`` -> :class:`TakServer` (ValueError says what is wrong)."""
    raw = (text or "").strip()
    if "://" not in raw:
        raise ValueError(f"TAK server {raw!r} must be written tcp://host:port or udp://host:port")
    try:
        u = urlsplit(raw)
        port = u.port
    except ValueError as exc:
        raise ValueError(f"TAK server {raw!r}: {exc}") from None
    scheme = u.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"TAK server {raw!r}: scheme must be tcp or udp, not {u.scheme!r}")
    if not u.hostname:
        raise ValueError(f"TAK server {raw!r} names no host")
    if port is None or not (1 <= port <= 65535):
        raise ValueError(f"TAK server {raw!r} needs a port 1-65535 (TAK: tcp 8087, udp 6969)")
    if u.path not in ("", "/") or u.query or u.fragment or u.username or u.password:
        raise ValueError(f"TAK server {raw!r}: only scheme://host:port is allowed")
    return TakServer(scheme, u.hostname.lower(), port)


def parse_servers(text: str | None) -> list[TakServer]:
    """The comma list of a ``tak_servers`` setting (empty entries ignored)."""
    return [parse_server(part) for part in (text or "").split(",") if part.strip()]


def configured_servers(settings=None) -> list[TakServer]:
    from dkfi.core.config import get_settings

    return parse_servers(getattr(settings or get_settings(), "tak_servers", ""))


def _is_group(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.is_multicast or ip.is_unspecified:
        return True
    return isinstance(ip, ipaddress.IPv4Address) and ip == ipaddress.IPv4Address("255.255.255.255")


def resolve(server: TakServer, *, allow_multicast: bool = False) -> list[tuple]:
    """The socket addresses of ``server``; raises :class:`TakError` for multicast/broadcast (unless allowed)
    and for names that do not resolve."""
    kind = socket.SOCK_STREAM if server.scheme == "tcp" else socket.SOCK_DGRAM
    try:
        infos = socket.getaddrinfo(server.host, server.port, type=kind)
    except socket.gaierror as exc:
        raise TakError(f"TAK server {server}: cannot resolve {server.host!r} ({exc})") from None
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # IPv6 may carry a %scope
        if _is_group(ip) and not allow_multicast:
            raise Refused(f"TAK server {server}: {ip} is a multicast/broadcast address; refused (sending to a "
                           "group needs allow_multicast=True, on the command line --allow-multicast)")
    return infos


class TakSender:
    """Sends CoT messages (bytes, one event each) to one TAK server. Use as a context manager."""

    def __init__(self, server: TakServer | str, *, timeout: float = 5.0, retries: int = 3, backoff: float = 0.5,
                 max_backoff: float = 10.0, allow_multicast: bool = False,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.server = parse_server(server) if isinstance(server, str) else server
        self.timeout, self.retries, self.backoff, self.max_backoff = timeout, retries, backoff, max_backoff
        self.allow_multicast = allow_multicast
        self._sleep = sleep
        self._infos = resolve(self.server, allow_multicast=allow_multicast)
        self._sock: socket.socket | None = None
        self._udp_addr: tuple[Any, ...] | None = None  # set by _connect with a UDP socket
        self.sent = 0
        self.reconnects = 0

    # -- connection ---------------------------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        last: Exception | None = None
        for family, kind, proto, _, addr in self._infos:
            s = socket.socket(family, kind, proto)
            try:
                s.settimeout(self.timeout)
                if self.server.scheme == "tcp":
                    s.connect(addr)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                else:
                    if self.allow_multicast:
                        if family == socket.AF_INET:
                            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
                            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                    self._udp_addr = addr
                return s
            except OSError as exc:
                last = exc
                s.close()
        raise TakError(f"TAK server {self.server} unreachable: {last}")

    def _alive(self) -> bool:
        """Is the TCP connection still open? Drains whatever the server sent (TAK servers may send CoT)."""
        s = self._sock
        if s is None:
            return False
        try:
            while True:
                readable, _, _ = select.select([s], [], [], 0)
                if not readable:
                    return True
                data = s.recv(65536)
                if not data:
                    return False
        except OSError:
            return False

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self) -> "TakSender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending ------------------------------------------------------------------------------------------
    def _write(self, message: bytes) -> None:
        if self.server.scheme == "udp":
            if len(message) > MAX_DATAGRAM:
                raise MessageTooLarge(f"TAK server {self.server}: event of {len(message)} bytes is too large for one "
                               "UDP datagram; use tcp://")
            if self._sock is None:
                self._sock = self._connect()
            if self._udp_addr is None:  # _connect sets it with the UDP socket
                raise TakError(f"TAK server {self.server}: no address to send to")
            self._sock.sendto(message, self._udp_addr)
            return
        if self._sock is not None and not self._alive():
            self.close()
            self.reconnects += 1
        if self._sock is None:
            self._sock = self._connect()
        self._sock.sendall(message)

    def send(self, message: bytes) -> None:
        """Send one message, reconnecting with back-off; :class:`TakError` after ``retries`` failed retries."""
        delay = self.backoff
        attempt = 0
        while True:
            try:
                self._write(message)
                self.sent += 1
                return
            except MessageTooLarge:
                raise
            except (OSError, TakError) as exc:
                self.close()
                if attempt >= self.retries:
                    detail = str(exc) if isinstance(exc, TakError) else f"TAK server {self.server} unreachable: {exc}"
                    raise TakError(f"{detail} (after {attempt + 1} attempts)") from None
                attempt += 1
                self.reconnects += 1
                if delay > 0:
                    self._sleep(delay)
                delay = min(self.max_backoff, delay * 2 if delay > 0 else 0)

    def send_all(self, messages: Iterable[bytes], progress: Callable[[int], None] | None = None) -> int:
        """Send every message in order; returns how many were sent. ``progress(n)`` after each one."""
        n = 0
        for m in messages:
            self.send(m)
            n += 1
            if progress is not None:
                progress(n)
        return n


def send_events(server: TakServer | str, messages: Iterable[bytes], *, allow_multicast: bool = False,
                progress: Callable[[int], None] | None = None, **kw) -> int:
    """Open a sender, send ``messages`` (see :func:`dkfi.sharing.exports.event_message`), close it."""
    with TakSender(server, allow_multicast=allow_multicast, **kw) as sender:
        return sender.send_all(messages, progress)
