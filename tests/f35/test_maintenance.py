"""The joint maintenance planner: each rule on a small readable case, input errors that name their field, the demo,
and property tests (random small fleets) against ``check_plan`` and an independent checker written here."""
from __future__ import annotations

import copy
import csv
import io
import json
import math
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dkfi.f35 import maintenance
from dkfi.f35.maintenance import CSV_COLUMNS, MaintenanceInputError, check_plan, parse, plan, to_csv

DEMO = Path(__file__).resolve().parents[2] / "src/dkfi/f35/data/maintenance-demo.json"
DAY0 = date(2027, 1, 1)


def d(n: int) -> str:
    """Day n of the plan (day 0 is 2027-01-01)."""
    return (DAY0 + timedelta(days=n)).isoformat()


def day(s: str) -> int:
    return (date.fromisoformat(s) - DAY0).days


def etype(tid, capability, *, days=None, hours=None, duration=7, tolerance=0.1):
    out = {"id": tid, "duration_days": duration, "tolerance": tolerance, "capability": capability}
    if days is not None:
        out["interval_days"] = days
    if hours is not None:
        out["interval_hours"] = hours
    return out


def site(sid, nation, capabilities, capacity=1, unavailable=()):
    return {"id": sid, "nation": nation, "capabilities": list(capabilities), "capacity": capacity,
            "unavailable": [[d(a), d(b)] for a, b in unavailable]}


def craft(tail, nation="DNK", base="SKR", *, last=None, flight_hours=0, hours_per_year=365, available_from=None):
    out = {"tail": tail, "nation": nation, "base": base, "flight_hours": flight_hours,
           "hours_per_year": hours_per_year, "last": last or {}}
    if available_from is not None:
        out["available_from"] = d(available_from)
    return out


def problem(aircraft, types, sites, *, horizon=365, period=1, transport=None, prefs=None, late_penalty=10):
    out = {"start": d(0), "horizon_days": horizon, "period_days": period, "aircraft": aircraft,
           "event_types": types, "sites": sites, "late_penalty": late_penalty}
    if transport is not None:
        out["transport_days"] = transport
    if prefs is not None:
        out["preferences"] = prefs
    return out


def due_last(due: int, interval: int) -> str:
    """The ``last`` date that makes a calendar event of ``interval`` days fall due on day ``due``."""
    return d(due - interval)


def solve(data, **kw):
    result = plan(data, time_limit_s=kw.pop("time_limit_s", 10), **kw)
    assert check_plan(data, result) == []
    assert independent_violations(data, result) == []
    assert independent_violations(data, result["separate"], mode="separate") == []
    return result


def events(result, tail=None, type_=None):
    return [e for e in result["events"] if (tail is None or e["tail"] == tail) and (type_ is None or e["type"] == type_)]


PI = etype("PI", "base", days=365, duration=10)


# ---- the output --------------------------------------------------------------------------------------------------

def test_output_shape_and_one_event():
    data = problem([craft("L-1", last={"PI": due_last(100, 365)})], [PI], [site("SKR", "DNK", ["base"])])
    r = solve(data)
    assert {"status", "availability", "down_days", "down_days_after", "aircraft_days", "late_days", "cost", "bound",
            "events", "unplaced", "by_site", "by_nation", "separate", "saving_days", "solve_s"} <= set(r)
    assert {"status", "availability", "down_days", "unplaced", "events"} <= set(r["separate"])
    assert r["status"] == "optimal"
    (e,) = r["events"]
    assert e["tail"] == "L-1" and e["type"] == "PI" and e["site"] == "SKR" and e["due"] == d(100)
    assert day(e["earliest"]) == 100 - 36 <= day(e["start"]) <= 100 and e["late_days"] == 0
    assert day(e["end"]) - day(e["start"]) == 9 and e["transport_days"] == 0
    assert r["down_days"] == 10 and r["aircraft_days"] == 365
    assert r["availability"] == pytest.approx(1 - 10 / 365, abs=1e-6)
    assert r["by_site"]["SKR"] == pytest.approx(10 / 365, abs=1e-4)
    assert r["saving_days"] == 0 and r["separate"]["down_days"] == 10
    json.dumps(r)  # plain JSON


def test_repeatable():
    data = problem([craft(f"L-{i}", last={"PI": due_last(40 + 3 * i, 365)}) for i in range(5)], [PI],
                   [site("SKR", "DNK", ["base"])])
    a, b = plan(data, time_limit_s=10), plan(data, time_limit_s=10)
    for r in (a, b, a["separate"], b["separate"]):
        r.pop("solve_s")
    assert a == b


# ---- capacity ----------------------------------------------------------------------------------------------------

