"""Drift: a vessel moving sideways or stern-first at low speed, as defined by the DMA AisAbnormal drift rule.

Rule (Danish Maritime Authority, AisAbnormal ``DriftAnalysis``): a report is *drifting* when
``sog_min <= SOG <= sog_max`` (1-5 kn) and the course over ground differs from the true heading by more
than ``min_cog_heading_diff_deg`` (45 deg). An event is raised when every report of the last
``period_s`` (10 min) is drifting and the drifting run has covered more than ``min_distance_m``
(500 m) from its first report. We add one refinement: a difference of ``max_cog_heading_diff_deg``
(135 deg) or more is a vessel going astern (a reversal), not a drift, and does not count.

The event's ``start`` is the time the rule was first satisfied (as in AisAbnormal, whose events carry
the time they were raised); ``measured["drift_began"]`` is the first drifting report of the run.
The event stays open while the vessel keeps drifting, and closes when it has not drifted for
``close_after_s`` (2 min).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint, angle_diff, haversine_m, thin
from dkfi.maritime.records import Position


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    run: list[TrackPoint] = field(default_factory=list)      # TrackPoints of the current drifting run (bounded)
    run_start: TrackPoint | None = None
    run_n: int = 0
    diffs_sum: float = 0.0
    sog_sum: float = 0.0
    event: Event | None = None
    last_drift_ts: float = 0.0
    last_emit_ts: float = 0.0


class DriftDetector(Detector):
    """DMA AisAbnormal drift rule (see module docstring). Thresholds:

    * ``sog_min`` / ``sog_max`` (1.0 / 5.0 kn): speed band of a drifting report.
    * ``min_cog_heading_diff_deg`` (45): COG-heading difference must exceed this.
    * ``max_cog_heading_diff_deg`` (135): ... and stay below this (larger = going astern).
    * ``period_s`` (600): every report over this period must be drifting.
    * ``min_distance_m`` (500): distance from the first drifting report of the run.
    * ``close_after_s`` (120): an open event closes after this long without a drifting report.
    * ``update_every_s`` (300): an open event is re-emitted (same key) at most this often.
    * ``skip_class_b`` (True) and ``skip_ship_types`` (fishing, towing, dredging, tugs; as AisAbnormal).
    """

    kind = "drift"
    every_report = False  # a rule over minutes: the engine samples reports (base module doc)
    sog_min = 1.0
    sog_max = 5.0
    min_cog_heading_diff_deg = 45.0
    max_cog_heading_diff_deg = 135.0
    period_s = 600.0
    min_distance_m = 500.0
    close_after_s = 120.0
    update_every_s = 300.0
    skip_class_b = True
    skip_ship_types: tuple[int, ...] = (30, 31, 32, 33, 52)
    max_points = 400

    def rule(self) -> str:
        return (f"SOG {self.sog_min:g}-{self.sog_max:g} kn and {self.min_cog_heading_diff_deg:g} < |COG - heading| < "
                f"{self.max_cog_heading_diff_deg:g} deg on every report for {self.period_s / 60:g} min over more "
                f"than {self.min_distance_m:g} m (DMA AisAbnormal drift rule)")

    def _drifting(self, p: Position) -> float | None:
        if p.sog is None or p.cog is None or p.heading is None or p.heading >= 360 or p.cog >= 360:
            return None
        if not (self.sog_min <= p.sog <= self.sog_max):
            return None
        d = angle_diff(p.cog, p.heading)
        if self.min_cog_heading_diff_deg < d < self.max_cog_heading_diff_deg:
            return d
        return None

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        if self.skip_class_b and p.station == "B":
            return ()
        state = self.state
        st = state.get(p.mmsi)
        if st is None:
            st = state[p.mmsi] = _State()
        else:
            state.move_to_end(p.mmsi)
        if p.ts <= st.last_ts:
            return ()
        st.last_ts = p.ts
        sog = p.sog
        if (sog is None or sog < self.sog_min or sog > self.sog_max) and st.event is None and st.run_start is None:
            return ()  # the common case: outside the drift speed band, no run or episode to close
        if self.skip_ship_types:
            s = ctx.static.get(p.mmsi)
            if s is not None and s.ship_type in self.skip_ship_types:
                return ()
        d = self._drifting(p)
        out: list[Event] = []
        # ``_drifting`` returns a difference only when SOG is known; ``sog is None`` is tested (on a drifting
        # report only) so that the type checker knows it too
        if d is None or sog is None:
            if st.event is not None and p.ts - st.last_drift_ts >= self.close_after_s:
                out.append(self._close(st))
            if st.event is None:
                st.run.clear()
                st.run_start = None
            return out
        tp = TrackPoint.of(p)
        start = st.run_start
        if start is None:
            start = st.run_start = tp
            st.run_n = 0
            st.diffs_sum = st.sog_sum = 0.0
        st.run.append(tp)
        if len(st.run) > self.max_points:
            st.run[:] = thin(st.run, self.max_points // 2)
        st.run_n += 1
        st.diffs_sum += d
        st.sog_sum += sog
        st.last_drift_ts = p.ts
        ev = st.event
        if ev is None:
            if p.ts - start.ts >= self.period_s:
                dist = haversine_m(start.lat, start.lon, p.lat, p.lon)
                if dist > self.min_distance_m:
                    ev = st.event = Event(self.kind, p.mmsi, p.ts, p.ts, self.rule(), {}, [])
                    out.append(self._emit(st, ev, start, p))
        elif p.ts - st.last_emit_ts >= self.update_every_s:
            out.append(self._emit(st, ev, start, p))
        return out

    def _measured(self, st: _State, s: TrackPoint, end: TrackPoint) -> dict:
        return {"drift_began": s.ts, "duration_min": round((end.ts - s.ts) / 60.0, 1),
                "distance_m": round(haversine_m(s.lat, s.lon, end.lat, end.lon), 1),
                "mean_sog_kn": round(st.sog_sum / max(1, st.run_n), 2),
                "mean_cog_heading_diff_deg": round(st.diffs_sum / max(1, st.run_n), 1),
                "reports": st.run_n}

    def _emit(self, st: _State, e: Event, start: TrackPoint, p: Position) -> Event:
        """Update the open event ``e`` (``st.event``) of the run that began at ``start`` (``st.run_start``)."""
        e.end = p.ts
        e.measured = self._measured(st, start, st.run[-1])
        e.evidence = thin(st.run, 200)
        st.last_emit_ts = p.ts
        return Event(e.kind, e.mmsi, e.start, e.end, e.rule, dict(e.measured), list(e.evidence), e.asset, "open")

    def _close(self, st: _State) -> Event:
        e, start = st.event, st.run_start
        # callers check that an event is open; an open event always has its run (both are reset together)
        assert e is not None and start is not None
        last = st.run[-1]
        ev = Event(e.kind, e.mmsi, e.start, last.ts, e.rule, self._measured(st, start, last), thin(st.run, 200),
                   e.asset, "closed")
        st.event = None
        st.run.clear()
        st.run_start = None
        return ev

    def expire(self, mmsi: int, st: _State, ctx: Context) -> list[Event]:
        return [self._close(st)] if st.event is not None else []
