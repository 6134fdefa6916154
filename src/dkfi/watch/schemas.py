"""API types of the critical-infrastructure watch."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from dkfi.core.records import LabelOut


class AlertAction(BaseModel):
    """A lifecycle action on an alert."""

    action: str = Field(description="acknowledge | assign | close | reopen | note")
    actor: str | None = Field(default=None, max_length=128, description="ignored over HTTP: the logged-in user is recorded")
    unit: str | None = Field(None, max_length=128, description="with assign: the unit")
    nation: str | None = Field(None, description="with assign: DNK or FIN")
    outcome: str | None = Field(None, description="with close: false_alarm | confirmed | handed_to_coast_guard | handed_to_police")
    notes: str | None = Field(None, max_length=2000)


class AlertChangeOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict


class AlertOut(BaseModel):
    """An alert with its score, the factors behind it, evidence and lifecycle."""

    id: int
    key: str
    kind: str
    mmsi: int
    vessel_name: str | None
    asset: str | None
    start: datetime
    end: datetime
    severity: str
    score: float
    summary: str
    factors: list[dict]
    status: str
    assigned_to: str | None
    assigned_nation: str | None
    outcome: str | None
    notes: str | None
    label: LabelOut
    evidence: list[dict] | None = None
    changes: list[AlertChangeOut] | None = None


class WatchEntryOut(BaseModel):
    """One vessel on a stored watch list."""

    id: int
    list: str
    mmsi: int | None = None
    imo: int | None = None
    name: str | None = None
    reason: str | None = None
    added: datetime | None = None
    label: LabelOut


class WatchListsOut(BaseModel):
    """The stored watch lists the caller may see: one summary per list and owner, and the entries."""

    lists: list[dict]
    entries: list[WatchEntryOut]


class BadRow(BaseModel):
    row: int
    message: str


class WatchListImportOut(BaseModel):
    """What an import stored: entries per list, entries replaced, bad rows skipped (with row numbers)."""

    source: str
    lists: dict[str, int]
    stored: int
    replaced: int
    bad_rows: int
    errors: list[BadRow]


class AssetFeatureOut(BaseModel):
    """A feature of the asset file that was skipped (or loaded with a value replaced), and why."""

    index: int = Field(description="its place in the file's features array, from 0")
    name: str | None = Field(None, description="its name or id, when it has one")
    reason: str


class AssetsOut(BaseModel):
    """The asset registry the watch protects: how many assets of each kind, and every feature of its file that
    was left out with the reason (the geometry is at /api/geo/assets)."""

    source: str = Field(description="the asset file's name")
    count: int
    kinds: dict[str, int] = Field(description="assets by kind: cable, pipeline, power, wind_farm, platform, area")
    skipped: list[AssetFeatureOut]
    notes: list[AssetFeatureOut] = Field(description="features loaded with a value replaced (a bad corridor_m, ...)")
