"""The one MMSI range rule, and that the sources apply it the same way."""
from __future__ import annotations

import pyais
from hypothesis import given
from hypothesis import strategies as st

from dkfi.maritime.mmsi import (
    MMSI_MAX,
    MMSI_MIN,
    SHIP_MMSI_MIN,
    has_nine_digits,
    in_mmsi_range,
    is_valid_mmsi,
    station_for_mmsi,
)
from dkfi.maritime.records import REASON_INVALID_MMSI, Position, Rejected, Station
from dkfi.maritime.sources.digitraffic import parse_message
from dkfi.maritime.sources.nmea import iter_nmea


def test_bounds_examples() -> None:
    assert (MMSI_MIN, SHIP_MMSI_MIN, MMSI_MAX) == (2_000_000, 100_000_000, 999_999_999)
    assert is_valid_mmsi(219_000_001) and is_valid_mmsi(2_000_000) and is_valid_mmsi(999_999_999)
    assert not is_valid_mmsi(1_999_999) and not is_valid_mmsi(1_000_000_000) and not is_valid_mmsi(0)
    assert in_mmsi_range(0) and in_mmsi_range(999_999_999)
    assert not in_mmsi_range(-1) and not in_mmsi_range(1_000_000_000)
    assert has_nine_digits(100_000_000) and not has_nine_digits(99_999_999) and not has_nine_digits(1_000_000_000)


def test_station_kind_from_structure() -> None:
    assert station_for_mmsi(992_191_234) is Station.ATON
    assert station_for_mmsi(111_219_500) is Station.SAR
    assert station_for_mmsi(2_190_067) is Station.BASE
    assert station_for_mmsi(219_000_001) is Station.UNKNOWN
    assert station_for_mmsi(219_000_001, Station.CLASS_A) is Station.CLASS_A


@given(st.integers(-(2**31), 2**31))
def test_ranges_nest(m: int) -> None:
    assert is_valid_mmsi(m) == (2_000_000 <= m <= 999_999_999)
    assert in_mmsi_range(m) == (0 <= m <= 999_999_999)
    # every 9-digit MMSI is valid, every valid one is in range
    assert not has_nine_digits(m) or is_valid_mmsi(m)
    assert not is_valid_mmsi(m) or in_mmsi_range(m)


@given(st.integers(0, 2**30 - 1))
def test_nmea_fast_and_decoded_paths_and_digitraffic_agree(m: int) -> None:
    """A position of MMSI m is accepted by every source exactly when is_valid_mmsi(m)."""
    fast = pyais.encode_dict({"type": 1, "mmsi": m, "lat": 55.5, "lon": 12.3, "speed": 10.0})[0]
    slow = pyais.encode_dict({"type": 27, "mmsi": m, "lat": 55.5, "lon": 12.3, "speed": 10})[0]
    for line in (fast, slow):
        (item,) = iter_nmea([line], receive_time=lambda: 1_700_000_000.0)
        if is_valid_mmsi(m):
            assert type(item) is Position and item.mmsi == m
        else:
            assert type(item) is Rejected and item.reason == REASON_INVALID_MMSI
    item = parse_message(f"vessels-v2/{m}/location", {"time": 1_700_000_000, "lat": 60.1, "lon": 24.9})
    assert (type(item) is Position) == is_valid_mmsi(m)