def test_capacity_one_aircraft_at_a_time_and_no_lateness_when_the_window_has_room():
    # Three inspections due on day 50, 10 days each, one bay: the 36-day window (10 % of 365) holds all three.
    data = problem([craft(f"L-{i}", last={"PI": due_last(50, 365)}) for i in range(3)], [PI],
                   [site("SKR", "DNK", ["base"])])
    r = solve(data)
    spans = sorted((day(e["start"]), day(e["end"])) for e in r["events"])
    assert len(spans) == 3 and all(b0 < a1 for (_, b0), (a1, _) in zip(spans, spans[1:]))
    assert r["late_days"] == 0 and r["down_days"] == 30


def test_capacity_forces_lateness_which_counts_as_down():
    # Five inspections due on day 50 in one bay: 50 days of work, the window opens on day 14; some must be late.
    data = problem([craft(f"L-{i}", last={"PI": due_last(50, 365)}) for i in range(5)], [PI],
                   [site("SKR", "DNK", ["base"])])
    r = solve(data)
    assert len(r["events"]) == 5 and r["late_days"] > 0
    late = [e for e in r["events"] if e["late_days"]]
    # A late aircraft is grounded from its due date: down = work + the days it waited past due.
    assert r["down_days"] == 50 + sum(e["late_days"] for e in late)
    assert r["status"] == "optimal"
    # Optimal: back to back from the window's opening (day 14), so the fifth starts on day 54: 4 days late.
    assert r["late_days"] == 4 and r["down_days"] == 54


def test_capacity_per_capability_pools_run_side_by_side():
    pi = etype("PI", "base", days=365, duration=10, tolerance=0)
    eng = etype("ENG", "engine", days=365, duration=10, tolerance=0)
    fleet = [craft("L-1", last={"PI": due_last(50, 365)}), craft("L-2", last={"ENG": due_last(50, 365)})]
    r = solve(problem(fleet, [pi, eng], [site("SKR", "DNK", ["base", "engine"], capacity={"base": 1, "engine": 1})]))
    assert [e["start"] for e in r["events"]] == [d(50), d(50)] and r["late_days"] == 0
    r = solve(problem(fleet, [pi, eng], [site("SKR", "DNK", ["base", "engine"], capacity=1)]))
    a, b = sorted(r["events"], key=lambda e: e["start"])
    assert day(a["end"]) < day(b["start"]) and r["late_days"] == 10  # one pool for both capabilities


def test_site_closure_respected():
    data = problem([craft("L-1", last={"PI": due_last(20, 365)})], [etype("PI", "base", days=365, duration=10,
                                                                           tolerance=0)],
                   [site("SKR", "DNK", ["base"], unavailable=[(0, 40)])])
    r = solve(data)
    (e,) = r["events"]
    assert e["start"] == d(41) and e["late_days"] == 21
    assert r["down_days"] == 21 + 10  # grounded from the due date, then the work


# ---- transport and preferences -----------------------------------------------------------------------------------

def test_transport_counted_when_an_aircraft_goes_abroad():
    eng = etype("ENG", "engine", days=365, duration=14)
    data = problem([craft("L-1", last={"ENG": due_last(100, 365)})], [eng],
                   [site("SKR", "DNK", ["base"]), site("ROV", "FIN", ["engine"])],
                   transport={"DNK->FIN": 3, "FIN->DNK": 3})
    r = solve(data)
    (e,) = r["events"]
    assert e["site"] == "ROV" and e["transport_days"] == 3 and e["foreign"]
    assert day(e["down_from"]) == day(e["start"]) - 3 and day(e["down_to"]) == day(e["end"]) + 3
    assert r["down_days"] == 14 + 6
    # Alone, Denmark has no engine capacity: grounded from the due date to the horizon end.
    (u,) = r["separate"]["unplaced"]
    assert u["tail"] == "L-1" and u["due"] == d(100) and "engine" in u["why"] and u["down_days"] == 265
    assert r["separate"]["down_days"] == 265 and r["saving_days"] == 265 - 20


def test_transport_matrix_same_nation_and_own_base():
    types = [etype("PI", "base", days=365, duration=7), etype("CMP", "component", days=365, duration=7)]
    sites = [site("SKR", "DNK", ["base"]), site("TERMA", "DNK", ["component"])]
    fleet = [craft("L-1", last={"PI": due_last(60, 365), "CMP": due_last(120, 365)})]
    r = solve(problem(fleet, types, sites, transport={"same": 1}))
    by_type = {e["type"]: e for e in r["events"]}
    assert by_type["PI"]["transport_days"] == 0 and by_type["CMP"]["transport_days"] == 1
    r = solve(problem(fleet, types, sites, transport={"same": 1, "matrix": {"TERMA": {"SKR": 4}}}))
    assert {e["type"]: e["transport_days"] for e in r["events"]} == {"PI": 0, "CMP": 4}


