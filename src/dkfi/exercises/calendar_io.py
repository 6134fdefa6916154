"""Exercise calendars in and out: iCalendar (RFC 5545) export and read-back, and spreadsheet CSV import.

Pure I/O on plain dataclasses: no database, no HTTP. The caller fills `CalendarItem`s from whatever store it
has and decides who may receive them; this module only writes and reads the formats.

iCalendar
---------
`to_ics` writes one all-day VEVENT per exercise and one per milestone (planning conference). iCalendar's
DTEND is exclusive, so an exercise that ends on 20 June is written DTEND 21 June; a calendar application then
shows it ending on the 20th. The confidentiality label travels three ways: the marking as the first line of
DESCRIPTION (what a person sees), CLASS (what a calendar application honours: CONFIDENTIAL for anything above
UNCLASSIFIED) and X-DKFI-* properties (what `read_ics` reads back). Free text that has no standard property
(organiser, description, milestone name) is carried in X-DKFI-* properties too, so `read_ics` recovers each
field exactly instead of picking apart the human-readable DESCRIPTION.

CSV
---
`parse_calendar_csv` reads what people export from a spreadsheet: a header row (any order, any case), `,`
`;` or tab between cells, UTF-8 with or without a byte-order mark, ISO or Nordic (DD.MM.YYYY) dates, decimal
comma or point in coordinates. A bad row is kept out with the spreadsheet row number and a reason naming the
column; good rows go through. Only a file that cannot be read as a calendar at all (empty, not UTF-8, a
required column missing) raises `CalendarCsvError`. The columns are declared once in `COLUMNS`.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import icalendar
from icalendar.prop import vText

from dkfi.core.tabular import (CellError, Column, RejectedRow, csv_records, parse_date, read_header,
                                 parse_label_classification, parse_nations, parse_text, sniff_delimiter)
from dkfi.core.labels import Classification, parse_classification

__all__ = [
    "COLUMNS", "DOMAINS", "FRAMEWORKS", "MILESTONE_COLUMNS", "REQUIRED_COLUMNS",
    "CalendarCsvError", "CalendarIcsError", "CalendarItem", "CalendarRow", "CsvImport", "Milestone",
    "RejectedRow", "parse_calendar_csv", "read_ics", "to_ics",
]

FRAMEWORKS = ("NATO", "NORDEFCO", "JEF", "bilateral", "national")
DOMAINS = ("land", "maritime", "air", "cyber", "space", "joint")

PRODID = "-//dkfi//exercises//EN"
UID_DOMAIN = "@dkfi"

# X- properties carrying what has no standard iCalendar property.
X_CLASSIFICATION = "X-DKFI-CLASSIFICATION"
X_RELEASABLE_TO = "X-DKFI-RELEASABLE-TO"
X_OWNER = "X-DKFI-OWNER"
X_ORGANISER = "X-DKFI-ORGANISER"
X_DESCRIPTION = "X-DKFI-DESCRIPTION"
X_MILESTONE = "X-DKFI-MILESTONE"


# ---- records -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated step in planning an exercise, e.g. IPC, MPC, FPC (initial, main, final planning conference)."""

    name: str
    date: date


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One exercise as the calendar shows it; `end` is inclusive (the last day of the exercise)."""

    uid: str
    name: str
    start: date
    end: date
    framework: str
    organiser: str | None
    domains: tuple[str, ...]
    location: str | None
    description: str | None
    milestones: tuple[Milestone, ...]
    classification: str
    releasable_to: tuple[str, ...]
    owner_nation: str


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One accepted CSV row, validated and normalised; `line` is its spreadsheet row number (header = 1)."""

    line: int
    name: str
    start: date
    end: date
    framework: str
    series: str | None = None
    organiser: str | None = None
    domains: tuple[str, ...] = ()
    location: str | None = None
    lat: float | None = None
    lon: float | None = None
    milestones: tuple[Milestone, ...] = ()
    classification: str | None = None
    releasable_to: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CsvImport:
    """The outcome of reading a calendar CSV: `received == len(rows) + len(rejected)` (blank rows not counted)."""

    rows: list[CalendarRow]
    rejected: list[RejectedRow]
    received: int


class CalendarCsvError(ValueError):
    """A CSV file that cannot be read as a calendar at all (empty, not UTF-8, required columns missing)."""


class CalendarIcsError(ValueError):
    """An iCalendar file that `read_ics` cannot turn into labelled calendar items."""


# ---- iCalendar export ----------------------------------------------------------------------------

# iCalendar text may not hold control characters other than tab (RFC 5545, TSAFE-CHAR); newlines are escaped.
# U+FEFF (a byte-order mark) goes too: readers, icalendar among them, drop it at the start of a value.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")


