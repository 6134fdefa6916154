"""Adding a domain through the registry alone: a toy domain (tests/domains/toy: a labelled table, a router, a
page with its navigation entry, a CLI group, a federated record type, an export layer) appears in the app, the
CLI, the navigation, the banner, the exports and the migrations metadata, and the contract checks run on it."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dkfi.core import registry
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification, Label

import contract


@pytest.fixture
def toy():
    from tests.domains.toy.domain import DOMAIN

    from dkfi.core.db import Base
    from tests.domains.toy.models import ToyNote

    registry.start()
    registry.register(DOMAIN)
    table = ToyNote.__table__
    if table.name not in Base.metadata.tables:  # put back by an earlier test's teardown in this process
        Base.metadata._add_table(table.name, table.schema, table)
    yield DOMAIN
    registry.unregister(DOMAIN.name)
    from dkfi.core.db import Base

    # the table leaves the metadata too, so later tests in this process see only the real domains
    from tests.domains.toy.models import ToyNote
    if ToyNote.__table__.name in Base.metadata.tables:
        Base.metadata.remove(ToyNote.__table__)


@pytest.fixture
def toy_node(toy, tmp_path):
    from dkfi.core.config import get_settings
    from dkfi.core.db import Base, get_engine
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path / 'toy.sqlite'}"
    get_settings.cache_clear()
    engine = get_engine(url)
    Base.metadata.create_all(engine)  # the toy ships no migration; a real domain adds one (docs/architecture.md)
    app = create_app(url)
    with TestClient(app) as c:
        token = contract.login_token(c, url, contract.DNK_USER)
        c.headers["Authorization"] = f"Bearer {token}"
        yield app, c, engine, url


def test_toy_appears_in_app_navigation_banner_and_exports(toy_node):
    from dkfi.sharing.exports import geojson_layers

    app, c, engine, _ = toy_node
    with Session(engine) as s:
        n = contract.make_sample(s, registry.resolve("tests.domains.toy.models:ToyNote"),
                                 Label(Classification.CONFIDENTIAL, ("DNK",)), "DNK", "a secret note")
        s.commit()
        note_id = n.id
    assert c.get("/api/toy/notes").json()[0]["text"] == "a secret note"
    assert c.get(f"/api/toy/notes/{note_id}").status_code == 200
    assert "/api/toy/notes" in c.get("/openapi.json").json()["paths"]
    page = c.get("/toy")
    assert page.status_code == 200 and "a secret note" in page.text
    assert 'href="/toy" aria-current="page"' in page.text                      # its own navigation entry
    assert 'id="banner">CONFIDENTIAL</div>' in page.text                     # the banner rose with the note
    assert 'href="/toy"' in c.get("/alerts").text                               # and every page links to it
    assert "toy-notes" in geojson_layers()
    fc = c.get("/api/export/toy-notes.geojson").json()
    assert fc["label"]["classification"] == "CONFIDENTIAL" and len(fc["features"]) == 1


def test_toy_appears_in_the_cli(toy, tmp_path, monkeypatch):
    from dkfi.cli.main import build_app

    monkeypatch.setenv("DKFI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    from dkfi.core.config import get_settings
    from dkfi.core.db import Base, get_engine

    get_settings.cache_clear()
    Base.metadata.create_all(get_engine())
    cli = build_app()
    runner = CliRunner()
    assert "toy" in runner.invoke(cli, ["--help"]).output
    res = runner.invoke(cli, ["toy", "count"])
    assert res.exit_code == 0, res.output
    assert "0 toy notes" in res.output


def test_toy_appears_in_the_migrations_metadata(toy, tmp_path):
    """Alembic's metadata (migrations/env.py) is the registry's: the toy table shows as one the migrations lack."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from dkfi.core.db import Base, get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'mig.sqlite'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    added = [d[1].name for d in diff if d[0] == "add_table"]
    assert added == ["toy_note"], diff


def test_contract_checks_run_on_the_toy(toy_node, tmp_path):
    app, c, engine, url = toy_node
    model = registry.resolve("tests.domains.toy.models:ToyNote")
    assert contract.domain_models(registry.get("toy")) == [model]
    routes = contract.domain_routes(registry.get("toy"))
    with TestClient(app) as anon:
        assert contract.check_anonymous(anon, routes) == 3
    hc, vc = f"HID{uuid.uuid4().hex[:10]}", f"VIS{uuid.uuid4().hex[:10]}"
    with Session(engine, expire_on_commit=False) as s:
        hidden = contract.make_sample(s, model, Label(Classification.UNCLASSIFIED, ()), "FIN", hc)
        visible = contract.make_sample(s, model, Label(Classification.UNCLASSIFIED, ("DNK",)), "DNK", vc)
        s.commit()
    all_routes = [r for d in registry.domains() for r in contract.domain_routes(d)]
    found = contract.crawl(c, all_routes, hidden, visible, hc, vc, "toy_note")
    assert found.detail_routes == ["/api/toy/notes/{note_id}"]
    assert {"/api/toy/notes", "/toy", "/api/export/{layer}.geojson"} <= set(found.visible_seen_in)
    contract.check_audit(engine, model, Principal("contract-dk", "DNK", Classification.SECRET,
                                                  frozenset({"operator"})))
    spec = next(f for f in registry.federated() if f.model == "tests.domains.toy.models:ToyNote")
    dnk, fin = f"sqlite:///{tmp_path / 'dnk.sqlite'}", f"sqlite:///{tmp_path / 'fin.sqlite'}"
    from dkfi.core.db import Base, get_engine

    for u in (dnk, fin):
        Base.metadata.create_all(get_engine(u))
    contract.check_federation(dnk, fin, spec)
