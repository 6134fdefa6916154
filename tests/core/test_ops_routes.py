"""The operations routes (dkfi.web.ops): liveness, readiness against the database and the bus, and the Prometheus
metrics the domains contribute through the registry (ingest counts by source and reason, alerts raised by kind,
outbox depth per partner), with their access rule."""
from __future__ import annotations

import gzip
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import login

BUNDLED = Path(__file__).resolve().parents[2] / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"


def _app(url: str):
    from dkfi.web.app import create_app

    return create_app(url)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels); parsing it is itself the format check."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _scrape(client) -> dict:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return _samples(r.text)


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released without listening)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local(db_url):
    """A node on SQLite or PostgreSQL, called from 127.0.0.1 (the default metrics address)."""
    app = _app(db_url)
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        yield app, c, db_url


def test_healthz_answers_without_login(tmp_path):
    with TestClient(_app(f"sqlite:///{tmp_path / 'h.sqlite'}")) as c:
        r = c.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_ready_on_each_database(local):
    """SQLite and PostgreSQL: the database answers and the in-process bus is connected; no login needed."""
    _, c, _ = local
    r = c.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": {"database": {"ok": True}, "bus": {"ok": True}}}


def test_readyz_503_when_the_database_is_down(tmp_path):
    """The node's database becomes unreachable (a PostgreSQL URL on a closed port): 503 naming the database,
    while liveness still answers (a restart would not bring the database back)."""
    app = _app(f"sqlite:///{tmp_path / 'r.sqlite'}")
    down = sa.create_engine(f"postgresql+psycopg://dkfi@127.0.0.1:{_closed_port()}/dkfi")
    with TestClient(app) as c:
        app.state.engine = down
        try:
            r = c.get("/readyz")
            live = c.get("/healthz")
        finally:
            down.dispose()
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["failed"] == ["database"] and body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["bus"] == {"ok": True}
    assert live.status_code == 200


def test_metrics_ingest_counts_grow_and_rejections_carry_their_reason(local, tmp_path):
    """An import through the service adds its units to the ingest counters, a bad line to the rejected counter
    under its reason; the scrape parses with the Prometheus text parser and names no vessel."""
    from dkfi.core.config import get_settings
    from dkfi.maritime import service

    app, c, _ = local
    before = _scrape(c)
    with gzip.open(BUNDLED, "rt", encoding="ascii") as f:
        lines = [next(f) for _ in range(200)]
    good = tmp_path / "good.nmea"
    good.write_text("".join(lines))
    bad = tmp_path / "bad.nmea"
    bad.write_text("!AIVDM,this is not a sentence\n")
    report = service.import_paths(app.state.engine, [good, bad], get_settings())
    total = report.total
    assert total.accepted > 0 and total.rejected_total >= 1
    after = _scrape(c)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("dkfi_ingest_units_received_total", source="import") == total.received
    assert grew("dkfi_ingest_units_accepted_total", source="import") == total.accepted
    assert grew("dkfi_ingest_units_duplicate_total", source="import") == total.duplicates
    for reason, n in total.rejected.items():
        assert grew("dkfi_ingest_units_rejected_total", source="import", reason=reason) == n
    assert not any(k[0] == "dkfi_metrics_producer_errors" for k in after)
    text = c.get("/metrics").text
    with Session(app.state.engine) as s:
        mmsis = {str(v.mmsi) for v in service.list_vessels(s)}
    assert mmsis and not any(m in text for m in mmsis)


def test_metrics_alerts_raised_by_kind_once_per_alert(local):
    """The live watch's writer counts an alert when it is first stored, not when its finding is refreshed."""
    from dkfi.watch.live import store_alerts

    app, c, _ = local
    alert = {"key": "ops-metrics-1", "kind": "loitering", "mmsi": 219000001, "vessel_name": None, "asset": None,
             "start": "2024-01-01T00:00:00Z", "end": "2024-01-01T01:00:00Z", "severity": "medium", "score": 40,
             "summary": "loitering", "factors": [], "evidence": []}
    key = ("dkfi_watch_alerts_raised_total", (("kind", "loitering"),))
    before = _scrape(c).get(key, 0.0)
    store_alerts(app.state.engine, "DNK", [alert], [])
    assert _scrape(c)[key] == before + 1
    store_alerts(app.state.engine, "DNK", [{**alert, "score": 55, "severity": "high"}], [])
    assert _scrape(c)[key] == before + 1


def test_metrics_outbox_depth_per_partner(local):
    """Configured partners are listed (0 when nothing waits) and the undelivered rows are counted per partner."""
    from datetime import datetime, timezone

    from dkfi.core.db import session_scope
    from dkfi.core.labels import Classification, Label
    from dkfi.sharing import outbox
    from dkfi.sharing.models import OutboxItem

    app, c, url = local
    engine = app.state.engine
    outbox.configure(engine, "DNK", "FIN=https://127.0.0.1:9,NOR=nats")
    try:
        assert _scrape(c)[("dkfi_outbox_pending", (("partner", "FIN"),))] == 0
        now = datetime.now(timezone.utc)
        with session_scope(engine) as s:
            for i, delivered in enumerate((None, None, now)):
                item = OutboxItem(partner="FIN", record_type="alert", record_key=f"k{i}", op="upsert", payload={},
                                  created=now, delivered_at=delivered)
                item.set_label(Label(Classification.UNCLASSIFIED, ()), "DNK")
                s.add(item)
        got = _scrape(c)
    finally:
        outbox.unconfigure(engine)
    assert got[("dkfi_outbox_pending", (("partner", "FIN"),))] == 2
    assert got[("dkfi_outbox_pending", (("partner", "NOR"),))] == 0


def test_metrics_access(tmp_path, monkeypatch):
    """Without a token only the addresses of DKFI_METRICS_ALLOW read /metrics; elsewhere an admin's token is
    needed (401 without one, 403 for another role)."""
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = _app(url)
    with TestClient(app, client=("10.9.8.7", 50000)) as c:
        assert c.get("/metrics").status_code == 401
        login(c, url, "ops-operator", roles=("operator",))
        assert c.get("/metrics").status_code == 403
    with TestClient(app, client=("10.9.8.7", 50000)) as c:
        login(c, url, "ops-admin", roles=("admin",))
        assert c.get("/metrics").status_code == 200
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        assert c.get("/metrics").status_code == 200
    monkeypatch.setenv("DKFI_METRICS_ALLOW", "10.9.8.0/24, ::1")
    from dkfi.core.config import get_settings

    get_settings.cache_clear()
    app = _app(url)
    with TestClient(app, client=("10.9.8.7", 50000)) as c:
        assert c.get("/metrics").status_code == 200
    with TestClient(app, client=("127.0.0.1", 50000)) as c:
        assert c.get("/metrics").status_code == 401


def test_metrics_allow_refuses_what_is_not_an_address(monkeypatch):
    from pydantic import ValidationError

    from dkfi.core.config import Settings

    monkeypatch.setenv("DKFI_METRICS_ALLOW", "127.0.0.1,prometheus.local")
    with pytest.raises(ValidationError, match="'prometheus.local' is not an address or network"):
        Settings()