def _text(value: str) -> str:
    """Text an iCalendar line can carry: CR and CRLF become LF; other control characters and BOMs are dropped."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _add_x_text(component: icalendar.Component, name: str, value: str) -> None:
    # VALUE=TEXT makes readers (icalendar included) unescape ",", ";", "\\" and "\n" on the way back in.
    component.add(name, vText(_text(value)), parameters={"VALUE": "TEXT"})


def _is_unclassified(classification: str) -> bool:
    """True only for a marking known to mean UNCLASSIFIED; an unknown marking counts as classified (fail closed)."""
    try:
        return parse_classification(classification) is Classification.UNCLASSIFIED
    except ValueError:
        return False


def _marking(item: CalendarItem) -> str:
    rel = f" REL TO {', '.join(item.releasable_to)}" if item.releasable_to else ""
    return f"{item.classification.strip().upper()}{rel}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "milestone"


def _add_label(event: icalendar.Event, item: CalendarItem) -> None:
    event.add("class", "PUBLIC" if _is_unclassified(item.classification) else "CONFIDENTIAL")
    _add_x_text(event, X_CLASSIFICATION, item.classification)
    _add_x_text(event, X_RELEASABLE_TO, ",".join(item.releasable_to))
    _add_x_text(event, X_OWNER, item.owner_nation)


def _all_day(event: icalendar.Event, first: date, last: date) -> None:
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # DTEND is exclusive: the day after the last day


def _check(item: CalendarItem) -> None:
    if not item.uid:
        raise ValueError(f"exercise {item.name!r} has an empty uid")
    if item.end < item.start:
        raise ValueError(f"exercise {item.uid!r}: end {item.end} is before start {item.start}")
    for code in item.releasable_to:
        if not code or "," in code:
            raise ValueError(f"exercise {item.uid!r}: releasable_to code {code!r} is empty or contains ','")


def to_ics(items: Iterable[CalendarItem], *, calendar_name: str = "dkfi exercises",
           now: datetime | None = None) -> bytes:
    """An RFC 5545 calendar of the exercises and their milestones, in the order given.

    The same items and `now` give the same bytes, so an exported file can be compared or cached. `now` is the
    DTSTAMP (a naive datetime is taken as UTC); without it, the current time. Raises ValueError for an item
    that cannot be written faithfully (empty or duplicate uid, end before start).
    """
    items = list(items)
    stamp = (now or datetime.now(timezone.utc))
    stamp = stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)
    stamp = stamp.replace(microsecond=0)

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", vText(_text(calendar_name)))

    # Every UID in the file must be unique; exercise UIDs are reserved first so a milestone never takes one.
    used: set[str] = set()
    for item in items:
        _check(item)
        uid = item.uid + UID_DOMAIN
        if uid in used:
            raise ValueError(f"uid {item.uid!r} appears twice")
        used.add(uid)

    for item in items:
        uid = item.uid + UID_DOMAIN
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        _all_day(event, item.start, item.end)
        event.add("summary", _text(item.name))
        categories = [_text(c) for c in (item.framework, *item.domains)]
        event.add("categories", categories)
        if item.location is not None:
            event.add("location", _text(item.location))
        parts = [_marking(item)]
        if item.organiser:
            parts.append(f"Organiser: {item.organiser}")
        if item.description:
            parts.append(item.description)
        event.add("description", _text("\n\n".join(parts)))
        if item.organiser is not None:
            _add_x_text(event, X_ORGANISER, item.organiser)
        if item.description is not None:
            _add_x_text(event, X_DESCRIPTION, item.description)
        _add_label(event, item)
        cal.add_component(event)

        for milestone in item.milestones:
            base = f"{item.uid}-{_slug(milestone.name)}"
            m_uid, n = base + UID_DOMAIN, 1
            while m_uid in used:
                n += 1
                m_uid = f"{base}-{n}{UID_DOMAIN}"
            used.add(m_uid)
            m_event = icalendar.Event()
            m_event.add("uid", m_uid)
            m_event.add("dtstamp", stamp)
            _all_day(m_event, milestone.date, milestone.date)
            m_event.add("summary", _text(f"{item.name}: {milestone.name}"))
            m_event.add("related-to", uid)
            m_event.add("description", _text(f"{_marking(item)}\n\n{milestone.name} of {item.name}"))
            _add_x_text(m_event, X_MILESTONE, milestone.name)
            _add_label(m_event, item)
            cal.add_component(m_event)
    return cal.to_ical()


# ---- iCalendar read-back -------------------------------------------------------------------------

def _str(value: Any) -> str:
    """A property's text: vText is already unescaped; an X- property read without VALUE=TEXT is not."""
    if isinstance(value, list):  # a property that appears more than once: the first counts
        value = value[0]
    if isinstance(value, vText):
        return str(value)
    return str(vText.from_ical(str(value)))


