"""pyais decoded messages -> Position / Static / Consumed / Rejected."""
from __future__ import annotations

import gzip

import pyais
import pytest
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from dkfi.maritime.normalise import FAST_TYPES, format_eta, normalise, position_from_bits
from dkfi.maritime.records import (
    REASON_DECODE_ERROR,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    Consumed,
    Position,
    Static,
    Station,
)
from tests.conftest import AIS

DATA = AIS


def _msg(fields: dict):
    fields = {"msg_type": fields["type"], **fields}  # pyais: "type" picks the class, "msg_type" the bits
    sentences = pyais.encode_dict(fields, radio_channel="A")
    return pyais.decode(*sentences)


def _norm(fields: dict, **kw):
    return normalise(_msg(fields), 100.0, "src", True, 1, "key", 7, **kw)


def test_class_a_position_and_not_available_values() -> None:
    (p,) = _norm({"type": 1, "mmsi": 219000001, "lat": 55.5, "lon": 12.25, "speed": 12.3, "course": 45.6,
                  "heading": 44, "status": 5, "turn": 10.0})
    assert type(p) is Position
    assert (p.mmsi, p.lat, p.lon, p.sog, p.cog, p.heading, p.nav_status) == (219000001, 55.5, 12.25, 12.3, 45.6, 44, 5)
    assert p.rot == pytest.approx(10.0, abs=1) and p.station == Station.CLASS_A and p.msg_type == 1
    assert (p.ts, p.source, p.units, p.dedupe_key, p.time_from_message) == (100.0, "src", 1, "key", True)
    (na,) = _norm({"type": 3, "mmsi": 219000001, "lat": 55.5, "lon": 12.25, "speed": 102.3, "course": 360,
                   "heading": 511, "turn": -128})
    assert (na.sog, na.cog, na.heading, na.rot, na.msg_type) == (None, None, None, None, 3)


def test_position_rejections() -> None:
    base = {"type": 1, "mmsi": 219000001, "lat": 55.5, "lon": 12.25}
    (r,) = _norm({**base, "lat": 91, "lon": 181})
    assert r.reason == REASON_NO_POSITION and r.detail.startswith("line 7:")
    (r,) = _norm({**base, "lon": 181})
    assert r.reason == REASON_NO_POSITION
    (r,) = _norm({**base, "lat": -95.0})
    assert r.reason == REASON_OUT_OF_RANGE
    (r,) = _norm({**base, "mmsi": 1234})
    assert r.reason == REASON_INVALID_MMSI


def test_class_b_sar_base() -> None:
    (b,) = _norm({"type": 18, "mmsi": 219000002, "lat": 56.0, "lon": 11.0, "speed": 5.5, "course": 10.0,
                  "heading": 511})
    assert (b.station, b.sog, b.cog, b.heading, b.nav_status, b.rot) == (Station.CLASS_B, 5.5, 10.0, None, None, None)
    (s,) = _norm({"type": 9, "mmsi": 111219001, "lat": 56.0, "lon": 11.0, "speed": 140, "course": 90.0, "alt": 300})
    assert (s.station, s.sog, s.cog) == (Station.SAR, 140.0, 90.0)
    (s,) = _norm({"type": 9, "mmsi": 111219001, "lat": 56.0, "lon": 11.0, "speed": 1023})
    assert s.sog is None
    (bs,) = _norm({"type": 4, "mmsi": 2190067, "lat": 55.0, "lon": 10.0, "year": 2013, "month": 11, "day": 12})
    assert (bs.station, bs.mmsi, bs.msg_type) == (Station.BASE, 2190067, 4)
    (r,) = _norm({"type": 4, "mmsi": 2190067, "lat": 91, "lon": 181})
    assert r.reason == REASON_NO_POSITION
    (r,) = _norm({"type": 11, "mmsi": 2190067, "lat": 54.0, "lon": 10.0})
    assert type(r) is Position and r.station == Station.BASE and r.msg_type == 11


def test_type5_static() -> None:
    (s,) = _norm({"type": 5, "mmsi": 219000003, "shipname": "KING SEAWAYS@@@", "callsign": "OVOL2", "imo": 0,
                  "ship_type": 0, "to_bow": 0, "to_stern": 0, "to_port": 0, "to_starboard": 0, "draught": 0,
                  "destination": "", "month": 0, "day": 0, "hour": 24, "minute": 60})
    assert type(s) is Static
    assert (s.name, s.callsign, s.imo, s.ship_type, s.length, s.width, s.draught, s.destination, s.eta) == \
        ("KING SEAWAYS", "OVOL2", None, None, None, None, None, None, None)
    assert s.station == Station.CLASS_A and s.units == 1
    (s,) = _norm({"type": 5, "mmsi": 219000003, "shipname": "X", "imo": 8502406, "ship_type": 60, "to_bow": 130,
                  "to_stern": 32, "to_port": 14, "to_starboard": 14, "draught": 6.0, "destination": "SEA",
                  "month": 12, "day": 6, "hour": 17, "minute": 41})
    assert (s.imo, s.ship_type, s.length, s.width, s.draught, s.destination, s.eta) == \
        (8502406, 60, 162.0, 28.0, 6.0, "SEA", "12-06T17:41")


