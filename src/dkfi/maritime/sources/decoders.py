"""AIS decoders behind one seam: validated position-report sentences -> columns of decoded fields.

The NMEA source (:mod:`dkfi.maritime.sources.nmea`, :mod:`dkfi.maritime.sources.nmea_batch`) does the framing
itself (tag blocks, ``$PGHP`` times, checksums, multi-part assembly, the accounting of every line), because the
decoders below either drop bad lines silently or know nothing of DMA's ``$PGHP`` times. What it hands a decoder
is a batch of single-sentence, checksum-valid 168-bit reports (fill 0) of the types the decoder takes (1, 2, 3,
18 and, but for marlin, the base stations' 4 and 11: 98 % of the DMA network's traffic) as a matrix of their 28 payload characters plus, lazily, the sentences themselves. A decoder
returns raw columns (:data:`COLUMNS`); the source turns them into a Polars frame of positions. Everything else
(type 5, 24, 19, 21, 9, 27, multi-part messages, odd lengths) takes the per-message fallback: pyais's
message classes and :func:`dkfi.maritime.normalise.normalise`, whatever decoder is chosen.

Decoders (``DKFI_AIS_DECODER`` or ``dkfi ais import --decoder``):

* ``columnar`` (default): six-bit decoding of the whole batch in numpy, no Python object per message;
* ``pyais``: the reference. The import then takes the per-message path throughout (pyais's message objects and
  :func:`~dkfi.maritime.normalise.normalise`), as the tests compare against it;
* ``aiscat`` (AIS-catcher's C++ decoder, GPL-3.0-or-later) and ``marlin`` (marlin-py, Rust): one Python dict or
  object per message from the library, read into the same columns. Optional: installed with the ``dev`` extra.

``bench/decoders.py`` measures all of them for correctness on the decoder test vectors and for speed; the figures
are in docs/maritime.md ("Decoders").
"""
from __future__ import annotations

import os
from typing import Callable, Protocol

import numpy as np

__all__ = ["COLUMNS", "DECODERS", "DEFAULT_DECODER", "PositionDecoder", "get_decoder", "SIX", "decoder_name",
           "POSITION_TYPES", "BASE_TYPES"]

DECODERS = ("columnar", "pyais", "aiscat", "marlin")
DEFAULT_DECODER = "columnar"

#: Raw columns a decoder returns for n reports: "not available" is NaN for floats and -1 for integers.
COLUMNS = ("msg_type", "mmsi", "lat", "lon", "sog", "cog", "heading", "nav_status", "rot")

# six-bit armour character -> value 0..63; anything else 255
SIX = np.full(256, 255, dtype=np.uint8)
for _c in range(48, 88):
    SIX[_c] = _c - 48
for _c in range(96, 120):
    SIX[_c] = _c - 56
del _c

# rate of turn indicator (signed 8 bits) -> degrees per minute as pyais and normalise give it; NaN: none
_ROT = np.full(256, np.nan)
for _r in range(256):
    _s = _r - 256 if _r > 127 else _r
    if _s == 0:
        _ROT[_r] = 0.0
    elif abs(_s) < 127:
        _ROT[_r] = float(np.copysign(round((_s / 4.733) ** 2), _s))
del _r, _s


#: The message types a column decoder takes: one-sentence 168-bit reports of these types (first six-bit character).
POSITION_TYPES = frozenset((1, 2, 3, 18))
BASE_TYPES = frozenset((4, 11))


class PositionDecoder(Protocol):
    """Decodes a batch of 168-bit position reports (of the types in ``types``) into :data:`COLUMNS`."""

    name: str
    types: frozenset[int]

    def positions(self, payload: np.ndarray, sentences: Callable[[], list[bytes]]) -> dict[str, np.ndarray]:
        """``payload``: (n, 28) uint8 six-bit values (:data:`SIX` applied); ``sentences()``: the n sentence lines."""
        ...


def _bits(v: np.ndarray, start: int, width: int) -> np.ndarray:
    """Unsigned field [start, start+width) of every row of six-bit values ``v`` (bit 0: the first bit sent)."""
    k0, k1 = start // 6, (start + width - 1) // 6
    acc = np.zeros(v.shape[0], dtype=np.int64)
    for k in range(k0, k1 + 1):
        acc = (acc << 6) | v[:, k]
    return (acc >> (6 * (k1 + 1) - start - width)) & ((1 << width) - 1)


