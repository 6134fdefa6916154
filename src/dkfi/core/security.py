"""Who is asking, for HTTP (FastAPI dependencies every domain's ``api.py`` uses): bearer tokens for the API, a session cookie with CSRF protection for pages.

Every route that touches records takes :data:`UserSession` (or :func:`require`): a database session bound to
the caller's principal, so the access filter of :mod:`dkfi.core.access` applies to all its queries. Nothing in
``dkfi.web`` or a domain's ``api.py`` opens an unfiltered session for a user.

- ``Authorization: Bearer <jwt>``: this node's own tokens (``POST /api/auth/token``) or the configured
  identity provider's (OpenID Connect, checked against its JWKS).
- Pages: ``POST /login`` sets ``dkfi_session`` (the token, HttpOnly, SameSite=Strict) and ``dkfi_csrf`` (readable
  by the page's scripts). Requests authenticated by the cookie that change anything (POST, PUT, PATCH,
  DELETE) must echo the CSRF value in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
- Failed logins are limited per user name and client address (``DKFI_LOGIN_ATTEMPTS`` per
  ``DKFI_LOGIN_WINDOW_S``); over the limit the answer is 429 with ``Retry-After``.
"""
from __future__ import annotations

import hmac
from typing import Annotated, Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dkfi.core import audit
from dkfi.core.access import AccessDenied
from dkfi.core.access import user_session as access_session
from dkfi.core.identity import AuthError, Principal, verify_token

SESSION_COOKIE = "dkfi_session"
CSRF_COOKIE = "dkfi_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

bearer = HTTPBearer(auto_error=False, description="a token from POST /api/auth/token or the identity provider")


class NotLoggedIn(Exception):
    """A page was asked for without a session: the app answers with a redirect to /login."""


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def principal_from_cookie(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        p = verify_token(request.app.state.settings, token)
    except AuthError:
        return None
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER) or ""
        expected = request.cookies.get(CSRF_COOKIE) or ""
        if not expected or not hmac.compare_digest(sent, expected):
            raise HTTPException(403, f"CSRF check failed: send the {CSRF_COOKIE} cookie's value in {CSRF_HEADER}")
    return p


def current_principal(request: Request,
                      creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Principal:
    """The caller, from the bearer token or the session cookie; 401 when there is neither."""
    p: Principal | None
    if creds is not None:
        try:
            p = verify_token(request.app.state.settings, creds.credentials)
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    else:
        p = principal_from_cookie(request)
        if p is None:
            raise HTTPException(401, "not authenticated: send Authorization: Bearer <token> (POST /api/auth/token) "
                                     "or log in at /login", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = p
    return p


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def page_principal(request: Request) -> Principal:
    """The page user from the session cookie, or a redirect to the login page."""
    p = principal_from_cookie(request)
    if p is None:
        raise NotLoggedIn(request.url.path)
    request.state.principal = p
    return p


def _session_for(request: Request, p: Principal) -> Iterator[Session]:
    with access_session(request.app.state.engine, p, **{audit.REMOTE_KEY: client_addr(request)}) as s:
        yield s


def user_session(request: Request, p: PrincipalDep) -> Iterator[Session]:
    """A database session filtered to what the caller may see; committed after the route returns."""
    if not p.may("read"):
        raise HTTPException(403, f"{p.name} may not read")
    yield from _session_for(request, p)


# scope="function": the transaction commits when the route returns, before the response is sent, so a client
# never gets a success for a change that then fails to commit, and its next request sees the change
UserSession = Annotated[Session, Depends(user_session, scope="function")]


def require(action: str):
    """Dependency: the caller's role allows ``action`` (403 otherwise)."""

    def dep(request: Request, p: PrincipalDep) -> Principal:
        if not p.may(action):
            with request.app.state.engine.begin() as conn:
                audit.append(conn, actor=p.name, actor_nation=p.nation, action=action, object_type="route",
                             object_id=request.url.path, decision="deny", remote=client_addr(request),
                             detail={"method": request.method, "reason": "role"})
            raise HTTPException(403, f"{p.name}: role(s) {', '.join(sorted(p.roles)) or 'none'} may not {action}")
        return p

    return Depends(dep)


def denied(exc: AccessDenied) -> HTTPException:
    return HTTPException(403, str(exc))
