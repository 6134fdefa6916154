"""Shared fixtures: settings in a temporary folder, and databases on SQLite and the local PostgreSQL."""
from __future__ import annotations

import contextlib

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_folder() -> Path:
    """The read-only shared data: ``DKFI_SHARED`` when set, else ``shared/`` beside the checkout.

    Found from the repository, never from a fixed folder or the working directory, so a clone anywhere
    (a developer's machine, CI) finds the same files."""
    env = os.environ.get("DKFI_SHARED")
    return Path(env).expanduser().resolve() if env else (ROOT / ".." / "shared").resolve()


SHARED = shared_folder()
AIS = SHARED / "data" / "ais"
PG_ADMIN_URL = os.environ.get("DKFI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def need(what: str, ok: bool) -> None:
    """A test's resource (a data folder, a server, a browser): skip without it, but fail under ``CI=true``.

    CI provides everything, so there a missing resource is a broken run, not a test to leave out quietly."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"{what} (CI=true: a missing resource fails the run)", pytrace=False)
    pytest.skip(what)


def need_shared(*paths: Path) -> None:
    """Each of ``paths`` exists in the shared data (see :func:`need`)."""
    for path in paths:
        need(f"shared data not found: {path} (lay shared/ beside the checkout or set DKFI_SHARED)", path.exists())


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_shared(*paths): the test reads these files or folders of the "
                                       "shared data (skipped without them, failed under CI=true)")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs_shared"):
        need_shared(*mark.args)


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir(tmp_path_factory):
    """Module-scoped fixtures (a node shared by a module's tests) run before any test's own folder is set: they
    get one for the session, so nothing they write (the token key, an audit anchor) lands in the checkout's var/."""
    from dkfi.core.config import get_settings

    mp = pytest.MonkeyPatch()
    mp.setenv("DKFI_DATA_DIR", str(tmp_path_factory.mktemp("session") / "var"))
    mp.delenv("DKFI_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _settings(tmp_path, monkeypatch):
    """Every test gets its own data folder; nothing reads the developer's var/."""
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DKFI_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _logging_state():
    """A test that starts a node (``dkfi serve`` configures logging: JSON lines on stdout) leaves the process's
    loggers as it found them, so a later test's CLI output holds no log lines."""
    import logging

    names = [None, "uvicorn", "uvicorn.error", "uvicorn.access", "dkfi"]
    saved = {n: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
             for n in names for lg in [logging.getLogger(n)]}
    yield
    for n, (handlers, level, propagate, disabled) in saved.items():
        lg = logging.getLogger(n)
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


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


@contextlib.contextmanager
def pg_database():
    """A fresh, empty PostgreSQL database, dropped afterwards (as many as a test needs)."""
    import sqlalchemy as sa

    need(f"PostgreSQL not reachable at {PG_ADMIN_URL}", _pg_available())
    name = f"dkfi_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from dkfi.core.db import _engines, _lock

        with _lock:
            eng = _engines.pop(url, None)
        if eng is not None:
            eng.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with pg_database() as url:
        yield url


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
