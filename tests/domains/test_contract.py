"""The contract of every registered domain, parametrised from the registry (tests/domains/contract.py says what
is checked). A new domain gets these checks by registering; it writes none of them."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dkfi.core import registry
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification, Label

import contract

registry.start()
DOMAINS = registry.domains()
WITH_ROUTES = [d for d in DOMAINS if d.routers or d.pages]
MODELS = [(d, m) for d in DOMAINS for m in contract.domain_models(d)]
HIDDEN = Label(Classification.UNCLASSIFIED, ())          # FIN's, released to no one
VISIBLE = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))


def all_routes() -> list:
    return [r for d in DOMAINS for r in contract.domain_routes(d)]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    from dkfi.core.config import get_settings
    from dkfi.core.db import Base, get_engine
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'dkfi.sqlite'}"
    get_settings.cache_clear()
    engine = get_engine(url)
    Base.metadata.create_all(engine)  # tables a domain ships without a migration (none today; a toy's)
    app = create_app(url)
    with TestClient(app) as c:
        token = contract.login_token(c, url, contract.DNK_USER)
        c.headers["Authorization"] = f"Bearer {token}"
        yield app, c, engine, url, token


def test_every_domain_declares_its_parts():
    """The built-in domains are found by discovery and each brings something the shells read."""
    names = {d.name for d in DOMAINS}
    assert {"maritime", "watch", "sim", "sharing"} <= names
    for d in DOMAINS:
        assert d.routers or d.cli or d.pages, f"domain {d.name} brings nothing"
    assert [n.href for n in registry.nav()][:3] == ["/map", "/alerts", "/watchlists"]


@pytest.mark.parametrize("domain", WITH_ROUTES, ids=lambda d: d.name)
def test_anonymous_refused(domain, tmp_path):
    from dkfi.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'anon.sqlite'}")
    with TestClient(app) as c:
        assert contract.check_anonymous(c, contract.domain_routes(domain)) >= 1


@pytest.mark.parametrize("domain", [d for d in DOMAINS if contract.domain_models(d)], ids=lambda d: d.name)
def test_records_not_released_never_shown(domain, node):
    """Per table: the other nation's unreleased record is in no list, map, page or export, and 404 by its key;
    a domain with pages shows its visible records somewhere (so the crawl really reads them)."""
    app, c, engine, url, _ = node
    seen = []
    for model in contract.domain_models(domain):
        hc, vc = f"HID{uuid.uuid4().hex[:10]}", f"VIS{uuid.uuid4().hex[:10]}"
        with Session(engine, expire_on_commit=False) as s:
            hidden = contract.make_sample(s, model, HIDDEN, "FIN", hc)
            visible = contract.make_sample(s, model, VISIBLE, "DNK", vc)
            s.commit()
        found = contract.crawl(c, all_routes(), hidden, visible, hc, vc, model.__table__.name)
        assert found.requests > 0
        seen += found.visible_seen_in
    if domain.nav:
        assert seen, f"domain {domain.name}: no route showed any of its visible records (is the crawl reading?)"


@pytest.mark.parametrize("model", [m for _, m in MODELS], ids=lambda m: m.__table__.name)
def test_reads_and_changes_above_unclassified_audited(model, node):
    _, _, engine, _, _ = node
    contract.check_audit(engine, model, Principal("contract-dk", "DNK", Classification.SECRET,
                                                  frozenset({"operator"})))


@pytest.mark.parametrize("stream", registry.streams(), ids=lambda s: s.path)
def test_streams_send_only_what_the_caller_may_see(stream, node):
    app, _, engine, _, token = node
    model, message = registry.resolve(stream.model), registry.resolve(stream.message)
    hc, vc = f"HID{uuid.uuid4().hex[:10]}", f"VIS{uuid.uuid4().hex[:10]}"
    with Session(engine, expire_on_commit=False) as s:
        hidden = contract.make_sample(s, model, HIDDEN, "FIN", hc)
        visible = contract.make_sample(s, model, VISIBLE, "DNK", vc)
        s.commit()
        hidden_msg, visible_msg = message(hidden), message(visible)
    with contract.Server(app) as srv:
        contract.check_stream(srv.base, token, stream, hidden_msg, visible_msg, hc, vc)


@pytest.mark.parametrize("spec", registry.federated(), ids=lambda f: registry.resolve(f.model).__table__.name)
def test_federated_records_reach_the_partner_and_withdraw(spec, tmp_path):
    contract.check_federation(f"sqlite:///{tmp_path / 'dnk.sqlite'}", f"sqlite:///{tmp_path / 'fin.sqlite'}", spec)
