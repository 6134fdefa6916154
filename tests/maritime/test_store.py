"""State in the database (SQLite and PostgreSQL) and history in Parquet."""
from __future__ import annotations

from dkfi.core.db import session_scope
from dkfi.maritime.models import Vessel
from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import Position, Static
from dkfi.maritime.store import Store

T0 = 1_384_257_600.0  # 2013-11-12T12:00:00Z


def p(ts, lat, mmsi=219000001, key=None):
    return Position(ts=ts, mmsi=mmsi, lat=lat, lon=11.0, sog=5.0, cog=45.0, heading=44, nav_status=0,
                    station="A", source="test", msg_type=1, dedupe_key=key)


def test_latest_and_history_roundtrip(engine, tmp_path):
    store = Store(engine, tmp_path / "hist")
    pipe = Pipeline(store)
    pipe.feed([p(T0, 55.0), p(T0 + 10, 55.1), Static(ts=T0, mmsi=219000001, name="ANNA", imo=9329760,
                                                       ship_type=80, station="A")])
    pipe.flush()
    with session_scope(engine) as s:
        v = s.get(Vessel, 219000001)
        assert (v.lat, v.name, v.imo, v.ship_type) == (55.1, "ANNA", 9329760, 80)
        assert v.owner_nation == "DNK" and v.classification == "UNCLASSIFIED" and v.releasable_to == "DNK,FIN"
    tr = store.track(219000001)
    assert tr["lat"].to_list() == [55.0, 55.1]


def test_late_data_goes_into_history_in_order_and_never_overwrites_newer(engine, tmp_path):
    store = Store(engine, tmp_path / "hist")
    first = Pipeline(store)
    first.feed([p(T0 + 100, 56.0), p(T0 + 200, 56.2)])
    first.flush()
    late = Pipeline(store)  # satellite AIS arriving later, for earlier times
    late.feed([p(T0 + 150, 56.1), p(T0 - 86_400, 54.0)])  # one the day before
    late.flush()
    with session_scope(engine) as s:
        assert s.get(Vessel, 219000001).lat == 56.2
    tr = store.track(219000001)
    assert tr["ts"].to_list() == sorted(tr["ts"].to_list())
    assert tr["lat"].to_list() == [54.0, 56.0, 56.1, 56.2]
    assert len(list((tmp_path / "hist" / "positions").glob("day=*"))) == 2
    window = store.track(219000001, T0 + 120, T0 + 180)
    assert window["lat"].to_list() == [56.1]


def test_history_carries_labels(engine, tmp_path):
    import polars as pl

    store = Store(engine, tmp_path / "hist")
    pipe = Pipeline(store)
    pipe.feed([p(T0, 55.0)])
    pipe.flush()
    df = store.history_positions().collect()
    assert df.select(pl.col("owner_nation"), pl.col("classification"), pl.col("releasable_to")).row(0) == \
        ("DNK", "UNCLASSIFIED", "DNK,FIN")
