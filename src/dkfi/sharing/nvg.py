"""NATO Vector Graphics (NVG) 2.0.2: the picture as an overlay for allies' C2 systems, and allies' overlays in.

Export (:func:`export`, :func:`build`) turns the labelled GeoJSON of the registered export layers
(:mod:`dkfi.sharing.exports`) into one NVG document, so it holds exactly what the requesting user may see::

    <nvg xmlns="https://tide.act.nato.int/schemas/2012/10/nvg" version="2.0.2"
         classification="NATO RESTRICTED REL TO DNK, FIN">
      <metadata><ConfidentialityLabel xmlns="urn:nato:stanag:4774:...">...</ConfidentialityLabel></metadata>
      <g label="vessels" uri="urn:dkfi:DNK:layer:vessels">
        <point x="11.5" y="55.25" label="EAGLE S" symbol="2525c:SNSPXMO--------" uri="urn:dkfi:DNK:vessels:219000001">
          <extendedData><simpleData key="classification">RESTRICTED</simpleData>...</extendedData>
        </point>
        <polyline points="10.1,54.2 10.3,54.4" label="Estlink 2" uri="..."/>
        <polygon points="..." label="..."><exclude><linear-ring points="..."/></exclude></polygon>
        <composite label="..." uri="..."><polyline .../><polyline .../></composite>
      </g>
    </nvg>

* Coordinates are WGS84, ``x`` = longitude, ``y`` = latitude, at most 6 decimals (about 0.1 m).
* GeoJSON Point -> ``point``, MultiPoint -> ``multipoint``, LineString -> ``polyline``, Polygon -> ``polygon``
  (outer ring without the repeated closing point; holes as ``exclude/linear-ring``), MultiLineString,
  MultiPolygon and GeometryCollection -> ``composite`` of those. A feature without geometry is left out (counted).
* ``symbol`` is ``2525c:<SIDC>`` when the layer gives a ``sidc`` property (vessels: :mod:`dkfi.maritime.sidc`,
  alerts: the point-of-interest graphic); ``label`` is the feature's name; ``uri`` ``urn:dkfi:<nation>:<layer>:<id>``.
* Each feature's own label is in its ``extendedData`` (``classification``, ``releasable_to``, ``owner_nation``,
  ``policy``); the document's label is the combination of them all (:func:`dkfi.core.labels.combine`), as a
  STANAG 4774 ``ConfidentialityLabel`` in ``metadata`` and as the marking in the root's ``classification``.

Import (:func:`parse`) reads an ally's NVG 2.x file into GeoJSON features. Refused as a whole (:class:`NvgError`,
a ``ValueError`` naming the reason): more than :data:`MAX_BYTES`, not UTF-8, a DTD or entity declaration (XML
bombs; with ``defusedxml`` installed it parses, else the standard library after that check), not well-formed
XML, a root other than ``nvg`` in the NVG 2012/10 namespace, a version other than 2.x. Element by element,
``point``, ``multipoint``, ``polyline``, ``polygon`` (with ``exclude`` rings), ``text`` (a point named by its
``content``), ``composite`` (one multi-geometry feature) and ``g`` (groups, whose label each feature keeps as
``group``) are read; other drawables (``circle``, ``ellipse``, ``arc``, ``arcband``, ``corridor``, ``arrow``,
``orbit``, ``rect``, ``content-item``) and foreign elements are counted as unsupported. A bad element
(coordinates that are not numbers, NaN or outside -180..180 / -90..90, too few points, a malformed symbol) is
skipped and counted by reason; the rest is kept. A ``ConfidentialityLabel`` in the root's ``metadata`` is the
file's marking (:attr:`ParsedNvg.label`).
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy.orm import Session

from dkfi.core.config import get_settings
from dkfi.core.labels import Classification, Label, parse_classification, parse_releasable
from dkfi.core.times import iso_utc
from dkfi.sharing.exports import Labels, _clean, _stanag_element, geojson as layer_geojson

NVG_NS = "https://tide.act.nato.int/schemas/2012/10/nvg"
#: namespaces read as NVG 2.x (some tools write the http form of the same URI)
NVG_NAMESPACES = (NVG_NS, "http://tide.act.nato.int/schemas/2012/10/nvg")
VERSION = "2.0.2"
S4774_NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
SYMBOL_STANDARD = "2525c"
DIGITS = 6                    # decimals of a coordinate: about 0.1 m
MAX_BYTES = 5_000_000         # an import larger than this is refused
MAX_ELEMENTS = 50_000         # drawables read from one file; the rest are counted as "too many elements"
MAX_POINTS = 100_000          # coordinates of one element
MAX_DEPTH = 32                # nesting of g / composite
MAX_MESSAGES = 20             # problems reported one by one (all are counted)
MEDIA_TYPE = "application/xml"

DRAWABLES = ("point", "multipoint", "polyline", "polygon", "text", "composite", "g")
UNSUPPORTED = ("circle", "ellipse", "arc", "arcband", "corridor", "arrow", "orbit", "rect", "content-item")
NON_DRAWABLE = ("metadata", "extendedData", "extension", "schema", "textInfo", "exclude", "timeSpan", "timeStamp",
                "content", "section")

_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_LETTER_SIDC = re.compile(r"^[A-Z*-][A-Z*-][A-Z*-][A-Z*-][A-Z0-9*-]{11}$")
_NUMBER_SIDC = re.compile(r"^(\d{20}|\d{30})$")
SYMBOL_STANDARDS = {"2525b": "letter", "2525c": "letter", "app6a": "letter", "app6b": "letter",
                    "2525d": "number", "2525e": "number", "app6c": "letter", "app6d": "number"}


class NvgError(ValueError):
    """An NVG document that cannot be read at all (the message says why)."""


def _q(tag: str) -> str:
    return f"{{{NVG_NS}}}{tag}"


def fmt(v: float) -> str:
    """A coordinate with at most :data:`DIGITS` decimals and no trailing zeros."""
    s = f"{round(float(v), DIGITS):.{DIGITS}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "", "-") else s


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (ValueError naming what is wrong), or None for no text."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"bbox must be minlon,minlat,maxlon,maxlat; got {text!r}")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"bbox must be four numbers; got {text!r}") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise ValueError(f"bbox must be finite numbers; got {text!r}")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise ValueError("bbox must have -180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90; "
                         f"got {text!r}")
    return w, s, e, n


def parse_label(text: str) -> Label:
    """A label as people write it: ``RESTRICTED``, ``RESTRICTED REL TO DNK,FIN``, ``NATO RESTRICTED REL TO DNK,
    FIN`` (what ``str(label)`` gives), national markings too (``TIL TJENESTEBRUG REL DNK,FIN``)."""
    m = re.match(r"^\s*(.*?)\s*(?:\bREL(?:\s+TO)?\s+(.*))?$", text or "", re.IGNORECASE | re.DOTALL)
    if m is None or not m.group(1):
        raise ValueError(f"label must be a classification, optionally 'REL TO' nations; got {text!r}")
    return Label(parse_classification(m.group(1)), parse_releasable((m.group(2) or "").replace(" ", "")))


# ---- export -------------------------------------------------------------------------------------------------

@dataclass
class NvgExport:
    """One NVG document and what it holds: features per layer, features left out and why, their labels."""

    document: str
    labels: Labels
    counts: dict[str, int]
    skipped: dict[str, int]
    generated: datetime

    @property
    def label(self) -> Label:
        return self.labels.combined

    @property
    def count(self) -> int:
        return sum(self.counts.values())


def _feature_label(props: dict) -> tuple[Label, str] | None:
    d = props.get("label")
    if not isinstance(d, dict) or "classification" not in d:
        return None
    lab = Label(Classification.parse(d["classification"]), tuple(d.get("releasable_to") or ()),
                d.get("policy") or "NATO", tuple(d.get("categories") or ()))
    return lab, d.get("owner_nation") or get_settings().nation


def _name(layer: str, fid: Any, props: dict) -> str:
    for key in ("name", "title", "vessel_name", "callsign", "key"):
        v = props.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    if layer == "vessels" and props.get("mmsi"):
        return f"MMSI {props['mmsi']}"
    return f"{layer} {fid}" if fid is not None else layer


def _points(coords: Iterable) -> str:
    return " ".join(f"{fmt(c[0])},{fmt(c[1])}" for c in coords)


def _ring(coords: list) -> list:
    """A GeoJSON ring without its closing point (NVG closes polygons itself)."""
    return coords[:-1] if len(coords) > 1 and list(coords[0][:2]) == list(coords[-1][:2]) else coords


def _polygon(rings: list) -> ET.Element:
    el = ET.Element("polygon", {"points": _points(_ring(rings[0]))})
    if len(rings) > 1:
        ex = ET.SubElement(el, "exclude")
        for hole in rings[1:]:
            ET.SubElement(ex, "linear-ring", {"points": _points(_ring(hole))})
    return el


def _parts(geom: dict) -> list[ET.Element]:
    t, c = geom.get("type"), geom.get("coordinates")
    if c is None and t != "GeometryCollection":
        raise ValueError(f"a {t} without coordinates")
    c = c or []
    if t == "Point":
        return [ET.Element("point", {"x": fmt(c[0]), "y": fmt(c[1])})]
    if t == "MultiPoint":
        return [ET.Element("multipoint", {"points": _points(c)})]
    if t == "LineString":
        return [ET.Element("polyline", {"points": _points(c)})]
    if t == "MultiLineString":
        return [ET.Element("polyline", {"points": _points(line)}) for line in c]
    if t == "Polygon":
        return [_polygon(c)]
    if t == "MultiPolygon":
        return [_polygon(p) for p in c]
    if t == "GeometryCollection":
        return [el for g in geom.get("geometries") or () for el in _parts(g)]
    raise ValueError(f"unsupported geometry type {t!r}")


def feature_element(geom: dict, *, label: str, uri: str | None = None, sidc: str | None = None,
                    data: dict[str, str] | None = None) -> ET.Element:
    """The NVG element of one GeoJSON geometry: a single drawable, or a ``composite`` of several for the multi
    types and collections (so an import gives back the same geometry type)."""
    parts = _parts(geom)
    if geom["type"] in ("MultiLineString", "MultiPolygon", "GeometryCollection"):
        el = ET.Element("composite")
        el.extend(parts)
    else:
        el = parts[0]
    el.set("label", _clean(label))
    if sidc:
        el.set("symbol", f"{SYMBOL_STANDARD}:{sidc}")
    if uri:
        el.set("uri", _clean(uri))
    if data:
        ext = ET.Element("extendedData")
        for k, v in data.items():
            ET.SubElement(ext, "simpleData", {"key": k}).text = _clean(v)
        if el.tag == "composite":
            el.insert(0, ext)   # before the parts
        else:
            el.append(ext)
    return el


def _intersects(geom: dict, bbox: tuple[float, float, float, float]) -> bool:
    from shapely.geometry import box, shape

    return bool(shape(geom).intersects(box(*bbox)))


def build(collections: list[tuple[str, dict]], *, now: datetime | None = None,
          bbox: tuple[float, float, float, float] | None = None) -> NvgExport:
    """One NVG document of labelled GeoJSON collections (layer name, FeatureCollection), each a group ``g``;
    with ``bbox``, only the features that intersect it."""
    now = now or datetime.now(timezone.utc)
    nation = get_settings().nation
    labels, counts, skipped = Labels(), {}, Counter[str]()
    groups = []
    for layer, fc in collections:
        g = ET.Element("g", {"label": _clean(layer), "uri": f"urn:dkfi:{nation}:layer:{_clean(layer)}"})
        n = 0
        for f in fc.get("features") or ():
            geom, props = f.get("geometry"), f.get("properties") or {}
            if not geom:
                skipped["no geometry"] += 1
                continue
            if bbox is not None and not _intersects(geom, bbox):
                skipped["outside bbox"] += 1
                continue
            flab = _feature_label(props)
            data = {"layer": layer}
            if flab is not None:
                labels.add(*flab)
                data.update(classification=flab[0].classification.name, releasable_to=flab[0].releasable_text(),
                            policy=flab[0].policy, owner_nation=flab[1])
            fid = f.get("id")
            try:
                el = feature_element(geom, label=_name(layer, fid, props),
                                     uri=f"urn:dkfi:{nation}:{layer}:{fid}" if fid is not None else None,
                                     sidc=props.get("sidc"), data=data)
            except (ValueError, TypeError, IndexError, KeyError):
                skipped["unsupported geometry"] += 1
                continue
            g.append(el)
            n += 1
        counts[layer] = n
        groups.append(g)
    lab = labels.combined
    root = ET.Element("nvg", {"xmlns": NVG_NS, "version": VERSION, "classification": _clean(str(lab))})
    meta = ET.SubElement(root, "metadata")
    meta.append(_stanag_element(lab, now, None))
    root.extend(groups)
    ET.indent(root, space="  ")
    doc = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    return NvgExport(doc, labels, counts, dict(skipped), now)


def export(session: Session, layers: Iterable[str], *, bbox: tuple[float, float, float, float] | None = None,
           now: datetime | None = None, **options) -> NvgExport:
    """The NVG export of registered GeoJSON layers for the session's user (LookupError for an unknown layer)."""
    now = now or datetime.now(timezone.utc)
    names = list(dict.fromkeys(layers))
    if not names:
        raise ValueError("name at least one layer")
    return build([(name, layer_geojson(session, name, now=now, **options)) for name in names], now=now, bbox=bbox)


