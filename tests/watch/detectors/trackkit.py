"""Small readable synthetic tracks for detector tests: a ship moved along bearings at speeds."""
from __future__ import annotations

import math
from functools import lru_cache

from dkfi.watch.detectors.base import EARTH_RADIUS_M, KNOT_MS
from dkfi.maritime.records import Position, Static

T0 = 1_735_120_800.0  # 2024-12-25T10:00:00Z


def destination(lat: float, lon: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """Point reached from (lat, lon) after dist_m along a great circle with the initial bearing."""
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


class Ship:
    """Moves a ship leg by leg, recording a Position every ``every_s`` seconds.

    >>> s = Ship(230000001, 59.9, 27.0).leg(hours=1, sog=12, cog=265)
    """

    def __init__(self, mmsi: int, lat: float, lon: float, t0: float = T0, every_s: float = 10.0,
                 station: str = "A") -> None:
        self.mmsi, self.lat, self.lon, self.ts = mmsi, lat, lon, t0
        self.every_s = every_s
        self.station = station
        self.positions: list[Position] = []

    def leg(self, *, sog: float, cog: float, hours: float = 0.0, minutes: float = 0.0, km: float | None = None,
            heading: float | None = None, nav_status: int = 0, every_s: float | None = None,
            report: bool = True) -> "Ship":
        """Sail ``hours``/``minutes`` (or ``km``) at ``sog`` knots on course ``cog``; heading defaults to cog."""
        step = every_s or self.every_s
        dur = hours * 3600 + minutes * 60
        if km is not None:
            dur = km * 1000 / (sog * KNOT_MS)
        n = max(1, int(round(dur / step)))
        dt = dur / n
        hdg = cog if heading is None else heading
        for _ in range(n):
            self.lat, self.lon = destination(self.lat, self.lon, cog, sog * KNOT_MS * dt)
            self.ts += dt
            if report:
                self.positions.append(Position(ts=self.ts, mmsi=self.mmsi, lat=self.lat, lon=self.lon, sog=sog,
                                               cog=cog % 360, heading=int(round(hdg)) % 360, nav_status=nav_status,
                                               station=self.station, msg_type=1 if self.station == "A" else 18))
        return self

    def silent(self, *, sog: float, cog: float, hours: float = 0.0, minutes: float = 0.0) -> "Ship":
        """Move without reporting (AIS off)."""
        return self.leg(sog=sog, cog=cog, hours=hours, minutes=minutes, report=False)

    def static(self, ship_type: int = 70, length: float = 180.0, name: str = "TEST SHIP") -> Static:
        return Static(ts=self.positions[0].ts - 1 if self.positions else self.ts, mmsi=self.mmsi, name=name,
                      ship_type=ship_type, length=length)


def track_km(points, start_ts: float, end_ts: float) -> float:
    """Distance sailed between two times along the points."""
    from dkfi.watch.detectors.base import haversine_m

    pts = [p for p in points if start_ts <= p.ts <= end_ts]
    return sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(pts, pts[1:])) / 1000.0


@lru_cache(maxsize=1)
def baltic_assets():
    from dkfi.watch.assets import AssetIndex, default_assets_path, load_assets_geojson

    return AssetIndex(load_assets_geojson(default_assets_path()))


@lru_cache(maxsize=1)
def ports():
    from dkfi.watch.assets import PortIndex

    return PortIndex()


def run(detector_or_list, records, ctx=None):
    """Feed records (sorted by time) through a DetectionEngine; returns (engine, all emitted events)."""
    from dkfi.watch.detectors.base import DetectionEngine

    dets = detector_or_list if isinstance(detector_or_list, list) else [detector_or_list]
    eng = DetectionEngine(dets, ctx)
    emitted = []
    for r in sorted(records, key=lambda r: r.ts):
        emitted.extend(eng.process(r))
    emitted.extend(eng.finish())
    return eng, emitted