def _signed(x: np.ndarray, width: int) -> np.ndarray:
    return np.where(x >= 1 << (width - 1), x - (1 << width), x)


class ColumnarDecoder:
    """Every field of the batch at once with numpy shifts and masks (ITU-R M.1371 layouts of types 1-3 and 18)."""

    name = "columnar"
    types = POSITION_TYPES | BASE_TYPES

    def positions(self, payload: np.ndarray, sentences: Callable[[], list[bytes]]) -> dict[str, np.ndarray]:
        v = payload.astype(np.int64)
        mt = v[:, 0]
        b = mt == 18  # class B: the fields sit 4 bits earlier (no status and rate of turn)
        base = (mt == 4) | (mt == 11)  # base station report: UTC date and time, then the position at bit 79
        a = ~(b | base)

        def pick(start: int, width: int, base_start: int | None = None) -> np.ndarray:
            out = _bits(v, start, width)
            if b.any():
                out = np.where(b, _bits(v, start - 4, width), out)
            if base_start is not None and base.any():
                out = np.where(base, _bits(v, base_start, width), out)
            return out

        mmsi = _bits(v, 8, 30)
        lon_raw = _signed(pick(61, 28, 79), 28)
        lat_raw = _signed(pick(89, 27, 107), 27)
        sp = np.where(base, 1023, pick(50, 10))
        c = np.where(base, 3600, pick(116, 12))
        h = np.where(base, 511, pick(128, 9))
        status = np.where(a, _bits(v, 38, 4), -1)
        rot = np.where(a, _ROT[_bits(v, 42, 8)], np.nan)
        return {
            "msg_type": mt,
            "mmsi": mmsi,
            # (10 x + 3) // 6 / 1e6 == round(x / 600000, 6), as pyais rounds (and exactly as position_from_bits)
            "lat": ((10 * lat_raw + 3) // 6) / 1e6,
            "lon": ((10 * lon_raw + 3) // 6) / 1e6,
            "sog": np.where(sp == 1023, np.nan, sp / 10.0),
            "cog": np.where(c >= 3600, np.nan, c / 10.0),
            "heading": np.where(h > 359, -1, h),
            "nav_status": status,
            "rot": rot,
        }


def _columns(n: int) -> dict[str, np.ndarray]:
    return {"msg_type": np.zeros(n, np.int64), "mmsi": np.zeros(n, np.int64), "lat": np.zeros(n), "lon": np.zeros(n),
            "sog": np.full(n, np.nan), "cog": np.full(n, np.nan), "heading": np.full(n, -1, np.int64),
            "nav_status": np.full(n, -1, np.int64), "rot": np.full(n, np.nan)}


class AiscatDecoder:
    """AIS-catcher's C++ decoder (``aiscat``): the whole batch fed at once, one dict per message read back.

    aiscat gives lat/lon and speed/course as 32-bit floats; they are rounded to the field's resolution here
    (1/10,000 minute = 1/600,000 degree, 0.1 kn, 0.1 degree) so the stored values are those of the standard."""

    name = "aiscat"
    types = POSITION_TYPES | BASE_TYPES

    def __init__(self) -> None:
        import aiscat  # noqa: F401 (fails early when not installed)

    def positions(self, payload: np.ndarray, sentences: Callable[[], list[bytes]]) -> dict[str, np.ndarray]:
        import aiscat

        lines = sentences()
        n = len(lines)
        cols = _columns(n)
        dec = aiscat.Decoder()
        dec.feed(b"\n".join(lines) + b"\n")
        mt, mmsi, lat, lon = cols["msg_type"], cols["mmsi"], cols["lat"], cols["lon"]
        sog, cog, hdg, st, rot = cols["sog"], cols["cog"], cols["heading"], cols["nav_status"], cols["rot"]
        i = 0
        nxt = dec.next
        while (m := nxt()) is not None:
            mt[i] = m["type"]
            mmsi[i] = m["mmsi"]
            lat[i] = m.get("lat", 91.0)
            lon[i] = m.get("lon", 181.0)
            s = m.get("speed", 102.3)  # aiscat leaves "not available" fields out
            if s < 102.25:
                sog[i] = s
            c = m.get("course", 360.0)
            if c < 359.95:
                cog[i] = c
            hdg[i] = m.get("heading", -1)
            st[i] = m.get("status", -1)
            rot[i] = _ROT[m.get("turn_unscaled", -128) & 255]  # aiscat's own rounding differs from pyais's
            i += 1
        if i != n:
            raise ValueError(f"aiscat decoded {i} of {n} valid sentences")
        cols["lat"] = ((10 * np.round(lat * 600_000).astype(np.int64) + 3) // 6) / 1e6
        cols["lon"] = ((10 * np.round(lon * 600_000).astype(np.int64) + 3) // 6) / 1e6
        cols["sog"] = np.round(sog * 10) / 10
        cols["cog"] = np.round(cog * 10) / 10
        cols["heading"] = np.where(hdg > 359, -1, hdg)
        return cols


class MarlinDecoder:
    """marlin-py (Rust): the batch fed at once, one typed message object per report read back."""

    name = "marlin"
    types = POSITION_TYPES  # marlin does not decode types 4 and 11

    def __init__(self) -> None:
        import marlin.ais  # noqa: F401

    def positions(self, payload: np.ndarray, sentences: Callable[[], list[bytes]]) -> dict[str, np.ndarray]:
        from marlin.ais import AisParser, PositionReportB, RateOfTurn

        lines = sentences()
        n = len(lines)
        cols = _columns(n)
        p = AisParser.streaming()
        deg = RateOfTurn.DegPerMin
        i = 0
        for msg in _fed(p, lines):
            body = msg.body
            cols["msg_type"][i] = int(msg.type_tag[4:])
            cols["mmsi"][i] = body.mmsi
            la = body.latitude_deg.value  # None: "not available", 91 / 181 in the message
            lo = body.longitude_deg.value
            cols["lat"][i] = 91.0 if la is None else la
            cols["lon"][i] = 181.0 if lo is None else lo
            s = body.speed_over_ground.value
            if s is not None:
                cols["sog"][i] = s
            c = body.course_over_ground.value
            if c is not None:
                cols["cog"][i] = c
            h = body.true_heading.value
            if h is not None:
                cols["heading"][i] = h
            if type(body) is not PositionReportB:
                st = body.navigation_status.value
                cols["nav_status"][i] = 15 if st is None else int(st)  # 15: "not defined", marlin's None
                r = body.rate_of_turn.value
                if isinstance(r, deg):
                    cols["rot"][i] = r.deg_per_min
            i += 1
        if i != n:
            raise ValueError(f"marlin decoded {i} of {n} valid sentences")
        for k in ("lat", "lon"):
            cols[k] = np.round(cols[k], 6)
        cols["sog"] = np.round(cols["sog"], 1)
        cols["cog"] = np.round(cols["cog"], 1)
        cols["rot"] = np.round(cols["rot"])  # marlin keeps (ROT_AIS / 4.733)^2 unrounded; stored whole, as pyais
        cols["heading"] = np.where(cols["heading"] > 359, -1, cols["heading"])
        return cols


def _fed(parser, lines: list[bytes]):
    """marlin's messages for ``lines``, fed 500 at a time (its stream buffer holds 64 KB; more is dropped)."""
    for k in range(0, len(lines), 500):
        parser.feed(b"\r\n".join(lines[k:k + 500]) + b"\r\n")
        yield from parser


_MADE: dict[str, PositionDecoder] = {}


def decoder_name(name: str | None = None) -> str:
    """The decoder to use: ``name``, else ``DKFI_AIS_DECODER``, else the default; ValueError for an unknown one."""
    chosen = name or os.environ.get("DKFI_AIS_DECODER") or DEFAULT_DECODER
    if chosen not in DECODERS:
        raise ValueError(f"unknown AIS decoder {chosen!r}; choose one of {', '.join(DECODERS)}")
    return chosen


def get_decoder(name: str | None = None) -> PositionDecoder | None:
    """The position decoder called ``name`` (None for ``pyais``: the per-message reference path).

    ValueError for an unknown name or a decoder whose package is not installed."""
    chosen = decoder_name(name)
    if chosen == "pyais":
        return None
    hit = _MADE.get(chosen)
    if hit is None:
        kinds: dict[str, Callable[[], PositionDecoder]] = {
            "columnar": ColumnarDecoder, "aiscat": AiscatDecoder, "marlin": MarlinDecoder}
        try:
            hit = kinds[chosen]()
        except ImportError as exc:
            pkg = {"aiscat": "aiscat", "marlin": "marlin-py"}.get(chosen, chosen)
            raise ValueError(f"AIS decoder {chosen!r} needs the {pkg} package ({exc}); "
                             "pip install it or choose another") from None
        _MADE[chosen] = hit
    return hit