def test_own_sites_only_keeps_aircraft_home():
    eng = etype("ENG", "engine", days=365, duration=14)
    data = problem([craft("L-1", last={"ENG": due_last(100, 365)})], [eng],
                   [site("SKR", "DNK", ["base"]), site("ROV", "FIN", ["engine"])],
                   prefs={"DNK": {"own_sites_only": True}})
    r = solve(data)
    assert r["events"] == []
    (u,) = r["unplaced"]
    assert "own_sites_only" in u["why"] and r["down_days"] == 265


def test_shared_third_country_site_open_to_both_plans():
    hvy = etype("HVY", "airframe", days=2190, duration=60)
    data = problem([craft("L-1", last={"HVY": due_last(100, 2190)})], [hvy], [site("CAM", "ITA", ["airframe"])],
                   transport={"DNK->ITA": 2}, prefs={"DNK": {"own_sites_only": True, "foreign_penalty": 50}})
    r = solve(data)
    (e,) = r["events"]
    assert e["site"] == "CAM" and not e["foreign"] and e["transport_days"] == 2
    assert r["separate"]["events"][0]["site"] == "CAM" and r["saving_days"] == 0
    assert r["cost"] == 64  # no foreign penalty at a shared site


@pytest.mark.parametrize("penalty, where", [(1, "ROV"), (1000, "SKR")])
def test_foreign_penalty_weighs_a_partner_site_against_lateness(penalty, where):
    # Home bay closed until day 59; due on day 30 with no tolerance: late at home (29 days) or 2 + 2 days abroad.
    pi = etype("PI", "base", days=365, duration=7, tolerance=0)
    data = problem([craft("L-1", last={"PI": due_last(30, 365)})], [pi],
                   [site("SKR", "DNK", ["base"], unavailable=[(0, 58)]), site("ROV", "FIN", ["base"])],
                   transport={"DNK->FIN": 2}, prefs={"DNK": {"foreign_penalty": penalty}})
    r = solve(data)
    (e,) = r["events"]
    assert e["site"] == where
    if where == "SKR":
        assert e["late_days"] == 29 and r["cost"] == 29 + 7 + 29 * 10
    else:
        assert e["late_days"] == 0 and r["down_days"] == 11 and r["cost"] == 11 + penalty


# ---- separate against joint --------------------------------------------------------------------------------------

def test_separate_against_joint_finland_uses_danish_component_capacity():
    cmp_ = etype("CMP", "component", hours=500, duration=14)
    fleet = [craft("JF-1", "FIN", "ROV", flight_hours=400, hours_per_year=365),
             craft("L-1", "DNK", "SKR", flight_hours=300, hours_per_year=365)]
    data = problem(fleet, [cmp_], [site("TERMA", "DNK", ["component"]), site("ROV", "FIN", ["base"])],
                   transport={"same": 1, "FIN->DNK": 2})
    r = solve(data)
    assert {(e["tail"], e["site"]) for e in r["events"]} == {("JF-1", "TERMA"), ("L-1", "TERMA")}
    sep = r["separate"]
    assert [u["tail"] for u in sep["unplaced"]] == ["JF-1"]
    assert sep["availability"] < r["availability"] and r["saving_days"] > 0
    assert r["cost"] <= sep["cost"]
    assert r["saving_days"] == sep["down_days"] - r["down_days"] and r["down_days_after"] == 0


def test_joint_never_worse_when_capacity_is_short_at_home():
    # Four Danish inspections in one Danish bay, a Finnish bay idle: the joint plan sends some abroad.
    fleet = [craft(f"L-{i}", last={"PI": due_last(50, 365)}) for i in range(6)]
    data = problem(fleet, [PI], [site("SKR", "DNK", ["base"]), site("ROV", "FIN", ["base"])],
                   transport={"DNK->FIN": 2}, prefs={"DNK": {"foreign_penalty": 1}})
    r = solve(data)
    sep = r["separate"]
    assert sep["late_days"] > 0 and r["late_days"] == 0
    assert any(e["site"] == "ROV" for e in r["events"])
    assert r["cost"] < sep["cost"] and r["saving_days"] > 0


# ---- due dates and windows ---------------------------------------------------------------------------------------

