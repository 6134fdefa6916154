"""Seed data for the demo and first use: the real 2025-26 exercises (data/exercises-2025-26.csv, sources in
data/SOURCES.md) and an INVENTED set of Danish and Finnish units, objectives, qualifications, participations,
costs and 2027 plans, so the calendar, the matrix, competencies, the planner and lessons have something to show.
Unit names are real formations; every figure about them (availability, costs, qualifications, who attended
what) is invented and marked so in the records' descriptions."""
from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification
from dkfi.exercises import service
from dkfi.exercises.models import Exercise, Unit
from dkfi.exercises.schemas import (ExerciseIn, LessonIn, ObjectiveIn, ParticipationIn, QualificationIn, UnitIn)

INVENTED = "INVENTED for the demo"

# key, name, nation, service, type, home base, NATO-style capability codes (invented), max exercises a year
UNITS = [
    ("dk-fw-skrydstrup", "Fighter Wing Skrydstrup", "DNK", "air force", "F-35A wing", "Skrydstrup", ["AF-FTR", "AF-DCA"], 3),
    ("dk-frigate-sq", "2nd Squadron (frigates)", "DNK", "navy", "frigate squadron", "Korsør", ["MN-FFG", "MN-ASW"], 3),
    ("dk-mcm", "Naval Mine Countermeasures", "DNK", "navy", "MCM group", "Frederikshavn", ["MN-MCM"], 2),
    ("dk-1bde", "1st Brigade", "DNK", "army", "mechanised brigade", "Holstebro", ["LD-MECH-BDE"], 2),
    ("dk-cyber", "Danish Defence Cyber Command", "DNK", "joint", "cyber unit", "Copenhagen", ["CY-DCO"], 2),
    ("fi-karelia-aw", "Karelia Air Wing", "FIN", "air force", "fighter wing", "Rissala", ["AF-FTR", "AF-DCA"], 3),
    ("fi-coastal-fleet", "Coastal Fleet", "FIN", "navy", "surface combatants", "Turku", ["MN-FS", "MN-ASW"], 3),
    ("fi-mcm", "Coastal Fleet mine countermeasures", "FIN", "navy", "MCM squadron", "Upinniemi", ["MN-MCM"], 2),
    ("fi-jaeger-bde", "Jaeger Brigade", "FIN", "army", "arctic brigade", "Sodankylä", ["LD-ARC-BDE"], 2),
    ("fi-cyber", "Finnish Defence Forces Cyber Defence", "FIN", "joint", "cyber unit", "Helsinki", ["CY-DCO"], 2),
]

# key, name, unit a, unit b, capability, priority, desired interval (days)
OBJECTIVES = [
    ("air-dca", "Combined defensive counter-air", "dk-fw-skrydstrup", "fi-karelia-aw", "AF-DCA", 8, 365),
    ("mar-asw", "Anti-submarine warfare in the Baltic", "dk-frigate-sq", "fi-coastal-fleet", "MN-ASW", 6, 365),
    ("mar-mcm", "Mine countermeasures, shared tactics", "dk-mcm", "fi-mcm", "MN-MCM", 7, 540),
    ("mar-cip", "Seabed infrastructure protection", "dk-frigate-sq", "fi-coastal-fleet", "MN-CIP", 9, 365),
    ("land-arctic", "Brigade operations in arctic conditions", "dk-1bde", "fi-jaeger-bde", "LD-ARC", 5, 730),
    ("cyber-dco", "Defensive cyber operations, joint playbook", "dk-cyber", "fi-cyber", "CY-DCO", 6, 365),
]

