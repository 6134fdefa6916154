"""The scenario library: hard negatives and harder positives for the anchor-drag watch, each a scenario of its own.

A *family* (``ice-convoy``, ``drag-slow``, ...) is a generator ``f(rng, spec) -> Built``: ships moved by a
kinematic integrator (:class:`Voyage`, one state every ``DT`` seconds) from seamanship -- convoy spacing,
boarding speeds, trawl speeds, the anchor model of :mod:`dkfi.sim.anchor` -- and never from a detector's
thresholds (this package imports no detector). Each family has named scenarios ``<family>-<n>`` (seeds 1-3,
listed by ``dkfi sim list``); any other seed gives another draw of its parameters (``bench/watch_quality.py``
uses seeds from 101 up, the tests 1-3).

Reports follow ITU-R M.1371 class A intervals (10 s under 14 kn, 6 s to 23 kn, 3 min at anchor), with GNSS
noise of a few metres, SOG noise 0.1 kn, COG noise growing as the speed falls, heading noise 1 deg; a static
report (type 5) comes with the first position and every 6 minutes. Ground truth: ``truth`` is ``"negative"``
(no ship of the scenario is dragging an anchor) or ``"anchor_drag"`` with one incident per dragging ship
(start, end, ``t_10km``, speeds, whether the ship was first seen while dragging).
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from dkfi.sim.scenarios import DATA_DIR, _encode, bearing, load_assets, load_land, offset, tag_block
from dkfi.watch.detectors.base import KNOT_MS, haversine_m

DT = 5.0  # integration step, seconds


def _const(value: float) -> Callable[[float], float]:
    return lambda t: value


# ---- ships and voyages --------------------------------------------------------------------------------------
@dataclass
class Voyage:
    """A ship's motion: states (t, lat, lon, sog, cog, heading, nav status, AIS on) every ``DT`` seconds."""

    t: float
    lat: float
    lon: float
    states: list[tuple[float, float, float, float, float, float, int, bool]] = field(default_factory=list)
    spikes: set[int] = field(default_factory=set)   # indices of states reported with a GNSS glitch

    def leg(self, seconds: float, sog: Callable[[float], float] | float, cog: Callable[[float], float] | float,
            heading: Callable[[float], float] | None = None, status: int = 0, ais: bool = True) -> None:
        """Move for ``seconds``: SOG (kn) and COG (deg) over ground, heading (default: the COG), as constants or
        functions of the seconds since the leg began."""
        t0 = self.t
        n = max(1, int(round(seconds / DT)))
        for k in range(n):
            tr = k * DT
            v = sog(tr) if callable(sog) else sog
            c = cog(tr) if callable(cog) else cog
            h = heading(tr) if heading is not None else c
            self.states.append((self.t, self.lat, self.lon, v, c % 360.0, h % 360.0, status, ais))
            self.lat, self.lon = offset(self.lat, self.lon, c, v * KNOT_MS * DT)
            self.t = t0 + (k + 1) * DT

    def steer(self, kn: float, course: float, seconds: float, status: int = 0, ais: bool = True,
              speed_noise: float = 0.0, rng: random.Random | None = None) -> None:
        """Steady steaming, with an optional slow speed wander (a share of ``kn``)."""
        if speed_noise and rng is not None:
            ph, per = rng.uniform(0, 6.28), rng.uniform(300, 900)
            self.leg(seconds, lambda t: kn * (1 + speed_noise * math.sin(6.2832 * t / per + ph)), course,
                     status=status, ais=ais)
        else:
            self.leg(seconds, kn, course, status=status, ais=ais)

    def change_speed(self, v0: float, v1: float, course: float, seconds: float, status: int = 0) -> None:
        """A linear speed change over ``seconds`` (a big ship takes minutes to slow or gain way)."""
        self.leg(seconds, lambda t: v0 + (v1 - v0) * min(1.0, t / seconds), course, status=status)

    def turn(self, kn: float, c0: float, c1: float, rate_deg_min: float = 30.0) -> None:
        """Turn from ``c0`` to ``c1`` the short way at ``rate_deg_min``."""
        d = (c1 - c0 + 180.0) % 360.0 - 180.0
        secs = max(DT, abs(d) / rate_deg_min * 60.0)
        self.leg(secs, kn, lambda t: c0 + d * min(1.0, t / secs))

    def hold(self, seconds: float, status: int = 1) -> None:
        self.leg(seconds, 0.0, 0.0, heading=lambda t: 0.0, status=status)

    def track(self, seconds: float, where: Callable[[float], tuple[float, float]],
              heading: Callable[[float], float], status: int = 1) -> None:
        """Move along positions given as a function of time (a ship swinging round its anchor); SOG and COG
        follow from successive positions."""
        t0 = self.t
        n = max(1, int(round(seconds / DT)))
        lat, lon = where(0.0)
        for k in range(n):
            la2, lo2 = where((k + 1) * DT)
            d = haversine_m(lat, lon, la2, lo2)
            self.states.append((t0 + k * DT, lat, lon, d / DT / KNOT_MS, bearing(lat, lon, la2, lo2) if d > 0 else 0.0,
                                heading(k * DT) % 360.0, status, True))
            lat, lon = la2, lo2
        self.t, self.lat, self.lon = t0 + n * DT, lat, lon


