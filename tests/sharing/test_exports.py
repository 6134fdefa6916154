"""Exports for allies (issue 4 item 6): GeoJSON and Cursor-on-Target hold only what the requesting user may see,
carry their labels, and reach TAK listeners (started here, on 127.0.0.1 only) over TCP and UDP."""
from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from tests.conftest import login, make_user

from dkfi.core.identity import Principal
from dkfi.core.labels import Classification, Label

T = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 26, 12, 30, tzinfo=timezone.utc)
S4774 = "{urn:nato:stanag:4774:confidentialitymetadatalabel:1:0}"
DECL = '<?xml version="1.0" encoding="UTF-8"?>'

U, R, C, S = (Classification.UNCLASSIFIED, Classification.RESTRICTED, Classification.CONFIDENTIAL,
              Classification.SECRET)
# mmsi -> (label, owner, name, ship type)
VESSELS = {
    219000001: (Label(U, ("DNK", "FIN")), "DNK", 'EAGLE S & <"CO">', 80),
    219000002: (Label(S, ()), "DNK", "DANISH SECRET", 35),
    230000003: (Label(C, ("DNK", "FIN")), "FIN", "KALA", 30),
    230000004: (Label(R, ()), "FIN", "FINNISH ONLY", 60),
}
# key -> (label, owner, with an evidence track)
ALERTS = {
    "a-open": (Label(U, ("DNK", "FIN")), "DNK", True),
    "a-secret": (Label(S, ()), "DNK", True),
    "a-fin": (Label(R, ("DNK", "FIN")), "FIN", True),
    "a-nowhere": (Label(U, ("DNK", "FIN")), "DNK", False),
}
DK = Principal("dk", "DNK", S, frozenset({"operator"}))
FI = Principal("fi", "FIN", S, frozenset({"operator"}))
LOW = Principal("low", "DNK", U, frozenset({"viewer"}))
US = Principal("us", "USA", S, frozenset({"viewer"}))
SEES_VESSELS = {"dk": {219000001, 219000002, 230000003}, "fi": {219000001, 230000003, 230000004},
                "low": {219000001}, "us": set()}
SEES_ALERTS = {"dk": {"a-open", "a-secret", "a-fin", "a-nowhere"}, "fi": {"a-open", "a-fin", "a-nowhere"},
               "low": {"a-open", "a-nowhere"}, "us": set()}
TRACK = [[T.timestamp() + 60 * i, 55.0 + 0.01 * i, 15.0 + 0.02 * i, 1.0, 90.0, 90] for i in range(5)]


def seed(engine) -> dict[str, int]:
    """Labelled vessels and alerts straight in the database; returns alert key -> id."""
    from sqlalchemy.orm import Session

    from dkfi.maritime.models import Vessel
    from dkfi.watch.models import AlertRecord

    ids = {}
    with Session(engine) as s:
        for i, (mmsi, (lab, owner, name, st)) in enumerate(VESSELS.items()):
            v = Vessel(mmsi=mmsi, station="A", name=name, ship_type=st, time=T, lat=55.0 + i / 10, lon=11.0 + i / 10,
                       sog=10.0, cog=90.0, heading=90, nav_status=0)
            v.set_label(lab, owner)
            s.add(v)
        for key, (lab, owner, located) in ALERTS.items():
            ev = [{"kind": "loitering", "track": TRACK}] if located else []
            a = AlertRecord(key=key, kind="loitering", mmsi=219000001, vessel_name="EAGLE S", asset="Estlink 2",
                            start=T, end=T + timedelta(minutes=4), severity="high", score=70.0,
                            summary=f"alert {key}", factors=[], evidence=ev, status="new", created=T, updated=T)
            a.set_label(lab, owner)
            s.add(a)
            s.flush()
            ids[key] = a.id
        s.commit()
    return ids


@pytest.fixture
def sqlite_engine(tmp_path):
    from dkfi.core.db import get_engine

    return get_engine(f"sqlite:///{tmp_path / 'exp.sqlite'}")


@pytest.fixture
def seeded(sqlite_engine):
    return sqlite_engine, seed(sqlite_engine)


def _by_key(ids: dict[str, int]) -> dict[int, str]:
    return {v: k for k, v in ids.items()}


# ---- GeoJSON ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [DK, FI, LOW, US], ids=lambda p: p.name)
def test_geojson_holds_only_what_the_user_may_see(seeded, p):
    from dkfi.core.access import user_session
    from dkfi.sharing import exports

    engine, ids = seeded
    with user_session(engine, p) as s:
        vessels = exports.geojson(s, "vessels", now=NOW)
        alerts = exports.geojson(s, "alerts", now=NOW)
    assert vessels["type"] == alerts["type"] == "FeatureCollection"
    assert {f["id"] for f in vessels["features"]} == SEES_VESSELS[p.name]
    assert {_by_key(ids)[f["id"]] for f in alerts["features"]} == SEES_ALERTS[p.name]

    for fc, table in ((vessels, VESSELS), (alerts, None)):
        for f in fc["features"]:
            lab = f["properties"]["label"]
            if table is not None:
                want, owner = table[f["id"]][:2]
            else:
                want, owner = ALERTS[_by_key(ids)[f["id"]]][:2]
            assert lab == {"classification": want.classification.name, "releasable_to": list(want.releasable_to),
                           "policy": "NATO", "categories": [], "owner_nation": owner}
            assert f["properties"]["classification"] == want.classification.name

    # the collection's label is the combination of its features' labels
    want_top = {"dk": S, "fi": C, "low": U, "us": U}[p.name]
    assert vessels["label"]["classification"] == want_top.name
    if p is LOW:
        assert vessels["label"]["releasable_to"] == ["DNK", "FIN"] and vessels["label"]["owner_nation"] == "DNK"
    if p is DK:
        assert vessels["label"]["releasable_to"] == []   # one record is DNK-only: so is the whole export
    from dkfi.core.stanag4774 import from_xml

    lab, created, _ = from_xml(vessels["label_xml"])
    assert lab.classification == want_top and list(lab.releasable_to) == vessels["label"]["releasable_to"]
    assert created == NOW


def test_alert_geojson_point_and_null_geometry(seeded):
    from dkfi.core.access import user_session
    from dkfi.watch import exports

    engine, ids = seeded
    with user_session(engine, DK) as s:
        fc = exports.alerts_geojson(s, now=NOW)
        with pytest.raises(ValueError, match="status"):
            exports.alerts_geojson(s, statuses=["bogus"])
        assert exports.alerts_geojson(s, statuses=["closed"])["features"] == []
    f = {x["id"]: x for x in fc["features"]}
    assert f[ids["a-open"]]["geometry"] == {"type": "Point", "coordinates": [TRACK[2][2], TRACK[2][1]]}
    assert f[ids["a-nowhere"]]["geometry"] is None
    assert f[ids["a-open"]]["properties"]["summary"] == "alert a-open"


def test_assets_are_open_data_for_both_nations_only(seeded, _settings):
    from dkfi.core.access import user_session
    from dkfi.watch import assets
    from dkfi.sharing import exports

    engine, _ = seeded
    n = len(assets.load_assets_geojson(assets.default_assets_path()))
    for p in (DK, FI, LOW):
        with user_session(engine, p) as s:
            fc = exports.geojson(s, "assets", now=NOW)
        assert len(fc["features"]) == n > 10
        f = fc["features"][0]
        assert f["geometry"]["type"] in ("LineString", "MultiLineString")
        assert f["properties"]["label"] == {"classification": "UNCLASSIFIED", "releasable_to": ["DNK", "FIN"],
                                            "policy": "NATO", "categories": [], "owner_nation": _settings.nation}
        assert fc["label"]["classification"] == "UNCLASSIFIED"
    with user_session(engine, US) as s:
        assert exports.geojson(s, "assets")["features"] == []
    with pytest.raises(LookupError, match="unknown export layer"):
        exports.geojson(None, "ships")


# ---- Cursor-on-Target -----------------------------------------------------------------------------------

def _events(doc: str) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.fromstring(doc.encode("utf-8"))
    return root, {e.get("uid"): e for e in root.findall("event")}


def _check_label(detail: ET.Element, label: Label, owner: str) -> None:
    from dkfi.core.stanag4774 import from_xml

    el = detail.find("__dkfi_label")
    assert el is not None
    assert el.get("classification") == label.classification.name
    assert el.get("releasableTo") == ",".join(label.releasable_to)
    assert el.get("policy") == "NATO" and el.get("owner") == owner
    xml = el.find(f"{S4774}ConfidentialityLabel")
    assert xml is not None
    got, _, _ = from_xml(ET.tostring(xml, encoding="unicode"))
    assert got == label


