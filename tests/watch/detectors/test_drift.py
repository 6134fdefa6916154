"""Drift (DMA AisAbnormal rule): the labelled DMA case and small synthetic tracks."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dkfi.watch.detectors.drift import DriftDetector
from dkfi.maritime.records import Position
from trackkit import Ship, run
from tests.conftest import AIS, need_shared

LABELLED = AIS / "labelled" / "dma_aisabnormal" / "538004030_drift_1.ais"


def test_dma_labelled_drift_538004030():
    need_shared(LABELLED)
    from dkfi.maritime.sources.nmea import read_nmea

    positions = [r for r in read_nmea(LABELLED) if isinstance(r, Position)]
    assert positions
    _, emitted = run(DriftDetector(), positions)
    events = [e for e in emitted if e.mmsi == 538004030]
    assert events
    label = datetime(2014, 9, 28, 16, 50, 4, tzinfo=timezone.utc).timestamp()
    starts = sorted({e.start for e in events})
    assert any(abs(s - label) <= 300 for s in starts), [datetime.fromtimestamp(s, timezone.utc) for s in starts]
    e = [e for e in events if abs(e.start - label) <= 300][-1]
    assert e.measured["mean_cog_heading_diff_deg"] > 45 and 1 <= e.measured["mean_sog_kn"] <= 5
    assert e.measured["distance_m"] > 500 and e.measured["drift_began"] < e.start


def test_sideways_drift_fires_after_ten_minutes():
    s = Ship(219000001, 56.0, 11.0)
    s.leg(sog=12, cog=90, minutes=20)
    t_drift = s.ts
    s.leg(sog=3, cog=180, heading=90, minutes=30)   # pushed south while heading east
    _, emitted = run(DriftDetector(), s.positions)
    assert emitted
    first = emitted[0]
    assert 600 <= first.start - t_drift <= 620
    assert first.measured["mean_cog_heading_diff_deg"] == 90.0
    assert emitted[-1].status == "closed" and emitted[-1].key == first.key


@pytest.mark.parametrize("leg", [
    dict(sog=3, cog=180, heading=180),    # slow but straight
    dict(sog=3, cog=180, heading=0),      # going astern: a reversal, not a drift
    dict(sog=8, cog=180, heading=90),     # too fast
    dict(sog=0.5, cog=180, heading=90),   # too slow
])
def test_no_drift(leg):
    s = Ship(219000002, 56.0, 11.0)
    s.leg(minutes=30, **leg)
    _, emitted = run(DriftDetector(), s.positions)
    assert emitted == []


def test_interrupted_drift_and_short_distance():
    s = Ship(219000003, 56.0, 11.0)
    s.leg(sog=3, cog=180, heading=90, minutes=8)
    s.leg(sog=3, cog=180, heading=180, minutes=1)   # one minute straight: the run starts again
    s.leg(sog=3, cog=180, heading=90, minutes=8)
    assert run(DriftDetector(), s.positions)[1] == []
    s = Ship(219000004, 56.0, 11.0)
    s.leg(sog=1.2, cog=180, heading=90, minutes=12, every_s=30)  # 12 min at 1.2 kn: 444 m < 500 m
    assert run(DriftDetector(), s.positions)[1] == []
