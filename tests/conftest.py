"""Shared fixtures: settings in a temporary folder, and databases on SQLite and the local PostgreSQL."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
if not SHARED.exists():  # CI lays shared/ beside the clone
    SHARED = Path(os.environ.get("DKFI_SHARED", "../shared")).resolve()
AIS = SHARED / "data" / "ais"
PG_ADMIN_URL = os.environ.get("DKFI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _settings(tmp_path, monkeypatch):
    """Every test gets its own data folder; nothing reads the developer's var/."""
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DKFI_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _pg_available() -> bool:
    import sqlalchemy as sa

    try:
        eng = sa.create_engine(PG_ADMIN_URL)
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import sqlalchemy as sa

    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"dkfi_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    from dkfi.core.db import _engines, _lock

    with _lock:
        eng = _engines.pop(url, None)
    if eng is not None:
        eng.dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dkfi.sqlite'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    from dkfi.core.db import get_engine

    return get_engine(db_url)


def make_user(url: str, name: str, nation: str = "DNK", clearance: str = "SECRET", roles=("operator",),
              password: str = "correct horse battery") -> str:
    """A local account straight in the database at ``url``; returns its password."""
    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import add_user

    with session_scope(get_engine(url)) as s:
        add_user(s, name, nation, clearance, list(roles), password)
    return password


def login(client, url: str, name: str = "op-dk", nation: str = "DNK", clearance: str = "SECRET",
          roles=("operator",)) -> dict:
    """Make a user, log it in through ``POST /api/auth/token`` and send its bearer token from now on."""
    pw = make_user(url, name, nation, clearance, roles)
    r = client.post("/api/auth/token", data={"username": name, "password": pw})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return r.json()
