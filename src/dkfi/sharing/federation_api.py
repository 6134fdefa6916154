"""``GET /api/federation/status``: the outbox per partner and what was received, for this node's admins."""
from __future__ import annotations

from fastapi import APIRouter, Request

from dkfi.core.identity import Principal
from dkfi.core.security import UserSession, require

router = APIRouter(prefix="/api/federation", tags=["federation"])


@router.get("/status")
def federation_status(request: Request, session: UserSession, p: Principal = require("admin")) -> dict:
    """Per partner: pending and delivered changes, last delivery, last error; per origin: records received.

    Read in the admin's session, so the label filter applies: the outbox and inbox state are this node's own
    records (releasable to no one else), visible to admins of this node's nation only."""
    from dkfi.sharing import federation, outbox

    return federation.status(session, outbox.node_of(request.app.state.engine))
