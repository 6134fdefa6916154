"""Tables of F-35 cooperation. Every table is labelled and federated; records refer to each other by natural key
(``key``), never by database id, so what one nation releases (its fleet numbers, its stock, its capacity) still
joins up on the partner's node (a received record's key is ``<origin>:<key>``)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin

SITE_KINDS = ("base", "depot", "company")
CAPABILITIES = ("base", "component", "engine", "airframe", "avionics")


class Aircraft(LabelledMixin, Base):
    """One F-35A: its nation, base, delivery and flying."""

    __tablename__ = "f35_aircraft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)   # the tail number
    nation: Mapped[str] = mapped_column(String(3), index=True)
    base: Mapped[str] = mapped_column(String(64))                          # site key
    delivery: Mapped[date | None] = mapped_column(Date)
    flight_hours: Mapped[float] = mapped_column(Float, default=0.0)
    hours_per_year: Mapped[float] = mapped_column(Float, default=250.0)
    # {maintenance type: "YYYY-MM-DD"} or, for types due by hours, {type: {"date": ..., "hours": ...}}
    last_events: Mapped[dict] = mapped_column(JSON, default=dict)


class Site(LabelledMixin, Base):
    """A base, depot or company: what it can do and how many aircraft or items it can work on at once."""

    __tablename__ = "f35_site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(3), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    capabilities: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[dict] = mapped_column(JSON, default=dict)              # {capability: aircraft in work at once}
    unavailable: Mapped[list] = mapped_column(JSON, default=list)           # [["YYYY-MM-DD", "YYYY-MM-DD"], ...]
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)


class MaintenanceType(LabelledMixin, Base):
    """A scheduled maintenance event: due by flight hours or calendar, its duration and the capability it needs."""

    __tablename__ = "f35_maintenance_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    interval_hours: Mapped[float | None] = mapped_column(Float)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    duration_days: Mapped[int] = mapped_column(Integer)
    tolerance: Mapped[float] = mapped_column(Float, default=0.1)
    capability: Mapped[str] = mapped_column(String(32))


class SparesItem(LabelledMixin, Base):
    """A repairable item as one nation knows it: demand, repair and cost figures at its own bases."""

    __tablename__ = "f35_spares_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)   # <nation>/<item>
    item: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_cost: Mapped[float] = mapped_column(Float)
    depot_repair_time: Mapped[float] = mapped_column(Float)                  # years
    demand: Mapped[dict] = mapped_column(JSON, default=dict)                 # {base: failures a year}
    base_repair_fraction: Mapped[dict] = mapped_column(JSON, default=dict)
    base_repair_time: Mapped[dict] = mapped_column(JSON, default=dict)       # {base: years}
    qpa: Mapped[int] = mapped_column(Integer, default=1)


class StockLevel(LabelledMixin, Base):
    """How many of an item a site holds (one nation's stock, shared only as its label allows)."""

    __tablename__ = "f35_stock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, index=True)   # <item>@<site>
    item: Mapped[str] = mapped_column(String(120), index=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class Person(LabelledMixin, Base):
    """A pilot, maintainer or instructor of either nation."""

    __tablename__ = "f35_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(3), index=True)
    role: Mapped[str] = mapped_column(String(32))                           # pilot | maintainer | instructor
    unit: Mapped[str | None] = mapped_column(String(200))


class PersonQualification(LabelledMixin, Base):
    """A person's qualification (type rating, instructor, maintenance task) and its expiry."""

    __tablename__ = "f35_qualification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)   # <person>/<name>
    person: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    site: Mapped[str | None] = mapped_column(String(64))                    # where it is valid, if tied to a site
    valid_until: Mapped[date | None] = mapped_column(Date)


class Exchange(LabelledMixin, Base):
    """A personnel exchange: who goes from which nation to which unit, when, in what role."""

    __tablename__ = "f35_exchange"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)
    person: Mapped[str] = mapped_column(String(64), index=True)
    from_nation: Mapped[str] = mapped_column(String(3))
    to_nation: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    role: Mapped[str | None] = mapped_column(String(120))


class TrainingEvent(LabelledMixin, Base):
    """A joint training event or course, and who takes part."""

    __tablename__ = "f35_training"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))                           # event | course
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    qualifies: Mapped[str | None] = mapped_column(String(120))             # the qualification a course gives
    participants: Mapped[list] = mapped_column(JSON, default=list)          # person keys
