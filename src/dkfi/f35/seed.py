"""Seed data for the demo and first use: both fleets with their public numbers (Denmark 43 F-35A at Skrydstrup,
Finland 64 at Rovaniemi and Kuopio-Rissala: ../shared/domain.md section 5), the sites, an INVENTED item list and
maintenance programme (data/spares-demo.json, data/maintenance-demo.json; SOURCES*.md say what is invented), and
INVENTED people, exchanges and courses. Each nation owns its own records, released to the other."""
from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dkfi.core.labels import Label
from dkfi.core.records import upsert_keyed
from dkfi.f35 import service
from dkfi.f35.models import Aircraft, MaintenanceType, SparesItem
from dkfi.f35.schemas import AircraftIn, ExchangeIn, PersonIn, QualificationIn, SiteIn, TrainingIn

SHARED: dict[str, Any] = dict(classification="RESTRICTED", releasable_to=["DNK", "FIN"])
LABEL = Label.from_text("RESTRICTED", "DNK,FIN")
SITE_KIND = {"Skrydstrup": "base", "Rovaniemi": "base", "Kuopio-Rissala": "base"}
PEOPLE = [  # INVENTED people
    ("p-dk-01", "Maj. A. Holm", "DNK", "pilot", "Fighter Wing Skrydstrup"),
    ("p-dk-02", "Sgt. B. Krogh", "DNK", "maintainer", "Fighter Wing Skrydstrup"),
    ("p-fi-01", "Capt. J. Virtanen", "FIN", "pilot", "Lapland Air Wing"),
    ("p-fi-02", "Sgt. M. Korhonen", "FIN", "maintainer", "Lapland Air Wing"),
    ("p-fi-03", "Maj. K. Laine", "FIN", "instructor", "Karelia Air Wing"),
]
QUALS = [("p-dk-01", "F-35A instructor pilot", "Skrydstrup", date(2027, 2, 28)),
         ("p-dk-02", "F-35 power module maintainer", "Skrydstrup", date(2028, 6, 30)),
         ("p-fi-01", "F-35A mission qualified", "Rovaniemi", date(2026, 12, 20)),
         ("p-fi-02", "F-35 power module maintainer", "Rovaniemi", date(2027, 1, 31)),
         ("p-fi-03", "F-35A instructor pilot", "Kuopio-Rissala", date(2028, 3, 31))]


def _demo(name: str) -> dict:
    return json.loads((resources.files("dkfi.f35") / "data" / name).read_text(encoding="utf-8"))


