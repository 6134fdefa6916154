"""The critical-infrastructure watch: detectors over records, alerts from events, and the alert lifecycle.

``WatchRunner`` is the one engine for replay (history) and live feeds: records go in one by one, in
time order, and each new or changed event updates its alert.
"""
from __future__ import annotations

import importlib
import inspect
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label
from dkfi.core.records import Lifecycle, LifecycleError, record_label
from dkfi.core.times import iso_utc as _iso
from dkfi.watch.alerts import Alert, AlertBuilder
from dkfi.watch.detectors.base import Context, DetectionEngine, Detector, Event
from dkfi.watch.models import AlertChange, AlertRecord
from dkfi.maritime.records import Position, Static

log = logging.getLogger(__name__)

# modules under dkfi.watch.detectors (a name with a dot is a full module name: a detector from another package)
DETECTOR_MODULES: tuple[str, ...] = (
    "anchor_drag", "loitering", "drift", "sudden_speed_change", "ais_gap",
    "spoofing", "identity_change", "encounter", "watchlist",
)
# detector modules the watch runs without when they are not installed (none today: every detector is required)
OPTIONAL_DETECTOR_MODULES: tuple[str, ...] = ()


class DetectorLoadError(RuntimeError):
    """A detector module could not be loaded; the message names the module and the cause. The watch does not
    start without it (a watch silently missing a detector would look healthy and miss its alerts)."""

    def __init__(self, module: str, cause: str) -> None:
        super().__init__(f"detector module {module} could not be loaded: {cause}")
        self.module = module
        self.cause = cause

# Alerts are national assessments: restricted and releasable to both nations by default.
ALERTS_SUBJECT = "maritime.alerts"  # bus subject of new and changed alerts (its name predates the watch package)
ALERT_DEFAULT = Label(Classification.RESTRICTED, ("DNK", "FIN"))


def _module_name(name: str) -> str:
    return name if "." in name else f"dkfi.watch.detectors.{name}"


def detector_classes() -> dict[str, type[Detector]]:
    """Every detector class of :data:`DETECTOR_MODULES` by kind.

    A module that fails to import (a syntax error, an import error inside it, any exception at import), that is
    missing, or that defines no :class:`Detector` raises :class:`DetectorLoadError` naming it and the cause:
    the CLI prints it and exits non-zero, ``dkfi serve`` does not start its watch. The one exception is a module
    listed in :data:`OPTIONAL_DETECTOR_MODULES` that is not installed at all (the import of that very module
    finds nothing): it is skipped with a logged warning.
    """
    out: dict[str, type[Detector]] = {}
    for name in DETECTOR_MODULES:
        full = _module_name(name)
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            absent = exc.name is not None and (exc.name == full or full.startswith(exc.name + "."))
            if absent and name in OPTIONAL_DETECTOR_MODULES:
                log.warning("optional detector module %s is not installed: its detector does not run", full)
                continue
            raise DetectorLoadError(full, "no such module" if absent else f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # SyntaxError, ImportError, anything the module raised while loading
            raise DetectorLoadError(full, f"{type(exc).__name__}: {exc}") from exc
        found = [cls for _, cls in inspect.getmembers(mod, inspect.isclass)
                 if issubclass(cls, Detector) and cls is not Detector and cls.__module__ == mod.__name__]
        if not found:
            raise DetectorLoadError(full, "it defines no Detector class")
        for cls in found:
            out[cls.kind] = cls
    return out


def make_detectors(kinds: Iterable[str] | None = None, params: dict[str, dict] | None = None) -> list[Detector]:
    classes = detector_classes()
    chosen = list(classes) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in classes]
    if unknown:
        raise ValueError(f"unknown detector(s) {', '.join(unknown)}; available: {', '.join(sorted(classes))}")
    params = params or {}
    return [classes[k](**params.get(k, {})) for k in chosen]


