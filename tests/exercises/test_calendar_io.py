"""Exercise calendars: .ics export and read-back, spreadsheet CSV import, and the seed calendar."""
from __future__ import annotations

import string
from dataclasses import replace as _replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.exercises import calendar_io
from dkfi.exercises.calendar_io import (
    DOMAINS, FRAMEWORKS, CalendarCsvError, CalendarIcsError, CalendarItem, CalendarRow, Milestone,
    parse_calendar_csv, read_ics, to_ics,
)

SEED = Path(calendar_io.__file__).parent / "data" / "exercises-2025-26.csv"
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BALTOPS = CalendarItem(
    uid="ex-1", name="BALTOPS 25", start=date(2025, 6, 5), end=date(2025, 6, 20), framework="NATO",
    organiser="US 6th Fleet / STRIKFORNATO", domains=("maritime",), location="Baltic Sea",
    description="Denmark and Finland among 16 nations", milestones=(), classification="UNCLASSIFIED",
    releasable_to=("DNK", "FIN"), owner_nation="DNK",
)
PLANNED = CalendarItem(
    uid="ex-2", name="Northern Tern 26", start=date(2026, 9, 7), end=date(2026, 9, 18), framework="JEF",
    organiser=None, domains=("maritime", "air"), location=None, description=None,
    milestones=(Milestone("IPC", date(2026, 1, 20)), Milestone("MPC", date(2026, 4, 21)),
                Milestone("FPC", date(2026, 7, 1))),
    classification="RESTRICTED", releasable_to=("DNK", "FIN"), owner_nation="FIN",
)


def events(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


# ---- .ics export -----------------------------------------------------------------------------------

def test_ics_is_a_calendar_with_all_day_events_whose_dtend_is_the_day_after_the_end():
    data = to_ics([BALTOPS, PLANNED], now=NOW)
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["prodid"]) == "-//dkfi//exercises//EN"
    assert str(cal["version"]) == "2.0"
    assert str(cal["x-wr-calname"]) == "dkfi exercises"
    ev = events(data)["ex-1@dkfi"]
    assert ev.decoded("dtstart") == date(2025, 6, 5)
    # iCalendar's DTEND is exclusive: an exercise whose last day is 20 June ends at the start of 21 June
    assert ev.decoded("dtend") == date(2025, 6, 21)
    assert ev["dtstart"].params["VALUE"] == "DATE" and ev["dtend"].params["VALUE"] == "DATE"
    assert b"DTSTART;VALUE=DATE:20250605" in data and b"DTEND;VALUE=DATE:20250621" in data
    assert str(ev["summary"]) == "BALTOPS 25"
    assert ev.decoded("dtstamp") == NOW
    assert [str(c) for c in ev["categories"].cats] == ["NATO", "maritime"]
    assert str(ev["location"]) == "Baltic Sea"
    description = str(ev["description"])
    assert description.splitlines()[0] == "UNCLASSIFIED REL TO DNK, FIN"
    assert "US 6th Fleet / STRIKFORNATO" in description and "16 nations" in description


def test_label_properties_and_class_follow_the_classification():
    ev = events(to_ics([BALTOPS, PLANNED], now=NOW))
    public, restricted = ev["ex-1@dkfi"], ev["ex-2@dkfi"]
    assert str(public["class"]) == "PUBLIC"
    assert str(restricted["class"]) == "CONFIDENTIAL"
    assert str(restricted["x-dkfi-classification"]) == "RESTRICTED"
    assert str(restricted["x-dkfi-releasable-to"]) == "DNK,FIN"
    assert str(restricted["x-dkfi-owner"]) == "FIN"
    # a milestone stands alone in a calendar application, so it carries the exercise's label too
    assert str(ev["ex-2-ipc@dkfi"]["class"]) == "CONFIDENTIAL"
    assert str(ev["ex-2-ipc@dkfi"]["x-dkfi-classification"]) == "RESTRICTED"


def test_an_unknown_marking_is_exported_as_confidential():
    odd = _replace(BALTOPS, classification="SOMETHING ELSE")
    assert str(events(to_ics([odd], now=NOW))["ex-1@dkfi"]["class"]) == "CONFIDENTIAL"
    danish = _replace(BALTOPS, classification="UKLASSIFICERET")
    assert str(events(to_ics([danish], now=NOW))["ex-1@dkfi"]["class"]) == "PUBLIC"


