"""Identity: local accounts (argon2, CLI), tokens, OpenID Connect bearer tokens, cookies with CSRF, rate limits."""
from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dkfi.core.identity import AuthError, Principal, issue_token, parse_roles, verify_token
from dkfi.core.labels import Classification
from tests.conftest import make_user


@pytest.fixture
def app(tmp_path, monkeypatch):
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    monkeypatch.setenv("DKFI_LOGIN_ATTEMPTS", "3")
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    a = create_app(url)
    a.state.url = url
    return a


def test_users_add_reads_the_password_from_stdin(tmp_path, monkeypatch):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import authenticate

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'u.sqlite'}")
    get_settings.cache_clear()
    runner = CliRunner()
    res = runner.invoke(cli, ["users", "add", "anna", "--nation", "DNK", "--clearance", "RESTRICTED",
                              "--role", "operator"], input="s3cret-password\n")
    assert res.exit_code == 0, res.output
    with session_scope(get_engine()) as s:
        p = authenticate(s, "anna", "s3cret-password")
        assert p == Principal("anna", "DNK", Classification.RESTRICTED, frozenset({"operator"}))
        from dkfi.core.models import User

        stored = s.query(User).one()
        assert stored.password_hash.startswith("$argon2") and "s3cret" not in stored.password_hash
        assert (stored.owner_nation, stored.classification, stored.releasable_to) == ("DNK", "RESTRICTED", "DNK")
        with pytest.raises(AuthError):
            authenticate(s, "anna", "wrong-password")
    for bad, why in ((["--nation", "DK"], "alpha-3"), (["--clearance", "TOP"], "classification"),
                     (["--role", "king"], "role")):
        args = {"--nation": "FIN", "--clearance": "SECRET", "--role": "viewer"}
        args[bad[0]] = bad[1]
        res = runner.invoke(cli, ["users", "add", "bob", *[x for kv in args.items() for x in kv]],
                            input="another-password\n")
        assert res.exit_code == 2 and why in res.output, res.output
    res = runner.invoke(cli, ["users", "add", "anna", "--nation", "DNK", "--clearance", "SECRET", "--role",
                              "viewer"], input="yet-another-pw\n")
    assert res.exit_code == 2 and "exists" in res.output


