"""Encounters (ship-to-ship meetings, rendezvous): two slow vessels side by side, away from ports.

Global Fishing Watch's encounter rule: two vessels within 500 m of each other for at least 2 h, both with
a median speed below 2 kn, at least 10 km from an anchorage. Those are the defaults here
(``max_distance_m``, ``min_duration_s``, ``max_median_sog_kn``, ``port_exclusion_m``, the last using
``Context.ports.near_port`` when a port index is given). AI2 Skylight's rendezvous needs only 30 min
together: set ``min_duration_s=1800`` for a live watch that should warn early.

Each vessel's median speed is taken over its reports of the last ``speed_window_s``. Slow vessels sit in a
coarse grid (cells of ``cell_deg`` latitude, about 1.1 km, and a matching width in longitude) so an update
looks only at the 3 x 3 neighbouring cells: thousands of vessels cost little. A pair stays together while
it is seen within ``max_distance_m`` at least every ``break_s``; the episode opens (event "open") once it has
lasted ``min_duration_s`` and closes when the vessels part, speed up, or one falls silent.

Two ships that both report "at anchor" (navigation status 1) near each other are taken to share an
anchorage, not to meet (``skip_both_at_anchor``): GFW excludes anchorages by place, and the Baltic
anchorage polygons are not in the data. A transfer under way, drifting or with one ship "at anchor" and
the other not still counts.

One event per pair: ``mmsi`` is the lower MMSI, ``other_mmsi`` the higher; ``evidence`` is the lower
MMSI's track, ``measured["other_track"]`` the other's (both thinned).
"""
from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable

from dkfi.watch.detectors.base import (
    KNOT_MS, Context, Detector, Event, TrackPoint, haversine_m, thin,
)
from dkfi.maritime.records import Position, Station

_NOT_SHIPS = frozenset({Station.BASE, Station.ATON, Station.SAR})
_tuple_new = tuple.__new__
_floor = math.floor
_cos = math.cos
_D2R = math.pi / 180.0
_M_PER_DEG = math.pi / 180.0 * 6_371_008.8  # metres per degree of latitude (EARTH_RADIUS_M)
_PORT_RECHECK_DEG2 = (490.0 / _M_PER_DEG) ** 2


@dataclass(slots=True)
class _Vessel:
    last_ts: float = 0.0
    last: TrackPoint | None = None
    speeds: deque = field(default_factory=deque)  # (ts, sog)
    n_slow: int = 0  # reports in ``speeds`` below the speed limit
    cell: tuple[int, int] | None = None
    slow: bool = False
    near_port: bool = False
    port_checked_at: tuple[float, float] | None = None
    pairs: set[tuple[int, int]] = field(default_factory=set)


@dataclass(slots=True)
class _Pair:
    start: float
    last_close: float
    distances: list[float] = field(default_factory=list)
    a_pts: list[TrackPoint] = field(default_factory=list)
    b_pts: list[TrackPoint] = field(default_factory=list)
    emitted: bool = False
    last_emit: float = 0.0


