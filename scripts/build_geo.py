"""Build the packaged map layers in src/dkfi/data/geo/ from the shared geodata snapshot.

    .venv/bin/python scripts/build_geo.py [SHARED_GEO_DIR]    (default: ../shared/data/geo beside the repo)

Outputs (deterministic; commit them):
  land.geojson    Natural Earth 1:10m land (world TopoJSON) cut to a wide box round the Baltic and the North Sea
                  (LAND_BOX), simplified by about one quantization step, plus the minor islands of the Baltic
                  box; coordinates rounded
  assets.geojson  telecom cables, offshore pipelines and HVDC links, each with `kind` (cable/pipeline/power)
                  and `name`, plus a few short properties for the map's popups
See src/dkfi/data/geo/ATTRIBUTION.md for sources and licences, and the snapshot's PROVENANCE.md.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "dkfi" / "data" / "geo"
DEFAULT_SRC = ROOT.parent / "shared" / "data" / "geo"
LAND_DECIMALS = 4    # ~11 m at 60°N; the source is quantized to ~200 m anyway
LAND_BOX = (-12.0, 46.0, 42.0, 74.0)   # wider than the map's maxBounds, so the cut edges are never seen
LAND_SIMPLIFY = 0.002                  # degrees; the TopoJSON grid is 0.0036° x 0.0017°
ASSET_DECIMALS = 5


def rnd(c, nd):
    return [round(c[0], nd), round(c[1], nd)]


def line(coords, nd):
    """Round and drop consecutive duplicate vertices."""
    out = []
    for c in coords:
        r = rnd(c, nd)
        if not out or out[-1] != r:
            out.append(r)
    return out


def ring(coords, nd):
    r = line(coords, nd)
    if r and r[0] != r[-1]:
        r.append(r[0])
    return r if len(r) >= 4 else None


def polygons(geom, nd):
    """Yield rounded polygons (lists of rings) from a Polygon or MultiPolygon; empty ones dropped."""
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        outer = ring(poly[0], nd)
        if outer is None:
            continue
        holes = [h for h in (ring(h, nd) for h in poly[1:]) if h is not None]
        yield [outer, *holes]


def lines(geom, nd):
    parts = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]
    return [p for p in (line(p, nd) for p in parts) if len(p) >= 2]


def line_geometry(parts):
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def topojson_land(path: Path) -> list[list]:
    """Polygons (lists of rings) of the TopoJSON ``land`` object that touch LAND_BOX, cut to it and simplified."""
    from shapely import make_valid
    from shapely.geometry import Polygon, box

    topo = load(path)
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:   # delta-encoded, quantized
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def topo_ring(ids):
        out = []
        for i in ids:
            pts = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(pts if not out else pts[1:])
        return out

    minx, miny, maxx, maxy = LAND_BOX
    clip = box(*LAND_BOX)
    obj = topo["objects"]["land"]
    polys = obj["arcs"] if obj["type"] == "MultiPolygon" else [obj["arcs"]]
    out = []
    for rings in polys:
        shell = topo_ring(rings[0])
        if len(shell) < 4:
            continue
        xs, ys = [c[0] for c in shell], [c[1] for c in shell]
        if max(xs) < minx or min(xs) > maxx or max(ys) < miny or min(ys) > maxy:
            continue
        poly = Polygon(shell, [r for r in (topo_ring(h) for h in rings[1:]) if len(r) >= 4])
        if not poly.is_valid:
            poly = make_valid(poly)
        cut = poly.intersection(clip)
        for g in getattr(cut, "geoms", [cut]):
            if g.geom_type != "Polygon" or g.is_empty:
                continue
            g = g.simplify(LAND_SIMPLIFY, preserve_topology=True)
            out.extend(polygons({"type": "Polygon", "coordinates": [list(g.exterior.coords),
                                                                    *[list(i.coords) for i in g.interiors]]},
                                LAND_DECIMALS))
    return out


def build_land(src: Path) -> dict:
    polys = topojson_land(src / "basemap/world-atlas_land-10m.topo.json")
    for f in load(src / "basemap/ne_10m_minor_islands_baltic.geojson")["features"]:
        polys.extend(polygons(f["geometry"], LAND_DECIMALS))
    return {
        "type": "FeatureCollection",
        "name": "land",
        "bbox": list(LAND_BOX),
        "features": [{
            "type": "Feature",
            "properties": {"source": "Natural Earth 1:10m land and minor islands 5.1.2 (public domain)"},
            "geometry": {"type": "MultiPolygon", "coordinates": polys},
        }],
    }


def build_assets(src: Path) -> dict:
    feats = []
    for f in load(src / "cables/baltic_telecom_cables.geojson")["features"]:
        p = f["properties"]
        feats.append(("cable", p.get("name") or f"Cable {p.get('id')}", {
            "id": p.get("id"), "detail": ", ".join(x for x in (p.get("length"), p.get("rfs") and f"RFS {p['rfs']}")
                                                  if x),
            "planned": bool(p.get("is_planned")),
            "source": "TeleGeography Submarine Cable Map (CC BY-NC-SA 3.0), demo data",
        }, f["geometry"]))
    for f in load(src / "pipelines/gem_pipelines_baltic_offshore.geojson")["features"]:
        p = f["properties"]
        osm = bool(p.get("osm_names_in_file"))
        name = p.get("name") or f"Unnamed {p.get('substance') or ''} pipeline (GEM {p.get('ProjectID')})".replace("  ", " ")
        feats.append(("pipeline", name, {
            "id": p.get("ProjectID"), "detail": p.get("substance"),
            "name_method": p.get("name_method"),
            "source": "Global Energy Monitor pipeline routes (CC BY 4.0)"
                      + ("; route from OpenStreetMap (ODbL, © OpenStreetMap contributors)" if osm else ""),
        }, f["geometry"]))
    for f in load(src / "power/baltic_hvdc_links_entsoe_gridkit.geojson")["features"]:
        p = f["properties"]
        detail = ", ".join(x for x in (p.get("power_mw") and f"{p['power_mw']} MW",
                                       p.get("voltage_kv") and f"{p['voltage_kv']} kV",
                                       p.get("year") and str(p["year"])) if x)
        feats.append(("power", p.get("name") or f"HVDC link {p.get('entsoegridkit_link_id')}", {
            "id": p.get("entsoegridkit_link_id"), "detail": detail, "endpoints": p.get("endpoints"),
            "source": "ENTSO-E grid map via GridKit/PyPSA-Eur; SCHEMATIC geometry, terms unclear, demo data",
        }, f["geometry"]))
    out = []
    for kind, name, props, geom in feats:
        parts = lines(geom, ASSET_DECIMALS)
        if not parts:
            continue
        out.append({"type": "Feature", "properties": {"kind": kind, "name": name, **props},
                    "geometry": line_geometry(parts)})
    return {"type": "FeatureCollection", "name": "assets", "features": out}


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(data['features'])} features, {path.stat().st_size // 1024} KiB")


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else DEFAULT_SRC
    if not (src / "PROVENANCE.md").is_file():
        print(f"{src}: not the shared geodata folder (no PROVENANCE.md)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "land.geojson", build_land(src))
    write(OUT / "assets.geojson", build_assets(src))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