def make_context(assets_path: Path | None = None, watchlist_path: Path | None = None,
                 corridor_m: float | None = None) -> Context:
    """Assets (the packaged Baltic set unless a file is named), land, ports and the watch list.

    ``ctx.assets.load`` tells what the asset file gave: the assets by kind and each feature skipped with its
    reason (also logged: a warning per skipped feature)."""
    from dkfi.watch import assets as assets_mod

    path = assets_path or assets_mod.default_assets_path()
    load = assets_mod.load_assets(path, **({} if corridor_m is None else {"default_corridor_m": corridor_m}))
    log.info("assets %s: %s", path, load.summary())
    for sk in load.skipped:
        log.warning("assets %s: %s", path, sk)
    ctx = Context(assets=assets_mod.AssetIndex(load))
    ctx.land = assets_mod.LandIndex()
    ctx.ports = assets_mod.PortIndex()
    if watchlist_path is not None:
        from dkfi.watch.watchlist import WatchList

        # a CSV file, or a list already read (the stored lists, ``watchlist_store.stored_watchlist``)
        ctx.watchlist = watchlist_path if isinstance(watchlist_path, WatchList) else WatchList.from_csv(watchlist_path)
    return ctx


class WatchRunner:
    """Detectors + alert builder over a stream of records."""

    def __init__(self, ctx: Context, detectors: list[Detector] | None = None) -> None:
        self.ctx = ctx
        self.engine = DetectionEngine(detectors if detectors is not None else make_detectors(), ctx)
        self.builder = AlertBuilder(watchlist=ctx.watchlist, static=ctx.static)

    def forget(self, mmsis: Iterable[int]) -> None:
        """Forget these vessels' detector state (a looping replay starts its ships afresh); alerts stay."""
        ms = set(mmsis)
        self.engine.forget(ms)
        for d in self.engine.detectors:
            d.forget(ms)

    def process(self, record: Position | Static) -> list[Alert]:
        """One record in; the alerts it created or changed out."""
        events = self.engine.process(record)
        if not events:  # the common case: the alert builder runs only on events
            return []
        changed = {}
        for e in events:
            a = self.builder.add(e)
            if a is not None:
                changed[a.key] = a
        return list(changed.values())

    def run(self, records: Iterable[Position | Static]) -> None:
        for r in records:
            self.process(r)

    def finish(self) -> list[Alert]:
        changed = {}
        for e in self.engine.finish():
            a = self.builder.add(e)
            if a is not None:
                changed[a.key] = a
        return list(changed.values())

    def events(self) -> list[Event]:
        return self.engine.final_events()

    def alerts(self) -> list[Alert]:
        return self.builder.final()


# ---- persistence and lifecycle --------------------------------------------------------------

STATUSES = ("new", "acknowledged", "assigned", "closed")
OUTCOMES = ("false_alarm", "confirmed", "handed_to_coast_guard", "handed_to_police")
WITHDRAWN = "withdrawn"  # the system's outcome when later data showed there was nothing
ACTIONS = {
    # action: (statuses it may start from, status it leads to)
    "acknowledge": (("new",), "acknowledged"),
    "assign": (("new", "acknowledged", "assigned"), "assigned"),
    "close": (("new", "acknowledged", "assigned"), "closed"),
    "reopen": (("closed",), "acknowledged"),
    "note": (STATUSES, None),
}


LIFECYCLE = Lifecycle("alert", STATUSES, ACTIONS, AlertChange, "alert_id")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def save_alerts(session: Session, alerts: Iterable[Alert | dict], nation: str,
                label: Label = ALERT_DEFAULT) -> list[AlertRecord]:
    """Insert new alerts and refresh the findings of known ones (their lifecycle is left alone).

    Takes :class:`Alert` objects or their ``as_dict()`` snapshots (what a live feed hands to its
    writer thread while detection goes on).
    """
    now = datetime.now(timezone.utc)
    out = []
    for a in alerts:
        d = a.as_dict() if isinstance(a, Alert) else a
        rec = session.scalar(select(AlertRecord).where(AlertRecord.key == d["key"]))
        fields = dict(kind=d["kind"], mmsi=d["mmsi"], vessel_name=d["vessel_name"], asset=d["asset"],
                      start=_from_iso(d["start"]), end=_from_iso(d["end"]), severity=d["severity"],
                      score=d["score"], summary=d["summary"][:512], factors=d["factors"], evidence=d["evidence"],
                      updated=now)
        if rec is None:
            rec = AlertRecord(key=d["key"], status="new", created=now, **fields)
            rec.set_label(label, nation)
            session.add(rec)
            session.flush()
            _change(session, rec, "system", "detected", None, "new", {"score": d["score"], "severity": d["severity"]})
        else:
            before = (rec.severity, rec.score)
            for k, v in fields.items():
                setattr(rec, k, v)
            if before != (d["severity"], d["score"]):
                _change(session, rec, "system", "updated", rec.status, rec.status,
                        {"score": d["score"], "severity": d["severity"]})
        out.append(rec)
    return out