def test_milestones_are_one_day_events_related_to_their_exercise():
    ev = events(to_ics([PLANNED], now=NOW))
    assert set(ev) == {"ex-2@dkfi", "ex-2-ipc@dkfi", "ex-2-mpc@dkfi", "ex-2-fpc@dkfi"}
    ipc = ev["ex-2-ipc@dkfi"]
    assert str(ipc["summary"]) == "Northern Tern 26: IPC"
    assert str(ipc["related-to"]) == "ex-2@dkfi"
    assert ipc.decoded("dtstart") == date(2026, 1, 20)
    assert ipc.decoded("dtend") == date(2026, 1, 21)


def test_milestone_uids_stay_unique_when_names_slug_alike_or_clash_with_an_exercise():
    item = _replace(PLANNED, milestones=(Milestone("IPC", date(2026, 1, 1)), Milestone("ipc", date(2026, 1, 2))))
    clash = _replace(BALTOPS, uid="ex-2-ipc")
    data = to_ics([item, clash], now=NOW)
    uids = list(events(data))
    assert len(uids) == len(set(uids)) == 4
    assert read_ics(data) == [item, clash]


def test_output_is_deterministic_for_the_same_input_and_now():
    assert to_ics([BALTOPS, PLANNED], now=NOW) == to_ics([BALTOPS, PLANNED], now=NOW)
    naive = to_ics([BALTOPS], now=datetime(2025, 1, 15, 12, 0))
    assert naive == to_ics([BALTOPS], now=NOW)  # a naive `now` is UTC


def test_round_trip_returns_the_items():
    assert read_ics(to_ics([BALTOPS, PLANNED], now=NOW)) == [BALTOPS, PLANNED]


@pytest.mark.parametrize("item, message", [
    (_replace(BALTOPS, end=date(2025, 6, 1)), "before start"),
    (_replace(BALTOPS, uid=""), "empty uid"),
    (_replace(BALTOPS, releasable_to=("DNK,FIN",)), "contains ','"),
])
def test_items_that_cannot_be_written_faithfully_are_refused(item, message):
    with pytest.raises(ValueError, match=message):
        to_ics([item], now=NOW)


def test_duplicate_uids_are_refused():
    with pytest.raises(ValueError, match="twice"):
        to_ics([BALTOPS, _replace(PLANNED, uid="ex-1")], now=NOW)


def test_read_ics_refuses_unlabelled_events_and_garbage():
    cal = icalendar.Calendar()
    ev = icalendar.Event()
    ev.add("uid", "outlook-1")
    ev.add("dtstart", date(2025, 1, 1))
    cal.add_component(ev)
    with pytest.raises(CalendarIcsError, match="no dkfi label"):
        read_ics(cal.to_ical())
    with pytest.raises(CalendarIcsError):
        read_ics(b"this is not a calendar")


# Text the iCalendar format can carry: no control characters other than tab and newline (RFC 5545 TSAFE-CHAR),
# no byte-order mark; to_ics turns CR into LF and drops the rest, so those would not come back unchanged.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff",
                             whitelist_characters="\t\n,;:\\\"'"), max_size=40)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
NATION = st.text(string.ascii_uppercase, min_size=3, max_size=3)


@st.composite
def calendar_items(draw, uid: str) -> CalendarItem:
    start = draw(DAYS)
    end = start + timedelta(days=draw(st.integers(0, 30)))
    milestones = draw(st.lists(st.builds(Milestone, TEXT, DAYS), max_size=3).map(tuple))
    return CalendarItem(
        uid=uid, name=draw(TEXT), start=start, end=end, framework=draw(st.sampled_from(FRAMEWORKS)),
        organiser=draw(st.none() | TEXT), domains=tuple(draw(st.lists(st.sampled_from(DOMAINS), max_size=3))),
        location=draw(st.none() | TEXT), description=draw(st.none() | TEXT), milestones=milestones,
        classification=draw(st.sampled_from(["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"])),
        releasable_to=tuple(draw(st.lists(NATION, max_size=3))), owner_nation=draw(NATION),
    )


@st.composite
def calendars(draw) -> list[CalendarItem]:
    uids = draw(st.lists(TEXT.filter(bool), max_size=4, unique=True))
    return [draw(calendar_items(uid)) for uid in uids]


