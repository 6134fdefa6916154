"""Anchor drag over seabed infrastructure: the pattern of Eagle S (Estlink 2, Dec 2024), Yi Peng 3
(C-Lion1 / BCS East-West, Nov 2024) and Newnew Polar Bear (Balticconnector, Oct 2023).

What those cases share (domain.md section 1): a merchant ship at *reduced speed* -- roughly 5-8 kn
instead of its 10-14 kn service speed -- on a track that crosses one or more cables or pipelines, with
the speed dropping when the anchor bites, several different assets crossed on one voyage, and at times
a navigation status ("at anchor") that contradicts the motion. The industry anchor-drag rule (moving
with SOG >= 0.4 kn while reporting at anchor) is the same contradiction.

How it decides, per position report, incrementally (so an alert is out within minutes, long before
a 90-180 km drag is over):

1. Only merchant vessels: ship type 70-89 (cargo, tanker), or type unknown and not known to be small
   (length unknown or >= ``min_length_m``); class B transponders are skipped.
2. *Usual speed*: the highest 30-minute block median SOG over the previous ``lookback_s`` (3 h), leaving
   out the last ``recent_s`` (10 min); it needs ``min_history_s`` (20 min) of history and must be at least
   ``min_usual_sog_kn`` (8 kn). The highest block median, not the last hour's median, so that a drag
   that began half an hour before reaching a cable is still compared with the service speed.
   Incremental: SOG is sampled every ``sample_every_s`` (60 s); a sample joins its block once it is
   older than ``recent_s`` and a block's median is computed once, when the block is complete, so the
   usual speed is a max over at most 7 numbers. Whole blocks are dropped when they end before the
   look-back window, so the window is 3 h to 3.5 h long (the only difference from a sliding window).
3. *Reduced*: the median SOG of the last ``recent_window_s`` (5 min) lies within ``sog_min_kn`` ..
   ``sog_max_kn`` (1-8.5 kn) and is at most ``max_speed_ratio`` (0.7) of the usual speed.
   *Contradiction*: nav status 1 (at anchor) or 5 (moored) while SOG > ``contradiction_sog_kn`` (1 kn).
   Cheap exit (most reports): no run and no contradiction, and no usual speed >= 8 kn or SOG above
   ``sog_max_kn`` + 1 -- nothing else is computed. Class B and known non-merchant types never get state.
4. A *run* begins when a reduced (or contradicting) report lies within ``approach_m`` (5 km) of an
   asset line or its segment from the previous report crosses one, or -- for a reduced report -- its
   course line over the next ``lookahead_s`` (2 h at the present speed, at most ``lookahead_max_m``
   25 km) crosses one (``approaching_asset`` / ``approaching_eta_min`` in ``measured``): a ship that
   slows to drag speed 10-20 km before a cable would otherwise have dragged more than 10 km before it
   is noticed. Runs are not started within ``port_radius_m`` (8 km) of a port, since ships slow
   down for pilots and harbour approaches (the PortIndex in the Context). When the run has lasted ``min_hold_s`` (5 min) with at least
   ``min_reports`` (3) reports, an ``open`` event is emitted. From then on the event follows the vessel
   wherever it goes while it stays reduced (against the usual speed frozen when the event opened),
   collecting every asset crossed, the distance made good and the evidence; it is re-emitted with the
   same key at each new crossing and every ``update_every_s`` (10 min), and closes after
   ``end_after_s`` (15 min) without a reduced report.
5. ``measured``: median and usual SOG, speed ratio, distance_km, duration_min, ``crossings`` (asset,
   kind, time, place, SOG at the crossing and before it), ``assets_crossed`` (distinct, this episode),
   ``voyage_assets_crossed`` (distinct assets crossed at reduced speed by this vessel over
   ``voyage_s``, 24 h), nav-status contradictions, median COG-heading difference, and a ``score``:
   1 (reduced near an asset) + 1 if inside a corridor + 1 per distinct asset crossed + 1 for a
   nav-status contradiction + 0.5 if the median COG-heading difference exceeds ``yaw_deg`` (10 deg).
6. Signals beyond speed (docs/watch.md, "Signals beyond speed" and "Severity"): a ship with no usual speed of its
   own yet (first seen, perhaps already dragging) is compared with its type's typical service speed
   (:func:`typical_service_kn`), but reported only with the anchor's signature -- heading off the COG by more
   than ``yaw_deg`` or speed surging (at least ``surge_per_10min`` reversals of >= ``surge_kn`` per 10 min) -- after
   ``first_seen_hold_s`` (8 min); a ship whose heading departs from its COG, or that reports at anchor while
   moving at a drag speed, is reported after ``signature_hold_s`` (3 min). A nav-status contradiction needs two
   reports in a row (one is a GNSS glitch). At each emission the context is looked up (:mod:`dkfi.watch.context`:
   ships in line on the same track, an icebreaker, traffic slowing together, a search and rescue unit, a
   designated anchorage, a pilot boarding place, the ice season). ``measured["factors"]`` lists each signal with
   its points, ``severity_cap`` the highest severity they allow ("low" when the context explains the speed,
   "high" with only one independent signal) and ``severity_cap_reason`` why; the alert builder applies them.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from dkfi.watch.detectors.base import (
    keep_evidence,
    KNOT_MS, Context, Detector, Event, TrackPoint, angle_diff, haversine_m, thin,
)
from dkfi.maritime.records import Position
from dkfi.watch.context import Traffic, neighbours, places


# Typical service speed (kn) of merchant ships by length, for a ship with no speed history of its own: general
# cargo and bulk carriers of the Baltic trade 11-12 kn under 100 m, 12-13 kn to 150 m, tankers and bulk carriers
# above 13-14 kn (docs/watch.md, "Signals"); container ships are faster, so these are a lower bound.
TYPICAL_SERVICE_KN = ((100.0, 11.0), (150.0, 12.5), (float("inf"), 13.5))


def typical_service_kn(s) -> float | None:
    """The typical service speed of a merchant ship (type 70-89) of its length; None when type or length is
    unknown."""
    t = s.ship_type
    length = s.length
    if not t or not (70 <= t <= 89) or not length or length <= 0:
        return None
    for upto, kn in TYPICAL_SERVICE_KN:
        if length < upto:
            return kn
    return None


def _reversals(sogs: list[float], h: float) -> int:
    """How often the speed turned from rising to falling or back by at least ``h`` kn (a zig-zag filter): a ship
    slowing down or speeding up once turns no time, an anchor biting and breaking out many."""
    if len(sogs) < 3:
        return 0
    hi = lo = sogs[0]
    trend = 0  # 1 rising, -1 falling, 0 not yet known
    n = 0
    for v in sogs[1:]:
        if trend >= 0:
            if v > hi:
                hi = v
            elif hi - v >= h:
                n += trend == 1
                trend, lo = -1, v
                continue
        if trend <= 0:
            if v < lo:
                lo = v
            elif v - lo >= h:
                n += trend == -1
                trend, hi = 1, v
    return n


def _median(vals: Iterable[float]) -> float:
    s = sorted(vals)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    last: Position | None = None                    # the last Position
    # (ts, sog) samples of the last recent_s, not yet history
    pend: deque[tuple[float, float]] = field(default_factory=deque)
    sample_ts: float = -1e18                        # time of the last sample
    # (block id, median, first ts) of finished blocks
    blocks: deque[tuple[int, float, float]] = field(default_factory=deque)
    cur_id: int | None = None                       # the block being filled with aged samples
    cur: list[float] = field(default_factory=list)
    cur_first: float = 0.0
    usual: float | None = None
    # (ts, sog) of the last recent_window_s
    recent: deque[tuple[float, float]] = field(default_factory=deque)
    run_start: float | None = None
    run_last_ts: float = 0.0
    run_n: int = 0
    points: list[TrackPoint] = field(default_factory=list)
    sogs: list[float] = field(default_factory=list)
    yaws: list[float] = field(default_factory=list)
    crossings: list[dict[str, Any]] = field(default_factory=list)
    crossed: dict[str, float] = field(default_factory=dict)  # asset name -> first crossing ts (this episode)
    dist_m: float = 0.0
    contradictions: int = 0
    in_corridor: bool = False
    nearest: tuple[str, float] | None = None        # (asset name, distance m)
    ahead: tuple[str, float] | None = None          # (asset name, eta s) when the run began heading to it
    frozen_usual: float | None = None
    event: Event | None = None
    last_emit_ts: float = 0.0
    voyage: dict[str, float] = field(default_factory=dict)   # asset name -> last reduced crossing ts
    context: dict[str, Any] | None = None           # the sea around at the last emission (_context)
    usual_from: str = "own"                         # "own" history or the ship "type"'s typical speed
    first_ts: float = 0.0                           # first report of the vessel


class AnchorDragDetector(Detector):
    """Merchant ship at reduced speed crossing or running along seabed assets (see module docstring)."""

    kind = "anchor_drag"
    every_report = False  # a rule over minutes: the engine samples reports (base module doc)
    ship_types: tuple[int, int] = (70, 89)        # inclusive range of merchant ship types
    min_length_m = 60.0                            # unknown type: skip when known shorter than this
    lookback_s = 3 * 3600.0
    block_s = 1800.0
    recent_s = 600.0
    min_history_s = 1200.0
    min_usual_sog_kn = 8.0
    recent_window_s = 300.0
    sample_every_s = 60.0
    sog_min_kn = 1.0
    sog_max_kn = 8.5
    max_speed_ratio = 0.7
    contradiction_sog_kn = 1.0
    approach_m = 5000.0
    lookahead_s = 7200.0
    lookahead_max_m = 25_000.0
    port_radius_m = 8000.0
    min_hold_s = 300.0
    min_reports = 3
    run_grace_s = 180.0
    end_after_s = 900.0
    update_every_s = 600.0
    voyage_s = 24 * 3600.0
    yaw_deg = 10.0
    surge_kn = 0.5                  # a speed swing counts when it is at least this (or 10 % of the speed)
    surge_per_10min = 2.0           # surging: at least this many swings per 10 minutes (and 3 in all)
    signature_hold_s = 180.0
    first_seen_hold_s = 480.0
    context_radius_m = 10_000.0
    collective_ratio = 0.75
    max_points = 600

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.traffic = Traffic()

    def rule(self) -> str:
        return (f"merchant vessel at {self.sog_min_kn:g}-{self.sog_max_kn:g} kn and <= {self.max_speed_ratio:.0%} of its "
                f"usual speed (>= {self.min_usual_sog_kn:g} kn) within {self.approach_m / 1000:g} km of, crossing, or "
                f"on its course within {self.lookahead_s / 3600:g} h (<= {self.lookahead_max_m / 1000:g} km) of a "
                f"seabed asset for {self.min_hold_s / 60:g} min, or reporting at anchor/moored while moving "
                f"> {self.contradiction_sog_kn:g} kn; followed while it stays slow")

    # --- helpers ---------------------------------------------------------------------------
    def _eligible_static(self, s) -> bool:
        t = s.ship_type
        if t:
            return self.ship_types[0] <= t <= self.ship_types[1]
        return s.length is None or s.length <= 0 or s.length >= self.min_length_m

    def _eligible(self, p: Position, ctx: Context) -> bool:
        if p.station == "B":
            return False
        s = ctx.static.get(p.mmsi)
        return s is None or self._eligible_static(s)

    def _sample(self, st: _State, ts: float, sog: float) -> None:
        """Take a speed sample; samples older than ``recent_s`` go into 30-minute blocks whose medians are
        computed once, when the block is complete (the usual speed is then a max over <= 7 numbers)."""
        st.sample_ts = ts
        pend = st.pend
        pend.append((ts, sog))
        cutoff = ts - self.recent_s
        changed = False
        while pend[0][0] <= cutoff:
            t0, v = pend.popleft()
            bid = int(t0 // self.block_s)
            cid = st.cur_id
            if bid != cid:
                if cid is not None and len(st.cur) >= 3:  # (no block yet: cur is empty)
                    st.blocks.append((cid, _median(st.cur), st.cur_first))
                st.cur_id, st.cur, st.cur_first = bid, [], t0
            st.cur.append(v)
            changed = True
        if not changed:
            return
        # drop blocks that ended before the look-back window (whole blocks: the window is 3 h to 3.5 h)
        oldest = int((cutoff - self.lookback_s) // self.block_s)
        blocks = st.blocks
        while blocks and blocks[0][0] < oldest:
            blocks.popleft()
        first = blocks[0][2] if blocks else st.cur_first
        if cutoff - first < self.min_history_s:
            st.usual = None
            return
        best = max(b[1] for b in blocks) if blocks else None
        if len(st.cur) >= 3:
            m = _median(st.cur)
            best = m if best is None or m > best else best
        st.usual = best

    def _usual(self, st: _State, now: float) -> float | None:
        return st.usual

    # --- main ------------------------------------------------------------------------------
    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        sog = p.sog
        if sog is None or sog >= 102.2:
            return ()
        self.traffic.update(p)  # every vessel, for the context of an episode (watch/context.py)
        if p.station == "B":
            return ()
        mmsi = p.mmsi
        s = ctx.static.get(mmsi)
        if s is not None and not self._eligible_static(s):
            return ()
        state = self.state
        st = state.get(mmsi)
        if st is None:
            st = state[mmsi] = _State()
        else:
            state.move_to_end(mmsi)
        ts = p.ts
        if ts <= st.last_ts:
            return ()
        if not st.first_ts:
            st.first_ts = ts
        prev = st.last
        st.last = p
        st.last_ts = ts
        if prev is not None and ts - prev.ts > 2 * self.end_after_s:
            prev = None  # a long silence: do not join the two ends with a straight line
        # speed history
        if ts - st.sample_ts >= self.sample_every_s:
            self._sample(st, ts, sog)
        rec = st.recent
        rec.append((ts, sog))
        lim = ts - self.recent_window_s
        while rec[0][0] < lim:
            rec.popleft()

        # at anchor or moored, yet moving on two reports in a row (one report is a GNSS glitch, not a drag)
        contradiction = (p.nav_status in (1, 5) and sog > self.contradiction_sog_kn and prev is not None
                         and prev.sog is not None and prev.sog > self.contradiction_sog_kn)
        ev = st.event
        if ev is not None:
            usual = st.frozen_usual
        else:
            usual = st.usual
            st.usual_from = "own"
            if usual is None and s is not None and self.sog_min_kn <= sog <= self.sog_max_kn + 1.0 and (
                    st.run_start is not None or (
                        p.cog is not None and p.heading is not None and p.cog < 360 and p.heading < 360
                        and angle_diff(p.cog, p.heading) > self.yaw_deg)):
                # no history of its own yet (first seen, perhaps already dragging): its type's service speed, for a
                # ship whose heading is off its course (the anchor's signature; a slow steamer's is not)
                usual = typical_service_kn(s)
                if usual is not None:
                    st.usual_from = "type"
        if st.run_start is None and not contradiction and (
                usual is None or usual < self.min_usual_sog_kn or sog > self.sog_max_kn + 1.0):
            # cheap exit: no episode, and it cannot be reduced (no usual speed, or fast now)
            return ()

        if len(rec) > 1:
            vals = sorted([v for _, v in rec])
            n = len(vals)
            recent_sog = vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])
        else:
            recent_sog = sog
        reduced = (usual is not None and usual >= self.min_usual_sog_kn
                   and self.sog_min_kn <= recent_sog <= self.sog_max_kn
                   and recent_sog <= self.max_speed_ratio * usual)
        candidate = reduced or contradiction
        out: list[Event] = []

        if ev is None:
            if not candidate:
                if st.run_start is not None and ts - st.run_last_ts > self.run_grace_s:
                    self._reset(st)
                return ()
            assets = ctx.assets
            if assets is None:
                return ()
            ports = ctx.ports
            if ports is not None and ports.near_port(p.lat, p.lon, self.port_radius_m) is not None:
                if st.run_start is not None:
                    self._reset(st)
                return ()
            near = assets.near(p.lat, p.lon, within_m=self.approach_m)
            crossed = assets.crossing_points(prev, p) if prev is not None else []
            if not near and not crossed and st.run_start is None:
                ahead = self._ahead(p, recent_sog, assets) if reduced else None
                if ahead is None:
                    return ()
                st.ahead = ahead
            if st.run_start is None:
                st.run_start = ts
                st.run_n = 0
            self._add(st, p, TrackPoint.of(p), prev, near, crossed, usual, recent_sog, contradiction)
            at_drag_speed = contradiction and recent_sog <= self.sog_max_kn  # not a status left unchanged at sea
            if ts - st.run_start >= self._hold(st, at_drag_speed) and st.run_n >= self.min_reports:
                st.frozen_usual = usual
                ev = st.event = Event(self.kind, mmsi, st.run_start, ts, self.rule(), {}, [])
                out.append(self._emit(st, ev, ts, ctx))
            return out

        # an open episode
        if candidate:
            assets = ctx.assets
            near = assets.near(p.lat, p.lon, within_m=self.approach_m) if assets is not None else []
            crossed = assets.crossing_points(prev, p) if (assets is not None and prev is not None) else []
            new_cross = self._add(st, p, TrackPoint.of(p), prev, near, crossed, usual, recent_sog, contradiction)
            if new_cross or ts - st.last_emit_ts >= self.update_every_s:
                out.append(self._emit(st, ev, ts, ctx))
        elif ts - st.run_last_ts >= self.end_after_s:
            out.append(self._close(st, ev))
        return out

    def _hold(self, st: _State, contradiction: bool) -> float:
        """How long a run must last before it is reported (inf: not yet). A ship compared with its type's typical
        speed (no history of its own) needs the anchor's signature too and ``first_seen_hold_s``; a ship whose
        heading departs from its course, or that reports at anchor while moving at a drag speed, ``signature_hold_s``; else
        ``min_hold_s``."""
        sig = contradiction or self._yawing(st)
        if st.usual_from == "type":
            return self.first_seen_hold_s if (sig or self._surging(st)) else math.inf
        return self.signature_hold_s if sig else self.min_hold_s

    def _yawing(self, st: _State) -> bool:
        return len(st.yaws) >= 3 and _median(st.yaws) > self.yaw_deg

    def _surge_rate(self, st: _State) -> tuple[int, float]:
        """(speed reversals in the episode, per 10 minutes)."""
        if len(st.sogs) < 5 or st.run_start is None:
            return 0, 0.0
        med = _median(st.sogs)
        n = _reversals(st.sogs, max(self.surge_kn, 0.1 * med))
        minutes = max(10.0, (st.run_last_ts - st.run_start) / 60.0)
        return n, 10.0 * n / minutes

    def _surging(self, st: _State) -> bool:
        n, rate = self._surge_rate(st)
        return n >= 3 and rate >= self.surge_per_10min

    def forget(self, mmsis: set[int]) -> None:
        super().forget(mmsis)
        self.traffic.forget(mmsis)

    def sweep(self, now: float, ctx: Context) -> Iterable[Event]:
        out = super().sweep(now, ctx)
        self.traffic.prune(now - self.idle_s)
        return out

    def _ahead(self, p: Position, sog_kn: float, assets) -> tuple[str, float] | None:
        """The first asset on the vessel's course within ``lookahead_s`` at ``sog_kn`` (and
        ``lookahead_max_m``), as (name, eta s); None when there is none or no valid course."""
        cog = p.cog
        if cog is None or cog >= 360 or sog_kn <= 0:
            return None
        dist = min(self.lookahead_max_m, sog_kn * KNOT_MS * self.lookahead_s)
        b = math.radians(cog)
        lat2 = p.lat + dist * math.cos(b) / 111_195.0
        lon2 = p.lon + dist * math.sin(b) / (111_195.0 * max(0.05, math.cos(math.radians(p.lat))))
        got = assets.crossing_points(p, (lat2, lon2))
        if not got:
            return None
        a, frac = got[0]
        return a.name, frac * dist / (sog_kn * KNOT_MS)

    def _reset(self, st: _State) -> None:
        st.run_start = None
        st.run_n = 0
        st.points = []
        st.sogs = []
        st.yaws = []
        st.crossings = []
        st.crossed = {}
        st.dist_m = 0.0
        st.contradictions = 0
        st.in_corridor = False
        st.nearest = None
        st.ahead = None
        st.frozen_usual = None
        st.event = None
        st.context = None

    def _add(self, st, p, tp, prev, near, crossed, usual, recent_sog, contradiction) -> bool:
        st.run_n += 1
        st.run_last_ts = p.ts
        keep_evidence(st, tp, p.sog, self.max_points)
        if p.cog is not None and p.cog < 360 and p.heading is not None and p.heading < 360 and p.sog >= 1.0:
            st.yaws.append(angle_diff(p.cog, p.heading))
            if len(st.yaws) > self.max_points:
                st.yaws = st.yaws[::2]
        if prev is not None and st.run_n > 1:
            st.dist_m += haversine_m(prev.lat, prev.lon, p.lat, p.lon)
        if contradiction:
            st.contradictions += 1
        if near:
            a, d = near[0]
            if st.nearest is None or d < st.nearest[1]:
                st.nearest = (a.name, d)
            if any(d <= a.corridor_m for a, d in near):
                st.in_corridor = True
        new = False
        for a, frac in crossed:
            lat = prev.lat + frac * (p.lat - prev.lat)
            lon = prev.lon + frac * (p.lon - prev.lon)
            ts = prev.ts + frac * (p.ts - prev.ts)
            st.crossings.append({"asset": a.name, "kind": a.kind, "ts": round(ts, 3), "lat": round(lat, 5),
                                 "lon": round(lon, 5), "sog_kn": p.sog, "sog_before_kn": round(recent_sog, 2),
                                 "usual_sog_kn": None if usual is None else round(usual, 2)})
            if len(st.crossings) > 100:
                st.crossings = st.crossings[-100:]
            if a.name not in st.crossed:
                st.crossed[a.name] = ts
                new = True
            st.voyage[a.name] = ts
        if st.voyage:
            cutoff = p.ts - self.voyage_s
            for k in [k for k, v in st.voyage.items() if v < cutoff]:
                del st.voyage[k]
        return new

    def _measured(self, st: _State, start: float, end_ts: float) -> dict:
        """``start`` is the run's start (``st.run_start``, the open event's ``start``)."""
        yaw = _median(st.yaws) if st.yaws else None
        med = _median(st.sogs) if st.sogs else None
        usual = st.frozen_usual
        score = 1.0 + (1.0 if st.in_corridor else 0.0) + len(st.crossed) + (1.0 if st.contradictions else 0.0) + (
            0.5 if yaw is not None and yaw > self.yaw_deg else 0.0)
        reversals, rate = self._surge_rate(st)
        out = {
            "median_sog_kn": None if med is None else round(med, 2),
            "usual_sog_kn": None if usual is None else round(usual, 2),
            "usual_from": st.usual_from,
            "speed_ratio": None if (usual is None or med is None or usual <= 0) else round(med / usual, 2),
            "distance_km": round(st.dist_m / 1000.0, 2),
            "duration_min": round((end_ts - start) / 60.0, 1),
            "crossings": list(st.crossings),
            "assets_crossed": sorted(st.crossed, key=st.crossed.__getitem__),  # names, in crossing order
            "voyage_assets_crossed": sorted(st.voyage, key=st.voyage.__getitem__),
            "in_corridor": st.in_corridor,
            "nearest_asset": None if st.nearest is None else st.nearest[0],
            "nearest_asset_m": None if st.nearest is None else round(st.nearest[1], 1),
            "nav_status_contradictions": st.contradictions,
            "cog_heading_diff_deg": None if yaw is None else round(yaw, 1),
            "speed_reversals": reversals,
            "speed_reversals_per_10min": round(rate, 1),
            "approaching_asset": None if st.ahead is None else st.ahead[0],
            "approaching_eta_min": None if st.ahead is None else round(st.ahead[1] / 60.0, 1),
            "score": score,
        }
        out.update(self._factors(st, med, usual, yaw))
        return out

    def _context(self, st: _State, ctx: Context) -> None:
        """What the sea around says (watch/context.py), looked up when the event is emitted, kept for its close."""
        p = st.last
        if p is None:
            return
        nb = neighbours(self.traffic, p, ctx.static, radius_m=self.context_radius_m)
        slow = known = 0
        top = self.traffic.top_speed
        for q, _ in self.traffic.around(p.lat, p.lon, self.context_radius_m, p.ts - 600.0, p.ts + 60.0,
                                        exclude=p.mmsi):
            # every kind of ship that was making way lately: merchant ships, ferries, tugs
            u = top(q.mmsi)
            if u < self.min_usual_sog_kn or q.sog is None:
                continue
            known += 1
            if q.sog <= self.collective_ratio * u:
                slow += 1
        pl = places()
        new = {"neighbours": nb, "slow": slow, "known": known, "anchorage": pl.anchorage(p.lat, p.lon),
               "pilot": pl.pilot_station(p.lat, p.lon), "ice": pl.ice_season(p.lat, p.lon, p.ts),
               "first_seen_min": (p.ts - st.first_ts) / 60.0 if st.context is None else st.context["first_seen_min"]}
        old = st.context
        if old is not None:
            # the ships around that explained the speed once in this episode still do (a convoy is a convoy, a
            # search unit may fall silent); a place explains it only while the ship is there
            for k in ("in_line", "sar", "icebreaker"):
                nb[k] = nb[k] or old["neighbours"][k]
            if old["slow"] > slow:
                new["slow"], new["known"] = old["slow"], old["known"]
        st.context = new

    def _factors(self, st: _State, med: float | None, usual: float | None, yaw: float | None) -> dict:
        """Each signal as a factor with points (positive: points to a drag; negative: explains the speed
        otherwise), and the highest severity the signals allow (docs/watch.md, "Severity")."""
        f: list[list] = []
        signals: list[str] = []
        reduced = med is not None and usual is not None and med <= self.max_speed_ratio * usual
        if reduced and usual is not None and med is not None:
            if st.usual_from == "own":
                f.append([f"speed {med:.1f} kn, {med / usual:.0%} of its own usual {usual:.1f} kn", 10])
            else:
                mins = (st.context or {}).get("first_seen_min", 0.0)
                f.append([f"speed {med:.1f} kn against {usual:.1f} kn typical of its type and length "
                          f"(first seen {mins:.0f} min before: no speed history of its own)", 5])
            signals.append("speed")
        if yaw is not None and len(st.yaws) >= 3 and yaw > self.yaw_deg:
            f.append([f"heading {yaw:.0f}° off its course over ground (median), as when the chain holds the bow", 15])
            signals.append("heading")
        if self._surging(st):
            n, rate = self._surge_rate(st)
            f.append([f"speed surging and falling back {n} times ({rate:.0f} per 10 min), as when an anchor bites "
                      f"and breaks out", 10])
            signals.append("surging")
        if st.contradictions:
            f.append(["reports at anchor or moored while moving", 15])
            signals.append("nav status")
        why: list[str] = []
        c = st.context or {}
        nb = c.get("neighbours") or {}
        line = nb.get("in_line")
        if line is not None:
            name, d, where, ib = line
            if ib:
                f.append([f"following icebreaker {name}, {d / 1000:.1f} km {where} on the same track", -25])
            else:
                f.append([f"in line with {name}, {d / 1000:.1f} km {where} on the same track at the same speed "
                          f"(a convoy or an ice channel)", -20])
            why.append("in line with another ship")
        elif nb.get("icebreaker") is not None:
            name, d = nb["icebreaker"]
            f.append([f"icebreaker {name} {d / 1000:.1f} km away", -10])
        if c.get("slow", 0) >= 1 and 2 * c["slow"] >= c.get("known", 0):
            f.append([f"{c['slow']} of {c['known']} ships within {self.context_radius_m / 1000:g} km slow "
                      f"too (the sea, not the ship)", -20])
            why.append("traffic slowing together")
        if nb.get("sar") is not None:
            name, d = nb["sar"]
            f.append([f"search and rescue unit {name} {d / 1000:.1f} km away (a search under way)", -20])
            why.append("a search under way")
        if c.get("anchorage") is not None:
            name, d = c["anchorage"]
            f.append([f"in designated anchorage {name}" if d <= 0 else
                      f"{d / 1000:.1f} km from designated anchorage {name}", -20])
            why.append("at an anchorage")
        if c.get("pilot") is not None:
            name, d = c["pilot"]
            f.append([f"at pilot boarding place {name} ({d / 1000:.1f} km)", -15])
            why.append("at a pilot boarding place")
        if c.get("ice"):
            f.append([f"ice season in the {c['ice']}", -5])
        cap, reason = None, None
        if why:
            cap, reason = "low", "; ".join(why)
        elif len(signals) < 2:
            cap, reason = "high", f"one independent signal only ({', '.join(signals) or 'none'})"
        return {"factors": f, "signals": signals, "severity_cap": cap, "severity_cap_reason": reason}

    def _asset_name(self, st: _State) -> str | None:
        if st.crossed:
            return next(iter(st.crossed))
        if st.nearest is not None:
            return st.nearest[0]
        return None if st.ahead is None else st.ahead[0]

    def _emit(self, st: _State, e: Event, now: float, ctx: Context) -> Event:
        """Re-emit the open event ``e`` (``st.event``)."""
        self._context(st, ctx)
        e.end = st.run_last_ts
        st.last_emit_ts = now
        return Event(e.kind, e.mmsi, e.start, st.run_last_ts, e.rule, self._measured(st, e.start, st.run_last_ts),
                     thin(st.points, 200), self._asset_name(st), "open")

    def _close(self, st: _State, e: Event) -> Event:
        """Close the open event ``e`` (``st.event``) and reset the run."""
        ev = Event(e.kind, e.mmsi, e.start, st.run_last_ts, e.rule, self._measured(st, e.start, st.run_last_ts),
                   thin(st.points, 200), self._asset_name(st), "closed")
        self._reset(st)
        return ev

    def expire(self, mmsi: int, st: _State, ctx: Context) -> list[Event]:
        e = st.event
        return [self._close(st, e)] if e is not None else []
