"""dkfi.maritime.sources.net: TCP client and UDP listener against real sockets on 127.0.0.1."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest

from dkfi.maritime.sources import net
from dkfi.maritime.sources.net import MAX_LINE, NetStats, parse_endpoint, tcp_lines, udp_lines
from dkfi.maritime.sources.nmea import NmeaParser, nmea_checksum
from dkfi.maritime.records import REASON_MALFORMED, Rejected

LOCAL = "127.0.0.1"
TIMEOUT = 5.0


def sentence(payload: str, channel: str = "A") -> bytes:
    body = f"AIVDM,1,1,,{channel},{payload},0".encode()
    return b"!" + body + b"*%02X" % nmea_checksum(body)


BATCH1 = [sentence("13aG?P0P00PD;88MD5MTDww@2<0L"), sentence("15M67FC000G?ufbE`FepT@3n00Sa"),
          sentence("33aG?P0P00PD;88MD5MTDww@2<0L", "B")]
BATCH2 = [sentence("14eG;o@034o8sd<L9i:a;WF>062D"), sentence("13u?etPv2;0n:dDPwUM1U1Cb069D")]


def run(coro, timeout: float = TIMEOUT):
    """Run a test coroutine; it must finish by itself within ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


async def take(agen, n: int) -> list[bytes]:
    out = []
    async for line in agen:
        out.append(line)
        if len(out) == n:
            break
    return out


class Server:
    """A TCP server on 127.0.0.1 that plays one script (a list of writes) per accepted connection."""

    def __init__(self, scripts: list[list[bytes | float]], port: int = 0, close: bool = True) -> None:
        self.scripts = list(scripts)
        self.port = port
        self.close = close
        self.accepted = 0
        self.server: asyncio.base_events.Server | None = None
        self.hold = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        script = self.scripts.pop(0) if self.scripts else []
        try:
            for step in script:
                if isinstance(step, float):
                    await asyncio.sleep(step)
                else:
                    writer.write(step)
                    await writer.drain()
            if not self.close:
                await self.hold.wait()
        finally:
            writer.close()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, LOCAL, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self.hold.set()
        if self.server is not None:
            self.server.close()


# ---- parse_endpoint -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:4001", ("127.0.0.1", 4001)),
    ("ais.example.dk:1", ("ais.example.dk", 1)),
    ("localhost:65535", ("localhost", 65535)),
    ("[::1]:4001", ("::1", 4001)),
    ("[fe80::1%eth0]:10110", ("fe80::1%eth0", 10110)),
    (" 10.0.0.2:5631 ", ("10.0.0.2", 5631)),
])
def test_parse_endpoint(text, expected):
    assert parse_endpoint(text) == expected


@pytest.mark.parametrize("text", ["x", "", "host", "host:", ":4001", "host:port", "host:-1", "host:40 01",
                                  "[::1]", "[::1]4001", "a b:4001", "host:4001:5"])
def test_parse_endpoint_rejects(text):
    with pytest.raises(ValueError) as exc:
        parse_endpoint(text)
    assert str(exc.value).startswith(f"expected HOST:PORT, got {text!r}")


def test_parse_endpoint_port_range_and_ipv6_hint():
    for text in ("host:0", "host:65536", "[::1]:99999"):
        with pytest.raises(ValueError, match=r"port must be 1-65535, got \d+ in " + repr(text).replace("[", r"\[")
                           .replace("]", r"\]")):
            parse_endpoint(text)
    with pytest.raises(ValueError, match=r"expected HOST:PORT, got '::1:4001' \(write an IPv6 address in brackets"):
        parse_endpoint("::1:4001")


# ---- TCP ----------------------------------------------------------------------------------------

def test_tcp_receives_reconnects_and_receives_second_batch():
    async def main():
        server = Server([[b"\r\n".join(BATCH1) + b"\r\n"], [b"\n".join(BATCH2) + b"\n"]])
        port = await server.start()
        states: list[str] = []
        stats = NetStats()
        stop = asyncio.Event()
        try:
            got = await take(tcp_lines(LOCAL, port, stop=stop, min_backoff=0.05, max_backoff=0.2,
                                       on_state=states.append, stats=stats), len(BATCH1) + len(BATCH2))
        finally:
            await server.stop()
        assert got == BATCH1 + BATCH2
        assert server.accepted == 2
        assert stats.connections == 2 and stats.lines == 5
        assert states[:2] == ["connecting", "connected"]
        assert states[2] == "disconnected (closed by server)"
        assert states[3] == "waiting 0.05 s"
        assert states[4:6] == ["connecting", "connected"]

    run(main())


