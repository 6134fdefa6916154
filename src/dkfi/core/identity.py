"""Who is asking: principals, roles, local accounts (argon2) and tokens (this node's own and OpenID Connect).

A :class:`Principal` is what access control and the audit log see: a name, a nation, a clearance and roles.
It comes from a local account (``dkfi users add``; password checked with argon2, then a token issued by
this node, HS256 with the node's key) or from an identity provider's JWT (RS/ES signed, checked against
the configured JWKS; claims mapped to nation, clearance and roles).

A token proves who signed in, not what they may do now: :func:`principal_for_token` looks the account up on
every request (one indexed read by name), so deleting, disabling or lowering an account takes effect on the
next request, not when its tokens expire. A local account's claims are the row's; a token issued before the
account was created (a deleted name made again) is refused. Identity-provider users are recorded on first
use; their claims stay the provider's (change them there), but ``dkfi users disable`` refuses their tokens here.

Logging in (:func:`authenticate`) costs one argon2 verification whatever the name, so the answer's timing does
not tell whether an account exists; :class:`LoginLimiter` caps failures per account and per client address,
and :class:`FailedLogins` folds failed attempts into a bounded number of audit entries.
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
from dkfi.core.nations import check_nation

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


# ---- passwords ---------------------------------------------------------------------------------------

_hasher = PasswordHasher()
_dummy: list[str] = []  # a hash of a random secret, made once: what a login without a usable account verifies


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("password too short: at least 8 characters")
    return _hasher.hash(password)


def dummy_hash() -> str:
    """A hash with this node's current argon2 parameters of a secret nobody knows (made once per process)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(32)))
    return _dummy[0]


def verify_password(stored: str | None, password: str) -> bool:
    """One argon2 verification, also without a stored hash (against :func:`dummy_hash`), so every answer costs
    the same and the time taken does not tell an unknown name from a wrong password."""
    try:
        return _hasher.verify(stored or dummy_hash(), password) and bool(stored)
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


def get_user(session: Session, name: str) -> User:
    """The account called ``name``; ValueError naming it when this node has none."""
    from dkfi.core.models import User

    u = session.scalar(select(User).where(User.name == name))
    if u is None:
        raise ValueError(f"unknown user {name!r} (dkfi users list shows the accounts)")
    return u


def _local_account(u: User, what: str) -> None:
    if u.issuer is not None:
        raise ValueError(f"{u.name!r} signs in through the identity provider {u.issuer}: its {what} come from "
                         "the provider's tokens, change them there (dkfi users disable refuses them here)")


def set_active(session: Session, name: str, active: bool) -> User:
    """Enable or disable an account (local or identity provider): a disabled one's tokens are refused at once."""
    u = get_user(session, name)
    u.active = active
    return u


def set_clearance(session: Session, name: str, clearance: str) -> tuple[str, str]:
    """Change a local account's clearance; its tokens carry the new one from the next request. (old, new)."""
    u = get_user(session, name)
    _local_account(u, "clearance")
    old, u.clearance = u.clearance, Classification.parse(clearance).name
    return old, u.clearance


def set_roles(session: Session, name: str, roles) -> tuple[list[str], list[str]]:
    """Replace a local account's roles (at least one); effective from the next request. (old, new)."""
    u = get_user(session, name)
    _local_account(u, "roles")
    role_set = parse_roles(roles)
    if not role_set:
        raise ValueError("give at least one role: " + ", ".join(ROLES))
    old, u.roles = list(u.roles), sorted(role_set)
    return old, u.roles


# ---- logging in ----------------------------------------------------------------------------------------

MAX_NAME = 128  # longer names cannot exist (add_user); longer input is cut before it becomes a key


