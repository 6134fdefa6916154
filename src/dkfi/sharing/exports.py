"""Exports that allies use: GeoJSON of vessels, alerts and assets; Cursor-on-Target (CoT) events for TAK.

Pure logic, no HTTP: every function takes a database session that is already bound to the requesting user
(:func:`dkfi.core.access.user_session` / the API's ``UserSession``), so its queries return only records the
user may see. The bundled asset layer does not come from the database; it passes :func:`dkfi.core.access.can_see`
with the session's principal. A session without a principal (the node's own jobs) sees everything.

Labels
------
Every GeoJSON feature carries ``properties.label`` (classification, releasable_to, policy, categories,
owner_nation) and ``properties.classification``; every collection carries a top-level ``label`` member, the
combined label of what it contains (:func:`dkfi.core.labels.combine`: highest classification, intersection of
releasability), and ``label_xml``, that label as a STANAG 4774 XML document. The collection's ``owner_nation``
is the one owner of all its records, or this node's nation when the records have several owners. An empty
collection is labelled UNCLASSIFIED, releasable to DNK and FIN (it holds nothing).

Every CoT event carries its record's label in ``<detail>``::

    <__dkfi_label classification="RESTRICTED" releasableTo="DNK,FIN" policy="NATO" owner="DNK"
                  categories="" marking="NATO RESTRICTED REL TO DNK, FIN">
      <ConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">...</ConfidentialityLabel>
    </__dkfi_label>

Cursor-on-Target
----------------
``<event version="2.0" uid type time start stale how="m-g">``, ``<point lat lon hae="9999999.0" ce="9999999.0"
le="9999999.0"/>`` (AIS gives no height and no error estimate: CoT's "unknown" value), and ``<detail>`` with
``<contact callsign/>``, ``<remarks>``, the label and, for vessels with course and speed, ``<track course
speed/>`` (speed in metres per second, AIS knots x 0.514444).

* uid: ``dkfi-<node nation>-vessel-<mmsi>`` and ``dkfi-<node nation>-alert-<id>``, stable across exports, so a
  TAK client moves the marker instead of adding one.
* time: when the event was generated (now). start: the record's time (a vessel's latest position, an alert's
  latest evidence ``end``), or now with ``start="now"`` (replays of old recordings). stale: start + ``stale_s``
  (default 300 s): TAK hides a marker whose data is older than that.
* Vessel types (after the MIL-STD-2525 sea-surface hierarchy, neutral ``n`` affiliation for AIS contacts),
  from the AIS ship-and-cargo type: see :data:`AIS_COT_TYPES` and :func:`vessel_cot_type`. An AIS "military
  operations" vessel (35) gets unknown affiliation ``a-u-S-C``; anything else unknown ``a-n-S-X``.
* Alerts are ``b-m-p-s-p-i`` (a point of interest) at the middle of the main finding's evidence track
  (:func:`alert_point`, the same place the map marks), with ``<link uid="dkfi-..-vessel-<mmsi>" relation="p-p"/>``
  to the vessel; alerts without an evidence track are left out of CoT (GeoJSON keeps them with a null geometry).

A CoT file (and ``GET /api/export/{layer}.cot``) is one XML document: ``<events count="n">`` holding first
the combined ``<__dkfi_label>`` and then one ``<event>`` per record. A TAK stream sends each ``<event>`` as
its own document (XML declaration, event, newline) per TCP write or UDP datagram (:func:`event_message`).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.access import can_see, principal_of_session
from dkfi.core.config import get_settings
from dkfi.core.labels import Classification, Label, combine
from dkfi.core.stanag4774 import to_xml
from dkfi.core.times import iso_utc

GEOJSON_LAYERS = ("vessels", "alerts", "assets")
COT_LAYERS = ("vessels", "alerts")
UNKNOWN = "9999999.0"           # CoT: value not known
KNOT_MS = 1852.0 / 3600.0       # knots -> metres per second
DEFAULT_STALE_S = 300
OPEN_DATA = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))   # bundled open data; also the empty export
ALERT_COT_TYPE = "b-m-p-s-p-i"
HOW = "m-g"

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UnknownLayer(LookupError):
    """The export has no such layer (the message names the known ones)."""


# ---- labels ---------------------------------------------------------------------------------------------

def label_dict(label: Label, owner_nation: str) -> dict:
    return {"classification": label.classification.name, "releasable_to": list(label.releasable_to),
            "policy": label.policy, "categories": list(label.categories), "owner_nation": owner_nation}


@dataclass
class Labels:
    """The labels (and owners) of what an export holds; ``combined`` is the export's own label."""

    items: list[tuple[Label, str]] = field(default_factory=list)

    def add(self, label: Label, owner: str) -> None:
        self.items.append((label, owner))

    @property
    def combined(self) -> Label:
        return combine(*(lab for lab, _ in self.items)) if self.items else OPEN_DATA

    @property
    def owner(self) -> str:
        owners = {o for _, o in self.items}
        return owners.pop() if len(owners) == 1 else get_settings().nation

    def as_dict(self) -> dict:
        lab = self.combined
        d = label_dict(lab, self.owner)
        d["owner_nations"] = sorted({o for _, o in self.items})
        d["marking"] = str(lab)
        return d