# ---- import -------------------------------------------------------------------------------------------------

@dataclass
class ParsedNvg:
    """What an NVG file gave: GeoJSON features, elements skipped by reason (with the first messages), the file's
    STANAG 4774 marking if it carries one, and its version."""

    features: list[dict] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    label: Label | None = None
    label_error: str | None = None
    version: str = ""

    def skip(self, reason: str, where: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(f"{where}: {reason}" + (f" ({detail})" if detail else ""))

    def report(self) -> dict:
        return {"features": len(self.features), "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(sorted(self.skipped.items())), "messages": list(self.messages)}


class _Bad(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def _parse_xml(text: str) -> ET.Element:
    try:
        import defusedxml.ElementTree as DET  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        DET = None
    try:
        if DET is not None:
            return DET.fromstring(text, forbid_dtd=True)
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise NvgError(f"not well-formed XML: {exc}") from None
    except ValueError as exc:  # defusedxml's DTDForbidden and friends
        raise NvgError(f"refused: {exc}") from None


def _coord(x: str, y: str) -> tuple[float, float]:
    try:
        lon, lat = float(x), float(y)
    except (TypeError, ValueError):
        raise _Bad("bad coordinates", f"{x!r},{y!r} are not numbers") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _Bad("bad coordinates", f"{x},{y} is not finite")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _Bad("coordinates out of range", f"lon {x}, lat {y}")
    return lon, lat


def _point_list(text: str | None, least: int) -> list[list[float]]:
    items = (text or "").split()
    if len(items) > MAX_POINTS:
        raise _Bad("too many points", f"{len(items)} > {MAX_POINTS}")
    out = []
    for item in items:
        xy = item.split(",")
        if len(xy) != 2:
            raise _Bad("bad coordinates", f"{item[:40]!r} is not x,y")
        out.append(list(_coord(xy[0], xy[1])))
    if len(out) < least:
        raise _Bad("too few points", f"{len(out)} < {least}")
    return out


def _closed(ring: list[list[float]]) -> list[list[float]]:
    if len({tuple(p) for p in ring}) < 3:
        raise _Bad("too few points", "a polygon needs 3 distinct points")
    return ring + [ring[0]] if ring[0] != ring[-1] else ring


def _symbol(text: str | None) -> tuple[str, str] | None:
    """(standard, code) of a ``symbol`` attribute such as ``2525c:SFSPXM---------`` (_Bad if malformed)."""
    if text is None or not text.strip():
        return None
    std, sep, code = text.strip().partition(":")
    std = std.lower()
    if not sep or std not in SYMBOL_STANDARDS:
        raise _Bad("bad symbol", f"{text[:40]!r}: expected <standard>:<code>, standard one of "
                                 f"{', '.join(SYMBOL_STANDARDS)}")
    kind = SYMBOL_STANDARDS[std]
    code = code.strip().upper()
    if not (_LETTER_SIDC if kind == "letter" else _NUMBER_SIDC).match(code):
        raise _Bad("bad symbol", f"{text[:40]!r}: a {std} code has "
                                 + ("15 letters" if kind == "letter" else "20 or 30 digits"))
    return std, code


def _local(el: ET.Element) -> tuple[str | None, str]:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return None, tag


def _geometry(el: ET.Element, name: str) -> dict:
    if name == "point":
        return {"type": "Point", "coordinates": list(_coord(el.get("x", ""), el.get("y", "")))}
    if name == "text":
        return {"type": "Point", "coordinates": list(_coord(el.get("x", ""), el.get("y", "")))}
    if name == "multipoint":
        return {"type": "MultiPoint", "coordinates": _point_list(el.get("points"), 1)}
    if name == "polyline":
        return {"type": "LineString", "coordinates": _point_list(el.get("points"), 2)}
    if name == "polygon":
        rings = [_closed(_point_list(el.get("points"), 3))]
        for ex in el:
            if _local(ex)[1] == "exclude":
                for ring in ex:
                    if _local(ring)[1] != "linear-ring":
                        raise _Bad("unsupported exclusion", f"<{_local(ring)[1]}> in a polygon")
                    rings.append(_closed(_point_list(ring.get("points"), 3)))
        return {"type": "Polygon", "coordinates": rings}
    raise _Bad(f"unsupported element {name}")


def _composite(el: ET.Element, depth: int) -> dict:
    geoms = []
    for child in el:
        ns, name = _local(child)
        if ns not in NVG_NAMESPACES or name in NON_DRAWABLE:
            continue
        if name == "composite":
            if depth >= MAX_DEPTH:
                raise _Bad("nesting too deep", f"more than {MAX_DEPTH} levels")
            geoms.append(_composite(child, depth + 1))
        elif name in ("point", "multipoint", "polyline", "polygon", "text"):
            geoms.append(_geometry(child, name))
        else:
            raise _Bad(f"unsupported element {name}", "inside a composite")
    if not geoms:
        raise _Bad("empty composite")
    types = {g["type"] for g in geoms}
    if types == {"LineString"}:
        return {"type": "MultiLineString", "coordinates": [g["coordinates"] for g in geoms]}
    if types == {"Polygon"}:
        return {"type": "MultiPolygon", "coordinates": [g["coordinates"] for g in geoms]}
    if types == {"Point"}:
        return {"type": "MultiPoint", "coordinates": [g["coordinates"] for g in geoms]}
    return {"type": "GeometryCollection", "geometries": geoms}


def _extended(el: ET.Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for ext in el:
        if _local(ext)[1] != "extendedData":
            continue
        for sd in ext.iter():
            if _local(sd)[1] == "simpleData" and len(out) < 50:
                key = (sd.get("key") or sd.get("name") or "").strip()[:100]
                if key:
                    out[key] = (sd.text or "").strip()[:1000]
    return out


def _text_content(el: ET.Element) -> str | None:
    for child in el:
        if _local(child)[1] == "content":
            return (child.text or "").strip() or None
    return None


def _read(parent: ET.Element, out: ParsedNvg, group: str | None, depth: int, seen: list[int]) -> None:
    for el in parent:
        ns, name = _local(el)
        if ns in NVG_NAMESPACES and name in NON_DRAWABLE:
            continue
        where = f"<{name or '?'}> #{seen[0] + 1}" + (f" in group {group!r}" if group else "")
        seen[0] += 1
        if seen[0] > MAX_ELEMENTS:
            out.skip("too many elements", where, f"at most {MAX_ELEMENTS} are read")
            continue
        if ns not in NVG_NAMESPACES:
            out.skip("unsupported element (foreign namespace)", where, str(ns or "no namespace"))
            continue
        if name == "g":
            if depth >= MAX_DEPTH:
                out.skip("nesting too deep", where, f"more than {MAX_DEPTH} levels")
                continue
            _read(el, out, (el.get("label") or group or "").strip()[:200] or None, depth + 1, seen)
            continue
        try:
            if name == "composite":
                geom = _composite(el, depth + 1)
            elif name in ("point", "multipoint", "polyline", "polygon", "text"):
                geom = _geometry(el, name)
            else:
                raise _Bad(f"unsupported element {name}")
            sym = _symbol(el.get("symbol"))
        except _Bad as bad:
            out.skip(bad.reason, where + (f" uri={el.get('uri')!r}" if el.get("uri") else ""), bad.detail)
            continue
        label = el.get("label")
        if name == "text" and not label:
            label = _text_content(el)
        props: dict[str, Any] = {"name": (label or "").strip()[:500] or None, "element": name}
        if sym is not None:
            props["symbol"] = f"{sym[0]}:{sym[1]}"
            props["sidc"] = sym[1]
        if el.get("uri"):
            props["uri"] = el.get("uri", "")[:500]
        if group:
            props["group"] = group
        data = _extended(el)
        if data:
            props["data"] = data
        out.features.append({"type": "Feature", "geometry": geom, "properties": props})


def _file_label(root: ET.Element, out: ParsedNvg) -> None:
    from dkfi.core.stanag4774 import from_xml

    for meta in root:
        if _local(meta) != (root.tag[1:].partition("}")[0], "metadata"):
            continue
        for el in meta.iter(f"{{{S4774_NS}}}ConfidentialityLabel"):
            try:
                out.label = from_xml(ET.tostring(el, encoding="unicode"))[0]
            except ValueError as exc:
                out.label_error = f"the file's ConfidentialityLabel is not valid: {exc}"
            return


def parse(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> ParsedNvg:
    """Read an NVG 2.x document (see the module doc); :class:`NvgError` when it cannot be read at all."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise NvgError(f"the file is {size:,} bytes; at most {max_bytes:,} are accepted")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NvgError(f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data.lstrip("\ufeff")
    if not text.strip():
        raise NvgError("the file is empty")
    if _FORBIDDEN.search(text):
        raise NvgError("refused: the file contains a DTD or entity declaration (<!DOCTYPE / <!ENTITY); NVG needs "
                       "neither, and entity expansion is how XML bombs work")
    decl = re.match(r"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']", text)
    if decl and decl.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise NvgError(f"the file declares encoding {decl.group(1)!r}; only UTF-8 is read")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)   # str input: the declaration's encoding is moot
    root = _parse_xml(text)
    ns, name = _local(root)
    if name != "nvg" or ns not in NVG_NAMESPACES:
        raise NvgError(f"the root element is {root.tag!r}; an NVG document has <nvg> in namespace {NVG_NS}")
    out = ParsedNvg(version=(root.get("version") or "").strip())
    if not out.version.startswith("2."):
        raise NvgError(f"NVG version {out.version or '(none)'!r} is not read; this reads NVG 2.x (2.0.2 and "
                       "earlier 2.0 documents)")
    _file_label(root, out)
    _read(root, out, None, 0, [0])
    return out


def collection(parsed_features: list[dict], *, name: str, label: Label, owner: str, imported: datetime) -> dict:
    """The stored FeatureCollection of an overlay: its features, each labelled with the overlay's label."""
    from dkfi.core.records import label_dict

    lab = label_dict(label, owner)
    feats = []
    for i, f in enumerate(parsed_features, start=1):
        props = dict(f.get("properties") or {})
        props["classification"] = label.classification.name
        props["label"] = lab
        feats.append({"type": "Feature", "id": i, "geometry": f["geometry"], "properties": props})
    return {"type": "FeatureCollection", "name": name, "imported": iso_utc(imported), "features": feats}