@dataclass
class Ship:
    mmsi: int
    name: str
    ship_type: int
    length: float
    voyage: Voyage
    role: str = "traffic"      # what the ship is in the scenario (convoy, icebreaker, subject, ...)
    cls: str = "A"
    imo: int | None = None


@dataclass
class Built:
    """What a family generator returns."""

    ships: list[Ship]
    incidents: list[dict] = field(default_factory=list)
    note: str = ""
    place: dict[str, Any] = field(default_factory=dict)


@dataclass
class Family:
    name: str
    truth: str          # "negative" | "anchor_drag"
    about: str
    make: Callable[[random.Random, "Spec"], Built]


@dataclass
class Spec:
    family: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.family}-{self.seed}"


FAMILIES: dict[str, Family] = {}
NAMED_SEEDS = (1, 2, 3)  # the scenarios ``dkfi sim list`` names; tests use these, the benchmark 101 and up


def family(name: str, truth: str, about: str):
    """Register a family generator."""
    def deco(fn: Callable[[random.Random, Spec], Built]) -> Callable[[random.Random, Spec], Built]:
        FAMILIES[name] = Family(name, truth, about, fn)
        return fn
    return deco


def families() -> dict[str, Family]:
    """Every family (importing the modules that define them)."""
    from dkfi.sim import negatives, positives  # noqa: F401  (registration)

    return FAMILIES


def parse_name(name: str) -> Spec | None:
    """``ice-convoy-2`` -> Spec("ice-convoy", 2); None when ``name`` is no library scenario."""
    fam, _, seed = name.rpartition("-")
    if fam in families() and seed.isdigit():
        return Spec(fam, int(seed))
    return None


def library_names() -> list[str]:
    return [f"{f}-{s}" for f in families() for s in NAMED_SEEDS]


# ---- geography ------------------------------------------------------------------------------------------------
REGIONS: dict[str, tuple[float, float, float, float]] = {  # lon0, lat0, lon1, lat1: open water with assets
    "gulf_of_finland": (22.9, 59.45, 26.8, 59.98),
    "central_baltic": (18.3, 56.2, 21.3, 58.6),
    "bornholm": (14.2, 54.6, 16.6, 55.7),
    "western_baltic": (12.3, 54.35, 14.1, 55.15),
}
_PREP: dict[str, Any] = {}


def _land_prepared():
    from shapely.prepared import prep

    if "land" not in _PREP:
        _PREP["land"] = prep(load_land())
    return _PREP["land"]


def _ports() -> list[tuple[float, float]]:
    if "ports" not in _PREP:
        data = json.loads((DATA_DIR / "ports.geojson").read_text())
        _PREP["ports"] = [(f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0])
                          for f in data["features"] if f.get("geometry")]
    return _PREP["ports"]


