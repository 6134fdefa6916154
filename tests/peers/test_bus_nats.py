"""The NATS JetStream bus against the local nats-server (127.0.0.1:4222)."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from dkfi.core.bus import InProcessBus
from tests.conftest import need

pytestmark = pytest.mark.nats


def _nats_up() -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


@pytest.fixture
def nats_bus():
    from dkfi.core.bus_nats import NatsBus

    need("NATS not reachable at 127.0.0.1:4222", _nats_up())
    bus = NatsBus("nats://127.0.0.1:4222")
    yield bus
    bus.close()


def _roundtrip(bus, n=50):
    subject = f"dkfi.test.{uuid.uuid4().hex[:8]}"

    async def main():
        got = []
        agen = bus.subscribe(subject)
        first = asyncio.ensure_future(agen.__anext__())
        await asyncio.sleep(0.3)  # the subscription is in place before anything is published

        def producer():  # publishers may run in another thread (the ingest pipeline)
            for i in range(n):
                bus.publish(subject, {"i": i})

        threading.Thread(target=producer).start()
        got.append(await asyncio.wait_for(first, 5))
        while len(got) < n:
            got.append(await asyncio.wait_for(agen.__anext__(), 5))
        await agen.aclose()
        return got

    return asyncio.run(main())


def test_nats_bus_delivers_in_order_from_another_thread(nats_bus):
    assert _roundtrip(nats_bus) == [{"i": i} for i in range(50)]
    nats_bus.flush()
    assert nats_bus.published >= 50 and nats_bus.dropped == 0 and nats_bus.publish_failures == 0


def test_in_process_bus_same_contract():
    bus = InProcessBus()
    assert _roundtrip(bus) == [{"i": i} for i in range(50)]
    assert bus.stats() == {"published": 50, "dropped": 0, "publish_failures": 0, "pending": 0}


def test_unreachable_nats_is_a_clear_error():
    from dkfi.core.bus_nats import NatsBus

    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        NatsBus("nats://127.0.0.1:1", connect_timeout=1)


# ---- lost messages are counted and logged, never silently gone ---------------------------------------

def test_publish_after_close_is_counted_and_logged(nats_bus, caplog):
    nats_bus.close()
    with caplog.at_level("WARNING", logger="dkfi.core.bus_nats"):
        nats_bus.publish(f"dkfi.test.{uuid.uuid4().hex[:8]}", {"i": 1})
    assert nats_bus.stats()["publish_failures"] == 1
    assert "the bus is closed" in caplog.text


def test_message_jetstream_refuses_is_counted(nats_bus, caplog):
    """A subject no stream takes: JetStream has no responder for it."""
    with caplog.at_level("WARNING", logger="dkfi.core.bus_nats"):
        nats_bus.publish(f"unbound.test.{uuid.uuid4().hex[:8]}", {"i": 1})
        nats_bus.flush()
    figures = nats_bus.stats()
    assert figures["publish_failures"] == 1 and figures["published"] == 0 and figures["pending"] == 0
    assert "unbound.test." in caplog.text and "no response from stream" in caplog.text


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
def test_messages_while_the_server_is_gone_are_counted(tmp_path, caplog):
    """A nats-server of this test's own on a free 127.0.0.1 port, stopped under a connected bus."""
    import shutil
    import subprocess
    import time

    from dkfi.core.bus_nats import NatsBus

    exe = shutil.which("nats-server") or shutil.which("nats-server", path="/usr/sbin:/usr/local/sbin")
    need("nats-server not installed (apt-get install nats-server)", exe is not None)
    port = _free_port()
    server = subprocess.Popen([exe, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path / "js")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bus = None
    try:
        deadline = time.monotonic() + 10
        while bus is None:
            try:
                bus = NatsBus(f"nats://127.0.0.1:{port}", connect_timeout=1)
            except ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        bus.publish("dkfi.test.up", {"i": 0})
        bus.flush()
        assert bus.stats()["published"] == 1
        server.terminate()
        server.wait(10)
        with caplog.at_level("WARNING", logger="dkfi.core.bus_nats"):
            bus.publish("dkfi.test.down", {"i": 1})
            bus.flush(timeout=30)  # JetStream's acknowledgement times out (5 s) while the client reconnects
        figures = bus.stats()
        assert figures["published"] == 1 and figures["publish_failures"] == 1, figures
        assert "dkfi.test.down" in caplog.text
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        if bus is not None:
            bus.close()
