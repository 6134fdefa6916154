"""API types of exercises and training: what a planner sends to create records, and what the API answers."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

from dkfi.core.labels import Label
from dkfi.exercises.models import DOMAINS, FRAMEWORKS, NATIONS

KEY = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$"


class LabelIn(BaseModel):
    """The label a new record gets (default: UNCLASSIFIED, releasable to DNK and FIN)."""

    classification: str = Field("UNCLASSIFIED", max_length=32)
    releasable_to: list[str] = Field(default_factory=lambda: ["DNK", "FIN"], max_length=64)

    @model_validator(mode="after")
    def _label(self) -> "LabelIn":
        Label.from_text(self.classification, ",".join(self.releasable_to))  # ValueError names what is wrong
        return self


class ExerciseIn(LabelIn):
    key: str | None = Field(None, pattern=KEY, description="natural key; default: from name and start year")
    name: str = Field(min_length=1, max_length=200)
    series: str | None = Field(None, max_length=120)
    framework: str
    organiser: str | None = Field(None, max_length=200)
    start: date
    end: date
    domains: list[str] = Field(default_factory=list, max_length=6)
    location: str | None = Field(None, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    ipc: date | None = None
    mpc: date | None = None
    fpc: date | None = None
    practises: list[str] = Field(default_factory=list, max_length=500)
    renews: list[str] = Field(default_factory=list, max_length=50)
    cost: dict[str, float] = Field(default_factory=dict)
    description: str | None = Field(None, max_length=4000)

    @field_validator("framework")
    @classmethod
    def _framework(cls, v: str) -> str:
        for f in FRAMEWORKS:
            if v.strip().lower() == f.lower():
                return f
        raise ValueError(f"{v!r} is not one of {', '.join(FRAMEWORKS)}")

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        out = [d.strip().lower() for d in v]
        bad = [d for d in out if d not in DOMAINS]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not among {', '.join(DOMAINS)}")
        return out

    @field_validator("cost")
    @classmethod
    def _cost(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, x in v.items() if k not in NATIONS or x < 0]
        if bad:
            raise ValueError(f"cost: nations must be DNK or FIN and costs not negative ({', '.join(bad)})")
        return v

    @model_validator(mode="after")
    def _dates(self) -> "ExerciseIn":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for name in ("ipc", "mpc", "fpc"):
            d = getattr(self, name)
            if d is not None and d > self.end:
                raise ValueError(f"{name} {d} is after the exercise ends ({self.end})")
        return self


class UnitIn(LabelIn):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    nation: str
    service: str = Field(min_length=1, max_length=32)
    type: str | None = Field(None, max_length=120)
    home_base: str | None = Field(None, max_length=200)
    capability_codes: list[str] = Field(default_factory=list, max_length=100)
    readiness: str | None = Field(None, max_length=32)
    availability: list[tuple[date, date]] = Field(default_factory=list, max_length=100)
    max_exercises: int = Field(3, ge=0, le=100)

    @field_validator("nation")
    @classmethod
    def _nation(cls, v: str) -> str:
        if v.upper() not in NATIONS:
            raise ValueError(f"{v!r}: a unit here is Danish or Finnish (DNK or FIN)")
        return v.upper()

    @field_validator("availability")
    @classmethod
    def _windows(cls, v: list[tuple[date, date]]) -> list[tuple[date, date]]:
        for i, (a, b) in enumerate(v):
            if b < a:
                raise ValueError(f"window {i}: end {b} is before start {a}")
        return v


class QualificationIn(LabelIn):
    unit: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=120)
    level: str | None = Field(None, max_length=64)
    valid_until: date | None = None


class ParticipationIn(LabelIn):
    unit: str = Field(pattern=KEY)
    exercise: str = Field(pattern=KEY)
    role: str | None = Field(None, max_length=120)
    status: str = Field("planned", pattern="^(planned|confirmed|cancelled)$")


class ObjectiveIn(LabelIn):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    unit_a: str = Field(pattern=KEY)
    unit_b: str = Field(pattern=KEY)
    capability: str | None = Field(None, max_length=120)
    priority: int = Field(1, ge=0, le=1000)
    interval_days: int = Field(365, ge=1, le=3650)


class LessonIn(LabelIn):
    title: str = Field(min_length=1, max_length=200)
    observation: str = Field(min_length=1, max_length=10_000)
    exercise: str | None = Field(None, pattern=KEY)
    objective: str | None = Field(None, pattern=KEY)


class LessonAction(BaseModel):
    """A step of the lessons process: identify (needs ``lesson``), act (needs ``action``, ``owner``, ``due``),
    learn (needs ``notes``: how it was validated), reopen, note."""

    action: str = Field(pattern="^(identify|act|learn|reopen|note)$")
    lesson: str | None = Field(None, max_length=10_000)
    action_text: str | None = Field(None, max_length=10_000)
    owner: str | None = Field(None, max_length=128)
    due: date | None = None
    notes: str | None = Field(None, max_length=4000)


class PlanStoredIn(BaseModel):
    """Plan from the stored records: the exercises starting in ``[start, end]``, these budgets."""

    start: date | None = None
    end: date | None = None
    budget: dict[str, float] = Field(default_factory=lambda: {"DNK": 0.0, "FIN": 0.0})
    time_limit_s: float = Field(10.0, gt=0, le=120)
