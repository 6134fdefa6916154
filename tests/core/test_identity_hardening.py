"""Identity hardening (issue 10, points 8-11): tokens follow their account on every request; logins are limited
per address and per account, cost one argon2 verification whatever the name, and fill the audit log by window,
not by attempt; forwarded addresses are believed only from configured proxies; nations are ISO 3166 alpha-3;
request bodies are refused by role before they are read and capped while they stream (real uvicorn)."""
from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select as sa_select
from typer.testing import CliRunner

from dkfi.core.labels import Classification, Label
from tests.conftest import make_user
from tests.core.test_auth import _idp_token, idp  # noqa: F401  (the identity provider fixture)

RIGHT = "correct horse battery"


class CountingHasher(PasswordHasher):
    """argon2id at a test's cost (the rule under test is "the same cost", not which), counting verifications and
    the hashes they were made against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch):
    """Every test here hashes with the counting hasher; the dummy hash is made again with its parameters."""
    from dkfi.core import identity

    h = CountingHasher()
    monkeypatch.setattr(identity, "_hasher", h)
    monkeypatch.setattr(identity, "_dummy", [], raising=False)
    return h


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node with small login limits: 5 failures per account, 10 per address."""
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    monkeypatch.setenv("DKFI_LOGIN_ATTEMPTS", "5")
    monkeypatch.setenv("DKFI_LOGIN_ATTEMPTS_PER_ADDRESS", "10")
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'identity.sqlite'}"
    app = create_app(url)
    app.state.url = url
    return app


def _token(c: TestClient, name: str, pw: str = RIGHT) -> dict:
    r = c.post("/api/auth/token", data={"username": name, "password": pw})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _login_rows(engine) -> list:
    from dkfi.core.models import AuditEntry

    with engine.connect() as conn:
        return conn.execute(sa_select(AuditEntry).where(AuditEntry.action == "login")
                            .order_by(AuditEntry.seq)).all()


def _store_alert(engine, level: Classification, key: str = "k") -> int:
    from dkfi.core.db import session_scope
    from dkfi.watch.models import AlertRecord

    now = datetime.now(timezone.utc)
    with session_scope(engine) as s:
        a = AlertRecord(key=key, kind="loitering", mmsi=219000001, start=now, end=now, severity="low", score=1,
                        summary="s", factors=[], evidence=[], status="new", created=now, updated=now)
        a.set_label(Label(level, ("DNK",)), "DNK")
        s.add(a)
        s.flush()
        return a.id


# ---- 8. tokens follow the account -------------------------------------------------------------------------

def test_a_token_is_served_with_its_account_as_it_is_now(node):
    from dkfi.core.db import session_scope
    from dkfi.core.identity import add_user, set_active, set_clearance, set_roles
    from dkfi.core.models import User

    secret = _store_alert(node.state.engine, Classification.SECRET)
    make_user(node.state.url, "anna", "DNK", "SECRET", ("operator",))
    eng = node.state.engine
    with TestClient(node) as c:
        h = _token(c, "anna")
        assert c.get("/api/auth/me", headers=h).json()["clearance"] == "SECRET"
        assert [a["id"] for a in c.get("/api/alerts", headers=h).json()] == [secret]

        with session_scope(eng) as s:
            set_clearance(s, "anna", "RESTRICTED")
        assert c.get("/api/auth/me", headers=h).json()["clearance"] == "RESTRICTED"
        assert c.get("/api/alerts", headers=h).json() == []          # the SECRET alert is out of reach at once

        with session_scope(eng) as s:
            set_clearance(s, "anna", "SECRET")
            set_roles(s, "anna", ["viewer"])
        me = c.get("/api/auth/me", headers=h).json()
        assert me["roles"] == ["viewer"] and me["actions"] == ["read"]
        r = c.post(f"/api/alerts/{secret}/actions", json={"action": "acknowledge"}, headers=h)
        assert r.status_code == 403                                   # what the old role allowed is refused

        with session_scope(eng) as s:
            set_active(s, "anna", False)
        r = c.get("/api/auth/me", headers=h)
        assert r.status_code == 401 and "disabled" in r.json()["detail"]
        with session_scope(eng) as s:
            set_active(s, "anna", True)
        assert c.get("/api/auth/me", headers=h).status_code == 200

        with session_scope(eng) as s:
            s.execute(delete(User).where(User.name == "anna"))
        r = c.get("/api/auth/me", headers=h)
        assert r.status_code == 401 and "no longer exists" in r.json()["detail"]
        with session_scope(eng) as s:                                 # the same name, another person
            add_user(s, "anna", "DNK", "SECRET", ["admin"], "another long password")
        r = c.get("/api/auth/me", headers=h)
        assert r.status_code == 401 and "before account 'anna' was created" in r.json()["detail"]
        assert c.get("/api/auth/me", headers=_token(c, "anna", "another long password")).status_code == 200


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(active=st.booleans(), clearance=st.sampled_from(list(Classification)),
       roles=st.sets(st.sampled_from(("viewer", "operator", "planner", "admin")), min_size=1))
