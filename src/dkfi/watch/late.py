"""Late data (satellite AIS, a receiver's backlog) revises or withdraws the events it contradicts.

Live feeds deliver mostly in time order, but a report can arrive minutes or hours after newer ones. The
detectors only look forward, so a late report is not simply fed to them: :class:`Reviser` keeps each
vessel's recent track, puts the late report in its place, and re-runs that vessel's detectors over the
track. Events that the corrected track still produces are re-emitted (revised); events of that vessel in
the window that it no longer produces are withdrawn (an AIS gap that late reports filled, for instance).
Reports older than the kept window are stored by the picture but cannot revise detection. Reports late
by less than ``tolerance_s`` (60 s: the jitter between terrestrial receivers' clocks) go to the detectors
as they are, which skip what is not newer than what they have seen: re-running a track for every such
report would cost more than it could change.
"""
from __future__ import annotations

import bisect
from collections import deque
from dataclasses import replace

from dkfi.watch.alerts import Alert
from dkfi.maritime.records import Position, Static

# Detectors that follow one vessel at a time can be re-run for it alone; an encounter needs both vessels.
CROSS_VESSEL = frozenset({"encounter"})


class Reviser:
    """Wraps a :class:`dkfi.watch.service.WatchRunner` for live feeds."""

    def __init__(self, runner, window_s: float = 2 * 3600.0, max_points: int = 256, tolerance_s: float = 60.0) -> None:
        self.runner = runner
        self.window_s = window_s
        self.max_points = max_points
        self.tolerance_s = tolerance_s
        self.tracks: dict[int, deque] = {}
        self.revised = 0        # late reports that revised a vessel's events
        self.too_late = 0       # late reports older than the kept window
        self.withdrawn = 0      # events withdrawn by late data
        self.withdrawn_alerts: list[str] = []  # keys of alerts left with no event: the caller withdraws them

    def process(self, record: Position | Static) -> list[Alert]:
        if type(record) is not Position:
            return self.runner.process(record)
        track = self.tracks.get(record.mmsi)
        if track is None:
            track = self.tracks[record.mmsi] = deque(maxlen=self.max_points)
        elif track and record.ts < track[-1].ts - self.tolerance_s:
            return self._revise(record, track)
        track.append(record)
        horizon = record.ts - self.window_s
        while track and track[0].ts < horizon:
            track.popleft()
        return self.runner.process(record)

    def _revise(self, late: Position, track: deque) -> list[Alert]:
        if late.ts < track[0].ts:
            self.too_late += 1
            return []
        points = list(track)
        i = bisect.bisect_right([p.ts for p in points], late.ts)
        if i > 0 and points[i - 1].ts == late.ts and points[i - 1].lat == late.lat and points[i - 1].lon == late.lon:
            return []  # the same report again
        points.insert(i, late)
        track.clear()
        track.extend(points)
        self.revised += 1
        runner = self.runner
        engine, ctx, mmsi = runner.engine, runner.ctx, late.mmsi
        window_start = points[0].ts
        detectors = [d for d in engine.detectors if d.kind not in CROSS_VESSEL]
        kinds = {d.kind for d in detectors}
        before = {k: e for k, e in engine.events.items()
                  if e.mmsi == mmsi and e.kind in kinds and e.start >= window_start and e.status != "withdrawn"}
        for d in detectors:
            d.forget({mmsi})
        # the same sample gate as the engine's, started afresh for this vessel as its detectors are
        engine.forget({mmsi})
        every = [d for d in detectors if d.every_report or engine.sample_s <= 0.0]
        produced = {}
        for p in points:
            for d in (detectors if engine.sample_gate(p) else every):
                for e in d.update(p, ctx):
                    produced[e.key] = e
        changed: dict[str, Alert] = {}
        for key, e in produced.items():
            engine.events[key] = e
            a = runner.builder.add(e)
            if a is not None:
                changed[a.key] = a
        for key, e in before.items():
            if key not in produced:
                gone = replace(e, status="withdrawn")
                engine.events[key] = gone
                self.withdrawn += 1
                alert_key = runner.builder.alert_key_of(key)
                a = runner.builder.add(gone)
                if a is not None:
                    changed[a.key] = a
                elif alert_key is not None:
                    changed.pop(alert_key, None)
                    self.withdrawn_alerts.append(alert_key)
        return list(changed.values())
