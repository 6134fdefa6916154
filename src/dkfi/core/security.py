"""Who is asking, for HTTP (FastAPI dependencies every domain's ``api.py`` uses): bearer tokens for the API, a session cookie with CSRF protection for pages.

Every route that touches records takes :data:`UserSession` (or :func:`require`): a database session bound to
the caller's principal, so the access filter of :mod:`dkfi.core.access` applies to all its queries. Nothing in
``dkfi.web`` or a domain's ``api.py`` opens an unfiltered session for a user.

- ``Authorization: Bearer <jwt>``: this node's own tokens (``POST /api/auth/token``) or the configured
  identity provider's (OpenID Connect, checked against its JWKS).
- Pages: ``POST /login`` sets ``dkfi_session`` (the token, HttpOnly, SameSite=Strict) and ``dkfi_csrf`` (readable
  by the page's scripts). Requests authenticated by the cookie that change anything (POST, PUT, PATCH,
  DELETE) must echo the CSRF value in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
- Every request is served with the caller's account as it is now (:func:`dkfi.core.identity.principal_for_token`):
  a deleted or disabled account's token gets 401, a lowered clearance or role applies at once.
- Routes declare what they need through their dependencies (:data:`UserSession`: read; :func:`require`: an
  action; :data:`PrincipalDep`: a caller). FastAPI reads a request's body before it solves dependencies, so
  :func:`refuse_before_body` checks the same declarations first; the application's request guard calls it
  before the body is read (``dkfi.web.app``).
- Failed logins are limited per account and per client address (``dkfi.web.auth``).
"""
from __future__ import annotations

import hmac
from typing import Annotated, Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dkfi.core import audit
from dkfi.core.access import AccessDenied
from dkfi.core.access import user_session as access_session
from dkfi.core.identity import AuthError, Principal, principal_for_token

SESSION_COOKIE = "dkfi_session"
CSRF_COOKIE = "dkfi_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

bearer = HTTPBearer(auto_error=False, description="a token from POST /api/auth/token or the identity provider")
ACTION_ATTR = "dkfi_action"   # set on the dependencies that declare what a route needs ("" = a caller)
PRINCIPAL_STATE = "dkfi_principal"  # the request's principal, once resolved (request state)


class NotLoggedIn(Exception):
    """A page was asked for without a session: the app answers with a redirect to /login."""


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _account_principal(request: Request, token: str) -> Principal:
    """The token's principal as its account is now (one indexed read; a provider's subject recorded once)."""
    with Session(request.app.state.engine, expire_on_commit=False) as s:
        p = principal_for_token(s, request.app.state.settings, token)
        s.commit()
    return p


def principal_from_cookie(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        p = _account_principal(request, token)
    except AuthError:
        return None
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER) or ""
        expected = request.cookies.get(CSRF_COOKIE) or ""
        if not expected or not hmac.compare_digest(sent, expected):
            raise HTTPException(403, f"CSRF check failed: send the {CSRF_COOKIE} cookie's value in {CSRF_HEADER}")
    return p


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_principal(request: Request,
                      creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Principal:
    """The caller, from the bearer token or the session cookie, as the account is now; 401 when there is neither
    or the token or its account is not accepted."""
    cached = getattr(request.state, PRINCIPAL_STATE, None)
    if cached is not None:  # resolved earlier in this request (the request guard, another dependency)
        return cached
    p: Principal | None
    token = creds.credentials if creds is not None else _bearer_token(request)
    if token is not None:
        try:
            p = _account_principal(request, token)
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    else:
        p = principal_from_cookie(request)
        if p is None:
            raise HTTPException(401, "not authenticated: send Authorization: Bearer <token> (POST /api/auth/token) "
                                     "or log in at /login", headers={"WWW-Authenticate": "Bearer"})
    setattr(request.state, PRINCIPAL_STATE, p)
    request.state.principal = p
    return p


setattr(current_principal, ACTION_ATTR, "")
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


setattr(user_session, ACTION_ATTR, "read")


# scope="function": the transaction commits when the route returns, before the response is sent, so a client
# never gets a success for a change that then fails to commit, and its next request sees the change
UserSession = Annotated[Session, Depends(user_session, scope="function")]


def _refuse(request: Request, p: Principal, action: str) -> None:
    """403 for a role that may not ``action``, recorded in the audit log."""
    with request.app.state.engine.begin() as conn:
        audit.append(conn, actor=p.name, actor_nation=p.nation, action=action, object_type="route",
                     object_id=request.url.path, decision="deny", remote=client_addr(request),
                     detail={"method": request.method, "reason": "role"})
    raise HTTPException(403, f"{p.name}: role(s) {', '.join(sorted(p.roles)) or 'none'} may not {action}")


def require(action: str):
    """Dependency: the caller's role allows ``action`` (403 otherwise)."""

    def dep(request: Request, p: PrincipalDep) -> Principal:
        if not p.may(action):
            _refuse(request, p, action)
        return p

    setattr(dep, ACTION_ATTR, action)
    return Depends(dep)


_declared: dict[int, tuple[APIRoute, frozenset[str]]] = {}  # by id (routes are unhashable); holding the route
# keeps its id from being reused


def declared_actions(route: APIRoute) -> frozenset[str]:
    """What the route's dependencies require of the caller: actions, "" for any caller; empty when public."""
    hit = _declared.get(id(route))
    if hit is not None and hit[0] is route:
        return hit[1]
    found: set[str] = set()
    todo = [route.dependant]
    while todo:
        d = todo.pop()
        action = getattr(d.call, ACTION_ATTR, None)
        if action is not None:
            found.add(action)
        todo.extend(d.dependencies)
    _declared[id(route)] = (route, frozenset(found))
    return frozenset(found)


def refuse_before_body(request: Request, route) -> None:
    """Authenticate the caller and check ``route``'s declared actions before the request's body is read.

    Raises the HTTPException the route's own dependencies would (401 not authenticated, 403 CSRF or role), so a
    refused upload costs nothing; what passes is checked again, from the cache, when the route runs."""
    needs = declared_actions(route) if isinstance(route, APIRoute) else frozenset()
    if not needs:
        return
    p = current_principal(request, None)
    for action in sorted(needs - {""}):
        if not p.may(action):
            _refuse(request, p, action)


def denied(exc: AccessDenied) -> HTTPException:
    return HTTPException(403, str(exc))
