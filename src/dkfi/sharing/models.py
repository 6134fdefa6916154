"""Tables of federation: the outbox (what this node owes its partners) and the inbox state (what it applied).

Both are labelled like every table. Outbox rows belong to this node (owner = this node's nation, releasable to no
one else) at the classification of the record they carry; inbox state rows likewise.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin


class OutboxItem(LabelledMixin, Base):
    """One change owed to one partner. ``id`` is this node's sequence: delivery and apply follow it."""

    __tablename__ = "outbox"
    # AUTOINCREMENT on SQLite: ids are never reused, even after delivered rows are purged (they are sequence numbers)
    __table_args__ = (Index("ix_outbox_pending", "partner", "delivered_at", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner: Mapped[str] = mapped_column(String(3), nullable=False)
    record_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_key: Mapped[str] = mapped_column(String(200), nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False)  # upsert | withdraw
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))


class FederationApplied(LabelledMixin, Base):
    """The newest change of one partner's record that this node applied (idempotent, ordered apply).

    ``seq`` is the originator's outbox sequence of that change; a change with a lower or equal ``seq`` is a
    duplicate or arrived out of order and is skipped. A withdrawal leaves its row (op ``withdraw``) as a
    tombstone, so a late upsert cannot bring the record back.
    """

    __tablename__ = "federation_applied"
    __table_args__ = (UniqueConstraint("origin", "record_type", "record_key", name="uq_federation_applied_record"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(3), nullable=False)
    sender: Mapped[str] = mapped_column(String(3), nullable=False)
    record_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_key: Mapped[str] = mapped_column(String(200), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)



class NvgOverlay(LabelledMixin, Base):
    """An overlay imported from an NVG file (an ally's picture), kept as a GeoJSON FeatureCollection.

    The label is the one given at import or the file's own STANAG 4774 marking; the owner nation is the importing
    nation, whose operators and admins may delete it (:mod:`dkfi.sharing.overlay_api`)."""

    __tablename__ = "nvg_overlay"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    source_file: Mapped[str] = mapped_column(String(300), nullable=False)
    imported: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    imported_by: Mapped[str] = mapped_column(String(128), nullable=False)
    feature_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)   # reason -> count
    features: Mapped[dict] = mapped_column(JSON, nullable=False)                # GeoJSON FeatureCollection
