"""What every detector shares: track points, events with evidence, per-vessel state, and the engine.

Detectors are pure: records in, events out; no database, no clock (time comes from the data). The same
engine runs them over a live feed (record by record) and over history (the records sorted by time), so
streaming and batch give the same events.

An event has a stable ``key`` (kind, MMSI, episode start); a detector that learns more about an open
episode emits the event again with the same key, and the newest version replaces the older one
(``status`` "open" while the situation goes on, "closed" when it ended, "withdrawn" when later data
showed it was not one).

Sampled detectors. Rules defined over minutes (loitering for 30 min, drift held 10 min, an encounter of
2 h, an anchor drag with a 5-minute median speed, a watch-listed ship near an asset) gain nothing from a
ship's 2-10 s reporting rate, so those detectors set ``every_report = False`` and the engine hands them a
vessel's report only when ``sample_s`` (30 s) of data time have passed since the last one it handed them,
or when the report differs from that one in what they react to at once: navigation status, or SOG by
``sample_sog_kn`` (2 kn) or more, or SOG appearing or disappearing. The first report of a vessel always
passes. Detectors that need every report (implied speed and one MMSI in two places, AIS gaps, a speed
drop within 30-60 s, the identity's last position) keep ``every_report = True``, the default. The gate
is a function of the data alone, so streaming and batch still see the same reports; the late-data
reviser re-runs a vessel through the same gate (:meth:`DetectionEngine.sample_gate`). ``sample_s=0``
hands every report to every detector. docs/decisions/0004-sampled-detectors.md has the measurements.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, NamedTuple

from dkfi.maritime.records import Position, Static

EARTH_RADIUS_M = 6_371_008.8
KNOT_MS = 1852.0 / 3600.0
NM = 1852.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def angle_diff(a: float, b: float) -> float:
    """Smallest absolute difference of two bearings, 0..180 degrees."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


class TrackPoint(NamedTuple):
    """One position as evidence (immutable).

    A named tuple rather than a frozen dataclass: every detector makes one per report it keeps, and a
    frozen dataclass costs about 1.4 µs to build against 0.25 µs for :meth:`of` here.
    """

    ts: float
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None
    heading: int | None = None
    nav_status: int | None = None

    @classmethod
    def of(cls, p: Position) -> "TrackPoint":
        return _tuple_new(cls, (p.ts, p.lat, p.lon, p.sog, p.cog, p.heading, p.nav_status))

    def as_dict(self) -> dict:
        return {"ts": self.ts, "lat": self.lat, "lon": self.lon, "sog": self.sog, "cog": self.cog,
                "heading": self.heading, "nav_status": self.nav_status}


_tuple_new = tuple.__new__


@dataclass(slots=True)
class Event:
    """A detector's finding, with the evidence behind it."""

    kind: str
    mmsi: int
    start: float
    end: float
    rule: str                       # the rule that fired, in words, with its thresholds
    measured: dict[str, Any]        # the measured values that made it fire
    evidence: list[TrackPoint]      # the track points (bounded)
    asset: str | None = None        # name of the critical-infrastructure asset involved
    status: str = "open"            # open | closed | withdrawn
    other_mmsi: int | None = None   # the other vessel of an encounter or a duplicate MMSI

    @property
    def key(self) -> tuple:
        return (self.kind, self.mmsi, round(self.start, 3), self.other_mmsi)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "mmsi": self.mmsi, "start": self.start, "end": self.end, "rule": self.rule,
                "measured": self.measured, "asset": self.asset, "status": self.status,
                "other_mmsi": self.other_mmsi, "evidence": [p.as_dict() for p in self.evidence]}


