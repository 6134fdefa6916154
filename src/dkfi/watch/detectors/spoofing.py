"""Spoofing and identity-manipulation signs in the positions of one MMSI.

One detector, four checks; every event has kind ``spoofing`` and names its check in ``measured["check"]``:

* ``implied_speed`` -- two consecutive positions further apart than a ship can sail in the time between
  them: more than ``max_speed_kn`` (60 kn) over more than ``min_jump_m`` (1 km). The distance floor lets
  GPS jitter and duplicated reports (same second, a few metres apart) pass. Successive jumps of one MMSI
  within ``episode_s`` extend one episode.
* ``two_places`` -- one MMSI in two places at once (two transmitters sharing an MMSI, or a spoofer
  replaying it): positions alternate between two tracks too far apart to be one ship. The detector keeps
  up to two tracks per MMSI; each position joins the track it can reach at a plausible speed. When both
  tracks have ``min_track_reports`` reports and both are alive (each updated within ``track_alive_s`` of
  the other) it fires, with the latest position of each track in the evidence. (Windward "ID
  manipulation"; MarineTraffic flags the same as "position jumps".)
* ``invalid_mmsi`` -- the MMSI cannot belong to a ship station (ITU-R M.585): not 9 digits, a well-known
  placeholder (123456789, 111111111, 0 ...), or a ship MMSI whose MID (first three digits) is not an
  allocated Maritime Identification Digit. Fires once per MMSI. ``mid_table`` (a compact snapshot of the
  ITU MID table) may be set to ``None`` to accept any MID 201-775. Base stations, AtoN, SAR aircraft and
  the 97x emergency devices are not ship stations and are skipped.
* ``on_land`` -- positions on land (``Context.land.on_land``; skipped when no land index is given),
  at least ``land_min_reports`` reports over ``land_min_s`` seconds, each of them on land also
  ``land_inland_m`` to the N, S, E and W (so a coarse coastline or a berth in a harbour does not fire),
  and not within ``land_port_m`` of a port when a port index is given.

What is not spoofing:

* Receiver noise. Two positions closer than ``min_jump_m`` (1 km) are one place, whatever the time between them:
  that floor is far above what noise moves a report (AIS position accuracy flag: high < 10 m, low > 10 m; GNSS
  noise and multipath some tens of metres; a long-range type 27 report ~185 m), so noise never makes a jump, a
  second track, or "two places" (two tracks whose latest positions come within the floor are merged into one,
  and a two-places episode needs its two places to be out of reach of each other). Times closer than
  ``min_dt_s`` (1 s) count as 1 s, so a duplicate of the same second is not an infinite speed.
* Late copies. A report whose position is exactly (to the bit) one this MMSI reported among its last
  ``late_memory`` (256) distinct positions, and which is out of reach of the latest one, is that old report
  delivered late and stamped with its arrival time (a receiver or network path that buffers: the labelled DMA
  drift recording of 538004030 carries ten, each 16 min 57 s behind the ship, 0.95-1.4 km astern). It is where
  the ship was, not a second place: it is left out of the checks (counted in ``late_copies`` of the vessel's
  state). A copy within the noise floor passes as noise; when the next report is out of reach of it but not of
  the report before it, the copy is taken back (:meth:`SpoofingDetector._take_back_late_copies`). A position
  that is the latest of one of the MMSI's tracks is not a copy (a second transmitter that stays put repeats
  it). A spoofer replaying the ship's own messages verbatim looks like late delivery and is not told apart.

Episodes of different checks that begin on the same report are told apart by a millisecond added to
``start`` (``Event.key`` rounds ``start`` to the millisecond).
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Any, Iterable

from dkfi.watch.detectors.base import (
    KNOT_MS, Context, Detector, Event, TrackPoint, haversine_m, thin,
)
from dkfi.maritime.mmsi import SHIP_MMSI_MIN, has_nine_digits
from dkfi.maritime.records import Position, Station

_tuple_new = tuple.__new__
_cos = math.cos
_NAN = [math.nan]  # an empty slot of the ring of seen positions: equal to no position

# Allocated MIDs (ITU-R M.585 / ITU MID table, compact snapshot): ranges "a-b" and single values.
_MID_RANGES = (
    "201-216,218-220,224-259,261-279,"
    "301,303-312,314,316,319,321,323,325,327,329-332,334,336,338-339,341,343,345,347-348,350-359,"
    "361-362,364,366-379,"
    "401,403,405,408,410,412-414,416-417,419,422-423,425,428,431-432,434,436-438,440-441,443,445,447,"
    "450-451,453,455,457,459,461,463,466,468,470-473,475,477-478,"
    "501,503,506,508,510-512,514-516,518,520,523,525,529,531,533,536,538,540,542,544,546,548,553,555,"
    "557,559,561,563-567,570,572,574,576-578,"
    "601,603,605,607-613,615-622,624-627,629-637,642,644-645,647,649-650,654-657,659-672,674-679,"
    "701,710,720,725,730,735,740,745,750,755,760,765,770,775"
)


def _expand(ranges: str) -> frozenset[int]:
    out: set[int] = set()
    for part in ranges.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return frozenset(out)


ALLOCATED_MIDS: frozenset[int] = _expand(_MID_RANGES)

_NOT_SHIPS = frozenset({Station.BASE, Station.ATON, Station.SAR})  # no spoofing checks for these
_HALF_D2R = math.pi / 360.0
_M_PER_DEG = math.pi / 180.0 * 6_371_008.8

PLACEHOLDER_MMSI: frozenset[int] = frozenset(
    {0, 1, 12345, 123456, 1234567, 12345678, 123456789, 987654321, 100000000, 200000000, 999999999}
    | {int(str(d) * 9) for d in range(1, 10)}  # 111111111 ... 999999999
)


def mmsi_problem(mmsi: int, mids: frozenset[int] | None = ALLOCATED_MIDS) -> str | None:
    """Why ``mmsi`` cannot be a ship station's MMSI, or None when it can (see the module doc)."""
    if mmsi in PLACEHOLDER_MMSI:
        return "placeholder MMSI"
    if not has_nine_digits(mmsi):
        return "not 9 digits"
    s = str(mmsi)
    if s.startswith(("970", "972", "974")):
        return None  # AIS-SART, MOB, EPIRB-AIS
    if s.startswith("98"):
        mid = int(s[2:5])  # craft associated with a parent ship
    elif s[0] == "8":
        mid = int(s[1:4])  # handheld VHF with DSC/GNSS
    elif s[0] in "234567":
        mid = int(s[:3])
    else:
        return f"prefix {s[0]} is not a ship station"
    if not 201 <= mid <= 775:
        return f"MID {mid} outside 201-775"
    if mids is not None and mid not in mids:
        return f"MID {mid} not allocated"
    return None


