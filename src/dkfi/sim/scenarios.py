"""Scenario simulator: realistic Baltic AIS traffic as NMEA, with the ground truth of injected incidents.

Every message is a pyais-encoded ``!AIVDM`` sentence preceded, on the same line, by an NMEA 4.0 tag block
``\\s:dkfi-sim,c:<unix seconds>*hh\\`` (``s:`` marks the data as synthetic, ``c:`` gives the time; ``hh`` is
the XOR checksum of the text between the backslash and the ``*``). Class A vessels send types 1 (and 3 at
anchor) and 5, class B vessels types 18 and 24 (parts A and B).

Reporting intervals follow ITU-R M.1371 (class A: 10 s at 0-14 kn, 6 s at 14-23 kn, 2 s above; 3 min at
anchor or moored below 3 kn; class B: 30 s above 2 kn, 3 min below), multiplied by ``Scenario.thin``
(default 2: 20 s at normal speeds) to keep files small; the 3-minute intervals are not thinned.

Vessel kinds (counts in :class:`Scenario`):

* ``transit`` -- cargo ships and tankers on the shipping lanes (Gulf of Finland - central Baltic - Fehmarn
  Belt, Stockholm - Gdansk, Klaipeda - Bornholm, Riga - Gotland, Kattegat) at 10-14 kn; they cross many
  cables, as real traffic does;
* ``ferry`` -- passenger ferries shuttling Helsinki-Tallinn, Rødby-Puttgarden, Grenaa-Halmstad at 15-22 kn
  with port stops (moored);
* ``fishing`` -- ship type 30, status "engaged in fishing", slow zig-zag (2-5 kn) in a box; some boxes lie
  over cables (a real false-positive source), some away from every asset; some are class B;
* ``anchored`` -- ships at anchor in anchorages, swinging in a small circle (status "at anchor");
* ``leisure`` -- class B pleasure craft (type 37) on lane sections at 5-8 kn.

Incidents, modelled on the public Baltic cases (see ``INCIDENTS``): ``eagle-s`` (Estlink 2, Dec 2024),
``yi-peng-3`` (BCS East-West + C-Lion1, Nov 2024; AIS off for part of the drag), ``newnew-polar-bear``
(Balticconnector, Oct 2023; storm, short AIS blackout), ``vezhen`` (Ventspils-Gotland, Jan 2025), plus
``ais-gap`` (silent for 1-3 h within a few km of a cable) and ``rendezvous`` (two ships stopped within
300 m for 2-3 h away from ports). Anchor drags: reduced speed (5-8 kn from 10-14), nav status "under
way" throughout, COG-heading divergence small.

Ground truth (``SimResult.truth``): one dict per incident (and one per AIS blackout within a drag) with
kind, mmsi(s), start, end, assets crossed (with times and positions) and, for drags, ``t_10km`` -- when the
drag had covered 10 km. Everything is deterministic for a seed. Lanes are hand-picked waypoints checked
against the land polygons (``check_lanes``).
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pyais import encode_dict

from dkfi.watch.detectors.base import KNOT_MS, haversine_m

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "geo"

# ---- geography (lon, lat) ---------------------------------------------------------------------------
LANES: dict[str, list[tuple[float, float]]] = {
    "gulf_of_finland_baltic": [
        (28.3, 59.80), (27.5, 59.95), (26.6, 59.95), (25.6, 59.93), (24.9, 59.88), (24.2, 59.78),
        (23.5, 59.62), (22.8, 59.50), (21.7, 59.20), (20.6, 58.55), (19.75, 57.55), (19.0, 56.45),
        (17.4, 55.65), (15.6, 55.05), (14.4, 54.85), (13.4, 54.80), (12.4, 54.55), (11.4, 54.58),
        (10.7, 54.55)],
    "stockholm_gdansk": [(19.4, 59.25), (18.6, 58.3), (17.75, 57.4), (17.55, 56.6), (18.1, 55.5), (18.75, 54.75)],
    "klaipeda_bornholm": [(20.9, 55.72), (19.5, 55.6), (17.5, 55.45), (15.6, 55.05)],
    "riga_gotland": [(23.9, 57.3), (23.4, 57.6), (22.6, 57.85), (21.6, 57.75), (20.6, 57.55), (19.75, 57.55)],
    "kattegat": [(10.9, 57.85), (11.35, 57.3), (11.5, 56.75), (11.25, 56.2), (11.0, 55.85)],
}
FERRIES: dict[str, tuple[list[tuple[float, float]], float]] = {
    "helsinki_tallinn": ([(24.96, 60.12), (24.95, 59.95), (24.72, 59.62), (24.74, 59.47)], 20.0),
    "rodby_puttgarden": ([(11.36, 54.63), (11.28, 54.56), (11.24, 54.51)], 15.0),
    "grenaa_halmstad": ([(10.96, 56.40), (11.5, 56.45), (12.3, 56.58), (12.8, 56.64)], 18.0),
}
ANCHORAGES: dict[str, tuple[float, float]] = {
    # Helsinki (east, off Vuosaari) and Muuga moved off the cable corridors of the Gulf of Finland
    "helsinki": (25.285, 60.012), "muuga": (25.05, 59.551), "skagen": (10.75, 57.68), "gdansk": (18.85, 54.55),
}
FISHING_AREAS: dict[str, tuple[float, float, float, float]] = {  # lon0, lat0, lon1, lat1
    "south_of_gotland_clear": (17.8, 55.0, 18.3, 55.3),
    "bornholm_east_over_cables": (15.7, 55.45, 16.3, 55.75),
    "curonian_offshore": (20.2, 55.9, 20.6, 56.2),
    "hano_bay_over_nordbalt": (16.5, 56.0, 17.2, 56.3),
}
ENCOUNTER_SPOT = (18.9, 56.2)  # open sea between Gotland and Latvia, far from ports

# Incidents: route (lon, lat), where the drag starts (km along the route), its length, speeds.
INCIDENTS: dict[str, dict[str, Any]] = {
    "eagle-s": dict(
        kind="anchor_drag", name="EAGLE S", imo=9329760, mmsi=518999101, ship_type=80, length=228,
        route=[(27.6, 59.95), (26.6, 59.95), (25.6, 59.93), (24.9, 59.88), (24.45, 59.87)],
        drag_start_km=75.0, drag_km=100.0, service_kn=12.0, drag_kn=6.0, dark=[],
        note="Estlink 2 (25 Dec 2024): tanker from Ust-Luga, 11 t anchor dragged ~90 km westward, stopped off "
             "Porkkala; speed dropped when the anchor began to drag"),
    "yi-peng-3": dict(
        kind="anchor_drag", name="YI PENG 3", imo=None, mmsi=414270000, ship_type=70, length=225,
        route=[(21.7, 59.2), (20.6, 58.55), (19.75, 57.55), (19.0, 56.45), (17.4, 55.65), (15.6, 55.05)],
        drag_start_km=205.0, drag_km=170.0, service_kn=12.0, drag_kn=7.0, dark=[(0.35, 0.75)],
        note="BCS East-West + C-Lion1 (17-18 Nov 2024): bulk carrier from Ust-Luga, anchor dragged > 160 km, "
             "AIS off for part of it (variant: dark for 35-75 % of the drag)"),
    "newnew-polar-bear": dict(
        kind="anchor_drag", name="NEWNEW POLAR BEAR", imo=None, mmsi=477999102, ship_type=71, length=169,
        route=[(20.8, 58.68), (21.7, 59.2), (22.8, 59.5), (23.5, 59.62), (24.2, 59.78), (24.9, 59.88),
               (25.6, 59.93)],
        drag_start_km=55.0, drag_km=185.0, service_kn=12.5, drag_kn=6.5, dark=[(0.3, 0.4)],
        note="Balticconnector (7-8 Oct 2023): container ship in a storm, anchor groove ~180 km crossing EE-S1, "
             "Balticconnector and a Finland-Estonia cable (variant: a short AIS blackout)"),
    "vezhen": dict(
        kind="anchor_drag", name="VEZHEN", imo=9937270, mmsi=256999103, ship_type=70, length=190,
        route=[(20.6, 58.55), (19.75, 57.55), (19.0, 56.45)],
        drag_start_km=65.0, drag_km=30.0, service_kn=11.0, drag_kn=6.0, dark=[],
        note="Ventspils-Gotland fibre (26 Jan 2025): bulk carrier crossed the cable with a dragging anchor "
             "(anchor locks failed; ruled an accident)"),
    "oresund-demo": dict(
        kind="anchor_drag", name="SIM NORDIC ANCHOR", imo=None, mmsi=636999201, ship_type=80, length=183,
        route=[(12.72, 55.62), (12.78, 55.35), (12.84, 55.05), (12.88, 54.80)],
        drag_start_km=16.0, drag_km=55.0, service_kn=12.0, drag_kn=6.0, dark=[], anchor_model=True,
        note="demo: a tanker leaves the Sound at service speed and drags its anchor south across the Baltic Pipe, "
             "the Rønne-Rødvig cable and the Baltic Cable, modelled on Eagle S"),
    "ais-gap": dict(
        kind="ais_gap", name="NORDIC SILENCE", imo=None, mmsi=273999104, ship_type=79, length=120,
        route=LANES["gulf_of_finland_baltic"][2:8], asset="Balticconnector", service_kn=11.0, approach_km=20.0,
        note="AIS switched off for 1-3 h within a few km of a pipeline/cable, then on again"),
    "rendezvous": dict(
        kind="encounter", name="OCEAN TRADER", imo=None, mmsi=636999105, ship_type=80, length=180,
        other=dict(name="BALTIC MIST", mmsi=538999106, ship_type=80, length=160),
        spot=ENCOUNTER_SPOT, service_kn=10.0,
        note="two tankers stopped within 300 m for 2-3 h away from ports (ship-to-ship transfer pattern)"),
}
SCENARIOS: dict[str, list[str]] = {
    "eagle-s": ["eagle-s"], "yi-peng-3": ["yi-peng-3"], "newnew-polar-bear": ["newnew-polar-bear"],
    "vezhen": ["vezhen"], "oresund-demo": ["oresund-demo"], "background": [],
    "mixed": ["eagle-s", "yi-peng-3", "newnew-polar-bear", "vezhen", "ais-gap", "rendezvous"],
}
MIDS = (230, 219, 220, 265, 266, 276, 275, 277, 261, 211, 273, 636, 538, 248, 256, 477, 351, 257)


# ---- scenario -----------------------------------------------------------------------------------------
@dataclass
class Incident:
    """An injected incident: a template name from ``INCIDENTS`` and when it starts (hours after the start)."""

    template: str
    start_h: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)  # overrides of the template's values


@dataclass
class Scenario:
    seed: int = 1
    start: float = 1_735_120_800.0  # 2024-12-25 10:00 UTC
    duration_h: float = 6.0
    transit: int = 10
    ferry: int = 2
    fishing: int = 3
    anchored: int = 3
    leisure: int = 1
    incidents: list[Incident] = field(default_factory=list)
    thin: float = 2.0
    static_every_s: float = 1800.0
    class_b_fishing_share: float = 0.3


@dataclass
class SimResult:
    lines: list[str]
    truth: list[dict]
    vessels: list[dict]
    scenario: Scenario

    @property
    def end(self) -> float:
        return self.scenario.start + self.scenario.duration_h * 3600


# ---- geometry helpers ---------------------------------------------------------------------------------
def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def offset(lat: float, lon: float, brg: float, dist_m: float) -> tuple[float, float]:
    """Point ``dist_m`` from (lat, lon) on bearing ``brg`` (flat approximation, fine for < 50 km)."""
    b = math.radians(brg)
    dlat = dist_m * math.cos(b) / 111_195.0
    dlon = dist_m * math.sin(b) / (111_195.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _poly_len(route: list[tuple[float, float]]) -> list[float]:
    cum = [0.0]
    for (x1, y1), (x2, y2) in zip(route, route[1:]):
        cum.append(cum[-1] + haversine_m(y1, x1, y2, x2))
    return cum


def point_along(route: list[tuple[float, float]], dist_m: float) -> tuple[float, float, int]:
    """(lat, lon, segment index) at ``dist_m`` along a (lon, lat) polyline (clamped to its ends)."""
    cum = _poly_len(route)
    dist_m = max(0.0, min(dist_m, cum[-1]))
    for i in range(len(route) - 1):
        if dist_m <= cum[i + 1] or i == len(route) - 2:
            seg = cum[i + 1] - cum[i]
            f = 0.0 if seg == 0 else (dist_m - cum[i]) / seg
            (x1, y1), (x2, y2) = route[i], route[i + 1]
            return y1 + f * (y2 - y1), x1 + f * (x2 - x1), i
    x, y = route[-1]
    return y, x, len(route) - 2


def distance_along(route: list[tuple[float, float]], lat: float, lon: float) -> float:
    """Metres along a (lon, lat) polyline to the point of it nearest to (lat, lon)."""
    from shapely.geometry import LineString, Point

    cum = _poly_len(route)
    best = (float("inf"), 0.0)
    for i, (a, b) in enumerate(zip(route, route[1:])):
        seg = LineString([a, b])
        f = seg.project(Point(lon, lat), normalized=True)
        d = seg.distance(Point(lon, lat))
        if d < best[0]:
            best = (d, cum[i] + f * (cum[i + 1] - cum[i]))
    return best[1]


def sub_route(route: list[tuple[float, float]], d0: float, d1: float) -> list[tuple[float, float]]:
    """The part of a (lon, lat) polyline between distances d0 < d1 along it."""
    cum = _poly_len(route)
    la, lo, i0 = point_along(route, d0)
    lb, lob, i1 = point_along(route, d1)
    pts = [(lo, la)] + [route[k] for k in range(i0 + 1, i1 + 1) if d0 < cum[k] < d1] + [(lob, lb)]
    return pts


# ---- vessel plans: keypoints (t, lat, lon, nav_status, ais_on) -----------------------------------------
@dataclass
class _Plan:
    t: float
    lat: float
    lon: float
    kp: list[tuple[float, float, float, int, bool]] = field(default_factory=list)
    heading_noise: float = 2.0
    # (t0, t1, f): between t0 and t1 the heading is the COG plus f(t - t0) (the anchor model's yaw)
    yaw: list[tuple[float, float, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.kp:
            self.kp.append((self.t, self.lat, self.lon, 0, True))

    def go(self, lat: float, lon: float, kn: float, status: int = 0, ais: bool = True) -> None:
        d = haversine_m(self.lat, self.lon, lat, lon)
        self.t += d / (kn * KNOT_MS) if kn > 0 else 0.0
        self.lat, self.lon = lat, lon
        self.kp.append((self.t, lat, lon, status, ais))

    def follow(self, route: list[tuple[float, float]], kn: float, status: int = 0, ais: bool = True) -> None:
        for lon, lat in route:
            if (lat, lon) != (self.lat, self.lon):
                self.go(lat, lon, kn, status, ais)

    def hold(self, seconds: float, rng: random.Random, radius_m: float = 60.0, status: int = 1,
             ais: bool = True, step_s: float = 600.0) -> None:
        """Stay (at anchor: swinging within ``radius_m`` of the current point)."""
        clat, clon = self.lat, self.lon
        end = self.t + seconds
        while self.t < end:
            dt = min(step_s, end - self.t)
            self.t += dt
            if self.t >= end:  # back over the anchor, so the next leg starts there
                lat, lon = clat, clon
            else:
                lat, lon = offset(clat, clon, rng.uniform(0, 360), rng.uniform(0, radius_m))
            self.kp.append((self.t, lat, lon, status, ais))
        self.lat, self.lon = clat, clon


@dataclass
class _Vessel:
    mmsi: int
    name: str
    ship_type: int
    length: float
    plan: _Plan
    cls: str = "A"
    imo: int | None = None
    callsign: str = ""
    destination: str = ""
    kind: str = "transit"

    def info(self) -> dict:
        return {"mmsi": self.mmsi, "name": self.name, "imo": self.imo, "ship_type": self.ship_type,
                "class": self.cls, "kind": self.kind}


def _state_at(kp: list, i: int, t: float) -> tuple[float, float, float, float, int, bool]:
    """(lat, lon, sog kn, cog, status, ais) at time t within keypoint segment i."""
    t0, la0, lo0, _, _ = kp[i]
    t1, la1, lo1, st, ais = kp[i + 1]
    f = 0.0 if t1 <= t0 else (t - t0) / (t1 - t0)
    lat, lon = la0 + f * (la1 - la0), lo0 + f * (lo1 - lo0)
    d = haversine_m(la0, lo0, la1, lo1)
    sog = d / (t1 - t0) / KNOT_MS if t1 > t0 else 0.0
    cog = bearing(la0, lo0, la1, lo1) if d > 1 else 0.0
    return lat, lon, sog, cog, st, ais


def _interval(cls: str, sog: float, status: int, thin: float) -> float:
    if cls == "B":
        return 30.0 * thin if sog > 2 else 180.0
    if status in (1, 5) and sog < 3:
        return 180.0
    base = 2.0 if sog > 23 else 6.0 if sog > 14 else 10.0
    return base * thin


def tag_block(ts: float, station: str = "dkfi-sim") -> str:
    body = f"s:{station},c:{int(ts)}"
    cs = 0
    for ch in body.encode("ascii"):
        cs ^= ch
    return f"\\{body}*{cs:02X}\\"


def _nmea_cs(body: str) -> int:
    c = 0
    for ch in body.encode("ascii"):
        c ^= ch
    return c

_ARMOR = [chr(v + 48 if v < 40 else v + 56) for v in range(64)]


def _fast_position(msg: dict) -> list[str] | None:
    """Types 1, 3 and 18 bit-packed directly (pyais's encoder is ~300 us a message); None for other types."""
    t = msg["type"]
    if t not in (1, 2, 3, 18):
        return None
    speed = int(msg["speed"] * 10.0) & 0x3FF
    lon = round(float(msg["lon"]) * 600000.0) & 0xFFFFFFF
    lat = round(float(msg["lat"]) * 600000.0) & 0x7FFFFFF
    course = int(float(msg["course"]) * 10.0) & 0xFFF
    heading = int(msg["heading"]) & 0x1FF
    sec = int(msg["second"]) & 0x3F
    mmsi = int(msg["mmsi"]) & 0x3FFFFFFF
    if t in (1, 2, 3):
        v = t
        v = (v << 2) << 30 | mmsi
        v = (v << 4) | (int(msg["status"]) & 0xF)
        v = (v << 8) | 0x80
        v = (v << 10) | speed
        v = (v << 1) | (1 if msg.get("accuracy") else 0)
        v = (v << 28) | lon
        v = (v << 27) | lat
        v = (v << 12) | course
        v = (v << 9) | heading
        v = (v << 6) | sec
        v = (v << 2) | 3  # manoeuvre indicator: pyais default "undefined" (3)
        v = v << (3 + 1 + 19)
    elif t == 18:
        v = (18 << 2) << 30 | mmsi
        v = v << 8
        v = (v << 10) | speed
        v = (v << 1) | (1 if msg.get("accuracy") else 0)
        v = (v << 28) | lon
        v = (v << 27) | lat
        v = (v << 12) | course
        v = (v << 9) | heading
        v = (v << 6) | sec
        v = (v << 2)
        v = (v << 1) | (1 if msg.get("cs") else 0)
        v = v << (6 + 20)
    else:
        return None
    payload = "".join(_ARMOR[(v >> s) & 0x3F] for s in range(162, -1, -6))
    body = f"AIVDM,1,1,,{'A' if mmsi % 2 else 'B'},{payload},0"
    return [f"!{body}*{_nmea_cs(body):02X}"]


def _encode(msg: dict) -> list[str]:
    fast = _fast_position(msg)  # the same sentences as pyais (tests/sim/test_sim.py checks), 25x faster
    if fast is not None:
        return fast
    msg.setdefault("msg_type", msg["type"])  # pyais takes the class from "type", the header from "msg_type"
    return encode_dict(msg, talker_id="AI", sentence_type="VDM", radio_channel="A" if msg["mmsi"] % 2 else "B")


# ---- assets and land ---------------------------------------------------------------------------------
def load_assets(assets: Any = None) -> list[tuple[str, str, Any]]:
    """(name, kind, shapely geometry) of assets given as None (packaged set), a GeoJSON path or dict,
    an ``AssetIndex`` (``.assets``), or objects/tuples with name, kind, geometry."""
    from shapely.geometry import shape

    if assets is None:
        assets = DATA_DIR / "assets.geojson"
    if isinstance(assets, (str, Path)):
        assets = json.loads(Path(assets).read_text())
    if isinstance(assets, dict):
        return [(f["properties"].get("name", "?"), f["properties"].get("kind", "cable"), shape(f["geometry"]))
                for f in assets.get("features", []) if f.get("geometry")]
    if hasattr(assets, "assets"):
        assets = assets.assets
    out = []
    for a in assets:
        if isinstance(a, tuple):
            out.append(a)
        else:
            out.append((a.name, getattr(a, "kind", "cable"), a.geometry))
    return out


_LAND_CACHE: dict[str, Any] = {}


def load_land(path: str | Path | None = None) -> Any:
    """Land as one prepared shapely geometry (the packaged Natural Earth land unless a file is named)."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    key = str(path or DATA_DIR / "land.geojson")
    if key not in _LAND_CACHE:
        data = json.loads(Path(key).read_text())
        geoms = [shape(f["geometry"]).buffer(0) for f in data.get("features", []) if f.get("geometry")]
        _LAND_CACHE[key] = unary_union(geoms)
    return _LAND_CACHE[key]


def check_lanes(land: Any = None) -> dict[str, float]:
    """Length (degrees) of each lane, ferry route and incident route that runs over land: all 0 when fine."""
    from shapely.geometry import LineString

    land = land if land is not None else load_land()
    routes = {**{f"lane:{k}": v for k, v in LANES.items()}, **{f"ferry:{k}": v[0] for k, v in FERRIES.items()},
              **{f"incident:{k}": v["route"] for k, v in INCIDENTS.items() if "route" in v}}
    return {k: LineString(r).intersection(land).length for k, r in routes.items()}


def _crossings(path: list[tuple[float, float, float]], assets: list[tuple[str, str, Any]]) -> list[dict]:
    """Asset crossings of a timed path [(t, lat, lon)...], in order: asset, kind, ts, lat, lon."""
    from shapely.geometry import LineString, Point

    out = []
    for (t0, la0, lo0), (t1, la1, lo1) in zip(path, path[1:]):
        seg = LineString([(lo0, la0), (lo1, la1)])
        if seg.length == 0:
            continue
        for name, kind, geom in assets:
            if not seg.intersects(geom):
                continue
            inter = seg.intersection(geom)
            pts = [inter] if inter.geom_type == "Point" else [g for g in getattr(inter, "geoms", [])
                                                               if g.geom_type == "Point"]
            if not pts and not inter.is_empty:
                pts = [inter.centroid]
            for pt in pts:
                f = seg.project(Point(pt.x, pt.y)) / seg.length
                out.append({"asset": name, "kind": kind, "ts": round(t0 + f * (t1 - t0), 1),
                            "lat": round(pt.y, 5), "lon": round(pt.x, 5)})
    out.sort(key=lambda c: c["ts"])
    return out


# ---- the simulator -----------------------------------------------------------------------------------
class _Sim:
    def __init__(self, sc: Scenario, assets: list[tuple[str, str, Any]]) -> None:
        self.sc = sc
        self.rng = random.Random(sc.seed)
        self.assets = assets
        self.t0 = sc.start
        self.t_end = sc.start + sc.duration_h * 3600
        self.vessels: list[_Vessel] = []
        self.truth: list[dict] = []
        self.used_mmsi: set[int] = set()

    # identities
    def mmsi(self, mid: int | None = None) -> int:
        while True:
            m = (mid or self.rng.choice(MIDS)) * 1_000_000 + self.rng.randrange(100_000, 999_999)
            if m not in self.used_mmsi:
                self.used_mmsi.add(m)
                return m

    def name(self, prefix: str) -> str:
        words = ["BALTIC", "NORDIC", "AURORA", "POLARIS", "SEA", "WIND", "STAR", "CARRIER", "SPIRIT", "TRADER",
                 "HAVEN", "LIGHT", "BREEZE", "GULL", "FALCON", "RIVER"]
        return f"{prefix}{self.rng.choice(words)} {self.rng.choice(words)} {self.rng.randrange(1, 99)}".strip()

    def imo(self) -> int:
        while True:
            six = self.rng.randrange(930_000, 999_999)
            digits = [int(c) for c in str(six)]
            chk = sum(d * w for d, w in zip(digits, range(7, 1, -1))) % 10
            return six * 10 + chk

    def add(self, v: _Vessel) -> _Vessel:
        self.vessels.append(v)
        self.used_mmsi.add(v.mmsi)
        return v

    def _asset_clearance_m(self, lat: float, lon: float) -> float:
        """Approximate distance (m, a lower bound) from (lat, lon) to the nearest asset line."""
        from shapely.geometry import Point

        if not self.assets:
            return float("inf")
        pt = Point(lon, lat)
        deg = min(g.distance(pt) for _, _, g in self.assets)
        return deg * 111_195.0 * math.cos(math.radians(lat))

    # background traffic
    def transit(self) -> None:
        rng = self.rng
        lane_name = rng.choice(list(LANES))
        route = list(LANES[lane_name])
        if rng.random() < 0.5:
            route.reverse()
        total = _poly_len(route)[-1]
        kn = rng.uniform(10, 14)
        d0 = rng.uniform(0, total * 0.8)
        lat, lon, i = point_along(route, d0)
        plan = _Plan(self.t0 - rng.uniform(0, 60), lat, lon)
        # sail on to the end, then back, until the scenario is over
        plan.follow(route[i + 1:], kn)
        k = 0
        while plan.t < self.t_end:
            plan.follow((list(reversed(route)) if k % 2 == 0 else route)[1:], kn)
            k += 1
        st = rng.choice([70, 70, 71, 79, 80, 80, 82, 89])
        self.add(_Vessel(self.mmsi(), self.name(""), st, rng.choice([90, 120, 150, 180, 230]), plan,
                         imo=self.imo(), kind="transit", destination=lane_name.split("_")[-1].upper()[:20]))

    def ferry(self, n: int) -> None:
        rng = self.rng
        names = list(FERRIES)
        route, kn = FERRIES[names[n % len(names)]]
        route = list(route)
        if n // len(names) % 2:
            route.reverse()
        lon, lat = route[0]
        plan = _Plan(self.t0 - rng.uniform(0, 1800), lat, lon)
        plan.kp[0] = (plan.t, lat, lon, 5, True)
        k = 0
        while plan.t < self.t_end:
            plan.hold(rng.uniform(1800, 3600), rng, radius_m=20, status=5, step_s=900)
            leg = route if k % 2 == 0 else list(reversed(route))
            total = _poly_len(leg)[-1]
            # at service speed, then slowing into the berth (ferries do not stop dead from 15-20 kn)
            plan.follow(sub_route(leg, 0, total - 1500)[1:], kn * rng.uniform(0.95, 1.05))
            plan.follow(sub_route(leg, total - 1500, total - 200)[1:], 6.0)
            plan.follow(sub_route(leg, total - 200, total)[1:], 2.0)
            k += 1
        self.add(_Vessel(self.mmsi(rng.choice((230, 276, 219, 211, 265))), self.name("FERRY "), 60,
                         rng.choice([150, 190, 210]), plan, imo=self.imo(), kind="ferry"))

    def fishing(self, n: int) -> None:
        rng = self.rng
        names = list(FISHING_AREAS)
        x0, y0, x1, y1 = FISHING_AREAS[names[n % len(names)]]
        lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
        plan = _Plan(self.t0 - rng.uniform(0, 600), lat, lon)
        plan.kp[0] = (plan.t, lat, lon, 7, True)
        brg = rng.uniform(0, 360)
        while plan.t < self.t_end:
            brg = (brg + rng.choice((-1, 1)) * rng.uniform(100, 160)) % 360  # zig-zag
            la, lo = offset(plan.lat, plan.lon, brg, rng.uniform(1500, 4000))
            la, lo = min(max(la, y0), y1), min(max(lo, x0), x1)
            plan.go(la, lo, rng.uniform(2, 5), status=7)
        cls = "B" if rng.random() < self.sc.class_b_fishing_share else "A"
        self.add(_Vessel(self.mmsi(rng.choice((219, 220, 265, 261, 230))), self.name("FV "), 30,
                         rng.choice([18, 24, 32, 40]), plan, cls=cls, imo=None if cls == "B" else self.imo(),
                         kind="fishing"))

    def anchored(self, n: int) -> None:
        rng = self.rng
        names = list(ANCHORAGES)
        lon0, lat0 = ANCHORAGES[names[n % len(names)]]
        # anchorages are charted clear of cable and pipeline areas: keep 3 km from every asset line
        for _ in range(50):
            lat, lon = offset(lat0, lon0, rng.uniform(0, 360), rng.uniform(0, 1500))
            if self._asset_clearance_m(lat, lon) >= 3000.0:
                break
        else:
            lat, lon = lat0, lon0
        plan = _Plan(self.t0 - 600, lat, lon)
        plan.kp[0] = (plan.t, lat, lon, 1, True)
        plan.hold(self.t_end - plan.t + 600, rng, radius_m=rng.uniform(40, 120), status=1)
        self.add(_Vessel(self.mmsi(), self.name(""), rng.choice([70, 80, 89]), rng.choice([120, 180, 240]),
                         plan, imo=self.imo(), kind="anchored"))

    def leisure(self) -> None:
        rng = self.rng
        route = LANES[rng.choice(list(LANES))]
        total = _poly_len(route)[-1]
        d0 = rng.uniform(0, total * 0.7)
        part = sub_route(route, d0, min(total, d0 + rng.uniform(20_000, 60_000)))
        lon, lat = part[0]
        plan = _Plan(self.t0 - rng.uniform(0, 600), lat, lon)
        k = 0
        while plan.t < self.t_end:
            plan.follow((part if k % 2 == 0 else list(reversed(part)))[1:], rng.uniform(5, 8))
            k += 1
        self.add(_Vessel(self.mmsi(rng.choice((219, 230, 265, 211))), self.name("SY "), 37, 12, plan, cls="B",
                         kind="leisure"))

    # incidents
    def incident(self, inc: Incident) -> None:
        tpl = {**INCIDENTS[inc.template], **inc.params}
        t_start = self.t0 + inc.start_h * 3600
        kind = tpl["kind"]
        if kind == "anchor_drag":
            self._drag(inc.template, tpl, t_start)
        elif kind == "ais_gap":
            self._gap(inc.template, tpl, t_start)
        elif kind == "encounter":
            self._rendezvous(inc.template, tpl, t_start)
        else:
            raise ValueError(f"unknown incident kind {kind!r}")

    def _drag(self, name: str, tpl: dict, t_start: float) -> None:
        rng = self.rng
        route = tpl["route"]
        total = _poly_len(route)[-1]
        d_drag0 = tpl["drag_start_km"] * 1000
        d_drag1 = min(total, d_drag0 + tpl["drag_km"] * 1000)
        lon, lat = route[0]
        plan = _Plan(t_start, lat, lon)
        plan.follow(sub_route(route, 0, d_drag0)[1:], tpl["service_kn"])
        t_drag0 = plan.t
        drag_len = d_drag1 - d_drag0
        motion = None
        if tpl.get("anchor_model"):  # the bow held by the chain: yaw and surging speed (sim/anchor.py)
            from dkfi.sim.anchor import under_way_drag

            motion = under_way_drag(random.Random(rng.random()), 0.0, tpl["drag_kn"])
            plan.yaw.append((t_drag0, float("inf"), motion.heading))
        # the drag, split where the AIS goes dark and comes back
        cuts = sorted({0.0, 1.0, *[f for span in tpl.get("dark", []) for f in span]})
        dark_spans = []
        for f0, f1 in zip(cuts, cuts[1:]):
            dark = any(a <= f0 < b for a, b in tpl.get("dark", []))
            part = sub_route(route, d_drag0 + f0 * drag_len, d_drag0 + f1 * drag_len)
            ts0 = plan.t
            if motion is not None:
                self._drag_part(plan, part, motion, t_drag0, ais=not dark)
            else:
                plan.follow(part[1:], tpl["drag_kn"], status=0, ais=not dark)
            if dark:
                dark_spans.append((ts0, plan.t))
        t_drag1 = plan.t
        if motion is not None:
            plan.yaw[-1] = (t_drag0, t_drag1, motion.heading)
        # stopped after the drag (boarded / anchored), or carries on at service speed
        if tpl.get("after", "stop") == "stop" or d_drag1 >= total:
            plan.hold(3 * 3600, rng, radius_m=50, status=1)
        else:
            plan.follow(sub_route(route, d_drag1, total)[1:], tpl["service_kn"])
        v = self.add(_Vessel(tpl["mmsi"], tpl["name"], tpl["ship_type"], tpl["length"], plan, imo=tpl.get("imo"),
                             kind="incident", destination=tpl.get("destination", "")))
        v.plan.heading_noise = 3.0
        path = [(t, la, lo) for t, la, lo, _, _ in plan.kp if t_drag0 - 1e-6 <= t <= t_drag1 + 1e-6]
        # time at which the drag had covered 10 km
        t10, acc = None, 0.0
        for (ta, la0, lo0), (tb, la1, lo1) in zip(path, path[1:]):
            seg = haversine_m(la0, lo0, la1, lo1)
            if acc + seg >= 10_000:
                t10 = ta + (10_000 - acc) / seg * (tb - ta)
                break
            acc += seg
        crossings = _crossings(path, self.assets)
        self.truth.append({
            "incident": name, "kind": "anchor_drag", "mmsi": v.mmsi, "name": v.name, "imo": v.imo,
            "start": round(t_drag0, 1), "end": round(t_drag1, 1), "t_10km": round(t10, 1) if t10 else None,
            "drag_km": round(drag_len / 1000, 1), "service_speed_kn": tpl["service_kn"],
            "drag_speed_kn": tpl["drag_kn"], "nav_status": 0,
            "assets_crossed": list(dict.fromkeys(c["asset"] for c in crossings)), "crossings": crossings,
            "dark": [[round(a, 1), round(b, 1)] for a, b in dark_spans], "note": tpl.get("note", ""),
        })
        for a, b in dark_spans:
            dark_path = [(t, la, lo) for t, la, lo, _, _ in plan.kp if a - 1e-6 <= t <= b + 1e-6]
            cr = _crossings(dark_path, self.assets)
            self.truth.append({
                "incident": name, "kind": "ais_gap", "mmsi": v.mmsi, "name": v.name, "start": round(a, 1),
                "end": round(b, 1), "duration_s": round(b - a, 1),
                "assets_crossed": list(dict.fromkeys(c["asset"] for c in cr)), "crossings": cr,
                "note": "AIS off during the anchor drag"})

    @staticmethod
    def _drag_part(plan: _Plan, part: list[tuple[float, float]], motion: Any, t_drag0: float, ais: bool) -> None:
        """Follow ``part`` at the anchor model's surging speed (keypoints every 10 s)."""
        total = _poly_len(part)[-1]
        d = 0.0
        while d < total:
            v = max(0.3, motion.speed(plan.t - t_drag0)) * KNOT_MS
            step = min(v * 10.0, total - d)
            d += step
            lat, lon, _ = point_along(part, d)
            plan.t += step / v
            plan.lat, plan.lon = lat, lon
            plan.kp.append((plan.t, lat, lon, 0, ais))

    def _gap(self, name: str, tpl: dict, t_start: float) -> None:
        from shapely.geometry import LineString

        rng = self.rng
        route = tpl["route"]
        asset = next((a for a in self.assets if a[0].startswith(tpl["asset"])), None)
        cum = _poly_len(route)
        d_gap = cum[-1] / 2
        if asset is not None:
            inter = LineString(route).intersection(asset[2])
            if not inter.is_empty:
                pt = inter if inter.geom_type == "Point" else list(inter.geoms)[0]
                d_gap = distance_along(route, pt.y, pt.x)
        d_off = max(0.0, d_gap - rng.uniform(1500, 3000))  # goes silent a few km before the asset
        d_begin = max(0.0, d_off - tpl.get("approach_km", 20.0) * 1000)
        lat, lon, _ = point_along(route, d_begin)
        plan = _Plan(t_start, lat, lon)
        plan.follow(sub_route(route, d_begin, d_off)[1:], tpl["service_kn"])
        t_off = plan.t
        gap_s = rng.uniform(3600, 3 * 3600)
        # dark: slows to 2-3 kn, moves over the asset and loiters near it, then reappears
        d_on = d_gap + rng.uniform(1000, 2500)
        mid = sub_route(route, d_off, d_on)
        length = _poly_len(mid)[-1]
        plan.follow(mid[1:], max(0.5, length / gap_s / KNOT_MS), status=0, ais=False)
        t_on = plan.t
        plan.follow(sub_route(route, d_on, cum[-1])[1:], tpl["service_kn"])
        v = self.add(_Vessel(tpl["mmsi"], tpl["name"], tpl["ship_type"], tpl["length"], plan, imo=tpl.get("imo"),
                             kind="incident"))
        path = [(t, la, lo) for t, la, lo, _, _ in plan.kp if t_off - 1e-6 <= t <= t_on + 1e-6]
        cr = _crossings(path, self.assets)
        self.truth.append({
            "incident": name, "kind": "ais_gap", "mmsi": v.mmsi, "name": v.name, "start": round(t_off, 1),
            "end": round(t_on, 1), "duration_s": round(t_on - t_off, 1), "asset": asset[0] if asset else None,
            "assets_crossed": list(dict.fromkeys(c["asset"] for c in cr)), "crossings": cr,
            "note": tpl.get("note", "")})

    def _rendezvous(self, name: str, tpl: dict, t_start: float) -> None:
        rng = self.rng
        slon, slat = tpl["spot"]
        together = rng.uniform(2 * 3600, 3 * 3600)
        other = tpl["other"]
        plans = []
        meet_t = t_start + 2 * 3600  # both arrive after about two hours of steaming
        for k, (brg_in, brg_out) in enumerate(((200.0, 20.0), (110.0, 300.0))):
            dist_in = tpl["service_kn"] * KNOT_MS * 2 * 3600
            la0, lo0 = offset(slat, slon, brg_in, dist_in)  # start point, 2 h away
            plan = _Plan(meet_t - 2 * 3600, la0, lo0)
            # side by side: 100-250 m apart
            mla, mlo = offset(slat, slon, 90.0, 0 if k == 0 else rng.uniform(100, 250))
            plan.go(mla, mlo, tpl["service_kn"] * 0.98)
            plan.t = meet_t
            plan.kp[-1] = (meet_t, mla, mlo, 0, True)
            plan.hold(together, random.Random(rng.random()), radius_m=25, status=0, step_s=300)
            la1, lo1 = offset(mla, mlo, brg_out, dist_in)
            plan.go(la1, lo1, tpl["service_kn"])
            plans.append(plan)
        a = self.add(_Vessel(tpl["mmsi"], tpl["name"], tpl["ship_type"], tpl["length"], plans[0], kind="incident"))
        b = self.add(_Vessel(other["mmsi"], other["name"], other["ship_type"], other["length"], plans[1],
                             kind="incident"))
        lo, hi = sorted((a.mmsi, b.mmsi))
        self.truth.append({
            "incident": name, "kind": "encounter", "mmsi": lo, "other_mmsi": hi, "names": [a.name, b.name],
            "start": round(meet_t, 1), "end": round(meet_t + together, 1), "duration_s": round(together, 1),
            "lat": slat, "lon": slon, "max_distance_m": 300, "assets_crossed": [], "note": tpl.get("note", "")})

    # output
    def messages(self, v: _Vessel) -> Iterable[tuple[float, int, list[str]]]:
        rng = random.Random(v.mmsi * 7919 + self.sc.seed)
        kp = v.plan.kp
        if len(kp) < 2:
            return
        t = max(self.t0, kp[0][0]) + rng.uniform(0, 10)
        next_static = t + rng.uniform(0, min(360.0, self.sc.static_every_s))
        i = 0
        seq = 0
        while t <= self.t_end and t <= kp[-1][0]:
            while i < len(kp) - 2 and kp[i + 1][0] < t:
                i += 1
            lat, lon, sog, cog, status, ais = _state_at(kp, i, t)
            interval = _interval(v.cls, sog, status, self.sc.thin) * rng.uniform(0.9, 1.1)
            if ais:
                if t >= next_static:
                    for m in self._static_msgs(v):
                        seq = (seq + 1) % 10
                        yield t, 0, m
                    next_static = t + self.sc.static_every_s
                moving = sog > 0.3
                sog_r = max(0.0, sog + rng.gauss(0, 0.15)) if moving else rng.uniform(0, 0.2)
                cog_r = (cog + rng.gauss(0, 1.5)) % 360 if moving else rng.uniform(0, 359.9)
                yaw = next((f(t - a) for a, b, f in v.plan.yaw if a <= t < b), 0.0)
                heading = int(round((cog + yaw + rng.gauss(0, v.plan.heading_noise)) % 360)) % 360 if moving \
                    else int(rng.uniform(0, 359))
                jlat, jlon = offset(lat, lon, rng.uniform(0, 360), abs(rng.gauss(0, 4)))  # GPS noise, metres
                sec = int(t) % 60
                if v.cls == "A":
                    msg = {"type": 3 if status in (1, 5) else 1, "mmsi": v.mmsi, "status": status,
                           "speed": round(min(sog_r, 102.2), 1), "lat": round(jlat, 6), "lon": round(jlon, 6),
                           "course": round(cog_r, 1), "heading": heading, "second": sec, "accuracy": 1}
                else:
                    msg = {"type": 18, "mmsi": v.mmsi, "speed": round(min(sog_r, 102.2), 1),
                           "lat": round(jlat, 6), "lon": round(jlon, 6), "course": round(cog_r, 1),
                           "heading": heading, "second": sec, "cs": 1}
                yield t, 1, _encode(msg)
            t += interval

    def _static_msgs(self, v: _Vessel) -> list[list[str]]:
        if v.cls == "A":
            bow = int(v.length * 0.8)
            return [_encode({"type": 5, "mmsi": v.mmsi, "ais_version": 2, "imo": v.imo or 0,
                             "callsign": v.callsign or f"S{v.mmsi % 100000:05d}", "shipname": v.name[:20],
                             "ship_type": v.ship_type, "to_bow": bow, "to_stern": int(v.length) - bow,
                             "to_port": max(1, int(v.length / 14)), "to_starboard": max(1, int(v.length / 14)),
                             "epfd": 1, "draught": round(min(25.5, v.length / 25), 1),
                             "destination": v.destination[:20], "month": 0, "day": 0, "hour": 24, "minute": 60})]
        return [_encode({"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": v.name[:20]}),
                _encode({"type": 24, "mmsi": v.mmsi, "partno": 1, "ship_type": v.ship_type,
                         "callsign": v.callsign or f"B{v.mmsi % 100000:05d}", "to_bow": 6, "to_stern": 6,
                         "to_port": 2, "to_starboard": 2})]


def simulate(scenario: Scenario, assets: Any = None) -> SimResult:
    """Simulate ``scenario``: NMEA lines (sorted by time) and the ground truth of its incidents.

    ``assets``: None for the packaged Baltic set, a GeoJSON path or dict, an ``AssetIndex``, or objects /
    tuples with name, kind and a shapely geometry (used for the truth's asset crossings).
    """
    sim = _Sim(scenario, load_assets(assets))
    for inc in scenario.incidents:
        sim.incident(inc)
    for _ in range(scenario.transit):
        sim.transit()
    for n in range(scenario.ferry):
        sim.ferry(n)
    for n in range(scenario.fishing):
        sim.fishing(n)
    for n in range(scenario.anchored):
        sim.anchored(n)
    for _ in range(scenario.leisure):
        sim.leisure()
    timed: list[tuple[float, int, int, list[str]]] = []
    for k, v in enumerate(sim.vessels):
        for t, prio, sentences in sim.messages(v):
            timed.append((t, k, prio, sentences))
    timed.sort(key=lambda x: (int(x[0]), x[1], x[2]))
    lines: list[str] = []
    for t, _, _, sentences in timed:
        tb = tag_block(t)
        lines.extend(tb + s for s in sentences)
    truth = sorted(sim.truth, key=lambda d: (d["start"], d["kind"]))
    return SimResult(lines, truth, [v.info() for v in sim.vessels], scenario)


def write(result: SimResult, nmea_path: str | Path, truth_path: str | Path) -> None:
    """The NMEA lines to ``nmea_path`` and the truth (with the scenario and vessel list) as JSON."""
    Path(nmea_path).write_text("\n".join(result.lines) + "\n", encoding="ascii")
    sc = result.scenario
    doc = {
        "scenario": {"seed": sc.seed, "start": sc.start,
                     "start_iso": datetime.fromtimestamp(sc.start, tz=timezone.utc).isoformat(),
                     "duration_h": sc.duration_h, "transit": sc.transit, "ferry": sc.ferry, "fishing": sc.fishing,
                     "anchored": sc.anchored, "leisure": sc.leisure, "thin": sc.thin,
                     "incidents": [{"template": i.template, "start_h": i.start_h, "params": i.params}
                                   for i in sc.incidents]},
        "synthetic": True,
        "lines": len(result.lines),
        "incidents": result.truth,
        "vessels": result.vessels,
    }
    Path(truth_path).write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")


# ---- named scenarios ---------------------------------------------------------------------------------
def _incident_hours(template: str) -> float:
    """Hours an incident needs from its start to the end of its interesting part (plus a margin)."""
    tpl = INCIDENTS[template]
    if tpl["kind"] == "anchor_drag":
        return (tpl["drag_start_km"] / (tpl["service_kn"] * 1.852) + tpl["drag_km"] / (tpl["drag_kn"] * 1.852)
                + 1.0)
    if tpl["kind"] == "ais_gap":
        return tpl.get("approach_km", 20.0) / (tpl["service_kn"] * 1.852) + 4.0
    return 7.5  # rendezvous: 2 h approach, up to 3 h together, some departure


def named_scenario(name: str, seed: int = 1, vessels: int = 30, hours: float | None = None,
                   thin: float = 2.0) -> Scenario:
    """A named scenario (``SCENARIOS``) with ``vessels`` background vessels split over the kinds. ``hours``
    is raised, when needed, so that every incident fits."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    templates = SCENARIOS[name]
    incidents = []
    for k, tpl in enumerate(templates):
        incidents.append(Incident(tpl, start_h=0.5 + 0.25 * k))
    need = max([_incident_hours(t) + i.start_h for t, i in zip(templates, incidents)], default=0.0)
    hours = max(hours or 0.0, need) or 6.0
    n = max(0, vessels)
    counts = dict(transit=round(n * 0.55), ferry=round(n * 0.1), fishing=round(n * 0.15), anchored=round(n * 0.12))
    counts["leisure"] = max(0, n - sum(counts.values()))
    start = 1_735_120_800.0 if name == "eagle-s" else 1_731_834_000.0 if name == "yi-peng-3" else \
        1_696_694_400.0 if name == "newnew-polar-bear" else 1_737_849_600.0 if name == "vezhen" else 1_735_120_800.0
    start -= 3600  # the incident ship sets out about an hour in
    return Scenario(seed=seed, start=start, duration_h=hours, incidents=incidents, thin=thin, **counts)


def run_sim_cli(out: Path, scenario_name: str, seed: int = 1, vessels: int = 30, hours: float = 6.0) -> dict:
    """Write ``<out>.nmea`` and ``<out>.truth.json`` for a named scenario; returns a summary."""
    out = Path(out)
    if out.suffix in (".nmea", ".json"):
        out = out.with_suffix("")
    out.parent.mkdir(parents=True, exist_ok=True)
    sc = named_scenario(scenario_name, seed=seed, vessels=vessels, hours=hours)
    res = simulate(sc)
    nmea_path = out.parent / (out.name + ".nmea")
    truth_path = out.parent / (out.name + ".truth.json")
    write(res, nmea_path, truth_path)
    return {"scenario": scenario_name, "seed": seed, "vessels": len(res.vessels), "hours": sc.duration_h,
            "hours_extended": sc.duration_h > hours, "lines": len(res.lines), "incidents": len(res.truth),
            "nmea": str(nmea_path), "truth": str(truth_path),
            "truth_summary": [{"kind": t["kind"], "incident": t["incident"], "mmsi": t["mmsi"],
                               "assets_crossed": t.get("assets_crossed", [])} for t in res.truth]}
