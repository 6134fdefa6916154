"""The contract every registered domain keeps, checked from what it declares in the registry (no test of its own
needed): anonymous callers are refused; a record of the other nation that is not released to the caller answers
404 and never appears in a list, map, stream, page or export; changes and reads above UNCLASSIFIED are audited;
records declared federated reach the partner node while releasable and are withdrawn when the label narrows.

Records are made from the table definitions alone (:func:`make_sample`): every text column carries a unique
canary string, so a leak shows as that string in any response body.
"""
from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, SmallInteger, String, Text, select
from sqlalchemy.orm import Session

from dkfi.core import registry
from dkfi.core.db import Base
from dkfi.core.labels import Classification, Label, LabelledMixin

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
DNK_USER = dict(name="contract-dk", nation="DNK", clearance="SECRET", roles=("operator", "planner", "admin"))
OPEN_PATHS = {"/api/auth/token", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/login", "/logout"}
LABEL_COLUMNS = {"owner_nation", "classification", "releasable_to", "label_policy", "label_categories",
                 "label_created", "label_reviewed"}


# ---- what a domain declares ----------------------------------------------------------------------------------

def domain_models(domain: registry.Domain) -> list[type]:
    """The labelled tables of a domain (mapped classes defined in its models modules)."""
    out = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, LabelledMixin) and cls.__module__ in domain.models and hasattr(cls, "__table__"):
            out.append(cls)
    return sorted(out, key=lambda c: c.__table__.name)


def domain_routes(domain: registry.Domain) -> list[APIRoute]:
    """The API routes and pages a domain registers."""
    routes = []
    for ref in (*domain.routers, *domain.pages):
        routes += [r for r in registry.resolve(ref).routes if isinstance(r, APIRoute)]
    return routes


def _class_of(table) -> type:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__table__", None) is table:
            return mapper.class_
    raise LookupError(f"no mapped class for table {table.name}")


# ---- records from table definitions --------------------------------------------------------------------------

_counter = iter(range(300_000_001, 399_999_999))


def make_sample(session: Session, model: type, label: Label, owner: str, canary: str) -> Any:
    """A row of ``model`` with every column filled (text columns carry ``canary``), labelled ``label`` and owned
    by ``owner``; rows it refers to (foreign keys) are made first, with the same label."""
    values: dict[str, Any] = {}
    for col in model.__table__.columns:
        if col.key in LABEL_COLUMNS:
            continue
        if col.foreign_keys:
            fk = next(iter(col.foreign_keys))
            parent = make_sample(session, _class_of(fk.column.table), label, owner, canary + "p")
            values[col.key] = getattr(parent, fk.column.key)
            continue
        t = col.type
        if col.primary_key and isinstance(t, (Integer, BigInteger)) and col.autoincrement in (True, "auto") \
                and not isinstance(t, BigInteger):
            continue  # the database numbers it
        if isinstance(t, (String, Text)):
            n = getattr(t, "length", None) or 200
            values[col.key] = canary[:n] if n >= len(canary) else "Z" * min(n, 3)
        elif isinstance(t, Boolean):
            values[col.key] = True
        elif isinstance(t, (Integer, BigInteger, SmallInteger)):
            values[col.key] = next(_counter)
        elif isinstance(t, Float):
            values[col.key] = 55.5
        elif isinstance(t, DateTime):
            values[col.key] = NOW
        elif isinstance(t, Date):
            values[col.key] = NOW.date()
        elif isinstance(t, JSON):
            default = col.default.arg if col.default is not None else None
            values[col.key] = [] if default is list or (callable(default) and _returns_list(default)) else {}
        else:
            values[col.key] = None
    obj = model(**values)
    obj.set_label(label, owner)
    session.add(obj)
    session.flush()
    return obj


def _returns_list(fn) -> bool:
    try:
        return isinstance(fn(None), list)
    except TypeError:
        try:
            return isinstance(fn(), list)
        except Exception:
            return False


def primary_key(obj) -> Any:
    cols = obj.__table__.primary_key.columns
    return getattr(obj, next(iter(cols)).key)


# ---- the checks ----------------------------------------------------------------------------------------------

def check_anonymous(client, routes: list[APIRoute]) -> int:
    """Every route refuses a caller without credentials: 401, or a redirect to the login page."""
    checked = 0
    for route in routes:
        if route.path in OPEN_PATHS:
            continue
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", "1")
        for method in sorted(route.methods - {"HEAD"}):
            r = client.request(method, path, follow_redirects=False)
            assert r.status_code in (401, 303), f"{method} {route.path}: anonymous got {r.status_code}"
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login"), f"{route.path} redirects elsewhere"
            checked += 1
    return checked


