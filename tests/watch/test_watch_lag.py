"""``dkfi_watch_lag_seconds`` (dkfi.watch.metrics): how stale the live watch's alerts are, read from the server's
``/metrics`` with Prometheus' own parser; with the detectors in this process and in a second one (which reports
its progress on its result queue, so the serving process computes the figure)."""
from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dkfi.maritime.service import load_records
from dkfi.watch import metrics as watch_metrics
from dkfi.watch import service as watch
from dkfi.watch.live import LiveWatch

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"


class Clock:
    """The receive-time clock, moved by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(watch_metrics, "now", c)
    return c


@pytest.fixture(scope="module")
def records():
    recs, _ = load_records([SAMPLE])
    return recs[:120]


@pytest.fixture
def node(tmp_path):
    """A node's app (scraped from 127.0.0.1) and its engine; no tap of an earlier test left in the gauge."""
    from dkfi.web.app import create_app

    gc.collect()  # taps of finished feeds leave the gauge's weak set
    app = create_app(f"sqlite:///{tmp_path / 'lag.sqlite'}")
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield c, app.state.engine


def lag(client) -> float | None:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    for fam in text_string_to_metric_families(r.text):
        if fam.name == "dkfi_watch_lag_seconds":
            assert fam.type == "gauge"
            return fam.samples[0].value if fam.samples else None
    raise AssertionError("dkfi_watch_lag_seconds is not in /metrics")


def test_in_process_lag_runs_from_receipt_until_the_alerts_are_stored(node, clock, records):
    client, engine = node
    assert lag(client) is None  # no live feed has a watch
    live = LiveWatch("DNK", runner=watch.WatchRunner(watch.make_context()))
    tap = live.tap()
    assert lag(client) == 0.0  # a watch with nothing received is not behind
    for r in records[:60]:
        tap.process(r)
    clock.t = 1002.0
    for r in records[60:]:
        tap.process(r)  # later records do not make the oldest younger
    clock.t = 1003.5
    assert lag(client) == 3.5
    taken = tap.take()  # the flush took them: detected, not stored yet
    clock.t = 1005.0
    assert lag(client) == 5.0
    tap.write(engine, taken)
    assert lag(client) == 0.0
    clock.t = 1100.0
    assert lag(client) == 0.0  # an idle feed is not lag
    live.close(engine)
    assert lag(client) is None


def test_alerts_that_could_not_be_stored_keep_the_lag_growing(node, clock, records, tmp_path):
    client, engine = node
    live = LiveWatch("DNK", runner=watch.WatchRunner(watch.make_context()))
    tap = live.tap()
    for r in records:
        tap.process(r)
    taken = tap.take()
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite'}")  # cannot be opened
    with pytest.raises(Exception):  # the database is away: what the flush took is not stored
        tap.write(broken, (taken[0], [*taken[1], "withdrawn-alert-key"]))
    clock.t = 1030.0
    assert lag(client) == 30.0
    clock.t = 1090.0
    assert lag(client) == 90.0
    live.close(engine)


def test_the_worker_process_reports_progress_so_the_server_sees_its_lag(node, clock, records):
    """Detectors in a second process: the server's /metrics follows batches through the worker's queue."""
    from dkfi.watch.worker import WatchWorker

    client, engine = node
    live = LiveWatch("DNK", worker=WatchWorker(batch=50))
    tap = live.tap()
    try:
        for t, part in ((1000.0, records[:50]), (1010.0, records[50:100]), (1020.0, records[100:])):
            clock.t = t
            for r in part:
                tap.process(r)
        assert [since for _, since in tap.worker._sent] == [1000.0, 1010.0]  # two batches handed over
        assert tap.worker.oldest_unreturned() == 1000.0
        clock.t = 1030.0
        assert lag(client) == 30.0
        taken: tuple[list, list] = ([], [])
        for _ in range(600):  # until the worker has reported every batch finished (the last sent at take)
            a, w = tap.take()
            taken[0].extend(a)
            taken[1].extend(w)
            if tap.worker.oldest_unreturned() is None:
                break
            time.sleep(0.05)
        assert tap.worker.oldest_unreturned() is None, "the worker reported no progress"
        assert lag(client) == 30.0  # finished and taken, not stored yet
        tap.write(engine, taken)
        assert lag(client) == 0.0
    finally:
        live.close(engine)
    assert lag(client) is None