def test_tcp_server_down_at_first_is_reached_after_backoff():
    async def main():
        port = free_port()
        states: list[str] = []
        stop = asyncio.Event()
        agen = tcp_lines(LOCAL, port, stop=stop, min_backoff=0.05, max_backoff=0.1, on_state=states.append)
        reader = asyncio.create_task(take(agen, len(BATCH1)))
        await asyncio.sleep(0.4)  # several refused attempts
        assert not reader.done()
        assert "disconnected (connection refused)" in states
        server = Server([BATCH1[:1] + [b"\n"] + [b"\n".join(BATCH1[1:]) + b"\n"]], port=port)
        await server.start()
        try:
            got = await asyncio.wait_for(reader, 2)
        finally:
            await server.stop()
        assert got == BATCH1
        assert states.count("connected") == 1

    run(main())


def test_tcp_backoff_doubles_up_to_max_and_resets_after_data():
    async def main():
        port = free_port()
        states: list[str] = []
        stop = asyncio.Event()
        agen = tcp_lines(LOCAL, port, stop=stop, min_backoff=0.01, max_backoff=0.04, on_state=states.append)
        reader = asyncio.create_task(take(agen, 2))
        while sum(s.startswith("waiting") for s in states) < 5:
            await asyncio.sleep(0.01)
        waits = [s for s in states if s.startswith("waiting")][:5]
        assert waits == ["waiting 0.01 s", "waiting 0.02 s", "waiting 0.04 s", "waiting 0.04 s", "waiting 0.04 s"]
        # a connection that delivers data resets the back-off; one that delivers nothing does not
        server = Server([[BATCH1[0] + b"\n"], [], [BATCH1[1] + b"\n"]], port=port)
        await server.start()
        try:
            got = await asyncio.wait_for(reader, 2)
        finally:
            await server.stop()
        assert got == BATCH1[:2]
        i = states.index("connected")
        assert states[i + 1:i + 3] == ["disconnected (closed by server)", "waiting 0.01 s"]
        assert states[i + 5:i + 7] == ["disconnected (closed by server)", "waiting 0.02 s"]

    run(main())


def test_tcp_stop_during_backoff_is_prompt():
    async def main():
        port = free_port()
        states: list[str] = []
        stop = asyncio.Event()
        agen = tcp_lines(LOCAL, port, stop=stop, min_backoff=30, max_backoff=60, on_state=states.append)
        reader = asyncio.create_task(take(agen, 1))
        while "waiting 30 s" not in states:
            await asyncio.sleep(0.01)
        t0 = time.monotonic()
        stop.set()
        assert await asyncio.wait_for(reader, 1) == []
        assert time.monotonic() - t0 < 0.5

    run(main())


def test_tcp_stop_while_blocked_on_read_is_prompt():
    async def main():
        server = Server([[BATCH1[0] + b"\n"]], close=False)
        port = await server.start()
        stop = asyncio.Event()
        got = []

        async def consume():
            async for line in tcp_lines(LOCAL, port, stop=stop, min_backoff=0.05):
                got.append(line)

        task = asyncio.create_task(consume())
        while not got:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # now blocked on read: the server sends nothing more
        t0 = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, 1)
        assert time.monotonic() - t0 < 0.5
        assert got == BATCH1[:1]
        await server.stop()

    run(main())


def test_tcp_stop_set_before_start_yields_nothing_and_does_not_connect():
    async def main():
        stop = asyncio.Event()
        stop.set()
        states: list[str] = []
        assert await take(tcp_lines(LOCAL, free_port(), stop=stop, on_state=states.append), 1) == []
        assert states == []

    run(main())


def test_tcp_stop_while_connecting_is_prompt(monkeypatch):
    async def main():
        # a connect that hangs (as to a black-holed address), simulated without leaving 127.0.0.1
        stop = asyncio.Event()
        started = asyncio.Event()

        async def slow_open(*a, **k):
            started.set()
            await asyncio.sleep(30)

        monkeypatch.setattr(net.asyncio, "open_connection", slow_open)
        agen = tcp_lines(LOCAL, 1, stop=stop, connect_timeout=20)
        task = asyncio.create_task(take(agen, 1))
        await started.wait()
        t0 = time.monotonic()
        stop.set()
        assert await asyncio.wait_for(task, 1) == []
        assert time.monotonic() - t0 < 0.5

    run(main())