def withdraw(session: Session, keys: Iterable[str]) -> list[AlertRecord]:
    """Close alerts that late data disproved (outcome ``withdrawn``, recorded as the system's change)."""
    out = []
    for key in keys:
        rec = session.scalar(select(AlertRecord).where(AlertRecord.key == key))
        if rec is None or rec.status == "closed":
            continue
        frm = rec.status
        rec.status, rec.outcome, rec.updated = "closed", WITHDRAWN, datetime.now(timezone.utc)
        _change(session, rec, "system", "withdrawn", frm, "closed", {"reason": "late data showed no such situation"})
        out.append(rec)
    return out


def summary_dict(r: AlertRecord) -> dict:
    """An alert without its evidence: what lists and the live alert stream carry."""
    return {
        "id": r.id, "key": r.key, "kind": r.kind, "mmsi": r.mmsi, "vessel_name": r.vessel_name, "asset": r.asset,
        "start": _iso(r.start), "end": _iso(r.end), "severity": r.severity, "score": r.score, "summary": r.summary,
        "factors": r.factors or [], "status": r.status, "assigned_to": r.assigned_to,
        "assigned_nation": r.assigned_nation, "outcome": r.outcome, "notes": r.notes,
        "label": record_label(r),
    }


def _change(session: Session, rec: AlertRecord, actor: str, action: str, frm: str | None, to: str | None,
            detail: dict) -> None:
    LIFECYCLE.record_change(session, rec, actor, action, frm, to, detail)


def act(session: Session, alert_id: int, action: str, actor: str, *, unit: str | None = None,
        nation: str | None = None, outcome: str | None = None, notes: str | None = None) -> AlertRecord:
    """Apply a lifecycle action (acknowledge, assign, close, reopen, note), recording who and when."""
    rec = session.get(AlertRecord, alert_id)
    if rec is None:
        raise LookupError(f"no alert with id {alert_id}")
    LIFECYCLE.target(rec, action, actor)  # refuses an action not allowed now, before anything changes
    detail: dict[str, Any] = {}
    if action == "assign":
        if not unit:
            raise LifecycleError("assign needs the unit to assign to")
        nation = (nation or "").upper()
        if nation not in ("DNK", "FIN"):
            raise LifecycleError(f"assign needs the unit's nation, DNK or FIN; got {nation or 'none'!r}")
        rec.assigned_to, rec.assigned_nation = unit, nation
        detail.update(unit=unit, nation=nation)
    if action == "close":
        if outcome not in OUTCOMES:
            raise LifecycleError(f"close needs an outcome: one of {', '.join(OUTCOMES)}; got {outcome!r}")
        rec.outcome = outcome
        detail["outcome"] = outcome
    if action == "reopen":
        rec.outcome = None
    if notes:
        rec.notes = ((rec.notes + "\n") if rec.notes else "") + f"[{actor}] {notes}"
        detail["notes"] = notes
    if action == "note" and not notes:
        raise LifecycleError("a note needs text")
    return LIFECYCLE.apply(session, rec, action, actor, detail)


def list_alerts(session: Session, *, status: str | None = None, kind: str | None = None,
                severity: str | None = None, mmsi: int | None = None, limit: int = 500) -> list[AlertRecord]:
    q = select(AlertRecord)
    if status:
        q = q.where(AlertRecord.status == status)
    if kind:
        q = q.where(AlertRecord.kind == kind)
    if severity:
        q = q.where(AlertRecord.severity == severity)
    if mmsi is not None:
        q = q.where(AlertRecord.mmsi == mmsi)
    return list(session.scalars(q.order_by(AlertRecord.start.desc(), AlertRecord.id.desc()).limit(limit)))


def changes(session: Session, alert_id: int) -> list[AlertChange]:
    return list(session.scalars(select(AlertChange).where(AlertChange.alert_id == alert_id).order_by(AlertChange.id)))
