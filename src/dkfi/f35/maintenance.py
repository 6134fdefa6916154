"""Joint F-35 maintenance planning: scheduled maintenance of the Danish and Finnish fleets placed on the two
nations' combined base and industrial capacity (and shared third-country sites such as Cameri), against each
nation planning on its own sites alone.

Pure logic: a dict in (the JSON of a maintenance file), a dict out; no database, no HTTP, no clock other than the
solver's time limit. ``docs/f35.md`` ("Joint maintenance planning") describes the file format and the output with a complete example;
this docstring records the rules and the decisions behind them.

Time
    Days are counted from ``start`` (day 0); the horizon is days 0 .. ``horizon_days`` - 1. Work at a site starts on
    a period boundary (a multiple of ``period_days`` from ``start``: with 7, the same weekday every week), which
    shrinks the search; durations and transport are exact days. An event "runs" ``start`` .. ``end`` (inclusive,
    ``end = start + duration - 1``); the aircraft leaves its base ``transport`` days before and is back
    ``transport`` days after, so it is away ``down_from`` .. ``down_to``. Work starts inside the horizon and may
    run past its end. With periods, a duration that is not a whole number of periods blocks the next period's
    start too at a site with room for one aircraft (8-day work in weekly periods takes two weeks): give whole
    periods, or use ``period_days`` 1 (exact, and on the demo about as fast).

Windows and lateness
    Work starts no earlier than ``due - floor(tolerance * interval)`` (hard: earlier work wastes interval) and
    should start by ``due``. Later is allowed: ``late_days = max(0, start - due)``; an overdue aircraft is grounded
    from ``due`` until it leaves for the site, so those days count as down, and each late day also costs
    ``late_penalty`` aircraft-days (default 10) in the objective. An occurrence that cannot start before the
    horizon ends (no site offers the capability to the nation, or no free slot) is "unplaced": the aircraft is
    grounded from ``due`` to the end of the horizon and its chain ends there. Nothing is dropped silently.

Rules
    A site works on at most ``capacity`` aircraft at once: one pool for all its capabilities when ``capacity``
    is a number, one pool per capability when it is an object; ``unavailable`` days (inclusive) take the whole
    pool. An aircraft is in at most one event at a time, transport included (events are not combined into one
    visit). It leaves no earlier than its delivery (``available_from``) or day 0. A site of a nation other than
    DNK and FIN (Cameri, ITA) is shared: open to both nations in both plans. ``own_sites_only`` keeps a nation's
    aircraft off the partner's sites. Transport days come from ``transport_days``: 0 at the aircraft's own base
    (its ``base`` equals the site id), else a ``matrix`` entry for the site and base, else ``same`` within a
    nation or ``"DNK->FIN"``-style pairs between nations, else ``default`` (2).

Objective (minimised, in aircraft-days)
    Per event: its duration and transport both ways (the whole downtime it causes, also past the horizon's end),
    the days the aircraft waits grounded past ``due`` before leaving, ``late_penalty`` per late day inside the
    plan (from ``due``, or from day 0 or delivery when it was due before: lateness already incurred is not the
    plan's) and ``foreign_penalty`` at a partner's site. Per unplaced event: the grounded days from ``due`` to the
    horizon end at 1 + ``late_penalty`` each, plus its duration (the work still has to be done) plus 1, so that
    placing an event at no extra cost beats leaving it out. A plan costs the same whichever mode it is evaluated
    in, so the separate plan is a joint plan of the same cost. Every term is linear in the model's variables,
    which keeps the LP bound useful: with each event clipped at the horizon's end (min expressions) the bound on
    an early version of the demo stayed below a fifth of the best plan after 60 s; linear, the demo is proved
    optimal in about two seconds. The reported figures are exact: ``down_days`` counts each aircraft-day inside
    the horizon once (away, grounded while overdue or while unplaced), ``down_days_after`` the days past its end
    that events started inside it still take, ``availability`` = 1 - down_days / aircraft-days in service (each
    aircraft from delivery to the horizon end), also ``by_nation``; ``cost`` is the objective.

Separate comparison (``separate``)
    The same fleets planned with each nation on its own sites and the shared third-country sites only: the
    difference to the joint plan is exactly what cross-border use of Danish and Finnish capacity brings. Every
    separate plan is a joint plan too, so the joint search starts from it and the joint result never costs more
    (when the joint search does not beat it in time, the separate plan is the joint answer, status "feasible").
    ``saving_days`` = separate (down_days + down_days_after) - joint (the same): counting the days past the
    horizon's end too, so that work merely pushed past it is no saving (the objective does not care where in its
    window such work lands, ``down_days`` alone does). The objective also weighs lateness and foreign visits, so
    in a rare trade the joint plan may accept a few more down days for much less lateness.

Search
    A greedy plan first (occurrences in due order, each on the option and start of least cost, latest in-window
    start first) so that a plan exists whatever the time limit, then CP-SAT from that hint: per occurrence a
    start on the period grid, one optional interval per site option at the site and one (transport included)
    on the aircraft, Cumulative or NoOverlap per site pool, NoOverlap per aircraft, and the chain's due dates as
    linear equalities. One worker and a fixed seed by default (``_parameters``: with one worker the portfolio,
    LNS included, is interleaved on one thread). The time limit covers the whole solve: the separate plan gets
    ``SEPARATE_SHARE`` of it at most, the joint plan the rest but ``READ_BACK_SHARE``; building each model counts.
    Among plans of equal cost any may come back: nothing pulls a start towards its due date (a tie-breaker for
    that kept the demo from being proved within 20 s, and the plan found was worse).
"""
from __future__ import annotations

import csv
import heapq
import io
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dkfi.core.jsoninput import Reader, kind

from ortools.sat.python import cp_model

NATIONS = ("DNK", "FIN")
POOL = "*"  # the capacity key of a site whose capacity is one number for all its capabilities
DEFAULT_TRANSPORT = 2  # days each way between nations when transport_days names no figure
DEFAULT_LATE_PENALTY = 10.0
DEFAULT_TOLERANCE = 0.1
MAX_HORIZON = 7305  # 20 years
MAX_DAYS = 36525  # intervals, durations and transport beyond 100 years are input errors
MAX_OCCURRENCES = 20000  # required or possible events; beyond this the model is too big to be useful
MAX_NUMBER = 1e9
SEED = 20240601
SEPARATE_SHARE = 0.4  # of the time limit, at most, for the separate plan; the joint plan gets the rest
READ_BACK_SHARE = 0.05  # of the time limit, kept for reading the plans back, so that the whole solve fits in it
SCALE = 100  # objective units per aircraft-day (penalties are kept to two decimals)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAIR = re.compile(r"([A-Z]{3})->([A-Z]{3})")


class MaintenanceInputError(ValueError):
    """A maintenance file that does not describe a planning problem; the message names the field and the reason."""


