"""The federation outbox: changes of replicated records owed to partner nodes, written in the same transaction.

A node knows its nation and its partners (:class:`Node`; from the settings ``DKFI_NATION`` and
``DKFI_PARTNERS``, or set per database with :func:`configure` when one process runs several nodes, as the
tests do). An ``after_flush`` hook on every :class:`~sqlalchemy.orm.Session` looks at the flushed objects of the
replicated record types (:data:`REGISTRY`; ``alert`` to begin with) that this node's nation owns and writes,
with Core inserts on the flush's own connection (so in the same transaction, for user sessions and the node's
plain sessions alike):

* an ``upsert`` row for every partner whose nation is in the record's releasable-to, and
* a ``withdraw`` row for every partner that was in releasable-to before the change and is not any more (or for
  every partner that had it, when the record is deleted).

Records this node does not own are never written here by the hook: a received record is forwarded by the inbox
(:mod:`dkfi.sharing.federation_inbox`) and only to partners its label releases it to.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import chain
from typing import Any, Iterable

from sqlalchemy import Date, DateTime, Table, event, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session

from dkfi.core.labels import LabelledMixin, parse_releasable
from dkfi.core.records import record_label
from dkfi.sharing.models import OutboxItem

log = logging.getLogger(__name__)

UPSERT, WITHDRAW = "upsert", "withdraw"
TRANSPORTS = ("https", "nats")
LABEL_COLUMNS = ("owner_nation", "classification", "releasable_to", "label_policy", "label_categories",
                 "label_created", "label_reviewed")
PAYLOAD_VERSION = 1


# ---- the node and its partners -------------------------------------------------------------------

@dataclass(frozen=True)
class Partner:
    nation: str
    endpoint: str  # https://host:port, or "nats" (JetStream)

    @property
    def transport(self) -> str:
        return "nats" if self.endpoint.lower().startswith("nats") else "https"


@dataclass(frozen=True)
class Node:
    nation: str
    partners: dict[str, Partner] = field(default_factory=dict)


def _nation(code: str) -> str:
    norm = parse_releasable(code)
    if len(norm) != 1:
        raise ValueError(f"{code!r} is not one nation code (ISO 3166 alpha-3, e.g. FIN)")
    return norm[0]


def parse_partners(text: str | Iterable[str] | None, default_transport: str = "https") -> dict[str, Partner]:
    """``"FIN=https://127.0.0.1:8443,NOR=nats"`` -> partners; a bare nation uses ``nats`` when that is the
    default transport (an HTTPS partner needs its address)."""
    if text is None:
        return {}
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: dict[str, Partner] = {}
    for part in parts:
        part = part.strip()
        if not part:
            continue
        nation, _, endpoint = part.partition("=")
        nation, endpoint = _nation(nation), endpoint.strip()
        if not endpoint:
            if default_transport != "nats":
                raise ValueError(f"partner {nation}: give its inbox address, e.g. {nation}=https://host:8443")
            endpoint = "nats"
        if not (endpoint.startswith("https://") or endpoint.lower().startswith("nats")):
            raise ValueError(f"partner {nation}: {endpoint!r} is neither an https:// address nor 'nats' "
                             "(federation runs over mutual TLS or JetStream only)")
        out[nation] = Partner(nation, endpoint.rstrip("/"))
    return out


_nodes: dict[str, Node] = {}
_nodes_lock = threading.Lock()


def _url_key(engine_or_url) -> str:
    url = getattr(engine_or_url, "url", engine_or_url)
    return url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)


def configure(engine_or_url, nation: str, partners: dict[str, Partner] | str | None = None) -> Node:
    """This database is the node of ``nation`` with these partners (overrides the settings for it)."""
    if not isinstance(partners, dict):
        partners = parse_partners(partners)
    node = Node(_nation(nation), dict(partners))
    with _nodes_lock:
        _nodes[_url_key(engine_or_url)] = node
    return node


def unconfigure(engine_or_url) -> None:
    with _nodes_lock:
        _nodes.pop(_url_key(engine_or_url), None)


def node_from_settings(settings=None) -> Node:
    if settings is None:
        from dkfi.core.config import get_settings

        settings = get_settings()
    return Node(_nation(settings.nation), parse_partners(settings.partners, settings.federation_transport))


def node_of(engine_or_url) -> Node:
    """The node whose database this is: configured with :func:`configure`, else from the settings."""
    node = _nodes.get(_url_key(engine_or_url))
    return node if node is not None else node_from_settings()


# ---- replicated record types ---------------------------------------------------------------------

def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class Replicated:
    """How one record type travels: its natural key (ids are local) and the fields a receiver keeps its own."""

    model: type
    key_attr: str
    keep_local: tuple[str, ...] = ()  # set from the originator on first receipt, the receiver's own afterwards
    # a received record goes to this bus subject as ``live[1](record)``, so open pages show it at once
    live: tuple[str, Any] | None = None

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[attr-defined]  # a mapped class: register() checked it

    @property
    def record_type(self) -> str:
        return self.table.name

    def local_key(self, origin: str, key: str) -> str:
        return f"{origin}:{key}"

    def _fields(self) -> list:
        pk = {c.key for c in self.table.primary_key.columns}
        return [c for c in self.table.columns
                if c.key not in pk and c.key not in LABEL_COLUMNS and c.key != self.key_attr]

    def snapshot(self, obj) -> dict:
        return {c.key: _jsonable(getattr(obj, c.key)) for c in self._fields()}

    def load(self, obj, fields: dict, *, new: bool) -> None:
        for c in self._fields():
            if c.key not in fields or (not new and c.key in self.keep_local):
                continue
            v = fields[c.key]
            if v is not None and isinstance(c.type, DateTime) and isinstance(v, str):
                v = datetime.fromisoformat(v)
            elif v is not None and isinstance(c.type, Date) and isinstance(v, str):
                v = date.fromisoformat(v)
            setattr(obj, c.key, v)


REGISTRY: dict[str, Replicated] = {}
_BY_MODEL: dict[type, Replicated] = {}


def register(model: type, key_attr: str, keep_local: Iterable[str] = (),
             live: tuple[str, Any] | None = None) -> Replicated:
    """Make a labelled record type travel between nodes (``key_attr``: a unique natural key; ``live``: the bus
    subject and message function for records received from a partner)."""
    if not issubclass(model, LabelledMixin):
        raise TypeError(f"{model.__name__} carries no label; only labelled records are federated")
    spec = Replicated(model, key_attr, tuple(keep_local), live)
    REGISTRY[spec.record_type] = spec
    _BY_MODEL[model] = spec
    return spec


_FROM_REGISTRY: set[str] = set()


def register_from_registry() -> None:
    """Register the record types the domains declare as federated (:attr:`dkfi.core.registry.Domain.federated`);
    called again when domains change, so a type whose domain is gone stops travelling."""
    from dkfi.core import registry

    for rtype in _FROM_REGISTRY:
        spec = REGISTRY.pop(rtype, None)
        if spec is not None:
            _BY_MODEL.pop(spec.model, None)
    _FROM_REGISTRY.clear()
    for f in registry.federated():
        live = (f.live_subject, registry.resolve(f.live_message)) if f.live_subject and f.live_message else None
        _FROM_REGISTRY.add(register(registry.resolve(f.model), f.key_attr, keep_local=f.keep_local,
                                    live=live).record_type)


def label_payload(obj) -> dict:
    return {**record_label(obj), "created": _jsonable(obj.label_created), "reviewed": _jsonable(obj.label_reviewed)}


def payload_of(spec: Replicated, obj, key: str) -> dict:
    return {"v": PAYLOAD_VERSION, "record_type": spec.record_type, "origin": obj.owner_nation, "key": key,
            "label": label_payload(obj), "fields": spec.snapshot(obj)}


def outbox_row(node: Node, partner: str, record_type: str, key: str, op: str, payload: dict,
               classification: str, now: datetime) -> dict:
    """Values of one outbox row (owned by this node, releasable to no one else)."""
    return {"partner": partner, "record_type": record_type, "record_key": key[:200], "op": op, "payload": payload,
            "created": now, "delivered_at": None, "attempts": 0, "last_error": None,
            "owner_nation": node.nation, "classification": classification, "releasable_to": "",
            "label_policy": "NATO", "label_categories": "", "label_created": now, "label_reviewed": None}


def write_rows(conn, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert(OutboxItem), rows)


# ---- the hook ------------------------------------------------------------------------------------

def _before(state, attr: str):
    """The value of ``attr`` before this flush (the current one when unchanged)."""
    hist = state.attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    return getattr(state.obj(), attr)


def rows_for_flush(session: Session, node: Node) -> list[dict]:
    rows: list[dict] = []
    now = datetime.now(timezone.utc)
    new, deleted = set(session.new), set(session.deleted)
    for obj in chain(session.new, session.dirty, session.deleted):
        spec = _BY_MODEL.get(type(obj))
        if spec is None:
            continue
        state = inspect(obj)
        if obj in new:
            was_ours, rel_before = False, set()
        else:
            was_ours = _before(state, "owner_nation") == node.nation
            rel_before = set(parse_releasable(_before(state, "releasable_to") or "")) if was_ours else set()
        is_ours = obj not in deleted and obj.owner_nation == node.nation
        if not (was_ours or is_ours):
            continue  # a partner's record: forwarded only by the inbox, as its label allows
        if obj not in new and obj not in deleted and not any(a.history.has_changes() for a in state.attrs):
            continue
        rel_now = set(parse_releasable(obj.releasable_to or "")) if is_ours else set()
        key = str(getattr(obj, spec.key_attr))
        payload = None
        for partner in sorted(node.partners):
            if partner in rel_now:
                payload = payload or payload_of(spec, obj, key)
                rows.append(outbox_row(node, partner, spec.record_type, key, UPSERT, payload, obj.classification, now))
            elif partner in rel_before:
                wp = {"v": PAYLOAD_VERSION, "record_type": spec.record_type, "origin": node.nation, "key": key,
                      "label": label_payload(obj)}
                rows.append(outbox_row(node, partner, spec.record_type, key, WITHDRAW, wp, obj.classification, now))
    return rows


def _outbox_after_flush(session: Session, _ctx) -> None:
    """Write the outbox rows of this flush on its own connection. Any error propagates: the flush, and so the
    change, fails with it, because a change that commits without its outbox rows would never be federated."""
    if not any(type(o) in _BY_MODEL for o in chain(session.new, session.dirty, session.deleted)):
        return
    try:
        bind = session.get_bind()
    except UnboundExecutionError:  # a session bound to no database: nothing to federate
        return
    node = node_of(bind if isinstance(bind, Engine) else bind.engine)
    if not node.partners:
        return
    write_rows(session.connection(), rows_for_flush(session, node))


def install() -> None:
    """Register the federated record types and write outbox rows in every flush (idempotent; called once at
    start through the sharing part's registry entry, never as a side effect of an import)."""
    from dkfi.core import registry

    register_from_registry()
    registry.on_change(register_from_registry)
    if not event.contains(Session, "after_flush", _outbox_after_flush):
        event.listen(Session, "after_flush", _outbox_after_flush)


def pending_count(session: Session, partner: str | None = None) -> int:
    from sqlalchemy import func

    q = select(func.count(OutboxItem.id)).where(OutboxItem.delivered_at.is_(None))
    if partner:
        q = q.where(OutboxItem.partner == partner)
    return int(session.scalar(q) or 0)
