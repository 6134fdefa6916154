"""Maritime tables: the live vessel picture (latest position and static data), ingest runs and imported files."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin


class Vessel(LabelledMixin, Base):
    """Latest known state of one MMSI. The full track lives in the Parquet history."""

    __tablename__ = "vessel"

    mmsi: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    station: Mapped[str] = mapped_column(String(8), default="UNKNOWN")
    # static and voyage data
    name: Mapped[str | None] = mapped_column(String(64))
    imo: Mapped[int | None] = mapped_column(BigInteger)
    callsign: Mapped[str | None] = mapped_column(String(16))
    ship_type: Mapped[int | None] = mapped_column(Integer)
    length: Mapped[float | None] = mapped_column(Float)
    width: Mapped[float | None] = mapped_column(Float)
    draught: Mapped[float | None] = mapped_column(Float)
    destination: Mapped[str | None] = mapped_column(String(64))
    eta: Mapped[str | None] = mapped_column(String(16))
    static_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # latest position
    time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    sog: Mapped[float | None] = mapped_column(Float)
    cog: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[int | None] = mapped_column(Integer)
    nav_status: Mapped[int | None] = mapped_column(Integer)
    rot: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(128))


class IngestRun(LabelledMixin, Base):
    """One import or listening session, with its accounting."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str] = mapped_column(String(32))
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[dict] = mapped_column(JSON, default=dict)
    vessels: Mapped[int] = mapped_column(Integer, default=0)


class ImportedFile(LabelledMixin, Base):
    """The fingerprint of a file whose records went into the history, so importing it again is recognised.

    The history is append-only Parquet: a second import of the same file would store every record twice.
    ``sha256`` is of the file's bytes as stored (a recompressed copy is another file); ``size`` lets an import
    skip hashing up front when no file of that size was ever imported (see docs/maritime.md, "Importing a file again")."""

    __tablename__ = "ingest_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    path: Mapped[str] = mapped_column(String(1024))
    format: Mapped[str] = mapped_column(String(32))
    imported: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