def _opt(event: icalendar.Component, name: str) -> str | None:
    value = event.get(name)
    return None if value is None else _str(value)


def _day(event: icalendar.Component, name: str, uid: str) -> date | None:
    if name not in event:
        return None
    value = event.decoded(name)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise CalendarIcsError(f"event {uid!r}: {name.upper()} is not a date (all-day events only)")
    return value


def _span(event: icalendar.Component, uid: str) -> tuple[date, date]:
    start = _day(event, "dtstart", uid)
    if start is None:
        raise CalendarIcsError(f"event {uid!r} has no DTSTART")
    end_exclusive = _day(event, "dtend", uid)
    # without DTEND an all-day event lasts one day (RFC 5545, 3.6.1)
    end = start if end_exclusive is None else end_exclusive - timedelta(days=1)
    if end < start:
        raise CalendarIcsError(f"event {uid!r}: DTEND is not after DTSTART")
    return start, end


def _categories(event: icalendar.Component) -> list[str]:
    value = event.get("categories")
    if value is None:
        return []
    props = value if isinstance(value, list) else [value]
    return [str(c) for prop in props for c in prop.cats]


def _strip_uid(uid: str) -> str:
    return uid[: -len(UID_DOMAIN)] if uid.endswith(UID_DOMAIN) else uid


def read_ics(data: bytes) -> list[CalendarItem]:
    """The exercises of a calendar written by `to_ics`, milestones attached through RELATED-TO, in file order.

    Events must carry the dkfi label (X-DKFI-CLASSIFICATION and X-DKFI-OWNER): an unlabelled event is a
    CalendarIcsError rather than a guess, because an item without a label must not enter a labelled store.
    """
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as e:
        raise CalendarIcsError(f"not an iCalendar file: {e}") from None
    if not isinstance(cal, icalendar.Calendar):
        raise CalendarIcsError("not an iCalendar file: no VCALENDAR")

    exercises: dict[str, dict[str, Any]] = {}
    milestones: list[tuple[str, str, Milestone]] = []  # (exercise UID, own UID, milestone)
    for event in cal.walk("VEVENT"):
        uid = _opt(event, "uid")
        if not uid:
            raise CalendarIcsError("an event has no UID")
        classification, owner = _opt(event, X_CLASSIFICATION), _opt(event, X_OWNER)
        if classification is None or owner is None:
            raise CalendarIcsError(f"event {uid!r} carries no dkfi label ({X_CLASSIFICATION}, {X_OWNER})")
        start, end = _span(event, uid)
        related = _opt(event, "related-to")
        if related is not None:
            name = _opt(event, X_MILESTONE)
            if name is None:
                summary = _opt(event, "summary") or ""
                name = summary.split(": ", 1)[-1]
            milestones.append((related, uid, Milestone(name, start)))
            continue
        if uid in exercises:
            raise CalendarIcsError(f"UID {uid!r} appears twice")
        categories = _categories(event)
        releasable = _opt(event, X_RELEASABLE_TO) or ""
        exercises[uid] = dict(
            uid=_strip_uid(uid), name=_opt(event, "summary") or "", start=start, end=end,
            framework=categories[0] if categories else "", organiser=_opt(event, X_ORGANISER),
            domains=tuple(categories[1:]), location=_opt(event, "location"),
            description=_opt(event, X_DESCRIPTION), milestones=[],
            classification=classification, releasable_to=tuple(c for c in releasable.split(",") if c),
            owner_nation=owner,
        )
    for related, uid, milestone in milestones:
        if related not in exercises:
            raise CalendarIcsError(f"milestone {uid!r} relates to {related!r}, which is not in the calendar")
        exercises[related]["milestones"].append(milestone)
    return [CalendarItem(**{**fields, "milestones": tuple(fields["milestones"])}) for fields in exercises.values()]


# ---- CSV import ----------------------------------------------------------------------------------

def _parse_framework(column: str, raw: str) -> str:
    for name in FRAMEWORKS:
        if raw.casefold() == name.casefold():
            return name
    raise CellError(f"{column} {raw!r} is not one of {', '.join(FRAMEWORKS)}")