@dataclass(frozen=True)
class EventType:
    """A scheduled maintenance event: its intervals, duration in days, tolerance and the capability it needs."""

    id: str
    name: str
    interval_hours: float | None
    interval_days: int | None
    duration: int
    tolerance: float
    capability: str


@dataclass(frozen=True)
class Last:
    """When an event was last done: the date, and the airframe hours then when known."""

    day: date
    hours: float | None = None


@dataclass(frozen=True)
class Aircraft:
    """One aircraft: nation, home base (a site id when maintenance there needs no transport), flying, history."""

    tail: str
    nation: str
    base: str
    flight_hours: float
    hours_per_year: float
    last: Mapping[str, Last] = field(hash=False)
    available_from: date | None = None


@dataclass(frozen=True)
class Site:
    """A base, company or depot: capabilities, aircraft in work at once (per capability or ``POOL``), closures."""

    id: str
    name: str
    nation: str
    capabilities: tuple[str, ...]
    capacity: Mapping[str, int] = field(hash=False)
    unavailable: tuple[tuple[date, date], ...] = ()

    def pool(self, capability: str) -> str:
        """The capacity pool work of this capability draws on."""
        return POOL if POOL in self.capacity else capability


@dataclass(frozen=True)
class Transport:
    """Days each way between an aircraft's base and a site (module doc: "Rules")."""

    same: int = 0
    default: int = DEFAULT_TRANSPORT
    pairs: Mapping[str, int] = field(default_factory=dict, hash=False)
    matrix: Mapping[tuple[str, str], int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Preference:
    """A nation's preferences: stay off the partner's sites; aircraft-days charged per event at a partner site."""

    own_sites_only: bool = False
    foreign_penalty: float = 0.0


@dataclass(frozen=True)
class Problem:
    """A validated maintenance problem (``parse``)."""

    start: date
    horizon_days: int
    period_days: int
    aircraft: tuple[Aircraft, ...]
    event_types: tuple[EventType, ...]
    sites: tuple[Site, ...]
    transport: Transport = field(default_factory=Transport)
    preferences: Mapping[str, Preference] = field(default_factory=dict, hash=False)
    late_penalty: float = DEFAULT_LATE_PENALTY

    def day(self, d: date) -> int:
        """Day number of a date (day 0 is ``start``)."""
        return (d - self.start).days

    def date_of(self, day: int) -> str:
        """A day number as an ISO date."""
        return (self.start + timedelta(days=day)).isoformat()


# ---------------------------------------------------------------------------------------------------------
# Reading the input: every failure names its field path, never a traceback for a bad shape.


_READ = Reader(MaintenanceInputError)
_fail = _READ.fail
_kind = kind
_mapping = _READ.mapping
_list = _READ.list
_key = _READ.key
_ident = _READ.ident


def _date(value: Any, path: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail(path, f"must be a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(path, f"{value!r} is not a calendar date") from None


def _number(value: Any, path: str, *, positive: bool = False, most: float = MAX_NUMBER) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"must be a number, got {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(path, "must be a finite number")
    if number < 0:
        raise _fail(path, "must not be negative")
    if positive and number == 0:
        raise _fail(path, "must be greater than 0")
    if number > most:
        raise _fail(path, f"must be at most {most:g}")
    return number


def _whole(value: Any, path: str, *, least: int = 0, most: int = MAX_DAYS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"must be a whole number, got {_kind(value)}")
    if value < least:
        raise _fail(path, "must not be negative" if least == 0 else f"must be at least {least}")
    if value > most:
        raise _fail(path, f"must be at most {most}")
    return value


def _unique(ids: Sequence[str], path: str, key: str, what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise _fail(f"{path}[{i}].{key}", f"duplicate {what} {ident!r}")
        seen.add(ident)


def _span(value: Any, path: str) -> tuple[date, date]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(path, f"must be a list [first, last] of two dates, got {_kind(value)}")
    a, b = _date(value[0], f"{path}[0]"), _date(value[1], f"{path}[1]")
    if b < a:
        raise _fail(f"{path}[1]", f"{b} is before {a}")
    return a, b


def _event_type(raw: Any, path: str) -> EventType:
    obj = _mapping(raw, path)
    tid = _ident(_key(obj, "id", path), f"{path}.id")
    name = obj.get("name", tid)
    if not isinstance(name, str):
        raise _fail(f"{path}.name", f"must be a string, got {_kind(name)}")
    hours = days = None
    if obj.get("interval_hours") is not None:
        hours = _number(obj["interval_hours"], f"{path}.interval_hours", positive=True)
    if obj.get("interval_days") is not None:
        days = _whole(obj["interval_days"], f"{path}.interval_days", least=1)
    if hours is None and days is None:
        raise _fail(path, "needs interval_hours or interval_days")
    duration = _whole(_key(obj, "duration_days", path), f"{path}.duration_days", least=1, most=3650)
    tolerance = _number(obj.get("tolerance", DEFAULT_TOLERANCE), f"{path}.tolerance")
    if tolerance >= 1:
        raise _fail(f"{path}.tolerance", "must be below 1 (a fraction of the interval)")
    capability = _ident(_key(obj, "capability", path), f"{path}.capability")
    return EventType(tid, name, hours, days, duration, tolerance, capability)


def _site(raw: Any, path: str) -> Site:
    obj = _mapping(raw, path)
    sid = _ident(_key(obj, "id", path), f"{path}.id")
    name = obj.get("name", sid)
    if not isinstance(name, str):
        raise _fail(f"{path}.name", f"must be a string, got {_kind(name)}")
    nation = _key(obj, "nation", path)
    if not isinstance(nation, str) or not re.fullmatch(r"[A-Z]{3}", nation):
        raise _fail(f"{path}.nation", f"must be a three-letter nation code such as DNK, FIN or ITA, got {nation!r}")
    caps_raw = _list(_key(obj, "capabilities", path), f"{path}.capabilities")
    if not caps_raw:
        raise _fail(f"{path}.capabilities", "must name at least one capability")
    caps: list[str] = []
    for j, c in enumerate(caps_raw):
        cap = _ident(c, f"{path}.capabilities[{j}]")
        if cap == POOL:
            raise _fail(f"{path}.capabilities[{j}]", f"{POOL!r} is not a capability name")
        if cap in caps:
            raise _fail(f"{path}.capabilities[{j}]", f"capability {cap!r} listed twice")
        caps.append(cap)
    cap_raw = _key(obj, "capacity", path)
    capacity: dict[str, int]
    if isinstance(cap_raw, Mapping):
        capacity = {}
        for c, n in cap_raw.items():
            if c not in caps:
                raise _fail(f"{path}.capacity.{c}", f"unknown capability {c!r} (the site's capabilities: "
                                                    f"{', '.join(caps)})")
            capacity[c] = _whole(n, f"{path}.capacity.{c}", most=10000)
        for c in caps:
            if c not in capacity:
                raise _fail(f"{path}.capacity.{c}", "missing (a capacity per capability names every capability)")
    else:
        capacity = {POOL: _whole(cap_raw, f"{path}.capacity", most=10000)}
    closed = tuple(_span(w, f"{path}.unavailable[{j}]")
                   for j, w in enumerate(_list(obj.get("unavailable", []), f"{path}.unavailable")))
    return Site(sid, name, nation, tuple(caps), capacity, closed)


def _aircraft(raw: Any, path: str, start: date, type_ids: set[str]) -> Aircraft:
    obj = _mapping(raw, path)
    tail = _ident(_key(obj, "tail", path), f"{path}.tail")
    nation = _key(obj, "nation", path)
    if nation not in NATIONS:
        raise _fail(f"{path}.nation", f"must be DNK or FIN, got {nation!r}")
    base = _ident(_key(obj, "base", path), f"{path}.base")
    hours = _number(_key(obj, "flight_hours", path), f"{path}.flight_hours")
    per_year = _number(_key(obj, "hours_per_year", path), f"{path}.hours_per_year", positive=True, most=8784)
    available = None
    if obj.get("available_from") is not None:
        available = _date(obj["available_from"], f"{path}.available_from")
        if (available - start).days > MAX_HORIZON:
            raise _fail(f"{path}.available_from", f"{available} is more than {MAX_HORIZON} days after start")
    clock = max(start, available) if available else start
    last: dict[str, Last] = {}
    for tid, value in _mapping(obj.get("last", {}), f"{path}.last").items():
        lpath = f"{path}.last.{tid}"
        if tid not in type_ids:
            raise _fail(lpath, f"unknown event type {tid!r}")
        if isinstance(value, Mapping):
            when = _date(_key(value, "date", lpath), f"{lpath}.date")
            at = _number(_key(value, "hours", lpath), f"{lpath}.hours")
            if at > hours:
                raise _fail(f"{lpath}.hours", f"{at:g} is above the aircraft's flight_hours {hours:g}")
            entry = Last(when, at)
        else:
            when = _date(value, lpath)
            entry = Last(when)
        if when > clock:
            raise _fail(lpath, f"{when} is after {'available_from' if clock != start else 'start'} {clock}")
        if (start - when).days > MAX_DAYS:
            raise _fail(lpath, f"{when} is more than {MAX_DAYS} days before start")
        last[tid] = entry
    return Aircraft(tail, nation, base, hours, per_year, last, available)


def _transport(raw: Any, site_ids: set[str], bases: set[str]) -> Transport:
    obj = _mapping(raw, "transport_days")
    same, default = 0, DEFAULT_TRANSPORT
    pairs: dict[str, int] = {}
    matrix: dict[tuple[str, str], int] = {}
    for key, value in obj.items():
        path = f"transport_days.{key}"
        if key == "same":
            same = _whole(value, path, most=365)
        elif key == "default":
            default = _whole(value, path, most=365)
        elif key == "matrix":
            for sid, row in _mapping(value, path).items():
                if sid not in site_ids:
                    raise _fail(f"{path}.{sid}", f"unknown site {sid!r}")
                for base, days in _mapping(row, f"{path}.{sid}").items():
                    if base not in bases:
                        raise _fail(f"{path}.{sid}.{base}", f"unknown base {base!r} (no aircraft or site has it)")
                    matrix[sid, base] = _whole(days, f"{path}.{sid}.{base}", most=365)
        elif isinstance(key, str) and _PAIR.fullmatch(key):
            pairs[key] = _whole(value, path, most=365)
        else:
            raise _fail(path, "unknown key (same, default, matrix or a nation pair such as DNK->FIN)")
    return Transport(same, default, pairs, matrix)


def _preferences(raw: Any) -> dict[str, Preference]:
    obj = _mapping(raw, "preferences")
    out = {n: Preference() for n in NATIONS}
    for n, value in obj.items():
        path = f"preferences.{n}"
        if n not in NATIONS:
            raise _fail(path, "unknown nation (DNK or FIN)")
        pref = _mapping(value, path)
        for k in pref:
            if k not in ("own_sites_only", "foreign_penalty"):
                raise _fail(f"{path}.{k}", "unknown preference (own_sites_only, foreign_penalty)")
        own = pref.get("own_sites_only", False)
        if not isinstance(own, bool):
            raise _fail(f"{path}.own_sites_only", f"must be true or false, got {_kind(own)}")
        penalty = _number(pref.get("foreign_penalty", 0), f"{path}.foreign_penalty", most=MAX_DAYS)
        out[n] = Preference(own, penalty)
    return out


def parse(data: Any) -> Problem:
    """Validate a maintenance file's JSON and convert it; a ``MaintenanceInputError`` names the first bad field.

    Keys other than the documented ones (``note``, ``name``) are ignored, except inside ``transport_days`` and
    ``preferences``, where an unknown key is more likely a typo than a comment.
    """
    top = _mapping(data, "input")
    start = _date(_key(top, "start", ""), "start")
    if not date(1900, 1, 1) <= start <= date(2200, 12, 31):
        raise _fail("start", f"{start} is outside 1900..2200")
    horizon = _whole(_key(top, "horizon_days", ""), "horizon_days", least=1, most=MAX_HORIZON)
    period = _whole(top.get("period_days", 1), "period_days", least=1, most=horizon)
    late_penalty = _number(top.get("late_penalty", DEFAULT_LATE_PENALTY), "late_penalty", most=MAX_DAYS)

    types = tuple(_event_type(r, f"event_types[{i}]")
                  for i, r in enumerate(_list(_key(top, "event_types", ""), "event_types")))
    _unique([t.id for t in types], "event_types", "id", "event type")
    sites = tuple(_site(r, f"sites[{i}]") for i, r in enumerate(_list(_key(top, "sites", ""), "sites")))
    _unique([s.id for s in sites], "sites", "id", "site")
    offered = {c for s in sites for c in s.capabilities}
    for i, t in enumerate(types):
        if t.capability not in offered:
            raise _fail(f"event_types[{i}].capability", f"no site offers {t.capability!r}")
    type_ids = {t.id for t in types}
    aircraft = tuple(_aircraft(r, f"aircraft[{i}]", start, type_ids)
                     for i, r in enumerate(_list(_key(top, "aircraft", ""), "aircraft")))
    _unique([a.tail for a in aircraft], "aircraft", "tail", "tail")

    site_ids = {s.id for s in sites}
    transport = _transport(top.get("transport_days", {}), site_ids, {a.base for a in aircraft} | site_ids)
    preferences = _preferences(top.get("preferences", {}))
    problem = Problem(start, horizon, period, aircraft, types, sites, transport, preferences, late_penalty)
    n = sum(c.count for c in chains(problem))
    if n > MAX_OCCURRENCES:
        raise _fail("aircraft", f"up to {n} events could fall due in the horizon, more than {MAX_OCCURRENCES}: "
                                "plan a shorter horizon or fewer aircraft at a time")
    return problem


# ---------------------------------------------------------------------------------------------------------
# What follows from the input: due dates, windows, options, transport. Shared by the search and check_plan.


@dataclass(frozen=True)
class Chain:
    """The occurrences of one event type on one aircraft (module doc: "When an event is due")."""

    aircraft: Aircraft
    type: EventType
    ready: int  # first day the aircraft can leave (delivery, or day 0)
    first_due: int  # may lie before day 0 (overdue) or before ``ready``
    first_window: int  # days before first_due that work may start
    interval: int  # days from the end of one occurrence's work to the next one's due
    window: int
    count: int  # most occurrences that can fall due in the horizon


def ready_day(problem: Problem, a: Aircraft) -> int:
    """The first day aircraft ``a`` is in service in the horizon (its delivery, or day 0)."""
    return max(0, problem.day(a.available_from)) if a.available_from else 0


def _hours_days(hours: float, per_year: float) -> int:
    """Days to fly ``hours`` at ``per_year`` hours a year (floored: due no later than the hours run out).

    Capped at ``MAX_DAYS`` either way: beyond a century "never" and "long overdue" are all a plan needs."""
    days = hours * 365 / per_year
    return max(-MAX_DAYS, min(MAX_DAYS, math.floor(days + 1e-9)))


def _chain(problem: Problem, a: Aircraft, t: EventType) -> Chain:
    ready = ready_day(problem, a)
    calendar = t.interval_days
    flying = max(1, _hours_days(t.interval_hours, a.hours_per_year)) if t.interval_hours is not None else None
    interval = min(x for x in (calendar, flying) if x is not None)
    dues: list[tuple[int, int]] = []  # (due day, the interval it came from)
    last = a.last.get(t.id)
    clock = problem.day(last.day) if last else ready
    if calendar is not None:
        dues.append((clock + calendar, calendar))
    if flying is not None and t.interval_hours is not None:
        if last is None or last.hours is not None:
            flown = a.flight_hours - (last.hours if last and last.hours is not None else 0.0)
            left = t.interval_hours - flown
            due_h = ready + _hours_days(left, a.hours_per_year)
        else:
            due_h = clock + flying
        dues.append((due_h, flying))
    first_due, first_interval = min(dues)
    first_window = math.floor(t.tolerance * first_interval + 1e-9)
    window = math.floor(t.tolerance * interval + 1e-9)
    horizon, count = problem.horizon_days, 0
    due = first_due
    if ready < horizon:
        while due < horizon and count < horizon:
            count += 1
            earliest = max(due - (first_window if count == 1 else window), ready)
            due = earliest + t.duration + interval
    return Chain(a, t, ready, first_due, first_window, interval, window, count)


def chains(problem: Problem) -> list[Chain]:
    """Every (aircraft, event type) with at least one occurrence falling due in the horizon, in input order."""
    out = [_chain(problem, a, t) for a in problem.aircraft for t in problem.event_types]
    return [c for c in out if c.count > 0]


def transport_days(problem: Problem, a: Aircraft, s: Site) -> int:
    """Days each way between aircraft ``a``'s base and site ``s`` (module doc: "Rules")."""
    if a.base == s.id:
        return 0
    tr = problem.transport
    if (s.id, a.base) in tr.matrix:
        return tr.matrix[s.id, a.base]
    if a.nation == s.nation:
        return tr.same
    return tr.pairs.get(f"{a.nation}->{s.nation}", tr.default)


def is_foreign(a: Aircraft, s: Site) -> bool:
    """True for a site of the partner nation (shared third-country sites are not foreign in this sense)."""
    return s.nation in NATIONS and s.nation != a.nation


def allowed(problem: Problem, a: Aircraft, s: Site, mode: str) -> bool:
    """May aircraft ``a`` be maintained at site ``s`` in the ``joint`` or ``separate`` plan."""
    if not is_foreign(a, s):
        return True
    own_only = problem.preferences.get(a.nation, Preference()).own_sites_only
    return mode == "joint" and not own_only


def options(problem: Problem, c: Chain, mode: str) -> list[tuple[Site, int]]:
    """The sites (with transport days each way) where chain ``c``'s events can be done in ``mode``."""
    out = []
    for s in problem.sites:
        if c.type.capability in s.capabilities and s.capacity[s.pool(c.type.capability)] > 0 \
                and allowed(problem, c.aircraft, s, mode):
            out.append((s, transport_days(problem, c.aircraft, s)))
    return out


def _penalty(problem: Problem, a: Aircraft, s: Site) -> float:
    return problem.preferences.get(a.nation, Preference()).foreign_penalty if is_foreign(a, s) else 0.0


def _no_option_why(c: Chain, mode: str, problem: Problem) -> str:
    where = "on its own or shared sites" if mode == "separate" else (
        "on its own or shared sites (own_sites_only)"
        if problem.preferences.get(c.aircraft.nation, Preference()).own_sites_only else "on any site")
    return f"no site offers {c.type.capability!r} to {c.aircraft.nation} aircraft {where}"


def _no_slot_why(problem: Problem, opts: Sequence[tuple[Site, int]], due: int) -> str:
    """Why an occurrence with sites to go to is unplaced: the sites are closed, or full, until the horizon ends."""
    H = problem.horizon_days
    shut = []
    for s, _ in opts:
        closed = {d for a, b in s.unavailable for d in range(max(problem.day(a), due, 0), min(problem.day(b) + 1, H))}
        if len(closed) >= H - max(due, 0):
            shut.append(s.id)
    if len(shut) == len(opts):
        return f"its sites ({', '.join(shut)}) are closed from the due date to the horizon end"
    return "no free slot at its sites before the horizon ends" + (f" ({', '.join(shut)} closed)" if shut else "")


# ---------------------------------------------------------------------------------------------------------
# A plan: per chain, the (site, start day) of its occurrences in order, and whether the next one is left out.


@dataclass
class _Plan:
    placed: dict[int, list[tuple[str, int]]]  # chain index -> [(site id, start day)]
    skipped: set[int]  # chains whose next required occurrence is unplaced
    status: str = "feasible"
    bound: float | None = None
    objective: int | None = None  # the solver's objective value (equals _evaluate's cost: tested)


def _unit_cost(problem: Problem) -> tuple[int, int]:
    """(objective units per late day on top of the down day, per unit of foreign penalty)."""
    return round(problem.late_penalty * SCALE), SCALE


def _occupancy_length(problem: Problem) -> int:
    tmax = max((transport_days(problem, a, s) for a in problem.aircraft for s in problem.sites), default=0)
    dmax = max((t.duration for t in problem.event_types), default=1)
    return problem.horizon_days + dmax + 2 * tmax + 2


def _evaluate(problem: Problem, cs: Sequence[Chain], mode: str, p: _Plan) -> dict[str, Any]:
    """The output for one plan (events, unplaced, down days, availability, utilisation, cost)."""
    H = problem.horizon_days
    site = {s.id: s for s in problem.sites}
    late_unit, _ = _unit_cost(problem)
    events: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    down: dict[str, bytearray] = {a.tail: bytearray(H) for a in problem.aircraft}
    work: dict[str, int] = {s.id: 0 for s in problem.sites}
    after: dict[str, int] = {a.tail: 0 for a in problem.aircraft}  # away past the horizon's end
    cost = 0

    def mark(tail: str, a: int, b: int) -> None:  # days a .. b - 1, clipped to the horizon
        row = down[tail]
        for d in range(max(a, 0), min(b, H)):
            row[d] = 1

    for ci, c in enumerate(cs):
        a, t = c.aircraft, c.type
        due, window = c.first_due, c.first_window
        for k, (sid, start) in enumerate(p.placed.get(ci, [])):
            s = site[sid]
            tr = transport_days(problem, a, s)
            end = start + t.duration  # exclusive
            late = max(0, start - due)
            grounded_from = min(start - tr, max(due, c.ready))
            mark(a.tail, grounded_from, end + tr)
            after[a.tail] += max(0, end + tr - max(start - tr, H))
            work[sid] += max(0, min(end, H) - min(start, H))
            cost += SCALE * (t.duration + 2 * tr + max(0, start - tr - max(due, c.ready))) \
                + late_unit * max(0, start - max(due, c.ready)) \
                + round(_penalty(problem, a, s) * SCALE)
            events.append({"tail": a.tail, "nation": a.nation, "type": t.id, "occurrence": k + 1, "site": sid,
                           "site_nation": s.nation, "due": problem.date_of(due),
                           "earliest": problem.date_of(due - window), "start": problem.date_of(start),
                           "end": problem.date_of(end - 1), "transport_days": tr,
                           "down_from": problem.date_of(start - tr), "down_to": problem.date_of(end + tr - 1),
                           "late_days": late, "foreign": is_foreign(a, s)})
            due, window = end + c.interval, c.window
        if ci in p.skipped and due < H:
            first = max(due, c.ready)
            mark(a.tail, first, H)
            opts = options(problem, c, mode)
            cost += (SCALE + late_unit) * (H - first) + SCALE * (t.duration + 1)
            why = _no_option_why(c, mode, problem) if not opts else _no_slot_why(problem, opts, due)
            unplaced.append({"tail": a.tail, "nation": a.nation, "type": t.id,
                             "occurrence": len(p.placed.get(ci, [])) + 1, "due": problem.date_of(due),
                             "down_days": H - first, "why": why})
    aircraft_days = sum(max(0, H - ready_day(problem, a)) for a in problem.aircraft)
    down_days = sum(sum(row) for row in down.values())
    by_nation = {}
    for n in NATIONS:
        fleet = [a for a in problem.aircraft if a.nation == n]
        n_days = sum(max(0, H - ready_day(problem, a)) for a in fleet)
        n_down = sum(sum(down[a.tail]) for a in fleet)
        by_nation[n] = {"aircraft": len(fleet), "aircraft_days": n_days, "down_days": n_down,
                        "down_days_after": sum(after[a.tail] for a in fleet),
                        "late_days": sum(e["late_days"] for e in events if e["nation"] == n),
                        "availability": round(1 - n_down / n_days, 6) if n_days else 1.0}
    by_site = {}
    for s in problem.sites:
        closed = bytearray(H)
        for a0, b0 in s.unavailable:
            for d in range(max(0, problem.day(a0)), min(H, problem.day(b0) + 1)):
                closed[d] = 1
        room = sum(s.capacity.values()) * (H - sum(closed))
        by_site[s.id] = round(work[s.id] / room, 4) if room else 0.0
    events.sort(key=lambda e: (e["start"], e["tail"], e["type"]))
    unplaced.sort(key=lambda e: (e["due"], e["tail"], e["type"]))
    return {"availability": round(1 - down_days / aircraft_days, 6) if aircraft_days else 1.0,
            "down_days": down_days, "down_days_after": sum(after.values()), "aircraft_days": aircraft_days,
            "late_days": sum(e["late_days"] for e in events),
            "cost": cost / SCALE, "events": events, "unplaced": unplaced, "by_site": by_site, "by_nation": by_nation,
            "_cost": cost}


# ---------------------------------------------------------------------------------------------------------
# The greedy plan: a plan whatever the time limit, and the solver's first hint.


class _Board:
    """Day-by-day use of each site pool and each aircraft, for the greedy plan."""

    def __init__(self, problem: Problem) -> None:
        self.length = n = _occupancy_length(problem)
        self.use: dict[tuple[str, str], list[int]] = {}
        self.cap: dict[tuple[str, str], int] = {}
        for s in problem.sites:
            for pool, cap in s.capacity.items():
                row = [0] * n
                for a, b in s.unavailable:
                    for d in range(max(0, problem.day(a)), min(n, problem.day(b) + 1)):
                        row[d] = cap
                self.use[s.id, pool], self.cap[s.id, pool] = row, cap
        self.busy: dict[str, bytearray] = {a.tail: bytearray(n) for a in problem.aircraft}

    def fits(self, key: tuple[str, str], tail: str, start: int, duration: int, tr: int) -> bool:
        if start - tr < 0 or start + duration + tr > self.length:
            return False
        busy = self.busy[tail]
        if any(busy[start - tr:start + duration + tr]):
            return False
        use, cap = self.use[key], self.cap[key]
        return all(use[d] < cap for d in range(start, start + duration))

    def take(self, key: tuple[str, str], tail: str, start: int, duration: int, tr: int) -> None:
        busy = self.busy[tail]
        for d in range(start - tr, start + duration + tr):
            busy[d] = 1
        use = self.use[key]
        for d in range(start, start + duration):
            use[d] += 1


def _greedy(problem: Problem, cs: Sequence[Chain], mode: str) -> _Plan:
    """Occurrences in due order; each on the option and start of least cost (latest in-window start first)."""
    H, p = problem.horizon_days, problem.period_days
    last_start = (H - 1) // p * p
    late_unit, _ = _unit_cost(problem)
    board = _Board(problem)
    plan = _Plan({}, set())
    opts = [options(problem, c, mode) for c in cs]
    heap = [(max(c.first_due, c.ready), ci, c.first_due, c.first_window) for ci, c in enumerate(cs)
            if c.first_due < H]
    heapq.heapify(heap)
    while heap:
        _, ci, due, window = heapq.heappop(heap)
        c = cs[ci]
        best: tuple[int, int, str, int, int] | None = None  # (cost, site order, site, start, transport)
        for order, (s, tr) in enumerate(opts[ci]):
            key = (s.id, s.pool(c.type.capability))
            lo = max(due - window, c.ready + tr)
            lo = -(-lo // p) * p
            top = min(max(due, lo), last_start) // p * p
            starts = list(range(top, lo - 1, -p)) + list(range(top + p, last_start + 1, p))
            for start in starts:
                if board.fits(key, c.aircraft.tail, start, c.type.duration, tr):
                    cost = SCALE * (c.type.duration + 2 * tr + max(0, start - tr - max(due, c.ready))) \
                        + late_unit * max(0, start - max(due, c.ready)) \
                        + round(_penalty(problem, c.aircraft, s) * SCALE)
                    if best is None or (cost, order) < best[:2]:
                        best = (cost, order, s.id, start, tr)
                    break
        if best is None:
            plan.skipped.add(ci)
            continue
        _, _, sid, start, tr = best
        s = next(x for x, _ in opts[ci] if x.id == sid)
        board.take((sid, s.pool(c.type.capability)), c.aircraft.tail, start, c.type.duration, tr)
        plan.placed.setdefault(ci, []).append((sid, start))
        nxt = start + c.type.duration + c.interval
        if nxt < H and len(plan.placed[ci]) < c.count:
            heapq.heappush(heap, (nxt, ci, nxt, c.window))
    return plan


# ---------------------------------------------------------------------------------------------------------
# The CP-SAT model.

_STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
           cp_model.UNKNOWN: "unknown", cp_model.MODEL_INVALID: "invalid"}


@dataclass
class _Occ:
    req: Any  # literal or True
    placed: Any
    skip: Any
    week: Any  # start = period * week
    due: Any  # int or variable
    x: list[tuple[str, int, Any]]  # (site id, transport, literal)
    aux: dict[str, Any]


def _parameters(solver: cp_model.CpSolver, time_limit_s: float, workers: int) -> None:
    """Solver settings: repeatable, and large-neighbourhood search even on one worker.

    With ``num_workers`` 1 CP-SAT runs only its default tree search. ``interleave_search`` runs the whole
    portfolio, the LNS neighbourhoods included, in turns on one thread (deterministically). On the demo both
    prove the optimum in under a second; on the tighter variant in the docs ("The demo and the benchmark": 70 %
    of the Danish inspections in one spring), after 30 s the separate plan of the tree search alone is 10 %
    above its bound, the interleaved portfolio's 3 %. With more workers the usual parallel portfolio runs.
    """
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = SEED
    if workers == 1:
        solver.parameters.interleave_search = True


def _solve_cp(problem: Problem, cs: Sequence[Chain], mode: str, hint: _Plan, deadline: float,
              workers: int) -> _Plan | None:
    """The CP-SAT search (module doc: "Search") until ``deadline``; None when it finds no plan by then."""
    H, p = problem.horizon_days, problem.period_days
    last_week = (H - 1) // p
    n_len = _occupancy_length(problem)
    late_unit, _ = _unit_cost(problem)
    m = cp_model.CpModel()
    occs: list[list[_Occ]] = []
    per_aircraft: dict[str, list[Any]] = {a.tail: [] for a in problem.aircraft}
    per_pool: dict[tuple[str, str], list[Any]] = {}
    terms: list[tuple[Any, int]] = []
    for ci, c in enumerate(cs):
        dur = c.type.duration
        chain_occ: list[_Occ] = []
        opts = options(problem, c, mode)
        for k in range(c.count):
            tag = f"{ci}.{k}"
            req: Any = True if k == 0 else m.new_bool_var(f"req{tag}")
            placed, skip = m.new_bool_var(f"placed{tag}"), m.new_bool_var(f"skip{tag}")
            week = m.new_int_var(0, last_week, f"week{tag}")
            start = week * p
            if k == 0:
                due: Any = c.first_due
                m.add(placed + skip == 1)
            else:
                prev = chain_occ[-1]
                due = m.new_int_var(dur + c.interval, last_week * p + dur + c.interval, f"due{tag}")
                m.add(placed + skip == req)
                m.add_implication(req, prev.placed)
                m.add(due == prev.week * p + dur + c.interval).only_enforce_if(prev.placed)
                m.add(due <= H - 1).only_enforce_if(req)
                m.add(due >= H).only_enforce_if([prev.placed, req.Not()])
            window = c.first_window if k == 0 else c.window
            m.add(start >= due - window).only_enforce_if(placed)
            xs = []
            for s, tr in opts:
                x = m.new_bool_var(f"x{tag}@{s.id}")
                m.add(start >= c.ready + tr).only_enforce_if(x)
                per_pool.setdefault((s.id, s.pool(c.type.capability)), []).append(
                    m.new_optional_fixed_size_interval_var(start, dur, x, f"w{tag}@{s.id}"))
                per_aircraft[c.aircraft.tail].append(
                    m.new_optional_fixed_size_interval_var(start - tr, dur + 2 * tr, x, f"a{tag}@{s.id}"))
                terms.append((x, SCALE * (dur + 2 * tr) + round(_penalty(problem, c.aircraft, s) * SCALE)))
                xs.append((s.id, tr, x))
            if xs:
                m.add(sum(x for _, _, x in xs) == placed)
            else:
                m.add(placed == 0)
            t_sum = sum(tr * x for _, tr, x in xs if tr)
            wait = m.new_int_var(0, H, f"wait{tag}")  # grounded overdue before leaving for the site
            due_eff = max(c.first_due, c.ready) if k == 0 else due
            m.add(wait >= start - t_sum - due_eff).only_enforce_if(placed)
            late_max = max(0, last_week * p - (max(c.first_due, c.ready) if k == 0 else dur + c.interval))
            late = m.new_int_var(0, late_max, f"late{tag}")
            m.add(late >= start - due_eff).only_enforce_if(placed)  # late days inside the plan
            terms += [(wait, SCALE), (late, late_unit)]
            aux = {"wait": wait, "late": late}
            after = SCALE * (dur + 1)  # the same in every mode: a plan costs the same, joint or separate
            if k == 0:
                terms.append((skip, (SCALE + late_unit) * (H - max(c.first_due, c.ready)) + after))
            else:
                left = m.new_int_var(0, H, f"left{tag}")
                m.add(left == H - due).only_enforce_if(skip)
                terms += [(left, SCALE + late_unit), (skip, after)]
                aux["left"] = left
            chain_occ.append(_Occ(req, placed, skip, week, due, xs, aux))
        occs.append(chain_occ)
    for ivs in per_aircraft.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    site = {s.id: s for s in problem.sites}
    for (sid, pool), ivs in per_pool.items():
        s, cap = site[sid], site[sid].capacity[pool]
        closed = []
        for a, b in s.unavailable:
            lo, hi = max(0, problem.day(a)), min(n_len, problem.day(b) + 1)
            if hi > lo:
                closed.append(m.new_fixed_size_interval_var(lo, hi - lo, f"closed@{sid}"))
        if cap == 1:
            m.add_no_overlap(ivs + closed)
        elif len(ivs) > cap:
            m.add_cumulative(ivs + closed, [1] * len(ivs) + [cap] * len(closed), cap)
        elif closed:
            m.add_cumulative(ivs + closed, [1] * len(ivs) + [cap] * len(closed), cap)
    m.minimize(sum(v * w for v, w in terms))
    _add_hint(m, problem, cs, occs, hint)

    seconds = deadline - time.perf_counter()  # building the model counts against the time limit
    if seconds <= 0:
        return None
    solver = cp_model.CpSolver()
    _parameters(solver, seconds, workers)
    code = solver.solve(m)
    status = _STATUS[code]
    if status == "invalid":
        raise RuntimeError(f"maintenance planner built an invalid model: {m.validate()}")
    if status not in ("optimal", "feasible"):
        return None
    out = _Plan({}, set(), status, solver.best_objective_bound / SCALE, round(solver.objective_value))
    for ci, chain_occ in enumerate(occs):
        for o in chain_occ:
            if o.req is not True and not solver.boolean_value(o.req):
                break
            if solver.boolean_value(o.skip):
                out.skipped.add(ci)
                break
            sid = next(sid for sid, _, x in o.x if solver.boolean_value(x))
            out.placed.setdefault(ci, []).append((sid, solver.value(o.week) * p))
    return out


def _add_hint(m: cp_model.CpModel, problem: Problem, cs: Sequence[Chain], occs: list[list[_Occ]],
              plan: _Plan) -> None:
    """Hint every variable of the model with ``plan``'s values (the greedy or the separate plan)."""
    H, p = problem.horizon_days, problem.period_days
    m_hint: list[tuple[Any, int]] = []
    for ci, (c, chain_occ) in enumerate(zip(cs, occs)):
        placed = plan.placed.get(ci, [])
        dur = c.type.duration
        prev_start: int | None = None
        for k, o in enumerate(chain_occ):
            due = c.first_due if k == 0 else (prev_start + dur + c.interval if prev_start is not None
                                              else dur + c.interval)
            req = k == 0 or (prev_start is not None and due < H)
            is_placed = req and k < len(placed)
            is_skip = req and not is_placed
            start = placed[k][1] if is_placed else 0
            if o.req is not True:
                m_hint.append((o.req, int(req)))
                m_hint.append((o.due, due))
            m_hint += [(o.placed, int(is_placed)), (o.skip, int(is_skip)), (o.week, start // p)]
            tr = 0
            for sid, t, x in o.x:
                on = is_placed and placed[k][0] == sid
                m_hint.append((x, int(on)))
                tr = t if on else tr
            due_eff = max(c.first_due, c.ready) if k == 0 else due
            m_hint += [(o.aux["wait"], max(0, start - tr - due_eff) if is_placed else 0),
                       (o.aux["late"], max(0, start - due_eff) if is_placed else 0)]
            if "left" in o.aux:
                m_hint.append((o.aux["left"], H - due if is_skip else 0))
            prev_start = start if is_placed else None
    for var, value in m_hint:
        m.add_hint(var, value)


# ---------------------------------------------------------------------------------------------------------
# Putting it together.


def _better(a: _Plan, b: _Plan, problem: Problem, cs: Sequence[Chain], mode: str) -> _Plan:
    """The cheaper of two plans (``a`` on a tie)."""
    return a if _evaluate(problem, cs, mode, a)["_cost"] <= _evaluate(problem, cs, mode, b)["_cost"] else b


def _search(problem: Problem, cs: Sequence[Chain], mode: str, hint: _Plan, deadline: float,
            workers: int) -> _Plan:
    """The better of the solver's plan (searched until ``deadline``, a ``perf_counter`` time) and ``hint``."""
    found = _solve_cp(problem, cs, mode, hint, deadline, workers)
    if found is None:
        return _Plan(hint.placed, hint.skipped, "feasible", None)
    if found.status == "optimal":
        return found
    best = _better(found, hint, problem, cs, mode)
    best.status, best.bound = "feasible", found.bound
    return best


def _report(problem: Problem, cs: Sequence[Chain], mode: str, p: _Plan) -> dict[str, Any]:
    out = _evaluate(problem, cs, mode, p)
    del out["_cost"]
    bound = p.bound if p.status != "optimal" else out["cost"]
    keys = ("availability", "down_days", "down_days_after", "aircraft_days", "late_days", "cost")
    return {"status": p.status, **{k: out.pop(k) for k in keys}, "bound": None if bound is None else round(bound, 2),
            **out}


def _spent(report: Mapping[str, Any]) -> int:
    """Down days inside the horizon and past its end: what a plan costs in aircraft-days (``saving_days``)."""
    return int(report["down_days"]) + int(report["down_days_after"])


def solve(problem: Problem, *, time_limit_s: float = 60.0, workers: int = 1) -> dict[str, Any]:
    """The joint plan and the separate one within ``time_limit_s`` (both searches together); module doc.

    ``workers`` is CP-SAT's number of search workers: 1 is repeatable and suits a one-core machine.
    """
    if not time_limit_s > 0:
        raise ValueError("time_limit_s must be positive")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    t0 = time.perf_counter()
    cs = chains(problem)
    sep = _search(problem, cs, "separate", _greedy(problem, cs, "separate"), t0 + time_limit_s * SEPARATE_SHARE,
                  workers)
    t_sep = time.perf_counter() - t0
    hint = _better(_Plan(sep.placed, sep.skipped), _greedy(problem, cs, "joint"), problem, cs, "joint")
    joint = _search(problem, cs, "joint", hint, t0 + time_limit_s * (1 - READ_BACK_SHARE), workers)
    result = _report(problem, cs, "joint", joint)
    separate = _report(problem, cs, "separate", sep)
    separate["solve_s"] = round(t_sep, 3)
    result["separate"] = separate
    result["saving_days"] = _spent(separate) - _spent(result)
    result["solve_s"] = round(time.perf_counter() - t0, 3)
    return result


def plan(data: Any, *, time_limit_s: float = 60.0, workers: int = 1) -> dict[str, Any]:
    """Parse a maintenance file's JSON and solve it: ``solve(parse(data), ...)``."""
    return solve(parse(data), time_limit_s=time_limit_s, workers=workers)


CSV_COLUMNS = ("tail", "nation", "type", "occurrence", "site", "site_nation", "due", "earliest", "start", "end",
               "transport_days", "down_from", "down_to", "late_days", "foreign")


def to_csv(result: Mapping[str, Any]) -> str:
    """The joint plan's events as CSV (one row per event, ``CSV_COLUMNS``): the rows of the Gantt export."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for e in result.get("events", []):
        writer.writerow({**e, "foreign": "yes" if e.get("foreign") else "no"})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Checking a plan against the rules, from the output alone (used by the tests, usable by callers).


def _day_of(problem: Problem, value: Any) -> int | None:
    try:
        return problem.day(date.fromisoformat(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def check_plan(problem: Problem | Mapping[str, Any], result: Mapping[str, Any]) -> list[str]:
    """Every rule the plan in ``result`` breaks, as text (empty: the plan keeps every rule).

    Checks the joint plan (``events``, ``unplaced``) and, when present, ``separate``'s plan under its own rule
    (no partner sites): sites, capabilities and preferences, durations and transport, the period grid, delivery,
    site capacity and closures day by day, one event at a time per aircraft, the due chain (every due date, window,
    late days; every occurrence due in the horizon planned or reported unplaced) and the reported totals.
    ``problem`` is a ``Problem`` or the input JSON.
    """
    if not isinstance(problem, Problem):
        problem = parse(problem)
    out = _check(problem, result, "joint", "")
    sep = result.get("separate")
    if isinstance(sep, Mapping) and "events" in sep:
        out += _check(problem, sep, "separate", "separate.")
    return out


def _check(problem: Problem, res: Mapping[str, Any], mode: str, prefix: str) -> list[str]:
    H, p = problem.horizon_days, problem.period_days
    aircraft = {a.tail: a for a in problem.aircraft}
    site = {s.id: s for s in problem.sites}
    types = {t.id: t for t in problem.event_types}
    out: list[str] = []
    use: dict[tuple[str, str], list[int]] = {}
    away: dict[str, list[tuple[int, int, str]]] = {}
    by_chain: dict[tuple[str, str], list[tuple[int, int, int, Mapping[str, Any], str]]] = {}
    for i, e in enumerate(res.get("events", [])):
        path = f"{prefix}events[{i}]"
        a, t, s = aircraft.get(e.get("tail")), types.get(e.get("type")), site.get(e.get("site"))
        if a is None or t is None or s is None:
            out.append(f"{path}: unknown tail, type or site ({e.get('tail')!r}, {e.get('type')!r}, {e.get('site')!r})")
            continue
        start, end = _day_of(problem, e.get("start")), _day_of(problem, e.get("end"))
        if start is None or end is None:
            out.append(f"{path}: start and end must be dates")
            continue
        if t.capability not in s.capabilities or s.capacity[s.pool(t.capability)] == 0:
            out.append(f"{path}: site {s.id} cannot do {t.capability!r} ({t.id})")
        if not allowed(problem, a, s, mode):
            out.append(f"{path}: {a.nation} aircraft {a.tail} at partner site {s.id} "
                       + ("in the separate plan" if mode == "separate" else "against own_sites_only"))
        if end - start + 1 != t.duration:
            out.append(f"{path}: lasts {end - start + 1} days, {t.id} takes {t.duration}")
        tr = transport_days(problem, a, s)
        if e.get("transport_days") != tr:
            out.append(f"{path}: transport_days {e.get('transport_days')!r}, should be {tr}")
        if _day_of(problem, e.get("down_from")) != start - tr or _day_of(problem, e.get("down_to")) != end + tr:
            out.append(f"{path}: down_from/down_to do not add {tr} transport days each way to the work")
        if start % p or not 0 <= start < H:
            out.append(f"{path}: start {e.get('start')} is not a period start inside the horizon")
        if start - tr < ready_day(problem, a):
            out.append(f"{path}: {a.tail} leaves on {problem.date_of(start - tr)}, before it is in service")
        pool_use = use.setdefault((s.id, s.pool(t.capability)), [0] * (end + 1))
        pool_use.extend([0] * (end + 1 - len(pool_use)))
        for d in range(start, end + 1):
            pool_use[d] += 1
        away.setdefault(a.tail, []).append((start - tr, end + tr, path))
        by_chain.setdefault((a.tail, t.id), []).append((start, end, tr, e, path))
    for (sid, pool), row in sorted(use.items()):
        s, cap = site[sid], site[sid].capacity[pool]
        closed = {d for a0, b0 in s.unavailable for d in range(problem.day(a0), problem.day(b0) + 1)}
        bad = [d for d, n in enumerate(row) if n > cap or (n and d in closed)]
        if bad:
            out.append(f"{prefix}site {sid} ({'all capabilities' if pool == POOL else pool}): more aircraft in work "
                       f"than its capacity {cap} (or work while closed) on {len(bad)} days from "
                       f"{problem.date_of(bad[0])}")
    for tail, spans in away.items():
        spans.sort()
        for (a0, b0, p0), (a1, _, p1) in zip(spans, spans[1:]):
            if a1 <= b0:
                out.append(f"{p1}: {tail} is still away for {p0} on {problem.date_of(a1)}")
    unplaced: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for u in res.get("unplaced", []):
        unplaced.setdefault((u.get("tail"), u.get("type")), []).append(u)
    down = {a.tail: bytearray(H) for a in problem.aircraft}
    known = set()
    for c in chains(problem):
        key = (c.aircraft.tail, c.type.id)
        known.add(key)
        due, window, marks = c.first_due, c.first_window, down[c.aircraft.tail]
        for start, end, tr, e, path in sorted(by_chain.get(key, []), key=lambda x: x[0]):
            if due >= H:
                out.append(f"{path}: {key[1]} on {key[0]} is not due in the horizon (due {problem.date_of(due)})")
            if e.get("due") != problem.date_of(due):
                out.append(f"{path}: due {e.get('due')}, should be {problem.date_of(due)}")
            if start < due - window:
                out.append(f"{path}: starts {e.get('start')}, before its window opens on "
                           f"{problem.date_of(due - window)}")
            if e.get("late_days") != max(0, start - due):
                out.append(f"{path}: late_days {e.get('late_days')!r}, should be {max(0, start - due)}")
            for d in range(max(0, min(start - tr, max(due, c.ready))), min(H, end + tr + 1)):
                marks[d] = 1
            due, window = end + 1 + c.interval, c.window
        missing = unplaced.pop(key, [])
        if due < H:
            if len(missing) != 1 or missing[0].get("due") != problem.date_of(due):
                out.append(f"{prefix}{key[1]} on {key[0]} due {problem.date_of(due)} is neither planned nor "
                           "reported unplaced (once)")
            for d in range(max(due, c.ready), H):
                marks[d] = 1
        elif missing:
            out.append(f"{prefix}unplaced {key[1]} on {key[0]}: nothing is due then")
    for key in sorted(set(by_chain) - known, key=str):
        out.append(f"{prefix}{key[1]} on {key[0]}: planned but never due in the horizon")
    for key in sorted(unplaced, key=str):
        out.append(f"{prefix}unplaced {key[1]} on {key[0]}: never due in the horizon")
    down_days = sum(sum(r) for r in down.values())
    after = sum(max(0, end + tr + 1 - max(start - tr, H)) for spans in by_chain.values() for start, end, tr, _, _ in spans)
    if "down_days_after" in res and res["down_days_after"] != after:
        out.append(f"{prefix}down_days_after {res['down_days_after']!r}, the events give {after}")
    if res.get("down_days") != down_days:
        out.append(f"{prefix}down_days {res.get('down_days')!r}, the events give {down_days}")
    aircraft_days = sum(max(0, H - ready_day(problem, a)) for a in problem.aircraft)
    availability = 1 - down_days / aircraft_days if aircraft_days else 1.0
    if not isinstance(res.get("availability"), (int, float)) or abs(res["availability"] - availability) > 1e-5:
        out.append(f"{prefix}availability {res.get('availability')!r}, the events give {availability:.6f}")
    return out