def test_tcp_connect_timeout_is_reported(monkeypatch):
    async def main():
        states: list[str] = []

        async def never(*a, **k):
            await asyncio.sleep(30)

        monkeypatch.setattr(net.asyncio, "open_connection", never)
        stop = asyncio.Event()
        agen = tcp_lines(LOCAL, 1, stop=stop, connect_timeout=0.05, min_backoff=0.01, on_state=states.append)
        task = asyncio.create_task(take(agen, 1))
        while not any(s.startswith("waiting") for s in states):
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 1)
        assert "disconnected (connect timed out after 0.05 s)" in states

    run(main())


def test_tcp_lines_split_across_writes_are_reassembled():
    async def main():
        a, b, c = BATCH1
        writes = [a[:5], 0.02, a[5:20], 0.02, a[20:] + b"\r", 0.02, b"\n" + b[:-1], 0.02, b[-1:] + b"\n\n\r\n",
                  0.02, c[:10], 0.02, c[10:]]  # no final newline: the last line ends at close
        server = Server([writes])
        port = await server.start()
        stop = asyncio.Event()
        try:
            got = await take(tcp_lines(LOCAL, port, stop=stop, min_backoff=0.05), 3)
        finally:
            await server.stop()
        assert got == BATCH1

    run(main())


def test_tcp_overlong_line_becomes_a_marker_the_parser_rejects():
    async def main():
        big = b"!AIVDM,1,1,,A," + b"X" * (MAX_LINE + 10_000)
        huge_in_pieces = [big[i:i + 7000] for i in range(0, len(big), 7000)]
        just_over = sentence("13aG?P0P00PD;88MD5MTDww@2<0L") + b"," + b"9" * MAX_LINE  # valid head, long tail
        writes = [BATCH1[0] + b"\r\n", *huge_in_pieces, b"\r\n" + BATCH1[1] + b"\n", just_over + b"\n",
                  b"a" * (MAX_LINE + 1) + b"\n", b"b" * MAX_LINE + b"\n", BATCH1[2] + b"\n",
                  b"c" * (2 * MAX_LINE)]  # over-long and cut off by the close
        server = Server([writes])
        port = await server.start()
        stats = NetStats()
        stop = asyncio.Event()
        try:
            got = await take(tcp_lines(LOCAL, port, stop=stop, min_backoff=0.05, stats=stats), 7)
        finally:
            await server.stop()
        assert got[0] == BATCH1[0] and got[1].startswith(b"<overlong line dropped: ")
        assert got[1] == b"<overlong line dropped: %d bytes> " % len(big) + big[:80]
        assert got[2] == BATCH1[1]
        assert got[3] == b"<overlong line dropped: %d bytes> " % len(just_over) + just_over[:80]
        assert got[4].startswith(b"<overlong line dropped: %d bytes> aaaa" % (MAX_LINE + 1))
        assert got[5] == b"b" * MAX_LINE  # exactly the limit: yielded as is
        assert got[6] == BATCH1[2]
        assert stats.overlong == 3
        # every marker is short and is rejected by the parser as malformed: the line is counted once
        parser = NmeaParser(source="t")
        for marker in (got[1], got[3], got[4]):
            assert len(marker) < 200
            items = parser.feed_line(marker)
            assert len(items) == 1 and isinstance(items[0], Rejected)
            assert items[0].reason == REASON_MALFORMED and items[0].units == 1

    run(main())


def test_tcp_overlong_line_cut_off_by_close_is_a_marker():
    async def main():
        server = Server([[BATCH1[0] + b"\n", b"c" * (MAX_LINE + 5)], [BATCH1[1] + b"\n"]])
        port = await server.start()
        stats = NetStats()
        stop = asyncio.Event()
        try:
            got = await take(tcp_lines(LOCAL, port, stop=stop, min_backoff=0.02, stats=stats), 3)
        finally:
            await server.stop()
        assert got[0] == BATCH1[0]
        assert got[1] == b"<overlong line dropped: %d bytes> " % (MAX_LINE + 5) + b"c" * 80
        assert got[2] == BATCH1[1]
        assert stats.overlong == 1

    run(main())


