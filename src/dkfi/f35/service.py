"""The logic of F-35 cooperation, no HTTP: the fleet and industry registry, people, and the inputs of the spares
and maintenance models built from the stored records a session may see. Functions never commit."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label
from dkfi.core import records
from dkfi.core.records import OwnedElsewhere, record_label, upsert_keyed
from dkfi.f35.models import (Aircraft, Exchange, MaintenanceType, Person, PersonQualification, Site, SparesItem,
                             StockLevel, TrainingEvent)


ORDER_SHIP_YEARS = 0.008      # about 3 days from a national depot to its bases
CROSS_BORDER_YEARS = 0.019    # about 7 days across the border to the partner's bases (INVENTED, as the demo's)


# days to move an aircraft to a maintenance site and back, by nations (INVENTED, as the demo's)
TRANSPORT_DAYS = {"same": 1, "DNK->FIN": 2, "FIN->DNK": 2, "DNK->ITA": 2, "FIN->ITA": 3}


class Invalid(ValueError):
    """Input that refers to something impossible (the message names the field)."""


bare = records.bare_key
by_key = records.by_key


def _label(data: Any, ceiling: Classification | None) -> Label:
    lab = Label.from_text(data.classification, ",".join(data.releasable_to))
    if ceiling is not None and lab.classification > ceiling:
        raise Invalid(f"classification: {lab.classification.name} is above your clearance {ceiling.name}")
    return lab


def _save(session: Session, model: Any, key: str, fields: dict, data: Any, nation: str,
          ceiling: Classification | None) -> Any:
    try:
        return upsert_keyed(session, model, key, fields, _label(data, ceiling), nation)
    except OwnedElsewhere as exc:
        raise Invalid(str(exc)) from None


def _need(session: Session, model: Any, ref: str, field: str) -> Any:
    r = by_key(session, model, ref)
    if r is None:
        raise Invalid(f"{field}: no {model.__tablename__.removeprefix('f35_')} {ref!r} that you may see")
    return r


# ---- registry of fleets and industry ------------------------------------------------------------------------------

def save_site(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Site:
    fields = data.model_dump(exclude={"key", "classification", "releasable_to"})
    fields["unavailable"] = [[a.isoformat(), b.isoformat()] for a, b in data.unavailable]
    return _save(session, Site, data.key, fields, data, nation, ceiling)


def save_aircraft(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Aircraft:
    base = _need(session, Site, data.base, "base")
    fields = data.model_dump(exclude={"key", "classification", "releasable_to", "base", "last_events"})
    fields["base"] = bare(base.key)
    fields["last_events"] = {k: v.isoformat() if isinstance(v, date) else {"date": v.date.isoformat(),
                                                                             "hours": v.hours}
                             for k, v in data.last_events.items()}
    return _save(session, Aircraft, data.key, fields, data, nation, ceiling)


def save_person(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Person:
    fields = data.model_dump(exclude={"key", "classification", "releasable_to"})
    return _save(session, Person, data.key, fields, data, nation, ceiling)


def save_qualification(session: Session, data: Any, nation: str,
                       ceiling: Classification | None = None) -> PersonQualification:
    person = _need(session, Person, data.person, "person")
    if data.site:
        _need(session, Site, data.site, "site")
    key = f"{bare(person.key)}/{data.name}"
    return _save(session, PersonQualification, key, {"person": bare(person.key), "name": data.name,
                                                     "site": data.site, "valid_until": data.valid_until},
                 data, nation, ceiling)


def save_exchange(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> Exchange:
    person = _need(session, Person, data.person, "person")
    if person.nation == data.to_nation:
        raise Invalid(f"to_nation: {person.name} is already of {person.nation}; an exchange goes to the partner")
    key = f"{bare(person.key)}/{data.start.isoformat()}"
    return _save(session, Exchange, key, {"person": bare(person.key), "from_nation": person.nation,
                                          "to_nation": data.to_nation, "unit": data.unit, "start": data.start,
                                          "end": data.end, "role": data.role}, data, nation, ceiling)


def save_training(session: Session, data: Any, nation: str, ceiling: Classification | None = None) -> TrainingEvent:
    people = [bare(_need(session, Person, p, f"participants[{i}]").key) for i, p in enumerate(data.participants)]
    fields = data.model_dump(exclude={"key", "classification", "releasable_to", "participants"})
    fields["participants"] = people
    return _save(session, TrainingEvent, data.key, fields, data, nation, ceiling)


def _rows(session: Session, model: Any, order: Iterable[Any]) -> list[Any]:
    return list(session.scalars(select(model).order_by(*order)))


def aircraft_dict(a: Aircraft) -> dict:
    return {"tail": a.key, "nation": a.nation, "base": a.base, "delivery": a.delivery.isoformat() if a.delivery
            else None, "flight_hours": a.flight_hours, "hours_per_year": a.hours_per_year,
            "last_events": a.last_events or {}, "label": record_label(a)}


def site_dict(s: Site) -> dict:
    return {"key": s.key, "name": s.name, "nation": s.nation, "kind": s.kind, "capabilities": s.capabilities or [],
            "capacity": s.capacity, "unavailable": s.unavailable or [], "lat": s.lat, "lon": s.lon,
            "notes": s.notes, "label": record_label(s)}


def fleet(session: Session, as_of: date) -> dict:
    """Both fleets as the session sees them: aircraft by nation and base, delivered or on order by ``as_of``."""
    aircraft = _rows(session, Aircraft, (Aircraft.nation, Aircraft.key))
    by: dict[str, dict[str, dict[str, int]]] = {}
    for a in aircraft:
        delivered = a.delivery is None or a.delivery <= as_of
        cell = by.setdefault(a.nation, {}).setdefault(a.base, {"delivered": 0, "on_order": 0})
        cell["delivered" if delivered else "on_order"] += 1
    return {"as_of": as_of.isoformat(), "by_nation": by, "aircraft": [aircraft_dict(a) for a in aircraft],
            "sites": [site_dict(s) for s in _rows(session, Site, (Site.nation, Site.key))]}


# ---- people ---------------------------------------------------------------------------------------------------

def qualified_where(session: Session, as_of: date, warn_days: int = 90) -> list[dict]:
    """Who is qualified for what, where, and until when; exchanges in progress; expiring qualifications flagged,
    with the courses planned that give them again."""
    people = {bare(p.key): p for p in _rows(session, Person, (Person.nation, Person.name))}
    quals: dict[str, list[PersonQualification]] = {}
    for q in _rows(session, PersonQualification, (PersonQualification.name,)):
        quals.setdefault(q.person, []).append(q)
    exchanges: dict[str, list[Exchange]] = {}
    for x in _rows(session, Exchange, (Exchange.start,)):
        exchanges.setdefault(x.person, []).append(x)
    courses = [t for t in _rows(session, TrainingEvent, (TrainingEvent.start,)) if t.end >= as_of and t.qualifies]
    out = []
    for key, p in people.items():
        items = []
        for q in quals.get(key, []):
            left = (q.valid_until - as_of).days if q.valid_until else None
            state = "no_expiry" if left is None else "expired" if left < 0 else \
                "expiring" if left <= warn_days else "valid"
            renew = [{"key": t.key, "name": t.name, "start": t.start.isoformat(), "booked": key in (t.participants or [])}
                     for t in courses if (t.qualifies or "").lower() == q.name.lower()]
            items.append({"name": q.name, "site": q.site, "valid_until": q.valid_until.isoformat()
                          if q.valid_until else None, "state": state, "courses": renew, "label": record_label(q)})
        now = [x for x in exchanges.get(key, []) if x.start <= as_of <= x.end]
        out.append({"person": p.key, "name": p.name, "nation": p.nation, "role": p.role, "unit": p.unit,
                    "serving_in": now[0].to_nation if now else p.nation,
                    "exchange": ({"to_nation": now[0].to_nation, "unit": now[0].unit, "until": now[0].end.isoformat(),
                                  "role": now[0].role} if now else None),
                    "qualifications": items, "label": record_label(p)})
    return out


def exchange_dict(x: Exchange) -> dict:
    return {"key": x.key, "person": x.person, "from_nation": x.from_nation, "to_nation": x.to_nation,
            "unit": x.unit, "start": x.start.isoformat(), "end": x.end.isoformat(), "role": x.role,
            "label": record_label(x)}


def training_dict(t: TrainingEvent) -> dict:
    return {"key": t.key, "name": t.name, "kind": t.kind, "start": t.start.isoformat(), "end": t.end.isoformat(),
            "location": t.location, "qualifies": t.qualifies, "participants": t.participants or [],
            "label": record_label(t)}


# ---- model inputs from the stored records ---------------------------------------------------------------------------

def shared(record: Any) -> bool:
    """Released to both nations (or the owner's and released to the other): usable in a joint plan or pool."""
    nations = {record.owner_nation, *(record.releasable_to or "").split(",")}
    return {"DNK", "FIN"} <= nations


def stored_spares(session: Session, *, model: str = "vari-metric") -> dict:
    """The spares model's input (docs/f35.md) from the items, bases, aircraft and stock the session may see: one
    item entry per item id, its demand and repair figures merged over the nations that released theirs."""
    sites = {bare(s.key): s for s in _rows(session, Site, (Site.key,))}
    items: dict[str, dict] = {}
    for it in _rows(session, SparesItem, (SparesItem.item, SparesItem.key)):
        d = items.setdefault(it.item, {"id": it.item, "name": it.name, "unit_cost": it.unit_cost,
                                       "depot_repair_time": it.depot_repair_time, "demand": {},
                                       "base_repair_fraction": {}, "base_repair_time": {}})
        for field in ("demand", "base_repair_fraction", "base_repair_time"):
            d[field].update({b: v for b, v in (getattr(it, field) or {}).items() if b in sites})
    aircraft: dict[str, int] = {}
    for a in _rows(session, Aircraft, (Aircraft.key,)):
        aircraft[a.base] = aircraft.get(a.base, 0) + 1
    # a base counts where the session sees aircraft flying (availability is per aircraft)
    bases = sorted({b for d in items.values() for b in d["demand"]} & set(aircraft))
    for d in items.values():
        for field in ("demand", "base_repair_fraction", "base_repair_time"):
            d[field] = {b: v for b, v in d[field].items() if b in bases}
    # the shared depot: a depot or company with component capability that both nations may see (a national-only
    # site cannot serve the partner), the most capacious first, then by key
    depots = sorted((s for s in sites.values() if s.kind in ("depot", "company") and shared(s)
                     and "component" in (s.capabilities or [])),
                    key=lambda s: (-(s.capacity or {}).get("component", 0), s.key))
    pooled = bare(depots[0].key) if depots else "shared depot"
    pooled_nation = depots[0].nation if depots else None
    stock: dict[str, dict[str, int]] = {}
    for st in _rows(session, StockLevel, (StockLevel.key,)):
        if st.item in items and (st.site in bases or st.site == pooled):
            stock.setdefault(st.item, {})[st.site] = st.quantity
    return {"model": model, "depot": pooled,
            "national_depots": {n: f"{n} national depot" for n in sorted({sites[b].nation for b in bases})},
            "bases": [{"id": b, "nation": sites[b].nation, "order_ship_time": ORDER_SHIP_YEARS,
                       "pooled_order_ship_time": ORDER_SHIP_YEARS if sites[b].nation == pooled_nation
                       else CROSS_BORDER_YEARS} for b in bases],
            "items": [{k: v for k, v in d.items() if k != "name"} for d in items.values() if d["demand"]],
            "aircraft": {b: aircraft[b] for b in bases}, "stock": stock}


def _clip(last: dict, start: date) -> dict:
    """Last-event dates after the planning start count as done at the start (the planner plans from there)."""
    out: dict[str, Any] = {}
    for k, v in (last or {}).items():
        d = v if isinstance(v, str) else (v or {}).get("date")
        if isinstance(d, str) and d > start.isoformat():
            v = start.isoformat() if isinstance(v, str) else dict(v, date=start.isoformat())
        out[k] = v
    return out


def stored_maintenance(session: Session, *, start: date, horizon_days: int) -> dict:
    """The maintenance planner's input (docs/f35.md) from the stored fleet, sites and maintenance types. Only sites
    released to both nations take part (the joint plan may send either nation's aircraft there); a third
    country's site (Cameri) counts when both may see it."""
    types = _rows(session, MaintenanceType, (MaintenanceType.key,))
    sites = [s for s in _rows(session, Site, (Site.key,)) if shared(s)]
    return {
        "start": start.isoformat(), "horizon_days": horizon_days, "period_days": 7,
        "aircraft": [{"tail": bare(a.key), "nation": a.nation, "base": a.base, "flight_hours": a.flight_hours,
                      "hours_per_year": a.hours_per_year, "last": _clip(a.last_events, start),
                      **({"available_from": a.delivery.isoformat()} if a.delivery and a.delivery > start else {})}
                     for a in _rows(session, Aircraft, (Aircraft.key,))],
        "event_types": [{"id": bare(t.key), "duration_days": t.duration_days, "tolerance": t.tolerance,
                         "capability": t.capability,
                         **({"interval_hours": t.interval_hours} if t.interval_hours else {}),
                         **({"interval_days": t.interval_days} if t.interval_days else {})} for t in types],
        "sites": [{"id": bare(s.key), "nation": s.nation, "capabilities": s.capabilities or [],
                   "capacity": s.capacity, "unavailable": s.unavailable or []}
                  for s in sites if s.capabilities],  # a closed site too: its events are then reported unplaced
        "transport_days": TRANSPORT_DAYS, "preferences": {n: {"own_sites_only": False, "foreign_penalty": 1}
                                                          for n in ("DNK", "FIN")},
    }