def _assets() -> list[tuple[str, str, Any]]:
    if "assets" not in _PREP:
        _PREP["assets"] = [a for a in load_assets(None) if a[2].geom_type in ("LineString", "MultiLineString")]
    return _PREP["assets"]


def at_sea(lat: float, lon: float) -> bool:
    from shapely.geometry import Point

    return not _land_prepared().contains(Point(lon, lat))


def line_at_sea(lat0: float, lon0: float, brg: float, dist_m: float, step_m: float = 500.0) -> bool:
    n = max(1, int(dist_m / step_m))
    for k in range(n + 1):
        la, lo = offset(lat0, lon0, brg, dist_m * k / n)
        if not at_sea(la, lo):
            return False
    return True


def port_clearance_m(lat: float, lon: float) -> float:
    return min(haversine_m(lat, lon, a, b) for a, b in _ports())


def crossing_point(rng: random.Random, region: str) -> tuple[str, float, float, float]:
    """A random point on a seabed asset inside ``region``: (asset name, lat, lon, the asset's bearing there)."""
    from shapely.geometry import box

    x0, y0, x1, y1 = REGIONS[region]
    bb = box(x0, y0, x1, y1)
    cands = [a for a in _assets() if a[2].intersects(bb)]
    for _ in range(200):
        name, _, geom = rng.choice(cands)
        part = geom.intersection(bb)
        lines = [part] if part.geom_type == "LineString" else [g for g in getattr(part, "geoms", [])
                                                               if g.geom_type == "LineString"]
        if not lines:
            continue
        ln = rng.choice(lines)
        if ln.length == 0:
            continue
        f = rng.uniform(0.05, 0.95)
        p, q = ln.interpolate(f, normalized=True), ln.interpolate(min(1.0, f + 0.01), normalized=True)
        return name, p.y, p.x, bearing(p.y, p.x, q.y, q.x)
    raise RuntimeError(f"no asset found in region {region}")


def place_track(rng: random.Random, region: str, before_m: float, after_m: float, min_port_m: float = 15_000.0,
                angle: tuple[float, float] = (40.0, 140.0)) -> tuple[str, float, float, float]:
    """A straight track at sea crossing an asset of ``region``: (asset, lat, lon, course) of the crossing, with
    ``before_m`` of sea before it and ``after_m`` after, and the crossing ``min_port_m`` from any port."""
    for _ in range(400):
        name, lat, lon, abrg = crossing_point(rng, region)
        course = (abrg + rng.choice((1, -1)) * rng.uniform(*angle)) % 360.0
        if port_clearance_m(lat, lon) < min_port_m:
            continue
        slat, slon = offset(lat, lon, course + 180.0, before_m)
        if line_at_sea(slat, slon, course, before_m + after_m):
            return name, lat, lon, course
    raise RuntimeError(f"no clear track across an asset in {region}")


# ---- identities -------------------------------------------------------------------------------------------------
MIDS = (230, 219, 220, 265, 266, 276, 275, 277, 261, 211, 273, 636, 538, 248, 256, 477, 351, 257)
WORDS = ["BALTIC", "NORDIC", "AURORA", "POLARIS", "SEA", "WIND", "STAR", "CARRIER", "SPIRIT", "TRADER", "HAVEN",
         "LIGHT", "BREEZE", "GULL", "FALCON", "RIVER", "AMBER", "DUNE", "FJORD", "SKERRY"]


class Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[int] = set()

    def mmsi(self, mid: int | None = None) -> int:
        while True:
            m = (mid or self.rng.choice(MIDS)) * 1_000_000 + self.rng.randrange(100_000, 999_999)
            if m not in self.used:
                self.used.add(m)
                return m

    def name(self, prefix: str = "") -> str:
        r = self.rng
        return f"{prefix}{r.choice(WORDS)} {r.choice(WORDS)} {r.randrange(1, 99)}".strip()

    def imo(self) -> int:
        six = self.rng.randrange(930_000, 999_999)
        chk = sum(int(c) * w for c, w in zip(str(six), range(7, 1, -1))) % 10
        return six * 10 + chk

    def merchant(self, voyage: Voyage, role: str = "traffic", ship_type: int | None = None,
                 length: float | None = None, prefix: str = "") -> Ship:
        r = self.rng
        return Ship(self.mmsi(), self.name(prefix), ship_type or r.choice([70, 70, 71, 79, 80, 80, 82, 89]),
                    length or r.choice([120.0, 150.0, 180.0, 230.0]), voyage, role, imo=self.imo())


def start_time(rng: random.Random, months: tuple[int, ...] = tuple(range(1, 13)), hour: float | None = None,
               year: int = 2024) -> float:
    """A UTC start time in one of ``months`` (at ``hour`` UTC when given)."""
    m = rng.choice(months)
    day = rng.randrange(1, 28)
    h = rng.uniform(0, 24) if hour is None else hour
    return datetime(year, m, day, tzinfo=timezone.utc).timestamp() + h * 3600.0


# ---- reports ----------------------------------------------------------------------------------------------------
def _interval(sog: float, status: int) -> float:
    if status in (1, 5) and sog < 3:
        return 180.0
    return 2.0 if sog > 23 else 6.0 if sog > 14 else 10.0


def _static(s: Ship) -> list[str]:
    bow = int(s.length * 0.8)
    return _encode({"type": 5, "mmsi": s.mmsi, "ais_version": 2, "imo": s.imo or 0,
                    "callsign": f"S{s.mmsi % 100000:05d}", "shipname": s.name[:20], "ship_type": s.ship_type,
                    "to_bow": bow, "to_stern": max(1, int(s.length) - bow), "to_port": max(1, int(s.length / 14)),
                    "to_starboard": max(1, int(s.length / 14)), "epfd": 1,
                    "draught": round(min(25.5, s.length / 25), 1), "destination": "", "month": 0, "day": 0,
                    "hour": 24, "minute": 60})


def reports(s: Ship, seed: int) -> list[tuple[float, list[str]]]:
    """(time, sentences) of a ship's reports: positions at ITU intervals with sensor noise, statics every 6 min."""
    rng = random.Random(s.mmsi * 7919 + seed)
    st = s.voyage.states
    out: list[tuple[float, list[str]]] = []
    if not st:
        return out
    i = 0
    t = st[0][0] + rng.uniform(0, 8)
    next_static = t
    end = st[-1][0]
    while t <= end:
        while i < len(st) - 1 and st[i + 1][0] <= t:
            i += 1
        ts, lat, lon, sog, cog, hdg, status, ais = st[i]
        if ais:
            if t >= next_static:
                out.append((t, _static(s)))
                next_static = t + 360.0
            moving = sog > 0.3
            sog_r = max(0.0, sog + rng.gauss(0, 0.1)) if moving else rng.uniform(0, 0.2)
            # the COG of a GNSS receiver gets noisier as the ship slows (a few cm/s of noise against its speed)
            csd = min(60.0, math.degrees(math.atan2(0.15, max(sog, 0.05))))
            cog_r = (cog + rng.gauss(0, csd)) % 360 if moving else rng.uniform(0, 359.9)
            head = int(round((hdg + rng.gauss(0, 1.0)) % 360)) % 360
            jlat, jlon = offset(lat, lon, rng.uniform(0, 360), abs(rng.gauss(0, 4)))
            if i in s.voyage.spikes:  # one report with a GNSS glitch: a jump and a wild speed
                jlat, jlon = offset(lat, lon, rng.uniform(0, 360), rng.uniform(80, 400))
                sog_r, cog_r = rng.uniform(4, 15), rng.uniform(0, 359.9)
            msg = {"type": 3 if status in (1, 5) else 1, "mmsi": s.mmsi, "status": status,
                   "speed": round(min(sog_r, 102.2), 1), "lat": round(jlat, 6), "lon": round(jlon, 6),
                   "course": round(cog_r, 1), "heading": head, "second": int(t) % 60, "accuracy": 1}
            out.append((t, _encode(msg)))
        t += _interval(sog, status) * rng.uniform(0.9, 1.1)
    return out


