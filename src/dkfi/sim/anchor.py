"""An anchor model: how a ship whose anchor drags along the seabed moves, from seamanship, not from a detector.

The anchor and its chain hold the *bow*. Whatever else moves the ship (its engine, the wind, the sea) acts on
the whole hull, so the ship pivots about the point where the chain leaves the hawse pipe (docs/watch.md,
"Anchor model", cites the literature):

* **Under way with the anchor dragging** (Eagle S, Yi Peng 3: engine ahead, anchor down unnoticed or let go):
  the chain drags the bow back; the ship makes 30-60 % of its service speed. The pull acts off the ship's
  centre line as soon as the chain leads to one side, so the bow is pulled off course and the helmsman or
  autopilot keeps correcting: the heading departs from the course over ground by a mean offset (the bow held
  up-wind, the stern falling off down-wind) with a slow sheer around it (period of minutes). The anchor bites
  and breaks out again (stick-slip over ridges, boulders and clay), so the speed oscillates; when it bites hard
  the ship nearly stops for a minute. The wind sets the hull down-wind while the bow is held: the ship *crabs*,
  its ground track drifting down-wind of the course it steers.
* **Drifting with the anchor dragging** (a ship at anchor in a storm, Newnew Polar Bear's case; engine stopped):
  the ship lies head to wind, held by the bow, and is blown down-wind stern first or broadside at 1-3 kn; the
  heading is near the wind's direction and the course over ground near the opposite one, with a sheer of tens of
  degrees each side (a ship "sailing" at anchor) and speed surging with each sheer.

Each function returns a callable of time (seconds since the drag began) so the voyage integrator
(``library.Voyage``) can sample it every few seconds. All parameters come from the scenario's random source.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass


def _wrap(a: float) -> float:
    return a % 360.0


@dataclass
class DragMotion:
    """Parameters of one drag (drawn per scenario by :func:`under_way_drag` or :func:`drifting_drag`)."""

    course: float            # the course the ship steers (deg true)
    mean_kn: float           # mean speed made good through the drag
    wind_from: float         # where the wind comes from (deg true)
    set_kn: float            # down-wind set of the hull (kn): the crab
    yaw_mean: float          # mean heading offset from the steered course (deg, signed)
    sheer_amp: float         # amplitude of the sheer about it (deg)
    sheer_period_s: float
    surge_amp: float         # speed oscillation, a share of the mean speed
    surge_period_s: float
    phase: float
    bites: list[tuple[float, float]]  # (start s, length s) when the anchor bites hard
    drifting: bool = False

    def speed(self, t: float) -> float:
        """Speed through the water along the steered course (kn) at ``t`` s into the drag."""
        v = self.mean_kn * (1.0 + self.surge_amp * math.sin(2 * math.pi * t / self.surge_period_s + self.phase)
                            + 0.5 * self.surge_amp * math.sin(2 * math.pi * t / (0.37 * self.surge_period_s)))
        for b0, bl in self.bites:
            if b0 <= t < b0 + bl:  # a hard bite: the ship is brought up short, then breaks out
                v *= 0.25 + 0.75 * abs(2 * (t - b0) / bl - 1.0)
        return max(0.0, v)

    def ground(self, t: float) -> tuple[float, float]:
        """(SOG kn, COG deg): the steered motion plus the down-wind set."""
        v = self.speed(t)
        c = math.radians(self.course)
        dw = math.radians(self.wind_from + 180.0)
        vx = v * math.sin(c) + self.set_kn * math.sin(dw)
        vy = v * math.cos(c) + self.set_kn * math.cos(dw)
        return math.hypot(vx, vy), _wrap(math.degrees(math.atan2(vx, vy)))

    def heading(self, t: float) -> float:
        """The ship's heading: the bow held by the chain, sheering about a mean offset."""
        sheer = self.sheer_amp * math.sin(2 * math.pi * t / self.sheer_period_s + 0.7 * self.phase)
        if self.drifting:
            return _wrap(self.wind_from + sheer)  # head to wind, blown down-wind
        return _wrap(self.course + self.yaw_mean + sheer)


def under_way_drag(rng: random.Random, course: float, mean_kn: float, wind_from: float | None = None) -> DragMotion:
    """A ship under way dragging its anchor (engine ahead)."""
    wind = rng.uniform(0, 360) if wind_from is None else wind_from
    # the stern falls off down-wind, so the bow points up-wind of the course: the sign of the offset follows
    # the side the wind comes from
    side = 1.0 if math.sin(math.radians(wind - course)) >= 0 else -1.0
    bites = []
    t = rng.uniform(120, 600)
    while t < 6 * 3600:
        bites.append((t, rng.uniform(40, 120)))
        t += rng.uniform(500, 1500)
    return DragMotion(course=course, mean_kn=mean_kn, wind_from=wind, set_kn=rng.uniform(0.3, 1.0),
                      yaw_mean=side * rng.uniform(12, 30), sheer_amp=rng.uniform(5, 15),
                      sheer_period_s=rng.uniform(150, 420), surge_amp=rng.uniform(0.12, 0.25),
                      surge_period_s=rng.uniform(90, 300), phase=rng.uniform(0, 2 * math.pi), bites=bites)


def drifting_drag(rng: random.Random, wind_from: float, mean_kn: float) -> DragMotion:
    """A ship blown down-wind with its anchor dragging (engine stopped, head to wind)."""
    return DragMotion(course=_wrap(wind_from + 180.0), mean_kn=mean_kn, wind_from=wind_from, set_kn=0.0,
                      yaw_mean=0.0, sheer_amp=rng.uniform(20, 40), sheer_period_s=rng.uniform(180, 480),
                      surge_amp=rng.uniform(0.2, 0.35), surge_period_s=rng.uniform(180, 480),
                      phase=rng.uniform(0, 2 * math.pi), bites=[], drifting=True)


def swinging_at_anchor(rng: random.Random, wind_from: float, radius_m: float):
    """A ship riding at anchor: swinging on a circle of ``radius_m`` (chain + ship length) about the anchor as
    the wind veers and backs; returns f(t) -> (bearing from the anchor deg, heading deg)."""
    period = rng.uniform(600, 1800)
    amp = rng.uniform(15, 50)
    veer = rng.uniform(-10, 10) / 3600.0  # slow veer of the wind, deg per second
    phase = rng.uniform(0, 2 * math.pi)

    def at(t: float) -> tuple[float, float]:
        wind = wind_from + veer * t + amp * math.sin(2 * math.pi * t / period + phase)
        return _wrap(wind + 180.0), _wrap(wind)  # lies down-wind of the anchor, bow to the wind

    _ = radius_m
    return at
