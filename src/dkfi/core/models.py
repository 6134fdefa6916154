"""Core tables: user accounts and the hash-chained audit log (both labelled like every record)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin


class User(LabelledMixin, Base):
    """A local account or an identity-provider subject seen before.

    Local accounts have an argon2 ``password_hash``; OpenID Connect users have none (their token is the
    proof) and are recorded on first use so audit entries and assignments can name them.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    nation: Mapped[str] = mapped_column(String(3))
    clearance: Mapped[str] = mapped_column(String(16))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    issuer: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(LabelledMixin, Base):
    """One entry of the append-only audit log; ``hash`` chains it to the entry before (``prev_hash``)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    actor_nation: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(32), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(2000))
    object_classification: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(8))
    remote: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head: the last sequence number and hash. Updating it first serialises writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
