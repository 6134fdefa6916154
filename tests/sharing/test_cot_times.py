"""Cursor-on-Target times (issue 10 point 15): an event is valid from when it is sent until ``stale``, so TAK never
drops an export as stale on arrival, whatever the age of the data in it.

The rule (docs/sharing.md, Cursor-on-Target): ``time`` = when the event is made (now), ``start`` = the record's
time (or now with ``start=now``), ``stale`` = the later of time and start + the stale period. Checked here for every
CoT layer the registry declares, over old (2013), current and future records, and for the one function that makes
every event (files, the API, TAK streams)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from dkfi.core.labels import Classification, Label

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=timezone.utc)
OPEN = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))
#: record times: an old recording (the DMA 2013 files), a minute ago, and ahead of the clock (skew)
RECORD_TIMES = (datetime(2013, 6, 1, 10, 0, tzinfo=timezone.utc), NOW - timedelta(minutes=1),
                NOW + timedelta(hours=2))


def _seed_vessels(s) -> None:
    from dkfi.maritime.models import Vessel

    for i, t in enumerate(RECORD_TIMES):
        v = Vessel(mmsi=219000001 + i, station="A", name=f"SHIP {i}", ship_type=70, time=t, lat=55.0 + i / 10,
                   lon=11.0, sog=10.0, cog=90.0, heading=90, nav_status=0)
        v.set_label(OPEN, "DNK")
        s.add(v)


def _seed_alerts(s) -> None:
    """Alerts whose latest evidence (``end``, their CoT start) is at each record time."""
    from dkfi.watch.models import AlertRecord

    for i, t in enumerate(RECORD_TIMES):
        track = [[t.timestamp() - 60 * k, 55.0 + 0.01 * k, 15.0, 1.0, 90.0, 90] for k in range(3)]
        a = AlertRecord(key=f"a{i}", kind="loitering", mmsi=219000001 + i, vessel_name=f"SHIP {i}", asset=None,
                        start=t - timedelta(minutes=2), end=t, severity="high", score=70.0, summary=f"alert {i}",
                        factors=[], evidence=[{"kind": "loitering", "track": track}], status="new", created=t,
                        updated=t)
        a.set_label(OPEN, "DNK")
        s.add(a)


#: how to put records of each CoT layer in a database; a new CoT layer needs an entry (the test below says so)
SEEDERS = {"vessels": _seed_vessels, "alerts": _seed_alerts}


def _cot_layers() -> tuple[str, ...]:
    from dkfi.sharing.exports import cot_layers

    return cot_layers()


def _parse(t: str) -> datetime:
    return datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _check(ev: ET.Element, stale_s: float, now: datetime | None = None) -> None:
    time, start, stale = (_parse(ev.get(k)) for k in ("time", "start", "stale"))
    assert stale > time and stale > start, ev.attrib
    assert stale == max(time, start) + timedelta(seconds=stale_s), ev.attrib
    if now is not None:
        assert time == now


@pytest.fixture
def seeded(tmp_path):
    from sqlalchemy.orm import Session

    from dkfi.core.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'cot.sqlite'}")
    with Session(engine) as s:
        for seed in SEEDERS.values():
            seed(s)
        s.commit()
    return engine


def test_every_cot_layer_has_a_seeder():
    assert set(_cot_layers()) <= set(SEEDERS), "add the new CoT layer to SEEDERS so its times are checked"


@pytest.mark.parametrize("layer", _cot_layers())
@pytest.mark.parametrize("start", ["record", "now"])
@pytest.mark.parametrize("stale_s", [1, 300, 7 * 86400])
def test_stale_is_after_time_for_every_event(seeded, layer, start, stale_s):
    from dkfi.core.access import system_session
    from dkfi.sharing import exports

    with system_session(seeded, "DNK", "test") as s:
        out = exports.cot(s, layer, stale_s=stale_s, start=start, now=NOW)
    assert len(out.events) == len(RECORD_TIMES)
    starts = set()
    for text in out.events:
        ev = ET.fromstring(text)
        _check(ev, stale_s, NOW)
        starts.add(_parse(ev.get("start")))
    # start keeps the record's time (the data's age), or is now when asked
    assert starts == ({NOW} if start == "now" else set(RECORD_TIMES))
    for m in out.messages():  # the messages a TAK stream sends are the same events
        _check(ET.fromstring(m), stale_s, NOW)


def test_cli_export_of_an_old_recording_is_not_stale_on_arrival(seeded, tmp_path, monkeypatch):
    """`dkfi export cot vessels` (the command of the report) with the record times of an old recording."""
    from dkfi.cli.main import app
    from dkfi.core.config import get_settings
    from tests.conftest import make_user

    url = f"sqlite:///{tmp_path / 'cot.sqlite'}"
    monkeypatch.setenv("DKFI_DATABASE_URL", url)
    get_settings.cache_clear()
    make_user(url, "anna")
    out = tmp_path / "vessels.cot"
    res = CliRunner().invoke(app, ["export", "cot", "vessels", "--user", "anna", "--out", str(out)])
    assert res.exit_code == 0, res.output
    events = ET.parse(out).getroot().findall("event")
    assert len(events) == len(RECORD_TIMES)
    for ev in events:
        _check(ev, 300)
        assert _parse(ev.get("stale")) > datetime.now(timezone.utc)  # a TAK client keeps it


_times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


@settings(max_examples=200, deadline=None)
@given(now=_times, record=_times, stale_s=st.integers(min_value=1, max_value=7 * 86400),
       start=st.sampled_from(["record", "now"]))
def test_cot_event_rule(now, record, stale_s, start):
    """The one function that makes every CoT event: stale after time and start, for any record time."""
    from dkfi.sharing.exports import cot_event, start_time

    ev = cot_event("u", "a-n-S-X", 55.0, 11.0, now=now, start=start_time(record, now, start), stale_s=stale_s,
                   label=OPEN, owner="DNK", callsign="c", remarks="r")
    time, begin, stale = (_parse(ev.get(k)) for k in ("time", "start", "stale"))
    assert stale > time and stale > begin