@dataclass(slots=True)
class _Track:
    last: TrackPoint
    first_ts: float
    reports: int = 1


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    prev: TrackPoint | None = None
    tracks: list[_Track] = field(default_factory=list)
    mmsi_checked: bool = False
    # implied-speed episode
    jump_start: float | None = None
    jump_last: float = 0.0
    jumps: int = 0
    jump_max_kn: float = 0.0
    jump_evidence: list[TrackPoint] = field(default_factory=list)
    jump_measured: dict[str, Any] = field(default_factory=dict)
    # two-places episode
    twin_start: float | None = None
    twin_last: float = 0.0
    twin_reports: int = 0
    twin_max_m: float = 0.0
    twin_emitted: bool = False
    twin_evidence: list[TrackPoint] = field(default_factory=list)
    twin_pair: tuple[TrackPoint, TrackPoint] | None = None  # the two places last seen apart, and how far
    twin_sep: float = 0.0
    # late copies: the last ``late_memory`` distinct positions (lat, lon, lat, ...; NaN: empty), a ring that
    # grows to that size, and how many copies came
    seen: array | None = None
    seen_i: int = 0
    late_copies: int = 0
    prev2: TrackPoint | None = None  # the report before ``prev``
    # on-land episode
    land_start: float | None = None
    land_points: list[TrackPoint] = field(default_factory=list)
    land_emitted: bool = False
    sea_clear: tuple[float, float, float] | None = None  # (lat, lon, radius² in degrees²): no land within
    landish_lat: float = math.nan  # the last point ``sea_radius_m`` put on land (radius 0)
    landish_lon: float = math.nan
    land_at: tuple[float, float, Context, bool] | None = None  # (lat, lon, ctx, on) of the last report ``_land`` judged
    starts: set[float] = field(default_factory=set)