@dataclass
class LibraryResult:
    spec: Spec
    family: Family
    lines: list[str]
    truth: list[dict]
    vessels: list[dict]
    start: float
    end: float
    note: str
    place: dict[str, Any]

    @property
    def negative_mmsis(self) -> set[int]:
        return {v["mmsi"] for v in self.vessels} - {t["mmsi"] for t in self.truth}


def build(spec: Spec) -> LibraryResult:
    """Generate one library scenario (deterministic for its family and seed)."""
    fams = families()
    if spec.family not in fams:
        raise ValueError(f"unknown scenario family {spec.family!r}; choose one of {', '.join(fams)}")
    fam = fams[spec.family]
    rng = random.Random(f"{spec.family}:{spec.seed}")
    built = fam.make(rng, spec)
    # ships do not vanish at sea: each goes on as it was until the scenario's end
    end = max(s.voyage.states[-1][0] for s in built.ships)
    for s in built.ships:
        v = s.voyage
        last = v.states[-1]
        if v.t < end:
            h = last[5]
            if line_at_sea(v.lat, v.lon, last[4], last[3] * KNOT_MS * (end - v.t)):
                v.leg(end - v.t, last[3], last[4], heading=_const(h), status=last[6], ais=last[7])
            else:  # the coast ahead: she stops and anchors (a ship does not sail on to the land)
                v.change_speed(last[3], 0.0, last[4], min(600.0, end - v.t))
                if v.t < end:
                    v.hold(end - v.t, status=1)
    timed: list[tuple[float, int, list[str]]] = []
    for k, s in enumerate(built.ships):
        timed.extend((t, k, sent) for t, sent in reports(s, spec.seed))
    timed.sort(key=lambda x: (x[0], x[1]))
    lines = [tag_block(t) + sent for t, _, sents in timed for sent in sents]
    start = min(s.voyage.states[0][0] for s in built.ships)
    end = max(s.voyage.states[-1][0] for s in built.ships)
    vessels = [{"mmsi": s.mmsi, "name": s.name, "ship_type": s.ship_type, "length": s.length, "role": s.role}
               for s in built.ships]
    return LibraryResult(spec, fam, lines, built.incidents, vessels, start, end, built.note, built.place)


def drag_truth(ship: Ship, t0: float, t1: float, **extra: Any) -> dict:
    """The truth of a drag from ``t0`` to ``t1``: with ``t_10km``, when the ship had dragged 10 km over ground."""
    st = [s for s in ship.voyage.states if t0 <= s[0] <= t1]
    acc, t10 = 0.0, None
    for a, b in zip(st, st[1:]):
        acc += haversine_m(a[1], a[2], b[1], b[2])
        if acc >= 10_000 and t10 is None:
            t10 = b[0]
    return {"kind": "anchor_drag", "mmsi": ship.mmsi, "name": ship.name, "start": round(t0, 1),
            "end": round(t1, 1), "t_10km": None if t10 is None else round(t10, 1), "drag_km": round(acc / 1000, 2),
            **extra}


def write(res: LibraryResult, nmea_path: Path, truth_path: Path) -> None:
    Path(nmea_path).write_text("\n".join(res.lines) + "\n", encoding="ascii")
    doc = {"scenario": res.spec.name, "family": res.family.name, "truth": res.family.truth, "seed": res.spec.seed,
           "about": res.family.about, "note": res.note, "place": res.place, "synthetic": True,
           "start_iso": datetime.fromtimestamp(res.start, tz=timezone.utc).isoformat(),
           "end_iso": datetime.fromtimestamp(res.end, tz=timezone.utc).isoformat(), "lines": len(res.lines),
           "incidents": res.truth, "vessels": res.vessels}
    Path(truth_path).write_text(json.dumps(doc, indent=1), encoding="utf-8")