def test_every_request_gets_the_claims_of_the_account_row(node, active, clearance, roles):
    from dkfi.core.db import session_scope
    from dkfi.core.identity import issue_token, principal_of
    from dkfi.core.models import User

    with session_scope(node.state.engine) as s:
        known = s.scalar(sa_select(User).where(User.name == "prop")) is not None
    if not known:
        make_user(node.state.url, "prop", "FIN", "SECRET", ("admin",))
    with session_scope(node.state.engine) as s:
        u = s.scalar(sa_select(User).where(User.name == "prop"))
        token = issue_token(node.state.settings, principal_of(u))     # issued with the claims before the change
        u.active, u.clearance, u.roles = active, clearance.name, sorted(roles)
    with TestClient(node) as c:
        r = c.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    if not active:
        assert r.status_code == 401
        return
    me = r.json()
    assert (me["nation"], me["clearance"], me["roles"]) == ("FIN", clearance.name, sorted(roles))


def test_identity_provider_users_are_recorded_and_can_be_disabled_here(node, idp):  # noqa: F811
    from dkfi.core.db import session_scope
    from dkfi.core.identity import set_active, set_clearance, set_roles
    from dkfi.core.models import User

    key, jwks = idp
    node.state.settings = node.state.settings.model_copy(update={
        "oidc_issuer": "https://idp.fmn.dk", "oidc_audience": "dkfi", "oidc_jwks": str(jwks)})
    h = {"Authorization": f"Bearer {_idp_token(key)}"}
    with TestClient(node) as c:
        assert c.get("/api/auth/me", headers=h).json()["clearance"] == "SECRET"
        with session_scope(node.state.engine) as s:
            u = s.scalar(sa_select(User).where(User.name == "lt.hansen"))
            assert (u.issuer, u.password_hash, u.nation, u.roles) == ("https://idp.fmn.dk", None, "DNK", ["planner"])
            with pytest.raises(ValueError, match="identity provider"):
                set_clearance(s, "lt.hansen", "UNCLASSIFIED")            # the provider says, not this node
            with pytest.raises(ValueError, match="identity provider"):
                set_roles(s, "lt.hansen", ["viewer"])
            set_active(s, "lt.hansen", False)
        r = c.get("/api/auth/me", headers=h)
        assert r.status_code == 401 and "disabled" in r.json()["detail"]
        # a provider's subject cannot take over a local account's name
        make_user(node.state.url, "local-anna", "DNK", "UNCLASSIFIED", ("viewer",))
        taken = _idp_token(key, preferred_username="local-anna")
        r = c.get("/api/auth/me", headers={"Authorization": f"Bearer {taken}"})
        assert r.status_code == 401 and "account of this node" in r.json()["detail"]
        # a provider's user has no password here: a password login for the name fails like any other
        assert c.post("/api/auth/token", data={"username": "lt.hansen", "password": "x" * 10}).status_code == 401


