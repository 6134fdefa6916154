"""The F-35 sites layer for allies' maps: bases, depots and companies as labelled GeoJSON points."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.f35.models import Site
from dkfi.sharing.exports import Labels, collection, props_label


def sites_geojson(session: Session, *, now: datetime | None = None) -> dict:
    """Every site the session may see, at its position (null geometry when it has none)."""
    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    for s in session.scalars(select(Site).order_by(Site.nation, Site.key)):
        labels.add(s.label, s.owner_nation)
        geom = {"type": "Point", "coordinates": [s.lon, s.lat]} if s.lat is not None and s.lon is not None else None
        props = {"key": s.key, "name": s.name, "nation": s.nation, "kind": s.kind,
                 "capabilities": s.capabilities or [], "capacity": s.capacity}
        features.append({"type": "Feature", "id": s.key, "geometry": geom,
                         "properties": props_label(props, s.label, s.owner_nation)})
    return collection("f35-sites", features, labels, now)
