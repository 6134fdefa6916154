"""Critical seabed infrastructure, land and ports as fast geometric indexes for the detectors.

* :class:`Asset` and :func:`load_assets`: any asset GeoJSON (the packaged Baltic demo set, or a
  ministry's own routes and areas) becomes a list of assets with a corridor width, and a list of the
  features left out with the reason for each (:class:`AssetLoad`; :func:`load_assets_geojson` gives
  only the list of assets).
* :class:`AssetIndex`: ``near(lat, lon)`` (assets whose corridor holds a point, nearest first) and
  ``crossings(p1, p2)`` (asset lines a track segment crosses, areas it enters). Both are called for every position
  report, so they answer from a lazily filled grid cache: each 2 km cell remembers the few asset
  segments that can matter inside it, and most of the sea answers with one dictionary look-up.
* :class:`LandIndex`: ``on_land(lat, lon)`` with an inward tolerance (coastal berths are not "on land").
* :class:`PortIndex`: ``near_port(lat, lon, radius_m)`` over the NGA World Port Index.

Projection. Geometry is projected to a spherical azimuthal-equidistant plane centred on 58 N 20 E
(:func:`project`). Distances from the centre are exact; elsewhere the scale error across the radial
direction is ``c / sin(c) - 1`` for an angular distance ``c`` from the centre: 0.04 % at 300 km
(Gotland, Gulf of Riga), 0.2 % at 700 km (Gulf of Finland's east end, Bothnian Bay), 0.33 % at
900 km (the far corners of the Baltic box: Kiel, Skagerrak). For a 1852 m corridor that is at most
about 6 m, far below the accuracy of the schematic routes themselves.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from dkfi.watch.detectors.base import EARTH_RADIUS_M, haversine_m

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"

LAT0, LON0 = 58.0, 20.0
_PHI0 = math.radians(LAT0)
_SIN0, _COS0 = math.sin(_PHI0), math.cos(_PHI0)
_LAM0 = math.radians(LON0)
_D2R = math.pi / 180.0

LINE_KINDS = ("cable", "pipeline", "power")
AREA_KINDS = ("wind_farm", "platform", "area")
KINDS = LINE_KINDS + AREA_KINDS
# criticality when the file does not say: power links, pipelines, wind farms and platforms 3, telecom cables and
# other areas 2, planned 1
_DEFAULT_CRITICALITY = {"power": 3, "pipeline": 3, "cable": 2, "wind_farm": 3, "platform": 3, "area": 2}
# how the kinds read in counts: "53 cables, 19 pipelines, 19 power links, 2 wind farms"
KIND_PLURALS = {"cable": "cables", "pipeline": "pipelines", "power": "power links", "wind_farm": "wind farms",
                "platform": "platforms", "area": "areas"}
LINE_TYPES = ("LineString", "MultiLineString")
AREA_TYPES = ("Polygon", "MultiPolygon")


def kind_words(kind: str, n: int = 1) -> str:
    """``cable`` / ``cables``, ``power link`` / ``power links``, ``wind farm`` / ``wind farms``."""
    if n != 1:
        return KIND_PLURALS.get(kind, kind.replace("_", " "))
    return {"power": "power link"}.get(kind, kind.replace("_", " "))


# --- projection ------------------------------------------------------------------------------

def project(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in degrees -> (x, y) metres on the azimuthal-equidistant plane at 58 N 20 E."""
    phi = lat * _D2R
    dl = lon * _D2R - _LAM0
    sp, cp = math.sin(phi), math.cos(phi)
    cdl = math.cos(dl)
    cc = _SIN0 * sp + _COS0 * cp * cdl
    if cc > 1.0:
        cc = 1.0
    c = math.acos(cc)
    k = EARTH_RADIUS_M * (c / math.sin(c) if c > 1e-9 else 1.0)
    return k * cp * math.sin(dl), k * (_COS0 * sp - _SIN0 * cp * cdl)


def project_array(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`project`."""
    phi = np.radians(lat)
    dl = np.radians(lon) - _LAM0
    sp, cp, cdl = np.sin(phi), np.cos(phi), np.cos(dl)
    c = np.arccos(np.clip(_SIN0 * sp + _COS0 * cp * cdl, -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(c > 1e-9, c / np.sin(c), 1.0) * EARTH_RADIUS_M
    return k * cp * np.sin(dl), k * (_COS0 * sp - _SIN0 * cp * cdl)


def project_geometry(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat geometry on the metric plane."""
    def f(coords: np.ndarray) -> np.ndarray:
        x, y = project_array(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])
    return shapely.transform(geom, f)


def _latlon(p: Any) -> tuple[float, float]:
    """(lat, lon) of a Position/TrackPoint-like object or a (lat, lon) pair."""
    if hasattr(p, "lat"):
        return p.lat, p.lon
    return float(p[0]), float(p[1])


