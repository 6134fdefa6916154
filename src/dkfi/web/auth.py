"""Logging in: the token endpoint of the API and the login/logout pages (rate limited, audited).

Failed logins are limited per account name (``DKFI_LOGIN_ATTEMPTS``, from any address) and per client address
(``DKFI_LOGIN_ATTEMPTS_PER_ADDRESS``, for any name) within ``DKFI_LOGIN_WINDOW_S``; over either the answer is 429
with ``Retry-After`` and the password is not checked. The client address is the connection's, or the one a
configured proxy forwards (``DKFI_TRUSTED_PROXIES``; nobody by default). Successful logins are audit entries;
failed ones are folded per address and window (:class:`dkfi.core.identity.FailedLogins`).
"""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dkfi.core import audit
from dkfi.core.identity import AuthError, FailedLogins, LoginLimiter, Principal, authenticate, issue_token
from dkfi.core.security import CSRF_COOKIE, SESSION_COOKIE, PrincipalDep, client_addr

router = APIRouter(tags=["auth"])

# ---- token endpoint and login pages ---------------------------------------------------------------------

class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: dict


def _limiter(request: Request) -> LoginLimiter:
    lim = getattr(request.app.state, "login_limiter", None)
    if lim is None:
        s = request.app.state.settings
        lim = request.app.state.login_limiter = LoginLimiter(s.login_attempts, s.login_window_s,
                                                             s.login_attempts_per_address)
    return lim


def failed_logins(app) -> FailedLogins:
    """The node's failed-login aggregator (one per application)."""
    agg = getattr(app.state, "failed_logins", None)
    if agg is None:
        agg = app.state.failed_logins = FailedLogins(app.state.settings.login_window_s)
    return agg


def write_entries(conn, entries: list[dict]) -> None:
    for entry in entries:
        audit.append(conn, **entry)


def flush_failed_logins(app, final: bool = False) -> int:
    """Write the summaries of failed-login windows that have ended (all of them when ``final``); their number."""
    agg = failed_logins(app)
    entries = agg.drain() if final else agg.due()
    if entries:
        try:
            with app.state.engine.begin() as conn:
                write_entries(conn, entries)
        except Exception:
            agg.unwritten(entries)  # kept for the next turn
            raise
    return len(entries)


def _login(request: Request, username: str, password: str) -> Principal:
    """Rate-limited password check, audited (failures folded per address and window)."""
    addr = client_addr(request)
    lim, agg = _limiter(request), failed_logins(request.app)
    wait = lim.retry_after(username, addr)
    if wait > 0:
        entries = agg.failed(addr, username, "too many failed logins", refused=True)
        if entries:
            with request.app.state.engine.begin() as conn:
                write_entries(conn, entries)
        raise HTTPException(429, f"too many failed logins for {username[:128]!r} or from {addr}; "
                                 f"retry in {int(wait) + 1} s", headers={"Retry-After": str(int(wait) + 1)})
    with Session(request.app.state.engine, expire_on_commit=False) as s:
        try:
            p = authenticate(s, username, password)
        except AuthError as exc:
            s.rollback()
            lim.failed(username, addr)
            write_entries(s.connection(), agg.failed(addr, username, str(exc)))
            s.commit()
            raise HTTPException(401, "unknown user or wrong password",
                                headers={"WWW-Authenticate": "Bearer"}) from None
        lim.succeeded(username, addr)
        write_entries(s.connection(), agg.succeeded(addr))
        audit.append(s.connection(), actor=p.name, actor_nation=p.nation, action="login", object_type="app_user",
                     object_id=p.name, remote=addr, owner_nation=p.nation)
        s.commit()
    return p


@router.post("/api/auth/token", response_model=TokenOut, summary="Log in a local account (OAuth2 password form)",
             responses={401: {"description": "wrong credentials"}, 429: {"description": "too many failed logins"}})
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    p = _login(request, form.username, form.password)
    settings = request.app.state.settings
    return TokenOut(access_token=issue_token(settings, p), expires_in=settings.token_ttl_s, user=p.as_dict())


@router.get("/api/auth/me", summary="The caller: name, nation, clearance, roles")
def me(p: PrincipalDep) -> dict:
    return p.as_dict() | {"actions": sorted(p.actions)}


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/", error: str | None = None):
    from dkfi.web.pages import templates

    settings = request.app.state.settings
    return templates.TemplateResponse(request, "login.html", {
        "nation": settings.nation, "banner": settings.banner, "page": "login", "next": _safe_next(next),
        "error": error, "user": None})


@router.post("/login", include_in_schema=False)
def login_submit(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/"):
    try:
        p = _login(request, username, password)
    except HTTPException as exc:
        return RedirectResponse(f"/login?next={quote(_safe_next(next))}&error={quote(str(exc.detail))}", 303)
    settings = request.app.state.settings
    resp = RedirectResponse(_safe_next(next), 303)
    resp.set_cookie(SESSION_COOKIE, issue_token(settings, p), max_age=settings.token_ttl_s, httponly=True,
                    samesite="strict", secure=settings.cookie_secure, path="/")
    resp.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=settings.token_ttl_s, httponly=False,
                    samesite="strict", secure=settings.cookie_secure, path="/")
    return resp


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: Annotated[str, Form()] = ""):
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not secrets.compare_digest(csrf_token, expected):
        raise HTTPException(403, "CSRF check failed: log out from the page's own button")
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp
