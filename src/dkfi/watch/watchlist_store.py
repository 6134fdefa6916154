"""Stored watch lists: a CSV imported once into the labelled ``watch_entry`` table, read by the live watch.

Importing replaces, per list name in the file, the entries of that list owned by the importing nation (a
sanctions list is re-issued whole); lists of other names and other nations' lists stay. Bad rows are
skipped and reported with their row numbers (``WatchList.from_text``); the good rows go in. Every entry
carries the label given at import (default RESTRICTED, releasable to DNK and FIN) and the owner nation, so
a user sees only the entries the access rule lets them see, and the live watch of a node matches against
every entry its node holds. ``dkfi serve`` / ``dkfi watch live`` use the stored lists unless a
``--watchlist`` file is named.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label
from dkfi.watch.models import WatchEntry
from dkfi.watch.watchlist import Entry, WatchList

WATCHLIST_DEFAULT = Label(Classification.RESTRICTED, ("DNK", "FIN"))
MAX_UPLOAD_BYTES = 5_000_000


@dataclass
class ImportResult:
    source: str
    lists: dict[str, int] = field(default_factory=dict)   # list name -> entries stored
    replaced: int = 0                                     # entries of those lists removed first
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"source": self.source, "lists": self.lists, "stored": sum(self.lists.values()),
                "replaced": self.replaced, "bad_rows": len(self.errors),
                "errors": [{"row": n, "message": m} for n, m in self.errors]}


def import_watchlist(session: Session, wl: WatchList, nation: str,
                     label: Label = WATCHLIST_DEFAULT) -> ImportResult:
    """Store the good entries of ``wl`` (see the module doc); the caller's session commits."""
    result = ImportResult(wl.source, dict(Counter(e.list for e in wl.entries)), 0, list(wl.errors))
    if result.lists:
        old = session.scalars(select(WatchEntry).where(WatchEntry.list_name.in_(sorted(result.lists)),
                                                       WatchEntry.owner_nation == nation))
        for rec in old:
            session.delete(rec)
            result.replaced += 1
        session.flush()
    now = datetime.now(timezone.utc)
    for e in wl.entries:
        rec = WatchEntry(list_name=e.list[:128], mmsi=e.mmsi, imo=e.imo, name=e.name[:128] if e.name else None,
                         reason=(e.reason or None) and e.reason[:512], added=now)
        rec.set_label(label, nation)
        session.add(rec)
    return result


def entries(session: Session) -> list[WatchEntry]:
    """The stored entries the session may see, by list and name."""
    return list(session.scalars(select(WatchEntry).order_by(WatchEntry.list_name, WatchEntry.name, WatchEntry.id)))


def stored_watchlist(session: Session) -> WatchList | None:
    """The stored entries as a :class:`WatchList` for the detectors, or None when there are none."""
    rows = entries(session)
    if not rows:
        return None
    return WatchList([Entry(r.list_name, imo=r.imo, mmsi=r.mmsi, name=r.name, reason=r.reason or "", row=r.id)
                      for r in rows], source="database")


def lists_summary(rows: list[WatchEntry]) -> list[dict]:
    """Per list and owner: entry count, newest import time, highest classification among the entries."""
    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        d = out.setdefault((r.list_name, r.owner_nation), {
            "name": r.list_name, "owner_nation": r.owner_nation, "entries": 0, "added": r.added,
            "classification": r.classification})
        d["entries"] += 1
        if r.added and (d["added"] is None or r.added > d["added"]):
            d["added"] = r.added
        if Classification.parse(r.classification) > Classification.parse(d["classification"]):
            d["classification"] = r.classification
    return list(out.values())