def test_due_by_hours_or_calendar_whichever_first():
    t = etype("ENG", "engine", hours=500, days=365, duration=7)
    sites = [site("SKR", "DNK", ["engine"])]
    # 400 h flown since the last event at 1 h a day: 100 h (100 days) left; the calendar gives day 265.
    by_hours = craft("L-1", flight_hours=400, last={"ENG": {"date": d(-100), "hours": 0}})
    # 100 h flown since: 400 days left; the calendar (last + 365) comes first.
    by_days = craft("L-2", flight_hours=500, last={"ENG": {"date": d(-100), "hours": 400}})
    r = solve(problem([by_hours, by_days], [t], sites))
    e1, e2 = events(r, "L-1")[0], events(r, "L-2")[0]
    assert e1["due"] == d(100) and e1["earliest"] == d(50)  # window: 10 % of the 500 h interval (500 days)
    assert e2["due"] == d(265) and e2["earliest"] == d(265 - 36)
    # A bare date: hours taken as flown at hours_per_year since then (= the flying interval as days).
    r = solve(problem([craft("L-3", last={"ENG": d(-450)})], [t], sites))
    assert events(r, "L-3")[0]["due"] == d(-450 + 365)
    # No history: the flying clock runs from new (flight_hours), the calendar from the start.
    r = solve(problem([craft("L-4", flight_hours=450)], [t], sites))
    assert events(r, "L-4")[0]["due"] == d(50)


def test_chain_next_due_counts_from_the_end_of_the_previous_event():
    t = etype("PI", "base", days=100, duration=10)
    r = solve(problem([craft("L-1", last={"PI": d(-90)})], [t], [site("SKR", "DNK", ["base"])], horizon=365))
    evs = sorted(events(r), key=lambda e: e["start"])
    assert evs[0]["due"] == d(10) and len(evs) == 4
    for prev, nxt in zip(evs, evs[1:]):
        assert day(nxt["due"]) == day(prev["end"]) + 1 + 100
    assert day(evs[-1]["end"]) + 1 + 100 >= 365  # the next one falls due after the horizon
    assert all(day(e["start"]) >= day(e["due"]) - 10 for e in evs)
    # Without tolerance each starts on its due date: 10 + 110 k.
    t["tolerance"] = 0
    r = solve(problem([craft("L-1", last={"PI": d(-90)})], [t], [site("SKR", "DNK", ["base"])], horizon=365))
    assert [e["due"] for e in r["events"]] == [e["start"] for e in r["events"]] == [d(10), d(120), d(230), d(340)]


def test_overdue_at_start_is_late_from_day_zero():
    r = solve(problem([craft("L-1", last={"PI": d(-400)})], [PI], [site("SKR", "DNK", ["base"])]))
    (e,) = r["events"]
    assert e["due"] == d(-35) and e["start"] == d(0) and e["late_days"] == 35
    assert r["down_days"] == 10


def test_work_past_the_horizon_end_is_counted_after_it():
    hvy = etype("HVY", "airframe", days=2190, duration=60, tolerance=0)
    data = problem([craft("L-1", last={"HVY": due_last(340, 2190)})], [hvy], [site("CAM", "ITA", ["airframe"])],
                   transport={"DNK->ITA": 2})
    r = solve(data)
    (e,) = r["events"]
    assert e["start"] == d(340) and e["down_to"] == d(340 + 60 + 1)
    assert r["down_days"] == 365 - 338 and r["down_days_after"] == 64 - 27
    assert r["cost"] == 64  # the objective counts the whole visit


def test_new_aircraft_counts_from_delivery():
    t = etype("PI", "base", days=50, duration=5, tolerance=0.2)
    fleet = [craft("L-9", available_from=100, base="SKR"), craft("L-10", available_from=400)]
    r = solve(problem(fleet, [t], [site("SKR", "DNK", ["base"])], horizon=365))
    evs = events(r, "L-9")
    assert evs[0]["due"] == d(150) and all(day(e["down_from"]) >= 100 for e in evs)
    assert r["aircraft_days"] == 365 - 100  # L-10 arrives after the horizon: no aircraft-days, no events
    assert not events(r, "L-10")


def test_period_grid():
    data = problem([craft(f"L-{i}", last={"PI": due_last(30 + 11 * i, 365)}) for i in range(4)], [PI],
                   [site("SKR", "DNK", ["base"])], period=7)
    r = solve(data)
    assert all(day(e["start"]) % 7 == 0 for e in r["events"] + r["separate"]["events"])


def test_unplaced_when_no_site_is_open():
    t = etype("CMP", "component", days=365, duration=7)
    data = problem([craft("JF-1", "FIN", "ROV", last={"CMP": due_last(100, 365)})], [t],
                   [site("PAT", "FIN", ["component"], unavailable=[(0, 400)])])
    r = solve(data)
    (u,) = r["unplaced"]
    assert u["due"] == d(100) and "closed" in u["why"] and "PAT" in u["why"] and r["down_days"] == 265


# ---- CSV ---------------------------------------------------------------------------------------------------------

