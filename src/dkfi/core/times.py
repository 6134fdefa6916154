"""Times as dkfi shows them: ISO 8601 in UTC with a 'Z'."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


@overload
def iso_utc(dt: datetime) -> str: ...


@overload
def iso_utc(dt: None) -> None: ...


def iso_utc(dt: datetime | None) -> str | None:
    """ISO 8601 UTC ('...Z'); naive datetimes (SQLite hands them back) are taken as UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def aware(dt: datetime) -> datetime:
    """A datetime in UTC; naive ones (SQLite hands them back) are taken as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def iso_ts(ts: float, timespec: str = "auto") -> str:
    """An epoch time (seconds) as ISO 8601 UTC."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")
