"""Exports that allies use — the generic part: the labelled GeoJSON envelope, Cursor-on-Target (CoT) events and
their label, and the dispatch to the layers the domains declare (:class:`dkfi.core.registry.ExportLayer`:
``vessels`` in :mod:`dkfi.maritime.exports`, ``alerts`` and ``assets`` in :mod:`dkfi.watch.exports`).

Pure logic, no HTTP: every layer function takes a database session that is already bound to the requesting user
(:func:`dkfi.core.access.user_session` / the API's ``UserSession``), so its queries return only records the
user may see. A session without a principal (the node's own jobs) sees everything.

Labels
------
Every GeoJSON feature carries ``properties.label`` (classification, releasable_to, policy, categories,
owner_nation: :func:`dkfi.core.records.label_dict`) and ``properties.classification``; every collection carries a
top-level ``label`` member, the combined label of what it contains (:func:`dkfi.core.labels.combine`: highest
classification, intersection of releasability), and ``label_xml``, that label as a STANAG 4774 XML document. The
collection's ``owner_nation`` is the one owner of all its records, or this node's nation when the records have
several owners. An empty collection is labelled UNCLASSIFIED, releasable to DNK and FIN (it holds nothing).

Every CoT event carries its record's label in ``<detail>``::

    <__dkfi_label classification="RESTRICTED" releasableTo="DNK,FIN" policy="NATO" owner="DNK"
                  categories="" marking="NATO RESTRICTED REL TO DNK, FIN">
      <ConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">...</ConfidentialityLabel>
    </__dkfi_label>

Cursor-on-Target
----------------
``<event version="2.0" uid type time start stale how="m-g">``, ``<point lat lon hae="9999999.0" ce="9999999.0"
le="9999999.0"/>`` (AIS gives no height and no error estimate: CoT's "unknown" value), and ``<detail>`` with
``<contact callsign/>``, ``<remarks>``, the label and, for tracks with course and speed, ``<track course
speed/>`` (speed in metres per second).

* uid: ``dkfi-<node nation>-<kind>-<id>`` (:func:`record_uid`), stable across exports, so a TAK client moves the
  marker instead of adding one.
* time: when the event is made (now). start: the record's time (the age of the data), or now with
  ``start="now"``. stale: the later of time and start, plus ``stale_s`` (default 300 s) (:func:`stale_time`).
  TAK compares stale with its own clock and drops an event that is stale on arrival, so stale follows the time
  the event is sent, never the data's time: an export of a 2013 recording shows for ``stale_s`` like a live
  one, and a feed (``dkfi export tak --repeat``) keeps its markers while it sends them and lets them go
  ``stale_s`` after it stops. One rule for files, the API and TAK streams, all made by :func:`cot_event`.

A CoT file (and ``GET /api/export/{layer}.cot``) is one XML document: ``<events count="n">`` holding first
the combined ``<__dkfi_label>`` and then one ``<event>`` per record. A TAK stream sends each ``<event>`` as
its own document (XML declaration, event, newline) per TCP write or UDP datagram (:func:`event_message`).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session

from dkfi.core.config import get_settings
from dkfi.core.labels import Classification, Label, combine
from dkfi.core.records import label_dict
from dkfi.core.stanag4774 import to_xml
from dkfi.core.times import aware, iso_utc

UNKNOWN = "9999999.0"           # CoT: value not known
KNOT_MS = 1852.0 / 3600.0       # knots -> metres per second
DEFAULT_STALE_S = 300
OPEN_DATA = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))   # bundled open data; also the empty export
HOW = "m-g"

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UnknownLayer(LookupError):
    """The export has no such layer (the message names the known ones)."""


# ---- labels ---------------------------------------------------------------------------------------------

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


# ---- GeoJSON ----------------------------------------------------------------------------------------------

def collection(layer: str, features: list[dict], labels: Labels, now: datetime) -> dict:
    lab = labels.combined
    return {"type": "FeatureCollection", "name": f"dkfi-{layer}", "generated": iso_utc(now),
            "label": labels.as_dict(), "label_xml": to_xml(lab, created=now), "features": features}


def props_label(props: dict, label: Label, owner: str) -> dict:
    props["classification"] = label.classification.name
    props["label"] = label_dict(label, owner)
    return props


def collection_label(fc: dict) -> Label:
    """The combined label of a collection made here (from its ``label`` member)."""
    d = fc["label"]
    return Label(Classification.parse(d["classification"]), tuple(d["releasable_to"]), d["policy"],
                 tuple(d.get("categories") or ()))


# ---- Cursor-on-Target -------------------------------------------------------------------------------------

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


def stale_time(now: datetime, start: datetime, stale_s: float) -> datetime:
    """When an event made at ``now`` about data valid from ``start`` goes stale: ``stale_s`` after the later of
    the two (so after its ``time`` and its ``start``, whatever the age of the data; see the module doc)."""
    return max(aware(now), aware(start)) + timedelta(seconds=stale_s)


def cot_event(uid: str, cot_type: str, lat: float, lon: float, *, now: datetime, start: datetime, stale_s: float,
              label: Label, owner: str, callsign: str, remarks: str, label_created: datetime | None = None,
              label_reviewed: datetime | None = None, course: float | None = None, speed_ms: float | None = None,
              link: tuple[str, str] | None = None) -> ET.Element:
    """One CoT ``<event>`` element (see the module doc for the fields)."""
    ev = ET.Element("event", {"version": "2.0", "uid": _clean(uid), "type": cot_type, "time": cot_time(now),
                              "start": cot_time(start), "stale": cot_time(stale_time(now, start, stale_s)),
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


def start_time(record_time: datetime | None, now: datetime, start: str) -> datetime:
    return now if start == "now" or record_time is None else aware(record_time)


def check_cot_args(stale_s: float, start: str) -> None:
    if start not in ("record", "now"):
        raise ValueError(f"start must be 'record' or 'now'; got {start!r}")
    if not (1 <= stale_s <= 7 * 86400):
        raise ValueError(f"stale must be between 1 second and 7 days; got {stale_s}")


def record_uid(kind: str, ident, nation: str | None = None) -> str:
    """A CoT uid stable across exports (``dkfi-<node nation>-<kind>-<id>``), so a TAK client moves a marker
    instead of adding one."""
    return f"dkfi-{nation or get_settings().nation}-{kind}-{ident}"


# ---- layers: what the domains declare (dkfi.core.registry.ExportLayer) -------------------------------------

def geojson_layers() -> tuple[str, ...]:
    from dkfi.core import registry

    return tuple(name for name, layer in registry.export_layers().items() if layer.geojson is not None)


def cot_layers() -> tuple[str, ...]:
    from dkfi.core import registry

    return tuple(name for name, layer in registry.export_layers().items() if layer.cot is not None)


def _layer(layer: str, fmt: str, known: tuple[str, ...]):
    from dkfi.core import registry

    spec = registry.export_layers().get(layer)
    fn = getattr(spec, fmt, None) if spec is not None else None
    if fn is None:
        raise UnknownLayer(f"unknown export layer {layer!r}; {'GeoJSON' if fmt == 'geojson' else 'CoT'} layers: "
                           f"{', '.join(known)}")
    return spec, registry.resolve(fn)


def _options(spec, kw: dict, common: tuple[str, ...]) -> dict:
    """The keyword options a layer takes: the common ones and those it declares (others are not its own)."""
    return {k: v for k, v in kw.items() if k in common or k in spec.options}


#: extension point: ``f(layer) -> str | None``, why an export of one of a domain's layers may hold nothing and how
#: records get there (the CLI says it under an empty export)
EMPTY_HINTS = "sharing.empty_export_hints"


def empty_hint(layer: str) -> str | None:
    """What the domain of ``layer`` says about an empty export of it (:data:`EMPTY_HINTS`), if anything."""
    from dkfi.core import registry

    for hint in registry.extensions(EMPTY_HINTS):
        text = hint(layer)
        if text:
            return text
    return None


def geojson(session: Session, layer: str, **kw) -> dict:
    """The labelled GeoJSON export of ``layer`` (a registered layer) for the session's user."""
    spec, fn = _layer(layer, "geojson", geojson_layers())
    return fn(session, **_options(spec, kw, ("now",)))


def cot(session: Session, layer: str, **kw) -> CotExport:
    """The labelled Cursor-on-Target export of ``layer`` for the session's user."""
    spec, fn = _layer(layer, "cot", cot_layers())
    return fn(session, **_options(spec, kw, ("now", "stale_s", "start")))