def test_token_endpoint_and_rate_limit(app):
    pw = make_user(app.state.url, "fin-op", "FIN", "CONFIDENTIAL", ("operator", "viewer"))
    with TestClient(app) as c:
        r = c.post("/api/auth/token", data={"username": "fin-op", "password": pw})
        assert r.status_code == 200
        tok = r.json()["access_token"]
        me = c.get("/api/auth/me", headers={"Authorization": f"Bearer {tok}"}).json()
        assert me["nation"] == "FIN" and me["clearance"] == "CONFIDENTIAL" and "act" in me["actions"]
        assert c.get("/api/auth/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        # three failures allowed per user and address, then 429 with Retry-After (even for the right password)
        for _ in range(3):
            assert c.post("/api/auth/token", data={"username": "fin-op", "password": "wrong"}).status_code == 401
        r = c.post("/api/auth/token", data={"username": "fin-op", "password": pw})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        # another user is not affected
        pw2 = make_user(app.state.url, "dk-op", "DNK", "SECRET", ("viewer",))
        assert c.post("/api/auth/token", data={"username": "dk-op", "password": pw2}).status_code == 200


def test_expired_and_foreign_tokens_are_refused(app):
    s = app.state.settings
    p = Principal("x", "DNK", Classification.SECRET, frozenset({"admin"}))
    with pytest.raises(AuthError, match="expired"):
        verify_token(s, issue_token(s, p, ttl=-10))
    forged = jwt.encode({"iss": "dkfi", "sub": "x", "nation": "DNK", "clearance": "SECRET", "roles": ["admin"],
                         "iat": int(time.time()), "exp": int(time.time()) + 60}, "not-the-key", algorithm="HS256")
    with pytest.raises(AuthError, match="rejected"):
        verify_token(s, forged)
    with pytest.raises(AuthError, match="not trusted"):
        verify_token(s, jwt.encode({"iss": "elsewhere", "sub": "x"}, "k" * 32, algorithm="HS256"))


@pytest.fixture
def idp(tmp_path):
    """An identity provider's RSA key and its JWKS file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return key, path


def _idp_token(key, **claims) -> str:
    now = int(time.time())
    body = {"iss": "https://idp.fmn.dk", "aud": "dkfi", "iat": now, "exp": now + 300,
            "preferred_username": "lt.hansen", "nation": "DNK", "clearance": "SECRET", "roles": ["planner"]}
    body.update(claims)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def test_openid_connect_tokens_map_claims(app, idp, monkeypatch):
    key, jwks = idp
    s = app.state.settings.model_copy(update={"oidc_issuer": "https://idp.fmn.dk", "oidc_audience": "dkfi",
                                              "oidc_jwks": str(jwks)})
    app.state.settings = s
    p = verify_token(s, _idp_token(key))
    assert p == Principal("lt.hansen", "DNK", Classification.SECRET, frozenset({"planner"}))
    with pytest.raises(AuthError, match="(?i)audience"):
        verify_token(s, _idp_token(key, aud="other"))
    with pytest.raises(AuthError, match="role"):
        verify_token(s, _idp_token(key, roles=["emperor"]))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError, match="rejected"):
        verify_token(s, _idp_token(other))                     # signed by someone else
    with TestClient(app) as c:
        r = c.get("/api/alerts", headers={"Authorization": f"Bearer {_idp_token(key)}"})
        assert r.status_code == 200 and r.json() == []
        r = c.get("/api/alerts", headers={"Authorization": f"Bearer {_idp_token(key, exp=int(time.time()) - 5)}"})
        assert r.status_code == 401


def test_pages_use_a_session_cookie_with_csrf(app):
    from datetime import datetime, timezone

    from dkfi.core.db import session_scope
    from dkfi.core.labels import Label
    from dkfi.watch.models import AlertRecord

    now = datetime.now(timezone.utc)
    with session_scope(app.state.engine) as s:
        a = AlertRecord(key="k", kind="loitering", mmsi=1, start=now, end=now, severity="low", score=1, summary="s",
                        factors=[], evidence=[], status="new", created=now, updated=now)
        a.set_label(Label(Classification.RESTRICTED, ("DNK",)), "DNK")
        s.add(a)
    pw = make_user(app.state.url, "dk-op", "DNK", "SECRET", ("operator",))
    with TestClient(app, follow_redirects=False) as c:
        r = c.get("/alerts")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/alerts"
        r = c.post("/login", data={"username": "dk-op", "password": "nope", "next": "/alerts"})
        assert r.status_code == 303 and "error=" in r.headers["location"]
        r = c.post("/login", data={"username": "dk-op", "password": pw, "next": "/alerts"})
        assert r.status_code == 303 and r.headers["location"] == "/alerts"
        page = c.get("/alerts")
        assert page.status_code == 200 and "dk-op" in page.text and ">RESTRICTED<" in page.text
        csrf = c.cookies["dkfi_csrf"]
        assert f'content="{csrf}"' in page.text
        # a change by cookie without the CSRF header is refused; with it, it goes through
        r = c.post("/api/alerts/1/actions", json={"action": "acknowledge"})
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
        r = c.post("/api/alerts/1/actions", json={"action": "acknowledge"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["changes"][-1]["actor"] == "dk-op"
        # open redirects are not followed
        r = c.post("/login", data={"username": "dk-op", "password": pw, "next": "//evil.example"})
        assert r.headers["location"] == "/"
        assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        r = c.post("/logout", data={"csrf_token": c.cookies["dkfi_csrf"]})  # the new login's token
        assert r.status_code == 303 and c.get("/alerts").status_code == 303


@settings(max_examples=200, deadline=None)
@given(nation=st.text(max_size=5), clearance=st.text(max_size=20), roles=st.lists(st.text(max_size=10), max_size=3))
def test_token_claims_are_validated(nation, clearance, roles):
    from dkfi.core.config import Settings

    s = Settings(secret_key="k" * 40)
    now = int(time.time())
    tok = jwt.encode({"iss": "dkfi", "sub": "u", "nation": nation, "clearance": clearance, "roles": roles,
                      "iat": now, "exp": now + 60}, s.secret_key, algorithm="HS256")
    try:
        p = verify_token(s, tok)
    except AuthError:
        return
    assert len(p.nation) == 3 and p.nation.isalpha() and p.roles == parse_roles(roles)


def test_demo_accounts_are_made_once_and_kept_private(tmp_path, monkeypatch):
    import stat

    from dkfi.cli.serve import DEMO_CREDENTIALS, _demo_users
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import authenticate

    monkeypatch.setenv("DKFI_DATA_DIR", str(tmp_path / "demo"))
    get_settings.cache_clear()
    first = _demo_users(get_settings())
    again = _demo_users(get_settings())
    assert [u[-1] for u in first] == [u[-1] for u in again]          # the same passwords on a second start
    path = tmp_path / "demo" / DEMO_CREDENTIALS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with session_scope(get_engine()) as s:
        for name, nation, clearance, roles, pw in first:
            p = authenticate(s, name, pw)
            assert (p.nation, p.clearance.name, p.roles) == (nation, clearance, frozenset(roles))