# --- assets ----------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Asset:
    """One seabed asset: a cable, a pipeline or a power link (a line), or a wind farm, a platform or another
    area (a polygon), with the corridor watched around it."""

    id: str
    name: str
    kind: str                      # cable | pipeline | power (lines); wind_farm | platform | area (areas)
    owners: tuple[str, ...]
    criticality: int               # 1 (low) .. 3 (high)
    geometry: BaseGeometry         # (Multi)LineString or (Multi)Polygon, lon/lat (EPSG:4326)
    corridor_m: float = 1852.0     # half-width of the watched corridor (for an area: the margin around it)

    @property
    def is_area(self) -> bool:
        """A (Multi)Polygon: a point inside it is at distance 0, its corridor is the area and the margin."""
        return self.geometry.geom_type in AREA_TYPES

    def __repr__(self) -> str:
        return f"Asset({self.id!r}, {self.name!r}, {self.kind}, corridor={self.corridor_m:.0f} m)"


def default_assets_path() -> Path:
    """The packaged Baltic demo set (see ``dkfi/data/geo/ATTRIBUTION.md`` for licences)."""
    return DATA_DIR / "assets.geojson"


class AssetFileError(ValueError):
    """An asset file that cannot be read as GeoJSON features at all; the message names the file."""


@dataclass(frozen=True)
class SkippedFeature:
    """A feature of an asset file that did not become an asset (or, in ``AssetLoad.notes``, one that did, with a
    value replaced). ``index``: its place in the file's ``features`` array, from 0 (``.features[7]`` in jq)."""

    index: int
    name: str | None
    reason: str

    def __str__(self) -> str:
        return f"feature {self.index}" + (f" {self.name!r}" if self.name else "") + f": {self.reason}"

    def as_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "reason": self.reason}