def test_csv_export_columns_and_rows():
    data = problem([craft(f"L-{i}", last={"PI": due_last(40 + 20 * i, 365)}) for i in range(3)], [PI],
                   [site("SKR", "DNK", ["base"])])
    r = solve(data)
    rows = list(csv.DictReader(io.StringIO(to_csv(r))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS == (
        "tail", "nation", "type", "occurrence", "site", "site_nation", "due", "earliest", "start", "end",
        "transport_days", "down_from", "down_to", "late_days", "foreign")
    assert len(rows) == len(r["events"]) == 3
    assert [(x["tail"], x["start"], x["end"]) for x in rows] == [(e["tail"], e["start"], e["end"])
                                                                  for e in r["events"]]
    assert to_csv({"events": []}).strip() == ",".join(CSV_COLUMNS)


# ---- check_plan finds broken rules -------------------------------------------------------------------------------

def test_check_plan_reports_each_broken_rule():
    eng = etype("ENG", "engine", days=365, duration=14)
    data = problem([craft("L-1", last={"PI": due_last(50, 365), "ENG": due_last(200, 365)}),
                    craft("L-2", last={"PI": due_last(50, 365)})], [PI, eng],
                   [site("SKR", "DNK", ["base"]), site("ROV", "FIN", ["engine"])], transport={"DNK->FIN": 2})
    r = solve(data)
    pis = sorted(events(r, type_="PI"), key=lambda e: e["tail"])

    bad = copy.deepcopy(r)
    second = next(e for e in bad["events"] if e["tail"] == "L-2")
    second.update({k: pis[0][k] for k in ("start", "end", "earliest")})
    second.update(down_from=pis[0]["down_from"], down_to=pis[0]["down_to"])
    assert any("more aircraft in work than its capacity" in m for m in check_plan(data, bad))

    bad = copy.deepcopy(r)
    next(e for e in bad["events"] if e["type"] == "ENG")["transport_days"] = 0
    assert any("transport_days 0, should be 2" in m for m in check_plan(data, bad))

    bad = copy.deepcopy(r)
    bad["events"] = [e for e in bad["events"] if e["type"] != "ENG"]
    msgs = check_plan(data, bad)
    assert any("neither planned nor reported unplaced" in m for m in msgs)
    assert any("down_days" in m for m in msgs)

    bad = copy.deepcopy(r)
    e = next(e for e in bad["events"] if e["tail"] == "L-1" and e["type"] == "PI")
    e.update(start=d(0), end=d(9), down_from=d(0), down_to=d(9))
    assert any("before its window opens" in m for m in check_plan(data, bad))

    bad = copy.deepcopy(r)
    bad["separate"]["events"].append(dict(next(e for e in r["events"] if e["type"] == "ENG")))
    assert any(m.startswith("separate.") and "partner site" in m for m in check_plan(data, bad))


# ---- the demo ----------------------------------------------------------------------------------------------------

def test_demo_plans_both_fleets():
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    assert "INVENTED" in data["note"]
    p = parse(data)
    assert len(p.aircraft) == 107
    assert sum(a.nation == "DNK" for a in p.aircraft) == 43 and sum(a.nation == "FIN" for a in p.aircraft) == 64
    r = solve(data, time_limit_s=30)
    assert r["status"] in ("optimal", "feasible") and r["events"]
    assert r["cost"] <= r["separate"]["cost"] and r["saving_days"] > 0
    assert r["availability"] > r["separate"]["availability"]
    assert r["by_site"]["Patria-Linnavuori"] == 0 and r["by_site"]["Cameri"] > 0


# ---- bad input ---------------------------------------------------------------------------------------------------

def _valid():
    return copy.deepcopy(problem([craft("L-1", last={"PI": d(-300)})], [PI], [site("SKR", "DNK", ["base"])]))


def _set(path, value):
    def mutate(data):
        obj = data
        for k in path[:-1]:
            obj = obj[k]
        if value is _DELETE:
            del obj[path[-1]]
        else:
            obj[path[-1]] = value
        return data
    return mutate


_DELETE = object()

BAD = [
    (lambda _: [], "input: must be an object"),
    (_set(["start"], _DELETE), "start: missing"),
    (_set(["start"], "2027-02-30"), "start: '2027-02-30' is not a calendar date"),
    (_set(["horizon_days"], 0), "horizon_days: must be at least 1"),
    (_set(["horizon_days"], "730"), "horizon_days: must be a whole number"),
    (_set(["period_days"], -7), "period_days: must be at least 1"),
    (_set(["aircraft"], {}), "aircraft: must be a list"),
    (_set(["aircraft", 0, "tail"], _DELETE), "aircraft[0].tail: missing"),
    (_set(["aircraft", 0, "nation"], "SWE"), "aircraft[0].nation: must be DNK or FIN"),
    (_set(["aircraft", 0, "flight_hours"], -1), "aircraft[0].flight_hours: must not be negative"),
    (_set(["aircraft", 0, "flight_hours"], float("nan")), "aircraft[0].flight_hours: must be a finite number"),
    (_set(["aircraft", 0, "hours_per_year"], 0), "aircraft[0].hours_per_year: must be greater than 0"),
    (_set(["aircraft", 0, "last"], {"XYZ": d(-10)}), "aircraft[0].last.XYZ: unknown event type"),
    (_set(["aircraft", 0, "last"], {"PI": d(10)}), "aircraft[0].last.PI: 2027-01-11 is after start"),
    (_set(["aircraft", 0, "last"], {"PI": {"date": d(-10)}}), "aircraft[0].last.PI.hours: missing"),
    (_set(["aircraft", 0, "available_from"], "soon"), "aircraft[0].available_from: must be a date"),
    (lambda x: x["aircraft"].append(dict(x["aircraft"][0])) or x, "aircraft[1].tail: duplicate tail"),
    (_set(["event_types", 0, "duration_days"], -3), "event_types[0].duration_days: must be at least 1"),
    (_set(["event_types", 0, "duration_days"], 2.5), "event_types[0].duration_days: must be a whole number"),
    (_set(["event_types", 0, "interval_days"], _DELETE), "event_types[0]: needs interval_hours or interval_days"),
    (_set(["event_types", 0, "interval_hours"], -500), "event_types[0].interval_hours: must not be negative"),
    (_set(["event_types", 0, "tolerance"], 1.5), "event_types[0].tolerance: must be below 1"),
    (_set(["event_types", 0, "capability"], "laser"), "event_types[0].capability: no site offers 'laser'"),
    (_set(["sites", 0, "capabilities"], []), "sites[0].capabilities: must name at least one capability"),
    (_set(["sites", 0, "capacity"], {"engine": 1}), "sites[0].capacity.engine: unknown capability"),
    (_set(["sites", 0, "capacity"], {}), "sites[0].capacity.base: missing"),
    (_set(["sites", 0, "capacity"], -1), "sites[0].capacity: must not be negative"),
    (_set(["sites", 0, "nation"], "Denmark"), "sites[0].nation: must be a three-letter nation code"),
    (_set(["sites", 0, "unavailable"], [[d(10), d(5)]]), "sites[0].unavailable[0][1]: 2027-01-06 is before"),
    (_set(["sites", 0, "unavailable"], [d(10)]), "sites[0].unavailable[0]: must be a list [first, last]"),
    (_set(["transport_days"], {"DNK-FIN": 2}), "transport_days.DNK-FIN: unknown key"),
    (_set(["transport_days"], {"DNK->FIN": -2}), "transport_days.DNK->FIN: must not be negative"),
    (_set(["transport_days"], {"matrix": {"NOPE": {"SKR": 1}}}), "transport_days.matrix.NOPE: unknown site"),
    (_set(["transport_days"], {"matrix": {"SKR": {"Aalborg": 1}}}), "transport_days.matrix.SKR.Aalborg: unknown base"),
    (_set(["preferences"], {"SWE": {}}), "preferences.SWE: unknown nation"),
    (_set(["preferences"], {"DNK": {"own_sites_only": "yes"}}), "preferences.DNK.own_sites_only: must be true"),
    (_set(["preferences"], {"DNK": {"foreign_penalty": -1}}), "preferences.DNK.foreign_penalty: must not be"),
    (_set(["late_penalty"], "high"), "late_penalty: must be a number"),
]


@pytest.mark.parametrize("mutate, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_names_the_field(mutate, message):
    with pytest.raises(MaintenanceInputError) as info:
        plan(mutate(_valid()), time_limit_s=5)
    assert str(info.value).startswith(message), str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_top_level_keys_are_comments():
    data = _valid()
    data["note"] = "INVENTED"
    assert parse(data).horizon_days == 365


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | st.sampled_from(["2027-01-01", "DNK", "FIN", "base", "SKR", "PI", "L-1"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | st.sampled_from(
        ["start", "horizon_days", "aircraft", "event_types", "sites", "tail", "id", "capacity", "last"]),
        inner, max_size=5),
    max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_random_json_never_a_traceback(value):
    try:
        parse(value)
    except MaintenanceInputError:
        pass


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_BASE = problem([craft("L-1", last={"PI": d(-300), "ENG": {"date": d(-30), "hours": 0}}, flight_hours=10),
                 craft("JF-1", "FIN", "ROV", available_from=30)],
                [PI, etype("ENG", "engine", hours=300, duration=5)],
                [site("SKR", "DNK", ["base"], unavailable=[(5, 9)]),
                 site("ROV", "FIN", ["base", "engine"], capacity={"base": 1, "engine": 2})],
                horizon=120, period=7, transport={"same": 0, "DNK->FIN": 2, "matrix": {"ROV": {"SKR": 3}}},
                prefs={"DNK": {"foreign_penalty": 1}})
_BASE_PATHS = [p for p in _paths(_BASE) if p]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_BASE_PATHS), _json | st.just(_DELETE))
def test_mutated_input_plans_or_names_a_field(path, value):
    data = _set(list(path), value)(copy.deepcopy(_BASE))
    try:
        problem_ = parse(data)
    except MaintenanceInputError as exc:
        assert ":" in str(exc)
        return
    result = plan(data, time_limit_s=5)
    assert check_plan(problem_, result) == []


# ---- property: random small fleets -------------------------------------------------------------------------------

def independent_violations(data, result, mode="joint"):
    """Every broken rule, computed from the input JSON and the plan alone (none of the module's helpers)."""
    H, period = data["horizon_days"], data.get("period_days", 1)
    types = {t["id"]: t for t in data["event_types"]}
    sites = {s["id"]: s for s in data["sites"]}
    fleet = {a["tail"]: a for a in data["aircraft"]}
    transport = data.get("transport_days", {})
    prefs = data.get("preferences", {})
    out = []

    def ready(a):
        return max(0, day(a["available_from"])) if a.get("available_from") else 0

    def tr_days(a, s):
        if a["base"] == s["id"]:
            return 0
        if s["id"] in transport.get("matrix", {}) and a["base"] in transport["matrix"][s["id"]]:
            return transport["matrix"][s["id"]][a["base"]]
        if a["nation"] == s["nation"]:
            return transport.get("same", 0)
        return transport.get(f"{a['nation']}->{s['nation']}", transport.get("default", 2))

    use, away, chains = {}, {}, {}
    for e in result["events"]:
        a, t, s = fleet[e["tail"]], types[e["type"]], sites[e["site"]]
        start, end = day(e["start"]), day(e["end"])
        tr = tr_days(a, s)
        partner = s["nation"] in ("DNK", "FIN") and s["nation"] != a["nation"]
        if partner and (mode == "separate" or prefs.get(a["nation"], {}).get("own_sites_only")):
            out.append(f"{e['tail']} at partner site {s['id']}")
        if t["capability"] not in s["capabilities"]:
            out.append(f"{s['id']} cannot do {t['id']}")
        if end - start + 1 != t["duration_days"] or e["transport_days"] != tr:
            out.append(f"{e['tail']} {e['type']}: duration or transport wrong")
        if day(e["down_from"]) != start - tr or day(e["down_to"]) != end + tr or start - tr < ready(a):
            out.append(f"{e['tail']} {e['type']}: away days wrong")
        if start % period or not 0 <= start < H:
            out.append(f"{e['tail']} {e['type']}: start off the grid")
        pool = "*" if isinstance(s["capacity"], int) else t["capability"]
        for x in range(start, end + 1):
            use[s["id"], pool, x] = use.get((s["id"], pool, x), 0) + 1
        away.setdefault(e["tail"], []).append((start - tr, end + tr))
        chains.setdefault((e["tail"], e["type"]), []).append((start, end, e))
    for (sid, pool, x), n in use.items():
        s = sites[sid]
        cap = s["capacity"] if pool == "*" else s["capacity"][pool]
        closed = any(day(a) <= x <= day(b) for a, b in s.get("unavailable", []))
        if n > (0 if closed else cap):
            out.append(f"{sid}/{pool} over capacity on day {x}")
    for spans in away.values():
        spans.sort()
        out += [f"overlap {s0} {s1}" for s0, s1 in zip(spans, spans[1:]) if s1[0] <= s0[1]]
    unplaced = {(u["tail"], u["type"]): u for u in result["unplaced"]}
    down = {tail: set() for tail in fleet}
    for tail, a in fleet.items():
        r0 = ready(a)
        if r0 >= H:
            continue
        for tid, t in types.items():
            calendar = t.get("interval_days")
            flying = max(1, math.floor(t["interval_hours"] * 365 / a["hours_per_year"] + 1e-9)) \
                if t.get("interval_hours") else None
            last = a.get("last", {}).get(tid)
            options = []
            if isinstance(last, dict):
                clock = day(last["date"])
            elif isinstance(last, str):
                clock = day(last)
            else:
                clock = r0
            if calendar:
                options.append((clock + calendar, calendar))
            if flying:
                if isinstance(last, str):
                    options.append((clock + flying, flying))
                else:
                    flown = a["flight_hours"] - (last["hours"] if last else 0)
                    options.append((r0 + math.floor((t["interval_hours"] - flown) * 365 / a["hours_per_year"]
                                                    + 1e-9), flying))
            due, used = min(options)
            window = math.floor(t["tolerance"] * used + 1e-9)
            interval = min(x for x in (calendar, flying) if x)
            for start, end, e in sorted(chains.get((tail, tid), []), key=lambda x: x[0]):
                if due >= H:
                    out.append(f"{tail} {tid}: planned but not due in the horizon")
                if e["due"] != d(due) or start < due - window or e["late_days"] != max(0, start - due):
                    out.append(f"{tail} {tid}: due, window or lateness wrong")
                tr = e["transport_days"]
                down[tail].update(range(max(0, min(start - tr, max(due, r0))), min(H, end + tr + 1)))
                due, window = end + 1 + interval, math.floor(t["tolerance"] * interval + 1e-9)
            if due < H:
                if (tail, tid) not in unplaced or unplaced[tail, tid]["due"] != d(due):
                    out.append(f"{tail} {tid}: due {d(due)} neither planned nor unplaced")
                down[tail].update(range(max(due, r0), H))
            elif (tail, tid) in unplaced:
                out.append(f"{tail} {tid}: unplaced but not due")
    if sum(len(x) for x in down.values()) != result["down_days"]:
        out.append("down_days wrong")
    return out


@st.composite
def fleets(draw):
    caps = ["base", "engine"]
    sites_ = []
    for i in range(draw(st.integers(1, 3))):
        mine = draw(st.lists(st.sampled_from(caps), min_size=1, max_size=2, unique=True))
        capacity = draw(st.integers(1, 2) | st.fixed_dictionaries({c: st.integers(0, 2) for c in mine}))
        closed = draw(st.lists(st.tuples(st.integers(0, 90), st.integers(0, 20)), max_size=1))
        sites_.append(site(f"S{i}", draw(st.sampled_from(["DNK", "FIN", "ITA"])), mine, capacity,
                           [(a, a + n) for a, n in closed]))
    offered = sorted({c for s in sites_ for c in s["capabilities"]})
    types = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["days", "hours", "both"]))
        types.append(etype(f"T{i}", draw(st.sampled_from(offered)),
                           days=draw(st.integers(20, 150)) if kind != "hours" else None,
                           hours=draw(st.integers(20, 150)) if kind != "days" else None,
                           duration=draw(st.integers(1, 15)), tolerance=draw(st.sampled_from([0, 0.1, 0.25, 0.5]))))
    fleet = []
    for i in range(draw(st.integers(1, 4))):
        last = {}
        for t in types:
            form = draw(st.sampled_from(["none", "date", "hours"]))
            if form == "date":
                last[t["id"]] = d(-draw(st.integers(0, 160)))
            elif form == "hours":
                last[t["id"]] = {"date": d(-draw(st.integers(0, 160))), "hours": 0}
        delivered = draw(st.none() | st.integers(-20, 150))
        fleet.append(craft(f"A{i}", draw(st.sampled_from(["DNK", "FIN"])),
                           draw(st.sampled_from([s["id"] for s in sites_] + ["HOME"])),
                           last={} if delivered is not None and delivered > 0 else last,
                           flight_hours=draw(st.integers(0, 100)), hours_per_year=draw(st.integers(100, 800)),
                           available_from=delivered))
    transport = {"same": draw(st.integers(0, 2)), "DNK->FIN": draw(st.integers(0, 3)),
                 "FIN->DNK": draw(st.integers(0, 3)), "default": draw(st.integers(0, 3))}
    prefs = {n: {"own_sites_only": draw(st.sampled_from([False, False, True])),
                 "foreign_penalty": draw(st.integers(0, 3))}
             for n in ("DNK", "FIN")}
    return problem(fleet, types, sites_, horizon=draw(st.integers(30, 200)), period=draw(st.sampled_from([1, 1, 7])),
                   transport=transport, prefs=prefs, late_penalty=draw(st.integers(0, 10)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_property_every_plan_keeps_every_rule(data):
    result = plan(data, time_limit_s=1)
    assert check_plan(data, result) == []
    assert independent_violations(data, result) == []
    assert independent_violations(data, result["separate"], mode="separate") == []
    assert result["cost"] <= result["separate"]["cost"] + 1e-9  # the separate plan is a joint plan too
    spent = [x["down_days"] + x["down_days_after"] for x in (result["separate"], result)]
    assert result["saving_days"] == spent[0] - spent[1]
    assert 0 <= result["availability"] <= 1 and 0 <= result["separate"]["availability"] <= 1
    for r in (result, result["separate"]):
        assert r["bound"] is None or r["bound"] <= r["cost"] + 1e-6
    for u in result["unplaced"] + result["separate"]["unplaced"]:
        assert u["why"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_property_the_model_costs_a_plan_as_the_report_does(data):
    # The solver's objective and the reported cost are computed apart (model terms, _evaluate); the choice between
    # the solver's plan, the greedy one and the separate one relies on their agreeing.
    m = maintenance
    p = m.parse(data)
    cs = m.chains(p)
    for mode in ("separate", "joint"):
        greedy = m._greedy(p, cs, mode)
        found = m._solve_cp(p, cs, mode, greedy, time.perf_counter() + 1, 1)
        assert found is not None
        assert found.objective == m._evaluate(p, cs, mode, found)["_cost"]
        assert found.objective <= m._evaluate(p, cs, mode, greedy)["_cost"]  # the hint is a solution
