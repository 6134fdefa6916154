"""AIS message 27 (long-range broadcast): a coarse Position, through the path ``dkfi ais import`` takes."""
from __future__ import annotations

import pyais
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.maritime.formats import open_source
from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import (
    LONG_RANGE_MSG_TYPE,
    LONG_RANGE_RESOLUTION_M,
    REASON_DECODE_ERROR,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    Position,
    Rejected,
    Station,
)
from dkfi.maritime.sources.nmea import iter_nmea, nmea_checksum

T0 = 1_700_000_000
STEP = 1 / 600  # 1/10 minute in degrees
MMSI = 219_000_027


def _tag(ts: int) -> str:
    body = f"s:sat1,c:{ts}"
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def _msg27(ts: int = T0, **fields) -> str:
    """One tag-blocked type 27 sentence; fields default to a ship under way off Copenhagen."""
    data = {"msg_type": 27, "mmsi": MMSI, "lat": 55.7, "lon": 12.6, "speed": 12, "course": 87,
            "status": 0, "accuracy": True, "raim": False, "gnss": False, **fields}
    (sentence,) = pyais.encode_dict(data)
    return _tag(ts) + sentence


def _armour(bits: str) -> str:
    bits += "0" * (-len(bits) % 6)
    return "".join(chr(v + 48 if v < 40 else v + 56) for v in (int(bits[i:i + 6], 2) for i in range(0, len(bits), 6)))


def _raw27(mmsi: int, lon10: int, lat10: int, sog: int, cog: int) -> str:
    """A type 27 sentence packed by hand (lat/lon in 1/10 minute), independent of pyais's encoder."""
    bits = (f"{27:06b}{0:02b}{mmsi:030b}1" "0" f"{0:04b}" f"{lon10 & 0x3FFFF:018b}{lat10 & 0x1FFFF:017b}"
            f"{sog:06b}{cog:09b}" "0" "0")
    assert len(bits) == 96
    body = f"AIVDM,1,1,,A,{_armour(bits)},0"
    return f"!{body}*{nmea_checksum(body.encode()):02X}"


def _payload(line: str) -> str:
    return line.rpartition("\\")[2].split(",")[5]


def _one(line: str):
    (item,) = iter_nmea([line], source="test", receive_time=lambda: float(T0))
    return item


def _within(got: float, want: float) -> bool:
    """Within half a 1/10-minute step (the encoder rounds to the nearest step) plus pyais's 6-decimal rounding."""
    return abs(got - want) <= STEP / 2 + 1e-6


# ---- fields --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lat, lon", [(55.7, 12.6), (55.67613, 12.56843), (-33.8568, 151.2153),
                                      (90.0, -180.0), (-90.0, 180.0), (0.0, 0.0)])
def test_position_fields_within_tenth_minute(lat: float, lon: float) -> None:
    p = _one(_msg27(lat=lat, lon=lon, speed=12, course=87, status=5))
    assert type(p) is Position
    assert _within(p.lat, lat) and _within(p.lon, lon)
    assert (p.sog, p.cog, p.heading, p.rot, p.nav_status) == (12.0, 87.0, None, None, 5)
    assert (p.mmsi, p.ts, p.time_from_message, p.source) == (MMSI, T0, True, "sat1")
    assert p.msg_type == LONG_RANGE_MSG_TYPE == 27 and p.coarse and p.station == Station.CLASS_A
    assert p.units == 1


def test_type1_positions_are_not_coarse() -> None:
    (line,) = pyais.encode_dict({"type": 1, "mmsi": MMSI, "lat": 55.7, "lon": 12.6})
    p = _one(line)
    assert type(p) is Position and p.msg_type == 1 and not p.coarse
    assert LONG_RANGE_RESOLUTION_M == pytest.approx(1852 / 10)


def test_hand_packed_bits_decode_to_tenth_minute_units() -> None:
    # 55 deg 42.3 min N, 12 deg 36.1 min E; 0 knots; course 359
    p = _one(_raw27(MMSI, lon10=12 * 600 + 361, lat10=55 * 600 + 423, sog=0, cog=359))
    assert p.lat == pytest.approx(55 + 42.3 / 60, abs=1e-6) and p.lon == pytest.approx(12 + 36.1 / 60, abs=1e-6)
    assert (p.sog, p.cog) == (0.0, 359.0)
    # the southern and western hemispheres are two's complement
    p = _one(_raw27(MMSI, lon10=-(70 * 600 + 5), lat10=-(33 * 600 + 599), sog=62, cog=0))
    assert p.lat == pytest.approx(-(33 + 59.9 / 60), abs=1e-6) and p.lon == pytest.approx(-(70 + 0.5 / 60), abs=1e-6)
    assert (p.sog, p.cog) == (62.0, 0.0)


