"""API types of the maritime picture."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from dkfi.core.records import LabelOut


class VesselOut(BaseModel):
    """Static data and latest position of one vessel."""

    mmsi: int
    station: str
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    ship_type_text: str | None = None
    length: float | None = None
    width: float | None = None
    draught: float | None = None
    destination: str | None = None
    eta: str | None = None
    time: datetime | None = Field(None, description="time of the latest position (UTC)")
    lat: float | None = None
    lon: float | None = None
    sog: float | None = Field(None, description="speed over ground, knots")
    cog: float | None = Field(None, description="course over ground, degrees")
    heading: int | None = None
    nav_status: int | None = None
    nav_status_text: str | None = None
    rot: float | None = Field(None, description="rate of turn, degrees per minute")
    source: str | None = None
    label: LabelOut
