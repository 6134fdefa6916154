"""No silent loss at the outbox: a change whose outbox rows cannot be written does not commit, so it is never
left un-federated; a broken partner setting stops the change with its reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dkfi.core.db import get_engine, session_scope
from dkfi.core.labels import Classification, Label
from dkfi.sharing import outbox
from dkfi.sharing.models import OutboxItem
from dkfi.sharing.outbox import Partner
from dkfi.watch.models import AlertRecord
from dkfi.watch.service import save_alerts

REL_FIN = Label(Classification.RESTRICTED, ("DNK", "FIN"))
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def alert(key: str) -> dict:
    return {"key": key, "kind": "loitering", "mmsi": 219000001, "vessel_name": "X", "asset": "Cable", "start":
            T0.isoformat(), "end": (T0 + timedelta(minutes=5)).isoformat(), "severity": "low", "score": 1.0,
            "summary": "s", "factors": [], "evidence": []}


@pytest.fixture
def dnk(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'dnk.sqlite'}")
    outbox.configure(engine, "DNK", {"FIN": Partner("FIN", "https://127.0.0.1:1")})
    yield engine
    outbox.unconfigure(engine)


def counts(engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        return s.scalar(select(func.count(AlertRecord.id))), s.scalar(select(func.count(OutboxItem.id)))


def test_a_change_and_its_outbox_rows_commit_together(dnk):
    with session_scope(dnk) as s:
        save_alerts(s, [alert("a1")], "DNK", REL_FIN)
    assert counts(dnk) == (1, 1)


def test_outbox_write_failure_fails_the_change(dnk, monkeypatch):
    def broken(conn, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "write_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        with session_scope(dnk) as s:
            save_alerts(s, [alert("a2")], "DNK", REL_FIN)
    assert counts(dnk) == (0, 0)  # neither the alert nor a partial outbox


def test_bad_partner_setting_fails_the_change_with_its_reason(tmp_path, monkeypatch):
    from dkfi.core.config import get_settings

    engine = get_engine(f"sqlite:///{tmp_path / 'bad.sqlite'}")
    monkeypatch.setenv("DKFI_PARTNERS", "FIN=ftp://somewhere")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="neither an https:// address nor 'nats'"):
        with session_scope(engine) as s:
            save_alerts(s, [alert("a3")], "DNK", REL_FIN)
    monkeypatch.delenv("DKFI_PARTNERS")
    get_settings.cache_clear()
    assert counts(engine) == (0, 0)
