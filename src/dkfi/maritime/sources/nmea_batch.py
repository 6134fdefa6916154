"""Columnar NMEA import: blocks of a file -> :class:`~dkfi.maritime.records.Batch` frames of positions.

The per-line parser (:mod:`dkfi.maritime.sources.nmea`) spends a few microseconds of Python on every line and one
object on every message. Most of a network recording is one shape, over and over (the DMA feed)::

    \\si:AISD*3F\\                                        tag block only: metadata
    $PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62*26     DMA time: metadata
    !BSVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0*62      one-sentence position report, 168 bits

This reader finds such groups with numpy over the raw bytes of a block (line ends, checksums by prefix XOR,
``$PGHP`` digit fields, the six-bit payload as a matrix) and decodes their reports as columns through the chosen
decoder (:mod:`dkfi.maritime.sources.decoders`). A group is taken here only when the per-line parser would give
exactly the same result: a ``$PGHP`` time line, optionally one tag-block-only line without ``c:`` or ``g:``
(before or after it), then a single-sentence ``!xxVDM``/``!xxVDO`` type 1, 2, 3 or 18 report with no trailer, all
directly after a sentence line (so nothing else is pending). Every other line (multi-part messages, other
types, comments, anything odd or wrong) goes, with its line number, to the per-line parser, which keeps its state
from block to block; the accounting is therefore that of :func:`~dkfi.maritime.sources.nmea.read_nmea`, unit for
unit and reason for reason.

Per block one Batch holds every position of the block in file order (those of the groups taken here and those the
per-line parser made, so the same copy of a repeated message is kept); then come the block's other items (statics,
other types, rejections): within a block (2 MB, about a minute of the DMA network) a static report can be handed
over after position reports that followed it in the file.
"""
from __future__ import annotations

import time as _time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator, cast

import numpy as np
import polars as pl

from dkfi.maritime.mmsi import MMSI_MAX, MMSI_MIN
from dkfi.maritime.normalise import _bad_fix
from dkfi.maritime.records import (
    MAX_LINE,
    POSITION_SCHEMA,
    STATIC_SCHEMA,
    Batch,
    Consumed,
    Item,
    Position,
    Station,
    Unreadable,
)
from dkfi.maritime.sources.decoders import SIX, PositionDecoder, get_decoder
from dkfi.maritime.sources.nmea import (
    _NO_INPUT,
    _WAIT,
    _parse_tag_uncached,
    _Reject,
    _core,
    file_blocks,
)

__all__ = ["read_nmea_batches", "file_blocks"]

BLOCK = 2 << 20
_NO_STATICS = pl.DataFrame(schema=STATIC_SCHEMA)

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True
_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i
del _i, _c
_DIGIT = np.full(256, -1, dtype=np.int16)
_DIGIT[48:58] = np.arange(10)
_MDAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_SIX_TO_ARMOUR = np.array([c + 48 if c < 40 else c + 56 for c in range(64)], dtype=np.uint8)


class _Framed:
    """What the numpy pass made of one block: the fast groups' reports (row per group) and the other lines."""

    __slots__ = ("slow", "fast_idx", "payload", "ts", "station", "units", "vstart", "vlen", "lineno", "nonblank",
                 "released")

    def __init__(self) -> None:
        empty = np.zeros(0, dtype=np.int64)
        self.slow: list[tuple[int, bytes]] = []  # (line number, line) for the per-line parser
        self.fast_idx: np.ndarray = empty  # line index of each group's sentence
        self.payload: np.ndarray = np.zeros((0, 28), dtype=np.uint8)  # six-bit values
        self.ts: np.ndarray = np.zeros(0)
        self.station: tuple[np.ndarray, list[str]] = (empty, [])  # index into the list, -1: none
        self.units: np.ndarray = empty
        self.vstart: np.ndarray = empty
        self.vlen: np.ndarray = empty
        self.lineno: np.ndarray = empty  # of every line (blank ones repeat the one before)
        self.nonblank = 0
        self.released = 0  # metadata lines released unused by the fast groups (consumed)


