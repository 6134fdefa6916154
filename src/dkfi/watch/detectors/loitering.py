"""Loitering: slow or stopped over seabed infrastructure (or inside a watched area) for a long time.

Published anchor: Global Fishing Watch loitering = speed < 2 kn (>= 20 nm from shore, >= 4 h for
transshipment); Windward "low-speed drifting / anchored / standing (< 3 kn)" and "in polygon". Here the
place that matters is an asset corridor, so the time limit is shorter and there is no distance from
shore (cables land on shore), only a port exclusion:

* a report qualifies when SOG < ``max_sog_kn`` (2 kn) and the position lies inside an asset corridor
  (``ctx.assets.near``) or inside one of the watched areas (optional ``ctx.areas``: a list of
  ``(name, shapely polygon in lon/lat)``), and not within ``port_radius_m`` (3 km) of a port;
* an ``open`` event is emitted once qualifying reports have lasted ``min_duration_s`` (30 min);
  non-qualifying reports for less than ``grace_s`` (5 min), and silences shorter than ``max_gap_s``
  (1 h), do not break the episode; it is re-emitted every ``update_every_s`` (15 min) and closes after
  ``grace_s`` without a qualifying report;
* a vessel reporting "moored" (navigation status 5) is at a berth, not loitering at sea: skipped
  (``skip_nav_status``); a moored status far out at sea is the nav-status contradiction that
  ``anchor_drag`` and ``drift`` look at, not a loitering case;
* vessels working on the seabed by trade are skipped when their type is known: ``skip_ship_types``
  (33 dredging/underwater operations, 35 military, 50-59 pilot, SAR, tugs, port tenders, law
  enforcement...), and base stations / aids to navigation.

``measured``: duration_min, median_sog_kn, max_sog_kn, radius_m (furthest from the first point),
nearest asset and its distance, nav statuses seen.

Cost: the corridor / port look-up of a slow vessel is reused while it stays within ``reuse_deg``
(0.0005 deg lat, 0.001 deg lon: about 55 m) of where it was made, so a corridor edge is found up to
~55 m late; the distance to the asset in ``measured`` is the one of that look-up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import shapely

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint, haversine_m, keep_evidence, thin
from dkfi.maritime.records import Position
from dkfi.watch.context import places


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    start: float | None = None                      # the episode's first qualifying report: its time
    last_q_ts: float = 0.0
    first: TrackPoint | None = None                 # ... and the report (both None when there is no episode)
    points: list[TrackPoint] = field(default_factory=list)
    sogs: list[float] = field(default_factory=list)
    place: str | None = None
    place_m: float | None = None
    radius_m: float = 0.0
    statuses: set[int] = field(default_factory=set)
    event: Event | None = None
    last_emit_ts: float = 0.0
    c_lat: float = 1e9                              # where the place was last looked up, and the answer
    c_lon: float = 1e9
    c_place: tuple[str, float | None] | None = None
    ship_type: int | None = None                    # from the static data, when known


class LoiteringDetector(Detector):
    """Slow or stopped inside an asset corridor or watched area (see module docstring)."""

    kind = "loitering"
    every_report = False  # a rule over minutes: the engine samples reports (base module doc)
    max_sog_kn = 2.0
    min_duration_s = 1800.0
    grace_s = 300.0
    max_gap_s = 3600.0
    port_radius_m = 3000.0
    update_every_s = 900.0
    skip_ship_types: tuple[int, ...] = (33, 35, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59)
    skip_nav_status: tuple[int, ...] = (5,)  # moored: alongside a berth (ferry terminals the port list lacks)
    max_points = 400
    reuse_deg = 0.0005   # reuse the place look-up while within ~55 m (lat) / ~60 m (lon) of where it was made

    def rule(self) -> str:
        return (f"SOG < {self.max_sog_kn:g} kn inside a seabed-asset corridor or watched area for at least "
                f"{self.min_duration_s / 60:g} min, not within {self.port_radius_m / 1000:g} km of a port")

    def _place(self, p: Position, ctx: Context) -> tuple[str, float | None] | None:
        if ctx.assets is not None:
            near = ctx.assets.near(p.lat, p.lon)
            if near:
                return near[0][0].name, near[0][1]
        areas = getattr(ctx, "areas", None)
        if areas:
            for name, poly in areas:
                if shapely.contains_xy(poly, p.lon, p.lat):
                    return str(name), None
        return None

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        if p.sog is None or p.sog >= 102.2 or p.station in ("BASE", "ATON", "SAR"):
            return ()
        st: _State = self.vessel(p.mmsi, _State)
        if p.ts <= st.last_ts:
            return ()
        gap = p.ts - st.last_ts
        st.last_ts = p.ts
        out: list[Event] = []
        if st.start is not None and gap > self.max_gap_s:
            out.extend(self._end(st))
        place: tuple[str, float | None] | None = None
        if p.sog < self.max_sog_kn and p.nav_status not in self.skip_nav_status:
            s = ctx.static.get(p.mmsi)
            st.ship_type = None if s is None else s.ship_type
            if s is None or s.ship_type not in self.skip_ship_types:
                if abs(p.lat - st.c_lat) < self.reuse_deg and abs(p.lon - st.c_lon) < 2 * self.reuse_deg:
                    place = st.c_place  # a slow vessel barely moved: the last look-up still holds
                else:
                    place = self._place(p, ctx)
                    if place is not None and ctx.ports is not None and \
                            ctx.ports.near_port(p.lat, p.lon, self.port_radius_m) is not None:
                        place = None
                    st.c_lat, st.c_lon, st.c_place = p.lat, p.lon, place
        if place is None:  # does not qualify
            if st.start is not None and p.ts - st.last_q_ts > self.grace_s:
                out.extend(self._end(st))
            return out
        tp = TrackPoint.of(p)
        first = st.first
        if first is None:  # no episode (``start`` and ``first`` are set and cleared together)
            st.start, st.first = p.ts, tp
            first = tp
            st.points, st.sogs, st.statuses = [], [], set()
            st.radius_m = 0.0
            st.place, st.place_m = place
        st.last_q_ts = p.ts
        keep_evidence(st, tp, p.sog, self.max_points)
        if p.nav_status is not None:
            st.statuses.add(p.nav_status)
        st.radius_m = max(st.radius_m, haversine_m(first.lat, first.lon, p.lat, p.lon))
        if place[1] is not None and (st.place_m is None or place[1] < st.place_m) and place[0] == st.place:
            st.place_m = place[1]
        ev = st.event
        if ev is None:
            if p.ts - first.ts >= self.min_duration_s:  # first.ts is st.start
                ev = st.event = Event(self.kind, p.mmsi, first.ts, p.ts, self.rule(), {}, [], st.place)
                out.append(self._make(st, ev, "open"))
        elif p.ts - st.last_emit_ts >= self.update_every_s:
            out.append(self._make(st, ev, "open"))
        return out

    def _make(self, st: _State, e: Event, status: str) -> Event:
        """A version of the open event ``e`` (``st.event``; its ``start`` is ``st.start``)."""
        s = sorted(st.sogs)
        m = {"duration_min": round((st.last_q_ts - e.start) / 60.0, 1), "median_sog_kn": s[len(s) // 2],
             "max_sog_kn": s[-1], "radius_m": round(st.radius_m, 1), "nearest_asset": st.place,
             "asset_distance_m": None if st.place_m is None else round(st.place_m, 1),
             "nav_statuses": sorted(st.statuses)}
        st.last_emit_ts = st.last_ts
        m.update(self._factors(st))
        return Event(self.kind, e.mmsi, e.start, st.last_q_ts, e.rule, m, thin(st.points, 200), st.place, status)

    def _factors(self, st: _State) -> dict:
        """Signals beyond speed, each a factor with points, and the highest severity they allow
        (docs/watch.md, "Severity")."""
        f: list[list] = []
        why: list[str] = []
        if 1 in st.statuses:
            f.append(["reports at anchor inside the corridor (anchoring over a cable or pipeline)", 10])
        if st.ship_type == 30 or 7 in st.statuses:
            f.append(["a fishing vessel at work (ship type 30 or status 'engaged in fishing')", -10])
            why.append("fishing")
        if 3 in st.statuses or st.ship_type == 33:
            f.append(["restricted in its ability to manoeuvre: a working ship (survey, cable work, dredging)", -15])
            why.append("a working ship")
        first = st.first
        if first is not None:
            pl = places()
            a = pl.anchorage(first.lat, first.lon)
            if a is not None:
                f.append([f"in or by designated anchorage {a[0]}", -20])
                why.append("at an anchorage")
            pilot = pl.pilot_station(first.lat, first.lon)
            if pilot is not None:
                f.append([f"at pilot boarding place {pilot[0]}", -15])
                why.append("at a pilot boarding place")
        return {"factors": f, "severity_cap": "low" if why else None,
                "severity_cap_reason": "; ".join(why) or None}

    def _end(self, st: _State) -> list[Event]:
        e = st.event
        out = [self._make(st, e, "closed")] if e is not None else []
        st.start = st.first = None
        st.event = None
        st.points, st.sogs = [], []
        return out

    def expire(self, mmsi: int, st: _State, ctx: Context) -> list[Event]:
        return self._end(st)
