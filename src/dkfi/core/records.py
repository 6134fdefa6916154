"""The labelled-record toolkit every domain uses: one label serialiser, one ``LabelOut`` API type, and a
record-with-lifecycle (statuses, allowed actions, a labelled change log) taken from the watch's alerts, for the
next domains' workflows (lessons learned, joint acquisition cases)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Mapping

from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from dkfi.core.labels import FOLLOWS_FOREIGN_KEY, Label


# ---- labels as the API, the exports and the bus carry them -------------------------------------------------

def label_dict(label: Label, owner_nation: str) -> dict[str, Any]:
    """A label and its owner nation as JSON: the one shape of ``label`` in API answers, exports, bus messages
    and federation payloads."""
    return {"classification": label.classification.name, "releasable_to": list(label.releasable_to),
            "policy": label.policy, "categories": list(label.categories), "owner_nation": owner_nation}


def record_label(record: Any) -> dict[str, Any]:
    """:func:`label_dict` of a stored labelled record."""
    return label_dict(record.label, record.owner_nation)


class LabelOut(BaseModel):
    """The confidentiality label and owner nation of a record."""

    classification: str = Field(description="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET")
    releasable_to: list[str] = Field(description="nations (ISO 3166 alpha-3) the record may be released to")
    policy: str = "NATO"
    categories: list[str] = Field(default_factory=list, description="further categories, TAG:TYPE:VALUE")
    owner_nation: str


def label_out(record: Any) -> LabelOut:
    """The :class:`LabelOut` of a stored labelled record."""
    return LabelOut(**record_label(record))


# ---- a record with a lifecycle and a change log ------------------------------------------------------------

class LifecycleError(ValueError):
    """An action that is not allowed in the record's present state, or lacks what it needs."""


class ChangeLogMixin:
    """Columns of one change of a lifecycle record: who did what, when, from which status to which.

    A domain's change table adds the foreign key to its record, e.g. ``alert_id``, and is labelled like it: a
    change is part of its record (it tells what happened to it), so its label follows the record's, when written
    (:meth:`Lifecycle.record_change`) and whenever the record is relabelled (``__label_parent__``, applied by
    :mod:`dkfi.core.access`)."""

    __label_parent__: ClassVar[str | None] = FOLLOWS_FOREIGN_KEY

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


@dataclass(frozen=True)
class Lifecycle:
    """Statuses and the actions between them: ``actions[name] = (statuses it may start from, status it leads
    to or None to stay)``. ``change_model`` is the record's :class:`ChangeLogMixin` table and ``parent_key``
    its foreign-key column naming the record."""

    what: str
    statuses: tuple[str, ...]
    actions: Mapping[str, tuple[tuple[str, ...], str | None]]
    change_model: Any
    parent_key: str

    def target(self, record: Any, action: str, actor: str) -> str | None:
        """The status ``action`` leads to from the record's present one; :class:`LifecycleError` if not allowed."""
        if action not in self.actions:
            raise LifecycleError(f"unknown action {action!r}; choose one of {', '.join(self.actions)}")
        if not actor or not actor.strip():
            raise LifecycleError("an action needs the name of who takes it")
        allowed, to = self.actions[action]
        if record.status not in allowed:
            raise LifecycleError(f"{self.what} {record.id} is {record.status}: cannot {action} "
                                 f"(allowed from {', '.join(allowed)})")
        return to

    def record_change(self, session: Session, record: Any, actor: str, action: str, frm: str | None,
                      to: str | None, detail: dict | None = None) -> Any:
        """Add one change row, labelled like its record (it tells what happened to the record)."""
        ch = self.change_model(**{self.parent_key: record.id}, at=datetime.now(timezone.utc), actor=actor,
                               action=action, from_status=frm, to_status=to, detail=detail or {})
        ch.set_label(record.label, record.owner_nation)
        session.add(ch)
        return ch

    def apply(self, session: Session, record: Any, action: str, actor: str, detail: dict | None = None) -> Any:
        """Move the record by ``action`` (checked), stamp ``updated`` if it has one, and log the change."""
        to = self.target(record, action, actor)
        frm = record.status
        if to is not None:
            record.status = to
        if hasattr(record, "updated"):
            record.updated = datetime.now(timezone.utc)
        self.record_change(session, record, actor.strip(), action, frm, record.status, detail)
        return record


class Problem(BaseModel):
    """An error: what was wrong and with which input."""

    detail: str


# ---- records with a natural key ----------------------------------------------------------------------------

class OwnedElsewhere(ValueError):
    """The key names a record another nation owns: only its owner may change it."""


def bare_key(key: str) -> str:
    """A natural key without the ``<origin>:`` that a record received from a partner node carries."""
    return key.split(":", 1)[1] if len(key) > 4 and key[3] == ":" and key[:3].isalpha() and key[:3].isupper() \
        else key


def by_key(session: Session, model: Any, ref: str) -> Any:
    """The record of ``model`` with natural key ``ref``: this node's own, or a partner's (``<origin>:<ref>``);
    ``None`` when there is none the session may see."""
    from sqlalchemy import or_, select

    col = model.key
    rows = list(session.scalars(select(model).where(or_(col == ref, col.like(f"%:{ref}"))).limit(2)))
    exact = [r for r in rows if r.key == ref]
    return (exact or rows)[0] if rows else None


def upsert_keyed(session: Session, model: Any, key: str, fields: Mapping[str, Any], label: Any, owner: str) -> Any:
    """Create the ``model`` row with natural key ``key`` or update it (only its owner nation may), with these
    field values and label. Domains whose records travel between nodes refer to each other by such keys."""
    from sqlalchemy import select

    row = session.scalar(select(model).where(model.key == key))
    if row is not None and row.owner_nation != owner:
        raise OwnedElsewhere(f"key: {model.__tablename__} {key!r} belongs to {row.owner_nation}")
    if row is None:
        row = model(key=key)
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    row.set_label(label, owner)
    session.flush()
    return row