def test_users_commands_change_accounts_and_name_bad_input(tmp_path, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.core.models import AuditEntry

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'u.sqlite'}")
    get_settings.cache_clear()
    run = CliRunner().invoke
    assert run(cli, ["users", "add", "anna", "--nation", "dnk", "--clearance", "SECRET", "--role", "operator"],
               input="a long password\n").exit_code == 0
    for args, says in ((["set-clearance", "anna", "RESTRICTED"], "SECRET -> RESTRICTED"),
                       (["set-role", "anna", "--role", "viewer", "--role", "planner"], "operator -> planner, viewer"),
                       (["disable", "anna"], "disabled"),
                       (["enable", "anna"], "enabled")):
        res = run(cli, ["users", *args])
        assert res.exit_code == 0 and says in res.output, res.output
    monkeypatch.setenv("COLUMNS", "200")   # Rich's table width off a terminal
    res = run(cli, ["users", "list"])
    assert res.exit_code == 0
    row = next(line for line in res.output.splitlines() if "anna" in line)
    assert all(w in row for w in ("DNK", "RESTRICTED", "planner, viewer", "password", "yes")), row
    for args, says in ((["disable", "bob"], "unknown user 'bob'"), (["enable", "bob"], "unknown user 'bob'"),
                       (["set-clearance", "bob", "SECRET"], "unknown user 'bob'"),
                       (["set-clearance", "anna", "TOP"], "classification"),
                       (["set-role", "anna", "--role", "king"], "unknown role 'king'"),
                       (["set-role", "bob", "--role", "viewer"], "unknown user 'bob'")):
        res = run(cli, ["users", *args])
        assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output, (args, res.output)
    with get_engine().connect() as conn:
        changes = conn.execute(sa_select(AuditEntry.detail).where(AuditEntry.object_type == "app_user",
                                                                  AuditEntry.action == "update")).scalars().all()
    assert changes == [{"clearance": ["SECRET", "RESTRICTED"]}, {"roles": [["operator"], ["planner", "viewer"]]},
                       {"active": False}, {"active": True}]


# ---- 9. login protections ---------------------------------------------------------------------------------

def test_unknown_and_known_names_cost_the_same_argon2_verification(node, hasher, idp):  # noqa: F811
    """No timing measured: every refusal makes exactly one verification, against a hash of the same cost."""
    from dkfi.core.db import session_scope
    from dkfi.core.identity import set_active

    make_user(node.state.url, "known", "DNK", "SECRET", ("viewer",))
    make_user(node.state.url, "off", "DNK", "SECRET", ("viewer",))
    with session_scope(node.state.engine) as s:
        set_active(s, "off", False)
    key, jwks = idp
    node.state.settings = node.state.settings.model_copy(update={
        "oidc_issuer": "https://idp.fmn.dk", "oidc_audience": "dkfi", "oidc_jwks": str(jwks)})
    with TestClient(node) as c:
        assert c.get("/api/auth/me", headers={"Authorization": f"Bearer {_idp_token(key)}"}).status_code == 200
        hasher.verified.clear()
        cases = {"unknown": "nobody-here", "wrong password": "known", "disabled": "off",
                 "provider user (no password)": "lt.hansen", "over-long name": "n" * 500}
        for why, name in cases.items():
            before = len(hasher.verified)
            r = c.post("/api/auth/token", data={"username": name, "password": "not the password"})
            assert r.status_code == 401, why
            assert len(hasher.verified) - before == 1, f"{why}: {len(hasher.verified) - before} verifications"
        params = {str(extract_parameters(h)) for h in hasher.verified}
        assert params == {str(extract_parameters(hasher.hash("x")))}   # one cost for all: the node's parameters
        assert c.post("/api/auth/token", data={"username": "off", "password": RIGHT}).status_code == 401


def test_password_spraying_from_one_address_hits_the_limit(node, hasher):
    make_user(node.state.url, "real-user", "DNK", "SECRET", ("viewer",))
    with TestClient(node) as c:
        codes = [c.post("/api/auth/token", data={"username": f"user{i:02d}", "password": "Summer2026!"}).status_code
                 for i in range(60)]
        assert codes[:10] == [401] * 10 and codes[10:] == [429] * 50, codes
        assert len(hasher.verified) == 10                       # refused attempts are not even checked
        r = c.post("/api/auth/token", data={"username": "real-user", "password": RIGHT})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with TestClient(node, client=("192.0.2.7", 40000)) as other:   # another address is not affected
        assert other.post("/api/auth/token", data={"username": "real-user", "password": RIGHT}).status_code == 200


def test_one_account_is_limited_whatever_the_address(node):
    make_user(node.state.url, "target", "DNK", "SECRET", ("viewer",))
    for i in range(5):
        with TestClient(node, client=(f"198.51.100.{i}", 40000)) as c:
            assert c.post("/api/auth/token", data={"username": "target", "password": "guess"}).status_code == 401
    with TestClient(node, client=("198.51.100.99", 40000)) as c:
        r = c.post("/api/auth/token", data={"username": "target", "password": RIGHT})
        assert r.status_code == 429 and "too many failed logins" in r.json()["detail"]
        make_user(node.state.url, "bystander", "DNK", "SECRET", ("viewer",))
        assert c.post("/api/auth/token", data={"username": "bystander", "password": RIGHT}).status_code == 200


