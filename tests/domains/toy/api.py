"""The toy domain's routes: list and read notes (only what the caller may see), and an export layer."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.access import denied_get
from dkfi.core.identity import Principal
from dkfi.core.records import record_label
from dkfi.core.security import UserSession
from dkfi.sharing.exports import Labels, collection, props_label
from dkfi.web.pages import PagePrincipal, render

from .models import ToyNote

router = APIRouter(prefix="/api/toy", tags=["toy"])
pages = APIRouter()


def note_dict(n: ToyNote) -> dict:
    return {"id": n.id, "key": n.key, "text": n.text, "label": record_label(n)}


@router.get("/notes")
def notes(session: UserSession) -> list[dict]:
    return [note_dict(n) for n in session.scalars(select(ToyNote).order_by(ToyNote.id))]


@router.get("/notes/{note_id}")
def note(note_id: int, session: UserSession) -> dict:
    n = session.get(ToyNote, note_id)
    if n is None:
        denied_get(session, ToyNote, note_id)
        raise HTTPException(404, f"no note {note_id}")
    return note_dict(n)


@pages.get("/toy", response_class=HTMLResponse, include_in_schema=False)
def toy_page(request: Request, p: Principal = PagePrincipal):
    from dkfi.core.access import user_session

    with user_session(request.app.state.engine, p) as s:
        rows = [note_dict(n) for n in s.scalars(select(ToyNote).order_by(ToyNote.id))]
    return render(request, "toy.html", "toy", notes=rows)


def notes_geojson(session: Session, *, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    labels, features = Labels(), []
    for n in session.scalars(select(ToyNote).order_by(ToyNote.id)):
        labels.add(n.label, n.owner_nation)
        features.append({"type": "Feature", "id": n.id, "geometry": None,
                         "properties": props_label({"key": n.key, "text": n.text}, n.label, n.owner_nation)})
    return collection("toy-notes", features, labels, now)
