"""Schemathesis over the whole OpenAPI schema, as a logged-in admin on a node with data: no 5xx answers.

Live streams (server-sent events never end) are left out; everything else, every parameter and body the schema
allows, goes through the real application (ASGI, in process)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from dkfi.core.identity import Principal, issue_token
from dkfi.core.labels import Classification, Label
from tests.conftest import make_user

T0 = 1_384_257_600.0


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    from dkfi.core.config import get_settings
    from dkfi.core.db import session_scope
    from dkfi.watch.models import AlertRecord
    from dkfi.maritime.api import store_of
    from dkfi.maritime.pipeline import Pipeline
    from dkfi.maritime.records import Position, Static
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'dkfi.sqlite'}"
    get_settings.cache_clear()
    app = create_app(url)
    pipe = Pipeline(store_of(app))
    pipe.feed([Position(ts=T0 + i, mmsi=219000001 + i, lat=55.5, lon=11.0 + i / 100, sog=5.0, cog=90.0, heading=90,
                        nav_status=0, station="A", source="t", msg_type=1) for i in range(5)]
              + [Static(ts=T0, mmsi=219000001, name="TEST", imo=9329760, ship_type=80, callsign="OZAB", station="A")])
    pipe.flush()
    now = datetime.now(timezone.utc)
    with session_scope(app.state.engine) as s:
        for i, rel in enumerate((("DNK", "FIN"), ("DNK",))):
            a = AlertRecord(key=f"k{i}", kind="anchor_drag", mmsi=219000001, start=now, end=now, severity="high",
                            score=60, summary="s", factors=[{"factor": "x", "points": 60}],
                            evidence=[{"kind": "anchor_drag", "track": [[T0, 55.5, 11.0, 2.0]]}], status="new",
                            created=now, updated=now)
            a.set_label(Label(Classification.RESTRICTED, rel), "DNK")
            s.add(a)
    make_user(url, "st-admin", "DNK", "SECRET", ("admin",))  # requests are served with the account
    admin = Principal("st-admin", "DNK", Classification.SECRET, frozenset({"admin"}))
    app.state.test_token = issue_token(app.state.settings, admin)
    return app


def test_no_server_errors(node):
    """Every operation of the schema, with generated parameters and bodies (Hypothesis via Schemathesis)."""
    from hypothesis import given

    schema = schemathesis.openapi.from_asgi("/openapi.json", node).exclude(path_regex="^/api/stream/")
    headers = {"Authorization": f"Bearer {node.state.test_token}"}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15
    calls = []
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=headers)
            calls.append((op.label, response.status_code))
            case.validate_response(response, checks=[not_a_server_error])

        run()
    assert not [c for c in calls if c[1] >= 500]
    print(f"schemathesis: {len(operations)} operations, {len(calls)} calls, statuses "
          f"{sorted({c[1] for c in calls})}")