def test_a_flood_of_failed_logins_writes_two_audit_entries_per_address(node):
    with TestClient(node) as c:
        for i in range(100):
            c.post("/api/auth/token", data={"username": f"spray{i % 7}", "password": "nope"})
        assert len(_login_rows(node.state.engine)) == 1          # the first failure, written at once
    rows = _login_rows(node.state.engine)                        # the node stopped: the window's summary too
    assert len(rows) == 2, [(r.actor, r.detail) for r in rows]
    first, summary = rows
    assert first.decision == summary.decision == "deny" and first.remote == summary.remote == "testclient"
    assert first.detail["failures"] == 1 and "summary" in first.detail["aggregated"]
    assert summary.detail["failures"] == 10 and summary.detail["refused_by_rate_limit"] == 90
    assert summary.detail["names"] == [f"spray{i}" for i in range(7)]


def test_a_success_closes_the_address_window_before_its_own_entry(node):
    make_user(node.state.url, "anna", "DNK", "SECRET", ("viewer",))
    with TestClient(node) as c:
        for _ in range(4):
            assert c.post("/api/auth/token", data={"username": "anna", "password": "typo"}).status_code == 401
        _token(c, "anna")
        rows = _login_rows(node.state.engine)
        assert [(r.decision, r.detail.get("failures")) for r in rows] == [("deny", 1), ("deny", 4), ("allow", None)]


def test_failed_login_windows_close_at_their_end_and_stay_bounded():
    from dkfi.core.identity import FailedLogins

    now = [1000.0]
    agg = FailedLogins(window=60, max_addresses=3, max_names=2, clock=lambda: now[0])
    first = agg.failed("10.0.0.1", "a", "wrong")
    assert len(first) == 1 and first[0]["remote"] == "10.0.0.1" and first[0]["object_id"] == "a"
    for name in "bcd":
        assert agg.failed("10.0.0.1", name, "wrong") == []
    now[0] += 59.0
    assert agg.due() == []
    now[0] += 1.0
    (summary,) = agg.due()
    assert summary["detail"]["failures"] == 4 and summary["detail"]["names"] == ["a", "b"]
    assert summary["detail"]["more_names"] is True
    agg.unwritten([summary])                                      # the database was away: kept for the next turn
    assert agg.due() == [summary] and agg.due() == []
    assert agg.failed("10.0.0.1", "a", "wrong") != []             # a new window opens with its own first entry
    entries = [e for i in range(100) for e in agg.failed(f"10.1.0.{i}", "x", "wrong")]
    assert len(entries) == 3 and entries[-1]["remote"] == FailedLogins.OVERFLOW   # 2 more addresses, then pooled
    (pooled,) = [e for e in agg.drain() if e["remote"] == FailedLogins.OVERFLOW]
    assert pooled["detail"]["failures"] == 98
    assert agg.drain() == []
    single = FailedLogins(window=60, clock=lambda: now[0])
    single.failed("10.9.9.9", "z", "wrong")
    assert single.drain() == []                                  # one failure: its own entry said it all


@settings(max_examples=60, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["x", "y", "z"]),
                                 st.floats(min_value=0, max_value=50)), max_size=60))
def test_the_limiter_refuses_exactly_over_either_limit(events):
    """A model of the two sliding windows, against the limiter (injected clock)."""
    from dkfi.core.identity import LoginLimiter

    now = [0.0]
    lim = LoginLimiter(attempts=3, window=100.0, per_address=5, clock=lambda: now[0])
    history: list[tuple[float, str, str]] = []
    for name, addr, step in events:
        now[0] += step
        live = [(t, n, a) for t, n, a in history if now[0] - t < 100.0]
        over = sum(n == name for _, n, _ in live) >= 3 or sum(a == addr for _, _, a in live) >= 5
        assert (lim.retry_after(name, addr) > 0) == over
        if not over:
            lim.failed(name, addr)
            history.append((now[0], name, addr))


class Uvicorn:
    """A real uvicorn serving ``app`` on 127.0.0.1 in a thread (a socket bound first, so no port race)."""

    def __init__(self, app, **options):
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", ws="none",
                                                    timeout_graceful_shutdown=3, **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "Uvicorn":
        self.thread.start()
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