class SpoofingDetector(Detector):
    """Implied speed, one MMSI in two places, invalid MMSI/MID, positions on land (see the module doc)."""

    kind = "spoofing"
    max_speed_kn = 60.0          # faster than any merchant ship or ferry (HSC ~40 kn)
    min_jump_m = 1_000.0         # below this a "jump" is GPS jitter
    min_dt_s = 1.0               # time floor for the implied speed (same-second duplicates)
    episode_s = 3600.0           # jumps closer than this in time extend one episode
    track_alive_s = 600.0        # both tracks updated within 10 min of each other
    min_track_reports = 3        # reports on each track before "two places" fires
    twin_emit_every = 20         # re-emit an open two-places episode every N reports
    check_mmsi = True
    mid_table: frozenset[int] | None = ALLOCATED_MIDS
    land_min_reports = 3
    land_min_s = 120.0
    land_inland_m = 1_000.0
    land_port_m = 3_000.0
    evidence_limit = 200
    late_memory = 256            # distinct positions remembered to recognise a late copy (up to 4 KB a vessel)

    # ---- helpers ----------------------------------------------------------------------------------
    def _start(self, st: _State, ts: float) -> float:
        s = ts
        while round(s, 3) in st.starts:
            s += 0.001
        st.starts.add(round(s, 3))
        if len(st.starts) > 64:
            st.starts = {x for x in st.starts if x > ts - 86400}
        return s

    @staticmethod
    def _speed_kn(a: TrackPoint, b: TrackPoint, min_dt: float) -> tuple[float, float, float]:
        d = haversine_m(a.lat, a.lon, b.lat, b.lon)
        dt = abs(b.ts - a.ts)
        return d / max(dt, min_dt) / KNOT_MS, d, dt

    def _plausible(self, a: TrackPoint, b: TrackPoint) -> bool:
        kn, d, _ = self._speed_kn(a, b, self.min_dt_s)
        return d <= self.min_jump_m or kn <= self.max_speed_kn

    # ---- main -------------------------------------------------------------------------------------
    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        if p.station in _NOT_SHIPS:
            return ()
        mmsi = p.mmsi
        state = self.state
        st: _State | None = state.get(mmsi)
        if st is None:
            st = state[mmsi] = _State()
        else:
            state.move_to_end(mmsi)
        out: list[Event] | None = None
        ts = p.ts
        lat = p.lat
        lon = p.lon
        tp = _tuple_new(TrackPoint, (ts, lat, lon, p.sog, p.cog, p.heading, p.nav_status))  # TrackPoint.of(p)
        if not st.mmsi_checked:
            out = self._check_mmsi(st, tp, mmsi)
        prev = st.prev
        if prev is not None:
            pts = prev[0]
            if ts >= pts:
                # the common case, inline: one live track that ends at the previous report, no open
                # two-places episode, no implied-speed episode to close, and a step surely plausible by
                # a flat-earth distance (as ``_sure_plausible``); anything else goes to ``_jumps``
                tracks = st.tracks
                dt = ts - pts
                if (len(tracks) == 1 and st.twin_start is None and dt <= self.track_alive_s
                        and (st.jump_start is None or ts - st.jump_last <= self.episode_s)
                        and tracks[0].last is prev):
                    min_dt = self.min_dt_s
                    if dt < min_dt:
                        dt = min_dt
                    limit = self.max_speed_kn * KNOT_MS * dt
                    min_jump = self.min_jump_m
                    if limit < min_jump:
                        limit = min_jump
                    if limit <= 100_000.0:
                        plat = prev[1]
                        dlat = lat - plat
                        dlon = (lon - prev[2]) * _cos((plat + lat) * _HALF_D2R)
                        lim = limit * 0.98 / _M_PER_DEG
                        if dlat * dlat + dlon * dlon < lim * lim:
                            t = tracks[0]
                            t.last = tp
                            t.reports += 1
                            dt = -1.0  # done
                if dt >= 0.0:
                    if not self._plausible(prev, tp):  # a jump, unless a late copy makes it
                        if self._seen_before(st, tp):
                            st.late_copies += 1
                            return () if out is None else out
                        prev = self._take_back_late_copies(st, tp, prev)
                    got = self._jumps(mmsi, st, tp, prev)
                    if got:
                        out = got if out is None else out + got
        land = ctx.land
        if land is not None:
            if st.land_start is not None:
                got = self._land(mmsi, st, tp, ctx)
                if got:
                    out = got if out is None else out + got
            else:
                # inside the circle of sea around an earlier report that the land index vouched for?
                clear = st.sea_clear
                if clear is not None:
                    clat = clear[0]
                    dlat = lat - clat
                    dlon = (lon - clear[1]) * _cos((lat + clat) * _HALF_D2R)
                    inside = dlat * dlat + dlon * dlon < clear[2]
                else:
                    inside = False
                if not inside and self._sea_check(land, st, tp):
                    got = self._land(mmsi, st, tp, ctx)
                    if got:
                        out = got if out is None else out + got
        if prev is None or ts >= prev[0]:
            st.prev = tp
            st.prev2 = prev
        if prev is None or lat != prev[1] or lon != prev[2]:
            seen = st.seen
            if seen is None:
                seen = st.seen = array("d", _NAN) * 32  # 16 places, doubled as the vessel goes on reporting
            i = st.seen_i
            seen[i] = lat
            seen[i + 1] = lon
            i += 2
            if i == len(seen):
                if i < 2 * self.late_memory:
                    seen.extend(array("d", _NAN) * min(i, 2 * self.late_memory - i))
                else:
                    i = 0
            st.seen_i = i
        if ts > st.last_ts:
            st.last_ts = ts
        return () if out is None else out

    @staticmethod
    def _times_seen(st: _State, lat: float, lon: float) -> int:
        """How often the ring of distinct positions holds (lat, lon)."""
        seen = st.seen
        if seen is None:
            return 0
        n, i = 0, -1
        while True:
            try:
                i = seen.index(lat, i + 1)
            except ValueError:
                return n
            n += i % 2 == 0 and seen[i + 1] == lon

    def _seen_before(self, st: _State, tp: TrackPoint) -> bool:
        """Did this MMSI report ``tp``'s position before (among its last ``late_memory`` distinct ones), other
        than as the latest report of one of its tracks? For a report out of reach of the latest one, that makes
        it a late copy (see the module doc); a second transmitter that stays put repeats its track's position."""
        if any(t.last.lat == tp.lat and t.last.lon == tp.lon for t in st.tracks):
            return False
        return self._times_seen(st, tp.lat, tp.lon) > 0

    def _take_back_late_copies(self, st: _State, tp: TrackPoint, prev: TrackPoint) -> TrackPoint:
        """``tp`` is out of reach of ``prev``. A late copy within the noise floor of the report before it passes
        as noise and becomes ``prev``; when ``prev`` is such a copy and ``tp`` is within reach of the report
        before it, the copy is taken back (counted as late) and that report is ``prev`` again. Returns ``prev``."""
        before = st.prev2
        if (before is None or len(st.tracks) > 1 or st.twin_start is not None
                or (before.lat == prev.lat and before.lon == prev.lon)):
            return prev  # with two tracks a repeated place is more likely the other transmitter's
        if self._times_seen(st, prev.lat, prev.lon) < 2 or not self._plausible(before, tp):
            return prev  # the first report of its place: not a copy; or tp is a jump from before it too
        for t in st.tracks:
            if t.last is prev:
                t.last, t.reports = before, max(1, t.reports - 1)
        st.prev, st.prev2 = before, None
        st.late_copies += 1
        return before

    def _check_mmsi(self, st: _State, tp: TrackPoint, mmsi: int) -> list[Event] | None:
        st.mmsi_checked = True
        if not self.check_mmsi:
            return None
        why = mmsi_problem(mmsi, self.mid_table)
        if why is None:
            return None
        s = self._start(st, tp.ts)
        return [Event(
            self.kind, mmsi, s, tp.ts,
            "MMSI must be a 9-digit ship-station MMSI with an allocated MID (ITU-R M.585)",
            {"check": "invalid_mmsi", "mmsi": mmsi, "problem": why,
             "mid": int(str(mmsi)[:3]) if mmsi >= SHIP_MMSI_MIN else None},
            [tp], status="closed")]

    @staticmethod
    def _maybe_on_land(land, st: _State, tp: TrackPoint) -> bool:
        """``land.on_land`` for this report, skipped while the vessel stays inside the circle of sea around
        an earlier report that the land index vouched for (``LandIndex.sea_radius_m``)."""
        clear = st.sea_clear
        if clear is not None:
            dlat = tp.lat - clear[0]
            dlon = (tp.lon - clear[1]) * math.cos((tp.lat + clear[0]) * _HALF_D2R)
            if dlat * dlat + dlon * dlon < clear[2]:
                return False
        return SpoofingDetector._sea_check(land, st, tp)

    @staticmethod
    def _sea_check(land, st: _State, tp: TrackPoint) -> bool:
        """:meth:`_maybe_on_land` once the vessel is outside its circle of sea (or has none)."""
        lat, lon = tp[1], tp[2]
        if st.landish_lat == lat and st.landish_lon == lon:
            st.sea_clear = None  # the same point as the last one the index put on land: same answer
            return True
        radius = getattr(land, "sea_radius_m", None)
        if radius is None:
            return bool(land.on_land(lat, lon))
        r = radius(lat, lon)
        if r <= 0.0:
            st.sea_clear = None
            st.landish_lat, st.landish_lon = lat, lon
            return True
        r = 0.98 * r / _M_PER_DEG  # the flat distance above is within a per mille at these ranges
        st.sea_clear = (lat, lon, r * r) if r > 0.0 else None
        return False

    def _sure_plausible(self, a: TrackPoint, b: TrackPoint) -> bool:
        """True when ``b`` is certainly within reach of ``a`` (no jump), by a cheap flat-earth distance.

        Plausible means ``d <= max(min_jump_m, max_speed_kn * max(dt, min_dt_s))``. The flat distance
        (equirectangular at the mean latitude) is within a fraction of a per mille of the great-circle
        distance below 100 km; with a 2 % margin a False here only sends the pair to the exact test.
        """
        dt = b.ts - a.ts
        if dt < 0.0:
            dt = -dt
        if dt < self.min_dt_s:
            dt = self.min_dt_s
        limit = self.max_speed_kn * KNOT_MS * dt
        if limit < self.min_jump_m:
            limit = self.min_jump_m
        if limit > 100_000.0:
            return False
        dlat = b.lat - a.lat
        dlon = (b.lon - a.lon) * math.cos((a.lat + b.lat) * _HALF_D2R)
        lim = limit * 0.98 / _M_PER_DEG
        return dlat * dlat + dlon * dlon < lim * lim

    def _jumps(self, mmsi: int, st: _State, tp: TrackPoint, prev: TrackPoint) -> list[Event] | None:
        """``prev`` is ``st.prev``, known to be set."""
        out: list[Event] | None = None
        js = st.jump_start
        if js is not None and tp.ts - st.jump_last > self.episode_s:
            out = [self._jump_event(mmsi, st, js, "closed")]
            st.jump_start = None
        tracks = st.tracks
        # the common case: one live track that ends at the previous report, and a plausible step
        if (len(tracks) == 1 and st.twin_start is None and tracks[0].last is prev
                and tp.ts - prev.ts <= self.track_alive_s and self._sure_plausible(prev, tp)):
            t = tracks[0]
            t.last = tp
            t.reports += 1
            return out
        got = self._jumps_full(mmsi, st, tp, prev)
        if got:
            out = got if out is None else out + got
        return out

    def _jumps_full(self, mmsi: int, st: _State, tp: TrackPoint, prev: TrackPoint) -> list[Event]:
        out: list[Event] = []
        kn, d, dt = self._speed_kn(prev, tp, self.min_dt_s)
        jump = d > self.min_jump_m and kn > self.max_speed_kn
        # -- assign to one of up to two tracks
        tracks = [t for t in st.tracks if tp.ts - t.last.ts <= self.track_alive_s]
        st.tracks = tracks
        fits = [t for t in tracks if self._plausible(t.last, tp)]
        if fits:
            t = min(fits, key=lambda t: haversine_m(t.last.lat, t.last.lon, tp.lat, tp.lon)) if len(fits) > 1 else fits[0]
            t.last, t.reports = tp, t.reports + 1
        else:
            if len(tracks) >= 2:
                tracks.remove(min(tracks, key=lambda t: t.last.ts))
            tracks.append(_Track(tp, tp.ts))
        # -- one place: tracks whose latest positions are within the noise floor are one ship's
        if len(tracks) == 2 and haversine_m(tracks[0].last.lat, tracks[0].last.lon, tracks[1].last.lat,
                                            tracks[1].last.lon) <= self.min_jump_m:
            old, new = sorted(tracks, key=lambda t: t.last.ts)
            new.first_ts, new.reports = min(old.first_ts, new.first_ts), old.reports + new.reports
            tracks = st.tracks = [new]
        # -- two places: two tracks with reports enough, alive together, and out of reach of each other
        twin = (len(tracks) == 2 and all(t.reports >= self.min_track_reports for t in tracks)
                and abs(tracks[0].last.ts - tracks[1].last.ts) <= self.track_alive_s
                and not self._plausible(tracks[0].last, tracks[1].last))
        if twin:
            a, b = tracks
            sep = haversine_m(a.last.lat, a.last.lon, b.last.lat, b.last.lon)
            twin_start = st.twin_start
            if twin_start is None:
                twin_start = st.twin_start = self._start(st, min(a.first_ts, b.first_ts, tp.ts))
                st.twin_reports, st.twin_max_m, st.twin_emitted = 0, 0.0, False
                st.twin_evidence = []
            st.twin_last = tp.ts
            st.twin_reports += 1
            st.twin_max_m = max(st.twin_max_m, sep)
            st.twin_pair, st.twin_sep = (a.last, b.last), sep
            st.twin_evidence.append(tp)
            if len(st.twin_evidence) > 4 * self.evidence_limit:
                st.twin_evidence = thin(st.twin_evidence, self.evidence_limit)
            if not st.twin_emitted or st.twin_reports % self.twin_emit_every == 0:
                st.twin_emitted = True
                out.append(self._twin_event(mmsi, st, twin_start, a.last, b.last, sep, "open"))
        elif st.twin_start is not None and len(tracks) < 2:  # one track left (or merged into one): over
            out.extend(self._close_twin(mmsi, st))
        # -- implied speed (not while a two-places episode explains the jumps)
        if jump and st.twin_start is None:
            js = st.jump_start
            if js is None or tp.ts - st.jump_last > self.episode_s:
                js = st.jump_start = self._start(st, prev.ts)
                st.jumps, st.jump_max_kn, st.jump_evidence = 0, 0.0, []
            st.jumps += 1
            st.jump_last = tp.ts
            if kn >= st.jump_max_kn:
                st.jump_max_kn = kn
                st.jump_measured = {"implied_speed_kn": round(kn, 1), "distance_m": round(d),
                                    "dt_s": round(dt, 1)}
            st.jump_evidence.extend((prev, tp))
            st.jump_evidence = st.jump_evidence[-self.evidence_limit:]
            out.append(self._jump_event(mmsi, st, js, "open"))
        return out

    def _jump_event(self, mmsi: int, st: _State, start: float, status: str) -> Event:
        """The implied-speed episode that began at ``start`` (``st.jump_start``)."""
        return Event(
            self.kind, mmsi, start, st.jump_last,
            f"implied speed between consecutive positions > {self.max_speed_kn:g} kn over > "
            f"{self.min_jump_m:g} m",
            {"check": "implied_speed", **st.jump_measured, "jumps": st.jumps},
            list(st.jump_evidence), status=status)

    def _twin_event(self, mmsi: int, st: _State, start: float, a: TrackPoint, b: TrackPoint, sep: float,
                    status: str) -> Event:
        """The two-places episode that began at ``start`` (``st.twin_start``)."""
        ev = thin(st.twin_evidence, self.evidence_limit - 2) + [a, b]
        return Event(
            self.kind, mmsi, start, st.twin_last,
            f"one MMSI on two tracks > {self.max_speed_kn:g} kn apart, both alive within "
            f"{self.track_alive_s:g} s, >= {self.min_track_reports} reports each",
            {"check": "two_places", "separation_m": round(sep), "max_separation_m": round(st.twin_max_m),
             "reports": st.twin_reports,
             "position_a": {"ts": a.ts, "lat": a.lat, "lon": a.lon},
             "position_b": {"ts": b.ts, "lat": b.lat, "lon": b.lon}},
            ev, status=status)

    def _close_twin(self, mmsi: int, st: _State) -> list[Event]:
        """The two-places episode, closed; its two places are the last seen apart (one on each track)."""
        start, pair = st.twin_start, st.twin_pair
        if start is None or pair is None:  # (the pair is set whenever an episode is)
            st.twin_start = None
            return []
        e = self._twin_event(mmsi, st, start, pair[0], pair[1], st.twin_sep, "closed")
        st.twin_start, st.twin_pair = None, None
        return [e]

    def _inland(self, land, lat: float, lon: float) -> bool:
        dlat = self.land_inland_m / 111_195.0
        dlon = dlat / max(0.05, math.cos(math.radians(lat)))
        return all(land.on_land(lat + a, lon + b) for a, b in ((dlat, 0), (-dlat, 0), (0, dlon), (0, -dlon)))

    def _land(self, mmsi: int, st: _State, tp: TrackPoint, ctx: Context) -> list[Event]:
        lat, lon = tp[1], tp[2]
        at = st.land_at
        if at is not None and at[0] == lat and at[1] == lon and at[2] is ctx:
            on = at[3]  # the same point as last time (a ship at her berth): the same answer
        else:
            # on land, inland all round, and not near a port; the port first (cheaper than the four
            # inland look-ups, and a ship the land index puts ashore is most often in a harbour)
            ports = ctx.ports
            if ports is not None and ports.near_port(lat, lon, self.land_port_m):
                on = False
            else:
                on = bool(ctx.land.on_land(lat, lon)) and self._inland(ctx.land, lat, lon)
            st.land_at = (lat, lon, ctx, on)
        if not on:
            return self._close_land(mmsi, st)
        start = st.land_start
        if start is None:
            start = tp.ts
            st.land_start, st.land_points, st.land_emitted = start, [], False
        st.land_points.append(tp)
        if len(st.land_points) > 4 * self.evidence_limit:
            st.land_points = thin(st.land_points, self.evidence_limit)
        n, dur = len(st.land_points), tp.ts - st.land_points[0].ts
        if n >= self.land_min_reports and dur >= self.land_min_s:
            if not st.land_emitted:
                start = st.land_start = self._start(st, start)
            st.land_emitted = True
            return [self._land_event(mmsi, st, start, "open")]
        return []

    def _land_event(self, mmsi: int, st: _State, start: float, status: str) -> Event:
        """The on-land episode that began at ``start`` (``st.land_start``)."""
        pts = st.land_points
        return Event(
            self.kind, mmsi, start, pts[-1].ts,
            f"positions on land ({self.land_inland_m:g} m inland all round), >= {self.land_min_reports} "
            f"reports over >= {self.land_min_s:g} s, away from ports",
            {"check": "on_land", "reports": len(pts), "duration_s": round(pts[-1].ts - pts[0].ts, 1)},
            thin(pts, self.evidence_limit), status=status)

    def _close_land(self, mmsi: int, st: _State) -> list[Event]:
        if st.land_start is None and not st.land_points:
            return []
        out = []
        start = st.land_start
        if start is not None and st.land_emitted:
            out.append(self._land_event(mmsi, st, start, "closed"))
        st.land_start, st.land_points, st.land_emitted = None, [], False
        return out

    def expire(self, mmsi: int, state: _State, ctx: Context) -> Iterable[Event]:
        out = self._close_twin(mmsi, state) + self._close_land(mmsi, state)
        js = state.jump_start
        if js is not None:
            out.append(self._jump_event(mmsi, state, js, "closed"))
            state.jump_start = None
        return out
