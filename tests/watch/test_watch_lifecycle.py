"""Alerts: merging events, explainable scores, storage and the lifecycle (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import login

from dkfi.core.db import session_scope
from dkfi.watch import service as watch
from dkfi.watch.alerts import AlertBuilder
from dkfi.watch.detectors.base import Event, TrackPoint

T0 = 1_735_120_000.0  # 2024-12-25T09:46:40Z


def ev(kind="anchor_drag", start=T0, end=T0 + 600, asset="Estlink 2", mmsi=518998865, status="open", **measured):
    pts = [TrackPoint(start, 59.9, 24.7, 6.0, 270.0, 270), TrackPoint(end, 59.91, 24.5, 6.0, 270.0, 270)]
    return Event(kind=kind, mmsi=mmsi, start=start, end=end, rule=f"{kind} rule", measured=measured,
                 evidence=pts, asset=asset, status=status)


def test_events_merge_per_vessel_and_situation_with_explained_score():
    b = AlertBuilder()
    b.add(ev(assets_crossed=["Estlink 2", "C-Lion1"]))
    b.add(ev(kind="ais_gap", start=T0 + 1200, end=T0 + 4800))
    b.add(ev(kind="loitering", asset=None, start=T0 + 90_000, end=T0 + 93_000))  # a day later: its own alert
    alerts = b.final()
    assert len(alerts) == 2
    a = alerts[0]
    assert a.kind == "anchor_drag" and a.kinds == ["anchor_drag", "ais_gap"]
    assert (a.start, a.end) == (T0, T0 + 4800)
    factors = dict(a.factors)
    assert factors["anchor drag detected"] == 50
    assert factors["corroborated by ais gap"] == 15
    assert factors["2 assets on one voyage"] == 10
    assert a.score == sum(factors.values()) == 90 and a.severity == "critical"
    d = a.as_dict()
    assert set(d) >= {"kind", "mmsi", "asset", "start", "end", "severity", "score", "summary", "evidence"}
    assert d["start"] == "2024-12-25T09:46:40Z"


def test_updated_event_replaces_and_withdrawn_event_removes():
    b = AlertBuilder()
    b.add(ev(end=T0 + 600))
    b.add(ev(end=T0 + 3000))  # same key: the newer version of the same finding
    [a] = b.final()
    assert a.end == T0 + 3000 and len(a.events) == 1
    b.add(ev(end=T0 + 3000, status="withdrawn"))
    assert b.final() == []


def test_watchlist_membership_is_a_factor():
    class WL:
        def match(self, mmsi, static):
            return [type("E", (), {"list": "EU sanctions"})()] if mmsi == 518998865 else []

    b = AlertBuilder(watchlist=WL())
    a = b.add(ev(kind="loitering"))
    assert ("on watch list: EU sanctions", 25) in a.factors


def test_lifecycle_records_who_and_when(engine):
    b = AlertBuilder()
    b.add(ev())
    with session_scope(engine) as s:
        [rec] = watch.save_alerts(s, b.final(), "DNK")
        alert_id = rec.id
    with session_scope(engine) as s:
        watch.act(s, alert_id, "acknowledge", "duty officer DK")
        with pytest.raises(watch.LifecycleError, match="nation"):
            watch.act(s, alert_id, "assign", "duty officer DK", unit="Finnish Navy", nation="SWE")
        watch.act(s, alert_id, "assign", "duty officer DK", unit="Finnish Border Guard", nation="FIN")
        with pytest.raises(watch.LifecycleError, match="outcome"):
            watch.act(s, alert_id, "close", "FI officer")
        watch.act(s, alert_id, "close", "FI officer", outcome="handed_to_coast_guard", notes="boarded")
        with pytest.raises(watch.LifecycleError, match="closed"):
            watch.act(s, alert_id, "acknowledge", "someone")
    with session_scope(engine) as s:
        log = [(c.actor, c.action, c.from_status, c.to_status) for c in watch.changes(s, alert_id)]
        assert log == [("system", "detected", None, "new"),
                       ("duty officer DK", "acknowledge", "new", "acknowledged"),
                       ("duty officer DK", "assign", "acknowledged", "assigned"),
                       ("FI officer", "close", "assigned", "closed")]
        rec = watch.list_alerts(s)[0]
        assert (rec.status, rec.outcome, rec.assigned_nation) == ("closed", "handed_to_coast_guard", "FIN")
        assert rec.classification == "RESTRICTED" and rec.owner_nation == "DNK"
    # a re-run of detection refreshes findings but leaves the lifecycle alone
    b.add(ev(end=T0 + 7200))
    with session_scope(engine) as s:
        [rec] = watch.save_alerts(s, b.final(), "DNK")
        assert rec.status == "closed" and rec.end.timestamp() == T0 + 7200


def test_alert_api(db_url):
    from dkfi.core.db import get_engine
    from dkfi.web.app import create_app

    b = AlertBuilder()
    b.add(ev())
    with session_scope(get_engine(db_url)) as s:
        [rec] = watch.save_alerts(s, b.final(), "DNK")
        alert_id = rec.id
    with TestClient(create_app(db_url)) as c:
        login(c, db_url, "duty-dk")
        [a] = c.get("/api/alerts").json()
        assert a["kind"] == "anchor_drag" and a["status"] == "new" and a["label"]["classification"] == "RESTRICTED"
        r = c.post(f"/api/alerts/{alert_id}/actions", json={"action": "close", "actor": "x"})
        assert r.status_code == 409 and "outcome" in r.json()["detail"]
        r = c.post(f"/api/alerts/{alert_id}/actions", json={"action": "acknowledge", "actor": "DK duty officer"})
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"
        full = c.get(f"/api/alerts/{alert_id}").json()
        assert full["evidence"][0]["track"] and [ch["action"] for ch in full["changes"]] == ["detected", "acknowledge"]
        assert c.get("/api/alerts/99999").status_code == 404
        assert c.get("/api/alerts", params={"status": "bogus"}).status_code == 422
