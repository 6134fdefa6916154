"""HTTP routes of sharing: read and set a record's label (the share dialog), STANAG 4774 XML, the audit log."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from dkfi.core.access import AccessDenied, denied_get
from dkfi.core.labels import LabelChangeError
from dkfi.core.security import UserSession, require
from dkfi.core.times import iso_utc
from dkfi.sharing import service
from dkfi.core.records import record_label
from dkfi.sharing.schemas import AuditOut, LabelIn, RecordLabelOut

router = APIRouter(prefix="/api", tags=["sharing"])


def _label_out(record_type: str, ident: str, r, changes=()) -> RecordLabelOut:
    return RecordLabelOut(**record_label(r), record_type=record_type, id=ident, created=iso_utc(r.label_created),
                          reviewed=iso_utc(r.label_reviewed), display=str(r.label), changes=list(changes))


def _find(session, record_type: str, ident: str):
    try:
        r = service.get_record(session, record_type, ident)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    if r is None:
        model = service.model_of(record_type)
        denied_get(session, model, service.parse_key(model, ident))
        raise HTTPException(404, f"no {record_type} {ident}")
    return r


@router.get("/labels/{record_type}/{ident}", response_model=RecordLabelOut, summary="A record's label",
            responses={404: {"description": "unknown type, or no such record visible to the caller"}})
def get_label(record_type: str, ident: str, session: UserSession) -> RecordLabelOut:
    return _label_out(record_type, ident, _find(session, record_type, ident))


@router.get("/labels/{record_type}/{ident}/stanag4774", summary="A record's label as STANAG 4774 XML",
            responses={200: {"content": {"application/xml": {}}}, 404: {"description": "not found"}})
def get_label_xml(record_type: str, ident: str, session: UserSession) -> Response:
    from dkfi.core.stanag4774 import to_xml

    r = _find(session, record_type, ident)
    return Response(to_xml(r.label, r.label_created, r.label_reviewed), media_type="application/xml")


@router.put("/labels/{record_type}/{ident}", response_model=RecordLabelOut,
            summary="Set a record's label: classification and releasability (owner nation only, audited)",
            responses={403: {"description": "not the owner nation, or role may not label"},
                       404: {"description": "not found"}, 409: {"description": "downgrade not confirmed"},
                       422: {"description": "bad label"}})
def put_label(record_type: str, ident: str, body: LabelIn, session: UserSession,
              principal=require("label")) -> RecordLabelOut:
    r = _find(session, record_type, ident)
    try:
        label = service.new_label(r.label, body.classification, body.releasable_to, body.categories)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return _apply(session, record_type, ident, r, label, body.downgrade)


def _apply(session, record_type: str, ident: str, r, label, downgrade: bool) -> RecordLabelOut:
    try:
        changes = service.change_label(session, r, label, downgrade=downgrade)
    except AccessDenied as exc:
        session.commit()  # keep the audit entry of the denial
        raise HTTPException(403, str(exc)) from None
    except LabelChangeError as exc:
        session.commit()
        raise HTTPException(403 if exc.reason == "not_owner" else 409, str(exc)) from None
    session.flush()
    return _label_out(record_type, ident, r, changes)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.put("/labels/{record_type}/{ident}/stanag4774", response_model=RecordLabelOut,
            summary="Set a record's label from STANAG 4774 XML (owner nation only, audited)",
            openapi_extra={"requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}},
                                           "required": True}},
            responses={403: {"description": "not the owner nation"}, 404: {"description": "not found"},
                       409: {"description": "downgrade not confirmed"}, 422: {"description": "bad XML"}})
def put_label_xml(record_type: str, ident: str, session: UserSession, body: Annotated[bytes, Depends(_raw_body)],
                  principal=require("label"), downgrade: bool = False) -> RecordLabelOut:
    from dkfi.core.stanag4774 import from_xml

    try:
        label, _created, _reviewed = from_xml(body)
    except ValueError as exc:
        raise HTTPException(422, f"STANAG 4774 label: {exc}") from None
    r = _find(session, record_type, ident)
    return _apply(session, record_type, ident, r, label, downgrade)


@router.get("/audit", response_model=list[AuditOut], summary="The audit log of the caller's nation (admins)",
            responses={403: {"description": "not an admin"}})
def audit_log(session: UserSession, principal=require("audit"),
              limit: Annotated[int, Query(ge=1, le=5000)] = 200,
              before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> list[AuditOut]:
    rows = service.audit_entries(session, limit, before_seq)
    return [AuditOut(seq=e.seq, at=iso_utc(e.at), actor=e.actor, actor_nation=e.actor_nation, action=e.action,
                     object_type=e.object_type, object_id=e.object_id, object_classification=e.object_classification,
                     decision=e.decision, remote=e.remote, detail=e.detail or {}, hash=e.hash,
                     label=record_label(e)) for e in rows]
