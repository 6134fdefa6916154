"""Digitraffic MQTT v2 messages, files and a live subscription against the local broker."""
from __future__ import annotations

import asyncio
import json
import random
import socket
import time

import pytest

from dkfi.maritime.records import (
    REASON_BAD_JSON, REASON_BAD_TIMESTAMP, REASON_INVALID_MMSI, REASON_NO_POSITION, REASON_OUT_OF_RANGE,
    REASON_UNKNOWN_SENTENCE, REASON_UNSUPPORTED, Consumed, Position, Rejected, Static,
)
from dkfi.maritime.sources.digitraffic import (
    decode_eta, looks_like_digitraffic, parse_message, parse_url, read_digitraffic, rot_from_indicator,
    subscribe,
)
from tests.conftest import need

LOC = {"time": 1700000000, "sog": 10.7, "cog": 326.6, "navStat": 0, "rot": 0, "posAcc": True,
       "raim": False, "heading": 325, "lon": 20.345818, "lat": 60.03802}
META = {"timestamp": 1700000000123, "destination": "TURKU@@", "name": "VIKING GRACE", "draught": 68,
        "eta": (5 << 16) | (31 << 11) | (14 << 6) | 30, "posType": 1, "refA": 150, "refB": 68,
        "refC": 20, "refD": 12, "imo": 9606900, "callSign": "OJPX", "type": 60}


def eta_bits(month, day, hour, minute):
    return (month << 16) | (day << 11) | (hour << 6) | minute


def test_location():
    p = parse_message("vessels-v2/230629000/location", json.dumps(LOC).encode())
    assert isinstance(p, Position)
    assert (p.mmsi, p.ts, p.lat, p.lon) == (230629000, 1700000000.0, 60.03802, 20.345818)
    assert (p.sog, p.cog, p.heading, p.nav_status, p.rot) == (10.7, 326.6, 325, 0, 0.0)
    assert p.dedupe_key == (230629000, 1700000000.0, 60.03802, 20.345818)
    assert p.station == "UNKNOWN" and p.source == "digitraffic" and p.time_from_message


def test_location_not_available_values():
    p = parse_message("vessels-v2/230629000/location",
                      {**LOC, "sog": 1023, "cog": 3600, "heading": 511, "rot": -128, "navStat": 15})
    assert (p.sog, p.cog, p.heading, p.rot, p.nav_status) == (None, None, None, None, 15)
    p = parse_message("vessels-v2/230629000/location", {**LOC, "sog": 102.3, "cog": 360.0})
    assert (p.sog, p.cog) == (None, None)
    p = parse_message("vessels-v2/230629000/location",
                      {k: v for k, v in LOC.items() if k not in ("sog", "cog", "heading", "rot", "navStat")})
    assert (p.sog, p.cog, p.heading, p.rot, p.nav_status) == (None, None, None, None, None)


def test_rot_conversion():
    assert rot_from_indicator(0) == 0.0
    assert rot_from_indicator(10) == pytest.approx((10 / 4.733) ** 2, abs=1e-3)
    assert rot_from_indicator(-10) == pytest.approx(-((10 / 4.733) ** 2), abs=1e-3)
    assert rot_from_indicator(126) == pytest.approx((126 / 4.733) ** 2, abs=1e-3)
    assert rot_from_indicator(-128) is None
    assert rot_from_indicator(127) is None and rot_from_indicator(-127) is None
    assert rot_from_indicator(None) is None and rot_from_indicator("x") is None


def test_metadata():
    s = parse_message("vessels-v2/230629000/metadata", json.dumps(META))
    assert isinstance(s, Static)
    assert s.ts == pytest.approx(1700000000.123)
    assert (s.name, s.callsign, s.destination, s.imo, s.ship_type) == ("VIKING GRACE", "OJPX", "TURKU", 9606900, 60)
    assert (s.length, s.width, s.draught) == (218.0, 32.0, 6.8)
    assert s.eta == "05-31T14:30"


def test_metadata_not_available():
    s = parse_message("vessels-v2/230629000/metadata",
                      {"timestamp": 1700000000000, "name": "@@@@", "imo": 0, "draught": 0, "eta": 2460,
                       "refA": 0, "refB": 0, "refC": 0, "refD": 0, "type": 0, "callSign": ""})
    assert isinstance(s, Static)
    assert (s.name, s.imo, s.draught, s.eta, s.length, s.width, s.ship_type, s.callsign) == (None,) * 8


def test_eta_decoding():
    assert decode_eta(eta_bits(1, 2, 3, 4)) == "01-02T03:04"
    assert decode_eta(eta_bits(12, 31, 23, 59)) == "12-31T23:59"
    assert decode_eta(2460) is None
    assert decode_eta(eta_bits(0, 0, 24, 60)) is None          # AIS default
    assert decode_eta(eta_bits(6, 1, 24, 60)) is None          # time not available
    assert decode_eta(None) is None and decode_eta(-1) is None


