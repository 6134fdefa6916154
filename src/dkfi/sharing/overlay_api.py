"""Routes of imported NVG overlays: upload (operators), list, read as GeoJSON, delete (the owner nation's
operators and admins). Every read goes through the caller's filtered session; changes are audited by it."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Path, UploadFile
from fastapi.responses import JSONResponse, Response

from dkfi.core import audit
from dkfi.core.access import denied_get
from dkfi.core.security import UserSession, require
from dkfi.sharing import nvg, overlays
from dkfi.sharing.models import NvgOverlay

router = APIRouter(prefix="/api/overlays", tags=["overlays"])
GEOJSON_MEDIA = "application/geo+json"
OverlayId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the overlay's id")]  # a database integer


def _find(session, overlay_id: int) -> NvgOverlay:
    r = overlays.get(session, overlay_id)
    if r is None:
        denied_get(session, NvgOverlay, overlay_id)
        raise HTTPException(404, f"no overlay {overlay_id}")
    return r


@router.get("", summary="Imported NVG overlays the caller may see, newest first")
def list_overlays(session: UserSession) -> dict:
    return {"overlays": [overlays.overlay_summary(r) for r in overlays.overlays(session)]}


@router.post("", status_code=201, summary="Import an NVG 2.x file as an overlay (operators)",
             responses={413: {"description": "file too large"},
                        422: {"description": "not NVG (named reason), no usable label, or no usable element"}})
async def import_overlay(
    session: UserSession,
    file: Annotated[UploadFile, File(description="the NVG document (XML, UTF-8)")],
    label: Annotated[str | None, Form(max_length=300, description="e.g. 'RESTRICTED REL TO DNK,FIN'; default: "
                                                                  "the file's STANAG 4774 marking")] = None,
    name: Annotated[str | None, Form(max_length=200, description="default: the file name")] = None,
    principal=require("act"),
) -> JSONResponse:
    """Good elements are kept; the answer's ``report`` counts the skipped ones by reason, with the first
    messages. The overlay belongs to the caller's nation and carries the given label or the file's own."""
    data = await file.read(nvg.MAX_BYTES + 1)
    if len(data) > nvg.MAX_BYTES:
        raise HTTPException(413, f"the file is larger than {nvg.MAX_BYTES:,} bytes")
    given = None
    if label and label.strip():
        try:
            given = nvg.parse_label(label)
        except ValueError as exc:
            raise HTTPException(422, f"label: {exc}") from None
    try:
        out = overlays.import_overlay(session, data, source_file=file.filename or "upload.nvg",
                                      owner=principal.nation, by=principal.name, label=given, name=name,
                                      ceiling=principal.clearance)
    except (nvg.NvgError, overlays.OverlayRefused) as exc:
        raise HTTPException(422, f"{file.filename or 'upload'}: {exc}") from None
    return JSONResponse(out.as_dict(), status_code=201)


@router.get("/{overlay_id}.geojson", summary="An overlay as a labelled GeoJSON FeatureCollection",
            response_class=JSONResponse,
            responses={200: {"content": {GEOJSON_MEDIA: {}}}, 404: {"description": "no such overlay visible"}})
def overlay_geojson(overlay_id: OverlayId, session: UserSession) -> Response:
    r = _find(session, overlay_id)
    return JSONResponse(overlays.overlay_geojson(r), media_type=GEOJSON_MEDIA,
                        headers={"X-Classification": str(r.label), "Cache-Control": "no-store"})


@router.delete("/{overlay_id}", status_code=204, summary="Delete an overlay (its owner nation's operators, admins)",
               responses={403: {"description": "not the owner nation"}, 404: {"description": "not found"}})
def delete_overlay(overlay_id: OverlayId, session: UserSession, principal=require("act")) -> Response:
    r = _find(session, overlay_id)
    if r.owner_nation != principal.nation:
        audit.record(session, "delete", NvgOverlay.__tablename__, overlay_id, classification=r.classification,
                     decision="deny", detail={"reason": "not the owner nation", "owner_nation": r.owner_nation})
        session.commit()
        raise HTTPException(403, f"overlay {overlay_id} belongs to {r.owner_nation}; only its nation may delete it")
    session.delete(r)
    session.flush()
    return Response(status_code=204)