def test_format_eta() -> None:
    assert format_eta(1, 2, 3, 4) == "01-02T03:04"
    assert format_eta(0, 2, 3, 4) is None and format_eta(1, 0, 3, 4) is None
    assert format_eta(1, 2, 24, 0) is None and format_eta(1, 2, 3, 60) is None and format_eta(13, 1, 1, 1) is None


def test_type24_parts_and_type19() -> None:
    (a,) = _norm({"type": 24, "mmsi": 219000004, "partno": 0, "shipname": "BLUE BIRD"})
    assert (a.name, a.station, a.callsign, a.length) == ("BLUE BIRD", Station.CLASS_B, None, None)
    (b,) = _norm({"type": 24, "mmsi": 219000004, "partno": 1, "ship_type": 37, "callsign": "OU1234",
                  "to_bow": 8, "to_stern": 4, "to_port": 2, "to_starboard": 2})
    assert (b.name, b.callsign, b.ship_type, b.length, b.width) == (None, "OU1234", 37, 12.0, 4.0)
    pos, st = _norm({"type": 19, "mmsi": 219000005, "lat": 55.1, "lon": 10.1, "speed": 3.0, "course": 20.0,
                     "heading": 21, "shipname": "SEA WOLF", "ship_type": 36, "to_bow": 10, "to_stern": 2})
    assert type(pos) is Position and pos.units == 1 and pos.station == Station.CLASS_B
    assert type(st) is Static and st.units == 0 and st.name == "SEA WOLF" and st.length == 12.0
    assert st.dedupe_key == ("key", "static")


def test_type21_aid_to_navigation() -> None:
    pos, st = _norm({"type": 21, "mmsi": 992191000, "lat": 55.7, "lon": 12.6, "name": "DROGDEN N",
                     "to_bow": 2, "to_stern": 2, "to_port": 1, "to_starboard": 1})
    assert (type(pos), pos.station, pos.units, pos.sog) == (Position, Station.ATON, 1, None)
    assert (type(st), st.station, st.units, st.name, st.length) == (Static, Station.ATON, 0, "DROGDEN N", 4.0)
    first, st = _norm({"type": 21, "mmsi": 992191000, "lat": 91, "lon": 181, "name": "NOWHERE"})
    assert first.reason == REASON_NO_POSITION and st.name == "NOWHERE"


def test_other_types_are_consumed_and_truncated_rejected() -> None:
    (c,) = _norm({"type": 8, "mmsi": 219000006, "dac": 1, "fid": 1, "data": b"\x00\x01"})
    assert c == Consumed(1, "ais_type_8")
    short = MSG_CLASS[1].from_vector(bit_vector(b"13@:`L001N0", 0))
    (r,) = normalise(short, 1.0, "s", True, 2, None, "lines 3-4")
    assert r.reason == REASON_DECODE_ERROR and r.units == 2 and r.detail.startswith("lines 3-4")


def _payloads() -> list[bytes]:
    out = []
    for path in (DATA / "nmea" / "dma_aisabnormal" / "ais-sample.txt.gz",
                 DATA / "nmea" / "dma_aislib" / "stream_example.txt",
                 DATA / "decoder_vectors" / "libais" / "test.aivdm"):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        for line in data.split(b"\n"):
            f = line.split(b",")
            if len(f) >= 7 and f[0][-3:] in (b"VDM", b"VDO") and f[1] == b"1" and len(f[5]) == 28:
                out.append(f[5])
    return out


@pytest.mark.needs_shared(DATA)
def test_fast_path_equals_pyais_path() -> None:
    """position_from_bits (used by the NMEA source) == normalise(pyais decode) on real messages."""
    checked = 0
    for payload in _payloads():
        bv = bit_vector(payload, 0)
        if bv.get(0, 6) not in FAST_TYPES:
            continue
        slow = normalise(MSG_CLASS[bv.get(0, 6)].from_vector(bv), 5.0, "s", True, 3, payload.decode(), 9)
        fast = position_from_bits(bv._value, 5.0, "s", True, 3, payload.decode(), 9)
        assert (fast,) == slow, payload
        checked += 1
    assert checked > 20_000
    # every raw ROT value: pyais's conversion, with its "no rate" markers (+-127, -128) as None
    from pyais.messages import to_turn

    v0 = bit_vector(b"13@:`L001N0ded0O6Fp8wW<00<0t", 0)._value & ~(255 << 118)
    for raw in range(256):
        r = raw - 256 if raw > 127 else raw
        want = to_turn(r)
        got = position_from_bits(v0 | (raw << 118), 1.0).rot
        assert got == (want if type(want) is float else None), r
