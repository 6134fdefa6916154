"""Harder positives: anchor drags that do not look like the textbook case, moved by the anchor model.

Every drag here uses :mod:`dkfi.sim.anchor` (the bow held by the chain: heading off the course over ground,
speed surging as the anchor bites and breaks out, the hull set down-wind) and begins 0.5-4 km before a seabed
asset, after an hour of normal steaming (except for a ship first seen while dragging). Families: fast (7-8 kn)
and slow (2-3 kn) drags, drags that begin at night or just after a course change, a ship first heard while
already dragging, a ship drifting with its anchor dragging and its AIS status still "under way", a drag that
pauses (the anchor holds for a while) and resumes, and one with an AIS gap in the middle. Each scenario has a
ship at service speed nearby on a parallel track, which must raise nothing.
"""
from __future__ import annotations

import random
from datetime import datetime, timezone

from dkfi.sim.anchor import DragMotion, drifting_drag, under_way_drag
from dkfi.sim.library import (
    REGIONS, Built, Ids, Spec, Voyage, drag_truth, family, line_at_sea, place_track, start_time,
)
from dkfi.sim.scenarios import offset
from dkfi.watch.detectors.base import KNOT_MS


def _drag_leg(v: Voyage, m: DragMotion, seconds: float, t_off: float = 0.0, ais: bool = True,
              blend_from: float | None = None, blend_s: float = 180.0) -> None:
    """``seconds`` of the drag from ``t_off`` s into it; the first ``blend_s`` brought down from ``blend_from`` kn
    (the anchor biting: a big ship loses its way over a few minutes)."""
    def sog(t: float) -> float:
        g = m.ground(t + t_off)[0]
        if blend_from is not None and t < blend_s:
            return blend_from + (g - blend_from) * t / blend_s
        return g

    def cog(t: float) -> float:
        return m.ground(t + t_off)[1]

    def heading(t: float) -> float:
        h = m.heading(t + t_off)
        if blend_from is not None and t < blend_s:  # the bow swings off as the chain comes taut
            d = (h - m.course + 180.0) % 360.0 - 180.0
            return m.course + d * t / blend_s
        return h

    v.leg(seconds, sog, cog, heading=heading, ais=ais)