def test_cot_vessels_parse_with_uid_type_times_point_and_label(seeded):
    from dkfi.core.access import user_session
    from dkfi.sharing import exports

    engine, _ = seeded
    with user_session(engine, FI) as s:
        out = exports.cot(s, "vessels", stale_s=120, now=NOW)
    doc = out.document()
    root, events = _events(doc)
    assert root.tag == "events" and root.get("count") == "3"
    assert set(events) == {f"dkfi-DNK-vessel-{m}" for m in SEES_VESSELS["fi"]}
    _check_label(root, out.label, "DNK")          # mixed owners: the node's nation
    assert out.label.classification == C

    ev = events["dkfi-DNK-vessel-219000001"]
    assert ev.get("version") == "2.0" and ev.get("how") == "m-g"
    assert ev.get("type") == "a-n-S-X-M-O"        # AIS 80: tanker
    assert ev.get("time") == "2026-11-26T12:30:00.000Z"
    assert ev.get("start") == "2026-11-26T12:00:00.000Z"
    assert ev.get("stale") == "2026-11-26T12:32:00.000Z"   # stale follows time (now), not the data time
    pt = ev.find("point")
    assert (float(pt.get("lat")), float(pt.get("lon"))) == (55.0, 11.0)
    assert pt.get("hae") == pt.get("ce") == pt.get("le") == "9999999.0"
    detail = ev.find("detail")
    assert detail.find("contact").get("callsign") == 'EAGLE S & <"CO">'   # escaped in, read back intact
    trk = detail.find("track")
    assert float(trk.get("course")) == 90.0 and float(trk.get("speed")) == pytest.approx(10 * 0.514444, abs=0.01)
    assert "MMSI 219000001" in detail.find("remarks").text
    _check_label(detail, VESSELS[219000001][0], "DNK")
    assert events["dkfi-DNK-vessel-230000003"].get("type") == "a-n-S-X-F"   # fishing
    assert events["dkfi-DNK-vessel-230000004"].get("type") == "a-n-S-X-M-P"  # passenger
    _check_label(events["dkfi-DNK-vessel-230000004"].find("detail"), VESSELS[230000004][0], "FIN")

    # every message for a TAK stream is a document of its own
    for m in out.messages():
        one = ET.fromstring(m)
        assert one.tag == "event" and one.get("uid") in events


def test_cot_alerts_and_start_now(seeded):
    from dkfi.core.access import user_session
    from dkfi.sharing import exports

    engine, ids = seeded
    with user_session(engine, LOW) as s:
        out = exports.cot(s, "alerts", start="now", now=NOW)
        with pytest.raises(ValueError):
            exports.cot(s, "alerts", stale_s=0)
        with pytest.raises(LookupError):
            exports.cot(s, "assets")
    _, events = _events(out.document())
    assert set(events) == {f"dkfi-DNK-alert-{ids['a-open']}"}   # a-nowhere has no place: not in CoT
    ev = events[f"dkfi-DNK-alert-{ids['a-open']}"]
    assert ev.get("type") == "b-m-p-s-p-i"
    assert ev.get("start") == ev.get("time") == "2026-11-26T12:30:00.000Z"
    assert ev.get("stale") == "2026-11-26T12:35:00.000Z"
    pt = ev.find("point")
    assert (float(pt.get("lat")), float(pt.get("lon"))) == (TRACK[2][1], TRACK[2][2])
    assert ev.find("detail/link").get("uid") == "dkfi-DNK-vessel-219000001"
    _check_label(ev.find("detail"), ALERTS["a-open"][0], "DNK")


def test_vessel_cot_types():
    from dkfi.maritime.exports import vessel_cot_type

    assert vessel_cot_type(None) == vessel_cot_type(0) == "a-n-S-X"
    assert vessel_cot_type(70) == vessel_cot_type(79) == "a-n-S-X-M-C"
    assert vessel_cot_type(84) == "a-n-S-X-M-O"
    assert vessel_cot_type(69) == "a-n-S-X-M-P"
    assert vessel_cot_type(37) == "a-n-S-X-R"
    assert vessel_cot_type(35) == "a-u-S-C"
    assert vessel_cot_type(99) == "a-n-S-X-M"


# ---- CLI: files ------------------------------------------------------------------------------------------