@dataclass
class Crawl:
    """What crawling a domain's readable routes for one pair of records found."""

    detail_routes: list[str] = field(default_factory=list)   # routes that serve the visible record by its key
    visible_seen_in: list[str] = field(default_factory=list)
    requests: int = 0


def _candidates(route: APIRoute, obj, table: str) -> list[dict[str, str]]:
    """Values for a route's path parameters: the record's key, or for a layer/type parameter every known one."""
    from dkfi.sharing.exports import cot_layers, geojson_layers
    from dkfi.web.pages import GEO_LAYERS

    options: list[dict[str, str]] = [{}]
    for name in route.param_convertors:
        if name == "layer":
            vals = sorted({*geojson_layers(), *cot_layers(), *GEO_LAYERS})
        elif name == "record_type":
            vals = [table]
        else:  # the database id, and the natural key where the table has one
            vals = [str(primary_key(obj))] + ([str(obj.key)] if hasattr(obj, "key") else [])
        options = [dict(o, **{name: v}) for o in options for v in vals]
    return options


def _fill(path: str, params: dict[str, str]) -> str:
    for k, v in params.items():
        path = path.replace("{" + k + "}", v)
    return path


def crawl(client, routes: list[APIRoute], hidden, visible, hidden_canary: str, visible_canary: str,
          table: str) -> Crawl:
    """GET every readable route with the hidden record's and the visible record's keys: the hidden canary never
    appears; a route that serves the visible record by its key answers 404 for the hidden one."""
    out = Crawl()
    for route in routes:
        if "GET" not in route.methods or "/stream/" in route.path:
            continue
        for params_v, params_h in zip(_candidates(route, visible, table), _candidates(route, hidden, table)):
            rv = client.get(_fill(route.path, params_v), follow_redirects=False)
            rh = client.get(_fill(route.path, params_h), follow_redirects=False)
            out.requests += 2
            assert rh.status_code < 500 and rv.status_code < 500, \
                f"GET {route.path}: {rv.status_code}/{rh.status_code} {rv.text[:300]} {rh.text[:300]}"
            # an error may echo the path value the caller sent (a 404 "no exercise 'X'", a 422 for a key where an
            # id goes): that is the request's own text, not the record
            echoed = rh.status_code >= 400 and hidden_canary in _fill(route.path, params_h)
            assert echoed or hidden_canary not in rh.text, \
                f"GET {_fill(route.path, params_h)} shows a {table} record not released to the caller"
            assert hidden_canary not in rv.text, \
                f"GET {_fill(route.path, params_v)} shows a {table} record not released to the caller"
            if visible_canary in rv.text:
                out.visible_seen_in.append(route.path)
                if params_v and rv.status_code == 200 and params_v != params_h:
                    out.detail_routes.append(route.path)
                    assert rh.status_code == 404, \
                        f"GET {_fill(route.path, params_h)}: {rh.status_code} for a {table} record not released " \
                        "to the caller (404 expected, as for a record that does not exist)"
    return out