class EncounterDetector(Detector):
    """Two vessels within 500 m, both median < 2 kn, for >= 2 h, >= 10 km from ports (see the module doc)."""

    kind = "encounter"
    every_report = False  # a rule over minutes: the engine samples reports (base module doc)
    max_distance_m = 500.0
    max_median_sog_kn = 2.0
    min_duration_s = 2 * 3600.0     # GFW; Skylight's rendezvous: 1800 s
    port_exclusion_m = 10_000.0
    speed_window_s = 1800.0
    break_s = 900.0                 # longest time without a close sighting before the pair parts
    max_age_s = 600.0               # a neighbour's last report may be this old
    cell_deg = 0.01
    reemit_s = 1800.0               # re-emit an open encounter at most this often
    evidence_limit = 200
    skip_both_at_anchor = True      # two ships "at anchor" side by side share an anchorage

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.grid: dict[tuple[int, int], set[int]] = {}
        self.pairs: dict[tuple[int, int], _Pair] = {}
        self._widths: dict[int, float] = {}

    def forget(self, mmsis: set[int]) -> None:
        super().forget(mmsis)
        for cell in list(self.grid):
            self.grid[cell] -= mmsis
            if not self.grid[cell]:
                del self.grid[cell]
        self.pairs = {k: v for k, v in self.pairs.items() if k[0] not in mmsis and k[1] not in mmsis}

    # ---- grid -------------------------------------------------------------------------------------
    def _width(self, row: int) -> float:
        """Width in degrees of longitude of the cells of latitude row ``row`` (cached)."""
        w = self._widths.get(row)
        if w is None:
            w = self._widths[row] = self.cell_deg / max(0.1, math.cos(math.radians((row + 0.5) * self.cell_deg)))
        return w

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        # longitude cells as wide (in metres) as latitude cells, in fixed bands of latitude rows
        row = math.floor(lat / self.cell_deg)
        return row, math.floor(lon / self._width(row))

    def _neighbours(self, lat: float, lon: float) -> Iterable[int]:
        row = math.floor(lat / self.cell_deg)
        grid = self.grid
        for r in (row - 1, row, row + 1):
            c = math.floor(lon / self._width(r))
            for cc in (c - 1, c, c + 1):
                got = grid.get((r, cc))
                if got:
                    yield from got

    def _grid_remove(self, mmsi: int, v: _Vessel) -> None:
        if v.cell is not None:
            cell = self.grid.get(v.cell)
            if cell is not None:
                cell.discard(mmsi)
                if not cell:
                    del self.grid[v.cell]
            v.cell = None

    @staticmethod
    def _port_check_due(v: _Vessel, lat: float, lon: float) -> bool:
        """Has the vessel moved more than 500 m since its port check (a flat-earth look first)?"""
        at = v.port_checked_at
        if at is None:
            return True
        dlat = lat - at[0]
        dlon = (lon - at[1]) * math.cos(math.radians(lat))
        if dlat * dlat + dlon * dlon < _PORT_RECHECK_DEG2:  # within 490 m: surely not moved 500 m
            return False
        return haversine_m(at[0], at[1], lat, lon) > 500.0

    # ---- main -------------------------------------------------------------------------------------
    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        if p.station in _NOT_SHIPS:
            return ()
        mmsi = p.mmsi
        state = self.state
        v: _Vessel | None = state.get(mmsi)
        if v is None:
            v = state[mmsi] = _Vessel()
        else:
            state.move_to_end(mmsi)
        ts = p.ts
        lat = p.lat
        lon = p.lon
        last = v.last
        if last is not None and ts < last[0]:
            return ()
        sog = p.sog
        if sog is None and last is not None and ts > last[0]:
            sog = haversine_m(last[1], last[2], lat, lon) / (ts - last[0]) / KNOT_MS
        speeds = v.speeds
        limit = self.max_median_sog_kn
        if sog is not None:
            speeds.append((ts, sog))
            if sog < limit:
                v.n_slow += 1
        if speeds:
            window = self.speed_window_s
            if ts - speeds[0][0] > window:
                while speeds and ts - speeds[0][0] > window:
                    if speeds.popleft()[1] < limit:
                        v.n_slow -= 1
        tp = _tuple_new(TrackPoint, (ts, lat, lon, p.sog, p.cog, p.heading, p.nav_status))  # TrackPoint.of(p)
        v.last = tp
        v.last_ts = ts
        # median < limit, decided from the count of slow reports in the window; the exact median only
        # when the two middle values straddle the limit
        n = len(speeds)
        k = v.n_slow
        if n == 0 or 2 * k < n:
            slow = False
        elif 2 * k >= n + 1:
            slow = True
        else:  # n even, k == n / 2: the mean of the two middle values decides
            slow = statistics.median(s for _, s in speeds) < limit
        if slow:
            ports = ctx.ports
            if ports is not None and self._port_check_due(v, lat, lon):
                v.near_port = bool(ports.near_port(lat, lon, self.port_exclusion_m))
                v.port_checked_at = (lat, lon)
            if v.near_port:
                slow = False
        v.slow = slow
        if not slow:
            if v.cell is not None:
                self._grid_remove(mmsi, v)
            if not v.pairs:
                return ()  # the common case: a vessel under way, in no encounter
            out: list[Event] = []
            for key in list(v.pairs):
                if key not in self.pairs:
                    v.pairs.discard(key)
                else:
                    out.extend(self._close(key, ctx))
            return out
        out = []
        grid = self.grid
        cell_deg = self.cell_deg
        widths = self._widths
        row = _floor(lat / cell_deg)
        w0 = widths.get(row)
        if w0 is None:
            w0 = self._width(row)
        cell = (row, _floor(lon / w0))
        if cell != v.cell:
            self._grid_remove(mmsi, v)
            got = grid.get(cell)
            if got is None:
                grid[cell] = {mmsi}
            else:
                got.add(mmsi)
            v.cell = cell
        close_now: set[tuple[int, int]] | None = None
        max_d = self.max_distance_m
        max_dlat = max_d * 1.000001 / _M_PER_DEG
        far2 = (max_d * 1.01 / _M_PER_DEG) ** 2
        coslat = _cos(lat * _D2R)  # neighbours are within a few cells: their latitude differs by < 0.03 deg
        max_age = self.max_age_s
        both_anchor = self.skip_both_at_anchor
        # the 3 x 3 neighbouring cells (as ``_neighbours``), gathered first: pairs may change the grid
        others: list[int] = []
        for r in (row - 1, row, row + 1):
            wr = widths.get(r)
            if wr is None:
                wr = self._width(r)
            c = _floor(lon / wr)
            for cc in (c - 1, c, c + 1):
                got = grid.get((r, cc))
                if got:
                    others.extend(got)
        for other in others:
            if other == mmsi:
                continue
            w = state.get(other)
            if w is None or not w.slow:
                continue
            wl = w.last
            if wl is None or ts - wl[0] > max_age:
                continue
            if both_anchor and p.nav_status == 1 and wl[6] == 1:
                continue  # two ships in one anchorage
            dlat = lat - wl[1]
            if (dlat if dlat >= 0.0 else -dlat) > max_dlat:
                continue  # the great-circle distance is at least the distance along the meridian
            dlon = (lon - wl[2]) * coslat
            if dlat * dlat + dlon * dlon > far2:
                continue  # surely further than max_distance_m (flat distance, 1 % margin)
            d = haversine_m(lat, lon, wl[1], wl[2])
            if d > max_d:
                continue
            key = (mmsi, other) if mmsi < other else (other, mmsi)
            if close_now is None:
                close_now = {key}
            else:
                close_now.add(key)
            pair = self.pairs.get(key)
            if pair is None:
                pair = self.pairs[key] = _Pair(start=min(ts, wl[0]), last_close=ts)
                v.pairs.add(key)
                w.pairs.add(key)
                lo_pt, hi_pt = (tp, wl) if mmsi < other else (wl, tp)
                pair.a_pts.append(lo_pt)
                pair.b_pts.append(hi_pt)
            else:
                (pair.a_pts if mmsi == key[0] else pair.b_pts).append(tp)
            pair.last_close = ts
            pair.distances.append(d)
            if len(pair.distances) > 4 * self.evidence_limit:
                pair.distances = pair.distances[::2]
                pair.a_pts = thin(pair.a_pts, self.evidence_limit)
                pair.b_pts = thin(pair.b_pts, self.evidence_limit)
            dur = pair.last_close - pair.start
            if dur >= self.min_duration_s and (not pair.emitted or ts - pair.last_emit >= self.reemit_s):
                pair.emitted, pair.last_emit = True, ts
                out.append(self._event(key, pair, ctx, "open"))
        # pairs of this vessel not confirmed now: part them when too long without a close sighting
        # (most often every pair was confirmed just now: one subset test instead of a loop)
        if v.pairs and (close_now is None or not v.pairs <= close_now):
            for key in list(v.pairs):
                if close_now is not None and key in close_now:
                    continue
                pair = self.pairs.get(key)
                if pair is None:
                    v.pairs.discard(key)
                    continue
                if ts - pair.last_close > self.break_s:
                    out.extend(self._close(key, ctx))
        return out

    def _event(self, key: tuple[int, int], pair: _Pair, ctx: Context, status: str) -> Event:
        a = self.state.get(key[0])
        b = self.state.get(key[1])

        def med(v: _Vessel | None) -> float | None:
            return round(statistics.median(s for _, s in v.speeds), 2) if v and v.speeds else None

        d = pair.distances or [0.0]
        return Event(
            self.kind, key[0], pair.start, pair.last_close,
            f"two vessels within {self.max_distance_m:g} m, both median SOG < {self.max_median_sog_kn:g} kn, "
            f"for >= {self.min_duration_s / 3600:g} h, >= {self.port_exclusion_m / 1000:g} km from ports",
            {"duration_s": round(pair.last_close - pair.start, 1), "min_distance_m": round(min(d), 1),
             "median_distance_m": round(statistics.median(d), 1),
             "median_sog_kn": med(a), "other_median_sog_kn": med(b),
             "other_track": [[q.ts, q.lat, q.lon] for q in thin(pair.b_pts, 50)]},
            thin(pair.a_pts, self.evidence_limit), status=status, other_mmsi=key[1])

    def _close(self, key: tuple[int, int], ctx: Context) -> list[Event]:
        pair = self.pairs.pop(key, None)
        for m in key:
            v = self.state.get(m)
            if v is not None:
                v.pairs.discard(key)
        if pair is None:
            return []
        if pair.last_close - pair.start >= self.min_duration_s:
            return [self._event(key, pair, ctx, "closed")]
        return []

    def expire(self, mmsi: int, state: _Vessel, ctx: Context) -> Iterable[Event]:
        self._grid_remove(mmsi, state)
        out: list[Event] = []
        for key in list(state.pairs):
            out.extend(self._close(key, ctx))
        return out

    def finish(self, ctx: Context) -> Iterable[Event]:
        out: list[Event] = []
        for key in list(self.pairs):
            out.extend(self._close(key, ctx))
        out.extend(super().finish(ctx))
        self.grid.clear()
        return out