def _post_form(port: int, path: str, form: dict, headers: dict | None = None) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=urllib.parse.urlencode(form).encode(),
                                 headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("trusted,seen", [("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")])
def test_forwarded_addresses_are_believed_only_from_configured_proxies(tmp_path, monkeypatch, trusted, seen):
    """What `dkfi serve` tells uvicorn decides the address the limit and the audit log see."""
    from dkfi.cli import serve
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    monkeypatch.setenv("DKFI_TRUSTED_PROXIES", trusted)
    get_settings.cache_clear()
    app = create_app(f"sqlite:///{tmp_path / 'fwd.sqlite'}")
    passed: dict = {}
    monkeypatch.setattr("dkfi.sharing.federation.run_with_federation",
                        lambda app, host, port, **kw: passed.update(kw))
    monkeypatch.setattr("dkfi.web.app.create_app", lambda **kw: app)
    serve.run_node("127.0.0.1", 0, {})
    assert passed == serve.server_options(app.state.settings)
    with Uvicorn(app, **passed) as srv:
        code = _post_form(srv.port, "/api/auth/token", {"username": "ghost", "password": "nope"},
                          {"X-Forwarded-For": "203.0.113.9"})
    assert code == 401
    (row,) = _login_rows(app.state.engine)
    assert row.remote == seen


# ---- 10. nations -----------------------------------------------------------------------------------------

def test_users_add_refuses_nations_iso_3166_does_not_assign(tmp_path, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'n.sqlite'}")
    get_settings.cache_clear()
    run = CliRunner().invoke
    for bad in ("XXX", "ABC", "EUR", "DK", "DENMARK", "D1K", ""):
        res = run(cli, ["users", "add", "bob", "--nation", bad, "--clearance", "SECRET", "--role", "viewer"],
                  input="a long password\n")
        assert res.exit_code == 2 and "ISO 3166 alpha-3" in res.output and repr(bad) in res.output, (bad, res.output)
    res = run(cli, ["users", "add", "bob", "--nation", "DK", "--clearance", "SECRET", "--role", "viewer"],
              input="a long password\n")
    assert "did you mean DNK (Denmark)" in res.output
    for good in ("SWE", "nor", " fin "):
        res = run(cli, ["users", "add", f"u-{good.strip()}", "--nation", good, "--clearance", "SECRET",
                        "--role", "viewer"], input="a long password\n")
        assert res.exit_code == 0, res.output


