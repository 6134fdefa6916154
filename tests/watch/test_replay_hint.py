"""`dkfi watch replay` says where its alerts went (issue 10 point 16): without ``--save`` they are shown, not stored,
and it says how to keep them; an export of alerts that holds none says how alerts get stored."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import AIS, make_user, need_shared

DRIFT = AIS / "labelled" / "dma_aisabnormal" / "538004030_drift_1.ais"


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node with its own database and one local account (``anna``)."""
    from dkfi.core.config import get_settings

    url = f"sqlite:///{tmp_path / 'node.sqlite'}"
    monkeypatch.setenv("DKFI_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    make_user(url, "anna")
    return url


def _invoke(*args: str):
    from dkfi.cli.main import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def _stored(url: str) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from dkfi.core.db import get_engine
    from dkfi.watch.models import AlertRecord

    with Session(get_engine(url)) as s:
        return s.scalar(select(func.count()).select_from(AlertRecord)) or 0


def test_replay_without_save_says_the_alerts_are_not_stored_and_the_export_says_why_it_is_empty(node):
    need_shared(DRIFT)
    res = _invoke("watch", "replay", str(DRIFT))
    assert _stored(node) == 0
    assert "not stored" in res.stderr and "--save" in res.stderr, res.stderr

    # the export that followed in the report: 0 alerts, now with the reason and the way to get them stored
    res = _invoke("export", "geojson", "alerts", "--user", "anna")
    assert json.loads(res.stdout)["features"] == []
    assert "0 alerts" in res.stderr and "--save" in res.stderr, res.stderr
    res = _invoke("export", "cot", "alerts", "--user", "anna")
    assert "0 CoT events" in res.stderr and "--save" in res.stderr, res.stderr

    # the JSON lines on stdout stay clean: the note goes to stderr
    res = _invoke("watch", "replay", str(DRIFT), "--json")
    alerts = [json.loads(line) for line in res.stdout.splitlines()]
    assert alerts and "not stored" in res.stderr


def test_replay_with_save_says_where_they_are_and_the_export_has_them(node):
    need_shared(DRIFT)
    res = _invoke("watch", "replay", str(DRIFT), "--save")
    n = _stored(node)
    assert n > 0
    assert f"{n} alerts stored" in res.stderr and "not stored" not in res.stderr, res.stderr
    res = _invoke("export", "geojson", "alerts", "--user", "anna")
    assert len(json.loads(res.stdout)["features"]) == n
    assert "--save" not in res.stderr, res.stderr    # no hint when the export holds alerts


def test_empty_export_of_another_layer_gives_no_alert_hint(node):
    res = _invoke("export", "geojson", "vessels", "--user", "anna")
    assert json.loads(res.stdout)["features"] == []
    assert "--save" not in res.stderr
