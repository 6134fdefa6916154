"""The sea around a slow ship: what else explains its speed besides a dragging anchor.

Pure code (no database, no clock), used by the anchor-drag and loitering detectors when they emit:

* :class:`Traffic` -- the last sampled report of every vessel (at most one a minute) in a grid of about 11 km cells, so a detector can
  ask who else is within 10 km now (a collective slowdown is the sea, not the ship; a ship in line with another
  on the same track at the same speed is in a convoy or an ice channel; a search and rescue unit close by means
  a search);
* :class:`Places` -- designated anchorages, pilot boarding places and sea areas with their usual ice season,
  from ``src/dkfi/data/geo/places.geojson``. No open data set of Baltic anchorages and pilot boarding places
  was found with a licence that allows shipping it, so the dkfi developers drew them, approximately, from
  public knowledge of where they lie (see the file's ATTRIBUTION.md entry); the ice seasons are the usual
  months of the Finnish Meteorological Institute's and SMHI's ice climatology, rounded to whole months;
* :data:`ICEBREAKER_NAMES` -- the state icebreakers of Finland, Sweden and Estonia (public fleet lists);
* weather: there is no weather feed in dkfi; when one is configured it belongs here. Until then no factor
  speaks of the weather (heavy weather shows only as traffic slowing together).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from dkfi.maritime.records import Position
from dkfi.watch.detectors.base import angle_diff, haversine_m

PLACES_PATH = Path(__file__).resolve().parents[1] / "data" / "geo" / "places.geojson"

ICEBREAKER_NAMES = frozenset({
    # Finland (Arctia, Finnish Transport Infrastructure Agency)
    "URHO", "SISU", "VOIMA", "OTSO", "KONTIO", "POLARIS", "FENNICA", "NORDICA",
    # Sweden (Swedish Maritime Administration)
    "ATLE", "FREJ", "YMER", "ODEN", "ALE", "IDUN",
    # Estonia
    "TARMO", "BOTNICA", "EVA-316",
})
SAR_SHIP_TYPES = (51,)


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


class Traffic:
    """Each vessel's last report handed to the detector (at most one a minute), indexed by a grid of 0.1 deg lat x
    0.2 deg lon cells (about 11 km at Baltic latitudes), so ``around`` looks at nine cells; and each vessel's recent
    top speed, which forgets 2 kn an hour (a cheap "usual speed" of every vessel, to tell a collective slowdown)."""

    __slots__ = ("cells", "vessels", "pruned")
    every_s = 60.0                  # a vessel's report is taken at most this often
    peak_decay_kn_s = 2.0 / 3600.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], dict[int, Position]] = {}
        # mmsi -> [last taken ts, cell, top speed kn, time of the top speed's value]
        self.vessels: dict[int, list] = {}
        self.pruned = 0.0

    def update(self, p: Position) -> None:
        mmsi = p.mmsi
        ts = p.ts
        e = self.vessels.get(mmsi)
        if e is not None and ts - e[0] < self.every_s and ts >= e[0]:
            return  # the cheap path: most reports
        key = (int(p.lat * 10.0 + 900.0), int(p.lon * 5.0 + 900.0))
        sog = p.sog or 0.0
        if e is None:
            self.vessels[mmsi] = [ts, key, sog, ts]
        else:
            v = e[2] - (ts - e[3]) * self.peak_decay_kn_s
            e[2] = sog if sog >= v else v
            e[0] = e[3] = ts
            old = e[1]
            if old != key:
                cell = self.cells.get(old)
                if cell is not None:
                    cell.pop(mmsi, None)
                    if not cell:
                        del self.cells[old]
                e[1] = key
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = {}
        cell[mmsi] = p

    def top_speed(self, mmsi: int) -> float:
        """The vessel's recent top speed (kn; 0 when unknown)."""
        e = self.vessels.get(mmsi)
        return 0.0 if e is None else e[2]

    def forget(self, mmsis: set[int]) -> None:
        for m in mmsis:
            e = self.vessels.pop(m, None)
            if e is not None and e[1] in self.cells:
                cell = self.cells[e[1]]
                cell.pop(m, None)
                if not cell:
                    del self.cells[e[1]]

    def prune(self, before: float) -> None:
        """Forget vessels last heard before ``before`` (at most once per 10 minutes of data time)."""
        if before - self.pruned < 600.0:
            return
        self.pruned = before
        stale = {m for m, e in self.vessels.items() if e[0] < before}
        if stale:
            self.forget(stale)

    def around(self, lat: float, lon: float, radius_m: float, since: float, until: float,
               exclude: int | None = None) -> Iterator[tuple[Position, float]]:
        """(report, distance m) of vessels within ``radius_m`` (<= 11 km) whose last report is in [since, until]."""
        ci, cj = int(lat * 10.0 + 900.0), int(lon * 5.0 + 900.0)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                cell = self.cells.get((ci + di, cj + dj))
                if not cell:
                    continue
                for mmsi, q in cell.items():
                    if mmsi == exclude or not (since <= q.ts <= until):
                        continue
                    d = haversine_m(lat, lon, q.lat, q.lon)
                    if d <= radius_m:
                        yield q, d