@PROPS
@given(calendars())
def test_any_calendar_round_trips_through_ics(items):
    assert read_ics(to_ics(items, now=NOW)) == items


# ---- CSV import ------------------------------------------------------------------------------------

MIXED = """name,start,end,framework,domains,lat,lon,ipc,mpc,fpc,classification,releasable_to
Good One,2026-03-05,2026-03-12,nato,land|air,60.2,24.9,2025-10-01,2026-01-10,2026-02-20,unclassified,dnk fin
Bad End,2026-03-05,2026-03-01,NATO,,,,,,,,
Bad Framework,2026-05-01,2026-05-02,UN,,,,,,,,
Bad Lat,2026-05-01,2026-05-02,JEF,,95,10,,,,,
,2026-05-01,2026-05-02,JEF,,,,,,,,
Late FPC,2026-05-01,2026-05-02,bilateral,,,,,,2026-05-03,,
Good Two,2026-06-01,2026-06-01,Nordefco,maritime/cyber,,,,,,,DNK|FIN
"""


def test_good_rows_are_kept_and_each_bad_row_is_reported_with_line_and_reason():
    result = parse_calendar_csv(MIXED)
    assert [r.name for r in result.rows] == ["Good One", "Good Two"]
    assert [str(r) for r in result.rejected] == [
        "line 3: end 2026-03-01 is before start 2026-03-05",
        "line 4: framework 'UN' is not one of NATO, NORDEFCO, JEF, bilateral, national",
        "line 5: lat 95 is outside -90..90",
        "line 6: missing name",
        "line 7: fpc 2026-05-03 is after end 2026-05-02",
    ]
    assert result.received == 7 == len(result.rows) + len(result.rejected)
    one = result.rows[0]
    assert one == CalendarRow(
        line=2, name="Good One", start=date(2026, 3, 5), end=date(2026, 3, 12), framework="NATO",
        domains=("land", "air"), lat=60.2, lon=24.9,
        milestones=(Milestone("IPC", date(2025, 10, 1)), Milestone("MPC", date(2026, 1, 10)),
                    Milestone("FPC", date(2026, 2, 20))),
        classification="UNCLASSIFIED", releasable_to=("DNK", "FIN"),
    )
    assert result.rows[1].framework == "NORDEFCO" and result.rows[1].domains == ("maritime", "cyber")


def test_semicolons_nordic_dates_decimal_commas_and_a_bom_as_a_spreadsheet_exports_them():
    text = ("\ufeffNavn ignored;NAME;Start;End;Framework;Lat;Lon;Releasable To;Description\r\n"
            "x;Kold Vind;09.03.2026;19.3.2026;national;69,5;19,0;DNK FIN;\"a; b\r\nc\"\r\n"
            ";;;;;;;;\r\n"
            "x;Varm Vind;31.02.2026;01.03.2026;national;;;;\r\n")
    for data in (text, text.encode("utf-8"), text.removeprefix("\ufeff").encode("utf-8-sig")):
        result = parse_calendar_csv(data)
        assert len(result.rows) == 1, result.rejected
        row = result.rows[0]
        assert (row.name, row.start, row.end) == ("Kold Vind", date(2026, 3, 9), date(2026, 3, 19))
        assert (row.lat, row.lon, row.releasable_to) == (69.5, 19.0, ("DNK", "FIN"))
        assert row.description == "a; b\r\nc"
        # the blank row 3 is skipped, not received; row 4 (a quoted cell spanning two lines is one row) is bad
        assert [str(r) for r in result.rejected] == [
            "line 4: start '31.02.2026' is not a valid date: day is out of range for month"]
        assert result.received == 2