def test_cli_writes_files_bounded_by_the_user(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dkfi.cli.main import app
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DKFI_DATABASE_URL", url)
    get_settings.cache_clear()
    seed(get_engine(url))
    make_user(url, "fi", "FIN", "SECRET", ("viewer",))
    runner = CliRunner()

    out = tmp_path / "out" / "vessels.cot"
    r = runner.invoke(app, ["export", "cot", "vessels", "--user", "fi", "--out", str(out)])
    assert r.exit_code == 0, r.output
    root, events = _events(out.read_text(encoding="utf-8"))
    assert set(events) == {f"dkfi-DNK-vessel-{m}" for m in SEES_VESSELS["fi"]}
    assert root.find("__dkfi_label").get("classification") == "CONFIDENTIAL"

    gj = tmp_path / "alerts.geojson"
    r = runner.invoke(app, ["export", "geojson", "alerts", "--user", "fi", "--out", str(gj)])
    assert r.exit_code == 0, r.output
    import json

    fc = json.loads(gj.read_text(encoding="utf-8"))
    assert {f["properties"]["key"] for f in fc["features"]} == SEES_ALERTS["fi"]

    r = runner.invoke(app, ["export", "geojson", "vessels", "--user", "nobody"])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    r = runner.invoke(app, ["export", "geojson", "ships", "--user", "fi"])
    assert r.exit_code == 2 and "unknown export layer" in r.output
    # a viewer may read but not send to TAK
    r = runner.invoke(app, ["export", "tak", "vessels", "--user", "fi", "--server", "udp://127.0.0.1:9"])
    assert r.exit_code == 2 and "may not act" in r.output

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dkfi.core.models import AuditEntry

    with Session(get_engine(url)) as s:
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert {(e.actor, e.object_id) for e in exported} == {("fi", "vessels.cot"), ("fi", "alerts.geojson")}


# ---- TAK: listeners on 127.0.0.1 -------------------------------------------------------------------------

class TcpListener:
    """A TAK-like TCP listener on 127.0.0.1 (a free port); the first connection may be cut after one event."""

    def __init__(self, connections: int = 1, cut_first: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(20)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.cut = threading.Event()
        self._want, self._cut_first = connections, cut_first
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for i in range(self._want):
                conn, _ = self.sock.accept()
                conn.settimeout(20)
                buf = b""
                with conn:
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        buf += chunk
                        if i == 0 and self._cut_first and b"</event>" in buf:
                            break
                self.received.append(buf)
                if i == 0:
                    self.cut.set()
        except OSError:
            pass
        finally:
            self.sock.close()

    def events(self) -> list[ET.Element]:
        self.thread.join(20)
        text = b"".join(self.received).decode("utf-8")
        return [ET.fromstring(part) for part in text.split(DECL) if part.strip()]


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tcp_send_reconnects_and_listener_parses_events(seeded):
    from dkfi.core.access import user_session
    from dkfi.sharing import exports, tak

    engine, _ = seeded
    with user_session(engine, DK) as s:
        out = exports.cot(s, "vessels", now=NOW)
    msgs = list(out.messages())
    lis = TcpListener(connections=2, cut_first=True)
    with tak.TakSender(f"tcp://127.0.0.1:{lis.port}", backoff=0.0) as sender:
        sender.send(msgs[0])
        assert lis.cut.wait(20)                # the server closed the connection after the first event
        sender.send_all(msgs[1:])
        assert sender.reconnects >= 1 and sender.sent == len(msgs)
    events = lis.events()
    assert len(lis.received) == 2
    assert [e.get("uid") for e in events] == [f"dkfi-DNK-vessel-{m}" for m in sorted(SEES_VESSELS["dk"])]
    for e in events:
        assert e.find("detail/__dkfi_label") is not None and e.find("point") is not None


def test_udp_send_one_event_per_datagram(seeded):
    from dkfi.core.access import user_session
    from dkfi.sharing import exports, tak

    engine, ids = seeded
    with user_session(engine, FI) as s:
        out = exports.cot(s, "alerts", now=NOW)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(20)
    try:
        n = tak.send_events(f"udp://127.0.0.1:{rx.getsockname()[1]}", out.messages())
        assert n == len(out.events) == 2
        got = [ET.fromstring(rx.recvfrom(65536)[0]) for _ in range(n)]
    finally:
        rx.close()
    assert {e.get("uid") for e in got} == {f"dkfi-DNK-alert-{ids[k]}" for k in ("a-open", "a-fin")}
    assert all(e.find("detail/__dkfi_label").get("classification") in ("UNCLASSIFIED", "RESTRICTED") for e in got)


@pytest.mark.parametrize("server", ["udp://239.2.3.1:6969", "udp://224.0.0.1:6969", "tcp://239.2.3.1:8087",
                                    "udp://255.255.255.255:6969", "udp://[ff02::1]:6969", "udp://0.0.0.0:6969"])
def test_multicast_and_broadcast_are_refused(server):
    from dkfi.sharing import tak

    with pytest.raises(tak.Refused, match="multicast/broadcast"):
        tak.TakSender(server)
    with pytest.raises(tak.Refused):
        tak.send_events(server, [b"<event/>"])


@pytest.mark.parametrize("text", ["http://127.0.0.1:8087", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "127.0.0.1:8087",
                                  "tcp://127.0.0.1:8087/path", "tcp://:8087"])
def test_bad_server_strings(text):
    from dkfi.sharing import tak

    with pytest.raises(ValueError):
        tak.parse_server(text)


def test_unreachable_tcp_server_is_named():
    from dkfi.sharing import tak

    port = _dead_port()
    with pytest.raises(tak.TakError, match=f"tcp://127.0.0.1:{port}"):
        tak.send_events(f"tcp://127.0.0.1:{port}", [b"<event/>"], retries=1, backoff=0.0, timeout=2)
    assert [str(s) for s in tak.parse_servers(" tcp://127.0.0.1:8087, ,udp://LOCALHOST:6969")] == [
        "tcp://127.0.0.1:8087", "udp://localhost:6969"]


# ---- the API (SQLite and PostgreSQL) ---------------------------------------------------------------------

def test_export_api(db_url, monkeypatch):
    from dkfi.core.config import get_settings
    from dkfi.web.app import create_app

    lis = TcpListener(connections=1)
    dead = _dead_port()
    monkeypatch.setenv("DKFI_TAK_SERVERS", f"tcp://127.0.0.1:{lis.port},tcp://127.0.0.1:{dead}")
    get_settings.cache_clear()
    app = create_app(db_url)
    ids = seed(app.state.engine)
    with TestClient(app) as c:
        login(c, db_url, "fi-op", "FIN", "SECRET", ("operator",))
        r = c.get("/api/export/vessels.geojson")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        assert r.headers["X-Classification"] == "NATO CONFIDENTIAL"
        fc = r.json()
        assert {f["id"] for f in fc["features"]} == SEES_VESSELS["fi"]
        assert fc["label"]["classification"] == "CONFIDENTIAL" and "ConfidentialityLabel" in fc["label_xml"]

        r = c.get("/api/export/alerts.cot", params={"stale": 60})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        root, events = _events(r.text)
        assert set(events) == {f"dkfi-DNK-alert-{ids[k]}" for k in ("a-open", "a-fin")}
        assert r.headers["X-Classification"] == "NATO RESTRICTED REL TO DNK, FIN"
        for ev in events.values():
            assert {"uid", "type", "time", "start", "stale"} <= set(ev.attrib)
            assert ev.find("point") is not None and ev.find("detail/__dkfi_label") is not None

        assert c.get("/api/export/assets.geojson").json()["label"]["releasable_to"] == ["DNK", "FIN"]
        assert c.get("/api/export/ships.geojson").status_code == 404
        assert c.get("/api/export/assets.cot").status_code == 404
        assert c.get("/api/export/vessels.cot", params={"stale": 0}).status_code == 422
        r = c.get("/api/export/alerts.geojson", params={"status": "bogus"})
        assert r.status_code == 422 and "status" in r.json()["detail"]

        # TAK: only configured servers; an unreachable one is a 502 that names it
        r = c.post("/api/export/tak", json={"layer": "vessels", "server": "tcp://127.0.0.1:1"})
        assert r.status_code == 422 and "not a configured TAK server" in r.json()["detail"]
        r = c.post("/api/export/tak", json={"layer": "vessels", "server": "udp://239.2.3.1:6969"})
        assert r.status_code == 422
        r = c.post("/api/export/tak", json={"layer": "ships", "server": f"tcp://127.0.0.1:{lis.port}"})
        assert r.status_code == 404
        r = c.post("/api/export/tak", json={"layer": "vessels", "server": f"tcp://127.0.0.1:{lis.port}"})
        assert r.status_code == 200, r.text
        assert r.json()["sent"] == 3 and r.headers["X-Classification"] == "NATO CONFIDENTIAL"
        r = c.post("/api/export/tak", json={"layer": "vessels", "server": f"tcp://127.0.0.1:{dead}"})
        assert r.status_code == 502 and f"tcp://127.0.0.1:{dead}" in r.json()["detail"]

        # a Danish user with low clearance gets less, and a viewer may not send to TAK
        login(c, db_url, "dk-low", "DNK", "UNCLASSIFIED", ("viewer",))
        fc = c.get("/api/export/vessels.geojson").json()
        assert {f["id"] for f in fc["features"]} == SEES_VESSELS["low"]
        assert c.get("/api/export/vessels.geojson").headers["X-Classification"] == "NATO UNCLASSIFIED REL TO DNK, FIN"
        r = c.post("/api/export/tak", json={"layer": "vessels", "server": f"tcp://127.0.0.1:{lis.port}"})
        assert r.status_code == 403
    assert {e.get("uid") for e in lis.events()} == {f"dkfi-DNK-vessel-{m}" for m in SEES_VESSELS["fi"]}