def test_status_and_rejects():
    assert parse_message("vessels-v2/status", b'{"updated": 1700000000000}') == Consumed(1, "status")
    cases = [
        ("vessels-v2/230629000/location", b"{not json", REASON_BAD_JSON),
        ("vessels-v2/230629000/location", b"[1, 2]", REASON_BAD_JSON),
        ("vessels-v2/230629000/location", None, REASON_BAD_JSON),
        ("vessels-v2/230629000/other", json.dumps(LOC), REASON_UNKNOWN_SENTENCE),
        ("trains/1/location", json.dumps(LOC), REASON_UNKNOWN_SENTENCE),
        ("vessels-v2/abc/location", json.dumps(LOC), REASON_UNKNOWN_SENTENCE),
        ("vessels-v2/123/location", json.dumps(LOC), REASON_INVALID_MMSI),
        ("vessels-v2/230629000/location", {**LOC, "lat": None}, REASON_NO_POSITION),
        ("vessels-v2/230629000/location", {k: v for k, v in LOC.items() if k != "lon"}, REASON_NO_POSITION),
        ("vessels-v2/230629000/location", {**LOC, "lat": 91, "lon": 181}, REASON_NO_POSITION),
        ("vessels-v2/230629000/location", {**LOC, "lat": 95}, REASON_OUT_OF_RANGE),
        ("vessels-v2/230629000/location", {**LOC, "sog": 200}, REASON_OUT_OF_RANGE),
        ("vessels-v2/230629000/location", {**LOC, "cog": 400}, REASON_OUT_OF_RANGE),
        ("vessels-v2/230629000/location", {**LOC, "heading": 400}, REASON_OUT_OF_RANGE),
        ("vessels-v2/230629000/location", {**LOC, "time": None}, REASON_BAD_TIMESTAMP),
        ("vessels-v2/230629000/metadata", {**META, "timestamp": "soon"}, REASON_BAD_TIMESTAMP),
    ]
    for topic, payload, reason in cases:
        r = parse_message(topic, payload)
        assert isinstance(r, Rejected) and r.reason == reason and r.units == 1, (topic, payload, r)
        assert topic in r.detail


def test_files_jsonl_array_geojson_metadata(tmp_path):
    jl = tmp_path / "rec.jsonl"
    jl.write_text("\n".join([
        json.dumps({"topic": "vessels-v2/230629000/location", "payload": LOC}),
        json.dumps({"topic": "vessels-v2/230629000/metadata", "payload": json.dumps(META)}),
        "",
        "{broken",
        json.dumps({"topic": "vessels-v2/status", "payload": {"updated": 1}}),
        json.dumps({"something": "else"}),
    ]) + "\n")
    items = list(read_digitraffic(jl))
    assert [type(i).__name__ for i in items] == ["Position", "Static", "Rejected", "Consumed", "Rejected"]
    assert items[2].reason == REASON_BAD_JSON and items[4].reason == REASON_UNSUPPORTED
    assert items[0].source == "digitraffic:rec.jsonl"

    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([{"topic": "vessels-v2/230629000/location", "payload": LOC}] * 2, indent=1))
    assert [type(i) for i in read_digitraffic(arr)] == [Position, Position]

    fc = {"type": "FeatureCollection", "dataUpdatedTime": "2023-11-14T22:13:20Z", "features": [
        {"mmsi": 230629000, "type": "Feature", "geometry": {"type": "Point", "coordinates": [20.3458, 60.038]},
         "properties": {"mmsi": 230629000, "sog": 10.7, "cog": 326.6, "navStat": 0, "rot": 10, "posAcc": True,
                        "raim": False, "heading": 325, "timestamp": 59, "timestampExternal": 1700000000000}},
        {"mmsi": 1, "type": "Feature", "geometry": {"type": "Point", "coordinates": [20.0, 60.0]},
         "properties": {"timestampExternal": 1700000000000}},
    ]}
    geo = tmp_path / "locations.json"
    geo.write_text(json.dumps(fc))
    items = list(read_digitraffic(geo))
    assert isinstance(items[0], Position) and items[0].ts == 1700000000.0
    assert (items[0].lat, items[0].lon) == (60.038, 20.3458)
    assert items[0].rot == pytest.approx((10 / 4.733) ** 2, abs=1e-3)
    assert isinstance(items[1], Rejected) and items[1].reason == REASON_INVALID_MMSI

    meta = tmp_path / "vessels.json"
    meta.write_text(json.dumps([{**META, "mmsi": 230629000}, {**META, "mmsi": 230629001, "timestamp": None}]))
    items = list(read_digitraffic(meta))
    assert isinstance(items[0], Static) and items[0].mmsi == 230629000 and items[0].name == "VIKING GRACE"
    assert isinstance(items[1], Rejected) and items[1].reason == REASON_BAD_TIMESTAMP

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert [i.reason for i in read_digitraffic(bad)] == [REASON_BAD_JSON]