def _drag(rng: random.Random, spec: Spec, drag_kn: tuple[float, float], service_kn: tuple[float, float] = (10.5, 13.5),
          *, night: bool = False, turn: bool = False, first_seen: bool = False, pause: bool = False,
          gap: bool = False, drifting: bool = False) -> Built:
    ids = Ids(rng)
    region = rng.choice(list(REGIONS))
    kn = rng.uniform(*drag_kn)
    service = rng.uniform(*service_kn)
    hist_s = rng.uniform(60, 80) * 60
    drag_s = rng.uniform(60, 90) * 60
    lead = rng.uniform(500, 2000) if kn < 4 else rng.uniform(1000, 4000)
    steam_s = rng.uniform(4, 10) * 60 if turn else 0.0
    before = lead + service * KNOT_MS * (steam_s + (0 if turn else hist_s))
    after = kn * KNOT_MS * drag_s + 5000
    c0 = 0.0
    for _ in range(60):
        asset, lat, lon, course = place_track(rng, region, before_m=before, after_m=after)
        if not turn:
            break
        c0 = (course + rng.choice((1, -1)) * rng.uniform(30, 90)) % 360
        tlat, tlon = offset(lat, lon, course + 180, before)
        if line_at_sea(*offset(tlat, tlon, c0 + 180, service * KNOT_MS * hist_s), c0, service * KNOT_MS * hist_s):
            break
    else:
        raise RuntimeError("no track with a course change found")
    if night:  # the drag begins between 20:00 and 03:00 UTC (22:00-05:00 in Finland in winter)
        day = start_time(rng, hour=0.0)
        t0 = day + rng.uniform(20, 27) * 3600 - hist_s - steam_s
    else:
        t0 = start_time(rng)
    s_lat, s_lon = offset(lat, lon, course + 180, before)
    if turn:
        s_lat, s_lon = offset(s_lat, s_lon, c0 + 180, service * KNOT_MS * hist_s)
        v = Voyage(t0, s_lat, s_lon)
        v.steer(service, c0, hist_s)
        v.turn(service, c0, course, rate_deg_min=20)
        v.steer(service, course, steam_s)
    else:
        v = Voyage(t0, s_lat, s_lon)
        v.steer(service, course, hist_s, ais=not first_seen, speed_noise=0.02, rng=rng)
    extra: dict = {"drag_speed_kn": round(kn, 2), "service_speed_kn": round(service, 2), "asset": asset,
                   "region": region, "nav_status": 0, "first_seen_dragging": first_seen, "dark": []}
    if drifting:
        # engine stopped, anchor let go to hold her; in the rising wind it drags and she drifts down-wind
        wind_from = (course + 180) % 360
        v.change_speed(service, 0.4, course, 480)
        t_d0 = v.t
        m = drifting_drag(rng, wind_from, kn)
        _drag_leg(v, m, drag_s, blend_from=0.4, blend_s=240)
    else:
        m = under_way_drag(rng, course, kn)
        t_d0 = v.t
        if pause:
            first = rng.uniform(15, 25) * 60
            hold = rng.uniform(10, 20) * 60
            _drag_leg(v, m, first, blend_from=service)
            # the anchor holds: she is brought up, lying to it with the engine turning slowly, sheering
            v.leg(hold, lambda t: max(0.0, 0.4 - 0.3 * min(1.0, t / 120)), course,
                  heading=lambda t: m.heading(first + t))
            _drag_leg(v, m, drag_s - first, t_off=first + hold, blend_from=0.3, blend_s=120)
            extra["paused_s"] = round(hold, 1)
        elif gap:
            first = rng.uniform(15, 25) * 60
            dark = rng.uniform(10, 30) * 60
            _drag_leg(v, m, first, blend_from=service)
            t_dark = v.t
            _drag_leg(v, m, dark, t_off=first, ais=False)
            extra["dark"] = [[round(t_dark, 1), round(v.t, 1)]]
            _drag_leg(v, m, drag_s - first - dark, t_off=first + dark)
        else:
            _drag_leg(v, m, drag_s, blend_from=service)
    t_d1 = v.t
    v.hold(600, status=1)
    ship = ids.merchant(v, role="dragging", length=rng.choice([150.0, 180.0, 230.0]))
    extra.update(start_iso=datetime.fromtimestamp(t_d0, tz=timezone.utc).isoformat())
    truth = drag_truth(ship, t_d0, t_d1, **extra)
    # a ship at service speed on a parallel track 2-5 km off: crosses the same asset, must raise nothing
    ships = [ship]
    c_other, off, kn_other = (c0 if turn else course), rng.uniform(2000, 5000), rng.uniform(10.5, 13.5)
    dur = hist_s + steam_s + drag_s
    for side in rng.sample((90, -90), 2):
        p_lat, p_lon = offset(s_lat, s_lon, c_other + side, off)
        if line_at_sea(p_lat, p_lon, c_other, kn_other * KNOT_MS * dur):
            ov = Voyage(t0 + rng.uniform(-600, 600), p_lat, p_lon)
            ov.steer(kn_other, c_other, dur)
            ships.append(ids.merchant(ov, role="traffic"))
            break
    return Built(ships, [truth], note=f"{ship.name} drags at {kn:.1f} kn across {asset}",
                 place={"asset": asset, "region": region})


@family("drag-fast", "anchor_drag", "a drag at the top of the range: 7-8 kn from a service speed of 12.5-15 kn")
def drag_fast(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (7.0, 8.0), (12.5, 15.0))


@family("drag-slow", "anchor_drag", "a slow drag: 2-3 kn from 10-13 kn")
def drag_slow(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (2.0, 3.0), (10.0, 13.0))


@family("drag-night", "anchor_drag", "a drag at 4-7 kn that begins at night (20:00-03:00 UTC)")
def drag_night(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (4.0, 7.0), night=True)


@family("drag-after-turn", "anchor_drag", "a drag at 4-7 kn that begins 4-10 min after a course change of 30-90 deg")
def drag_after_turn(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (4.0, 7.0), turn=True)


@family("drag-first-seen", "anchor_drag", "a ship first heard while already dragging at 4-7 kn: no history of its "
        "own speed")
def drag_first_seen(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (4.0, 7.0), (11.0, 14.0), first_seen=True)


@family("drag-under-way-status", "anchor_drag", "engine stopped, anchor let go, the anchor drags in rising wind and "
        "the ship drifts down-wind at 1.5-3 kn head to wind, its AIS status still 'under way using engine'")
def drag_status(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (1.5, 3.0), drifting=True)


@family("drag-pause-resume", "anchor_drag", "a drag at 4-7 kn that stops for 10-20 min when the anchor holds, then "
        "resumes")
def drag_pause(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (4.0, 7.0), pause=True)


@family("drag-ais-gap", "anchor_drag", "a drag at 4-7 kn with the AIS silent for 10-30 min in the middle")
def drag_gap(rng: random.Random, spec: Spec) -> Built:
    return _drag(rng, spec, (4.0, 7.0), gap=True)
