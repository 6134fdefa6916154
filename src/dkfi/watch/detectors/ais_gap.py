"""AIS gap near seabed infrastructure: a vessel silent far longer than its transponder should be, where
receivers were hearing other ships, starting or ending close to a cable or pipeline.

Rule. ITU-R M.1371 reporting intervals (domain.md section 2): class A 2-10 s underway depending on
speed (0-14 kn: 10 s; 14-23 kn: 6 s; > 23 kn: 2 s), 3 min at anchor or moored below 3 kn; class B
30 s above 2 kn, 3 min below. A silence counts as a *gap* when it exceeds
``max(min_gap_s, gap_factor x expected interval)`` (10 min, 20x), the expected interval being the one
of the last report before the silence. Satellite-era published anchors are much longer (GFW: 6-12 h;
Skylight: 6 h of dark activity); near a cable ten minutes of silence already matters, so this detector
reports short gaps and puts the numbers in ``measured`` for the alert to rank.

Coverage. A silence only means something where receivers hear ships: the detector keeps a coarse grid
(``coverage_cell_deg`` 0.1 x 0.2 deg, about 11 x 11 km) of the ``coverage_bin_s`` (10 min) time bins in
which any vessel was heard, and requires that vessels were heard in the 3 x 3 cells around the last
position in at least ``min_coverage`` (50 %) of the whole bins inside the gap (``coverage`` in
``measured``). A Context with a ``coverage`` attribute (an object with ``fraction(lat, lon, t0, t1)``)
replaces the built-in grid.

Place. The gap is reported when its last known position or its reappearance lies within
``asset_radius_m`` (5 km) of an asset line (``ctx.assets``); without an asset index every gap is
reported. Gaps are known when the vessel reappears (status ``closed``); at the end of input, or when the
engine drops an idle vessel (``idle_s`` 24 h), a vessel still silent long enough is reported ``open``
(and reported again, closed, with the same key if it comes back later).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint, haversine_m
from dkfi.maritime.records import Position


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    last: Position | TrackPoint | None = None  # the last Position (a TrackPoint after a restore)
    station: str = "A"
    bin: int = -1                  # coverage cell and time bin of the last report
    cell: tuple[int, int] | None = None


def expected_interval_s(sog: float | None, nav_status: int | None, station: str) -> float:
    """Nominal reporting interval (ITU-R M.1371) for the vessel's last known state."""
    sog = 0.0 if sog is None or sog >= 102.2 else sog
    if station == "B":
        return 30.0 if sog > 2.0 else 180.0
    if nav_status in (1, 5) and sog <= 3.0:
        return 180.0
    if sog > 23.0:
        return 2.0
    if sog > 14.0:
        return 6.0
    return 10.0


