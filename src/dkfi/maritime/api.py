"""HTTP routes of the maritime picture: they translate HTTP to service calls and nothing more."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Annotated, Any, AsyncIterator

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from dkfi.core.access import can_see, denied_get, polars_visible
from dkfi.core.bus import get_bus
from dkfi.core.security import PrincipalDep, UserSession
from dkfi.core.times import aware, iso_ts, iso_utc as _iso
from dkfi.maritime import service
from dkfi.maritime.aistext import nav_status_text, ship_type_text
from dkfi.maritime.mmsi import in_mmsi_range
from dkfi.maritime.models import Vessel
from dkfi.core.records import Problem, label_out
from dkfi.maritime.schemas import VesselOut

router = APIRouter(prefix="/api", tags=["maritime"])


# Every route takes a UserSession: its queries see only what the caller may see (dkfi.core.access).
SessionDep = UserSession


def store_of(app):
    """The picture's state and history store of this web app (made on first use)."""
    st = app.state
    store = getattr(st, "maritime_store", None)
    if store is None:
        store = st.maritime_store = service.make_store(st.engine, st.settings)
    return store


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


def vessel_out(v: Vessel) -> VesselOut:
    return VesselOut(
        mmsi=v.mmsi, station=v.station, name=v.name, imo=v.imo, callsign=v.callsign, ship_type=v.ship_type,
        ship_type_text=ship_type_text(v.ship_type), length=v.length, width=v.width, draught=v.draught,
        destination=v.destination, eta=v.eta, time=aware(v.time) if v.time is not None else None,
        lat=v.lat, lon=v.lon, sog=v.sog, cog=v.cog,
        heading=v.heading, nav_status=v.nav_status, nav_status_text=nav_status_text(v.nav_status), rot=v.rot,
        source=v.source,
        label=label_out(v),
    )


@router.get("/vessels/{mmsi}", response_model=VesselOut, summary="One vessel: static data and latest position",
            responses={404: {"model": Problem}})
def vessel(mmsi: int, session: SessionDep) -> VesselOut:
    v = service.get_vessel(session, mmsi) if in_mmsi_range(mmsi) else None
    if v is None:
        if in_mmsi_range(mmsi):
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
    if not (in_mmsi_range(mmsi)) or service.get_vessel(session, mmsi) is None:
        if in_mmsi_range(mmsi):
            denied_get(session, Vessel, mmsi)
        raise HTTPException(404, f"no vessel with MMSI {mmsi}")
    df = polars_visible(request.state.principal, store_of(request.app).track(mmsi, t0, t1))
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
    return service.stats(session, store_of(request.app))


@router.get("/stream/positions", summary="Live position updates (server-sent events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "each event's data is a JSON array of position updates"}})
async def stream_positions(request: Request, principal: PrincipalDep,
                           interval: Annotated[float, Query(ge=0.1, le=10)] = 0.5):
    """Position updates batched every ``interval`` seconds; a comment line every 15 s keeps proxies open.

    Only updates the caller may see are sent (each message carries its label)."""
    bus = get_bus()

    async def events() -> AsyncIterator[str]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def pump() -> None:
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
                batch: dict[int, dict[str, Any]] = {}
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