def test_tcp_on_state_failure_does_not_end_the_stream():
    async def main():
        server = Server([[BATCH1[0] + b"\n"]])
        port = await server.start()

        def bad(state):
            raise RuntimeError("boom")

        try:
            got = await take(tcp_lines(LOCAL, port, stop=asyncio.Event(), on_state=bad), 1)
        finally:
            await server.stop()
        assert got == BATCH1[:1]

    run(main())


def test_tcp_rejects_bad_backoff():
    async def main():
        with pytest.raises(ValueError):
            await take(tcp_lines(LOCAL, 1, min_backoff=0), 1)
        with pytest.raises(ValueError):
            await take(tcp_lines(LOCAL, 1, min_backoff=2, max_backoff=1), 1)

    run(main())


# ---- UDP ----------------------------------------------------------------------------------------

async def _start_udp(stop: asyncio.Event, stats: NetStats, n: int, **kw) -> tuple[asyncio.Task, int]:
    task = asyncio.create_task(take(udp_lines(0, LOCAL, stop=stop, stats=stats, **kw), n))
    while stats.local_address is None:
        await asyncio.sleep(0.005)
    return task, stats.local_address[1]


def _send(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for d in datagrams:
            s.sendto(d, (LOCAL, port))


def test_udp_datagrams_with_several_lines():
    async def main():
        stop = asyncio.Event()
        stats = NetStats()
        lines = BATCH1 + BATCH2
        task, port = await _start_udp(stop, stats, len(lines))
        assert stats.local_address[0] == LOCAL
        _send(port,
              BATCH1[0] + b"\r\n" + BATCH1[1] + b"\r\n",
              b"\n\r\n" + BATCH1[2],  # empty lines skipped, no final newline: still a whole line
              b"\n".join(BATCH2) + b"\n")
        got = await asyncio.wait_for(task, 2)
        assert got == lines
        assert stats.datagrams == 3 and stats.lines == 5 and stats.dropped == 0

    run(main())


def test_udp_full_queue_drops_newest_and_counts(caplog):
    async def main():
        stop = asyncio.Event()
        stats = NetStats()
        agen = udp_lines(0, LOCAL, stop=stop, stats=stats, queue_lines=3)
        first = asyncio.create_task(agen.__anext__())
        while stats.local_address is None:
            await asyncio.sleep(0.005)
        lines = [b"line%d" % i for i in range(7)]
        _send(stats.local_address[1], b"\n".join(lines))
        got = [await asyncio.wait_for(first, 2)]
        got += [await asyncio.wait_for(agen.__anext__(), 2) for _ in range(2)]
        assert got == lines[:3]  # the oldest are kept, in order
        assert stats.dropped == 4
        _send(stats.local_address[1], b"later\n")
        assert await asyncio.wait_for(agen.__anext__(), 2) == b"later"
        await agen.aclose()

    with caplog.at_level("WARNING", logger=net.__name__):
        run(main())
    assert any("queue full" in r.getMessage() and "dropped 4 new lines" in r.getMessage() for r in caplog.records)


def test_udp_stop_is_prompt_and_closes_the_socket():
    async def main():
        stop = asyncio.Event()
        stats = NetStats()
        task, port = await _start_udp(stop, stats, 10)
        _send(port, b"one\n")
        while stats.lines < 1:
            await asyncio.sleep(0.005)
        t0 = time.monotonic()
        stop.set()
        assert await asyncio.wait_for(task, 1) == [b"one"]
        assert time.monotonic() - t0 < 0.5
        # the port is free again
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((LOCAL, port))

    run(main())


def test_udp_bind_failure_names_the_address():
    async def main():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((LOCAL, 0))
            port = s.getsockname()[1]
            with pytest.raises(OSError, match=f"cannot listen for UDP on {LOCAL}:{port}"):
                await take(udp_lines(port, LOCAL, stop=asyncio.Event()), 1)

    run(main())


def test_udp_default_host_is_loopback():
    async def main():
        stop = asyncio.Event()
        stats = NetStats()
        task = asyncio.create_task(take(udp_lines(0, stop=stop, stats=stats), 1))
        while stats.local_address is None:
            await asyncio.sleep(0.005)
        assert stats.local_address[0] == "127.0.0.1"
        _send(stats.local_address[1], b"x\n")
        assert await asyncio.wait_for(task, 2) == [b"x"]

    run(main())