@dataclass
class AssetLoad:
    """What :func:`load_assets` made of a file: the assets, every feature skipped with its reason, and notes
    on features loaded with a value replaced (a bad ``corridor_m`` or ``criticality``, a repaired polygon)."""

    assets: list[Asset]
    skipped: list[SkippedFeature] = field(default_factory=list)
    notes: list[SkippedFeature] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.assets)

    def counts(self) -> dict[str, int]:
        """Assets by kind, the known kinds first."""
        got: dict[str, int] = {}
        for a in self.assets:
            got[a.kind] = got.get(a.kind, 0) + 1
        order = {k: i for i, k in enumerate(KINDS)}
        return dict(sorted(got.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    def summary(self) -> str:
        """``91 loaded (53 cables, 19 pipelines, 19 power links), 2 skipped``."""
        kinds = ", ".join(f"{n} {kind_words(k, n)}" for k, n in self.counts().items())
        return f"{len(self.assets)} loaded" + (f" ({kinds})" if kinds else "") + f", {len(self.skipped)} skipped"

    def as_dict(self) -> dict:
        return {"source": self.source, "count": len(self.assets), "kinds": self.counts(),
                "skipped": [s.as_dict() for s in self.skipped], "notes": [s.as_dict() for s in self.notes]}


def _first(props: dict, *names: str) -> Any:
    for n in names:
        v = props.get(n)
        if v not in (None, ""):
            return v
    return None


def _classify(text: str) -> str | None:
    t = text.lower()
    if any(w in t for w in ("pipe", "gas", "oil", "hydrogen")):
        return "pipeline"
    if any(w in t for w in ("power", "hvdc", "electric", "interconnector", "energy")):
        return "power"
    if any(w in t for w in ("cable", "telecom", "fibre", "fiber")):
        return "cable"
    return None


_WIND = re.compile(r"wind", re.I)
_PLATFORM = re.compile(r"platform|\b(?:oil |gas |drilling )?rigs?\b|substation|installation", re.I)


def _classify_area(text: str) -> str | None:
    if _WIND.search(text):
        return "wind_farm"
    if _PLATFORM.search(text):
        return "platform"
    return None


def _kind_text(props: dict) -> str:
    return str(_first(props, "kind", "Kind", "asset_kind", "type") or "")


def _guess_kind(props: dict, source: str) -> str:
    """``kind`` property first (``telecom`` counts as cable), else guessed from the file name, else cable."""
    k = _kind_text(props)
    return _classify(k) or _classify(Path(source).name if source else "") or "cable"


def _guess_area_kind(props: dict, source: str) -> str:
    """An area's kind: wind_farm or platform from the ``kind`` property or the file name; a cable, pipeline or
    power kind when the property says so (a cable landing zone, say); else ``area``."""
    k = _kind_text(props)
    fname = Path(source).name if source else ""
    return (_classify_area(k) or (_classify(k) if k else None) or _classify_area(fname) or _classify(fname)
            or "area")


def _owners(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return tuple(s.strip() for s in v.replace(";", ",").split(",") if s.strip())
    if isinstance(v, (list, tuple)):
        return tuple(str(s).strip() for s in v if str(s).strip())
    return (str(v),)


# nesting of the coordinate arrays above one position, per geometry type
_DEPTH = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _bad_coordinates(coords: Any, depth: int) -> str | None:
    """Why GeoJSON ``coordinates`` are unusable (not numbers, not finite, outside -180..180 / -90..90), or None."""
    if depth == 0:
        if not isinstance(coords, (list, tuple)) or len(coords) < 2:
            return f"position {_short(coords)} is not [lon, lat]"
        lon, lat = coords[0], coords[1]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
            return f"position {_short(coords)} is not numeric"
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return f"position {_short(coords)} is not a finite number"
        if not -180.0 <= lon <= 180.0:
            return f"longitude {lon:g} is outside -180..180"
        if not -90.0 <= lat <= 90.0:
            return f"latitude {lat:g} is outside -90..90"
        return None
    if not isinstance(coords, (list, tuple)):
        return f"coordinates {_short(coords)} are not nested arrays"
    for c in coords:
        bad = _bad_coordinates(c, depth - 1)
        if bad:
            return bad
    return None


def _short(v: Any, n: int = 40) -> str:
    r = repr(v)
    return r if len(r) <= n else r[: n - 3] + "..."


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (what ``make_valid`` returns may mix in lines and points)."""
    if geom.geom_type in AREA_TYPES:
        return geom
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in AREA_TYPES and not g.is_empty]
    return shapely.union_all(polys) if polys else Polygon()


def load_assets(path_or_dict: str | Path | dict, default_corridor_m: float = 1852.0) -> AssetLoad:
    """Assets from a GeoJSON FeatureCollection (a path or an already parsed dict), and the features left out.

    Lines (LineString, MultiLineString: one asset each, all parts together) are cables, pipelines or power
    links; areas (Polygon, MultiPolygon) are wind farms, platforms or other areas, watched with the same
    corridor as a margin around them. Tolerant of property names: the name from ``name``/``Name``/``title``
    (else the feature's id, else ``asset <index>``); ``kind`` from a ``kind`` property (``telecom`` counts
    as ``cable``; ``wind``, ``platform`` for areas) or guessed from the file name; ``owners`` as a list or a
    comma-separated string (also ``nations``); ``corridor_m`` and ``criticality`` when present.

    Every feature that does not become an asset is in ``skipped`` with its reason: no geometry, a Point,
    an unknown geometry type, coordinates that are not finite numbers inside -180..180 / -90..90, a
    geometry that cannot be built, an empty one, a polygon that cannot be repaired. A feature loaded with a
    value replaced (an unusable ``corridor_m`` or ``criticality``, a self-intersecting polygon repaired) is
    in ``notes``. A file that is not JSON, or not a FeatureCollection (or one Feature), raises
    :class:`AssetFileError` naming the file.
    """
    source = ""
    if isinstance(path_or_dict, dict):
        data: Any = path_or_dict
    else:
        source = str(path_or_dict)
        try:
            data = json.loads(Path(path_or_dict).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise AssetFileError(f"{source}: not valid JSON ({exc})") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise AssetFileError(f"{source}: cannot be read ({exc})") from exc
    where = source or "asset data"
    if not isinstance(data, dict):
        raise AssetFileError(f"{where}: not a GeoJSON FeatureCollection (the JSON is a {type(data).__name__})")
    features: Any = [data] if data.get("type") == "Feature" else data.get("features")
    if not isinstance(features, list):
        raise AssetFileError(f"{where}: not a GeoJSON FeatureCollection"
                             + (f" (type {data.get('type')!r})" if data.get("type") else ""))
    out = AssetLoad([], source=source)
    for i, f in enumerate(features):
        got = _feature_asset(i, f, source, default_corridor_m, out.notes)
        if isinstance(got, SkippedFeature):
            out.skipped.append(got)
        else:
            out.assets.append(got)
    return out


def _feature_asset(i: int, f: Any, source: str, default_corridor_m: float,
                   notes: list[SkippedFeature]) -> Asset | SkippedFeature:
    """One feature as an asset, or why not (notes of replaced values go to ``notes``)."""
    if not isinstance(f, dict):
        return SkippedFeature(i, None, f"not a GeoJSON Feature object ({type(f).__name__})")
    props = f.get("properties")
    if not isinstance(props, dict):
        props = {}
    fid = _first(props, "id", "ID", "ProjectID") or f.get("id")
    name = _first(props, "name", "Name", "title", "NAME")
    label = str(name if name is not None else fid) if (name is not None or fid not in (None, "")) else None

    def skip(reason: str) -> SkippedFeature:
        return SkippedFeature(i, label, reason)

    geom_json = f.get("geometry")
    if not geom_json:
        return skip("no geometry")
    if not isinstance(geom_json, dict):
        return skip(f"geometry is not a GeoJSON object ({type(geom_json).__name__})")
    gtype = geom_json.get("type")
    if gtype in ("Point", "MultiPoint"):
        return skip(f"{gtype} geometry is not an asset (lines and areas are)")
    if gtype not in _DEPTH:
        return skip(f"unsupported geometry type {gtype!r} (LineString, MultiLineString, Polygon, MultiPolygon)")
    bad = _bad_coordinates(geom_json.get("coordinates"), _DEPTH[gtype])
    if bad:
        return skip(f"invalid coordinates: {bad}")
    try:
        geom = shape(geom_json)
    except Exception as exc:  # shapely's messages: too few points, unclosed rings, ...
        return skip(f"invalid {gtype}: {exc}")
    if geom.is_empty:
        return skip(f"empty {gtype}")
    if gtype in AREA_TYPES and not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed.is_empty:
            return skip(f"invalid {gtype} ({why}) that cannot be repaired")
        geom = fixed
        notes.append(SkippedFeature(i, label, f"invalid {gtype} ({why}) repaired"))
    area = gtype in AREA_TYPES
    kind = _guess_area_kind(props, source) if area else _guess_kind(props, source)
    name_s = str(label) if label is not None else f"asset {i}"
    aid = str(fid) if fid not in (None, "") else name_s
    corridor = float(default_corridor_m)
    raw = _first(props, "corridor_m")
    if raw is not None:
        try:
            c = float(raw)
        except (TypeError, ValueError):
            c = math.nan
        if math.isfinite(c) and (c > 0 or (area and c == 0)) and not isinstance(raw, bool):
            corridor = c
        else:
            notes.append(SkippedFeature(i, label, f"corridor_m {_short(raw)} is not a distance in metres; "
                                                  f"the default {default_corridor_m:g} m is used"))
    planned = bool(props.get("planned") or props.get("is_planned"))
    criticality = 1 if planned else _DEFAULT_CRITICALITY.get(kind, 2)
    crit = _first(props, "criticality")
    if crit is not None:
        try:
            criticality = max(1, min(3, int(crit)))
        except (TypeError, ValueError):
            notes.append(SkippedFeature(i, label, f"criticality {_short(crit)} is not 1, 2 or 3; "
                                                  f"{criticality} is used"))
    return Asset(aid, name_s, kind, _owners(_first(props, "owners", "nations", "operator")), criticality, geom,
                 corridor)


def load_assets_geojson(path_or_dict: str | Path | dict, default_corridor_m: float = 1852.0,
                        stats: dict | None = None) -> list[Asset]:
    """The assets of :func:`load_assets` as a list (``stats``, when given, gets ``loaded`` and ``skipped``
    counts); call :func:`load_assets` to learn which features were skipped and why. Raises
    :class:`AssetFileError` (a ``ValueError``) naming the file when it is not JSON or not a FeatureCollection."""
    got = load_assets(path_or_dict, default_corridor_m)
    if stats is not None:
        stats["skipped"] = len(got.skipped)
        stats["loaded"] = len(got.assets)
    return got.assets


def _segments(geom: BaseGeometry) -> np.ndarray:
    """(n, 4) array x1 y1 x2 y2 of a projected (Multi)LineString, or of every ring of a (Multi)Polygon."""
    parts: list[Any] = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            parts.extend((part.exterior, *part.interiors))
        else:
            parts.append(part)
    segs = []
    for part in parts:
        c = np.asarray(part.coords)[:, :2] if not part.is_empty else np.zeros((0, 2))
        if len(c) >= 2:
            segs.append(np.hstack([c[:-1], c[1:]]))
    return np.vstack(segs) if segs else np.zeros((0, 4))


def _seg_dist(px: float, py: float, s: tuple) -> float:
    x1, y1, x2, y2 = s
    dx, dy = x2 - x1, y2 - y1
    L2 = dx * dx + dy * dy
    if L2 > 0.0:
        t = ((px - x1) * dx + (py - y1) * dy) / L2
        if t < 0.0:
            t = 0.0
        elif t > 1.0:
            t = 1.0
        x1 += t * dx
        y1 += t * dy
    ex, ey = px - x1, py - y1
    return math.sqrt(ex * ex + ey * ey)


def _seg_cross(ax, ay, bx, by, s: tuple) -> bool:
    """Do segments a-b and s intersect (touching counts)?"""
    cx, cy, dx, dy = s
    d1 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    d2 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
    d3 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
    d4 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
    return ((d1 > 0) != (d2 > 0) or d1 == 0 or d2 == 0) and ((d3 > 0) != (d4 > 0) or d3 == 0 or d4 == 0)


class AssetIndex:
    """Corridors of many assets, indexed for per-position questions.

    Lines and areas alike: the distance of a point from an area (a (Multi)Polygon asset) is 0 inside it and
    the distance to its boundary outside, so its corridor is the area grown by ``corridor_m``; a track
    segment *crosses* an area when it enters it (starts outside and reaches it), at the point of entry.

    ``cell_m``: grid cell size of the cache (2 km). ``reach_m``: the largest ``within_m`` the cache
    answers for ``near(..., within_m=...)`` (default 5 km, for "near an asset" questions such as
    gaps starting close to a cable); larger radii fall back to the STRtree.
    ``max_cells``: the cache is emptied when it grows beyond this many cells (bounded memory).
    """

    def __init__(self, assets: Iterable[Asset] | AssetLoad, cell_m: float = 2000.0, reach_m: float = 5000.0,
                 max_cells: int = 500_000) -> None:
        # what the loader made of the file (skipped features and their reasons), when given an AssetLoad
        self.load: AssetLoad | None = assets if isinstance(assets, AssetLoad) else None
        self.assets: list[Asset] = list(assets.assets if isinstance(assets, AssetLoad) else assets)
        self.cell_m = float(cell_m)
        self.max_cells = max_cells
        self.projected = [project_geometry(a.geometry) for a in self.assets]
        # areas: the projected polygon, valid and prepared (for point-in-area tests); None for lines
        self._areas: list[Any] = []
        for i, a in enumerate(self.assets):
            if a.is_area:
                g = self.projected[i]
                if not g.is_valid:
                    g = self.projected[i] = _polygonal(shapely.make_valid(g))
                shapely.prepare(g)
                self._areas.append(g)
            else:
                self._areas.append(None)
        self.corridors = [g.buffer(a.corridor_m) for a, g in zip(self.assets, self.projected)]
        self.tree = STRtree(self.corridors) if self.assets else None
        self.line_tree = STRtree(self.projected) if self.assets else None
        self._segs = [_segments(g) for g in self.projected]
        self.max_corridor_m = max((a.corridor_m for a in self.assets), default=0.0)
        self.min_corridor_m = min((a.corridor_m for a in self.assets), default=0.0)
        self.reach_m = max(float(reach_m), self.max_corridor_m)
        self._cells: dict[tuple[int, int], tuple] = {}
        self.by_name = {a.name: a for a in self.assets}

    def __len__(self) -> int:
        return len(self.assets)

    # the cell cache: for each asset whose reach touches the cell, (index, the segments that can matter, area):
    # area None for a line or a cell wholly outside an area, True for a cell wholly inside one, else the
    # prepared area itself (the boundary passes near: ask it whether a point is inside)
    def _cell(self, key: tuple[int, int]) -> tuple:
        got = self._cells.get(key)
        if got is not None:
            return got
        if len(self._cells) >= self.max_cells:
            self._cells.clear()
        s = self.cell_m
        x0, y0 = key[0] * s, key[1] * s
        cx, cy = x0 + s / 2, y0 + s / 2
        half_diag = s * math.sqrt(0.5)
        entries = []
        if self.line_tree is not None:
            r = self.reach_m
            for i in sorted(self.line_tree.query(box(x0 - r, y0 - r, x0 + s + r, y0 + s + r))):
                seg = self._segs[i]
                x1, y1, x2, y2 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
                dx, dy = x2 - x1, y2 - y1
                L2 = dx * dx + dy * dy
                with np.errstate(invalid="ignore", divide="ignore"):
                    t = np.clip(np.where(L2 > 0, ((cx - x1) * dx + (cy - y1) * dy) / L2, 0.0), 0.0, 1.0)
                d = np.hypot(cx - (x1 + t * dx), cy - (y1 + t * dy))
                keep = d <= self.reach_m + half_diag
                area = self._areas[i]
                if area is not None:
                    if len(d) and d.min() <= half_diag:
                        pass                      # the boundary may pass through the cell
                    elif shapely.contains_xy(area, cx, cy):
                        area = True               # the whole cell lies inside the area
                    else:
                        area = None               # the whole cell lies outside: the boundary's distance
                if keep.any() or area is True:
                    entries.append((i, tuple(tuple(r) for r in seg[keep].tolist()), area))
        got = tuple(entries)
        self._cells[key] = got
        return got

    def _key(self, x: float, y: float) -> tuple[int, int]:
        s = self.cell_m
        return (int(x // s), int(y // s))

    def near(self, lat: float, lon: float, within_m: float | None = None) -> list[tuple[Asset, float]]:
        """Assets whose corridor holds the point (or within ``within_m`` of their line or area), nearest first,
        as (asset, distance from the line in metres; 0 inside an area)."""
        x, y = project(lat, lon)
        if within_m is not None and within_m > self.reach_m:
            return self._near_slow(x, y, within_m)
        entries = self._cell(self._key(x, y))
        if not entries:
            return []
        out = []
        for i, segs, area in entries:
            lim = self.assets[i].corridor_m if within_m is None else within_m
            if area is None:
                best = min(_seg_dist(x, y, sg) for sg in segs)
            elif area is True or shapely.contains_xy(area, x, y):
                best = 0.0  # inside an area
            else:
                best = min(_seg_dist(x, y, sg) for sg in segs)
            if best <= lim:
                out.append((self.assets[i], best))
        if len(out) > 1:
            out.sort(key=lambda t: t[1])
        return out

    def _near_slow(self, x: float, y: float, within_m: float) -> list[tuple[Asset, float]]:
        if self.line_tree is None:
            return []
        pt = Point(x, y)
        out = [(self.assets[i], float(self.projected[i].distance(pt)))
               for i in self.line_tree.query(pt, predicate="dwithin", distance=within_m)]
        return sorted(out, key=lambda t: t[1])

    def nearest(self, lat: float, lon: float, max_m: float = 50_000.0) -> tuple[Asset, float] | None:
        """The nearest asset (line or area) within ``max_m`` and its distance, or None."""
        got = self.near(lat, lon, within_m=max_m)
        return got[0] if got else None

    def crossings(self, p1: Any, p2: Any) -> list[Asset]:
        """Assets whose line the straight segment p1 -> p2 crosses, or whose area it enters (p1, p2: (lat, lon)
        pairs or objects with ``lat``/``lon``), in the order of their first crossing along the segment."""
        return [a for a, _ in self.crossing_points(p1, p2)]

    def crossing_points(self, p1: Any, p2: Any) -> list[tuple[Asset, float]]:
        """Like :meth:`crossings`, with the fraction 0..1 along the segment where each is crossed."""
        la1, lo1 = _latlon(p1)
        la2, lo2 = _latlon(p2)
        ax, ay = project(la1, lo1)
        bx, by = project(la2, lo2)
        L = math.hypot(bx - ax, by - ay)
        if L <= self.min_corridor_m:
            # a crossing point lies within L of both ends, so inside the corridor of both ends' cells
            e1 = self._cell(self._key(ax, ay))
            e2 = self._cell(self._key(bx, by))
            if not e1 and not e2:
                return []
            hits: dict[int, None] = {}
            for i, segs, _ in e1 + e2:
                if i in hits:
                    continue
                for sg in segs:
                    if _seg_cross(ax, ay, bx, by, sg):
                        hits[i] = None
                        break
            idx = list(hits)
        else:
            if self.line_tree is None:
                return []
            seg = LineString([(ax, ay), (bx, by)])
            idx = [int(i) for i in self.line_tree.query(seg, predicate="intersects")]
        if not idx:
            return []
        out = []
        seg = LineString([(ax, ay), (bx, by)])
        for i in idx:
            area = self._areas[i]
            if area is not None and shapely.contains_xy(area, ax, ay):
                continue  # already inside the area: the crossing was where the track entered it
            inter = seg.intersection(self.projected[i])
            if inter.is_empty:
                continue
            pts = shapely.get_coordinates(inter)
            frac = min(math.hypot(px - ax, py - ay) for px, py in pts) / L if L > 0 else 0.0
            out.append((self.assets[i], frac))
        out.sort(key=lambda t: t[1])
        return out


# --- land --------------------------------------------------------------------------------------

def _ring(i: int, j: int, r: int) -> Iterable[tuple[int, int]]:
    """The cells at Chebyshev distance ``r`` from cell (i, j)."""
    for a in range(i - r, i + r + 1):
        yield a, j - r
        yield a, j + r
    for b in range(j - r + 1, j + r):
        yield i - r, b
        yield i + r, b


def _boundary_segments(geom: BaseGeometry) -> tuple:
    """Segments (x1, y1, x2, y2) of every ring of a (Multi)Polygon."""
    out: list[tuple[float, float, float, float]] = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or not hasattr(poly, "exterior"):
            continue
        for ring in (poly.exterior, *poly.interiors):
            c = list(ring.coords)
            out.extend((x1, y1, x2, y2) for (x1, y1), (x2, y2) in zip(c[:-1], c[1:]))
    return tuple(out)


class LandIndex:
    """Is a point on land? Natural Earth 1:10m land (+ minor islands), packaged as ``land.geojson``.

    ``tolerance_m`` (500 m): a point counts as on land only if it lies deeper inland than this, so
    berths, harbours and narrow channels (Natural Earth is quantised to about 200 m) do not count.
    Answers from a grid cache (``cell_m`` 2 km): cells wholly at sea or wholly inland answer with one
    look-up; coastal cells keep their piece of land, eroded by the tolerance, as a prepared geometry.
    """

    def __init__(self, path: str | Path | dict | None = None, tolerance_m: float = 500.0,
                 cell_m: float = 2000.0, max_cells: int = 500_000,
                 waterways: str | Path | dict | None = DATA_DIR / "inland_waterways.geojson") -> None:
        if path is None:
            path = DATA_DIR / "land.geojson"
        # navigable canals and rivers that the coarse land polygons cover: water, not land
        self.water = None
        if waterways is not None and (isinstance(waterways, dict) or Path(waterways).exists()):
            wdata = waterways if isinstance(waterways, dict) else json.loads(Path(waterways).read_text(encoding="utf-8"))
            self.water = shapely.union_all([
                project_geometry(shape(f["geometry"])).buffer(float(f.get("properties", {}).get("half_width_m", 1500)))
                for f in wdata.get("features", [])])
        data = path if isinstance(path, dict) else json.loads(Path(path).read_text(encoding="utf-8"))
        polys: list[BaseGeometry] = []
        for f in data.get("features", [data] if data.get("type") != "FeatureCollection" else []):
            g = shape(f["geometry"]) if "geometry" in f else shape(f)
            polys.extend(getattr(g, "geoms", [g]))
        self.tolerance_m = float(tolerance_m)
        self.cell_m = float(cell_m)
        self.max_cells = max_cells
        self.polys = [project_geometry(p) for p in polys if not p.is_empty]
        self.polys = [p if p.is_valid else p.buffer(0) for p in self.polys]
        self.tree = STRtree(self.polys)
        self._cells: dict[tuple[int, int], Any] = {}
        # quick answer for the open sea, before any projection: cells of ``quick_deg`` latitude and longitude
        # with no land polygon anywhere near them (True) or with some (False: ask the projected grid)
        self.quick_deg = 0.02
        self._quick_inv = 1.0 / self.quick_deg
        self._quick: dict[tuple[int, int], bool] = {}
        self._edges: dict[tuple[int, int], tuple] = {}  # coastal cell -> boundary segments of its land
        self._quick_rings: dict[tuple[int, int], int] = {}  # rings of all-sea cells around a sea cell (0-2)
        self._cell_rings: dict[tuple[int, int], int] = {}

    def _cell(self, key: tuple[int, int]) -> Any:
        got = self._cells.get(key)
        if got is not None:
            return got
        if len(self._cells) >= self.max_cells:
            self._cells.clear()
        s, tol = self.cell_m, self.tolerance_m
        x0, y0 = key[0] * s, key[1] * s
        outer = (x0 - tol, y0 - tol, x0 + s + tol, y0 + s + tol)
        idx = self.tree.query(box(*outer))
        if len(idx) == 0:
            got = False
        else:
            pieces = [shapely.clip_by_rect(self.polys[i], *outer) for i in idx]
            local = shapely.union_all([p for p in pieces if not p.is_empty])
            if self.water is not None and not local.is_empty:
                local = local.difference(self.water)
            if local.is_empty:
                got = False
            else:
                inner = local.buffer(-tol)
                cell = box(x0, y0, x0 + s, y0 + s)
                if inner.is_empty or not inner.intersects(cell):
                    got = False
                elif inner.contains(cell):
                    got = True
                else:
                    shapely.prepare(inner)
                    got = inner
        self._cells[key] = got
        return got

    def _quick_sea(self, key: tuple[int, int]) -> bool:
        """Is every projected grid cell under the lat/lon cell ``key`` free of land? (Then so is every point in it.)"""
        if len(self._quick) >= self.max_cells:
            self._quick.clear()
        q = self.quick_deg
        lat0, lon0 = key[0] * q, key[1] * q
        xs, ys = [], []
        for la in (lat0, lat0 + q / 2, lat0 + q):
            for lo in (lon0, lon0 + q / 2, lon0 + q):
                x, y = project(min(90.0, max(-90.0, la)), lo)
                xs.append(x)
                ys.append(y)
        # margin for the curvature of the cell's edges on the plane
        m = 0.05 * max(max(xs) - min(xs), max(ys) - min(ys)) + 1.0
        s = self.cell_m
        kx0, kx1 = int((min(xs) - m) // s), int((max(xs) + m) // s)
        ky0, ky1 = int((min(ys) - m) // s), int((max(ys) + m) // s)
        sea = (kx1 - kx0 + 1) * (ky1 - ky0 + 1) <= 64 and all(
            self._cell((i, j)) is False for i in range(kx0, kx1 + 1) for j in range(ky0, ky1 + 1))
        self._quick[key] = sea
        return sea

    def sea_radius_m(self, lat: float, lon: float) -> float:
        """0.0 when the point is on land (as :meth:`on_land`), else a radius in metres (great-circle, with a
        safety margin) around it within which no point is on land: a caller following a vessel can skip
        :meth:`on_land` until the vessel leaves that circle.

        At open sea the radius reaches to the edge of the block of up to 5 x 5 lat/lon cells around the
        point that are all sea (1-3 km); near the coast it is the distance to the cell's land or edge."""
        inv = self._quick_inv
        ki, kj = math.floor(lat * inv), math.floor(lon * inv)
        quick = self._quick
        sea = quick.get((ki, kj))
        if sea is None:
            sea = self._quick_sea((ki, kj))
        if sea:
            ring = self._quick_rings.get((ki, kj))
            if ring is None:
                ring = 0
                while ring < 2 and all(
                        (quick.get(k) if k in quick else self._quick_sea(k))
                        for k in _ring(ki, kj, ring + 1)):
                    ring += 1
                if len(self._quick_rings) >= self.max_cells:
                    self._quick_rings.clear()
                self._quick_rings[(ki, kj)] = ring
            q = self.quick_deg
            dlat = min(lat - (ki - ring) * q, (ki + ring + 1) * q - lat)
            dlon = min(lon - (kj - ring) * q, (kj + ring + 1) * q - lon)
            east_west = EARTH_RADIUS_M * math.asin(min(1.0, math.cos(lat * _D2R) * math.sin(dlon * _D2R)))
            return 0.99 * min(dlat * _D2R * EARTH_RADIUS_M, east_west)
        x, y = project(lat, lon)
        s = self.cell_m
        kx, ky = int(x // s), int(y // s)
        got = self._cell((kx, ky))
        if got is True:
            return 0.0
        ring = 0
        if got is False:
            ring = self._cell_rings.get((kx, ky))
            if ring is None:
                ring = 0
                while ring < 2 and all(self._cell(k) is False for k in _ring(kx, ky, ring + 1)):
                    ring += 1
                if len(self._cell_rings) >= self.max_cells:
                    self._cell_rings.clear()
                self._cell_rings[(kx, ky)] = ring
        r = min(x - (kx - ring) * s, (kx + ring + 1) * s - x, y - (ky - ring) * s, (ky + ring + 1) * s - y)
        if got is not False:
            if shapely.contains_xy(got, x, y):
                return 0.0
            segs = self._edges.get((kx, ky))
            if segs is None:
                if len(self._edges) >= self.max_cells:
                    self._edges.clear()
                segs = self._edges[(kx, ky)] = _boundary_segments(got)
            for sg in segs:
                d = _seg_dist(x, y, sg)
                if d < r:
                    r = d
        # plane distances overstate the sphere's by at most c / sin(c) (the transverse scale of the projection)
        c = math.hypot(x, y) / EARTH_RADIUS_M
        k = c / math.sin(c) if 1e-9 < c < math.pi else 1.0
        return 0.99 * r / k

    def on_land(self, lat: float, lon: float) -> bool:
        inv = self._quick_inv
        key = (math.floor(lat * inv), math.floor(lon * inv))
        sea = self._quick.get(key)
        if sea is None:
            sea = self._quick_sea(key)
        if sea:
            return False
        x, y = project(lat, lon)
        s = self.cell_m
        got = self._cell((int(x // s), int(y // s)))
        if got is True or got is False:
            return got
        return bool(shapely.contains_xy(got, x, y))


# --- ports -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Port:
    name: str
    locode: str | None
    lat: float
    lon: float
    size: str | None = None


class PortIndex:
    """Ports of the NGA World Port Index (Pub. 150, public domain), packaged as ``ports.geojson``.

    ``near_port(lat, lon, radius_m=3000)`` returns the nearest port within the radius (a
    :class:`Port`, truthy) or None. A grid of ``cell_m`` (10 km) cells holds the ports.
    """

    def __init__(self, path: str | Path | dict | None = None, cell_m: float = 10_000.0) -> None:
        if path is None:
            path = DATA_DIR / "ports.geojson"
        data = path if isinstance(path, dict) else json.loads(Path(path).read_text(encoding="utf-8"))
        self.ports: list[Port] = []
        for f in data.get("features", []):
            g = f.get("geometry") or {}
            if g.get("type") != "Point":
                continue
            p = f.get("properties") or {}
            lon, lat = g["coordinates"][:2]
            name = _first(p, "Main Port Name", "name", "Name", "PORT_NAME") or "port"
            self.ports.append(Port(str(name), _first(p, "UN/LOCODE", "locode"), float(lat), float(lon),
                                   _first(p, "Harbor Size", "size")))
        self.cell_m = float(cell_m)
        self._grid: dict[tuple[int, int], list[tuple[Port, float, float]]] = {}
        for port in self.ports:
            x, y = project(port.lat, port.lon)
            self._grid.setdefault((int(x // cell_m), int(y // cell_m)), []).append((port, x, y))

    def __len__(self) -> int:
        return len(self.ports)

    def nearest(self, lat: float, lon: float, radius_m: float = 3000.0) -> tuple[Port, float] | None:
        """(nearest port, distance in metres) within ``radius_m``, or None."""
        x, y = project(lat, lon)
        s = self.cell_m
        kx, ky = int(x // s), int(y // s)
        r = int(math.ceil(radius_m / s))
        best, best_d = None, radius_m
        for i in range(kx - r, kx + r + 1):
            for j in range(ky - r, ky + r + 1):
                for port, px, py in self._grid.get((i, j), ()):
                    d = math.hypot(px - x, py - y)
                    if d <= best_d:
                        best, best_d = port, d
        if best is None:
            return None
        return best, haversine_m(lat, lon, best.lat, best.lon)

    def near_port(self, lat: float, lon: float, radius_m: float = 3000.0) -> Port | None:
        got = self.nearest(lat, lon, radius_m)
        return got[0] if got else None


def line_of(points: Sequence[tuple[float, float]]) -> LineString:
    """A lon/lat LineString from (lat, lon) pairs (a helper for tests and callers)."""
    return LineString([(lon, lat) for lat, lon in points])