def _parse_domains(column: str, raw: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in re.split(r"[|/,\s]+", raw.casefold()):
        if not part:
            continue
        if part not in DOMAINS:
            raise CellError(f"{column} {part!r} is not one of {', '.join(DOMAINS)}")
        if part not in out:
            out.append(part)
    return tuple(out)


def _coordinate(limit: float) -> Callable[[str, str], float]:
    def parse(column: str, raw: str) -> float:
        text = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw  # decimal comma
        try:
            value = float(text)
        except ValueError:
            raise CellError(f"{column} {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise CellError(f"{column} {raw!r} is not a number")
        if not -limit <= value <= limit:
            raise CellError(f"{column} {raw} is outside {-limit:g}..{limit:g}")
        return value
    return parse


MILESTONE_COLUMNS = ("ipc", "mpc", "fpc")  # in the order the conferences happen

COLUMNS: tuple[Column, ...] = (
    Column("name", True, parse_text),
    Column("start", True, parse_date),
    Column("end", True, parse_date),
    Column("framework", True, _parse_framework),
    Column("series", False, parse_text),
    Column("organiser", False, parse_text),
    Column("domains", False, _parse_domains),
    Column("location", False, parse_text),
    Column("lat", False, _coordinate(90)),
    Column("lon", False, _coordinate(180)),
    *(Column(m, False, parse_date) for m in MILESTONE_COLUMNS),
    Column("classification", False, parse_label_classification),
    Column("releasable_to", False, parse_nations),
    Column("description", False, parse_text),
)
REQUIRED_COLUMNS = tuple(c.name for c in COLUMNS if c.required)
_KNOWN = {c.name for c in COLUMNS}


def _decode(text: str | bytes) -> str:
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise CalendarCsvError(f"the file is not UTF-8 ({e}); save it as 'CSV UTF-8'") from None
    return text.removeprefix("\ufeff")


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    return csv_records(text, delimiter, CalendarCsvError)


def _sniff(text: str) -> str:
    return sniff_delimiter(text, _KNOWN)


def _row(line: int, values: dict[str, str]) -> CalendarRow | RejectedRow:
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    given: set[str] = set()
    for column in COLUMNS:
        raw = values.get(column.name, "").strip()
        if not raw:
            if column.required:
                problems.append(f"missing {column.name}")
            continue
        given.add(column.name)
        try:
            parsed[column.name] = column.parse(column.name, raw)
        except CellError as e:
            problems.append(str(e))

    start, end = parsed.get("start"), parsed.get("end")
    if start and end and end < start:
        problems.append(f"end {end.isoformat()} is before start {start.isoformat()}")
    if ("lat" in given) != ("lon" in given):
        one, other = ("lat", "lon") if "lat" in given else ("lon", "lat")
        problems.append(f"{one} is given without {other}")
    previous: tuple[str, date] | None = None
    for name in MILESTONE_COLUMNS:
        when = parsed.get(name)
        if when is None:
            continue
        if end and when > end:
            problems.append(f"{name} {when.isoformat()} is after end {end.isoformat()}")
        if previous and when < previous[1]:
            problems.append(f"{name} {when.isoformat()} is before {previous[0]} {previous[1].isoformat()}")
        previous = (name, when)
    if problems:
        return RejectedRow(line, "; ".join(problems))
    return CalendarRow(
        line=line, name=parsed["name"], start=parsed["start"], end=parsed["end"], framework=parsed["framework"],
        series=parsed.get("series"), organiser=parsed.get("organiser"), domains=parsed.get("domains", ()),
        location=parsed.get("location"), lat=parsed.get("lat"), lon=parsed.get("lon"),
        milestones=tuple(Milestone(m.upper(), parsed[m]) for m in MILESTONE_COLUMNS if m in parsed),
        classification=parsed.get("classification"), releasable_to=parsed.get("releasable_to", ()),
        description=parsed.get("description"),
    )


def parse_calendar_csv(text: str | bytes) -> CsvImport:
    """The exercises of a spreadsheet CSV: good rows validated, bad rows reported with line and reason.

    Columns (header names, any case and order; unknown columns are ignored): required name, start, end,
    framework; optional series, organiser, domains, location, lat, lon, ipc, mpc, fpc, classification,
    releasable_to, description. Blank rows are skipped. Raises CalendarCsvError only when the file as a
    whole cannot be read: empty, not UTF-8, unreadable as CSV, or lacking a required column.
    """
    text = _decode(text)
    if not text.strip():
        raise CalendarCsvError("the file is empty: expected a header row naming " + ", ".join(REQUIRED_COLUMNS))
    records = iter(_records(text, _sniff(text)))

    header = read_header(records, REQUIRED_COLUMNS, CalendarCsvError).names

    rows: list[CalendarRow] = []
    rejected: list[RejectedRow] = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(header):] if c.strip()]
        if extra:
            rejected.append(RejectedRow(line, f"{len(cells)} cells but the header has {len(header)} "
                                              "(quote a value that contains the separator)"))
            continue
        values = {h: c for h, c in zip(header, cells) if h}
        result = _row(line, values)
        if isinstance(result, CalendarRow):
            rows.append(result)
        else:
            rejected.append(result)
    return CsvImport(rows=rows, rejected=rejected, received=len(rows) + len(rejected))
