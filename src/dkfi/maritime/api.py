"""HTTP routes of the maritime picture: they translate HTTP to service calls and nothing more."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Annotated, Iterator

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from dkfi.core.access import can_see, denied_get, polars_visible
from dkfi.core.bus import get_bus
from dkfi.core.security import PrincipalDep, UserSession, require
from dkfi.core.times import iso_ts, iso_utc as _iso
from dkfi.maritime import service
from dkfi.maritime.aistext import nav_status_text, ship_type_text
from dkfi.maritime.models import Vessel
from dkfi.maritime.schemas import AlertAction, AlertOut, LabelOut, Problem, VesselOut

router = APIRouter(prefix="/api", tags=["maritime"])


# Every route takes a UserSession: its queries see only what the caller may see (dkfi.core.access).
SessionDep = UserSession


def _parse_time(name: str, text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, f"{name} must be an ISO 8601 time such as 2013-11-12T12:00:00Z; got {text!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _feature(v: Vessel) -> dict:
    return {
        "type": "Feature",
        "id": v.mmsi,
        "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
        "properties": {
            "mmsi": v.mmsi, "name": v.name, "ship_type": v.ship_type, "sog": v.sog, "cog": v.cog,
            "heading": v.heading, "nav_status": v.nav_status, "time": _iso(v.time), "station": v.station,
        },
    }


@router.get("/vessels", summary="Latest positions as GeoJSON",
            responses={422: {"model": Problem, "description": "bad bbox"}})
def vessels(
    session: SessionDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS 84)",
                                      examples=["7.5,54,16.5,58"])] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> dict:
    """A GeoJSON FeatureCollection of the latest position of every vessel (inside ``bbox``)."""
    try:
        box = service.parse_bbox(bbox)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    rows = service.list_vessels(session, box, limit)
    return {"type": "FeatureCollection", "features": [_feature(v) for v in rows]}


def label_out(r) -> LabelOut:
    """The label and owner nation of a stored record, as the API shows them."""
    lab = r.label
    return LabelOut(classification=lab.classification.name, releasable_to=list(lab.releasable_to),
                    policy=lab.policy, owner_nation=r.owner_nation)


def vessel_out(v: Vessel) -> VesselOut:
    return VesselOut(
        mmsi=v.mmsi, station=v.station, name=v.name, imo=v.imo, callsign=v.callsign, ship_type=v.ship_type,
        ship_type_text=ship_type_text(v.ship_type), length=v.length, width=v.width, draught=v.draught,
        destination=v.destination, eta=v.eta, time=_iso(v.time), lat=v.lat, lon=v.lon, sog=v.sog, cog=v.cog,
        heading=v.heading, nav_status=v.nav_status, nav_status_text=nav_status_text(v.nav_status), rot=v.rot,
        source=v.source,
        label=label_out(v),
    )


@router.get("/vessels/{mmsi}", response_model=VesselOut, summary="One vessel: static data and latest position",
            responses={404: {"model": Problem}})
def vessel(mmsi: int, session: SessionDep) -> VesselOut:
    v = service.get_vessel(session, mmsi) if 0 <= mmsi <= 999_999_999 else None
    if v is None:
        if 0 <= mmsi <= 999_999_999:
            denied_get(session, Vessel, mmsi)
        raise HTTPException(404, f"no vessel with MMSI {mmsi}")
    return vessel_out(v)


@router.get("/vessels/{mmsi}/track", summary="A vessel's track as GeoJSON",
            responses={404: {"model": Problem}, 422: {"model": Problem}})
def track(
    mmsi: int,
    request: Request,
    session: SessionDep,
    start: Annotated[str | None, Query(description="ISO 8601 UTC, inclusive")] = None,
    end: Annotated[str | None, Query(description="ISO 8601 UTC, inclusive")] = None,
) -> dict:
    """The LineString of the positions between ``start`` and ``end``, and each position as a Point."""
    t0, t1 = _parse_time("start", start), _parse_time("end", end)
    if t0 is not None and t1 is not None and t0 > t1:
        raise HTTPException(422, f"start {start} is after end {end}")
    if not (0 <= mmsi <= 999_999_999) or service.get_vessel(session, mmsi) is None:
        if 0 <= mmsi <= 999_999_999:
            denied_get(session, Vessel, mmsi)
        raise HTTPException(404, f"no vessel with MMSI {mmsi}")
    df = polars_visible(request.state.principal, request.app.state.store.track(mmsi, t0, t1))
    coords = [[lon, lat] for lon, lat in zip(df["lon"].to_list(), df["lat"].to_list())]
    points = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {"time": iso_ts(r["ts"]),
                        "sog": r["sog"], "cog": r["cog"], "heading": r["heading"], "nav_status": r["nav_status"]}}
        for r in df.iter_rows(named=True)
    ]
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"mmsi": mmsi, "points": len(coords)}}
    return {"type": "FeatureCollection", "features": ([line] if len(coords) >= 2 else []) + points}


@router.get("/stats", summary="Counts of the vessel picture and its history")
def stats(request: Request, session: SessionDep) -> dict:
    return service.stats(session, request.app.state.store)


@router.get("/stream/positions", summary="Live position updates (server-sent events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "each event's data is a JSON array of position updates"}})
async def stream_positions(request: Request, principal: PrincipalDep,
                           interval: Annotated[float, Query(ge=0.1, le=10)] = 0.5):
    """Position updates batched every ``interval`` seconds; a comment line every 15 s keeps proxies open.

    Only updates the caller may see are sent (each message carries its label)."""
    bus = get_bus()

    async def events():
        queue: asyncio.Queue = asyncio.Queue()

        async def pump():
            async for msg in bus.subscribe(service.POSITIONS_SUBJECT):
                queue.put_nowait(msg)

        task = asyncio.create_task(pump())
        try:
            yield ": connected\n\n"
            idle = 0.0
            while True:
                await asyncio.sleep(interval)
                if await request.is_disconnected():
                    break
                batch = {}
                while not queue.empty():
                    m = queue.get_nowait()
                    if can_see(principal, m):
                        batch[m["mmsi"]] = m  # the newest per vessel is enough for the map
                if batch:
                    idle = 0.0
                    yield f"data: {json.dumps(list(batch.values()), separators=(',', ':'))}\n\n"
                else:
                    idle += interval
                    if idle >= 15:
                        idle = 0.0
                        yield ": keep-alive\n\n"
        finally:
            task.cancel()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- the watch: alerts ---------------------------------------------------------------------

def alert_out(r, full: bool = False, changes=None) -> AlertOut:
    from dkfi.maritime import watch
    from dkfi.maritime.schemas import AlertChangeOut

    return AlertOut(
        **watch.summary_dict(r),
        evidence=r.evidence if full else None,
        changes=[AlertChangeOut(at=_iso(c.at), actor=c.actor, action=c.action, from_status=c.from_status,
                                to_status=c.to_status, detail=c.detail or {}) for c in changes] if changes is not None else None,
    )


@router.get("/alerts", summary="Alerts of the critical-infrastructure watch, newest first")
def alerts(
    session: SessionDep,
    status: Annotated[str | None, Query(description="new | acknowledged | assigned | closed")] = None,
    kind: Annotated[str | None, Query(description="detector kind, e.g. anchor_drag")] = None,
    severity: Annotated[str | None, Query(description="low | medium | high | critical")] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict]:
    from dkfi.maritime import watch

    if status is not None and status not in watch.STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(watch.STATUSES)}; got {status!r}")
    rows = watch.list_alerts(session, status=status, kind=kind, severity=severity, mmsi=mmsi, limit=limit)
    return [alert_out(r).model_dump(mode="json", exclude_none=False) for r in rows]


@router.get("/alerts/{alert_id}", summary="One alert with its evidence and the record of its changes",
            responses={404: {"model": Problem}})
def alert(alert_id: int, session: SessionDep) -> dict:
    from dkfi.maritime import watch
    from dkfi.maritime.models import AlertRecord

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
    from dkfi.maritime import watch

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
    from dkfi.maritime.service import ALERTS_SUBJECT

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
    from dkfi.maritime.schemas import WatchEntryOut

    return WatchEntryOut(id=r.id, list=r.list_name, mmsi=r.mmsi, imo=r.imo, name=r.name, reason=r.reason,
                         added=r.added, label=label_out(r)).model_dump(mode="json")


@router.get("/watchlists", summary="Stored watch lists and their entries (only what the caller may see)",
            tags=["watch"])
def watchlists(session: SessionDep) -> dict:
    from dkfi.maritime.watchlist_store import entries, lists_summary

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
    from dkfi.maritime.watchlist import WatchList
    from dkfi.maritime.watchlist_store import MAX_UPLOAD_BYTES, import_watchlist

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
