"""MMSI ranges (ITU-R M.585) in one place, so every source, the API and the detectors agree.

An MMSI is nine decimal digits; the AIS field has 30 bits, so a decoder can hand us numbers up to
1,073,741,823 that are no MMSI at all. Three bounds matter:

* :data:`MMSI_MAX` (999,999,999): the largest nine-digit number; :func:`in_mmsi_range` is the
  0..999,999,999 bound for looking an MMSI up (API paths and queries): anything else cannot be stored;
* :data:`MMSI_MIN` (2,000,000): the smallest MMSI the sources accept (``00MIDxxxx`` coast stations
  with MID 2xx); :func:`is_valid_mmsi` is the rule that turns a record into ``invalid_mmsi``;
* :data:`SHIP_MMSI_MIN` (100,000,000): nine digits without a leading zero, the form of ship
  stations and of the prefixed kinds (``8``, ``98``, ``111``, ``970``, ``99``);
  :func:`has_nine_digits` says whether the first three digits can be read as a MID.

Hot paths may compare against the constants inline (bound as locals) instead of calling.
"""
from __future__ import annotations

from dkfi.maritime.records import Station

__all__ = [
    "MMSI_MIN", "MMSI_MAX", "SHIP_MMSI_MIN", "is_valid_mmsi", "in_mmsi_range", "has_nine_digits",
    "station_for_mmsi",
]

MMSI_MIN = 2_000_000
MMSI_MAX = 999_999_999
SHIP_MMSI_MIN = 100_000_000


def is_valid_mmsi(mmsi: int) -> bool:
    """Accepted by the sources: 2,000,000..999,999,999 (leading zeros allowed for coast stations and groups)."""
    return MMSI_MIN <= mmsi <= MMSI_MAX


def in_mmsi_range(mmsi: int) -> bool:
    """0..999,999,999: a number that can be an MMSI at all (the bound for lookups by MMSI)."""
    return 0 <= mmsi <= MMSI_MAX


def has_nine_digits(mmsi: int) -> bool:
    """100,000,000..999,999,999: nine digits without a leading zero, so digits 1-3 (or a prefix's) give a MID."""
    return SHIP_MMSI_MIN <= mmsi <= MMSI_MAX


def station_for_mmsi(mmsi: int, default: Station = Station.UNKNOWN) -> Station:
    """Station kind implied by the MMSI's structure (ITU-R M.585)."""
    if 990_000_000 <= mmsi <= MMSI_MAX:
        return Station.ATON
    if 111_000_000 <= mmsi <= 111_999_999:
        return Station.SAR
    if mmsi < 10_000_000:  # 00MIDxxxx
        return Station.BASE
    return default
