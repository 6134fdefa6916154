"""HTTP routes of the critical-infrastructure watch: alerts, their lifecycle and live stream, watch lists,
and the map's alert layer. They translate HTTP to service calls and nothing more."""
from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dkfi.core.access import can_see, denied_get
from dkfi.core.bus import get_bus
from dkfi.core.records import Problem, label_out
from dkfi.core.security import PrincipalDep, UserSession, require
from dkfi.core.times import aware, iso_utc as _iso
from dkfi.maritime.mmsi import MMSI_MAX
from dkfi.watch.schemas import AlertAction, AlertOut, AssetsOut

router = APIRouter(prefix="/api", tags=["watch"])

# Every route takes a UserSession: its queries see only what the caller may see (dkfi.core.access).
SessionDep = UserSession


def alert_out(r, full: bool = False, changes=None) -> AlertOut:
    from dkfi.watch import service as watch
    from dkfi.watch.schemas import AlertChangeOut

    return AlertOut(
        **watch.summary_dict(r),
        evidence=r.evidence if full else None,
        changes=[AlertChangeOut(at=aware(c.at), actor=c.actor, action=c.action, from_status=c.from_status,
                                to_status=c.to_status, detail=c.detail or {}) for c in changes] if changes is not None else None,
    )


@router.get("/alerts", summary="Alerts of the critical-infrastructure watch, newest first")
def alerts(
    session: SessionDep,
    status: Annotated[str | None, Query(description="new | acknowledged | assigned | closed")] = None,
    kind: Annotated[str | None, Query(description="detector kind, e.g. anchor_drag")] = None,
    severity: Annotated[str | None, Query(description="low | medium | high | critical")] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=MMSI_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict]:
    from dkfi.watch import service as watch

    if status is not None and status not in watch.STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(watch.STATUSES)}; got {status!r}")
    rows = watch.list_alerts(session, status=status, kind=kind, severity=severity, mmsi=mmsi, limit=limit)
    return [alert_out(r).model_dump(mode="json", exclude_none=False) for r in rows]


@router.get("/alerts/{alert_id}", summary="One alert with its evidence and the record of its changes",
            responses={404: {"model": Problem}})
def alert(alert_id: int, session: SessionDep) -> dict:
    from dkfi.watch import service as watch
    from dkfi.watch.models import AlertRecord

    r = session.get(AlertRecord, alert_id) if 0 < alert_id < 2**31 else None
    if r is None:
        if 0 < alert_id < 2**31:
            denied_get(session, AlertRecord, alert_id)
        raise HTTPException(404, f"no alert with id {alert_id}")
    return alert_out(r, full=True, changes=watch.changes(session, r.id)).model_dump(mode="json")


@router.post("/alerts/{alert_id}/actions", summary="Acknowledge, assign, close, reopen or annotate an alert",
             responses={404: {"model": Problem}, 409: {"model": Problem}})
def alert_action(alert_id: int, body: "AlertAction", session: SessionDep, principal=require("act")) -> dict:
    """The actor recorded is the logged-in user (``body.actor`` is ignored when it differs)."""
    from dkfi.watch import service as watch

    if not 0 < alert_id < 2**31:
        raise HTTPException(404, f"no alert with id {alert_id}")
    try:
        r = watch.act(session, alert_id, body.action, principal.name, unit=body.unit, nation=body.nation,
                      outcome=body.outcome, notes=body.notes)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except watch.LifecycleError as exc:
        raise HTTPException(409, str(exc)) from None
    session.flush()
    return alert_out(r, full=True, changes=watch.changes(session, r.id)).model_dump(mode="json")


@router.get("/stream/alerts", summary="Live alerts (server-sent events)", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "each event is one alert summary"}})
async def stream_alerts(request: Request, principal: PrincipalDep):
    """Alerts as they are raised or change; only those the caller may see."""
    from dkfi.watch.service import ALERTS_SUBJECT

    bus = get_bus()

    async def events():
        yield ": connected\n\n"
        agen = bus.subscribe(ALERTS_SUBJECT)
        try:
            while True:
                try:
                    msg = await asyncio.wait_for(agen.__anext__(), timeout=15)
                except StopAsyncIteration:  # the bus closed (shutdown)
                    break
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield ": keep-alive\n\n"
                    continue
                if not can_see(principal, msg):
                    continue
                yield f"data: {json.dumps(msg, separators=(',', ':'), default=str)}\n\n"
        finally:
            await agen.aclose()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- stored watch lists ---------------------------------------------------------------------------

def _entry_out(r) -> dict:
    from dkfi.watch.schemas import WatchEntryOut

    return WatchEntryOut(id=r.id, list=r.list_name, mmsi=r.mmsi, imo=r.imo, name=r.name, reason=r.reason,
                         added=r.added, label=label_out(r)).model_dump(mode="json")


@router.get("/watchlists", summary="Stored watch lists and their entries (only what the caller may see)",
            tags=["watch"])
def watchlists(session: SessionDep) -> dict:
    from dkfi.watch.watchlist_store import entries, lists_summary

    rows = entries(session)
    lists = [dict(d, added=_iso(d["added"])) for d in lists_summary(rows)]
    return {"lists": lists, "entries": [_entry_out(r) for r in rows]}