def test_looks_like():
    assert looks_like_digitraffic(b'{"topic": "vessels-v2/230629000/location", "payload": {}}\n')
    assert looks_like_digitraffic(b'{"type":"FeatureCollection","features":[{"mmsi":1')
    assert looks_like_digitraffic(b'[{"mmsi": 1, "timestamp": 1, "name": "X", "callSign": "Y"}]')
    assert not looks_like_digitraffic(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\n")
    assert not looks_like_digitraffic(b"# Timestamp,Type of mobile,MMSI,Latitude\n")
    assert not looks_like_digitraffic(b'{"a": 1}')


def test_parse_url():
    assert parse_url("mqtt://127.0.0.1:1883") == {"hostname": "127.0.0.1", "port": 1883}
    kw = parse_url("wss://meri.digitraffic.fi:443/mqtt")
    assert kw["transport"] == "websockets" and kw["websocket_path"] == "/mqtt" and kw["port"] == 443
    assert "tls_context" in kw
    assert parse_url("mqtts://u:p%40@h")["port"] == 8883 and parse_url("mqtts://u:p%40@h")["password"] == "p@"
    with pytest.raises(ValueError):
        parse_url("http://x")


# --- live broker -------------------------------------------------------------------------------

def _broker_up(host="127.0.0.1", port=1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.mqtt
@pytest.mark.timeout(60)
def test_subscribe_against_local_broker(tmp_path):
    need("Mosquitto broker not reachable at 127.0.0.1:1883", _broker_up())
    import aiomqtt

    base = random.randint(900_000, 999_999) * 1000  # 9-digit MMSIs unlikely to clash with others
    m1, m2 = 200_000_000 + base // 10, 200_000_001 + base // 10
    record = tmp_path / "rec.jsonl"

    async def main():
        stop = asyncio.Event()
        got: list = []

        need = {("Position", m1), ("Static", m1), ("Position", m2), ("Rejected", m2)}

        def kind(item):
            if isinstance(item, Rejected):
                return ("Rejected", m2) if f"vessels-v2/{m2}/" in item.detail else None
            return (type(item).__name__, getattr(item, "mmsi", None))

        async def consume():
            async for item in subscribe("mqtt://127.0.0.1:1883", stop=stop, record_to=record):
                if kind(item) in need:
                    got.append(item)
                    if need <= {kind(i) for i in got}:
                        stop.set()

        task = asyncio.create_task(consume())
        async with aiomqtt.Client("127.0.0.1", 1883) as pub:
            deadline = time.monotonic() + 20
            while not stop.is_set() and time.monotonic() < deadline:
                # publish until the subscriber (which connects concurrently) has seen them all
                await pub.publish(f"vessels-v2/{m1}/location", json.dumps({**LOC, "time": int(time.time())}))
                await pub.publish(f"vessels-v2/{m1}/metadata", json.dumps(META))
                await pub.publish(f"vessels-v2/{m2}/location", b"{bad json")
                await pub.publish(f"vessels-v2/{m2}/location", json.dumps({**LOC, "lat": 60.5}))
                await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        return got

    got = asyncio.run(asyncio.wait_for(main(), timeout=45))
    kinds = {(type(i).__name__, getattr(i, "mmsi", None)) for i in got}
    assert ("Position", m1) in kinds and ("Static", m1) in kinds and ("Position", m2) in kinds
    assert any(isinstance(i, Rejected) and i.reason == REASON_BAD_JSON for i in got)
    pos = next(i for i in got if isinstance(i, Position) and i.mmsi == m1)
    assert pos.lat == 60.03802 and pos.source == "mqtt:127.0.0.1:1883"
    sta = next(i for i in got if isinstance(i, Static))
    assert sta.name == "VIKING GRACE" and sta.draught == 6.8
    # the recording reads back as the same kinds of items
    back = [i for i in read_digitraffic(record) if getattr(i, "mmsi", None) in (m1, m2)]
    assert any(isinstance(i, Position) for i in back) and any(isinstance(i, Static) for i in back)


@pytest.mark.mqtt
@pytest.mark.timeout(30)
def test_subscribe_stops_while_reconnecting():
    """With nothing listening the subscriber keeps retrying, and still stops when told."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()

    async def main():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.5, stop.set)
        items = [i async for i in subscribe(f"mqtt://127.0.0.1:{port}", stop=stop)]
        return items

    t = time.monotonic()
    assert asyncio.run(asyncio.wait_for(main(), timeout=20)) == []
    assert time.monotonic() - t < 10


def test_a_time_before_1980_is_a_bad_timestamp_not_1970():
    """A Digitraffic time of a few seconds since 1970 is a broken clock, reported, never stored as 1970-01-01."""
    r = parse_message("vessels-v2/230629000/location", {**LOC, "time": 5})
    assert type(r).__name__ == "Rejected" and r.reason == "bad_timestamp"