@dataclass
class Place:
    kind: str           # anchorage | pilot_station | sea_area
    name: str
    geometry: Any       # shapely geometry (lon, lat)
    radius_m: float = 0.0
    ice_months: tuple[int, ...] = ()


class Places:
    """Anchorages, pilot boarding places and sea areas (``places.geojson``)."""

    def __init__(self, path: Path = PLACES_PATH) -> None:
        from shapely.geometry import shape

        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.places: list[Place] = []
        for f in data.get("features", []):
            p = f.get("properties") or {}
            if not f.get("geometry"):
                continue
            self.places.append(Place(p.get("kind", "area"), p.get("name", "?"), shape(f["geometry"]),
                                     float(p.get("radius_m") or 0.0), tuple(p.get("ice_months") or ())))

    def anchorage(self, lat: float, lon: float, margin_m: float = 2000.0) -> tuple[str, float] | None:
        """(name, distance m; 0 inside) of a designated anchorage within ``margin_m``."""
        from shapely.geometry import Point

        pt = Point(lon, lat)
        best = None
        for pl in self.places:
            if pl.kind != "anchorage":
                continue
            d = pl.geometry.distance(pt) * 111_195.0 * math.cos(math.radians(lat))
            if d <= margin_m and (best is None or d < best[1]):
                best = (pl.name, d)
        return best

    def pilot_station(self, lat: float, lon: float) -> tuple[str, float] | None:
        """(name, distance m) of a pilot boarding place whose radius covers the position."""
        best = None
        for pl in self.places:
            if pl.kind != "pilot_station":
                continue
            c = pl.geometry.centroid
            d = haversine_m(lat, lon, c.y, c.x)
            if d <= (pl.radius_m or 5000.0) and (best is None or d < best[1]):
                best = (pl.name, d)
        return best

    def ice_season(self, lat: float, lon: float, ts: float) -> str | None:
        """The sea area whose usual ice season includes the month of ``ts``, or None."""
        from shapely.geometry import Point

        month = datetime.fromtimestamp(ts, tz=timezone.utc).month
        pt = Point(lon, lat)
        for pl in self.places:
            if pl.kind == "sea_area" and month in pl.ice_months and pl.geometry.contains(pt):
                return pl.name
        return None


_PLACES: dict[str, Places] = {}


def places() -> Places:
    """The packaged places, loaded once."""
    if "default" not in _PLACES:
        _PLACES["default"] = Places()
    return _PLACES["default"]


def ship_name(static: dict, mmsi: int) -> str:
    s = static.get(mmsi)
    name = (getattr(s, "name", None) or "").strip()
    return name or f"MMSI {mmsi}"


def neighbours(traffic: Traffic, p: Position, static: dict, *, radius_m: float = 10_000.0,
               fresh_s: float = 600.0) -> dict[str, Any]:
    """What the ships around ``p`` say: in line with it on the same track, a search and rescue unit, an icebreaker.

    ``in_line``: (name, distance m, ahead or astern, icebreaker?) of the nearest vessel within 6 km that is ahead
    or astern of ``p`` on its course (within 25 deg), steering the same course (within 25 deg) at a similar speed
    (within 2.5 kn) and making way (>= 2 kn): a convoy or a ship following an ice channel.
    """
    out: dict[str, Any] = {"in_line": None, "sar": None, "icebreaker": None, "count": 0}
    cog, sog = p.cog, p.sog
    for q, d in traffic.around(p.lat, p.lon, radius_m, p.ts - fresh_s, p.ts + 60.0, exclude=p.mmsi):
        out["count"] += 1
        s = static.get(q.mmsi)
        name = ship_name(static, q.mmsi)
        if (s is not None and s.ship_type in SAR_SHIP_TYPES) or q.station == "SAR":
            if out["sar"] is None or d < out["sar"][1]:
                out["sar"] = (name, d)
        is_ib = name.upper() in ICEBREAKER_NAMES
        if is_ib and (out["icebreaker"] is None or d < out["icebreaker"][1]):
            out["icebreaker"] = (name, d)
        if (d <= 6000.0 and d >= 50.0 and cog is not None and cog < 360 and q.cog is not None and q.cog < 360
                and sog is not None and q.sog is not None and q.sog >= 2.0 and abs(q.sog - sog) <= 2.5
                and angle_diff(cog, q.cog) <= 25.0):
            brg = _bearing(p.lat, p.lon, q.lat, q.lon)
            ahead = angle_diff(brg, cog) <= 25.0
            astern = angle_diff(brg, (cog + 180.0) % 360.0) <= 25.0
            if (ahead or astern) and (out["in_line"] is None or d < out["in_line"][1]):
                out["in_line"] = (name, d, "ahead" if ahead else "astern", is_ib)
    return out
