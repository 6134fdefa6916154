"""pyais decoded messages -> normalised records (:mod:`dkfi.maritime.records`).

:func:`normalise` takes one decoded AIS message (a pyais ``MessageTypeN`` object) plus what the
source knows about it (time, source, units, de-duplication key) and returns a tuple of items:

* types 1, 2, 3 (class A), 18 (class B), 9 (SAR aircraft), 4 and 11 (base station), 27 (long-range
  broadcast): one :class:`Position` or one :class:`Rejected`;
* type 5 (class A static), 24 part A / part B (class B static): one :class:`Static` or a
  :class:`Rejected`;
* type 19 (class B extended) and 21 (aid to navigation): the position (or its rejection) carrying
  the units, followed by a :class:`Static` with ``units=0`` (so the units identity still holds)
  and the de-duplication key ``(key, "static")`` (the pipeline keeps one "seen" table for both);
* anything else: ``Consumed(units, "ais_type_N")``.

Units: knots, degrees, metres. AIS "not available" values become None (sog 102.3, cog 360,
heading 511, rot -128; type 27: sog 63, cog 511); no position (lat 91 / lon 181) is
:data:`REASON_NO_POSITION`.
Values that are impossible rather than "not available" (cog 360.1-409.5, heading 360-510, rot
+-127 meaning "turning, rate unknown") also become None: the position itself is still good.

Type 27 keeps its coarse units (lat/lon in 1/10 minute, whole knots, whole degrees; no heading, no
rate of turn): the Position has ``msg_type`` 27, so ``Position.coarse`` tells consumers it is good
to ~185 m only. Its position accuracy, RAIM and GNSS (latency) bits are not kept, as for type 1-3.
"""
from __future__ import annotations

import math
from typing import Hashable

from dkfi.maritime.mmsi import MMSI_MAX, MMSI_MIN, is_valid_mmsi
from dkfi.maritime.records import (
    LONG_RANGE_MSG_TYPE,
    REASON_DECODE_ERROR,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    Consumed,
    Item,
    Position,
    Rejected,
    Static,
    Station,
    clean_text,
)

__all__ = ["normalise", "position_from_bits", "FAST_TYPES", "format_eta", "NORMALISED_TYPES", "consumed_kind"]

_A = Station.CLASS_A.value
_B = Station.CLASS_B.value
_SAR = Station.SAR.value
_ATON = Station.ATON.value
_BASE = Station.BASE.value

_KIND = {t: f"ais_type_{t}" for t in range(64)}


def consumed_kind(msg_type: int) -> str:
    """The ``Consumed.kind`` of a message type that carries no vessel record."""
    return _KIND.get(msg_type, "ais_type_unknown")


def _where(where) -> str:
    if where == "" or where is None:
        return "message"
    if type(where) is int:
        return f"line {where}"
    return str(where)


def format_eta(month, day, hour, minute) -> str | None:
    """AIS ETA as "MM-DDTHH:MM", None when any part is "not available" (0 / 24 / 60) or invalid."""
    if not month or not day or month > 12 or day > 31 or hour is None or minute is None:
        return None
    if hour > 23 or minute > 59:
        return None
    return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


def _dim(a, b) -> float | None:
    if a is None or b is None:
        return None
    s = a + b
    return float(s) if s else None


def _bad_mmsi(mmsi, units, where):
    """A Rejected for an MMSI the sources do not accept (:func:`dkfi.maritime.mmsi.is_valid_mmsi`), else None."""
    if is_valid_mmsi(mmsi):
        return None
    return Rejected(REASON_INVALID_MMSI, units, f"{_where(where)}: invalid MMSI {mmsi}")


def _bad_fix(msg_type, mmsi, lat, lon, units, where):
    """A Rejected for a position report that cannot be used (too short, invalid MMSI, no or an impossible
    position), else None: the one check of every message type's position."""
    if lat is None or lon is None:
        return Rejected(REASON_DECODE_ERROR, units, f"{_where(where)}: type {msg_type} message too short for a position")
    bad = _bad_mmsi(mmsi, units, where)
    if bad is not None:
        return bad
    if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        return None
    if lat == 91.0 or lon == 181.0:
        return Rejected(REASON_NO_POSITION, units,
                        f"{_where(where)}: MMSI {mmsi} reports no position (lat {lat}, lon {lon})")
    return Rejected(REASON_OUT_OF_RANGE, units,
                    f"{_where(where)}: MMSI {mmsi} position out of range (lat {lat}, lon {lon})")


def _kinematics(speed, course, heading):
    """(sog, cog, heading) with "not available" and impossible values as None; sog None on range error."""
    if speed is None or speed == 102.3:
        sog = None
    else:
        sog = speed
    if course is None or course >= 360.0:
        cog = None
    else:
        cog = course
    if heading is None or heading > 359:
        heading = None
    return sog, cog, heading


