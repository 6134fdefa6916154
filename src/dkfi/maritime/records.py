"""Normalised AIS records: the one typed form every source produces and the pipeline consumes.

A source is an iterator that yields, for its input units (lines, CSV rows, JSON messages), exactly
one of the following per unit, or one item standing for several units (``units``):

* :class:`Position` or :class:`Static`: a decoded, validated record;
* :class:`Consumed`: units that were read correctly but carry no vessel record (a ``$PGHP`` or
  tag-block-only line, a binary broadcast message, a base station time report without position ...);
* :class:`Rejected`: units refused, with one of the ``REASON_*`` codes.

Blank lines (nothing but ASCII white space, as ``bytes.strip`` sees it) are not units, in any source; lines end
at CR, LF or CRLF. A part of the input that cannot be read at all (a damaged compressed stream, a file without
the columns it needs) is not a unit either: the source yields an :class:`Unreadable` naming it, so it is
reported rather than lost.

The pipeline adds up ``units`` so that ``received = accepted + duplicates + rejected`` always holds.
Times are epoch seconds (UTC) as floats: cheap to compare and to store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Hashable, NamedTuple, Sequence, Union

if TYPE_CHECKING:
    from polars._typing import PolarsDataType


class Station(StrEnum):
    """Kind of AIS station that sent a message."""

    CLASS_A = "A"
    CLASS_B = "B"
    BASE = "BASE"
    ATON = "ATON"
    SAR = "SAR"
    UNKNOWN = "UNKNOWN"


# Reject reasons (stable codes: they appear in reports, JSON output and tests).
REASON_BAD_CHECKSUM = "bad_checksum"
REASON_UNKNOWN_SENTENCE = "unknown_sentence"
REASON_MALFORMED = "malformed_sentence"
REASON_INCOMPLETE_MULTIPART = "incomplete_multipart"
REASON_DECODE_ERROR = "decode_error"
REASON_OUT_OF_RANGE = "field_out_of_range"
REASON_NO_POSITION = "no_position"
REASON_INVALID_MMSI = "invalid_mmsi"
REASON_BAD_TIMESTAMP = "bad_timestamp"
REASON_BAD_ROW = "malformed_row"
REASON_BAD_JSON = "malformed_json"
REASON_UNSUPPORTED = "unsupported_message"

#: The longest input line a source reads (bytes, without the line end). An AIS sentence is at most 82
#: characters and a Digitraffic message under 1 KiB; a longer line is refused unread (one rejected unit), so a
#: line without end cannot fill the memory or stall the parser. The network listener applies the same cap.
MAX_LINE = 64 * 1024

#: What ``bytes.strip()`` removes: a line of nothing else is blank, and not a unit, in every source.
WHITE_SPACE = " \t\n\r\x0b\x0c"

#: Largest IMO number accepted (the 30-bit AIS field); larger values from text sources are no IMO.
IMO_MAX = (1 << 30) - 1

# AIS "not available" values.
LAT_NA = 91.0
LON_NA = 181.0
SOG_NA = 102.3
COG_NA = 360.0
HEADING_NA = 511


# AIS message 27 (long-range broadcast, mostly received by satellite): position in 1/10 minute
# (~185 m), speed in whole knots, course in whole degrees. ``Position.msg_type`` keeps it visible.
LONG_RANGE_MSG_TYPE = 27
LONG_RANGE_RESOLUTION_M = 185.2  # 1/10 minute of latitude


@dataclass(slots=True)
class Position:
    """A position report of one station at one time."""

    ts: float                 # epoch seconds UTC
    mmsi: int
    lat: float
    lon: float
    sog: float | None = None  # knots
    cog: float | None = None  # degrees true
    heading: int | None = None
    nav_status: int | None = None
    rot: float | None = None  # degrees per minute (decoded, not the raw indicator)
    station: str = Station.UNKNOWN
    source: str = ""
    msg_type: int = 0
    time_from_message: bool = True  # False when only the receive time was known
    units: int = 1
    dedupe_key: Hashable | None = None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=timezone.utc)

    @property
    def coarse(self) -> bool:
        """True for a long-range (type 27) report: lat/lon good to ~185 m, sog/cog to whole units."""
        return self.msg_type == LONG_RANGE_MSG_TYPE


@dataclass(slots=True)
class Static:
    """Static and voyage data of one station (AIS types 5, 19, 24; DMA CSV; Digitraffic metadata)."""

    ts: float
    mmsi: int
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length: float | None = None  # metres (bow + stern)
    width: float | None = None   # metres (port + starboard)
    draught: float | None = None  # metres
    destination: str | None = None
    eta: str | None = None        # "MM-DDTHH:MM" as AIS carries no year
    station: str = Station.UNKNOWN
    source: str = ""
    msg_type: int = 0
    time_from_message: bool = True
    units: int = 1
    dedupe_key: Hashable | None = None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, tz=timezone.utc)


class Consumed(NamedTuple):
    """Units read correctly that carry no vessel record."""

    units: int = 1
    kind: str = "metadata"


class Rejected(NamedTuple):
    """Units refused, with a reason code and a human-readable detail naming the input."""

    reason: str
    units: int = 1
    detail: str = ""


class Unreadable(NamedTuple):
    """Input that could not be read at all (the rest of a damaged compressed file, a file without the columns
    it needs): no units, as nothing of it was read, and a detail naming the input and the reason, which the
    import reports as the file's error."""

    detail: str

    @property
    def units(self) -> int:
        return 0


