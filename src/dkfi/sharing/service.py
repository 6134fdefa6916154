"""Label changes of stored records (the share dialog) and the audit log's view, without HTTP.

Every labelled table is addressable by its table name (``alert``, ``vessel``, ``asset``, ``watch_entry`` ...).
A label changes only through :func:`change_label`: the record must be visible to the principal, the principal's
role must allow ``label``, the principal's nation must own the record (:func:`dkfi.core.labels.validate_change`),
and the change is written to the audit log with what changed, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core import audit
from dkfi.core.access import AccessDenied, check, labelled_models, principal_of_session
from dkfi.core.labels import Classification, Label, LabelChangeError, parse_releasable, validate_change
from dkfi.core.models import AuditEntry

# Tables whose labels are not changed through the share dialog: the audit log is immutable, accounts are
# their nation's own.
NOT_SHAREABLE = {"audit_log", "app_user", "outbox", "federation_applied"}


def record_types() -> dict[str, type]:
    models: list[Any] = labelled_models()  # mapped classes: each has a __table__ (a plain ``type`` has not)
    return {m.__table__.name: m for m in models if m.__table__.name not in NOT_SHAREABLE}


def model_of(record_type: str) -> type:
    types = record_types()
    try:
        return types[record_type]
    except KeyError:
        raise LookupError(f"unknown record type {record_type!r}; known: {', '.join(sorted(types))}") from None


def get_record(session: Session, record_type: str, ident: str):
    """A record by type and primary key, as the session's principal may see it (None when not visible)."""
    model = model_of(record_type)
    key = parse_key(model, ident)
    return session.get(model, key)


def parse_key(model, ident: str):
    """The primary key value of ``model`` written as ``ident`` (LookupError when it cannot be one)."""
    pk = model.__table__.primary_key.columns[0]
    try:
        key = pk.type.python_type(ident)
    except (ValueError, TypeError, NotImplementedError):
        raise LookupError(f"{ident!r} is not a valid key of {model.__table__.name}") from None
    if isinstance(key, int) and not (0 <= key < 2**63):
        raise LookupError(f"{ident!r} is out of range for a key of {model.__table__.name}")
    return key


def new_label(old: Label, classification: str | None, releasable_to, categories=None) -> Label:
    level = Classification.parse(classification) if classification else old.classification
    rel = parse_releasable(",".join(releasable_to)) if isinstance(releasable_to, (list, tuple)) else (
        parse_releasable(releasable_to) if releasable_to is not None else old.releasable_to)
    cats = tuple(categories) if categories is not None else old.categories
    return Label(level, rel, old.policy, cats)


def change_label(session: Session, record, label: Label, *, downgrade: bool = False) -> tuple[str, ...]:
    """Set ``record``'s label; returns the changes in words. Raises AccessDenied or LabelChangeError."""
    p = principal_of_session(session)
    if p is None:
        raise AccessDenied("label changes need a user")
    check(p, "label", record)
    old = record.label
    try:
        changes = validate_change(old, label, record.owner_nation, p.nation, downgrade=downgrade)
    except LabelChangeError as exc:
        audit.record(session, "label", record.__table__.name, _ident(record), classification=record.classification,
                     decision="deny", detail={"reason": str(exc)})
        raise
    if not changes:
        return ()
    record.set_label(label, record.owner_nation)
    record.label_reviewed = datetime.now(timezone.utc)
    audit.record(session, "label", record.__table__.name, _ident(record),
                 classification=max(old.classification, label.classification).name,
                 detail={"changes": list(changes), "from": str(old), "to": str(label)})
    return changes


def _ident(record) -> str:
    pk = record.__table__.primary_key.columns[0]
    return str(getattr(record, pk.key))


def audit_entries(session: Session, limit: int = 200, before_seq: int | None = None) -> list[AuditEntry]:
    """The newest audit entries the session's principal may see (admins of the owning nation)."""
    p = principal_of_session(session)
    if p is None:
        raise AccessDenied("the audit log needs a user")
    check(p, "audit")
    q = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        q = q.where(AuditEntry.seq < before_seq)
    return list(session.scalars(q))