def _frame(buf: bytes, lineno0: int, tags: dict[bytes, tuple | None], types: frozenset[int]) -> _Framed:
    """Split one block into fast groups (numpy) and the other lines (for the per-line parser)."""
    out = _Framed()
    b = np.frombuffer(buf, dtype=np.uint8)
    n_bytes = b.size
    nl = b == 10
    cr = b == 13
    crlf = np.zeros(n_bytes, dtype=bool)
    crlf[1:] = nl[1:] & cr[:-1]
    ends = np.flatnonzero((nl | cr) & ~crlf)
    nxt = ends + 1
    nxt[:-1] += crlf[np.minimum(ends[:-1] + 1, n_bytes - 1)]
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = nxt[:-1]
    lens = ends - starts
    n = ends.size
    last = n_bytes - 1

    def at(k: int) -> np.ndarray:
        return b[np.minimum(starts + k, last)]

    fb = at(0)
    blank = lens == 0
    for i in np.flatnonzero(_WS[fb] & (lens > 0) & (lens <= MAX_LINE)).tolist():  # rare: lines starting blank
        blank[i] = not buf[starts[i]:ends[i]].strip()
    lineno = lineno0 + np.cumsum(~blank)
    out.lineno = lineno
    out.nonblank = int(n - blank.sum())
    c1, c2, c3, c4, c5, c6 = at(1), at(2), at(3), at(4), at(5), at(6)
    talker_ok = (c1 != 44) & (c1 != 42) & (c2 != 44) & (c2 != 42)
    vdx = (c3 == 86) & (c4 == 68) & ((c5 == 77) | (c5 == 79))
    # a sentence line: the per-line parser attaches (or releases) whatever metadata is pending
    vdm_like = (fb == 33) & vdx & talker_ok & (c6 == 44) & (lens >= 7) & (lens <= MAX_LINE)

    px = np.bitwise_xor.accumulate(b)

    v_ok, pay_of, pay = _single_reports(b, starts, lens, vdm_like, px, types)

    # ---- tag-block-only lines without c: or g: (parsed once per distinct text) ----
    t_cand = (fb == 92) & (b[np.maximum(ends - 1, 0)] == 92) & (lens >= 3) & (lens <= 300)
    t_ok = np.zeros(n, dtype=bool)
    t_station = np.full(n, -1, dtype=np.int64)
    stations: list[str] = []
    t_idx = np.flatnonzero(t_cand)
    rest = t_idx
    for _ in range(4):  # the common texts are matched as a whole with numpy; rare ones line by line
        if not rest.size:
            break
        i0 = int(rest[0])
        text = buf[starts[i0]:ends[i0]]
        same = lens[rest] == len(text)
        for k, ch in enumerate(text):
            same &= b[np.minimum(starts[rest] + k, last)] == ch
        _tag_into(text, rest[same], tags, t_ok, t_station, stations)
        rest = rest[~same]
    for i in rest.tolist():
        _tag_into(buf[starts[i]:ends[i]], np.array([i]), tags, t_ok, t_station, stations)

    # ---- $PGHP,1,... time lines with a good checksum and digit fields ----
    p_cand = (fb == 36) & (c1 == 80) & (c2 == 71) & (c3 == 72) & (c4 == 80) & (c5 == 44) & (c6 == 49)
    p_cand &= (at(7) == 44) & (lens >= 20) & (lens <= 200)
    p_idx = np.flatnonzero(p_cand)
    ps = starts[p_idx]
    pe = ends[p_idx]
    stars = np.flatnonzero(b == 42)
    if stars.size:
        star = stars[np.minimum(np.searchsorted(stars, ps), stars.size - 1)]
        ok = (star > ps) & (star + 2 < pe)  # the first '*' of the line, two checksum characters after it
    else:
        star = ps + 1
        ok = np.zeros(ps.size, dtype=bool)
    st = np.where(ok, star, ps + 1)
    hi = _HEX[b[np.minimum(st + 1, last)]]
    lo = _HEX[b[np.minimum(st + 2, last)]]
    ok &= (hi >= 0) & (lo >= 0)
    ok &= (px[st - 1] ^ px[ps]) == (hi * 16 + lo)
    commas = np.flatnonzero(b == 44)
    ci = np.searchsorted(commas, ps)  # the comma after PGHP
    have = ci + 8 < commas.size
    ok &= have
    ci = np.where(have, ci, 0)
    cpos = [commas[np.minimum(ci + k, commas.size - 1)] for k in range(9)]
    ok &= cpos[8] < st
    vals = []
    for k in range(1, 8):  # fields 2..8: year, month, day, hour, minute, second, millisecond
        a = cpos[k] + 1
        width = cpos[k + 1] - a
        fok = (width >= 1) & (width <= 4)
        val = np.zeros(ps.size, dtype=np.int64)
        for j in range(4):
            digit = _DIGIT[b[np.minimum(a + j, last)]]
            inside = j < width
            fok &= ~inside | (digit >= 0)
            val = np.where(inside, val * 10 + digit, val)
        ok &= fok
        vals.append(val)
    y, mo, d, h, mi, sec, ms = vals
    ok &= (y >= 1980) & (y <= 2100) & (mo >= 1) & (mo <= 12) & (d >= 1) & (h <= 23) & (mi <= 59)
    ok &= (sec <= 60) & (ms <= 999)
    ok &= d <= _MDAYS[np.clip(mo, 0, 12)]
    base = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60
    p_ok = np.zeros(n, dtype=bool)
    p_ok[p_idx[ok]] = True
    p_ts = np.zeros(n)
    p_ts[p_idx[ok]] = (base[ok] + sec[ok]) + ms[ok] / 1000.0

    # ---- groups: [sentence] P V, [sentence] T P V, [sentence] P T V ----
    def shift(a: np.ndarray, k: int) -> np.ndarray:
        r = np.zeros_like(a)
        r[k:] = a[:-k]
        return r

    # nothing pending before a group: the last line before it that can touch the pending metadata (a sentence,
    # tag block or $PGHP line, or anything not plainly something else) is a sentence line, which cleared it
    touch = vdm_like | (fb == 33) | (fb == 92) | ((fb == 36) & (c1 == 80) & (c2 == 71)) | _WS[fb] | (lens > MAX_LINE)
    t_at = np.flatnonzero(touch)
    before = np.searchsorted(t_at, np.arange(n)) - 1  # the last touching line before each line
    clear = np.zeros(n, dtype=bool)
    has = before >= 0
    clear[has] = vdm_like[t_at[before[has]]]
    # metadata left pending before other lines (the DMA feed's "\si", "$PGHP", "$PSTT ..." status groups): a
    # $PGHP (or a tag block, when a tag block is pending) that starts the next group releases it as one Consumed
    q = np.where(has, t_at[np.maximum(before, 0)], 0) if t_at.size else np.zeros(n, dtype=np.int64)
    q_tp = has & p_ok[q] & (q >= 1) & t_ok[np.maximum(q - 1, 0)] & clear[np.maximum(q - 1, 0)]
    q_p = has & p_ok[q] & clear[q] & ~q_tp
    by_p = q_tp | q_p  # released by a $PGHP: 2 or 1 lines
    pa = shift(p_ok, 1) & shift(clear | by_p, 1)
    pb = shift(p_ok, 1) & shift(t_ok, 2) & shift(clear | q_tp, 2)
    pc = shift(t_ok, 1) & shift(p_ok, 2) & shift(clear | by_p, 2)
    fast = v_ok & (pa | pb | pc)
    three = fast & ~pa
    # the lines released by a fast group: counted as consumed metadata, never handed to the per-line parser
    start = np.where(pa, np.arange(n) - 1, np.arange(n) - 2)[fast]
    rel = start[~clear[start]]
    out.released = int(q_tp[rel].sum() * 2 + q_p[rel].sum())
    released = np.zeros(n, dtype=bool)
    released[q[rel]] = True
    released[q[rel[q_tp[rel]]] - 1] = True
    fi = np.flatnonzero(fast)
    meta = np.zeros(n, dtype=bool)
    meta[fi - 1] = True
    t3 = np.flatnonzero(three)
    meta[t3 - 2] = True
    ts_row = np.where(pa | pb, shift(p_ts, 1), shift(p_ts, 2))[fi]
    st_row = np.full(fi.size, -1, dtype=np.int64)
    st_b = shift(t_station, 2)[fi]
    st_c = shift(t_station, 1)[fi]
    st_row = np.where(pb[fi], st_b, np.where(pc[fi], st_c, st_row))
    out.fast_idx = fi
    out.payload = pay[pay_of[fi]]
    out.ts = ts_row
    out.station = (st_row, stations)
    out.units = np.where(three[fi], 3, 2)
    out.vstart = starts[fi]
    out.vlen = lens[fi]

    slow = np.flatnonzero(~(fast | meta | blank | released))
    ln = lineno[slow].tolist()
    out.slow = [(ln[j], buf[starts[i]:ends[i]]) for j, i in enumerate(slow.tolist())]
    return out


