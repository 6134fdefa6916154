"""Access control in one place: what a principal may see, enforced on every ORM query of a user's session.

The rule (issue 4): a record is visible to a user only if the user's clearance dominates its classification,
the user's nation is the record's owner or in its releasable-to, and the user's role allows the action.

Enforcement: :func:`user_session` opens a session that carries its principal. A ``do_orm_execute`` hook adds
``with_loader_criteria`` for every labelled table to every ORM SELECT, UPDATE and DELETE of such a session
(lists, gets, counts, joins, relationship loads alike), so a route cannot forget the filter: it never holds
an unfiltered session. Records that do not come from the database (bus messages of the live streams, Parquet
history rows, bundled GeoJSON layers) pass :func:`can_see` / :func:`visible_rows` with the same rule.
Sessions without a principal are the node's own machinery (ingest, watch, federation, CLI jobs run by the
node's operator); the web application never hands one to a route (``dkfi.web.auth``).

Dependants (records declared part of another by ``__label_parent__``: every change-history table) carry their
parent's label. The filter needs no join for that because the label is kept equal where it changes: an
``after_flush`` hook on every session copies a relabelled record's label to its dependants in the same
transaction (one UPDATE per dependant table), whoever relabels it (the share dialog, the federation inbox,
an importer). The dependants' rows are not audited one by one: the parent's label change is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Column, and_, event, inspect, literal, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.attributes import set_committed_value

from dkfi.core.identity import Principal
from dkfi.core import labels
from dkfi.core.labels import FOLLOWS_FOREIGN_KEY, Classification, LabelledMixin


class AccessDenied(Exception):
    """The principal may not do this (the message names the action and the reason)."""


def labelled_models() -> list[type]:
    """Every mapped class that carries a label."""
    out, todo = [], list(LabelledMixin.__subclasses__())
    while todo:
        c = todo.pop()
        todo.extend(c.__subclasses__())
        if hasattr(c, "__table__"):
            out.append(c)
    return out


def allowed_levels(p: Principal) -> list[str]:
    return [c.name for c in Classification if c <= p.clearance]


def visible_clause(model, p: Principal):
    """SQL condition: the principal may read rows of ``model`` (a labelled class)."""
    rel = (literal(",") + model.releasable_to + literal(",")).like(f"%,{p.nation},%")
    return and_(model.classification.in_(allowed_levels(p)), or_(model.owner_nation == p.nation, rel))


def meets(p: Principal, classification: str | Classification, releasable_to, owner_nation: str) -> bool:
    """The rule of :func:`dkfi.core.labels.meets` for a principal (the node's own machinery sees everything)."""
    if p.system:
        return True
    return labels.meets_fields(p.clearance, p.nation, classification, releasable_to, owner_nation)


def can_see(p: Principal, record) -> bool:
    """Is a labelled record (ORM object, or a dict with label fields) visible to ``p``?"""
    if isinstance(record, dict):
        lab = record.get("label") or record
        return meets(p, lab.get("classification", "SECRET"), lab.get("releasable_to", ""),
                     lab.get("owner_nation", record.get("owner_nation")) or "")
    return meets(p, record.classification, record.releasable_to, record.owner_nation)


def check(p: Principal, action: str, record=None) -> None:
    """Raise :class:`AccessDenied` unless ``p``'s roles allow ``action`` (on ``record``, if given)."""
    if not p.may(action):
        raise AccessDenied(f"{p.name}: role(s) {', '.join(sorted(p.roles)) or 'none'} may not {action}")
    if record is not None and not can_see(p, record):
        raise AccessDenied(f"{p.name}: not entitled to this record")


def check_label_change(p: Principal, record) -> None:
    """Only the owner nation may change a record's label (and only with the ``label`` action)."""
    check(p, "label", record)
    if record.owner_nation != p.nation:
        raise AccessDenied(f"{p.name} ({p.nation}): only the owner nation {record.owner_nation} may change this label")


def visible_rows(p: Principal, rows: Iterable[dict]) -> list[dict]:
    return [r for r in rows if can_see(p, r)]


def polars_visible(p: Principal, frame):
    """Rows of a Polars frame with label columns (``classification``, ``releasable_to``, ``owner_nation``)
    that ``p`` may see (Parquet history carries these columns in every row)."""
    import polars as pl

    if p.system or frame.height == 0:
        return frame
    rel = (pl.lit(",") + pl.col("releasable_to") + pl.lit(",")).str.contains(f",{p.nation},", literal=True)
    return frame.filter(pl.col("classification").is_in(allowed_levels(p))
                        & ((pl.col("owner_nation") == p.nation) | rel))


def denied_get(session: Session, model, ident) -> None:
    """Record a denial when a user asked for a record that exists but is not visible to them.

    The caller answers 404 either way (no one learns that a record exists from the answer); the audit log
    keeps the attempt. The existence check reads the table directly (Core), beside the ORM filter."""
    from sqlalchemy import select

    from dkfi.core import audit

    p = principal_of_session(session)
    if p is None or p.system:
        return
    pk = model.__table__.primary_key.columns[0]
    row = session.connection().execute(
        select(model.__table__.c.classification).where(pk == ident)).first()
    if row is not None:
        audit.record(session, "read", model.__table__.name, ident, classification=row[0], decision="deny",
                     detail={"reason": "label not satisfied"})
        session.commit()  # the route answers 404 next, which rolls back what is not committed


# ---- dependants follow their parent's label ---------------------------------------------------------

LABEL_FIELDS = ("owner_nation", "classification", "releasable_to", "label_policy", "label_categories")


@dataclass(frozen=True)
class Dependant:
    """Rows of ``model`` follow the label of the record their ``column`` points at (``parent``, a column of the
    parent's table, usually its primary key)."""

    model: Any
    column: Column
    parent: Column


def label_parent(model) -> Dependant | None:
    """How rows of ``model`` follow a parent's label, or None when they carry their own (TypeError for a
    declaration that names no single foreign key)."""
    declared = getattr(model, "__label_parent__", None)
    if declared is None:
        return None
    table = model.__table__
    if declared == FOLLOWS_FOREIGN_KEY:
        fks = [c for c in table.columns if c.foreign_keys]
        if len(fks) != 1:
            raise TypeError(f"{table.name}: follows its parent's label, but has {len(fks)} foreign keys; name the "
                            f"one to follow in __label_parent__")
        col = fks[0]
    else:
        col = table.columns[declared]
    (fk,) = col.foreign_keys
    return Dependant(model, col, fk.column)


def dependants() -> dict[type, list[Dependant]]:
    """Every dependant, by its parent's mapped class."""
    models: list[Any] = labelled_models()  # mapped classes: each has a __table__
    by_table = {m.__table__.name: m for m in models}
    out: dict[type, list[Dependant]] = {}
    for m in models:
        d = label_parent(m)
        if d is not None and d.parent.table.name in by_table:
            out.setdefault(by_table[d.parent.table.name], []).append(d)
    return out


def _label_changed(obj) -> bool:
    st = inspect(obj)
    return any(st.attrs[f].history.has_changes() for f in LABEL_FIELDS)


def _labels_follow_parents(session: Session, _ctx) -> None:
    """Copy the label of every record relabelled in this flush to its dependants, on the flush's connection."""
    deps = dependants()
    if not deps:
        return
    changed = [o for o in session.dirty if type(o) in deps and _label_changed(o)]
    for obj in changed:
        for d in deps[type(obj)]:
            key = getattr(obj, inspect(type(obj)).get_property_by_column(d.parent).key)
            values = {f: getattr(obj, f) for f in LABEL_FIELDS}
            session.connection().execute(update(d.model.__table__).where(d.column == key).values(values))
            fk_attr = inspect(d.model).get_property_by_column(d.column).key
            for loaded in list(session):  # rows already in the session take the new label without a reload
                if isinstance(loaded, d.model) and getattr(loaded, fk_attr) == key:
                    for f, v in values.items():
                        set_committed_value(loaded, f, v)


# ---- the session hook --------------------------------------------------------------------------------

PRINCIPAL_KEY = "dkfi.principal"


def principal_of_session(session: Session) -> Principal | None:
    return session.info.get(PRINCIPAL_KEY)


def _filter_labelled(state: ORMExecuteState) -> None:
    p: Principal | None = state.session.info.get(PRINCIPAL_KEY)
    if p is None or p.system:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    opts = [with_loader_criteria(m, visible_clause(m, p), include_aliases=True) for m in labelled_models()]
    state.statement = state.statement.options(*opts)


def install() -> None:
    """Filter every ORM query of a user's session, and keep dependants' labels equal to their parents'
    (idempotent; called once at start by :func:`dkfi.core.registry.start`)."""
    if not event.contains(Session, "do_orm_execute", _filter_labelled):
        event.listen(Session, "do_orm_execute", _filter_labelled)
    if not event.contains(Session, "after_flush", _labels_follow_parents):
        event.listen(Session, "after_flush", _labels_follow_parents)


def user_session(engine: Engine, p: Principal, **info):
    """A transaction whose every ORM query sees only what ``p`` may see (extra ``info``: e.g. the client address)."""
    from dkfi.core.db import session_scope

    return session_scope(engine, {PRINCIPAL_KEY: p, **info})


def open_session(engine: Engine, p: Principal) -> Session:
    """Like :func:`user_session`, for callers (FastAPI dependencies) that manage commit and close."""
    return Session(engine, expire_on_commit=False, info={PRINCIPAL_KEY: p})


def system_session(engine: Engine, nation: str, name: str = "system") -> Session:
    return Session(engine, expire_on_commit=False, info={PRINCIPAL_KEY: Principal.node(nation, name)})
