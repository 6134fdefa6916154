"""HTTP routes of the exports: GeoJSON, Cursor-on-Target and NVG 2.0.2 for allies' tools, and sending CoT to a
TAK server.

Every route takes the caller's filtered session (``UserSession``), so only records the caller may see leave the
node; every answer carries the combined label of what it holds (``X-Classification`` header, and in the body)
and every export is written to the audit log. Formats: :mod:`dkfi.sharing.exports`, :mod:`dkfi.sharing.nvg`;
sending: :mod:`dkfi.sharing.tak`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dkfi.core import audit
from dkfi.core.labels import Label
from dkfi.core.security import UserSession, require
from dkfi.sharing import exports, nvg, tak

router = APIRouter(prefix="/api/export", tags=["exports"])

GEOJSON_MEDIA = "application/geo+json"
XML_MEDIA = "application/xml"
CLASSIFICATION_HEADER = "X-Classification"


class TakIn(BaseModel):
    """Send a layer's CoT events to one of this node's configured TAK servers."""

    layer: str = Field(..., max_length=32, description="vessels | alerts")
    server: str = Field(..., max_length=300, description="one of DKFI_TAK_SERVERS, e.g. tcp://127.0.0.1:8087")
    stale: int = Field(default=exports.DEFAULT_STALE_S, ge=1, le=7 * 86400,
                       description="seconds after the event is sent that TAK treats it as stale")
    start: Literal["record", "now"] = Field(default="record", description="event start: the record's time or now")
    status: list[str] | None = Field(default=None, max_length=8, description="alerts only: these statuses")


def _statuses(status: str | None) -> list[str] | None:
    return [s for s in status.split(",") if s.strip()] if status else None


def _headers(label: Label, layer: str, suffix: str, now: datetime) -> dict:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return {CLASSIFICATION_HEADER: exports.marking(label), "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="dkfi-{layer}-{stamp}.{suffix}"'}


def _audit(session: Session, layer: str, fmt: str, label: Label, count: int, **extra) -> None:
    audit.record(session, "export", "export", f"{layer}.{fmt}", classification=label.classification.name,
                 detail={"format": fmt, "layer": layer, "count": count, "label": str(label), **extra})


def _status_q():
    return Query(description="alerts only: comma-separated statuses (new, acknowledged, assigned, closed)")


@router.get("/{layer}.geojson", summary="A layer as GeoJSON: vessels, alerts or assets, labelled",
            response_class=JSONResponse,
            responses={200: {"content": {GEOJSON_MEDIA: {}}}, 404: {"description": "unknown layer"},
                       422: {"description": "bad parameters"}})
def export_geojson(layer: str, session: UserSession, status: Annotated[str | None, _status_q()] = None) -> Response:
    """A FeatureCollection of what the caller may see; each feature's ``properties.label`` and the collection's
    ``label`` (combined) and ``label_xml`` (STANAG 4774) carry the labels."""
    now = datetime.now(timezone.utc)
    if layer not in exports.geojson_layers():
        raise HTTPException(404, f"unknown export layer {layer!r}; GeoJSON layers: "
                                 f"{', '.join(exports.geojson_layers())}")
    try:
        fc = exports.geojson(session, layer, statuses=_statuses(status), now=now)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    label = exports.collection_label(fc)
    _audit(session, layer, "geojson", label, len(fc["features"]))
    return JSONResponse(fc, media_type=GEOJSON_MEDIA, headers=_headers(label, layer, "geojson", now))


@router.get("/{layer}.cot", summary="A layer as Cursor-on-Target XML events (vessels, alerts), labelled",
            response_class=Response,
            responses={200: {"content": {XML_MEDIA: {}}}, 404: {"description": "unknown layer"},
                       422: {"description": "bad parameters"}})
def export_cot(
    layer: str,
    session: UserSession,
    stale: Annotated[int, Query(ge=1, le=7 * 86400, description="seconds from the event's time (now) to stale")] =
    exports.DEFAULT_STALE_S,
    start: Annotated[Literal["record", "now"], Query(description="event start: the record's time or now")] = "record",
    status: Annotated[str | None, _status_q()] = None,
) -> Response:
    """``<events>``: the combined ``<__dkfi_label>``, then one CoT ``<event>`` per record the caller may see."""
    now = datetime.now(timezone.utc)
    if layer not in exports.cot_layers():
        raise HTTPException(404, f"unknown export layer {layer!r}; CoT layers: {', '.join(exports.cot_layers())}")
    try:
        out = exports.cot(session, layer, stale_s=stale, start=start, statuses=_statuses(status), now=now)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    _audit(session, layer, "cot", out.label, len(out.events))
    return Response(out.document(), media_type=XML_MEDIA, headers=_headers(out.label, layer, "cot", now))


def _nvg(session: Session, layers: list[str], bbox: str | None, status: str | None, name: str) -> Response:
    now = datetime.now(timezone.utc)
    known = exports.geojson_layers()
    bad = [x for x in layers if x not in known]
    if bad:
        raise HTTPException(404, f"unknown export layer {', '.join(map(repr, bad))}; layers: {', '.join(known)}")
    try:
        box = nvg.parse_bbox(bbox)
        out = nvg.export(session, layers, bbox=box, statuses=_statuses(status), now=now)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    _audit(session, name, "nvg", out.label, out.count, layers=layers, bbox=bbox)
    return Response(out.document, media_type=XML_MEDIA, headers=_headers(out.label, name, "nvg", now))


_BBOX_Q = Query(max_length=200, description="minlon,minlat,maxlon,maxlat: only features that intersect it")


@router.get("/nvg", summary="Several layers as one NATO Vector Graphics (NVG 2.0.2) document, labelled",
            response_class=Response,
            responses={200: {"content": {XML_MEDIA: {}}}, 404: {"description": "unknown layer"},
                       422: {"description": "bad parameters"}})
def export_nvg_layers(
    session: UserSession,
    layers: Annotated[str | None, Query(max_length=300, description="comma-separated; default: every layer")] = None,
    bbox: Annotated[str | None, _BBOX_Q] = None,
    status: Annotated[str | None, _status_q()] = None,
) -> Response:
    """``<nvg version="2.0.2">``: the combined STANAG 4774 label in ``metadata``, then one group ``g`` per layer."""
    names = [x.strip() for x in (layers or "").split(",") if x.strip()] or list(exports.geojson_layers())
    return _nvg(session, names, bbox, status, "overlay")


@router.get("/{layer}.nvg", summary="A layer as a NATO Vector Graphics (NVG 2.0.2) document, labelled",
            response_class=Response,
            responses={200: {"content": {XML_MEDIA: {}}}, 404: {"description": "unknown layer"},
                       422: {"description": "bad parameters"}})
def export_nvg(layer: str, session: UserSession, bbox: Annotated[str | None, _BBOX_Q] = None,
               status: Annotated[str | None, _status_q()] = None) -> Response:
    """Points with their APP-6 / MIL-STD-2525C symbol, lines as ``polyline``, areas as ``polygon``."""
    return _nvg(session, [layer], bbox, status, layer)


@router.post("/tak", summary="Send a layer's CoT events to a configured TAK server",
             responses={404: {"description": "unknown layer"},
                        422: {"description": "bad parameters, or a server that is not configured"},
                        502: {"description": "the TAK server is unreachable"}})
def export_tak(body: TakIn, request: Request, session: UserSession, principal=require("act")) -> Response:
    """Send over TCP or UDP, one event per message, to one of the servers in ``DKFI_TAK_SERVERS`` only."""
    if body.layer not in exports.cot_layers():
        raise HTTPException(404, f"unknown export layer {body.layer!r}; CoT layers: "
                                 f"{', '.join(exports.cot_layers())}")
    try:
        server = tak.parse_server(body.server)
        configured = tak.configured_servers(request.app.state.settings)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if server not in configured:
        known = ", ".join(str(s) for s in configured) or "none (set DKFI_TAK_SERVERS)"
        raise HTTPException(422, f"{server} is not a configured TAK server; configured: {known}")
    try:
        out = exports.cot(session, body.layer, stale_s=body.stale, start=body.start, statuses=body.status)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        sent = tak.send_events(server, out.messages(), timeout=5.0, retries=2, backoff=0.5)
    except tak.Refused as exc:
        raise HTTPException(422, str(exc)) from None
    except tak.TakError as exc:
        raise HTTPException(502, str(exc)) from None
    _audit(session, body.layer, "cot", out.label, sent, server=str(server))
    return JSONResponse({"layer": body.layer, "server": str(server), "sent": sent, "label": out.labels.as_dict()},
                        headers={CLASSIFICATION_HEADER: exports.marking(out.label), "Cache-Control": "no-store"})