# exercise key -> (objectives it practises, qualifications it renews, cost per attending unit by nation, kEUR)
PRACTISE = {
    "ramstein-flag-25-2025": (["air-dca"], ["TACEVAL"], {"DNK": 420.0, "FIN": 380.0}),
    "baltops-25-2025": (["mar-asw", "mar-mcm", "mar-cip"], ["MARSUR certification"], {"DNK": 300.0, "FIN": 260.0}),
    "freezing-winds-25-2025": (["mar-mcm", "mar-cip"], [], {"DNK": 180.0, "FIN": 90.0}),
    "cold-response-26-2026": (["land-arctic", "air-dca"], ["CREVAL"], {"DNK": 650.0, "FIN": 400.0}),
    "nordic-lynx-26-2026": (["land-arctic"], ["CREVAL"], {"DNK": 500.0, "FIN": 250.0}),
    "northern-tern-26-2026": (["mar-cip", "mar-asw", "air-dca"], ["MARSUR certification"], {"DNK": 220.0, "FIN": 240.0}),
    "boreal-link-26-2026": (["cyber-dco"], ["CYBER readiness"], {"DNK": 60.0, "FIN": 60.0}),
}

# INVENTED 2027 plans (names and dates invented; none is a real exercise announcement)
PLANS_2027 = [
    ("Baltic Shield 27", "NATO", ["maritime", "air"], date(2027, 6, 7), date(2027, 6, 18), "Baltic Sea",
     ["mar-asw", "mar-cip", "air-dca"], ["MARSUR certification"], {"DNK": 310.0, "FIN": 270.0}),
    ("Arctic Forge 27", "NORDEFCO", ["land", "joint"], date(2027, 3, 8), date(2027, 3, 19), "Lapland",
     ["land-arctic"], ["CREVAL"], {"DNK": 520.0, "FIN": 240.0}),
    ("Nordic Sky 27", "JEF", ["air"], date(2027, 4, 12), date(2027, 4, 23), "Bothnian Bay",
     ["air-dca"], ["TACEVAL"], {"DNK": 400.0, "FIN": 350.0}),
    ("Seabed Guard 27", "bilateral", ["maritime"], date(2027, 9, 13), date(2027, 9, 17), "Gulf of Finland",
     ["mar-cip", "mar-mcm"], [], {"DNK": 150.0, "FIN": 80.0}),
    ("Sound Link 27", "bilateral", ["cyber"], date(2027, 10, 4), date(2027, 10, 8), "distributed",
     ["cyber-dco"], ["CYBER readiness"], {"DNK": 50.0, "FIN": 50.0}),
]

# who attended what (INVENTED): exercise key -> unit keys
ATTENDED = {
    "ramstein-flag-25-2025": ["dk-fw-skrydstrup", "fi-karelia-aw"],
    "baltops-25-2025": ["dk-frigate-sq", "fi-coastal-fleet", "dk-mcm"],
    "freezing-winds-25-2025": ["dk-mcm", "fi-mcm", "fi-coastal-fleet"],
    "cold-response-26-2026": ["dk-1bde", "fi-jaeger-bde"],
    "northern-tern-26-2026": ["dk-frigate-sq", "fi-coastal-fleet"],
}
PLANNED = {"arctic-forge-27-2027": ["fi-jaeger-bde"], "baltic-shield-27-2027": ["dk-frigate-sq"]}

QUALIFICATIONS = [
    ("dk-fw-skrydstrup", "TACEVAL", "NATO level 2", date(2027, 5, 31)),
    ("fi-karelia-aw", "TACEVAL", "NATO level 2", date(2027, 2, 28)),
    ("dk-1bde", "CREVAL", "combat ready", date(2026, 11, 30)),
    ("fi-jaeger-bde", "CREVAL", "combat ready", date(2027, 6, 30)),
    ("dk-frigate-sq", "MARSUR certification", "full", date(2027, 8, 31)),
    ("fi-coastal-fleet", "MARSUR certification", "full", date(2028, 3, 31)),
    ("dk-cyber", "CYBER readiness", "level 1", date(2027, 1, 15)),
]


def _availability(nation: str, i: int) -> list[tuple[date, date]]:
    """Two windows a year, staggered by unit (INVENTED)."""
    out = []
    for year in (2025, 2026, 2027):
        out.append((date(year, 2, 1) + timedelta(days=7 * i), date(year, 6, 30)))
        out.append((date(year, 8, 15), date(year, 12, 15) - timedelta(days=5 * i)))
    return out


