"""A NATS bus that cannot connect leaves nothing running (issue 10 point 18: a passing test run ended with a stray
``nats: encountered error`` traceback, printed after pytest's summary by a client still retrying port 1 in its
thread). Needs no NATS server: nothing listens on 127.0.0.1:1."""
from __future__ import annotations

import logging
import threading

import pytest


def _bus_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dkfi-nats-bus" and t.is_alive()]


def test_unreachable_nats_stops_its_client_and_says_why(caplog):
    from dkfi.core.bus_nats import NatsBus

    before = set(_bus_threads())
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ConnectionError) as exc:
            NatsBus("nats://127.0.0.1:1", connect_timeout=1)
    msg = str(exc.value)
    assert "127.0.0.1:1" in msg and ("refused" in msg.lower() or "connect call failed" in msg.lower()), msg
    # the client's thread has ended: nothing retries (and logs) after the bus was refused
    assert set(_bus_threads()) - before == set()
    # each failed attempt is one line, not a traceback
    nats_records = [r for r in caplog.records if "NATS" in r.getMessage() or r.name.startswith("nats")]
    assert nats_records and all(r.exc_info is None for r in nats_records)
