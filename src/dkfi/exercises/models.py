"""Tables of exercises and training. Every table is labelled; records refer to each other by natural key (``key``),
never by a database id, so a record that travels to the partner node still points at the right exercise or unit
there (a received record's key is ``<origin>:<key>``; :func:`dkfi.exercises.service.by_key` finds either)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin
from dkfi.core.records import ChangeLogMixin

FRAMEWORKS = ("NATO", "NORDEFCO", "JEF", "bilateral", "national")
DOMAINS = ("land", "maritime", "air", "cyber", "space", "joint")
NATIONS = ("DNK", "FIN")


class Exercise(LabelledMixin, Base):
    """An exercise in the calendar, with its planning milestones and what it practises."""

    __tablename__ = "exercise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    series: Mapped[str | None] = mapped_column(String(120))
    framework: Mapped[str] = mapped_column(String(16), index=True)
    organiser: Mapped[str | None] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date, index=True)
    end: Mapped[date] = mapped_column(Date)
    domains: Mapped[list] = mapped_column(JSON, default=list)
    location: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area: Mapped[dict | None] = mapped_column(JSON)               # a GeoJSON geometry, when an area not a point
    ipc: Mapped[date | None] = mapped_column(Date)                # initial planning conference
    mpc: Mapped[date | None] = mapped_column(Date)                # main planning conference
    fpc: Mapped[date | None] = mapped_column(Date)                # final planning conference
    practises: Mapped[list] = mapped_column(JSON, default=list)   # interoperability objective keys
    renews: Mapped[list] = mapped_column(JSON, default=list)      # qualification names it renews (e.g. TACEVAL)
    cost: Mapped[dict] = mapped_column(JSON, default=dict)        # per attending unit, by nation: {"DNK": x, ...}
    description: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Unit(LabelledMixin, Base):
    """A unit of either nation: what it can do and when it can train."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(3), index=True)
    service: Mapped[str] = mapped_column(String(32))              # army | navy | air force | joint | ...
    type: Mapped[str | None] = mapped_column(String(120))
    home_base: Mapped[str | None] = mapped_column(String(200))
    capability_codes: Mapped[list] = mapped_column(JSON, default=list)
    readiness: Mapped[str | None] = mapped_column(String(32))
    availability: Mapped[list] = mapped_column(JSON, default=list)  # [["YYYY-MM-DD", "YYYY-MM-DD"], ...]
    max_exercises: Mapped[int] = mapped_column(Integer, default=3)


class Qualification(LabelledMixin, Base):
    """A unit's qualification or evaluation (what, level, valid until)."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)
    unit_key: Mapped[str] = mapped_column(String(120), index=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)


class Participation(LabelledMixin, Base):
    """A unit in an exercise: its role and dates, planned or confirmed."""

    __tablename__ = "participation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(250), unique=True, index=True)
    unit_key: Mapped[str] = mapped_column(String(120), index=True)
    exercise_key: Mapped[str] = mapped_column(String(120), index=True)
    role: Mapped[str | None] = mapped_column(String(120))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned | confirmed | cancelled


class InteropObjective(LabelledMixin, Base):
    """A Danish-Finnish pair (units, or a capability between them) to practise together at an interval."""

    __tablename__ = "interop_objective"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_a: Mapped[str] = mapped_column(String(120), index=True)
    unit_b: Mapped[str] = mapped_column(String(120), index=True)
    capability: Mapped[str | None] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    interval_days: Mapped[int] = mapped_column(Integer, default=365)


class Lesson(LabelledMixin, Base):
    """A lesson along the NATO lessons process: observation -> lesson identified -> action -> lesson learned."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    exercise_key: Mapped[str | None] = mapped_column(String(120), index=True)
    objective_key: Mapped[str | None] = mapped_column(String(120), index=True)
    title: Mapped[str] = mapped_column(String(200))
    observation: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    action_owner: Mapped[str | None] = mapped_column(String(128))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="observation", index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LessonChange(ChangeLogMixin, LabelledMixin, Base):
    """One step of a lesson: who moved it, when, from which status to which (this node's record)."""

    __tablename__ = "lesson_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lesson_id: Mapped[int] = mapped_column(Integer, ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