def seed(session: Session, nation: str = "DNK") -> dict[str, int]:
    """Store the seed set (idempotent: a second run updates the same records). Records of Finnish units and
    objectives are owned by FIN, as if received from the Finnish node; the rest by ``nation``."""
    from dkfi.exercises.calendar_io import parse_calendar_csv

    counts = {"exercises": 0, "units": 0, "objectives": 0, "qualifications": 0, "participations": 0, "lessons": 0}
    text = (resources.files("dkfi.exercises") / "data" / "exercises-2025-26.csv").read_text(encoding="utf-8")
    parsed = parse_calendar_csv(text)
    if parsed.rejected:
        raise RuntimeError(f"seed calendar has bad rows: {parsed.rejected}")
    for i, (key, name, nat, svc, typ, base, caps, max_ex) in enumerate(UNITS):
        service.save_unit(session, UnitIn(key=key, name=name, nation=nat, service=svc, type=typ, home_base=base,
                                          capability_codes=caps, readiness="high", max_exercises=max_ex,
                                          availability=_availability(nat, i % 5)), nat)
        counts["units"] += 1
    for row in parsed.rows:
        key = f"{service.slug(row.name)}-{row.start.year}"
        practises, renews, cost = PRACTISE.get(key, ([], [], {}))
        ms = {m.name.lower(): m.date for m in row.milestones}
        service.save_exercise(session, ExerciseIn(
            key=key, name=row.name, series=row.series, framework=row.framework, organiser=row.organiser,
            start=row.start, end=row.end, domains=list(row.domains), location=row.location, lat=row.lat,
            lon=row.lon, ipc=ms.get("ipc"), mpc=ms.get("mpc"), fpc=ms.get("fpc"), practises=practises,
            renews=renews, cost=cost, description=(row.description or "") +
            (f" Objectives, costs and renewals: {INVENTED}." if key in PRACTISE else "")), nation)
        counts["exercises"] += 1
    for name, fw, doms, start, end, loc, practises, renews, cost in PLANS_2027:
        service.save_exercise(session, ExerciseIn(
            name=name, framework=fw, domains=doms, start=start, end=end, location=loc, practises=practises,
            renews=renews, cost=cost, mpc=start - timedelta(days=120), fpc=start - timedelta(days=45),
            description=f"{INVENTED}: not a real exercise."), nation)
        counts["exercises"] += 1
    for key, name, a, b, cap, prio, interval in OBJECTIVES:
        service.save_objective(session, ObjectiveIn(key=key, name=name, unit_a=a, unit_b=b, capability=cap,
                                                    priority=prio, interval_days=interval), nation)
        counts["objectives"] += 1
    for unit, name, level, until in QUALIFICATIONS:
        owner = "FIN" if unit.startswith("fi-") else "DNK"
        service.save_qualification(session, QualificationIn(unit=unit, name=name, level=level, valid_until=until),
                                   owner)
        counts["qualifications"] += 1
    for plan, status in ((ATTENDED, "confirmed"), (PLANNED, "planned")):
        for ex, units in plan.items():
            for unit in units:
                owner = "FIN" if unit.startswith("fi-") else "DNK"
                service.save_participation(session, ParticipationIn(unit=unit, exercise=ex, status=status,
                                                                    role="participant"), owner)
                counts["participations"] += 1
    if not session.scalar(select(func.count()).select_from(service.Lesson)):
        lesson = service.add_lesson(session, LessonIn(
            title="Shared picture of seabed infrastructure came late", exercise="baltops-25-2025",
            objective="mar-cip", observation=f"{INVENTED}: the Danish and Finnish units exchanged the cable "
            "route picture by e-mail on day 3; a shared feed from the start would have saved a day.",
            classification=Classification.RESTRICTED.name), nation, "seed")
        counts["lessons"] += 1
        assert lesson.id is not None
    return counts


def demo_options(settings: Any, options: dict[str, Any]) -> None:
    """``make demo``: seed the demo database (the demo's live options need nothing from this domain)."""
    from dkfi.core.db import get_engine, session_scope

    with session_scope(get_engine(settings.effective_database_url)) as s:
        if s.scalar(select(func.count(Exercise.id))) == 0 or s.scalar(select(func.count(Unit.id))) == 0:
            seed(s, settings.nation)
