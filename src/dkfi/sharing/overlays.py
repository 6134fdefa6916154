"""Overlays imported from allies' NVG files: store, list, read, delete (functions taking a session; the caller
commits). The access filter of the session decides what a user sees; the routes are in ``overlay_api``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label, dominates
from dkfi.core.records import label_dict
from dkfi.core.times import iso_utc
from dkfi.sharing import nvg
from dkfi.sharing.models import NvgOverlay


class OverlayRefused(ValueError):
    """The overlay cannot be stored as asked (no usable label, nothing to keep, ...): the message says why."""


@dataclass
class Imported:
    overlay: NvgOverlay
    parsed: nvg.ParsedNvg
    label_from: str            # "given" | "file"

    def as_dict(self) -> dict:
        return {**overlay_summary(self.overlay), "label_from": self.label_from, "report": self.parsed.report()}


def resolve_label(given: Label | None, parsed: nvg.ParsedNvg) -> tuple[Label, str]:
    """The overlay's label: the one given (which must not be lower than the file's own marking: that would
    release an ally's data wider than they did), else the file's STANAG 4774 marking."""
    if given is not None:
        if parsed.label is not None and not dominates(given, parsed.label):
            raise OverlayRefused(f"the file is marked {parsed.label}; the label given ({given}) is less restrictive, "
                                 "and an import may not lower an ally's marking")
        return given, "given"
    if parsed.label is not None:
        return parsed.label, "file"
    why = parsed.label_error or "the file carries no STANAG 4774 ConfidentialityLabel in its metadata"
    raise OverlayRefused(f"a label is required: {why}")


def import_overlay(session: Session, data: bytes, *, source_file: str, owner: str, by: str,
                   label: Label | None = None, name: str | None = None, ceiling: Classification | None = None,
                   now: datetime | None = None) -> Imported:
    """Parse ``data`` (NVG), and store its good features as one overlay owned by ``owner``.

    ``nvg.NvgError`` when the file cannot be read at all; :class:`OverlayRefused` when no label applies or no
    feature is usable (the report says why each element was skipped)."""
    parsed = nvg.parse(data)
    lab, label_from = resolve_label(label, parsed)
    if ceiling is not None and lab.classification > ceiling:
        raise OverlayRefused(f"the overlay's label {lab} is above the importer's clearance {ceiling.name}")
    if not parsed.features:
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(parsed.skipped.items())) or "the file has no drawables"
        raise OverlayRefused(f"no usable element in {source_file} ({reasons})")
    now = now or datetime.now(timezone.utc)
    title = (name or "").strip() or source_file.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "overlay"
    rec = NvgOverlay(name=title[:200], source_file=source_file[:300], imported=now, imported_by=by[:128],
                     feature_count=len(parsed.features), skipped=dict(parsed.skipped),
                     features=nvg.collection(parsed.features, name=title, label=lab, owner=owner, imported=now))
    rec.set_label(lab, owner)
    session.add(rec)
    session.flush()
    return Imported(rec, parsed, label_from)


def overlays(session: Session) -> list[NvgOverlay]:
    """The overlays the session may see, newest first."""
    return list(session.scalars(select(NvgOverlay).order_by(NvgOverlay.imported.desc(), NvgOverlay.id.desc())))


def get(session: Session, overlay_id: int) -> NvgOverlay | None:
    return session.get(NvgOverlay, overlay_id)


def overlay_summary(r: NvgOverlay) -> dict:
    return {"id": r.id, "name": r.name, "source_file": r.source_file, "imported": iso_utc(r.imported),
            "imported_by": r.imported_by, "features": r.feature_count, "skipped": dict(r.skipped or {}),
            "owner_nation": r.owner_nation, "label": label_dict(r.label, r.owner_nation), "marking": str(r.label)}


def overlay_geojson(r: NvgOverlay) -> dict:
    """The overlay as a labelled FeatureCollection (``label``: its label and marking)."""
    fc = dict(r.features or {})
    fc["type"] = "FeatureCollection"
    fc["id"] = r.id
    fc["name"] = r.name
    fc["label"] = {**label_dict(r.label, r.owner_nation), "marking": str(r.label)}
    fc.setdefault("features", [])
    return fc
