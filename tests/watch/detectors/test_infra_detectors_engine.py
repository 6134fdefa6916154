"""All the infrastructure detectors through DetectionEngine: record by record == one sorted batch."""
from __future__ import annotations

from dkfi.watch.detectors.ais_gap import AisGapDetector
from dkfi.watch.detectors.anchor_drag import AnchorDragDetector
from dkfi.watch.detectors.base import Context, DetectionEngine
from dkfi.watch.detectors.drift import DriftDetector
from dkfi.watch.detectors.loitering import LoiteringDetector
from dkfi.watch.detectors.sudden_speed_change import SuddenSpeedChangeDetector
from trackkit import Ship, baltic_assets, ports


def detectors():
    return [AnchorDragDetector(), LoiteringDetector(), DriftDetector(), SuddenSpeedChangeDetector(), AisGapDetector()]


def scenario():
    recs = []
    a = Ship(518998865, 59.97, 27.3)
    a.leg(sog=12, cog=262, hours=1.5).leg(sog=6.5, cog=262, heading=250, km=60)
    a.silent(sog=6.5, cog=262, minutes=40).leg(sog=6.5, cog=262, km=10)
    recs += [a.static(ship_type=80)] + a.positions
    lon, lat = list(baltic_assets().by_name["Estlink 2"].geometry.coords)[2]
    b = Ship(273000001, lat, lon, every_s=60)
    b.leg(sog=0.8, cog=90, minutes=50).leg(sog=3, cog=180, heading=90, minutes=20).leg(sog=9, cog=0, minutes=5)
    b.leg(sog=0.3, cog=0, minutes=3)
    recs += b.positions
    c = Ship(230999999, 59.9, 25.5, every_s=30)
    c.leg(sog=0.3, cog=90, hours=5)
    recs += c.positions
    return sorted(recs, key=lambda r: r.ts)


def test_streaming_equals_batch():
    recs = scenario()
    ctx1, ctx2 = Context(assets=baltic_assets(), ports=ports()), Context(assets=baltic_assets(), ports=ports())
    live = DetectionEngine(detectors(), ctx1, sweep_every=500)
    for r in recs:
        live.process(r)
    live.finish()
    batch = DetectionEngine(detectors(), ctx2, sweep_every=500)
    list(batch.run(recs))
    batch.finish()
    a = [e.as_dict() for e in live.final_events()]
    b = [e.as_dict() for e in batch.final_events()]
    assert a == b
    kinds = {e["kind"] for e in a}
    assert {"anchor_drag", "loitering", "drift", "sudden_speed_change", "ais_gap"} <= kinds
