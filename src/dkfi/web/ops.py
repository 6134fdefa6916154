"""Routes for the machines that run a node: liveness, readiness and Prometheus metrics (docs/operations.md).

- ``/healthz``: the process answers; nothing else is checked, so an orchestrator restarts the node only when it
  is really stuck, never because the database is away for a moment.
- ``/readyz``: the node can serve: its database answers ``SELECT 1`` and its event bus is connected (the
  in-process bus always is; NATS when its client is connected). 200 with each check's state, or 503 naming
  what failed (the error's type only: its message may name hosts; the node's log has it whole).
- ``/metrics``: the domains' figures (:mod:`dkfi.core.metrics`) in the Prometheus text format, for the
  addresses of ``DKFI_METRICS_ALLOW`` (default 127.0.0.1) without logging in, or for an admin's token.

None of them opens a user's session or reads a record, so none writes audit entries; the health routes are
public by design (an orchestrator's probe has no account) and answer nothing about records.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from dkfi.core.security import client_addr, current_principal

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _failed(what: str, exc: BaseException) -> dict[str, Any]:
    log.warning("readiness: %s failed: %s: %s", what, type(exc).__name__, exc)
    return {"ok": False, "error": type(exc).__name__}


def check_database(engine: Any) -> dict[str, Any]:
    """The database answers a trivial query on a fresh checkout from the pool."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
    except Exception as exc:
        return _failed("database", exc)
    return {"ok": True}


def check_bus() -> dict[str, Any]:
    """The node's event bus can carry messages (made on first use, as the live tasks would)."""
    from dkfi.core.bus import get_bus

    try:
        bus = get_bus()
    except Exception as exc:  # NATS unreachable when the bus is first made, or a bad DKFI_BUS
        return _failed("bus", exc)
    if not bus.connected():
        return {"ok": False, "error": "not connected"}
    return {"ok": True}


@router.get("/readyz", summary="Readiness: the database and the event bus answer",
            responses={503: {"description": "a dependency failed (named in 'failed')"}})
def readyz(request: Request) -> JSONResponse:
    checks = {"database": check_database(request.app.state.engine), "bus": check_bus()}
    failed = [name for name, c in checks.items() if not c["ok"]]
    body: dict[str, Any] = {"status": "not ready" if failed else "ready", "checks": checks}
    if failed:
        body["failed"] = failed
    return JSONResponse(body, 503 if failed else 200)


def address_allowed(addr: str, networks: list) -> bool:
    """``addr`` (the connection's, or the one a trusted proxy forwarded) is in one of ``networks``."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:  # "unknown", a test client's name: not an address anyone listed
        return False
    return any(ip.version == net.version and ip in net for net in networks)


@router.get("/metrics", summary="Prometheus metrics (counts only)", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}, 401: {"description": "not an allowed address and "
                                                                                 "no token"},
                       403: {"description": "the token is not an admin's"}})
def metrics(request: Request) -> Response:
    from dkfi.core.metrics import CONTENT_TYPE, render

    settings = request.app.state.settings
    if not address_allowed(client_addr(request), settings.metrics_networks()):
        p = current_principal(request, None)  # 401 without a token
        if not p.may("admin"):
            raise HTTPException(403, f"{p.name}: /metrics is for admins, or for the addresses of "
                                     "DKFI_METRICS_ALLOW")
    return Response(render(request.app.state.engine), media_type=CONTENT_TYPE)
