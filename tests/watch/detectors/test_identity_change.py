"""Identity changes under one MMSI: name, IMO, call sign, ship type; empty values and trivia ignored."""
from __future__ import annotations

from dkfi.watch.detectors.base import Context, DetectionEngine
from dkfi.watch.detectors.identity_change import IdentityChangeDetector
from dkfi.maritime.records import Position, Static

T0 = 1_735_120_800.0
M = 518_999_101


def st(t, **kw):
    return Static(ts=T0 + t, mmsi=kw.pop("mmsi", M), **kw)


def run(records, **params):
    eng = DetectionEngine([IdentityChangeDetector(**params)], Context())
    for r in records:
        eng.process(r)
    eng.finish()
    return eng.final_events()


def test_trivial_differences_and_empty_values_are_quiet():
    recs = [st(0, name="EAGLE S", callsign=None, imo=None, ship_type=80),
            st(60, name="eagle  s@@@", callsign="V7ABC", imo=9329760),   # case, blanks, padding; None -> value
            st(120, name=None, callsign="", imo=0, ship_type=0),          # values -> empty / not available
            st(180, name="EAGLE S", ship_type=84),                         # tanker hazard category: same group
            st(240, name="OTHER", mmsi=230000001)]                         # another MMSI
    assert run(recs) == []


def test_name_imo_callsign_and_type_changes():
    recs = [Position(ts=T0, mmsi=M, lat=59.9, lon=25.0, sog=6.0),
            st(0, name="EAGLE S", imo=9329760, callsign="E5U1", ship_type=80),
            st(600, name="EAGLE SEA", imo=9329760, callsign="E5U1", ship_type=80),
            st(1200, name="EAGLE SEA", imo=9937270, callsign="E5U2", ship_type=30)]
    ev = run(recs)
    got = {(e.measured["field"], e.measured["old"], e.measured["new"]) for e in ev}
    assert got == {("name", "EAGLE S", "EAGLE SEA"), ("imo", 9329760, 9937270), ("callsign", "E5U1", "E5U2"),
                   ("ship_type", 80, 30)}
    assert all(e.kind == "identity_change" and e.mmsi == M for e in ev)
    assert len({e.key for e in ev}) == 4                     # same report, distinct events
    name_ev = next(e for e in ev if e.measured["field"] == "name")
    assert name_ev.measured["previous_ts"] == T0 and name_ev.evidence[0].lat == 59.9


def test_flip_flopping_is_reported_once_a_day():
    recs = [st(60 * i, name="ALPHA" if i % 2 == 0 else "BRAVO") for i in range(20)]
    ev = run(recs)
    assert len(ev) == 2  # ALPHA->BRAVO and BRAVO->ALPHA, not 19 events
    assert len(run(recs, repeat_s=0)) == 19


def test_exact_ship_type_when_asked():
    recs = [st(0, ship_type=80), st(60, ship_type=84)]
    assert run(recs) == []
    assert len(run(recs, ship_type_by_group=False)) == 1