def check_audit(engine, model: type, principal) -> None:
    """Reads and changes of a record above UNCLASSIFIED in a user's session leave audit entries."""
    from dkfi.core.access import user_session
    from dkfi.core.models import AuditEntry

    canary = f"AUD{uuid.uuid4().hex[:10]}"
    with Session(engine, expire_on_commit=False) as s:
        obj = make_sample(s, model, Label(Classification.RESTRICTED, ("DNK", "FIN")), "DNK", canary)
        s.commit()
        ident = str(primary_key(obj))
    table = model.__table__.name
    pk = next(iter(model.__table__.primary_key.columns))
    with user_session(engine, principal) as s:
        row = s.scalar(select(model).where(pk == primary_key(obj)))
        assert row is not None, f"{table}: the owner nation's user cannot read its RESTRICTED record"
    with user_session(engine, principal) as s:
        row = s.scalar(select(model).where(pk == primary_key(obj)))
        for col in model.__table__.columns:
            if isinstance(col.type, (String, Text)) and not col.primary_key and col.key not in LABEL_COLUMNS \
                    and not col.foreign_keys and not col.unique and (col.type.length or 99) >= 8:
                setattr(row, col.key, (canary + "x")[: col.type.length or 200])
                break
        else:
            for col in model.__table__.columns:
                if isinstance(col.type, DateTime) and col.key not in LABEL_COLUMNS:
                    setattr(row, col.key, datetime(2026, 11, 27, tzinfo=timezone.utc))
                    break
    with Session(engine) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.object_type == table)).all()
    reads = [e for e in entries if e.action == "read" and ident in e.object_id.split(",")]
    updates = [e for e in entries if e.action == "update" and e.object_id == ident]
    assert reads, f"{table}: reading a RESTRICTED record was not audited"
    assert updates, f"{table}: changing a RESTRICTED record was not audited"
    assert all(e.actor == principal.name for e in reads + updates)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app under uvicorn on 127.0.0.1 in a thread (a real server, for the live streams)."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def check_stream(base_url: str, token: str, stream: registry.Stream, hidden_msg: dict, visible_msg: dict,
                 hidden_canary: str, visible_canary: str) -> None:
    """Publish the hidden record's message, then the visible one's: the stream delivers the visible one and
    never the hidden one."""
    from dkfi.core.bus import get_bus

    bus = get_bus()
    seen: list[str] = []

    def publish_when_subscribed() -> None:
        deadline = time.monotonic() + 10
        while bus.subscribers(stream.subject) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        bus.publish(stream.subject, hidden_msg)
        bus.publish(stream.subject, visible_msg)

    publisher = threading.Thread(target=publish_when_subscribed, daemon=True)
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(15.0)) as c:
        with c.stream("GET", stream.path, headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status_code == 200, f"{stream.path}: {r.status_code}"
            publisher.start()
            deadline = time.monotonic() + 15
            for line in r.iter_lines():
                seen.append(line)
                if visible_canary in line or time.monotonic() > deadline:
                    break
    publisher.join(5)
    text = "\n".join(seen)
    assert visible_canary in text, f"{stream.path}: the visible record's message never arrived"
    assert hidden_canary not in text, f"{stream.path}: a message not released to the caller was streamed"


def check_federation(dnk_url: str, fin_url: str, spec: registry.Federated) -> None:
    """A record releasable to FIN reaches the FIN node (outbox -> inbox apply); narrowing its label to DNK
    withdraws it there."""
    from dkfi.core.db import get_engine
    from dkfi.sharing import outbox
    from dkfi.sharing.federation import item_of
    from dkfi.sharing.federation_inbox import apply_items
    from dkfi.sharing.models import OutboxItem

    model = registry.resolve(spec.model)
    dnk, fin = get_engine(dnk_url), get_engine(fin_url)
    outbox.configure(dnk, "DNK", {"FIN": outbox.Partner("FIN", "https://127.0.0.1:1")})
    fin_node = outbox.configure(fin, "FIN", {"DNK": outbox.Partner("DNK", "https://127.0.0.1:1")})
    try:
        canary = f"FED{uuid.uuid4().hex[:10]}"
        with Session(dnk, expire_on_commit=False) as s:
            obj = make_sample(s, model, Label(Classification.RESTRICTED, ("DNK", "FIN")), "DNK", canary)
            s.commit()
            key = str(getattr(obj, spec.key_attr))

        def deliver() -> dict:
            with Session(dnk) as s:
                rows = s.scalars(select(OutboxItem).where(OutboxItem.partner == "FIN",
                                                          OutboxItem.delivered_at.is_(None))
                                 .order_by(OutboxItem.id)).all()
                items = [item_of(r) for r in rows]
                for r in rows:
                    r.delivered_at = NOW
                s.commit()
            return apply_items(fin, fin_node, "DNK", items)

        def at_fin():
            local = f"DNK:{key}"
            with Session(fin) as s:
                return s.scalar(select(model).where(getattr(model, spec.key_attr).in_([key, local])))

        counts = deliver()
        assert counts["applied"] >= 1, f"{model.__table__.name}: nothing applied at FIN: {counts}"
        got = at_fin()
        assert got is not None and got.owner_nation == "DNK", f"{model.__table__.name} {key} did not reach FIN"
        assert got.classification == "RESTRICTED" and "FIN" in got.releasable_to
        with Session(dnk) as s:
            row = s.get(model, primary_key(obj))
            row.set_label(Label(Classification.RESTRICTED, ("DNK",)), "DNK")
            s.commit()
        counts = deliver()
        assert counts["withdrawn"] >= 1, f"{model.__table__.name}: narrowing sent no withdrawal: {counts}"
        assert at_fin() is None, f"{model.__table__.name} {key} still at FIN after its label was narrowed"
    finally:
        outbox.unconfigure(dnk)
        outbox.unconfigure(fin)


def login_token(client, url: str, user: dict) -> str:
    from tests.conftest import make_user

    pw = make_user(url, user["name"], user["nation"], user["clearance"], user["roles"])
    r = client.post("/api/auth/token", data={"username": user["name"], "password": pw})
    assert r.status_code == 200, r.text
    r2 = client.post("/login", data={"username": user["name"], "password": pw, "next": "/"},
                     follow_redirects=False)
    assert r2.status_code == 303, r2.text  # the session cookie, for the pages
    return r.json()["access_token"]


