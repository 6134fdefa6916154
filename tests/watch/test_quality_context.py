"""The sea around a slow ship (watch/context.py): traffic grid, ships in line, SAR units, places and ice seasons."""
from __future__ import annotations

from datetime import datetime, timezone

from dkfi.maritime.records import Position, Static
from dkfi.sim.scenarios import offset
from dkfi.watch.context import Traffic, neighbours, places

T0 = datetime(2024, 2, 10, 12, tzinfo=timezone.utc).timestamp()


def pos(mmsi, lat, lon, sog, cog, ts=T0):
    return Position(mmsi=mmsi, ts=ts, lat=lat, lon=lon, sog=sog, cog=cog, heading=int(cog), nav_status=0)


def test_traffic_grid_finds_neighbours_within_radius_and_time_and_forgets():
    tr = Traffic()
    me = pos(230000001, 59.80, 24.50, 6.0, 270.0)
    near = pos(230000002, *offset(59.80, 24.50, 90, 8000), 6.0, 270.0)      # 8 km east, another cell
    far = pos(230000003, *offset(59.80, 24.50, 0, 12_000), 6.0, 270.0)     # 12 km north
    old = pos(230000004, *offset(59.80, 24.50, 180, 2000), 6.0, 270.0, ts=T0 - 3600)
    for p in (me, near, far, old):
        tr.update(p)
    got = {q.mmsi: round(d) for q, d in tr.around(59.80, 24.50, 10_000, T0 - 600, T0 + 60, exclude=me.mmsi)}
    assert set(got) == {230000002} and 7900 < got[230000002] < 8100
    tr.update(pos(230000002, 59.80, 24.60, 6.0, 270.0, ts=T0 + 30))        # within a minute: not taken
    assert tr.vessels[230000002][0] == T0
    tr.update(pos(230000002, 59.80, 24.60, 6.0, 270.0, ts=T0 + 90))        # moves: one place only
    assert sum(230000002 in cell for cell in tr.cells.values()) == 1
    tr.prune(T0 - 60)
    assert 230000004 not in tr.vessels and 230000001 in tr.vessels


def test_traffic_peak_forgets_two_knots_an_hour():
    tr = Traffic()
    tr.update(pos(230000001, 59.8, 24.5, 12.0, 90.0))
    tr.update(pos(230000001, 59.8, 24.6, 6.0, 90.0, ts=T0 + 1800))
    assert tr.top_speed(230000001) == 11.0
    tr.update(pos(230000001, 59.8, 24.7, 13.0, 90.0, ts=T0 + 1900))
    assert tr.top_speed(230000001) == 13.0 and tr.top_speed(999) == 0.0


def test_neighbours_in_line_icebreaker_and_sar():
    tr = Traffic()
    me = pos(230000001, 59.80, 24.50, 6.0, 270.0)
    ahead = pos(230000002, *offset(59.80, 24.50, 270, 1200), 6.5, 268.0)
    abeam = pos(230000003, *offset(59.80, 24.50, 0, 1500), 6.0, 270.0)    # same course, but beside: not in line
    sar = pos(230000004, *offset(59.80, 24.50, 135, 3000), 9.0, 45.0)
    for p in (me, ahead, abeam, sar):
        tr.update(p)
    static = {230000002: Static(mmsi=230000002, ts=T0, name="OTSO", ship_type=90),
              230000004: Static(mmsi=230000004, ts=T0, name="RESCUE 1", ship_type=51)}
    nb = neighbours(tr, me, static)
    name, d, where, ib = nb["in_line"]
    assert (name, where, ib) == ("OTSO", "ahead", True) and 1100 < d < 1300
    assert nb["icebreaker"][0] == "OTSO" and nb["sar"][0] == "RESCUE 1" and nb["count"] == 3
    fast = pos(230000005, *offset(59.80, 24.50, 90, 1000), 12.0, 270.0)    # astern but much faster: not a convoy
    tr2 = Traffic()
    tr2.update(me)
    tr2.update(fast)
    assert neighbours(tr2, me, {})["in_line"] is None


def test_places_anchorage_pilot_station_and_ice_season():
    pl = places()
    a = pl.anchorage(60.012, 25.285)
    assert a is not None and a[0].startswith("Helsinki east anchorage") and a[1] == 0
    assert pl.anchorage(59.5, 21.0) is None
    p = pl.pilot_station(59.93, 24.41)
    assert p is not None and p[0] == "Porkkala pilot boarding" and p[1] < 1000
    assert pl.ice_season(59.8, 25.0, T0) == "Gulf of Finland"
    july = datetime(2024, 7, 1, tzinfo=timezone.utc).timestamp()
    assert pl.ice_season(59.8, 25.0, july) is None
    assert pl.ice_season(55.0, 15.0, T0) is None                            # Bornholm: no usual ice