def _class_a(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_fix(msg.msg_type, mmsi, lat, lon, units, where)
    if bad is not None:
        return (bad,)
    speed = msg.speed
    if speed is not None and speed > 102.2:
        if speed == 102.3:
            speed = None
        else:  # cannot happen with a 10-bit field; kept for robustness
            return (Rejected(REASON_OUT_OF_RANGE, units, f"{_where(where)}: MMSI {mmsi} sog {speed}"),)
    course = msg.course
    if course is not None and course >= 360.0:
        course = None
    heading = msg.heading
    if heading is not None and heading > 359:
        heading = None
    turn = msg.turn
    rot = turn if type(turn) is float else None  # pyais TurnRate (+-127, -128): no rate available
    status = msg.status
    return (Position(ts, mmsi, lat, lon, speed, course, heading,
                     None if status is None else int(status), rot,
                     _A, source, msg.msg_type, tfm, units, key),)


def _class_b(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_fix(msg.msg_type, mmsi, lat, lon, units, where)
    if bad is not None:
        return (bad,)
    sog, cog, heading = _kinematics(msg.speed, msg.course, msg.heading)
    return (Position(ts, mmsi, lat, lon, sog, cog, heading, None, None,
                     _B, source, msg.msg_type, tfm, units, key),)


def _type19(msg, ts, source, tfm, units, key, where):
    first = _class_b(msg, ts, source, tfm, units, key, where)[0]
    mmsi = msg.mmsi
    if type(first) is Rejected and first.reason == REASON_INVALID_MMSI:
        return (first,)
    ship_type = msg.ship_type
    static = Static(ts, mmsi, clean_text(msg.shipname), None, None,
                    int(ship_type) if ship_type else None,
                    _dim(msg.to_bow, msg.to_stern), _dim(msg.to_port, msg.to_starboard),
                    None, None, None, _B, source, 19, tfm, 0,
                    None if key is None else (key, "static"))
    return (first, static)


def _type9(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_fix(msg.msg_type, mmsi, lat, lon, units, where)
    if bad is not None:
        return (bad,)
    speed = msg.speed  # whole knots for aircraft; 1023 = not available, 1022 = 1022 or more
    sog = None if speed is None or speed >= 1023 else float(speed)
    course = msg.course
    cog = None if course is None or course >= 360.0 else course
    return (Position(ts, mmsi, lat, lon, sog, cog, None, None, None,
                     _SAR, source, 9, tfm, units, key),)


def _type27(msg, ts, source, tfm, units, key, where):
    """Long-range broadcast: lat/lon as pyais scales them (1/10 minute steps), sog and cog in whole units."""
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_fix(msg.msg_type, mmsi, lat, lon, units, where)
    if bad is not None:
        return (bad,)
    speed = msg.speed  # 6 bits: 0-62 knots, 63 = not available
    sog = None if speed is None or speed >= 63 else float(speed)
    course = msg.course  # 9 bits: 0-359 degrees, 511 = not available, 360-510 impossible
    cog = None if course is None or course >= 360 else float(course)
    status = msg.status
    return (Position(ts, mmsi, lat, lon, sog, cog, None, None if status is None else int(status), None,
                     _A, source, LONG_RANGE_MSG_TYPE, tfm, units, key),)


def _base(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_fix(msg.msg_type, mmsi, lat, lon, units, where)
    if bad is not None:
        return (bad,)
    return (Position(ts, mmsi, lat, lon, None, None, None, None, None,
                     _BASE, source, msg.msg_type, tfm, units, key),)


def _aton(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    lat = msg.lat
    lon = msg.lon
    bad = _bad_mmsi(mmsi, units, where)
    if bad is not None:
        return (bad,)
    first = _bad_fix(21, mmsi, lat, lon, units, where)
    if first is None:
        first = Position(ts, mmsi, lat, lon, None, None, None, None, None,
                         _ATON, source, 21, tfm, units, key)
    name = msg.name
    ext = msg.name_ext
    if name and ext:
        name = name + ext
    static = Static(ts, mmsi, clean_text(name), None, None, None,
                    _dim(msg.to_bow, msg.to_stern), _dim(msg.to_port, msg.to_starboard),
                    None, None, None, _ATON, source, 21, tfm, 0,
                    None if key is None else (key, "static"))
    return (first, static)


def _type5(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    bad = _bad_mmsi(mmsi, units, where)
    if bad is not None:
        return (bad,)
    imo = msg.imo
    ship_type = msg.ship_type
    draught = msg.draught
    return (Static(ts, mmsi, clean_text(msg.shipname), imo if imo else None, clean_text(msg.callsign),
                   int(ship_type) if ship_type else None,
                   _dim(msg.to_bow, msg.to_stern), _dim(msg.to_port, msg.to_starboard),
                   draught if draught else None, clean_text(msg.destination),
                   format_eta(msg.month, msg.day, msg.hour, msg.minute),
                   _A, source, 5, tfm, units, key),)


def _type24(msg, ts, source, tfm, units, key, where):
    mmsi = msg.mmsi
    bad = _bad_mmsi(mmsi, units, where)
    if bad is not None:
        return (bad,)
    if msg.partno == 0:
        return (Static(ts, mmsi, clean_text(msg.shipname), station=_B, source=source, msg_type=24,
                       time_from_message=tfm, units=units, dedupe_key=key),)
    ship_type = msg.ship_type
    to_bow = getattr(msg, "to_bow", None)  # auxiliary craft carry a mothership MMSI instead
    if to_bow is not None:
        length = _dim(to_bow, msg.to_stern)
        width = _dim(msg.to_port, msg.to_starboard)
    else:
        length = width = None
    return (Static(ts, mmsi, None, None, clean_text(msg.callsign), int(ship_type) if ship_type else None,
                   length, width, None, None, None, _B, source, 24, tfm, units, key),)


_NORMALISERS = {
    1: _class_a, 2: _class_a, 3: _class_a,
    4: _base, 11: _base,
    5: _type5,
    9: _type9,
    18: _class_b,
    19: _type19,
    21: _aton,
    24: _type24,
    27: _type27,
}
NORMALISED_TYPES = frozenset(_NORMALISERS)


def normalise(msg, ts: float, source: str = "", time_from_message: bool = True, units: int = 1,
              dedupe_key: Hashable | None = None, where: int | str = "") -> tuple[Item, ...]:
    """Items for one decoded pyais message (see the module docstring).

    ``where`` names the input in rejection details (an int is a line number).
    Never raises: a message whose fields cannot be read becomes ``Rejected(decode_error)``.
    """
    try:
        fn = _NORMALISERS.get(msg.msg_type)
        if fn is None:
            return (Consumed(units, consumed_kind(msg.msg_type)),)
        return fn(msg, ts, source, time_from_message, units, dedupe_key, where)
    except Exception as exc:  # a truncated message (None fields) or an unexpected pyais object
        return (Rejected(REASON_DECODE_ERROR, units, f"{_where(where)}: cannot normalise: {exc!r}"[:300]),)


# ---- fast path: 168-bit position reports straight from the payload bits ------------------------
# The DMA network carries ~93 % types 1-3 and 18. For those, building pyais's attrs message object
# (with its enum conversions) costs several times more than reading the few fields we keep, so the
# NMEA source hands the payload as one integer (pyais's ``int_bit_vector._value`` layout: bit 0 of
# the message is the most significant of 168 bits) and the fields are read with the same shifts,
# masks and conversions as pyais's own ``_fast_path`` (``tests/maritime/test_normalise.py`` checks
# the results equal ``normalise(pyais decode)`` on every message of the test data).

FAST_TYPES = frozenset((1, 2, 3, 18))


def _turn(r: int) -> float | None:
    if r == 0:
        return 0.0
    if abs(r) >= 127:  # +-127: turning, no turn indicator; -128: not available
        return None
    return math.copysign(round((r / 4.733) ** 2), r)


_ROT = tuple(_turn(r - 256 if r > 127 else r) for r in range(256))
_STATUS = tuple(range(16))


def position_from_bits(v: int, ts: float, source: str = "", time_from_message: bool = True, units: int = 1,
                       dedupe_key: Hashable | None = None, where: int | str = "") -> Item:
    """Position (or Rejected) of a 168-bit type 1, 2, 3 or 18 message given as an int."""
    mt = v >> 162
    mmsi = (v >> 130) & 0x3FFFFFFF
    if mt == 18:
        lx = (v >> 83) & 0xFFFFFFF
        ly = (v >> 56) & 0x7FFFFFF
    else:
        lx = (v >> 79) & 0xFFFFFFF
        ly = (v >> 52) & 0x7FFFFFF
    if lx & 0x8000000:
        lx -= 0x10000000
    if ly & 0x4000000:
        ly -= 0x8000000
    lon = ((10 * lx + 3) // 6) / 1e6  # == pyais to_lat_lon: round(lx / 600000, 6)
    lat = ((10 * ly + 3) // 6) / 1e6
    if not MMSI_MIN <= mmsi <= MMSI_MAX or not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
        return _bad_fix(mt, mmsi, lat, lon, units, where)  # hot path: the range test inline, the reasons there
    if mt == 18:
        sp = (v >> 112) & 1023
        c = (v >> 44) & 4095
        h = (v >> 35) & 511
        return Position(ts, mmsi, lat, lon, None if sp == 1023 else sp / 10.0,
                        None if c >= 3600 else c / 10.0, None if h > 359 else h, None, None,
                        _B, source, 18, time_from_message, units, dedupe_key)
    sp = (v >> 108) & 1023
    c = (v >> 40) & 4095
    h = (v >> 31) & 511
    return Position(ts, mmsi, lat, lon, None if sp == 1023 else sp / 10.0,
                    None if c >= 3600 else c / 10.0, None if h > 359 else h,
                    (v >> 126) & 15, _ROT[(v >> 118) & 255],
                    _A, source, mt, time_from_message, units, dedupe_key)
