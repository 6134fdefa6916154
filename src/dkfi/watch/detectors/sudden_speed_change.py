"""Sudden speed change: a vessel going from cruising to (almost) stopped within a minute, away from ports.

Published anchor: DMA AisAbnormal ``SuddenSpeedChangeAnalysis`` -- SOG from above 7 kn to below 1 kn
in less than 30 s, staying below 1 kn for at least 1 min before the event is raised (to avoid false
positives); meant to catch groundings and collisions. An anchor catching a cable or the seabed stops a
ship the same way. Thresholds (class attributes):

* ``high_sog_kn`` (7): the last report at or above this speed is the "before" point;
* ``low_sog_kn`` (1): the first report at or below this speed is the "after" point;
* ``max_drop_s`` (60): the drop must happen within this time (AisAbnormal uses 30 s; DMA-network
  class A reports at 10 s intervals and satellite data are sparser, so 60 s by default);
* ``sustain_s`` (60): every report for this long after the drop must stay at or below ``low_sog_kn``;
* ``port_radius_m`` (3 km): drops within this distance of a port (``ctx.ports``) are ignored;
* class B transponders and fishing/towing/tug/pilot/SAR/pleasure/high-speed craft types are skipped.

The event (start = before point, end = after point) is ``closed`` at once; the nearest asset within
``asset_radius_m`` (5 km) is named when the Context has an asset index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint, haversine_m
from dkfi.maritime.records import Position


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    high: TrackPoint | None = None      # last report at or above high_sog_kn
    low: TrackPoint | None = None       # first report at or below low_sog_kn after the drop
    low_max: float = 0.0


class SuddenSpeedChangeDetector(Detector):
    """From > 7 kn to < 1 kn within 60 s, held for 60 s, away from ports (see module docstring)."""

    kind = "sudden_speed_change"
    high_sog_kn = 7.0
    low_sog_kn = 1.0
    max_drop_s = 60.0
    sustain_s = 60.0
    port_radius_m = 3000.0
    asset_radius_m = 5000.0
    skip_ship_types: tuple[int, ...] = (30, 31, 32, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
                                        52, 53, 55)

    def rule(self) -> str:
        return (f"SOG from >= {self.high_sog_kn:g} kn to <= {self.low_sog_kn:g} kn within {self.max_drop_s:g} s, "
                f"held for {self.sustain_s:g} s, more than {self.port_radius_m / 1000:g} km from a port "
                f"(DMA AisAbnormal sudden speed change)")

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        sog = p.sog
        if sog is None or sog >= 102.2 or p.station == "B":
            return ()
        st: _State = self.vessel(p.mmsi, _State)
        if p.ts <= st.last_ts:
            return ()
        st.last_ts = p.ts
        if sog >= self.high_sog_kn:
            st.high = TrackPoint.of(p)
            st.low = None
            return ()
        if sog > self.low_sog_kn:
            st.low = None
            return ()
        low = st.low
        if low is None:
            if st.high is None or p.ts - st.high.ts > self.max_drop_s:
                return ()
            st.low = TrackPoint.of(p)
            st.low_max = sog
            return ()
        st.low_max = max(st.low_max, sog)
        if p.ts - low.ts < self.sustain_s:
            return ()
        high = st.high
        st.high = st.low = None
        assert high is not None  # ``low`` is only set after a ``high`` and both are cleared together
        s = ctx.static.get(p.mmsi)
        if s is not None and s.ship_type in self.skip_ship_types:
            return ()
        port = None
        if ctx.ports is not None:
            port = ctx.ports.nearest(low.lat, low.lon, self.port_radius_m)
            if port is not None:
                return ()
        asset, asset_m = None, None
        if ctx.assets is not None:
            near = ctx.assets.near(low.lat, low.lon, within_m=self.asset_radius_m)
            if near:
                asset, asset_m = near[0][0].name, round(near[0][1], 1)
        m = {"sog_before_kn": high.sog, "sog_after_kn": low.sog, "max_sog_after_kn": st.low_max,
             "drop_s": round(low.ts - high.ts, 1), "sustained_s": round(p.ts - low.ts, 1),
             "distance_m": round(haversine_m(high.lat, high.lon, low.lat, low.lon), 1),
             "asset_distance_m": asset_m}
        return [Event(self.kind, p.mmsi, high.ts, low.ts, self.rule(), m, [high, low, TrackPoint.of(p)], asset,
                      "closed")]
