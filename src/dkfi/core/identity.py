"""Who is asking: principals, roles, local accounts (argon2) and tokens (this node's own and OpenID Connect).

A :class:`Principal` is what access control and the audit log see: a name, a nation, a clearance and roles.
It comes from a local account (``dkfi users add``; password checked with argon2, then a token issued by
this node, HS256 with the node's key) or from an identity provider's JWT (RS/ES signed, checked against
the configured JWKS; claims mapped to nation, clearance and roles).
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.config import Settings
from dkfi.core.labels import Classification, Label

if TYPE_CHECKING:  # the functions import the model when called, as the rest of this module does
    from dkfi.core.models import User

ROLES = ("viewer", "operator", "planner", "admin")
# What each role may do. ``read``: list, get, search, map layers, live streams, exports. ``act``: work on
# records (alert lifecycle, notes). ``plan``: planning records. ``label``: change labels of the own nation's
# records (share dialog). ``admin``: accounts. ``audit``: read the audit log of the own nation.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "operator": frozenset({"read", "act", "label"}),
    "planner": frozenset({"read", "act", "plan", "label"}),
    "admin": frozenset({"read", "act", "plan", "label", "admin", "audit"}),
}
ACTIONS = frozenset().union(*ROLE_ACTIONS.values())
NODE_ISSUER = "dkfi"


class AuthError(Exception):
    """Credentials or a token were not accepted (the message says why, without secrets)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A user (or this node's own machinery) as access control sees it."""

    name: str
    nation: str
    clearance: Classification
    roles: frozenset[str] = field(default_factory=frozenset)
    system: bool = False  # the node's own jobs (ingest, watch): not filtered, not a person

    @property
    def actions(self) -> frozenset[str]:
        if self.system:
            return ACTIONS
        out: set[str] = set()
        for r in self.roles:
            out |= ROLE_ACTIONS.get(r, frozenset())
        return frozenset(out)

    def may(self, action: str) -> bool:
        return action in self.actions

    def as_dict(self) -> dict:
        return {"name": self.name, "nation": self.nation, "clearance": self.clearance.name,
                "roles": sorted(self.roles)}

    @classmethod
    def node(cls, nation: str, name: str = "system") -> "Principal":
        return cls(f"{name}@{nation}", nation, Classification.SECRET, frozenset({"admin"}), system=True)


def parse_roles(roles) -> frozenset[str]:
    if isinstance(roles, str):
        roles = [r for r in roles.replace(";", ",").replace(" ", ",").split(",") if r]
    out = set()
    for r in roles or ():
        r = str(r).strip().lower()
        if r not in ROLE_ACTIONS:
            raise ValueError(f"unknown role {r!r}; expected one of {', '.join(ROLES)}")
        out.add(r)
    return frozenset(out)


def check_nation(code: str) -> str:
    c = (code or "").strip().upper()
    if len(c) != 3 or not c.isalpha():
        raise ValueError(f"nation {code!r} is not an ISO 3166 alpha-3 code (e.g. DNK, FIN)")
    return c


# ---- passwords ---------------------------------------------------------------------------------------

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("password too short: at least 8 characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---- accounts ----------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(timezone.utc)


def user_label(nation: str) -> Label:
    """Accounts are personal data of their nation: RESTRICTED, not released to anyone else."""
    return Label(Classification.RESTRICTED, (nation,))


def add_user(session: Session, name: str, nation: str, clearance: str, roles, password: str | None) -> User:
    from dkfi.core.models import User

    name = (name or "").strip()
    if not name or len(name) > 128 or any(ch.isspace() for ch in name):
        raise ValueError(f"user name {name!r} must be 1-128 characters without spaces")
    nation = check_nation(nation)
    level = Classification.parse(clearance)
    role_set = parse_roles(roles)
    if not role_set:
        raise ValueError("give at least one role: " + ", ".join(ROLES))
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise ValueError(f"user {name!r} exists already")
    u = User(name=name, nation=nation, clearance=level.name, roles=sorted(role_set),
             password_hash=hash_password(password) if password is not None else None, active=True,
             created=_now())
    u.set_label(user_label(nation), nation)
    session.add(u)
    session.flush()
    return u


def principal_of(user) -> Principal:
    return Principal(user.name, user.nation, Classification.parse(user.clearance), parse_roles(user.roles))


class LoginLimiter:
    """At most ``attempts`` failed logins per (user, address) in ``window`` seconds; thread-safe."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._fails: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, q: deque, now: float) -> None:
        while q and now - q[0] > self.window:
            q.popleft()

    def retry_after(self, user: str, addr: str) -> float:
        """Seconds until the next attempt is allowed (0 when allowed now)."""
        now = time.monotonic()
        with self._lock:
            q = self._fails.get((user, addr))
            if not q:
                return 0.0
            self._trim(q, now)
            if len(q) < self.attempts:
                return 0.0
            return max(0.0, self.window - (now - q[0]))

    def failed(self, user: str, addr: str) -> None:
        with self._lock:
            self._fails[(user, addr)].append(time.monotonic())

    def succeeded(self, user: str, addr: str) -> None:
        with self._lock:
            self._fails.pop((user, addr), None)


def authenticate(session: Session, name: str, password: str) -> Principal:
    """Check a local account's password (argon2). Raises :class:`AuthError` without saying which part failed."""
    from dkfi.core.models import User

    u = session.scalar(select(User).where(User.name == name))
    if u is None or not u.active or u.password_hash is None or not verify_password(u.password_hash, password):
        raise AuthError("unknown user or wrong password")
    if _hasher.check_needs_rehash(u.password_hash):
        u.password_hash = _hasher.hash(password)
    u.last_login = _now()
    return principal_of(u)


# ---- tokens ------------------------------------------------------------------------------------------

def node_secret(settings: Settings) -> str:
    """The key of this node's own tokens: configured, or random and kept in the data folder (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def issue_token(settings: Settings, p: Principal, ttl: int | None = None) -> str:
    now = int(time.time())
    claims = {"iss": NODE_ISSUER, "sub": p.name, "nation": p.nation, "clearance": p.clearance.name,
              "roles": sorted(p.roles), "iat": now, "exp": now + int(ttl or settings.token_ttl_s),
              "jti": secrets.token_hex(8)}
    return jwt.encode(claims, node_secret(settings), algorithm="HS256")


_jwks_cache: dict[str, tuple[float, object]] = {}


def _jwks(source: str):
    """The issuer's key set from a file or URL (cached 5 minutes)."""
    hit = _jwks_cache.get(source)
    if hit and time.monotonic() - hit[0] < 300:
        return hit[1]
    if source.startswith(("http://", "https://")):
        import urllib.request

        with urllib.request.urlopen(source, timeout=5) as resp:  # noqa: S310 - configured issuer URL
            data = resp.read().decode()
    else:
        data = Path(source).read_text()
    keyset = jwt.PyJWKSet.from_json(data)
    _jwks_cache[source] = (time.monotonic(), keyset)
    return keyset


def _principal_from_claims(settings: Settings, claims: dict, default_name: str) -> Principal:
    try:
        name = str(claims.get(settings.oidc_claim_name) or claims.get("sub") or default_name)
        nation = check_nation(str(claims.get(settings.oidc_claim_nation, "")))
        clearance = Classification.parse(str(claims.get(settings.oidc_claim_clearance, "")))
        roles = parse_roles(claims.get(settings.oidc_claim_roles) or [])
    except ValueError as exc:
        raise AuthError(f"token claims not usable: {exc}") from None
    if not roles:
        raise AuthError("token carries no known role")
    return Principal(name, nation, clearance, roles)


def verify_token(settings: Settings, token: str) -> Principal:
    """A principal from a bearer token: this node's own (HS256) or the configured identity provider's."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AuthError(f"malformed token: {exc}") from None
    iss = unverified.get("iss")
    if iss == NODE_ISSUER and header.get("alg") == "HS256":
        try:
            claims = jwt.decode(token, node_secret(settings), algorithms=["HS256"], issuer=NODE_ISSUER,
                                options={"require": ["exp", "iat", "sub"]})
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {exc}") from None
        return _principal_from_claims_node(claims)
    if settings.oidc_issuer and iss == settings.oidc_issuer and settings.oidc_jwks:
        alg = header.get("alg", "")
        if not alg.startswith(("RS", "ES", "PS")):
            raise AuthError(f"identity-provider token algorithm {alg!r} not accepted")
        try:
            keyset = _jwks(settings.oidc_jwks)
            kid = header.get("kid")
            keys = [k for k in keyset.keys if kid is None or k.key_id == kid]
            if not keys:
                raise AuthError(f"no key {kid!r} in the issuer's JWKS")
            claims = jwt.decode(token, keys[0].key, algorithms=[alg], issuer=settings.oidc_issuer,
                                audience=settings.oidc_audience,
                                options={"require": ["exp", "iss"], "verify_aud": settings.oidc_audience is not None})
        except AuthError:
            raise
        except (jwt.PyJWTError, OSError, ValueError, json.JSONDecodeError) as exc:
            raise AuthError(f"identity-provider token rejected: {exc}") from None
        return _principal_from_claims(settings, claims, "oidc-user")
    raise AuthError(f"token issuer {iss!r} is not trusted by this node")


def _principal_from_claims_node(claims: dict) -> Principal:
    try:
        return Principal(str(claims["sub"]), check_nation(claims["nation"]),
                         Classification.parse(claims["clearance"]), parse_roles(claims.get("roles") or []))
    except (KeyError, ValueError) as exc:
        raise AuthError(f"token claims not usable: {exc}") from None