def _single_reports(b: np.ndarray, starts: np.ndarray, lens: np.ndarray, vdm_like: np.ndarray,
                    px: np.ndarray, types: frozenset[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines that are one-sentence 168-bit reports of ``types`` with a good checksum and no trailer
    (``!xxVDM,1,1,[s],C,<28 characters>,0*hh``, 47 or 48 bytes): a mask, each one's row in the payload matrix,
    and the (n, 28) matrix of six-bit values."""
    n = lens.size
    last = b.size - 1
    o = lens - 47
    cand = vdm_like & ((o == 0) | (o == 1))
    idx = np.flatnonzero(cand)
    s = starts[idx]
    oo = o[idx]

    def g(k: int | np.ndarray) -> np.ndarray:
        return b[np.minimum(s + k, last)]

    ok = (g(7) == 49) & (g(8) == 44) & (g(9) == 49) & (g(10) == 44) & (g(11 + oo) == 44)
    seq = g(11)
    ok &= (oo == 0) | ((seq != 44) & (seq != 42))
    chan = g(12 + oo)
    ok &= (chan != 44) & (chan != 42) & (g(13 + oo) == 44) & (g(42 + oo) == 44) & (g(43 + oo) == 48)
    ok &= g(44 + oo) == 42
    hi = _HEX[g(45 + oo)]
    lo = _HEX[g(46 + oo)]
    ok &= (hi >= 0) & (lo >= 0)
    ok &= (px[s + 43 + oo] ^ px[s]) == (hi * 16 + lo)
    idx = idx[ok]
    s = s[ok]
    oo = oo[ok]
    pay = SIX[b[(s + 14 + oo)[:, None] + np.arange(28)]]
    ok = (pay != 255).all(axis=1)
    fast = np.zeros(64, dtype=bool)
    fast[list(types)] = True
    ok[ok] &= fast[pay[ok, 0]]
    v_ok = np.zeros(n, dtype=bool)
    v_ok[idx[ok]] = True
    pay_of = np.full(n, -1, dtype=np.int64)
    pay_of[idx[ok]] = np.arange(int(ok.sum()))
    pay = pay[ok]
    return v_ok, pay_of, pay


def _tag_into(text: bytes, rows: np.ndarray, tags: dict[bytes, tuple | None], t_ok: np.ndarray,
              t_station: np.ndarray, stations: list[str]) -> None:
    """Mark ``rows`` (all holding tag-only line ``text``) as fast metadata when the tag has no time or group."""
    if text not in tags and text.count(b"\\") != 2:  # a tag block and more on the line: the per-line parser
        tags[text] = None
    if text not in tags:
        try:
            ts, station, group, _, _ = _parse_tag_uncached(text[1:-1], 0)
            tags[text] = (station,) if ts is None and group is None else None
        except _Reject:
            tags[text] = None
        if len(tags) > 4096:
            tags.clear()
    hit = tags.get(text)
    if hit is None:
        return
    t_ok[rows] = True
    if hit[0] is not None:
        if hit[0] not in stations:
            stations.append(hit[0])
        t_station[rows] = stations.index(hit[0])


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (H. Hinnant's algorithm, as nmea._days_from_civil), for arrays."""
    y = y - (m <= 2)
    era = np.where(y >= 0, y, y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _positions(fr: _Framed, buf: bytes, source: str,
               decoder: PositionDecoder) -> tuple[pl.DataFrame, list[str], list[Item]]:
    """The fast groups' positions as a frame (dedupe keys apart), and the Rejected of unusable reports."""
    vs, vl = fr.vstart, fr.vlen

    def sentences() -> list[bytes]:
        return [buf[a:a + k] for a, k in zip(vs.tolist(), vl.tolist())]

    cols = decoder.positions(fr.payload, sentences)
    mmsi = cols["mmsi"]
    lat = cols["lat"]
    lon = cols["lon"]
    good = (mmsi >= MMSI_MIN) & (mmsi <= MMSI_MAX) & (lat >= -90.0) & (lat <= 90.0) & (lon >= -180.0) & (lon <= 180.0)
    payload_text = _SIX_TO_ARMOUR[fr.payload]
    keys_all = [k.decode("ascii") for k in np.ascontiguousarray(payload_text).view("S28").ravel().tolist()]
    rejected: list[Item] = []
    bad = np.flatnonzero(~good)
    if bad.size:
        lines = fr.lineno[fr.fast_idx]
        for i in bad.tolist():
            where = int(lines[i])
            rejected.append(_bad_fix(int(cols["msg_type"][i]), int(mmsi[i]), float(lat[i]), float(lon[i]),
                                     int(fr.units[i]), where))
    sel = np.flatnonzero(good)
    st_row, stations = fr.station
    mt = cols["msg_type"][sel]
    names = [source] + stations
    frame = pl.DataFrame({
        "ts": fr.ts[sel],
        "mmsi": mmsi[sel],
        "lat": lat[sel],
        "lon": lon[sel],
        "sog": cols["sog"][sel],
        "cog": cols["cog"][sel],
        "heading": cols["heading"][sel],
        "nav_status": cols["nav_status"][sel],
        "rot": cols["rot"][sel],
        "station": np.where(mt == 18, Station.CLASS_B.value,
                            np.where((mt == 4) | (mt == 11), Station.BASE.value, Station.CLASS_A.value)),
        "source": pl.Series(np.asarray(names, dtype=object)[st_row[sel] + 1].tolist(), dtype=pl.Utf8),
        "msg_type": mt,
        "time_from_message": np.ones(sel.size, dtype=bool),
        "_units": fr.units[sel],
        "_line": fr.lineno[fr.fast_idx[sel]],
    }).with_columns(
        pl.col("sog").fill_nan(None), pl.col("cog").fill_nan(None), pl.col("rot").fill_nan(None),
        pl.when(pl.col("heading") < 0).then(None).otherwise(pl.col("heading")).alias("heading"),
        pl.when(pl.col("nav_status") < 0).then(None).otherwise(pl.col("nav_status")).alias("nav_status"),
    ).cast(cast(Any, POSITION_SCHEMA | {"_units": pl.Int64, "_line": pl.Int64}))
    keys = [keys_all[i] for i in sel.tolist()] if bad.size else keys_all
    return frame, keys, rejected


_EXTRA: dict[str, Any] = {"_units": pl.Int64, "_line": pl.Int64}


def _record_frame(positions: list[Position], lines: list[int]) -> pl.DataFrame:
    """Positions the per-line parser made, as rows of the batch (their line numbers keep the file's order)."""
    cols: dict[str, list] = {c: [getattr(p, c) for p in positions] for c in POSITION_SCHEMA}
    cols["_units"] = [p.units for p in positions]
    cols["_line"] = lines
    return pl.DataFrame(cols, schema=cast(Any, POSITION_SCHEMA | _EXTRA))


def read_nmea_batches(path: str | Path, source: str | None = None,
                      receive_time: Callable[[], float] | None = None, decoder: str | None = None,
                      block: int = BLOCK) -> Iterator[Item]:
    """Items of an NMEA file (plain or gzip) with the common groups as Batches; see the module doc.

    ``decoder`` names the position decoder (:func:`~dkfi.maritime.sources.decoders.get_decoder`); ``pyais``
    reads the file through the per-line reference path instead. ``block``: bytes read at a time (memory is
    bounded by it, not by the file)."""
    from dkfi.maritime.sources.nmea import read_nmea

    path = Path(path)
    src = path.name if source is None else source
    dec = get_decoder(decoder)
    if dec is None:
        yield from read_nmea(path, source=src, receive_time=receive_time, reference=True)
        return
    rt = receive_time if receive_time is not None else _time.time
    errors: list[str] = []
    queue: deque = deque()

    def lines() -> Iterator:
        while True:
            if queue:
                yield queue.popleft()
            elif closed:
                return
            else:
                yield _NO_INPUT

    closed = False
    core = _core(lines(), src, rt, 100, numbered=True)
    tags: dict[bytes, tuple | None] = {}
    lineno = 0
    for buf in file_blocks(path, errors, block):
        fr = _frame(buf, lineno, tags, dec.types)
        lineno += fr.nonblank
        # the other lines, one by one; their positions join the batch in file order (which copy of a repeated
        # message is kept depends on it), everything else follows the batch
        later: list[Item] = []
        slow_pos: list[Position] = []
        slow_at: list[int] = []
        if not fr.fast_idx.size:  # nothing taken here: the per-line parser's items as they come
            queue.extend(fr.slow)
            for item in core:
                if item is _WAIT:
                    break
                yield item
            continue
        for numbered_line in fr.slow:
            queue.append(numbered_line)
            for item in core:
                if item is _WAIT:
                    break
                if type(item) is Position and type(item.dedupe_key) is str:
                    slow_pos.append(item)
                    slow_at.append(numbered_line[0])
                else:
                    later.append(item)
        frame, keys, rejected = _positions(fr, buf, src, dec)
        later.extend(rejected)
        if fr.released:
            later.append(Consumed(fr.released, "metadata"))
        if slow_pos:
            both = pl.concat([frame, _record_frame(slow_pos, slow_at)])
            order = np.argsort(both["_line"].to_numpy(), kind="stable")
            frame = both[order]
            merged = keys + [cast(str, p.dedupe_key) for p in slow_pos]
            keys = [merged[i] for i in order.tolist()]
        if frame.height:
            units = frame["_units"].to_numpy()
            yield Batch(frame.drop(list(_EXTRA)), _NO_STATICS, {}, int(units.sum()), keys=keys, row_units=units)
        yield from later
    closed = True
    for item in core:
        if item is not _WAIT:
            yield item
    for detail in errors:
        yield Unreadable(detail)


def decode_sentences(buf: bytes, decoder: str | None = None) -> tuple[dict[str, np.ndarray], list[bytes]]:
    """The decoder seam alone, for a block of bare sentence lines (no tag blocks, no times, no accounting): the
    one-sentence type 1, 2, 3, 18 reports decoded as columns at once, and the other lines, for the per-message
    fallback. ``bench/decoders.py`` measures decoders with it."""
    if not buf.endswith((b"\n", b"\r")):
        buf += b"\n"
    b = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(b == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lens = ends - starts
    last = b.size - 1
    c = [b[np.minimum(starts + k, last)] for k in range(7)]
    vdm_like = (c[0] == 33) & (c[3] == 86) & (c[4] == 68) & ((c[5] == 77) | (c[5] == 79)) & (c[6] == 44)
    vdm_like &= (c[1] != 44) & (c[1] != 42) & (c[2] != 44) & (c[2] != 42)
    px = np.bitwise_xor.accumulate(b)
    dec = get_decoder(decoder)
    if dec is None:
        raise ValueError("decode_sentences needs a column decoder, not pyais")
    v_ok, pay_of, pay = _single_reports(b, starts, lens, vdm_like, px, dec.types)
    fi = np.flatnonzero(v_ok)
    s0, l0 = starts[fi], lens[fi]
    cols = dec.positions(pay, lambda: [buf[a:a + k] for a, k in zip(s0.tolist(), l0.tolist())])
    rest = np.flatnonzero(~v_ok)
    return cols, [buf[starts[i]:ends[i]] for i in rest.tolist()]