@pytest.mark.parametrize("row, reason", [
    ("A,2026-01-01,2026-01-02,JEF,sea", "domains 'sea' is not one of land, maritime, air, cyber, space, joint"),
    ("A,1/2/2026,2026-01-02,JEF,", "start '1/2/2026' is not a date (YYYY-MM-DD or DD.MM.YYYY)"),
    ("A,2026-01-01,2026-01-02,JEF,,,,,,,,DK", "releasable_to 'DK' is not a nation code"),
    ("A,2026-01-01,2026-01-02,JEF,,,,,,,COSMIC TOP SECRET", "top secret"),
    ("A,2026-01-01,2026-01-02,JEF,,,,,,,SEKRET", "unknown classification 'SEKRET'"),
    ("A,2026-01-01,2026-01-02,JEF,,50,", "lat is given without lon"),
    ("A,2026-01-01,2026-01-02,JEF,,50,nan", "lon 'nan' is not a number"),
    ("A,2026-01-01,2026-01-02,JEF,,,,2025-06-01,2025-05-01", "mpc 2025-05-01 is before ipc 2025-06-01"),
    ("A,2026-01-01,2026-01-02,JEF,,,,,,,,,surplus", "13 cells but the header has 12"),
    (",,,,,,,,,,,DNK", "missing name; missing start; missing end; missing framework"),
])
def test_rejection_reasons_name_the_column(row, reason):
    header = "name,start,end,framework,domains,lat,lon,ipc,mpc,fpc,classification,releasable_to\n"
    result = parse_calendar_csv(header + row + "\n")
    assert not result.rows
    assert len(result.rejected) == 1 and result.rejected[0].line == 2
    assert reason in result.rejected[0].reason


@pytest.mark.parametrize("text, message", [
    ("name,start,framework\nA,2026-01-01,JEF\n", "end"),
    ("Name;Beginning;End\n", "start, framework"),
    ("", "empty"),
    ("\ufeff \n\n", "empty"),
    (b"\xff\xfename", "not UTF-8"),
    ("name,start,end,framework,name\n", "more than once: name"),
])
def test_a_file_that_is_not_a_calendar_csv_is_a_calendar_csv_error(text, message):
    with pytest.raises(CalendarCsvError, match=message):
        parse_calendar_csv(text)


def test_calendar_csv_error_is_a_value_error():
    assert issubclass(CalendarCsvError, ValueError)


CELL = st.one_of(st.text(max_size=12), st.sampled_from(
    ["", "2026-01-01", "31.12.2025", "2026-13-01", "NATO", "jef", "land|air", "95", "-12,5", "DNK|FIN",
     "RESTRICTED", "TOP SECRET", '"', '"a,b"', "\r\n"]))
HEADER = st.permutations(["name", "start", "end", "framework", "lat", "lon", "ipc", "fpc", "classification"])


@PROPS
@given(st.one_of(st.text(), st.binary(),
                 st.builds(lambda header, rows, sep: sep.join(header) + "\n"
                           + "\n".join(sep.join(r) for r in rows),
                           HEADER, st.lists(st.lists(CELL, max_size=10), max_size=8), st.sampled_from(",;\t"))))
def test_garbage_raises_nothing_but_calendar_csv_error_and_counts_add_up(data):
    try:
        result = parse_calendar_csv(data)
    except CalendarCsvError:
        return
    assert result.received == len(result.rows) + len(result.rejected)
    for row in result.rows:
        assert row.name and row.start <= row.end and row.framework in FRAMEWORKS
        assert all(m.date <= row.end for m in row.milestones)
    for bad in result.rejected:
        assert bad.line >= 2 and bad.reason


# ---- the seed calendar -----------------------------------------------------------------------------

def test_seed_calendar_imports_without_rejections_and_exports():
    result = parse_calendar_csv(SEED.read_bytes())
    assert result.rejected == []
    names = {r.name for r in result.rows}
    assert {"BALTOPS 25", "Ramstein Flag 25", "Freezing Winds 25", "Cold Response 26"} <= names
    assert not names & {"Baltic Sentry", "Arctic Challenge 25"}
    for row in result.rows:
        assert row.classification == "UNCLASSIFIED" and row.releasable_to == ("DNK", "FIN")
        real = row.name in {"BALTOPS 25", "Ramstein Flag 25", "Freezing Winds 25", "Cold Response 26"}
        assert real != ("INVENTED" in (row.description or ""))
        if real:
            assert row.milestones == ()  # not known from the sources, so not invented
    baltops = next(r for r in result.rows if r.name == "BALTOPS 25")
    assert (baltops.start, baltops.end) == (date(2025, 6, 5), date(2025, 6, 20))
    items = [CalendarItem(uid=f"seed-{r.line}", name=r.name, start=r.start, end=r.end, framework=r.framework,
                          organiser=r.organiser, domains=r.domains, location=r.location,
                          description=r.description, milestones=r.milestones,
                          classification=r.classification or "UNCLASSIFIED", releasable_to=r.releasable_to,
                          owner_nation="DNK") for r in result.rows]
    assert read_ics(to_ics(items, now=NOW)) == items
