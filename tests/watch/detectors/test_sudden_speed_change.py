"""Sudden speed change: > 7 kn to < 1 kn within 60 s, held, away from ports."""
from __future__ import annotations

from dkfi.watch.detectors.base import Context
from dkfi.watch.detectors.sudden_speed_change import SuddenSpeedChangeDetector
from trackkit import Ship, baltic_assets, ports, run


def ctx():
    return Context(assets=baltic_assets(), ports=ports())


def test_sudden_stop_at_sea_fires():
    s = Ship(219000010, 59.85, 26.2)
    s.leg(sog=11, cog=262, minutes=10)
    t = s.ts
    s.leg(sog=0.4, cog=262, minutes=5)
    _, emitted = run(SuddenSpeedChangeDetector(), s.positions, ctx())
    assert len(emitted) == 1
    e = emitted[0]
    assert e.status == "closed" and e.start == t and e.end - e.start <= 60
    assert e.measured["sog_before_kn"] == 11 and e.measured["sog_after_kn"] == 0.4


def test_gradual_stop_and_short_stop_do_not_fire():
    s = Ship(219000011, 59.85, 26.2)
    s.leg(sog=11, cog=262, minutes=10)
    for v in (9, 7, 5, 3, 2, 1.5):
        s.leg(sog=v, cog=262, minutes=1)
    s.leg(sog=0.5, cog=262, minutes=5)
    assert run(SuddenSpeedChangeDetector(), s.positions, ctx())[1] == []
    s = Ship(219000012, 59.85, 26.2)
    s.leg(sog=11, cog=262, minutes=10)
    s.leg(sog=0.5, cog=262, minutes=0.5)     # only 30 s below 1 kn
    s.leg(sog=10, cog=262, minutes=5)
    assert run(SuddenSpeedChangeDetector(), s.positions, ctx())[1] == []


def test_sudden_stop_in_port_is_ignored():
    s = Ship(219000013, 60.15, 24.95)   # ~2 km from the Helsinki WPI point
    s.leg(sog=8, cog=0, minutes=3)
    s.leg(sog=0.2, cog=0, minutes=5)
    assert run(SuddenSpeedChangeDetector(), s.positions, ctx())[1] == []
    assert len(run(SuddenSpeedChangeDetector(port_radius_m=500), s.positions, ctx())[1]) == 1