class AisGapDetector(Detector):
    """Silence far beyond the expected reporting interval, in coverage, near an asset (see docstring)."""

    kind = "ais_gap"
    idle_s = 24 * 3600.0
    min_gap_s = 600.0
    gap_factor = 20.0
    asset_radius_m = 5000.0
    min_coverage = 0.5
    coverage_cell_deg: tuple[float, float] = (0.1, 0.2)
    coverage_bin_s = 600.0
    coverage_keep_bins = 288          # per cell: at most 2 days of 10-minute bins
    max_gone = 100_000                # vessels dropped while silent, remembered to close their gap

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._cells: dict[tuple[int, int], dict[int, None]] = {}
        self._gone: OrderedDict[int, tuple[_State, float]] = OrderedDict()
        self._now = 0.0

    def forget(self, mmsis: set[int]) -> None:
        super().forget(mmsis)
        for m in mmsis:
            self._gone.pop(m, None)

    def rule(self) -> str:
        return (f"no AIS report for more than max({self.min_gap_s / 60:g} min, {self.gap_factor:g} x the ITU-R M.1371 "
                f"interval) while other vessels were heard nearby in >= {self.min_coverage:.0%} of the gap, "
                f"starting or ending within {self.asset_radius_m / 1000:g} km of a seabed asset")

    # --- coverage --------------------------------------------------------------------------
    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return int(lat // self.coverage_cell_deg[0]), int(lon // self.coverage_cell_deg[1])

    def _heard(self, lat: float, lon: float, ts: float) -> None:
        self._heard_at(self._cell(lat, lon), int(ts // self.coverage_bin_s))

    def _heard_at(self, key: tuple[int, int], b: int) -> None:
        bins = self._cells.get(key)
        if bins is None:
            bins = self._cells[key] = {}
        if b not in bins:
            bins[b] = None
            if len(bins) > self.coverage_keep_bins:
                del bins[next(iter(bins))]

    def coverage(self, lat: float, lon: float, t0: float, t1: float, ctx: Context | None = None) -> float | None:
        """Fraction of the whole time bins in (t0, t1) in which some vessel was heard near (lat, lon);
        None when the gap holds no whole bin."""
        ext = getattr(ctx, "coverage", None) if ctx is not None else None
        if ext is not None:
            return ext.fraction(lat, lon, t0, t1)
        b0, b1 = int(t0 // self.coverage_bin_s) + 1, int(t1 // self.coverage_bin_s) - 1
        if b1 < b0:
            return None
        ci, cj = self._cell(lat, lon)
        heard: set[int] = set()
        for i in (ci - 1, ci, ci + 1):
            for j in (cj - 1, cj, cj + 1):
                bins = self._cells.get((i, j))
                if bins:
                    heard.update(b for b in bins if b0 <= b <= b1)
        return len(heard) / (b1 - b0 + 1)

    # --- detection -------------------------------------------------------------------------
    def threshold_s(self, last: Position | TrackPoint, station: str) -> float:
        return max(self.min_gap_s, self.gap_factor * expected_interval_s(last.sog, last.nav_status, station))

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        if p.station in ("BASE", "ATON", "SAR"):
            return ()
        if p.ts > self._now:
            self._now = p.ts
        st: _State | None = self.state.get(p.mmsi)
        if st is None:
            gone = self._gone.pop(p.mmsi, None)
            st = self.vessel(p.mmsi, _State)
            if gone is not None:
                st.last, st.last_ts, st.station = gone[0].last, gone[0].last_ts, gone[0].station
        else:
            self.state.move_to_end(p.mmsi)
        if p.ts <= st.last_ts:
            return ()
        out: tuple[Event, ...] = ()
        last = st.last
        # the gap needs at least min_gap_s: only then the (dearer) threshold is worked out
        if last is not None and p.ts - last.ts > self.min_gap_s and p.ts - last.ts > self.threshold_s(last, st.station):
            last_tp = last if isinstance(last, TrackPoint) else TrackPoint.of(last)
            ev = self._gap(p.mmsi, last_tp, st.station, p.ts, TrackPoint.of(p), ctx, "closed")
            if ev is not None:
                out = (ev,)
        # coverage: a vessel in the same cell and time bin as its last report adds nothing
        b = int(p.ts // self.coverage_bin_s)
        key = (int(p.lat // self.coverage_cell_deg[0]), int(p.lon // self.coverage_cell_deg[1]))
        if b != st.bin or key != st.cell:
            st.bin, st.cell = b, key
            self._heard_at(key, b)
        st.last = p  # the Position itself; a TrackPoint is made only for an event's evidence
        st.last_ts = p.ts
        st.station = p.station
        return out

    def _gap(self, mmsi: int, last: TrackPoint, station: str, end_ts: float, back: TrackPoint | None,
             ctx: Context, status: str) -> Event | None:
        cov = self.coverage(last.lat, last.lon, last.ts, end_ts, ctx)
        if cov is not None and cov < self.min_coverage:
            return None
        asset, asset_m, where = None, None, None
        if ctx.assets is not None:
            for label, pt in (("start", last), ("end", back)):
                if pt is None:
                    continue
                near = ctx.assets.near(pt.lat, pt.lon, within_m=self.asset_radius_m)
                if near and (asset_m is None or near[0][1] < asset_m):
                    asset, asset_m, where = near[0][0].name, near[0][1], label
            if asset is None:
                return None
        gap = end_ts - last.ts
        m = {"gap_min": round(gap / 60.0, 1), "expected_interval_s": expected_interval_s(last.sog, last.nav_status,
                                                                                          station),
             "threshold_min": round(self.threshold_s(last, station) / 60.0, 1),
             "coverage": None if cov is None else round(cov, 2), "station": station,
             "asset_distance_m": None if asset_m is None else round(asset_m, 1), "near_asset_at": where}
        if back is not None:
            d = haversine_m(last.lat, last.lon, back.lat, back.lon)
            m["distance_km"] = round(d / 1000.0, 2)
            m["implied_sog_kn"] = round(d / gap / (1852.0 / 3600.0), 2) if gap > 0 else None
        ev = [last] + ([back] if back is not None else [])
        return Event(self.kind, mmsi, last.ts, end_ts, self.rule(), m, ev, asset, status)

    def _still_silent(self, mmsi: int, st: _State, ctx: Context) -> list[Event]:
        last = st.last
        if last is None or self._now - last.ts <= self.threshold_s(last, st.station):
            return []
        if not isinstance(last, TrackPoint):
            last = TrackPoint.of(last)
        ev = self._gap(mmsi, last, st.station, self._now, None, ctx, "open")
        return [ev] if ev is not None else []

    def expire(self, mmsi: int, st: _State, ctx: Context) -> list[Event]:
        out = self._still_silent(mmsi, st, ctx)
        if out:
            self._gone[mmsi] = (st, self._now)
            while len(self._gone) > self.max_gone:
                self._gone.popitem(last=False)
        return out

    def finish(self, ctx: Context) -> list[Event]:
        out: list[Event] = []
        for mmsi, st in list(self.state.items()):
            out.extend(self._still_silent(mmsi, st, ctx))
        self.state.clear()
        return out
