"""The NATS JetStream bus against the local nats-server (127.0.0.1:4222)."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from dkfi.core.bus import InProcessBus

pytestmark = pytest.mark.nats


def _nats_up() -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


@pytest.fixture
def nats_bus():
    from dkfi.core.bus_nats import NatsBus

    if not _nats_up():
        pytest.skip("NATS not reachable at 127.0.0.1:4222")
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
    assert nats_bus.published >= 50 and nats_bus.dropped == 0


def test_in_process_bus_same_contract():
    assert _roundtrip(InProcessBus()) == [{"i": i} for i in range(50)]


def test_unreachable_nats_is_a_clear_error():
    from dkfi.core.bus_nats import NatsBus

    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        NatsBus("nats://127.0.0.1:1", connect_timeout=1)
