"""The maritime picture's export layers: vessels as labelled GeoJSON and Cursor-on-Target (for TAK).

The envelope (collection label, STANAG 4774 XML, the CoT event and its label) is sharing's
(:mod:`dkfi.sharing.exports`); this module says what a vessel looks like in it: a Point at its latest position;
in CoT a neutral sea-surface track typed from its AIS ship-and-cargo type (after MIL-STD-2525's hierarchy,
:data:`AIS_COT_TYPES`, :func:`vessel_cot_type`; an AIS "military operations" vessel (35) gets unknown affiliation
``a-u-S-C``, anything else unknown ``a-n-S-X``), with ``<track>`` when course and speed are known (knots x
0.514444 = m/s), uid ``dkfi-<nation>-vessel-<mmsi>``."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.config import get_settings
from dkfi.maritime.aistext import nav_status_text, ship_type_text
from dkfi.maritime.models import Vessel
from dkfi.maritime.sidc import vessel_identity, vessel_sidc
from dkfi.core.times import iso_utc
from dkfi.sharing.exports import (DEFAULT_STALE_S, KNOT_MS, CotExport, Labels, check_cot_args, collection, cot_event,
                                  props_label, record_uid, start_time)


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


def vessel_uid(mmsi: int, nation: str | None = None) -> str:
    return record_uid("vessel", mmsi, nation)


#: extension point: ``f(session, vessels) -> {mmsi: "suspect" | "hostile"}``, the vessels a domain marks (the
#: watch: those on the watch lists the session may see); their symbol's identity follows (:mod:`dkfi.maritime.sidc`)
VESSEL_IDENTITY = "maritime.vessel_identity"


def marked_vessels(session: Session, vessels: list[Vessel]) -> dict[int, str]:
    """The vessels other domains mark (:data:`VESSEL_IDENTITY`), with the identity they give."""
    from dkfi.core import registry

    out: dict[int, str] = {}
    for fn in registry.extensions(VESSEL_IDENTITY):
        out.update(fn(session, vessels))
    return out


def vessels_geojson(session: Session, *, now: datetime | None = None) -> dict:
    """The latest position of every vessel the session may see, one Point feature each."""
    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    q = select(Vessel).where(Vessel.lat.is_not(None), Vessel.lon.is_not(None)).order_by(Vessel.mmsi)
    rows = list(session.scalars(q))
    marked = marked_vessels(session, rows) if rows else {}
    for v in rows:
        lab = v.label
        labels.add(lab, v.owner_nation)
        listed = v.mmsi in marked
        props = {"mmsi": v.mmsi, "name": v.name, "callsign": v.callsign, "imo": v.imo, "ship_type": v.ship_type,
                 "ship_type_text": ship_type_text(v.ship_type), "destination": v.destination, "sog": v.sog,
                 "cog": v.cog, "heading": v.heading, "nav_status": v.nav_status,
                 "nav_status_text": nav_status_text(v.nav_status), "time": iso_utc(v.time), "station": v.station,
                 "cot_type": vessel_cot_type(v.ship_type),
                 "identity": vessel_identity(v.ship_type, listed, marked.get(v.mmsi, "suspect")),
                 "sidc": vessel_sidc(v.ship_type, listed, marked.get(v.mmsi, "suspect"))}
        features.append({"type": "Feature", "id": v.mmsi,
                         "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
                         "properties": props_label(props, lab, v.owner_nation)})
    return collection("vessels", features, labels, now)



def vessels_cot(session: Session, *, stale_s: float = DEFAULT_STALE_S, start: str = "record",
                now: datetime | None = None) -> CotExport:
    """A CoT event per vessel with a position that the session may see."""
    check_cot_args(stale_s, start)
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
        lat, lon = v.lat, v.lon
        if lat is None or lon is None:  # the query selects vessels with a position only
            raise RuntimeError(f"vessel {v.mmsi} without a position in the CoT export")
        cog, sog = v.cog, v.sog
        course, speed_ms = (cog, sog * KNOT_MS) if cog is not None and sog is not None else (None, None)
        ev = cot_event(vessel_uid(v.mmsi, nation), vessel_cot_type(v.ship_type), lat, lon, now=now,
                       start=start_time(v.time, now, start), stale_s=stale_s, label=lab, owner=v.owner_nation,
                       callsign=(v.name or "").strip() or (v.callsign or "").strip() or f"MMSI {v.mmsi}",
                       remarks="; ".join(bits), label_created=v.label_created, label_reviewed=v.label_reviewed,
                       course=course, speed_ms=speed_ms)
        events.append(ET.tostring(ev, encoding="unicode"))
    return CotExport("vessels", events, labels, now)
