"""The pipeline's accounting, de-duplication and latest-state rules, on small readable records."""
from __future__ import annotations

import polars as pl
from hypothesis import given, settings, strategies as st

from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import (
    POSITION_SCHEMA, STATIC_SCHEMA, Batch, Consumed, Position, Rejected, Static,
)

T0 = 1_384_257_600.0  # 2013-11-12T12:00:00Z


def pos(mmsi=219000001, ts=T0, lat=55.0, lon=11.0, key="k", units=1, sog=10.0):
    return Position(ts=ts, mmsi=mmsi, lat=lat, lon=lon, sog=sog, cog=90.0, station="A", source="t",
                    msg_type=1, units=units, dedupe_key=key)


def test_accounting_identity_and_reasons():
    p = Pipeline()
    p.feed([pos(key="a", units=2), Consumed(3), Rejected("bad_checksum"), Rejected("no_position", 2),
            pos(key="a"), Static(ts=T0, mmsi=219000001, name="X", units=2, dedupe_key="s")])
    d = p.summary()
    assert d["received"] == 11
    assert d["accepted"] == 2 + 3 + 2
    assert d["duplicates"] == 1
    assert d["rejected"] == {"bad_checksum": 1, "no_position": 2}
    assert p.acc.balanced()


def test_same_message_from_two_receivers_counted_once_but_later_repeat_is_new():
    p = Pipeline(dedupe_window=60)
    p.feed([pos(key="payload", ts=T0), pos(key="payload", ts=T0 + 0.4), pos(key="payload", ts=T0 + 600)])
    assert p.acc.duplicates == 1
    assert p.acc.accepted == 2


def test_late_position_never_overwrites_newer_latest():
    p = Pipeline()
    p.feed([pos(ts=T0 + 100, lat=56.0, key="new"), pos(ts=T0, lat=55.0, key="old")])
    assert p.latest[219000001].lat == 56.0
    frame = p.position_frame()
    assert frame.height == 2  # the late one still goes into the history


def test_static_merge_keeps_newest_and_fills_gaps():
    p = Pipeline()
    p.feed([
        Static(ts=T0 + 10, mmsi=5, name="NEW NAME", station="B", dedupe_key=1),
        Static(ts=T0, mmsi=5, name="OLD NAME", callsign="OZ123", station="B", dedupe_key=2),
        Static(ts=T0 + 20, mmsi=5, ship_type=70, station="B", dedupe_key=3),
    ])
    s = p.static[5]
    assert (s.name, s.callsign, s.ship_type) == ("NEW NAME", "OZ123", 70)


def test_batch_accounting_and_duplicate_rows():
    rows = pl.DataFrame({
        "ts": [T0, T0, T0 + 1], "mmsi": [219000001] * 3, "lat": [55.0, 55.0, 55.1], "lon": [11.0] * 3,
        "sog": [1.0] * 3, "cog": [10.0] * 3, "heading": [None] * 3, "nav_status": [0] * 3, "rot": [None] * 3,
        "station": ["A"] * 3, "source": ["csv"] * 3, "msg_type": [0] * 3, "time_from_message": [True] * 3,
    }, schema=POSITION_SCHEMA)
    p = Pipeline()
    p.add(Batch(rows, pl.DataFrame(schema=STATIC_SCHEMA), {"no_position": 2}, units=5))
    assert p.summary() | {} == {"received": 5, "accepted": 2, "duplicates": 1, "rejected": {"no_position": 2},
                                "comments": 0, "vessels": 1}
    assert p.latest[219000001].lat == 55.1


items = st.lists(st.one_of(
    st.builds(pos, mmsi=st.integers(2_000_000, 2_000_010), ts=st.floats(T0, T0 + 300),
              key=st.sampled_from(["a", "b", "c", None]), units=st.integers(1, 3)),
    st.builds(Consumed, st.integers(1, 3)),
    st.builds(Rejected, st.sampled_from(["bad_checksum", "decode_error"]), st.integers(1, 3)),
), max_size=60)


@settings(max_examples=200, deadline=None)
@given(items)
def test_identity_holds_for_any_sequence(seq):
    p = Pipeline()
    p.feed(seq)
    assert p.acc.received == sum(i.units for i in seq)
    assert p.acc.balanced()
    accepted = p._positions  # not flushed: no store
    assert set(p.latest) == {a.mmsi for a in accepted}
    for mmsi, latest in p.latest.items():
        assert latest.ts == max(a.ts for a in accepted if a.mmsi == mmsi)
