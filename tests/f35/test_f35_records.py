"""F-35 records: fleets and industry, people and exchanges, by natural key and label (SQLite and PostgreSQL), and
the model inputs built from what a session may see."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from dkfi.core.access import user_session
from dkfi.core.db import session_scope
from dkfi.core.identity import Principal
from dkfi.core.labels import Classification
from dkfi.f35 import service
from dkfi.f35.schemas import AircraftIn, ExchangeIn, PersonIn, QualificationIn, SiteIn, TrainingIn
from tests.conftest import login

REL = dict(classification="RESTRICTED", releasable_to=["DNK", "FIN"])


@pytest.fixture
def fleet_db(engine):
    with session_scope(engine) as s:
        service.save_site(s, SiteIn(key="skrydstrup", name="Skrydstrup", nation="DNK", kind="base",
                                    capabilities=["base"], capacity={"base": 4}, **REL), "DNK")
        service.save_site(s, SiteIn(key="rovaniemi", name="Rovaniemi", nation="FIN", kind="base",
                                    capabilities=["base"], capacity={"base": 4}, **REL), "FIN")
        service.save_site(s, SiteIn(key="dk-secret-depot", name="Hidden depot", nation="DNK", kind="depot",
                                    capabilities=["component"], capacity={"component": 2}, classification="SECRET",
                                    releasable_to=["DNK"]), "DNK")
        for i in range(3):
            service.save_aircraft(s, AircraftIn(key=f"L-{i:03d}", nation="DNK", base="skrydstrup",
                                                delivery=date(2024 + i, 1, 1), **REL), "DNK")
        service.save_aircraft(s, AircraftIn(key="HX-01", nation="FIN", base="rovaniemi", delivery=date(2027, 1, 1),
                                            **REL), "FIN")
        service.save_person(s, PersonIn(key="p-anna", name="Anna", nation="DNK", role="pilot", **REL), "DNK")
        service.save_qualification(s, QualificationIn(person="p-anna", name="F-35A IP", site="skrydstrup",
                                                      valid_until=date(2027, 2, 1), **REL), "DNK")
        service.save_training(s, TrainingIn(key="ip-course-27", name="IP course", kind="course",
                                            start=date(2027, 1, 10), end=date(2027, 1, 20), qualifies="F-35A IP",
                                            participants=["p-anna"], **REL), "FIN")
        service.save_exchange(s, ExchangeIn(person="p-anna", to_nation="FIN", unit="Lapland Air Wing",
                                            start=date(2026, 8, 1), end=date(2027, 7, 31), role="IP", **REL), "DNK")
    return engine


def test_fleet_counts_delivered_and_on_order(fleet_db):
    with session_scope(fleet_db) as s:
        f = service.fleet(s, date(2025, 6, 1))
    assert f["by_nation"] == {"DNK": {"skrydstrup": {"delivered": 2, "on_order": 1}},
                              "FIN": {"rovaniemi": {"delivered": 0, "on_order": 1}}}


def test_people_view_shows_exchange_expiry_and_renewing_course(fleet_db):
    with session_scope(fleet_db) as s:
        (anna,) = service.qualified_where(s, date(2026, 12, 1), warn_days=90)
    assert anna["serving_in"] == "FIN" and anna["exchange"]["unit"] == "Lapland Air Wing"
    q = anna["qualifications"][0]
    assert q["state"] == "expiring" and q["courses"] == [{"key": "ip-course-27", "name": "IP course",
                                                          "start": "2027-01-10", "booked": True}]


def test_references_and_rules_name_the_field(fleet_db):
    with session_scope(fleet_db) as s:
        with pytest.raises(service.Invalid, match="base: no site 'nowhere'"):
            service.save_aircraft(s, AircraftIn(key="X", nation="DNK", base="nowhere"), "DNK")
        with pytest.raises(service.Invalid, match="an exchange goes to the partner"):
            service.save_exchange(s, ExchangeIn(person="p-anna", to_nation="DNK", unit="u", start=date(2027, 1, 1),
                                                end=date(2027, 2, 1)), "DNK")
        with pytest.raises(service.Invalid, match="belongs to FIN"):
            service.save_aircraft(s, AircraftIn(key="HX-01", nation="FIN", base="rovaniemi"), "DNK")
    with pytest.raises(ValueError, match="end 2027-01-01 is before start"):
        ExchangeIn(person="p", to_nation="FIN", unit="u", start=date(2027, 2, 1), end=date(2027, 1, 1))
    with pytest.raises(ValueError, match="not one of base, depot, company"):
        SiteIn(key="x", name="x", nation="DNK", kind="hangar")


def test_model_inputs_hold_only_what_the_session_may_see(fleet_db):
    fin = Principal("fi", "FIN", Classification.SECRET, frozenset({"planner"}))
    with user_session(fleet_db, fin) as s:
        problem = service.stored_maintenance(s, start=date(2027, 1, 1), horizon_days=365)
    assert {x["id"] for x in problem["sites"]} == {"skrydstrup", "rovaniemi"}  # not the DNK-only depot
    assert {a["tail"] for a in problem["aircraft"]} == {"L-000", "L-001", "L-002", "HX-01"}
    assert [a.get("available_from") for a in problem["aircraft"] if a["tail"] == "L-002"] == [None]
    dk = Principal("dk", "DNK", Classification.SECRET, frozenset({"planner"}))
    with user_session(fleet_db, dk) as s:
        mine = service.stored_maintenance(s, start=date(2027, 1, 1), horizon_days=365)
    # the Danish SECRET depot is visible to DNK but not released to FIN: no joint plan sends aircraft there
    assert {x["id"] for x in mine["sites"]} == {"skrydstrup", "rovaniemi"}


def test_api_records_and_access(db_url):
    from dkfi.web.app import create_app

    with TestClient(create_app(db_url)) as c:
        login(c, db_url, "dk-plan", "DNK", "SECRET", roles=("planner",))
        r = c.post("/api/f35/sites", json={"key": "skrydstrup", "name": "Skrydstrup", "nation": "DNK", "kind": "base",
                                           "capabilities": ["base"], "capacity": {"base": 4}})
        assert r.status_code == 201, r.text
        r = c.post("/api/f35/aircraft", json={"key": "L-001", "nation": "DNK", "base": "skrydstrup",
                                              "classification": "SECRET", "releasable_to": ["DNK"]})
        assert r.status_code == 201, r.text
        assert c.post("/api/f35/aircraft", json={"key": "L-002", "nation": "DNK", "base": "ghost"}).status_code == 422
        assert c.get("/api/f35/aircraft/L-001").json()["label"]["classification"] == "SECRET"
        fin = TestClient(c.app)
        login(fin, db_url, "fi-op", "FIN", "SECRET", roles=("operator",))
        assert fin.get("/api/f35/aircraft/L-001").status_code == 404
        assert fin.get("/api/f35/fleet").json()["aircraft"] == []
        assert len(fin.get("/api/f35/fleet").json()["sites"]) == 1
        assert fin.post("/api/f35/sites", json={"key": "x", "name": "x", "nation": "FIN", "kind": "base"}) \
            .status_code == 403