def marking(label: Label) -> str:
    """The label as one line of ASCII-safe text (the X-Classification header)."""
    return str(label)


# ---- placing alerts ---------------------------------------------------------------------------------------

def alert_point(evidence: list, kind: str) -> tuple[float, float] | None:
    """(lon, lat) where to mark an alert: the middle of the main finding's evidence track (else of any track).

    The map's alert layer (``dkfi.web.pages``) and the exports place alerts with this one rule."""
    events = sorted(evidence or [], key=lambda e: e.get("kind") != kind)
    for e in events:
        track = [p for p in e.get("track") or [] if p and p[1] is not None and p[2] is not None]
        if track:
            _, lat, lon = track[len(track) // 2][:3]
            return float(lon), float(lat)
    return None


# ---- GeoJSON ----------------------------------------------------------------------------------------------

def _collection(layer: str, features: list[dict], labels: Labels, now: datetime) -> dict:
    lab = labels.combined
    return {"type": "FeatureCollection", "name": f"dkfi-{layer}", "generated": iso_utc(now),
            "label": labels.as_dict(), "label_xml": to_xml(lab, created=now), "features": features}


def _props_label(props: dict, label: Label, owner: str) -> dict:
    props["classification"] = label.classification.name
    props["label"] = label_dict(label, owner)
    return props


def vessels_geojson(session: Session, *, now: datetime | None = None) -> dict:
    """The latest position of every vessel the session may see, one Point feature each."""
    from dkfi.maritime.aistext import nav_status_text, ship_type_text
    from dkfi.maritime.models import Vessel

    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    q = select(Vessel).where(Vessel.lat.is_not(None), Vessel.lon.is_not(None)).order_by(Vessel.mmsi)
    for v in session.scalars(q):
        lab = v.label
        labels.add(lab, v.owner_nation)
        props = {"mmsi": v.mmsi, "name": v.name, "callsign": v.callsign, "imo": v.imo, "ship_type": v.ship_type,
                 "ship_type_text": ship_type_text(v.ship_type), "destination": v.destination, "sog": v.sog,
                 "cog": v.cog, "heading": v.heading, "nav_status": v.nav_status,
                 "nav_status_text": nav_status_text(v.nav_status), "time": iso_utc(v.time), "station": v.station,
                 "cot_type": vessel_cot_type(v.ship_type)}
        features.append({"type": "Feature", "id": v.mmsi,
                         "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
                         "properties": _props_label(props, lab, v.owner_nation)})
    return _collection("vessels", features, labels, now)


def _check_statuses(statuses: Iterable[str] | None) -> list[str] | None:
    from dkfi.maritime.watch import STATUSES

    if statuses is None:
        return None
    wanted = [s.strip() for s in statuses if s and s.strip()]
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise ValueError(f"status must be among {', '.join(STATUSES)}; got {', '.join(bad)}")
    return wanted or None


def _alerts(session: Session, statuses: Iterable[str] | None):
    from dkfi.maritime.models import AlertRecord

    wanted = _check_statuses(statuses)
    q = select(AlertRecord).order_by(AlertRecord.id)
    if wanted:
        q = q.where(AlertRecord.status.in_(wanted))
    return session.scalars(q)


def alerts_geojson(session: Session, *, statuses: Iterable[str] | None = None,
                   now: datetime | None = None) -> dict:
    """The alerts the session may see (optionally of some statuses), as Points at :func:`alert_point`.

    An alert without an evidence track has a null geometry (valid GeoJSON)."""
    from dkfi.maritime.watch import summary_dict

    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    for r in _alerts(session, statuses):
        lab = r.label
        labels.add(lab, r.owner_nation)
        pt = alert_point(r.evidence, r.kind)
        props = summary_dict(r)
        props.pop("label", None)
        props["cot_type"] = ALERT_COT_TYPE
        features.append({"type": "Feature", "id": r.id,
                         "geometry": {"type": "Point", "coordinates": list(pt)} if pt else None,
                         "properties": _props_label(props, lab, r.owner_nation)})
    return _collection("alerts", features, labels, now)


@lru_cache(maxsize=1)
def _bundled_assets() -> tuple[dict, ...]:
    """The packaged Baltic asset set (open data), loaded like the watch loads it."""
    from shapely.geometry import mapping

    from dkfi.maritime import assets as assets_mod

    out = []
    for a in assets_mod.load_assets_geojson(assets_mod.default_assets_path()):
        out.append({"id": a.id, "name": a.name, "kind": a.kind, "owners": list(a.owners),
                    "criticality": a.criticality, "corridor_m": a.corridor_m,
                    "geometry": mapping(a.geometry)})
    return tuple(out)


def _json_geometry(geom) -> dict:
    """A shapely ``mapping`` (tuples) as plain JSON lists."""
    def lists(x):
        return [lists(i) for i in x] if isinstance(x, (list, tuple)) else x
    return {"type": geom["type"], "coordinates": lists(geom["coordinates"])}


def assets_geojson(session: Session, *, now: datetime | None = None) -> dict:
    """The bundled Baltic asset set (UNCLASSIFIED, releasable to DNK and FIN, owned by this node's nation),
    filtered with :func:`can_see`, and the asset records of the database the session may see."""
    from dkfi.maritime.models import AssetRecord

    now = now or datetime.now(timezone.utc)
    p = principal_of_session(session)
    owner = get_settings().nation
    labels, features = Labels(), []
    bundled = label_dict(OPEN_DATA, owner)
    if p is None or can_see(p, bundled):
        for a in _bundled_assets():
            labels.add(OPEN_DATA, owner)
            props = {k: a[k] for k in ("id", "name", "kind", "owners", "criticality", "corridor_m")}
            props["source"] = "bundled"
            features.append({"type": "Feature", "id": a["id"], "geometry": _json_geometry(a["geometry"]),
                             "properties": _props_label(props, OPEN_DATA, owner)})
    for r in session.scalars(select(AssetRecord).order_by(AssetRecord.id)):
        lab = r.label
        labels.add(lab, r.owner_nation)
        props = {"id": f"db-{r.id}", "name": r.name, "kind": r.kind, "owners": list(r.owners or []),
                 "criticality": r.criticality, "corridor_m": r.corridor_m, "source": r.source or "database"}
        features.append({"type": "Feature", "id": f"db-{r.id}", "geometry": r.geometry,
                         "properties": _props_label(props, lab, r.owner_nation)})
    return _collection("assets", features, labels, now)


def geojson(session: Session, layer: str, **kw) -> dict:
    """The GeoJSON export of ``layer`` (vessels | alerts | assets) for the session's user."""
    if layer == "vessels":
        return vessels_geojson(session, now=kw.get("now"))
    if layer == "alerts":
        return alerts_geojson(session, statuses=kw.get("statuses"), now=kw.get("now"))
    if layer == "assets":
        return assets_geojson(session, now=kw.get("now"))
    raise UnknownLayer(f"unknown export layer {layer!r}; GeoJSON layers: {', '.join(GEOJSON_LAYERS)}")


def collection_label(fc: dict) -> Label:
    """The combined label of a collection made here (from its ``label`` member)."""
    d = fc["label"]
    return Label(Classification.parse(d["classification"]), tuple(d["releasable_to"]), d["policy"],
                 tuple(d.get("categories") or ()))


# ---- Cursor-on-Target -------------------------------------------------------------------------------------

#: AIS ship-and-cargo type -> CoT type (neutral surface, after MIL-STD-2525's sea-surface hierarchy).
AIS_COT_TYPES: dict[int, str] = {
    30: "a-n-S-X-F",          # fishing -> fishing vessel
    31: "a-n-S-X-M-T-O",      # towing -> towing vessel
    32: "a-n-S-X-M-T-O",      # towing, long/wide
    35: "a-u-S-C",            # military operations -> combatant, affiliation unknown
    36: "a-n-S-X-R",          # sailing -> leisure craft
    37: "a-n-S-X-R",          # pleasure craft -> leisure craft
    52: "a-n-S-X-M-T-U",      # tug
    55: "a-n-S-X-L",          # law enforcement
}
_COT_BY_DECADE = {
    6: "a-n-S-X-M-P",         # passenger
    7: "a-n-S-X-M-C",         # cargo
    8: "a-n-S-X-M-O",         # tanker -> oiler/tanker
}
COT_SURFACE_UNKNOWN = "a-n-S-X"    # non-military surface vessel of unknown or other type
COT_MERCHANT = "a-n-S-X-M"         # merchant ship (high-speed craft 40-49, other 90-99)


def vessel_cot_type(ship_type: int | None) -> str:
    """The CoT type of a vessel from its AIS ship-and-cargo type (see :data:`AIS_COT_TYPES`)."""
    if ship_type is None:
        return COT_SURFACE_UNKNOWN
    if ship_type in AIS_COT_TYPES:
        return AIS_COT_TYPES[ship_type]
    decade = ship_type // 10
    if decade in _COT_BY_DECADE:
        return _COT_BY_DECADE[decade]
    if decade in (4, 9):
        return COT_MERCHANT
    return COT_SURFACE_UNKNOWN


def cot_time(dt: datetime) -> str:
    """CoT time: ISO 8601 UTC with milliseconds and a 'Z' (naive datetimes are UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _clean(text) -> str:
    """Text XML 1.0 can carry (characters it cannot are dropped); ElementTree escapes the rest."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def _num(x: float, digits: int = 7) -> str:
    return repr(round(float(x), digits))


def _stanag_element(label: Label, created: datetime | None, reviewed: datetime | None) -> ET.Element:
    """The STANAG 4774 label as an element to embed: unqualified names under an ``xmlns`` attribute, exactly
    as :func:`dkfi.core.stanag4774.to_xml` writes the document (so no ``ns0:`` prefixes appear)."""
    doc = ET.fromstring(to_xml(label, created, reviewed).split("\n", 1)[1])
    for el in doc.iter():
        if el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    doc.set("xmlns", "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0")
    return doc


def label_element(label: Label, owner: str, created: datetime | None = None,
                  reviewed: datetime | None = None, tag: str = "__dkfi_label") -> ET.Element:
    """``<__dkfi_label classification releasableTo policy owner categories marking>`` + STANAG 4774 XML."""
    el = ET.Element(tag, {"classification": label.classification.name, "releasableTo": label.releasable_text(),
                          "policy": _clean(label.policy), "owner": owner,
                          "categories": _clean(";".join(label.categories)), "marking": _clean(str(label))})
    el.append(_stanag_element(label, created, reviewed))
    return el


def cot_event(uid: str, cot_type: str, lat: float, lon: float, *, now: datetime, start: datetime, stale_s: float,
              label: Label, owner: str, callsign: str, remarks: str, label_created: datetime | None = None,
              label_reviewed: datetime | None = None, course: float | None = None, speed_ms: float | None = None,
              link: tuple[str, str] | None = None) -> ET.Element:
    """One CoT ``<event>`` element (see the module doc for the fields)."""
    ev = ET.Element("event", {"version": "2.0", "uid": _clean(uid), "type": cot_type, "time": cot_time(now),
                              "start": cot_time(start), "stale": cot_time(start + timedelta(seconds=stale_s)),
                              "how": HOW})
    ET.SubElement(ev, "point", {"lat": _num(lat), "lon": _num(lon), "hae": UNKNOWN, "ce": UNKNOWN, "le": UNKNOWN})
    detail = ET.SubElement(ev, "detail")
    ET.SubElement(detail, "contact", {"callsign": _clean(callsign)})
    if course is not None and speed_ms is not None:
        ET.SubElement(detail, "track", {"course": _num(course, 1), "speed": _num(speed_ms, 2)})
    if link is not None:
        ET.SubElement(detail, "link", {"uid": _clean(link[0]), "type": link[1], "relation": "p-p"})
    ET.SubElement(detail, "remarks").text = _clean(remarks)
    detail.append(label_element(label, owner, label_created, label_reviewed))
    return ev


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def vessel_uid(mmsi: int, nation: str | None = None) -> str:
    return f"dkfi-{nation or get_settings().nation}-vessel-{mmsi}"


def alert_uid(alert_id: int, nation: str | None = None) -> str:
    return f"dkfi-{nation or get_settings().nation}-alert-{alert_id}"


@dataclass
class CotExport:
    """The events of one export (each a serialised ``<event>``) and their labels."""

    layer: str
    events: list[str]
    labels: Labels
    generated: datetime

    @property
    def label(self) -> Label:
        return self.labels.combined

    def document(self) -> str:
        """One XML document: ``<events count>``, the combined label, then every event."""
        open_tag = (f"<events count={quoteattr(str(len(self.events)))} layer={quoteattr(self.layer)} "
                    f"generated={quoteattr(cot_time(self.generated))}>")
        lab = ET.tostring(label_element(self.label, self.labels.owner, self.generated), encoding="unicode")
        parts = ['<?xml version="1.0" encoding="UTF-8"?>', open_tag, "  " + lab]
        parts += ["  " + e for e in self.events]
        parts.append("</events>")
        return "\n".join(parts) + "\n"

    def messages(self) -> Iterable[bytes]:
        """One standalone document per event, as a TAK stream takes them."""
        return (event_message(e) for e in self.events)


def event_message(event: str | ET.Element) -> bytes:
    """An event as one TAK message: XML declaration, the event, a newline (UTF-8)."""
    text = event if isinstance(event, str) else ET.tostring(event, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _start(record_time: datetime | None, now: datetime, start: str) -> datetime:
    if start == "now" or record_time is None:
        return now
    return _aware(record_time)


def _check_cot_args(stale_s: float, start: str) -> None:
    if start not in ("record", "now"):
        raise ValueError(f"start must be 'record' or 'now'; got {start!r}")
    if not (1 <= stale_s <= 7 * 86400):
        raise ValueError(f"stale must be between 1 second and 7 days; got {stale_s}")


def vessels_cot(session: Session, *, stale_s: float = DEFAULT_STALE_S, start: str = "record",
                now: datetime | None = None) -> CotExport:
    """A CoT event per vessel with a position that the session may see."""
    from dkfi.maritime.aistext import nav_status_text, ship_type_text
    from dkfi.maritime.models import Vessel

    _check_cot_args(stale_s, start)
    now = now or datetime.now(timezone.utc)
    nation = get_settings().nation
    labels, events = Labels(), []
    q = select(Vessel).where(Vessel.lat.is_not(None), Vessel.lon.is_not(None)).order_by(Vessel.mmsi)
    for v in session.scalars(q):
        lab = v.label
        labels.add(lab, v.owner_nation)
        bits = [f"MMSI {v.mmsi}"]
        if v.imo:
            bits.append(f"IMO {v.imo}")
        for text in (ship_type_text(v.ship_type), nav_status_text(v.nav_status)):
            if text:
                bits.append(text)
        if v.destination:
            bits.append(f"destination {v.destination}")
        bits.append(f"label {lab}")
        has_track = v.cog is not None and v.sog is not None
        ev = cot_event(vessel_uid(v.mmsi, nation), vessel_cot_type(v.ship_type), v.lat, v.lon, now=now,
                       start=_start(v.time, now, start), stale_s=stale_s, label=lab, owner=v.owner_nation,
                       callsign=(v.name or "").strip() or (v.callsign or "").strip() or f"MMSI {v.mmsi}",
                       remarks="; ".join(bits), label_created=v.label_created, label_reviewed=v.label_reviewed,
                       course=v.cog if has_track else None, speed_ms=v.sog * KNOT_MS if has_track else None)
        events.append(ET.tostring(ev, encoding="unicode"))
    return CotExport("vessels", events, labels, now)


def alerts_cot(session: Session, *, stale_s: float = DEFAULT_STALE_S, start: str = "record",
               statuses: Iterable[str] | None = None, now: datetime | None = None) -> CotExport:
    """A CoT event per alert the session may see that has a place (:func:`alert_point`)."""
    _check_cot_args(stale_s, start)
    now = now or datetime.now(timezone.utc)
    nation = get_settings().nation
    labels, events = Labels(), []
    for r in _alerts(session, statuses):
        pt = alert_point(r.evidence, r.kind)
        if pt is None:
            continue
        lab = r.label
        labels.add(lab, r.owner_nation)
        who = r.vessel_name or f"MMSI {r.mmsi}"
        remarks = (f"{r.severity} {r.kind} alert, score {r.score:.0f}, status {r.status}: {r.summary}"
                   + (f" (asset {r.asset})" if r.asset else "") + f"; label {lab}")
        ev = cot_event(alert_uid(r.id, nation), ALERT_COT_TYPE, pt[1], pt[0], now=now,
                       start=_start(r.end or r.start, now, start), stale_s=stale_s, label=lab, owner=r.owner_nation,
                       callsign=f"{r.kind} {who}", remarks=remarks, label_created=r.label_created,
                       label_reviewed=r.label_reviewed, link=(vessel_uid(r.mmsi, nation), "a-n-S-X"))
        events.append(ET.tostring(ev, encoding="unicode"))
    return CotExport("alerts", events, labels, now)


def cot(session: Session, layer: str, **kw) -> CotExport:
    """The CoT export of ``layer`` (vessels | alerts) for the session's user."""
    if layer == "vessels":
        kw.pop("statuses", None)
        return vessels_cot(session, **kw)
    if layer == "alerts":
        return alerts_cot(session, **kw)
    raise UnknownLayer(f"unknown export layer {layer!r}; CoT layers: {', '.join(COT_LAYERS)}")