def test_not_available_values() -> None:
    # speed 63 and course 511 are "not available"; 360-510 cannot be a course: the position still counts
    for speed, course, want in ((63, 511, (None, None)), (62, 360, (62.0, None)), (0, 510, (0.0, None))):
        p = _one(_msg27(speed=speed, course=course))
        assert type(p) is Position and (p.sog, p.cog) == want
    # lon 181 deg = 0x1A838 and lat 91 deg = 0xD548 in 1/10 minute: no position, as for the other types
    assert 181 * 600 == 0x1A838 and 91 * 600 == 0xD548
    for line in (_raw27(MMSI, 0x1A838, 0xD548, 63, 511), _raw27(MMSI, 0x1A838, 33000, 5, 5),
                 _raw27(MMSI, 7000, 0xD548, 5, 5), _msg27(lat=91.0, lon=181.0, speed=63, course=511)):
        r = _one(line)
        assert type(r) is Rejected and r.reason == REASON_NO_POSITION, r
        assert "no position" in r.detail and r.detail.startswith("line 1")
    # pyais's encoder writes the same bits for 91 / 181 / 63 / 511
    assert (_payload(_msg27(lat=91.0, lon=181.0, speed=63, course=511))
            == _payload(_raw27(MMSI, 0x1A838, 0xD548, 63, 511)))


def test_impossible_position_short_message_and_bad_mmsi_are_rejected() -> None:
    r = _one(_raw27(MMSI, lon10=200 * 600, lat10=100, sog=1, cog=1))
    assert type(r) is Rejected and r.reason == REASON_OUT_OF_RANGE
    r = _one(_msg27(mmsi=1_234))
    assert type(r) is Rejected and r.reason == REASON_INVALID_MMSI
    body = "AIVDM,1,1,,A," + _payload(_msg27())[:10] + ",0"  # 60 of 96 bits
    r = _one(f"!{body}*{nmea_checksum(body.encode()):02X}")
    assert type(r) is Rejected and r.reason == REASON_DECODE_ERROR


# ---- through the import path ---------------------------------------------------------------------

def test_import_file_accounting_and_stored_position(tmp_path) -> None:
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.maritime import service
    from dkfi.maritime.models import Vessel

    good = _msg27(T0, lat=55.67613, lon=12.56843, speed=14, course=200, status=0)
    lines = [
        good,
        good,                                                  # the same message again: a duplicate
        _msg27(T0 + 60, lat=55.7, lon=12.6, speed=63, course=511),  # newer, speed and course unknown
        _msg27(T0 + 120, mmsi=219_000_028, lat=91.0, lon=181.0),    # no position
        _msg27(T0 + 120, mmsi=1_234),                           # invalid MMSI
        _raw27(219_000_029, 200 * 600, 100, 1, 1),              # out of range (receive time as ts)
    ]
    path = tmp_path / "sat.nmea"
    path.write_text("\n".join(lines) + "\n")

    fmt, items = open_source(path)
    p = Pipeline()
    p.feed(items)
    assert fmt == "nmea"
    assert p.acc.received == 6 and p.acc.accepted == 2 and p.acc.duplicates == 1
    assert dict(p.acc.rejected) == {REASON_NO_POSITION: 1, REASON_INVALID_MMSI: 1, REASON_OUT_OF_RANGE: 1}
    assert p.acc.received == p.acc.accepted + p.acc.duplicates + p.acc.rejected_total

    settings_ = get_settings()
    engine = get_engine(settings_.effective_database_url)
    report = service.import_paths(engine, [path], settings_, fmt="auto")
    d = report.as_dict()
    assert not report.errors and d["received"] == 6
    assert d["received"] == d["accepted"] + d["duplicates"] + sum(d["rejected"].values())
    with session_scope(engine) as s:
        v = s.get(Vessel, MMSI)
        assert v is not None and _within(v.lat, 55.7) and _within(v.lon, 12.6)
        assert (v.sog, v.cog, v.heading, v.nav_status) == (None, None, None, 0)
    track = service.make_store(engine, settings_).track(MMSI)
    assert track["msg_type"].to_list() == [27, 27]  # history keeps the coarse marker
    assert _within(track["lat"][0], 55.67613) and _within(track["lon"][0], 12.56843)
    assert track["sog"].to_list() == [14.0, None] and track["cog"].to_list() == [200.0, None]


# ---- property ------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mmsi=st.integers(2_000_000, 999_999_999),
    lat=st.floats(-90.0, 90.0), lon=st.floats(-180.0, 180.0),
    speed=st.integers(0, 62), course=st.integers(0, 359), status=st.integers(0, 15),
    accuracy=st.booleans(), raim=st.booleans(), gnss=st.booleans(),
    ts=st.integers(T0 - 10**8, T0 + 10**8),
)
def test_valid_fields_round_trip_within_resolution(mmsi, lat, lon, speed, course, status, accuracy, raim,
                                                   gnss, ts) -> None:
    line = _msg27(ts, mmsi=mmsi, lat=lat, lon=lon, speed=speed, course=course, status=status,
                  accuracy=accuracy, raim=raim, gnss=gnss)
    p = _one(line)
    assert type(p) is Position, p
    assert _within(p.lat, lat) and _within(p.lon, lon)
    assert (p.mmsi, p.sog, p.cog, p.nav_status, p.ts) == (mmsi, float(speed), float(course), status, ts)
    assert p.coarse and p.time_from_message