#: ``Consumed.kind`` of a comment line (``#`` first): read, counted, and shown apart in the import summary.
COMMENT = "comment"

Record = Union[Position, Static]
Item = Union[Position, Static, Consumed, Rejected, Unreadable, "Batch"]


def clean_text(value: str | None) -> str | None:
    """AIS six-bit text without its '@' padding and blanks; None when empty."""
    if value is None:
        return None
    value = value.replace("@", " ").strip()
    return value or None


# --- Columnar batches -------------------------------------------------------------------------
# Bulk sources (the DMA CSV archive: ~15 M rows a day) hand the pipeline Polars frames instead of
# one Python object per row. Column names and types match the Position and Static fields.

import polars as pl  # noqa: E402

POSITION_SCHEMA: dict[str, PolarsDataType] = {
    "ts": pl.Float64, "mmsi": pl.Int64, "lat": pl.Float64, "lon": pl.Float64,
    "sog": pl.Float64, "cog": pl.Float64, "heading": pl.Int32, "nav_status": pl.Int32,
    "rot": pl.Float64, "station": pl.Utf8, "source": pl.Utf8, "msg_type": pl.Int32,
    "time_from_message": pl.Boolean,
}
STATIC_SCHEMA: dict[str, PolarsDataType] = {
    "ts": pl.Float64, "mmsi": pl.Int64, "name": pl.Utf8, "imo": pl.Int64, "callsign": pl.Utf8,
    "ship_type": pl.Int32, "length": pl.Float64, "width": pl.Float64, "draught": pl.Float64,
    "destination": pl.Utf8, "eta": pl.Utf8, "station": pl.Utf8, "source": pl.Utf8,
    "msg_type": pl.Int32, "time_from_message": pl.Boolean,
}


@dataclass(slots=True)
class Batch:
    """Many input units at once, as frames with POSITION_SCHEMA and STATIC_SCHEMA columns.

    ``units`` is the number of input units (rows) the batch stands for. Each unit is counted
    once: ``sum(rejected.values())`` of them were refused; the pipeline counts as duplicates the
    position rows it drops as repeats (same MMSI, time and position); all others are accepted
    (a row may give both a position and a static record; it is still one unit).
    """

    positions: pl.DataFrame
    statics: pl.DataFrame
    rejected: dict[str, int]
    units: int
    keys: Sequence[Hashable] | None = None
    """With keys (the NMEA columnar reader): the de-duplication key of each position row; the pipeline then drops
    repeats as it does for single records (same key within its window), not by (MMSI, time, position)."""
    row_units: Any = None
    """With keys: the input units of each position row (a numpy array); ``units`` is their sum."""
