"""API types of F-35 cooperation: what planners send to create records (each with its label)."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

from dkfi.core.labels import Label
from dkfi.f35.models import CAPABILITIES, SITE_KINDS

KEY = r"^[A-Za-z0-9][A-Za-z0-9._/@:-]{0,119}$"
NATION = r"^[A-Z]{3}$"


class LabelIn(BaseModel):
    """The label a new record gets (default: RESTRICTED, releasable to DNK and FIN: fleet data is not public)."""

    classification: str = Field("RESTRICTED", max_length=32)
    releasable_to: list[str] = Field(default_factory=lambda: ["DNK", "FIN"], max_length=64)

    @model_validator(mode="after")
    def _label(self) -> "LabelIn":
        Label.from_text(self.classification, ",".join(self.releasable_to))  # ValueError names what is wrong
        return self


class LastEvent(BaseModel):
    """The last time a maintenance type due by flight hours was done: the date and the aircraft's hours then."""

    date: date
    hours: float = Field(ge=0)


class AircraftIn(LabelIn):
    key: str = Field(pattern=KEY, description="tail number")
    nation: str = Field(pattern="^(DNK|FIN)$")
    base: str = Field(pattern=KEY)
    delivery: date | None = None
    flight_hours: float = Field(0.0, ge=0)
    hours_per_year: float = Field(250.0, ge=0, le=2000)
    last_events: dict[str, date | LastEvent] = Field(default_factory=dict)


class SiteIn(LabelIn):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    nation: str = Field(pattern=NATION)
    kind: str
    capabilities: list[str] = Field(default_factory=list, max_length=len(CAPABILITIES))
    capacity: dict[str, int] = Field(default_factory=dict, description="aircraft in work at once, per capability")
    unavailable: list[tuple[date, date]] = Field(default_factory=list, max_length=100)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    notes: str | None = Field(None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in SITE_KINDS:
            raise ValueError(f"{v!r} is not one of {', '.join(SITE_KINDS)}")
        return v

    @field_validator("capabilities")
    @classmethod
    def _caps(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in CAPABILITIES]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not among {', '.join(CAPABILITIES)}")
        return v

    @model_validator(mode="after")
    def _capacity(self) -> "SiteIn":
        bad = [c for c, n in self.capacity.items() if c not in self.capabilities or n < 0]
        if bad:
            raise ValueError(f"capacity: {', '.join(bad)} is not one of the site's capabilities (or negative)")
        return self


class PersonIn(LabelIn):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    nation: str = Field(pattern="^(DNK|FIN)$")
    role: str = Field(pattern="^(pilot|maintainer|instructor)$")
    unit: str | None = Field(None, max_length=200)


class QualificationIn(LabelIn):
    person: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=120)
    site: str | None = Field(None, pattern=KEY)
    valid_until: date | None = None


class ExchangeIn(LabelIn):
    person: str = Field(pattern=KEY)
    to_nation: str = Field(pattern="^(DNK|FIN)$")
    unit: str = Field(min_length=1, max_length=200)
    start: date
    end: date
    role: str | None = Field(None, max_length=120)

    @model_validator(mode="after")
    def _dates(self) -> "ExchangeIn":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class TrainingIn(LabelIn):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(event|course)$")
    start: date
    end: date
    location: str | None = Field(None, max_length=200)
    qualifies: str | None = Field(None, max_length=120)
    participants: list[str] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _dates(self) -> "TrainingIn":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class StoredPoolIn(BaseModel):
    """Pool spares from the stored items and bases the caller may see, at this availability target."""

    target_availability: float = Field(0.9, gt=0, lt=1)
    model: str = Field("vari-metric", pattern="^(metric|vari-metric)$")


class StoredMaintenanceIn(BaseModel):
    """Plan maintenance from the stored fleet, sites and maintenance types the caller may see."""

    start: date | None = None
    horizon_days: int = Field(730, ge=7, le=3650)
    time_limit_s: float = Field(60.0, gt=0, le=300)
