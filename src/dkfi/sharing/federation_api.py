"""``GET /api/federation/status``: the outbox per partner and what was received, for this node's admins."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from dkfi.core.access import AccessDenied
from dkfi.core.identity import Principal
from dkfi.core.security import UserSession, require

router = APIRouter(prefix="/api/federation", tags=["federation"])


@router.get("/status", responses={403: {"description": "not an admin, or an admin of another nation than the "
                                                       "node's"}})
def federation_status(request: Request, session: UserSession, p: Principal = require("admin")) -> dict:
    """Per partner: endpoint, pending and delivered changes, last delivery, last error; per origin: records
    received. For admins of this node's own nation only (the partners' endpoints are the node's configuration)."""
    from dkfi.sharing import federation, outbox

    try:
        return federation.status(session, outbox.node_of(request.app.state.engine))
    except AccessDenied as exc:
        session.commit()  # keep the audit entry of the denial
        raise HTTPException(403, str(exc)) from None