class LoginLimiter:
    """Failed logins allowed per account name (from any address) and per client address (for any name) within a
    sliding ``window``; thread-safe.

    The address limit stops password spraying (many names, one address); the name limit stops a distributed
    guess at one account. Over either limit an attempt is refused unchecked until the oldest failure ages out.
    Names that do not exist count like names that do, so the limit does not reveal which exist. A success clears
    the name's failures but not the address's: one valid account must not reset a spray from its address.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0, per_address: int = 20,
                 clock=time.monotonic) -> None:
        self.attempts, self.window, self.per_address, self.clock = attempts, window, per_address, clock
        self._by_name: dict[str, deque] = defaultdict(deque)
        self._by_addr: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _wait(self, fails: dict[str, deque], key: str, limit: int, now: float) -> float:
        q = fails.get(key)
        if not q:
            return 0.0
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) < limit:
            return 0.0
        return max(0.0, self.window - (now - q[-limit]))

    def retry_after(self, user: str, addr: str) -> float:
        """Seconds until the next attempt for ``user`` from ``addr`` is allowed (0 when allowed now)."""
        now = self.clock()
        with self._lock:
            return max(self._wait(self._by_name, user[:MAX_NAME], self.attempts, now),
                       self._wait(self._by_addr, addr, self.per_address, now))

    def failed(self, user: str, addr: str) -> None:
        now = self.clock()
        with self._lock:
            self._by_name[user[:MAX_NAME]].append(now)
            self._by_addr[addr].append(now)
            for fails in (self._by_name, self._by_addr):
                if len(fails) > 10_000:  # forget keys whose failures all aged out (bounded memory)
                    for key in [k for k, q in fails.items() if not q or now - q[-1] >= self.window]:
                        del fails[key]

    def succeeded(self, user: str, addr: str) -> None:
        with self._lock:
            self._by_name.pop(user[:MAX_NAME], None)


@dataclass(slots=True)
class _FailWindow:
    remote: str
    opened: float                     # clock() of the first failure: the window ends ``window`` s later
    first: datetime
    last: datetime
    failures: int = 0                 # passwords checked and refused
    refused: int = 0                  # attempts the rate limit refused unchecked
    names: set[str] = field(default_factory=set)
    more_names: bool = False


class FailedLogins:
    """Failed logins as a bounded number of audit entries, whatever the rate of the attempts.

    Per client address, a window opens at its first failure and lasts ``window`` seconds. That first failure is
    written at once (so a crash cannot lose the evidence that an attack began); the others are counted, with the
    names tried (the first ``max_names``) and the attempts the rate limit refused unchecked. When the window
    closes (at its end, at the address's next successful login, or when the node stops) one summary entry
    gives the counts, if there was more than the first failure. At most ``max_addresses`` windows are open at
    once; failures from further addresses share one overflow window (remote ``OVERFLOW``). So a flood writes
    at most two entries per address and window, and at most ``2 * (max_addresses + 1)`` per window in all.

    The methods return the entries to write (keyword arguments of :func:`dkfi.core.audit.append`); the caller
    writes them in its own transaction. Thread-safe.
    """

    OVERFLOW = "(other addresses)"

    def __init__(self, window: float = 300.0, max_addresses: int = 1000, max_names: int = 20,
                 clock=time.monotonic) -> None:
        self.window, self.max_addresses, self.max_names, self.clock = window, max_addresses, max_names, clock
        self._open: dict[str, _FailWindow] = {}
        self._unwritten: list[dict] = []  # summaries a writer could not store, handed out again by due()
        self._lock = threading.Lock()

    def failed(self, addr: str, name: str, reason: str, refused: bool = False) -> list[dict]:
        """Count one failed attempt from ``addr``; returns the entries to write now (the window's first failure,
        and the summaries of windows that have ended)."""
        now, at = self.clock(), _now()
        name = name[:MAX_NAME]
        with self._lock:
            out = self._close_due(now)
            key = addr if addr in self._open or len(self._open) < self.max_addresses else self.OVERFLOW
            w = self._open.get(key)
            if w is None:
                w = self._open[key] = _FailWindow(key, now, at, at)
                until = w.first.timestamp() + self.window
                out.append(dict(
                    actor=name or "?", actor_nation="???", action="login", object_type="app_user",
                    object_id=name, decision="deny", remote=addr if key != self.OVERFLOW else key,
                    detail={"reason": reason, "failures": 1,
                            "aggregated": "further failed logins from this address until "
                                          f"{datetime.fromtimestamp(until, timezone.utc).isoformat()} "
                                          "follow in one summary entry"}))
            w.last = at
            if refused:
                w.refused += 1
            else:
                w.failures += 1
            if name in w.names or len(w.names) < self.max_names:
                w.names.add(name)
            else:
                w.more_names = True
            return out

    def succeeded(self, addr: str) -> list[dict]:
        """A successful login from ``addr``: its window closes (the summary comes before the success's entry)."""
        with self._lock:
            out = self._close_due(self.clock())
            w = self._open.pop(addr, None)
            if w is not None:
                out.extend(self._summary(w))
            return out

    def due(self) -> list[dict]:
        """Summaries of the windows that have ended (and any handed back by :meth:`unwritten`)."""
        with self._lock:
            out, self._unwritten = self._unwritten, []
            return out + self._close_due(self.clock())

    def drain(self) -> list[dict]:
        """Summaries of every open window (the node stops)."""
        with self._lock:
            out, self._unwritten = self._unwritten, []
            out += [e for w in self._open.values() for e in self._summary(w)]
            self._open.clear()
            return out

    def unwritten(self, entries: list[dict]) -> None:
        """Entries the caller could not write (the database away): handed out again by the next :meth:`due`."""
        with self._lock:
            self._unwritten = entries + self._unwritten

    def _close_due(self, now: float) -> list[dict]:
        out: list[dict] = []
        for key in [k for k, w in self._open.items() if now - w.opened >= self.window]:
            out.extend(self._summary(self._open.pop(key)))
        return out

    def _summary(self, w: _FailWindow) -> list[dict]:
        if w.failures + w.refused <= 1:
            return []  # the first failure's own entry says it all
        names = sorted(w.names)
        return [dict(actor="(anonymous)", actor_nation="???", action="login", object_type="app_user",
                     object_id=",".join(names), decision="deny", remote=w.remote,
                     detail={"summary": True, "failures": w.failures, "refused_by_rate_limit": w.refused,
                             "names": names, "more_names": w.more_names, "first": w.first.isoformat(),
                             "last": w.last.isoformat(), "window_s": self.window})]


def authenticate(session: Session, name: str, password: str) -> Principal:
    """Check a local account's password (argon2). Raises :class:`AuthError` without saying which part failed.

    Exactly one argon2 verification whatever the account's state (unknown, disabled, identity-provider user
    without a password, wrong or right password), so the time taken tells nothing about which it was."""
    from dkfi.core.models import User

    u = session.scalar(select(User).where(User.name == name)) if len(name) <= MAX_NAME else None
    ok = verify_password(u.password_hash if u is not None else None, password)
    if not ok or u is None or not u.active or u.password_hash is None:
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
    """A token of this node for ``p``. Its claims are what ``p`` was at issue; requests are served with what the
    account is now (:func:`principal_for_token`). ``iat`` keeps fractions of a second: a token issued before its
    account was (re)created is refused."""
    now = time.time()
    claims = {"iss": NODE_ISSUER, "sub": p.name, "nation": p.nation, "clearance": p.clearance.name,
              "roles": sorted(p.roles), "iat": now, "exp": int(now) + int(ttl or settings.token_ttl_s),
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
    """The principal a bearer token names (this node's own, HS256, or the configured identity provider's), its
    signature, issuer and lifetime checked. The account is not consulted: requests use
    :func:`principal_for_token`."""
    return _verified(settings, token)[0]


def _verified(settings: Settings, token: str) -> tuple[Principal, dict, bool]:
    """(principal from the claims, the claims, issued by this node?) of a token whose signature checks out."""
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
        return _principal_from_claims_node(claims), claims, True
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
        return _principal_from_claims(settings, claims, "oidc-user"), claims, False
    raise AuthError(f"token issuer {iss!r} is not trusted by this node")


def principal_for_token(session: Session, settings: Settings, token: str) -> Principal:
    """The caller of a request: the token checked (:func:`verify_token`), then its account, every time.

    - This node's tokens: the account must exist, be active and be older than the token; the principal is the
      account as it is now (clearance and roles lowered since the token was issued apply at once).
    - Identity-provider tokens: the provider's claims apply (it is the authority for them, and revokes by not
      issuing tokens); the subject is recorded here on first use (``dkfi users list``), and refused while
      disabled here. A provider's subject cannot take over a local account's name.
    Raises :class:`AuthError` with the reason.
    """
    from dkfi.core.models import User

    p, claims, local = _verified(settings, token)
    if not p.name or len(p.name) > MAX_NAME:
        raise AuthError(f"token subject must be 1-{MAX_NAME} characters")
    u = session.scalar(select(User).where(User.name == p.name))
    if local:
        if u is None or u.issuer is not None:
            raise AuthError(f"account {p.name!r} no longer exists on this node")
        if not u.active:
            raise AuthError(f"account {p.name!r} is disabled")
        created = u.created if u.created.tzinfo else u.created.replace(tzinfo=timezone.utc)
        try:
            issued = float(claims["iat"])
        except (TypeError, ValueError):
            raise AuthError("token claims not usable: iat is not a time") from None
        if issued < created.timestamp():
            raise AuthError(f"token issued before account {p.name!r} was created")
        try:
            return principal_of(u)
        except ValueError as exc:
            raise AuthError(f"account {p.name!r} not usable: {exc}") from None
    if u is None:
        u = _record_provider_user(session, settings, p)
    if u.issuer != settings.oidc_issuer:
        raise AuthError(f"{p.name!r} is an account of this node, not of the identity provider")
    if not u.active:
        raise AuthError(f"account {p.name!r} is disabled on this node")
    if (u.nation, u.clearance, sorted(u.roles)) != (p.nation, p.clearance.name, sorted(p.roles)):
        u.nation, u.clearance, u.roles = p.nation, p.clearance.name, sorted(p.roles)  # as the provider says now
        u.set_label(user_label(p.nation), p.nation)
    return p


def _record_provider_user(session: Session, settings: Settings, p: Principal) -> User:
    """Record an identity provider's subject on first use, so it can be listed, named and disabled here."""
    from sqlalchemy.exc import IntegrityError

    from dkfi.core.models import User

    u = User(name=p.name, nation=p.nation, clearance=p.clearance.name, roles=sorted(p.roles), password_hash=None,
             issuer=settings.oidc_issuer, active=True, created=_now())
    u.set_label(user_label(p.nation), p.nation)
    session.add(u)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request recorded it first
        session.rollback()
        return get_user(session, p.name)
    return u


def _principal_from_claims_node(claims: dict) -> Principal:
    try:
        return Principal(str(claims["sub"]), check_nation(claims["nation"]),
                         Classification.parse(claims["clearance"]), parse_roles(claims.get("roles") or []))
    except (KeyError, ValueError) as exc:
        raise AuthError(f"token claims not usable: {exc}") from None
