"""The exercises layer for allies' maps: each exercise as a labelled GeoJSON feature at its point or area."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.exercises.models import Exercise
from dkfi.sharing.exports import Labels, collection, props_label


def exercises_geojson(session: Session, *, now: datetime | None = None) -> dict:
    """Every exercise the session may see; the geometry is its area, else its point, else null."""
    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    for e in session.scalars(select(Exercise).order_by(Exercise.start, Exercise.key)):
        labels.add(e.label, e.owner_nation)
        geom = e.area or ({"type": "Point", "coordinates": [e.lon, e.lat]} if e.lat is not None and e.lon is not None
                          else None)
        props = {"key": e.key, "name": e.name, "framework": e.framework, "organiser": e.organiser,
                 "start": e.start.isoformat(), "end": e.end.isoformat(), "domains": e.domains or [],
                 "location": e.location}
        features.append({"type": "Feature", "id": e.key, "geometry": geom,
                         "properties": props_label(props, e.label, e.owner_nation)})
    return collection("exercises", features, labels, now)