def thin(points: list[TrackPoint], limit: int = 200) -> list[TrackPoint]:
    """At most ``limit`` points, evenly spread, first and last kept."""
    n = len(points)
    if n <= limit:
        return list(points)
    step = (n - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def keep_evidence(st, tp: TrackPoint, sog: float, limit: int) -> None:
    """Append a point and its speed to an episode's ``points``/``sogs``, halving either past ``limit``."""
    st.points.append(tp)
    if len(st.points) > limit:
        st.points = thin(st.points, limit // 2)
    st.sogs.append(sog)
    if len(st.sogs) > limit:
        st.sogs = st.sogs[::2]


@dataclass
class Context:
    """What detectors may consult besides the record: assets, land, ports, static data, watch list.

    Filled by the caller; every field is optional so a detector's unit test passes only what it needs.
    ``assets`` is a :class:`dkfi.watch.assets.AssetIndex`; ``static`` maps MMSI -> latest Static.
    """

    assets: Any = None
    land: Any = None
    ports: Any = None
    watchlist: Any = None
    static: dict[int, Static] = field(default_factory=dict)


class Detector:
    """Base of all detectors: per-vessel state with bounded memory.

    Subclasses set ``kind`` and implement :meth:`update` (and :meth:`update_static` / :meth:`finish`
    when they need them). State of vessels silent for ``idle_s`` of data time is dropped (after
    :meth:`expire` gives the detector a chance to close their episodes).
    """

    kind = "base"
    every_report = True   # False: the engine samples this vessel's reports for it (module doc)
    idle_s = 6 * 3600.0
    max_vessels = 200_000

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)
        for k, v in params.items():
            if not hasattr(self, k):
                raise TypeError(f"{type(self).__name__} has no parameter {k!r}")
            setattr(self, k, v)
        self.state: OrderedDict[int, Any] = OrderedDict()
        self._now = 0.0

    def vessel(self, mmsi: int, factory) -> Any:
        st = self.state.get(mmsi)
        if st is None:
            st = factory()
            self.state[mmsi] = st
        else:
            self.state.move_to_end(mmsi)
        return st

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        return ()

    def forget(self, mmsis: set[int]) -> None:
        """Drop all that is known of these vessels, without closing their episodes (a looping replay)."""
        for m in mmsis:
            self.state.pop(m, None)

    def update_static(self, s: Static, ctx: Context) -> Iterable[Event]:
        return ()

    def expire(self, mmsi: int, state: Any, ctx: Context) -> Iterable[Event]:
        """Called when a vessel's state is dropped; close its open episode here."""
        return ()

    def finish(self, ctx: Context) -> Iterable[Event]:
        """End of input: close every open episode."""
        out: list[Event] = []
        for mmsi, st in list(self.state.items()):
            out.extend(self.expire(mmsi, st, ctx))
        self.state.clear()
        return out

    def sweep(self, now: float, ctx: Context) -> Iterable[Event]:
        """Drop the state of vessels idle for ``idle_s`` (least recently seen first)."""
        out: list[Event] = []
        while self.state:
            mmsi, st = next(iter(self.state.items()))
            last = getattr(st, "last_ts", None)
            if len(self.state) <= self.max_vessels and (last is None or now - last < self.idle_s):
                break
            self.state.popitem(last=False)
            out.extend(self.expire(mmsi, st, ctx))
        return out


class DetectionEngine:
    """Runs detectors over records in time order; keeps the newest version of each event."""

    def __init__(self, detectors: Iterable[Detector], ctx: Context | None = None, sweep_every: int = 5000,
                 sample_s: float = 30.0, sample_sog_kn: float = 2.0) -> None:
        self.detectors = list(detectors)
        self._updates = tuple(d.update for d in self.detectors)  # bound once, not per record
        # the detectors that see every report, in the same order (the module doc: sampled detectors)
        self._every = tuple(d.update for d in self.detectors if d.every_report)
        self.sample_s = float(sample_s)
        self.sample_sog_kn = float(sample_sog_kn)
        if len(self._every) == len(self._updates) or self.sample_s <= 0.0:
            self._every = self._updates  # nothing to sample
        self._fed: dict[int, tuple] = {}  # mmsi -> (ts, sog, nav_status) last handed to sampled detectors
        self.ctx = ctx or Context()
        self.events: dict[tuple, Event] = {}
        self._n = 0
        self.sweep_every = sweep_every
        self.now = 0.0

    def sample_gate(self, record: Position) -> bool:
        """Does this report go to the sampled detectors too? Remembers it when it does (module doc)."""
        fed = self._fed
        mmsi = record.mmsi
        last = fed.get(mmsi)
        ts, sog, nav = record.ts, record.sog, record.nav_status
        if last is not None:
            if ts < last[0]:
                return False  # older than what they were handed: they would skip it
            if ts - last[0] < self.sample_s and nav == last[2]:
                lsog = last[1]
                if (sog is None) is (lsog is None) and (sog is None or abs(sog - lsog) < self.sample_sog_kn):
                    return False
        fed[mmsi] = (ts, sog, nav)
        return True

    def forget(self, mmsis: Iterable[int]) -> None:
        """Drop the sampling state of these vessels (the detectors forget their own)."""
        for m in mmsis:
            self._fed.pop(m, None)

    def _take(self, produced: Iterable[Event], out: list[Event]) -> None:
        for e in produced:
            self.events[e.key] = e
            out.append(e)

    def process(self, record: Position | Static) -> list[Event]:
        """Feed one record; returns the events it created or changed."""
        if type(record) is not Position and isinstance(record, Static):
            return self._process_static(record)
        ts = record.ts
        if ts > self.now:
            self.now = ts
        ctx = self.ctx
        out: list[Event] | None = None
        updates = self._every
        if updates is not self._updates and self.sample_gate(record):
            updates = self._updates
        for update in updates:
            produced = update(record, ctx)
            if produced:  # () and [] (nothing happened, the common case) cost no further work
                if out is None:
                    out = []
                events = self.events
                for e in produced:
                    events[e.key] = e
                    out.append(e)
        self._n += 1
        if self._n % self.sweep_every == 0:
            if out is None:
                out = []
            for d in self.detectors:
                self._take(d.sweep(self.now, ctx), out)
            if self._fed:
                horizon = self.now - max(d.idle_s for d in self.detectors)
                self._fed = {m: f for m, f in self._fed.items() if f[0] >= horizon}
        return [] if out is None else out

    def _process_static(self, record: Static) -> list[Event]:
        out: list[Event] = []
        prev = self.ctx.static.get(record.mmsi)
        for d in self.detectors:
            produced = d.update_static(record, self.ctx)
            if produced:
                self._take(produced, out)
        if prev is None or record.ts >= prev.ts:
            self.ctx.static[record.mmsi] = record
        return out

    def run(self, records: Iterable[Position | Static]) -> Iterator[Event]:
        for r in records:
            yield from self.process(r)

    def finish(self) -> list[Event]:
        out: list[Event] = []
        for d in self.detectors:
            self._take(d.finish(self.ctx), out)
        return out

    def final_events(self) -> list[Event]:
        """The newest version of every event that was not withdrawn, by start time."""
        return sorted((e for e in self.events.values() if e.status != "withdrawn"),
                      key=lambda e: (e.start, e.kind, e.mmsi))
