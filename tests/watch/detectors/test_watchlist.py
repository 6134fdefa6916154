"""Watch lists: CSV import with bad-row reporting, matching, and the detector's seen / near-asset events."""
from __future__ import annotations

from pathlib import Path

from dkfi.watch.detectors.base import Context, DetectionEngine
from dkfi.watch.detectors.watchlist import WatchlistDetector, asset_name
from dkfi.maritime.records import Position, Static
from dkfi.watch.watchlist import WatchList, imo_valid, normalise_name

T0 = 1_735_120_800.0
EXAMPLE = Path(__file__).resolve().parents[3] / "src" / "dkfi" / "data" / "watchlist-example.csv"


def test_csv_import_reports_bad_rows(tmp_path):
    p = tmp_path / "list.csv"
    p.write_text("IMO,MMSI,Name,List,Reason,extra\n"
                 "9329760,,Eagle S,EU sanctions,publicly reported,x\n"
                 "1234568,,BAD IMO,x,,\n"
                 ",12345,SHORT MMSI,x,,\n"
                 ",,,x,no identifier,\n"
                 ",230999999,,shadow fleet,,\n"
                 ",,m/v Example-Ship,,name only,\n")
    wl = WatchList.from_csv(p)
    assert len(wl) == 3
    assert [n for n, _ in wl.errors] == [3, 4, 5]
    assert "check digit" in wl.errors[0][1] and "9 digits" in wl.errors[1][1]
    assert "row 3" in wl.report()
    assert wl.entries[2].list == "list"  # default list name: the file's stem


def test_match_by_mmsi_imo_and_name():
    wl = WatchList.from_rows([{"imo": "9329760", "list": "EU sanctions"}, {"mmsi": "230999999", "list": "L"},
                              {"name": "Example-Ship", "list": "N"}])
    assert imo_valid(9329760) and not imo_valid(9329761)
    assert normalise_name(" example ship@@ ") == "EXAMPLE SHIP"
    assert [e.list for e in wl.match(518000001, Static(ts=0, mmsi=518000001, imo=9329760))] == ["EU sanctions"]
    assert [m.matched_by for m in wl.matches(230999999)] == ["mmsi"]
    assert [m.matched_by for m in wl.matches(1, Static(ts=0, mmsi=1, name="EXAMPLE  SHIP"))] == ["name"]
    assert wl.match(230000001, Static(ts=0, mmsi=230000001, name="OTHER", imo=9937270)) == []


def test_example_list_ships_eagle_s():
    wl = WatchList.from_csv(EXAMPLE)
    assert wl.errors == []
    eagle = wl.match(0, Static(ts=0, mmsi=0, imo=9329760))
    assert eagle and eagle[0].list == "EU sanctions" and "publicly reported" in eagle[0].reason.lower()


class Assets:
    """One toy cable along 25.0 E; near = within ~1 km of it."""

    def near(self, lat, lon):
        class A:
            name = "Toy cable"
        return [(A(), abs(lon - 25.0) * 55_000)] if abs(lon - 25.0) < 0.02 else []


def test_detector_seen_once_a_day_and_near_asset():
    wl = WatchList.from_rows([{"imo": "9329760", "list": "EU sanctions", "reason": "publicly reported"}])
    ctx = Context(watchlist=wl, assets=Assets())
    eng = DetectionEngine([WatchlistDetector()], ctx)
    eng.process(Static(ts=T0, mmsi=518999101, imo=9329760, name="EAGLE S"))
    # westward at ~6 kn across 25.0 E, one report a minute for 2 h; another unlisted ship alongside
    for i in range(120):
        lon = 25.3 - 0.0033 * i
        eng.process(Position(ts=T0 + 60 * i, mmsi=518999101, lat=59.9, lon=lon, sog=6.0, station="A"))
        eng.process(Position(ts=T0 + 60 * i, mmsi=230000001, lat=59.8, lon=lon, sog=6.0, station="A"))
    # next day
    eng.process(Position(ts=T0 + 86400, mmsi=518999101, lat=59.9, lon=24.0, sog=6.0, station="A"))
    eng.finish()
    ev = eng.final_events()
    assert {e.mmsi for e in ev} == {518999101}
    seen = [e for e in ev if e.measured["trigger"] == "seen"]
    near = [e for e in ev if e.measured["trigger"] == "near_asset"]
    assert len(seen) == 2 and len(near) == 1
    assert seen[0].measured["list"] == "EU sanctions" and seen[0].measured["matched_by"] == "imo"
    assert near[0].asset == "Toy cable" and near[0].status == "closed"
    assert near[0].start > seen[0].start and near[0].measured["points_near"] >= 5


def test_no_list_no_events_and_asset_name_shapes():
    eng = DetectionEngine([WatchlistDetector()], Context())
    assert eng.process(Position(ts=T0, mmsi=230000001, lat=59.9, lon=25.0)) == []
    assert asset_name([]) is None and asset_name(["X"]) == "X" and asset_name({"name": "Y"}) == "Y"