def seed(session: Session) -> dict[str, int]:
    """Store the seed set (idempotent: a second run updates the same records)."""
    maint, spares = _demo("maintenance-demo.json"), _demo("spares-demo.json")
    counts = {"sites": 0, "aircraft": 0, "maintenance types": 0, "spares items": 0, "people": 0}
    nation_of_base = {b["id"]: b["nation"] for b in spares["bases"]}
    for s in maint["sites"]:
        kind = SITE_KIND.get(s["id"], "company")
        cap = s["capacity"] if isinstance(s["capacity"], dict) else {c: s["capacity"] for c in s["capabilities"]}
        owner = s["nation"] if s["nation"] in ("DNK", "FIN") else "DNK"  # a third country's site: recorded by DNK
        service.save_site(session, SiteIn(key=s["id"], name=s.get("name", s["id"]), nation=s["nation"], kind=kind,
                                          capabilities=s["capabilities"], capacity=cap,
                                          unavailable=[tuple(w) for w in s.get("unavailable", [])],
                                          notes="capacity and closures INVENTED", **SHARED), owner)
        counts["sites"] += 1
    for a in maint["aircraft"]:
        last = {k: (date.fromisoformat(v) if isinstance(v, str) else v) for k, v in a.get("last", {}).items()}
        delivered = a.get("available_from")
        service.save_aircraft(session, AircraftIn(
            key=a["tail"], nation=a["nation"], base=a["base"], flight_hours=a.get("flight_hours", 0.0),
            hours_per_year=a.get("hours_per_year", 250.0), last_events=last,
            delivery=date.fromisoformat(delivered) if delivered else None, **SHARED), a["nation"])
        counts["aircraft"] += 1
    label = LABEL
    for t in maint["event_types"]:
        upsert_keyed(session, MaintenanceType, t["id"], {
            "name": t.get("name", t["id"]), "interval_hours": t.get("interval_hours"),
            "interval_days": t.get("interval_days"), "duration_days": t["duration_days"],
            "tolerance": t.get("tolerance", 0.1), "capability": t["capability"]}, label, "DNK")
        counts["maintenance types"] += 1
    for it in spares["items"]:
        for nation in ("DNK", "FIN"):
            mine = {b for b, n in nation_of_base.items() if n == nation}
            demand = {b: r for b, r in it["demand"].items() if b in mine}
            if not demand:
                continue
            upsert_keyed(session, SparesItem, f"{nation}/{it['id']}", {
                "item": it["id"], "name": it.get("name", it["id"]), "unit_cost": it["unit_cost"],
                "depot_repair_time": it["depot_repair_time"], "demand": demand,
                "base_repair_fraction": {b: f for b, f in it.get("base_repair_fraction", {}).items() if b in mine},
                "base_repair_time": {b: t for b, t in it.get("base_repair_time", {}).items() if b in mine},
                "qpa": spares.get("qpa", {}).get(it["id"], 1)}, label, nation)
            counts["spares items"] += 1
    for key, name, nation, role, unit in PEOPLE:
        service.save_person(session, PersonIn(key=key, name=name, nation=nation, role=role, unit=unit, **SHARED),
                            nation)
        counts["people"] += 1
    for person, name, site, until in QUALS:
        nation = "DNK" if person.startswith("p-dk") else "FIN"
        service.save_qualification(session, QualificationIn(person=person, name=name, site=site, valid_until=until,
                                                            **SHARED), nation)
    service.save_exchange(session, ExchangeIn(person="p-dk-01", to_nation="FIN", unit="Lapland Air Wing",
                                              start=date(2026, 8, 1), end=date(2027, 7, 31),
                                              role="instructor pilot (INVENTED)", **SHARED), "DNK")
    service.save_exchange(session, ExchangeIn(person="p-fi-02", to_nation="DNK", unit="Fighter Wing Skrydstrup",
                                              start=date(2027, 3, 1), end=date(2027, 8, 31),
                                              role="maintainer exchange (INVENTED)", **SHARED), "FIN")
    service.save_training(session, TrainingIn(
        key="joint-ip-course-2027", name="Joint F-35A instructor pilot course (INVENTED)", kind="course",
        start=date(2027, 1, 11), end=date(2027, 2, 19), location="Skrydstrup", qualifies="F-35A instructor pilot",
        participants=["p-dk-01", "p-fi-03"], **SHARED), "DNK")
    service.save_training(session, TrainingIn(
        key="power-module-course-2027", name="F-35 power module course (INVENTED)", kind="course",
        start=date(2027, 1, 18), end=date(2027, 1, 29), location="Rovaniemi",
        qualifies="F-35 power module maintainer", participants=["p-fi-02"], **SHARED), "FIN")
    service.save_training(session, TrainingIn(
        key="nordic-f35-exchange-2027", name="Nordic F-35 cross-servicing exercise (INVENTED)", kind="event",
        start=date(2027, 5, 3), end=date(2027, 5, 7), location="Rovaniemi",
        participants=["p-dk-01", "p-dk-02", "p-fi-01", "p-fi-02"], **SHARED), "FIN")
    return counts


def demo_options(settings: Any, options: dict[str, Any]) -> None:
    """``make demo``: seed the demo database once."""
    from dkfi.core.db import get_engine, session_scope

    with session_scope(get_engine(settings.effective_database_url)) as s:
        if not s.scalar(select(func.count(Aircraft.id))):
            seed(s)