@settings(max_examples=300, deadline=None)
@given(code=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
def test_a_nation_is_accepted_exactly_when_iso_assigns_it(code):
    from dkfi.core.identity import check_nation
    from dkfi.core.nations import ISO_3166

    if code in ISO_3166:
        assert check_nation(code.lower()) == code
    else:
        with pytest.raises(ValueError, match="not an ISO 3166 alpha-3 code"):
            check_nation(code)


def test_the_nation_table_is_iso_3166_1():
    from dkfi.core.nations import ISO_3166

    assert len(ISO_3166) == 249
    assert {"DNK", "FIN", "SWE", "NOR", "ISL", "DEU", "USA", "GBR", "ALA", "FRO", "GRL"} <= set(ISO_3166)
    assert len({a2 for a2, _ in ISO_3166.values()}) == 249


# ---- 11. request bodies ----------------------------------------------------------------------------------

class Consumed:
    """Counts the request-body bytes the wrapped application pulled from the server."""

    def __init__(self, app):
        self.app, self.bytes = app, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def counting():
            message = await receive()
            if message["type"] == "http.request":
                self.bytes += len(message.get("body", b""))
            return message

        return await self.app(scope, counting, send)


def _send_chunked(port: int, method: str, path: str, headers: dict, total: int, chunk: int = 16384
                  ) -> tuple[int, dict, int]:
    """Stream ``total`` bytes as a chunked body, stopping as soon as the server answers; (status, body, sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
    sock.sendall(head.encode())
    piece, sent, reply = b"%x\r\n" % chunk + b"9" * chunk + b"\r\n", 0, b""
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break                                   # the server answered before the body was complete
            sock.sendall(piece)
            sent += chunk
        else:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while b"\r\n\r\n" not in reply:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
        head_part, _, rest = reply.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head_part.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            data = sock.recv(65536)
            if not data:
                break
            rest += data
    finally:
        sock.close()
    status = int(head_part.split(b" ")[1])
    return status, json.loads(rest[:length] or b"{}"), sent


@pytest.fixture
def capped(tmp_path, monkeypatch):
    """A real uvicorn node capping bodies at 64 KiB, with a planner and a viewer, and the bytes the app read."""
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    monkeypatch.setenv("DKFI_MAX_BODY_BYTES", str(64 * 1024))
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'cap.sqlite'}"
    app = create_app(url)
    alert = _store_alert(app.state.engine, Classification.RESTRICTED)
    tokens = {}
    with TestClient(app) as c:
        for name, roles in (("planner", ("planner",)), ("viewer", ("viewer",))):
            make_user(url, name, "DNK", "SECRET", roles)
            tokens[name] = _token(c, name)
    counter = Consumed(app)
    with Uvicorn(counter) as srv:
        yield srv.port, counter, tokens, alert


def test_a_chunked_body_over_the_cap_is_refused_while_it_streams(capped):
    port, counter, tokens, _ = capped
    total = 64 * 1024 * 1024                                              # more than socket buffers hold
    status, body, sent = _send_chunked(port, "POST", "/api/watchlists", {**tokens["planner"],
                                                                         "Content-Type": "text/csv"}, total)
    assert status == 413 and "65,536 bytes" in body["detail"], body
    # the cap and at most one more message: uvicorn passes on what it buffered, which stops growing at 64 KiB
    # (its high-water mark) plus one socket read (256 KiB)
    assert counter.bytes <= 64 * 1024 + 512 * 1024, counter.bytes
    assert sent < total, sent                                             # the client was stopped early


def test_a_declared_length_over_the_cap_is_refused_before_reading(capped):
    """The answer comes before a byte of the body is sent (before: the server waited for the whole body)."""
    port, counter, tokens, alert = capped
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"PUT /api/labels/alert/{alert}/stanag4774 HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/xml\r\nContent-Length: 500000000\r\n"
                  f"Authorization: {tokens['planner']['Authorization']}\r\n\r\n").encode())
    reply = sock.recv(65536)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 413") and b"connection: close" in reply.lower() and counter.bytes == 0


def test_a_viewers_label_change_is_refused_before_its_body_is_read(capped):
    port, counter, tokens, alert = capped
    status, body, _sent = _send_chunked(port, "PUT", f"/api/labels/alert/{alert}/stanag4774",
                                        {**tokens["viewer"], "Content-Type": "application/xml"}, 1024 * 1024)
    assert status == 403 and "may not label" in body["detail"], body
    assert counter.bytes == 0
    status, body, _sent = _send_chunked(port, "POST", "/api/watchlists", {"Content-Type": "text/csv"}, 1024 * 1024)
    assert status == 401 and counter.bytes == 0                           # no caller: nothing read either


def test_bodies_within_the_cap_still_reach_their_route(capped):
    port, counter, tokens, alert = capped
    from dkfi.core.labels import Label as L
    from dkfi.core.stanag4774 import to_xml

    xml = to_xml(L(Classification.RESTRICTED, ("DNK", "FIN"))).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)   # keep-alive, unlike urllib
    conn.request("PUT", f"/api/labels/alert/{alert}/stanag4774", body=xml,
                 headers={**tokens["planner"], "Content-Type": "application/xml"})
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["releasable_to"] == ["DNK", "FIN"]
    assert resp.getheader("connection") != "close"                  # read to its end: the connection stays
    assert counter.bytes == len(xml)
    conn.request("GET", "/api/alerts", headers=tokens["viewer"])     # the same connection, a request without body
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("connection") != "close" and len(json.loads(resp.read())) == 1
    conn.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=3 * 4096), chunked=st.booleans())
def test_the_cap_refuses_exactly_the_bodies_over_it(tmp_path, monkeypatch, size, chunked):
    """In process: 413 exactly when the body is longer than the cap, however it is sent."""
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    monkeypatch.setenv("DKFI_MAX_BODY_BYTES", "4096")
    get_settings.cache_clear()
    app = create_app(f"sqlite:///{tmp_path / 'prop.sqlite'}")
    data = b"a" * size
    content = (data[i:i + 1000] for i in range(0, size, 1000)) if chunked else data
    with TestClient(app) as c:   # the token route is public: the cap alone decides
        r = c.post("/api/auth/token", content=content, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status_code == 413) == (size > 4096), (size, r.status_code, r.text)
