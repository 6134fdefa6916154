"""Tables of the critical-infrastructure watch: alerts and their changes, watch-list entries, assets."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin
from dkfi.core.records import ChangeLogMixin


class AlertRecord(LabelledMixin, Base):
    """An alert of the critical-infrastructure watch, with its evidence and lifecycle."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    mmsi: Mapped[int] = mapped_column(BigInteger, index=True)
    vessel_name: Mapped[str | None] = mapped_column(String(64))
    asset: Mapped[str | None] = mapped_column(String(256))
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    score: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(String(512))
    factors: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    assigned_to: Mapped[str | None] = mapped_column(String(128))
    assigned_nation: Mapped[str | None] = mapped_column(String(3))
    outcome: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(String(4000))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertChange(ChangeLogMixin, LabelledMixin, Base):
    """One change of an alert: who did what, when (the lifecycle's record)."""

    __tablename__ = "alert_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert.id", ondelete="CASCADE"), index=True)


class WatchEntry(LabelledMixin, Base):
    """A vessel on an imported watch list (sanctions, "shadow fleet", national lists)."""

    __tablename__ = "watch_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(128), index=True)
    mmsi: Mapped[int | None] = mapped_column(BigInteger, index=True)
    imo: Mapped[int | None] = mapped_column(BigInteger, index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(512))
    added: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AssetRecord(LabelledMixin, Base):
    """A critical-infrastructure asset: undersea cable, pipeline or power link, with its corridor."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    owners: Mapped[list] = mapped_column(JSON, default=list)
    criticality: Mapped[int] = mapped_column(Integer, default=2)
    corridor_m: Mapped[float] = mapped_column(Float, default=1852.0)
    geometry: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(512))