@router.post("/watchlists", summary="Import a watch-list CSV (replaces lists of the same name owned by this nation)",
             tags=["watch"], status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             responses={413: {"model": Problem, "description": "upload too large"},
                        422: {"model": Problem, "description": "not a UTF-8 CSV, no usable row, or a bad label"}})
async def import_watchlist_csv(
    request: Request,
    session: SessionDep,
    principal=require("plan"),
    list_name: Annotated[str | None, Query(alias="list", max_length=128,
                                           description="list name for rows without one")] = None,
    classification: Annotated[str, Query(max_length=32)] = "RESTRICTED",
    releasable_to: Annotated[str, Query(max_length=200, description="comma-separated nations")] = "DNK,FIN",
) -> dict:
    from dkfi.core.labels import Label
    from dkfi.watch.watchlist import WatchList
    from dkfi.watch.watchlist_store import MAX_UPLOAD_BYTES, import_watchlist

    try:
        label = Label.from_text(classification, releasable_to)
    except ValueError as exc:
        raise HTTPException(422, f"label: {exc}") from None
    if label.classification > principal.clearance:
        raise HTTPException(422, f"label: {label.classification.name} is above your clearance "
                                 f"{principal.clearance.name}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:  # refused before it is read
        raise HTTPException(413, f"the CSV is {int(declared):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    body = await request.body()
    if len(body) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"the CSV is {len(body):,} bytes; at most {MAX_UPLOAD_BYTES:,} are accepted")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the CSV is not UTF-8 text (byte {exc.start})") from None
    wl = WatchList.from_text(text, (list_name or "").strip() or "watch list", source="upload")
    if not wl.entries:
        first = "; ".join(f"row {n}: {m}" for n, m in wl.errors[:3])
        raise HTTPException(422, "no usable row: a row needs an IMO, MMSI or name"
                                 + (f" ({len(wl.errors)} bad rows; {first})" if wl.errors else ""))
    # the session commits when this returns, before the response is sent (core.security.UserSession), so the
    # page can reload its tables as soon as it has the answer
    result = await run_in_threadpool(import_watchlist, session, wl, principal.nation, label)
    return result.as_dict()


OPEN_STATUSES = ("new", "acknowledged", "assigned")


def open_alerts():
    """SQL condition: the alert is open (what the map shows and its banner considers)."""
    from dkfi.watch.models import AlertRecord

    return AlertRecord.status.in_(OPEN_STATUSES)


@router.get("/geo/alerts", tags=["map"], summary="Alerts as GeoJSON points, for the map's alert layer",
            responses={422: {"description": "unknown status"}})
def geo_alerts(
    s: SessionDep,
    status: str = Query(",".join(OPEN_STATUSES), description="comma-separated statuses; default the open ones"),
    limit: int = Query(2000, ge=1, le=10_000),
) -> Response:
    """One Point per alert at its evidence track, with the alert's summary and label as properties."""
    from dkfi.watch import service as watch
    from dkfi.watch.exports import alert_point
    from dkfi.watch.models import AlertRecord

    wanted = [x.strip() for x in status.split(",") if x.strip()]
    bad = [x for x in wanted if x not in watch.STATUSES]
    if bad:
        return JSONResponse({"detail": f"status must be among {', '.join(watch.STATUSES)}; got {', '.join(bad)}"},
                            status_code=422)
    q = select(AlertRecord).order_by(AlertRecord.start.desc(), AlertRecord.id.desc()).limit(limit)
    if wanted:
        q = q.where(AlertRecord.status.in_(wanted))
    features = []
    # s is the user's session: only alerts the caller may see
    for r in s.scalars(q):
        pt = alert_point(r.evidence, r.kind)
        if pt is None:
            continue
        d = watch.summary_dict(r)
        props = {k: d[k] for k in ("id", "kind", "mmsi", "vessel_name", "asset", "start", "severity", "score",
                                    "summary", "status", "assigned_to")}
        props["classification"] = d["label"]["classification"]
        props["releasable_to"] = d["label"]["releasable_to"]
        features.append({"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": list(pt)},
                         "properties": props})
    return JSONResponse({"type": "FeatureCollection", "features": features},
                        media_type="application/geo+json", headers={"Cache-Control": "no-store"})


# ---- the asset registry ---------------------------------------------------------------------------


_assets_summary: dict = {}  # the bundled set's summary, made once


def _bundled_assets_summary() -> dict:
    if not _assets_summary:
        from dkfi.watch import assets as assets_mod

        path = assets_mod.default_assets_path()
        _assets_summary.update(assets_mod.load_assets(path).as_dict(), source=path.name)
    return _assets_summary


@router.get("/assets", summary="The watch's asset registry: assets by kind and the features left out, with reasons",
            response_model=AssetsOut)
def assets_summary(principal: PrincipalDep) -> AssetsOut:
    """The bundled Baltic set the watch protects by default: the number of assets, their kinds and each feature
    of the file that did not load, with its reason. No geometry: see /api/geo/assets."""
    return AssetsOut(**_bundled_assets_summary())
