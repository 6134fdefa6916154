"""The watch's export layers: alerts and critical-infrastructure assets as labelled GeoJSON, alerts as
Cursor-on-Target, and the one rule that places an alert on a map (the map layer and the exports use it).

Alerts are CoT ``b-m-p-s-p-i`` (a point of interest) at the middle of the main finding's evidence track
(:func:`alert_point`), with ``<link uid="dkfi-..-vessel-<mmsi>" relation="p-p"/>`` to the vessel; alerts without
an evidence track are left out of CoT (GeoJSON keeps them with a null geometry). The bundled asset set is open
data (UNCLASSIFIED, releasable to DNK and FIN, owned by this node's nation); stored assets carry their own label."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.access import can_see, principal_of_session
from dkfi.core.config import get_settings
from dkfi.core.records import label_dict
from dkfi.sharing.exports import (DEFAULT_STALE_S, CotExport, Labels, check_cot_args, collection, cot_event,
                                  props_label, record_uid, OPEN_DATA, start_time)
from dkfi.watch.models import AlertRecord, AssetRecord

ALERT_COT_TYPE = "b-m-p-s-p-i"
#: MIL-STD-2525C tactical graphic "point of interest" (C2GM general reference point), identity unknown
ALERT_SIDC = "GUGPGPRI------X"


def alert_uid(alert_id: int, nation: str | None = None) -> str:
    return record_uid("alert", alert_id, nation)


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


def _check_statuses(statuses: Iterable[str] | None) -> list[str] | None:
    from dkfi.watch.service import STATUSES

    if statuses is None:
        return None
    wanted = [s.strip() for s in statuses if s and s.strip()]
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise ValueError(f"status must be among {', '.join(STATUSES)}; got {', '.join(bad)}")
    return wanted or None


def _alerts(session: Session, statuses: Iterable[str] | None):
    wanted = _check_statuses(statuses)
    q = select(AlertRecord).order_by(AlertRecord.id)
    if wanted:
        q = q.where(AlertRecord.status.in_(wanted))
    return session.scalars(q)


def alerts_geojson(session: Session, *, statuses: Iterable[str] | None = None,
                   now: datetime | None = None) -> dict:
    """The alerts the session may see (optionally of some statuses), as Points at :func:`alert_point`.

    An alert without an evidence track has a null geometry (valid GeoJSON)."""
    from dkfi.watch.service import summary_dict

    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    for r in _alerts(session, statuses):
        lab = r.label
        labels.add(lab, r.owner_nation)
        pt = alert_point(r.evidence, r.kind)
        props = summary_dict(r)
        props.pop("label", None)
        props["cot_type"] = ALERT_COT_TYPE
        props["sidc"] = ALERT_SIDC
        features.append({"type": "Feature", "id": r.id,
                         "geometry": {"type": "Point", "coordinates": list(pt)} if pt else None,
                         "properties": props_label(props, lab, r.owner_nation)})
    return collection("alerts", features, labels, now)


def watch_listed_vessels(session: Session, vessels) -> dict[int, str]:
    """``maritime.vessel_identity``: the vessels on a stored watch list the session may see (by MMSI or IMO
    number; name matches are too weak to mark a symbol) are suspect."""
    from dkfi.watch.models import WatchEntry

    entries = list(session.execute(select(WatchEntry.mmsi, WatchEntry.imo)))
    if not entries:
        return {}
    mmsis = {m for m, _ in entries if m is not None}
    imos = {i for _, i in entries if i is not None}
    return {v.mmsi: "suspect" for v in vessels if v.mmsi in mmsis or (v.imo is not None and v.imo in imos)}


def empty_export_hint(layer: str) -> str | None:
    """Under an alerts export that holds none (``sharing.empty_export_hints``): where alerts come from, since a
    replay shows its alerts without storing them unless asked."""
    if layer != "alerts":
        return None
    return ("exports hold stored alerts only: the live watch (dkfi watch live, dkfi serve) stores them as they "
            "happen; dkfi watch replay FILE shows alerts without storing them, run it with --save to keep them")


@lru_cache(maxsize=1)
def _bundled_assets() -> tuple[dict, ...]:
    """The packaged Baltic asset set (open data), loaded like the watch loads it."""
    from shapely.geometry import mapping

    from dkfi.watch import assets as assets_mod

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
                             "properties": props_label(props, OPEN_DATA, owner)})
    for r in session.scalars(select(AssetRecord).order_by(AssetRecord.id)):
        lab = r.label
        labels.add(lab, r.owner_nation)
        props = {"id": f"db-{r.id}", "name": r.name, "kind": r.kind, "owners": list(r.owners or []),
                 "criticality": r.criticality, "corridor_m": r.corridor_m, "source": r.source or "database"}
        features.append({"type": "Feature", "id": f"db-{r.id}", "geometry": r.geometry,
                         "properties": props_label(props, lab, r.owner_nation)})
    return collection("assets", features, labels, now)


def alerts_cot(session: Session, *, stale_s: float = DEFAULT_STALE_S, start: str = "record",
               statuses: Iterable[str] | None = None, now: datetime | None = None) -> CotExport:
    """A CoT event per alert the session may see that has a place (:func:`alert_point`)."""
    check_cot_args(stale_s, start)
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
                       start=start_time(r.end or r.start, now, start), stale_s=stale_s, label=lab, owner=r.owner_nation,
                       callsign=f"{r.kind} {who}", remarks=remarks, label_created=r.label_created,
                       label_reviewed=r.label_reviewed, link=(record_uid("vessel", r.mmsi, nation), "a-n-S-X"))
        events.append(ET.tostring(ev, encoding="unicode"))
    return CotExport("alerts", events, labels, now)
