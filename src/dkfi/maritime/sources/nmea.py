"""NMEA 0183 AIS source: ``!xxVDM`` / ``!xxVDO`` sentences, NMEA 4.0 tag blocks, DMA ``$PGHP`` lines.

Accounting: every non-blank input line is accounted exactly once in the ``units`` of the items
yielded (a line is blank when ``line.strip()`` is empty; :func:`read_nmea` ends lines at CR, LF or
CRLF). A decoded message's record carries the lines that made it: all parts of a multi-part
message plus the metadata lines (``$PGHP`` and tag-block-only lines) attached to it. Metadata
attached to nothing becomes :class:`Consumed`; anything refused becomes :class:`Rejected` whose
detail names the line number(s). Nothing raises, whatever the input.

A comment line (``#`` first, as in the decoder test files, also after a tag block) is
``Consumed(1, "comment")``. A line longer than :data:`~dkfi.maritime.records.MAX_LINE` is one
``Rejected(malformed_sentence)`` unit, refused unread; :func:`read_nmea` and the network listener
never hold more of it than the cap and pass :func:`overlong_marker` in its place.

Metadata lines attach to the next ``VDM``/``VDO`` sentence (whatever becomes of it). A second
metadata line of the same kind (a second ``$PGHP`` or a second tag-block-only line) before any
sentence releases the earlier ones as ``Consumed``.

Time of a message, first found: tag block ``c:`` (seconds or milliseconds), ``$PGHP``, a unix time
trailing the sentence after its checksum (``...,0*28,...,1325394001``), else ``receive_time()``
with ``time_from_message=False``. An unusable ``c:`` or ``$PGHP`` time, and a receive clock that
raises or gives a time outside 1980-2100 (an unset clock reads 1970), reject the message as
``bad_timestamp``: no message is dated by a broken clock.

Multi-part messages are assembled per (sentence id incl. talker, sequence id, channel, tag-block
station), so interleaved parts from different channels or receivers assemble correctly; parts may
arrive in any order. A part whose number is already held under its key, a change of fragment
count, end of input, or ``stale_lines`` lines without completion release the held parts as
``Rejected(incomplete_multipart)``.

The hot path works on bytes with ``str``-level operations: one ``find``/``split`` per line, a
table lookup for the checksum field, an integer fold for the XOR checksum, and
``MSG_CLASS[type].from_vector(bit_vector(payload, fill))`` as the pyais entry point.
Message types that carry no vessel record are not decoded at all (``Consumed``).

A whole-file import reads through :mod:`dkfi.maritime.sources.nmea_batch` instead: numpy takes the common line
groups of a block and decodes their reports as columns; this parser gets every other line with its line number
(``numbered``) and keeps its state across blocks, so the items and their accounting are the same.
"""
from __future__ import annotations

import re
import time as _time
from binascii import Error as _B64Error
from binascii import a2b_base64 as _a2b
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Iterator, cast

from pyais.bit_vector import bit_vector as _bit_vector
from pyais.messages import MSG_CLASS as _MSG_CLASS

from dkfi.maritime.normalise import FAST_TYPES, NORMALISED_TYPES, consumed_kind, normalise, position_from_bits
from dkfi.maritime.records import (
    COMMENT,
    MAX_LINE,
    REASON_BAD_CHECKSUM,
    REASON_BAD_TIMESTAMP,
    REASON_DECODE_ERROR,
    REASON_INCOMPLETE_MULTIPART,
    REASON_MALFORMED,
    REASON_UNKNOWN_SENTENCE,
    Consumed,
    Item,
    Rejected,
    Unreadable,
)

__all__ = ["iter_nmea", "read_nmea", "looks_like_nmea", "NmeaParser", "nmea_checksum", "overlong_marker", "file_blocks"]

# ---- tables -------------------------------------------------------------------------------------

_HEX2 = {}
for _i in range(256):
    for _s in {f"{_i:02X}", f"{_i:02x}", f"{_i:02X}"[0] + f"{_i:02x}"[1], f"{_i:02x}"[0] + f"{_i:02X}"[1]}:
        _HEX2[_s.encode()] = _i
del _i, _s

_DIGIT = {str(i).encode(): i for i in range(10)}
_FILL = {str(i).encode(): i for i in range(6)}
_VDX = frozenset((b"VDM", b"VDO"))
# Valid six-bit armour characters: '0'..'W' (48..87) and '`'..'w' (96..119).
_ARMOUR = bytes(list(range(48, 88)) + list(range(96, 120)))
# Six-bit armour -> base64 alphabet (so binascii repacks the bits in C); anything else -> '*', which
# a2b_base64 drops, so a bad character shows as a short result.
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_B64 = bytes(_B64[c - 48 - 8 if c - 48 > 40 else c - 48] if c in _ARMOUR else 42 for c in range(256))
_M512 = (1 << 512) - 1
_M256 = (1 << 256) - 1
_M128 = (1 << 128) - 1
_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1
_M16 = 0xFFFF

# Plausible epoch-seconds range for message times: 1980-01-01 .. 2100-01-01.
_T_MIN = 315_532_800.0
_T_MAX = 4_102_444_800.0

_KIND = {t: consumed_kind(t) for t in range(64)}
_DECODE = frozenset(NORMALISED_TYPES)


# Proprietary receiver status sentences seen in the DMA network feed ($PSTT: base-station status,
# $PFEC: Furuno). Counted as consumed when their checksum holds.
RECEIVER_STATUS = frozenset({b"PSTT", b"PFEC"})


def nmea_checksum(data: bytes) -> int:
    """XOR of all bytes (the NMEA checksum of the text between the delimiter and '*')."""
    v = int.from_bytes(data, "little")
    if len(data) > 128:
        v = _fold_to_64_bytes(v, len(data))
    while v >> 512:
        v = (v & _M512) ^ (v >> 512)
    v = (v & _M256) ^ (v >> 256)
    v = (v & _M128) ^ (v >> 128)
    v = (v & _M64) ^ (v >> 64)
    v = (v & _M32) ^ (v >> 32)
    v = (v & _M16) ^ (v >> 16)
    return (v & 255) ^ (v >> 8)


def _fold_to_64_bytes(v: int, n: int) -> int:
    """``v`` (``n`` bytes) with its upper half XORed onto its lower half until at most 64 bytes are left.

    Each step costs the current length and halves it, so the whole is linear in ``n``; folding a fixed 64 bytes
    at a time (as for short lines) would be quadratic: a 2 MB line took 14 s."""
    while n > 64:
        low = (n + 1) >> 1  # whole bytes, so byte i and byte i + low are XORed together
        bits = low << 3
        v = (v & ((1 << bits) - 1)) ^ (v >> bits)
        n = low
    return v


_OVERLONG = b"<overlong line dropped: "


def overlong_marker(head: bytes, size: int) -> bytes:
    """The short line that stands for an over-long one of ``size`` bytes starting with ``head``.

    ``<`` starts neither a sentence nor a tag block: the parser refuses it as over-long, one unit."""
    return _OVERLONG + b"%d bytes> " % size + head[:80]


def _overlong(lineno: int, size: int, head: bytes) -> _Reject:
    return _Reject(REASON_MALFORMED, f"line {lineno}: longer than {MAX_LINE:,} bytes ({size:,} bytes), "
                                     f"not read: {_show(head)}")


_DAYS_CACHE: dict[tuple[int, int, int], int] = {}


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_MDAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_GHP_CACHE: dict[tuple, float] = {}


def _pghp_time(fields: list[bytes]) -> float | None:
    """Epoch seconds of a ``$PGHP,1,yyyy,m,d,h,mi,s,ms,...`` field list, None when invalid."""
    key = tuple(fields[2:7])
    base = _GHP_CACHE.get(key)
    try:
        if base is None:
            y, mo, d, h, mi = (int(f) for f in key)
            if not (1980 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= _MDAYS[mo] and 0 <= h <= 23
                    and 0 <= mi <= 59) or len(key) != 5:
                return None
            base = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60
            if len(_GHP_CACHE) > 4096:
                _GHP_CACHE.clear()
            _GHP_CACHE[key] = base
        s = int(fields[7])
        ms = int(fields[8])
    except (ValueError, IndexError):
        return None
    if not (0 <= s <= 60 and 0 <= ms <= 999):
        return None
    return base + s + ms / 1000.0


def _epoch(text: bytes) -> float | None:
    """Unix time in seconds or milliseconds (by magnitude), None if not a plausible time."""
    try:
        v = float(text)
    except ValueError:
        return None
    if v != v:
        return None
    if v >= 1e11:  # milliseconds
        v /= 1000.0
    if _T_MIN <= v <= _T_MAX:
        return v
    return None


def _trailer_time(trailer: bytes) -> float | None:
    """The last field after the checksum when it is a plausible unix time."""
    last = trailer.rstrip(b",").rpartition(b",")[2].strip()
    if not last or not last[:1].isdigit():
        return None
    return _epoch(last)


def _lines_text(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _show(raw: bytes, n: int = 60) -> str:
    text = raw[:n].decode("latin-1")
    return repr(text + ("..." if len(raw) > n else ""))


class _Reject(Exception):
    """A line refused (internal control flow, never escapes)."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail


_TAG_CACHE: dict[bytes, tuple] = {}


def _parse_tag(tb: bytes, lineno: int) -> tuple[float | None, str | None, bytes | None, int, int]:
    """(c: time, s: station, g: group id, g: part, g: total) of a tag block body ``k:v,...*hh``.

    Raises _Reject for a missing or wrong checksum or an unusable ``c:`` time. Valid tag blocks
    are cached (feeds repeat them: the DMA network prefixes every sentence with ``\\si:AISD*3F\\``).
    """
    hit = _TAG_CACHE.get(tb)
    if hit is not None:
        return hit
    result = _parse_tag_uncached(tb, lineno)
    if len(_TAG_CACHE) > 4096:
        _TAG_CACHE.clear()
    _TAG_CACHE[tb] = result
    return result


def _parse_tag_uncached(tb: bytes, lineno: int) -> tuple[float | None, str | None, bytes | None, int, int]:
    body, star, cs = tb.rpartition(b"*")
    if not star:
        raise _Reject(REASON_MALFORMED, f"line {lineno}: tag block without checksum {_show(tb)}")
    expected = _HEX2.get(cs.strip())
    if expected is None:
        raise _Reject(REASON_MALFORMED, f"line {lineno}: tag block checksum field {_show(cs)} is not two hex digits")
    if nmea_checksum(body) != expected:
        raise _Reject(REASON_BAD_CHECKSUM, f"line {lineno}: tag block checksum mismatch {_show(tb)}")
    ts = None
    station = None
    group = None
    gpart = gtotal = 0
    for field in body.split(b","):
        key, colon, value = field.partition(b":")
        if key == b"c":
            ts = _epoch(value)
            if ts is None:
                raise _Reject(REASON_BAD_TIMESTAMP, f"line {lineno}: tag block time c:{_show(value)} unusable")
        elif key == b"s":
            station = value.decode("latin-1") or None
        elif key == b"g":
            parts = value.split(b"-")
            if len(parts) == 3:
                try:
                    gpart = int(parts[0])
                    gtotal = int(parts[1])
                    group = parts[2]
                except ValueError:
                    pass
    return ts, station, group, gpart, gtotal


class _Frags:
    """Parts of one multi-part message being assembled."""

    __slots__ = ("count", "parts", "have", "units", "ts", "station", "first", "last")

    def __init__(self, count: int, lineno: int) -> None:
        self.count = count
        self.parts: list[tuple[bytes, int] | None] = [None] * count
        self.have = 0
        self.units = 0
        self.ts: float | None = None
        self.station: str | None = None
        self.first = lineno
        self.last = lineno


_NO_INPUT = object()  # NmeaParser: "no more lines for now"
_WAIT = object()


def _core(lines: Iterable, source: str, receive_time: Callable[[], float], stale_lines: int,
          numbered: bool = False, reference: bool = False) -> Iterator:
    """The parser proper: one generator with its state in locals (the hot path).

    ``numbered``: the lines come as ``(line number, line)``, some left out (the columnar reader
    :mod:`~dkfi.maritime.sources.nmea_batch` hands over only the lines it does not take itself, none of them
    blank); stale multi-part messages are then released as if every line in between had been seen.
    ``reference``: every message through pyais's message classes (the ``pyais`` decoder), no bit fast path.
    """
    decode_types = _DECODE
    kinds = _KIND
    hex2 = _HEX2
    digit = _DIGIT
    fill_of = _FILL
    vdx = _VDX
    armour = _ARMOUR
    msg_class = _MSG_CLASS
    bit_vector = _bit_vector
    norm = normalise
    checksum = nmea_checksum
    Reject = _Reject
    bytes_ = bytes
    str_ = str
    to_b64 = _TO_B64
    a2b = _a2b
    B64Error = _B64Error
    fast_types = frozenset() if reference else FAST_TYPES
    fast = position_from_bits
    t_min = _T_MIN
    t_max = _T_MAX
    max_line = MAX_LINE

    lineno = 0
    # pending metadata (attached to the next VDM/VDO sentence)
    p_units = 0
    p_first = 0
    p_tag = False
    p_ghp = False
    p_tag_ts = None
    p_ghp_ts = None
    p_station = None
    frags: dict[tuple, _Frags] = {}
    groups: dict[bytes, str] = {}
    where: str | int  # a line number, or "lines a-b" for a multi-part message
    next_sweep = 256
    prev = 0  # numbered: the line number of the line before

    for line in lines:
        if line is _NO_INPUT:
            yield _WAIT
            continue
        if numbered:
            at, line = line
            lineno = at - 1
        t = type(line)
        if t is not bytes_:
            if t is str_:
                # blank is judged on the bytes (ASCII white space), the same for text and binary input
                line = line.encode("latin-1", "replace")
            elif isinstance(line, (bytearray, memoryview)):
                line = bytes_(line)
            else:
                try:
                    line = str_(line).encode("latin-1", "replace")
                except Exception:
                    line = b"?"
        if len(line) > max_line:  # refused unread, blank or not: one unit
            lineno += 1
            r = _overlong(lineno, len(line), line)
            yield Rejected(r.reason, 1, r.detail)
            continue
        s = line.strip()
        if not s:
            continue
        lineno += 1

        sweep_at = lineno
        if numbered:
            if frags and lineno > prev + 1 and lineno >= next_sweep:
                # the lines in between were seen by the caller: the sweeps they made, the last of them counts
                s0 = max(next_sweep, prev + 1)
                sweep_at = s0 + 64 * ((lineno - s0) // 64)
            prev = lineno
        if frags and lineno >= next_sweep:
            next_sweep = sweep_at + 64
            for key in [k for k, f in frags.items() if sweep_at - f.first > stale_lines]:
                stale = frags.pop(key)
                yield Rejected(REASON_INCOMPLETE_MULTIPART, stale.units,
                               f"{_lines_text(stale.first, stale.last)}: multi-part message incomplete after "
                               f"{stale_lines} lines ({stale.have} of {stale.count} parts)")

        vdm_line = False
        try:
            tag_ts = None
            station = None
            has_tag = False
            c0 = s[0]
            if c0 == 92:  # '\' tag block
                end = s.find(b"\\", 1)
                if end < 0:
                    raise Reject(REASON_MALFORMED, f"line {lineno}: tag block not closed {_show(s)}")
                tag_ts, station, group, gpart, gtotal = _parse_tag(s[1:end], lineno)
                if group is not None:
                    if station is not None:
                        if len(groups) > 10_000:
                            groups.clear()
                        groups[group] = station
                    elif gpart > 1:
                        station = groups.get(group)
                has_tag = True
                s = s[end + 1:].lstrip()
                if not s:  # tag-block-only line: metadata for the next sentence
                    if p_tag:
                        yield Consumed(p_units, "metadata")
                        p_units = 0
                        p_ghp = False
                        p_ghp_ts = None
                    if not p_units:
                        p_first = lineno
                    p_units += 1
                    p_tag = True
                    p_tag_ts = tag_ts
                    p_station = station
                    continue
                c0 = s[0]

            if c0 != 33 and c0 != 36:  # '!' or '$'
                if c0 == 35:  # '#': a comment, as in test files
                    yield Consumed(1, COMMENT)
                    continue
                if c0 == 60 and s.startswith(_OVERLONG):  # what the file reader or the listener left of a long line
                    size = s[len(_OVERLONG):].partition(b" ")[0]
                    raise _overlong(lineno, int(size) if size.isdigit() and len(size) < 20 else 0,
                                    s.partition(b"> ")[2])
                raise Reject(REASON_MALFORMED, f"line {lineno}: not an NMEA sentence {_show(s)}")
            star = s.find(b"*")
            body = s[1:star] if star > 0 else s[1:]
            head = body.partition(b",")[0]
            if head[2:] in vdx and len(head) == 5:
                vdm_line = True
            elif head == b"PGHP":
                # ---- DMA / Gatehouse timestamp line ----
                if star < 0:
                    raise Reject(REASON_MALFORMED, f"line {lineno}: $PGHP without checksum")
                expected = hex2.get(s[star + 1:star + 3])
                if expected is None:
                    raise Reject(REASON_MALFORMED, f"line {lineno}: bad checksum field {_show(s[star:])}")
                if checksum(body) != expected:
                    raise Reject(REASON_BAD_CHECKSUM, f"line {lineno}: checksum mismatch {_show(s)}")
                fields = body.split(b",")
                ts = None
                if fields[1:2] == [b"1"]:
                    ts = _pghp_time(fields)
                    if ts is None:
                        raise Reject(REASON_BAD_TIMESTAMP, f"line {lineno}: $PGHP time unusable {_show(s)}")
                if p_ghp:
                    yield Consumed(p_units, "metadata")
                    p_units = 0
                    p_tag = False
                    p_tag_ts = None
                    p_station = None
                if not p_units:
                    p_first = lineno
                p_units += 1
                p_ghp = True
                p_ghp_ts = ts
                if has_tag:
                    p_tag = True
                    if tag_ts is not None:
                        p_tag_ts = tag_ts
                    if station is not None:
                        p_station = station
                continue
            elif head in RECEIVER_STATUS and star > 0 and hex2.get(s[star + 1:star + 3]) == checksum(body):
                # base-station status lines of the DMA network: well formed, no vessel data
                yield Consumed(1, "receiver_status")
                continue
            else:
                raise Reject(REASON_UNKNOWN_SENTENCE, f"line {lineno}: unknown sentence {_show(s)}")

            # ---- !xxVDM / !xxVDO ----
            if star < 0:
                raise Reject(REASON_MALFORMED, f"line {lineno}: sentence without checksum {_show(s)}")
            expected = hex2.get(s[star + 1:star + 3])
            if expected is None:
                raise Reject(REASON_MALFORMED, f"line {lineno}: bad checksum field {_show(s[star:])}")
            if checksum(body) != expected:
                raise Reject(REASON_BAD_CHECKSUM, f"line {lineno}: checksum mismatch {_show(s)}")
            fields = body.split(b",")
            if len(fields) != 7:
                raise Reject(REASON_MALFORMED, f"line {lineno}: {len(fields)} fields, expected 7 {_show(s)}")
            count = digit.get(fields[1])
            num = digit.get(fields[2])
            fill = fill_of.get(fields[6])
            if not count or not num or num > count or fill is None:
                raise Reject(REASON_MALFORMED, f"line {lineno}: bad fragment/fill fields {_show(s)}")
            payload = fields[5]
            if not payload:
                raise Reject(REASON_MALFORMED, f"line {lineno}: empty payload")
            trailer = s[star + 3:]
        except Reject as r:
            yield Rejected(r.reason, 1, r.detail)
            if vdm_line and p_units:  # metadata of a refused sentence is attached to nothing
                yield Consumed(p_units, "metadata")
                p_units = 0
                p_tag = p_ghp = False
                p_tag_ts = p_ghp_ts = None
                p_station = None
            continue
        except Exception as exc:  # defensive: nothing may escape
            yield Rejected(REASON_MALFORMED, 1, f"line {lineno}: unparseable ({exc!r})"[:300])
            continue

        # ---- the sentence is good: attach pending metadata ----
        units = 1
        first = lineno
        if p_units:
            units += p_units
            first = p_first
            if tag_ts is None:
                tag_ts = p_tag_ts
            if station is None:
                station = p_station
            ts = tag_ts if tag_ts is not None else p_ghp_ts
            p_units = 0
            p_tag = p_ghp = False
            p_tag_ts = p_ghp_ts = None
            p_station = None
        else:
            ts = tag_ts
        if ts is None and trailer:
            ts = _trailer_time(trailer)

        if count != 1:
            key = (head, fields[3], fields[4], station)
            f = frags.get(key)
            if f is not None and (f.count != count or f.parts[num - 1] is not None):
                del frags[key]
                yield Rejected(REASON_INCOMPLETE_MULTIPART, f.units,
                               f"{_lines_text(f.first, f.last)}: multi-part message incomplete "
                               f"({f.have} of {f.count} parts; superseded at line {lineno})")
                f = None
            if f is None:
                f = frags[key] = _Frags(count, first)
            f.parts[num - 1] = (payload, fill)
            f.have += 1
            f.units += units
            f.last = lineno
            if f.ts is None:
                f.ts = ts
            if f.station is None:
                f.station = station
            if f.have < count:
                continue
            del frags[key]
            # complete: each of the count parts was stored once (a repeated part number starts afresh)
            parts = cast("list[tuple[bytes, int]]", f.parts)
            payload = b"".join([p[0] for p in parts])
            fill = parts[-1][1]
            units = f.units
            ts = f.ts
            station = f.station
            where = _lines_text(f.first, lineno)
        else:
            where = lineno

        # ---- decode ----
        if ts is None:
            try:
                ts = float(receive_time())
            except Exception as exc:
                yield Rejected(REASON_BAD_TIMESTAMP, units,
                               f"{where if type(where) is str_ else _lines_text(first, lineno)}: no time in the "
                               f"message and the receive clock failed ({exc!r})"[:300])
                continue
            if not t_min <= ts <= t_max:  # also NaN
                yield Rejected(REASON_BAD_TIMESTAMP, units,
                               f"{where if type(where) is str_ else _lines_text(first, lineno)}: no time in the "
                               f"message and the receive clock reads {ts!r}, not a time in 1980-2100")
                continue
            tfm = False
        else:
            tfm = True
        if fill == 0 and len(payload) == 28:  # 168 bits: the common position reports
            try:
                raw = a2b(payload.translate(to_b64))
            except B64Error:
                raw = b""
            if len(raw) == 21:
                v = int.from_bytes(raw, "big")
                if v >> 162 in fast_types:
                    yield fast(v, ts, station or source, tfm, units, payload.decode("ascii"), where)
                    continue
        if payload.translate(None, armour):
            yield Rejected(REASON_MALFORMED, units,
                           f"{_lines_text(first, lineno)}: invalid payload character {_show(payload)}")
            continue
        nbits = len(payload) * 6 - fill
        try:
            bv = bit_vector(payload, fill)
            mtype = bv.get(0, 6)
        except Exception as exc:
            yield Rejected(REASON_DECODE_ERROR, units, f"{_lines_text(first, lineno)}: {exc!r}"[:300])
            continue
        if mtype not in decode_types:
            if 1 <= mtype <= 27:
                yield Consumed(units, kinds[mtype])
            else:
                yield Rejected(REASON_DECODE_ERROR, units,
                               f"{_lines_text(first, lineno)}: invalid AIS message type {mtype}")
            continue
        if nbits < 40:
            yield Rejected(REASON_DECODE_ERROR, units,
                           f"{_lines_text(first, lineno)}: type {mtype} payload too short ({nbits} bits)")
            continue
        try:
            msg = msg_class[mtype].from_vector(bv)
        except Exception as exc:
            yield Rejected(REASON_DECODE_ERROR, units,
                           f"{_lines_text(first, lineno)}: type {mtype}: {exc!r}"[:300])
            continue
        for item in norm(msg, ts, station or source, tfm, units, payload.decode("ascii", "replace"), where):
            yield item

    # ---- end of input ----
    if p_units:
        yield Consumed(p_units, "metadata")
    for f in frags.values():
        yield Rejected(REASON_INCOMPLETE_MULTIPART, f.units,
                       f"{_lines_text(f.first, f.last)}: multi-part message incomplete at end of input "
                       f"({f.have} of {f.count} parts)")


def iter_nmea(lines: Iterable[str | bytes], source: str = "",
              receive_time: Callable[[], float] | None = None, stale_lines: int = 100) -> Iterator[Item]:
    """Items for NMEA lines (str or bytes, one line each, line ends allowed); see the module doc."""
    rt = receive_time if receive_time is not None else _time.time
    return _core(lines, source, rt, stale_lines)


class NmeaParser:
    """Incremental form of :func:`iter_nmea` for streams: ``feed_line`` per line, ``finish`` at the end.

    Multi-part and metadata state is kept between calls.
    """

    def __init__(self, source: str = "", receive_time: Callable[[], float] | None = None,
                 stale_lines: int = 100) -> None:
        self.source = source
        self._queue: deque = deque()
        self._closed = False
        rt = receive_time if receive_time is not None else _time.time
        self._gen = _core(self._lines(), source, rt, stale_lines)

    def _lines(self) -> Iterator:
        q = self._queue
        while True:
            if q:
                yield q.popleft()
            elif self._closed:
                return
            else:
                yield _NO_INPUT

    def feed_line(self, line: str | bytes) -> list[Item]:
        """Items completed by this line (often none or one)."""
        if self._closed:
            raise RuntimeError("NmeaParser.feed_line after finish()")
        self._queue.append(line)
        out = []
        for item in self._gen:
            if item is _WAIT:
                break
            out.append(item)
        return out

    def feed(self, lines: Iterable[str | bytes]) -> list[Item]:
        out: list[Item] = []
        for line in lines:
            out.extend(self.feed_line(line))
        return out

    def finish(self) -> list[Item]:
        """Release what is still held (pending metadata, incomplete multi-part messages)."""
        if self._closed:
            return []
        self._closed = True
        return [item for item in self._gen if item is not _WAIT]


# ---- files -------------------------------------------------------------------------------------

_CHUNK = 1 << 20


def file_blocks(path: Path, errors: list[str], size: int | None = None) -> Iterator[bytes]:
    """The file's bytes in blocks that end at a line end (CR, LF or CRLF), plain or gzip.

    A line longer than MAX_LINE is never held whole: its bytes are skipped to its end and :func:`overlong_marker`
    stands for it (a CRLF cut between two reads leaves an empty line: blank, no unit); a damaged gzip stream ends
    the blocks early with a note in ``errors``; the last line gets a line end. ``size``: bytes per read (default
    ``_CHUNK``). The per-line reader and the columnar import (``nmea_batch``) both read files through this."""
    import gzip

    with open(path, "rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        read: Callable[[int], bytes]
        if magic == b"\x1f\x8b":
            f = gzip.GzipFile(fileobj=raw, mode="rb")
            read = f.read  # whole blocks (read1 stops at each 32 KB of output)
        else:
            read = raw.read
        carry = b""
        skipped = 0
        head = b""
        while True:
            try:
                chunk = read(size or _CHUNK)
            except Exception as exc:  # corrupt or truncated gzip: keep what was read
                errors.append(f"{path.name}: compressed stream damaged ({exc!r}); the rest is unreadable")
                chunk = b""
            if not chunk:
                break
            if skipped:
                ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
                if not ends:
                    skipped += len(chunk)
                    continue
                skipped += min(ends)
                carry = overlong_marker(head, skipped)
                skipped = 0
                chunk = chunk[min(ends):]
            data = carry + chunk if carry else chunk
            cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
            if cut >= 0:
                yield data[:cut + 1]
                carry = data[cut + 1:]
            else:
                carry = data
            if len(carry) > MAX_LINE:
                skipped = len(carry)
                head = carry[:80]
                carry = b""
        if skipped:
            yield overlong_marker(head, skipped) + b"\n"
        elif carry:
            yield carry + b"\n"


def _file_lines(path: Path, errors: list[str]) -> Iterator[bytes]:
    """Lines of a plain or gzip file, ended by CR, LF or CRLF (:func:`file_blocks`, split)."""
    for block in file_blocks(path, errors):
        yield from block.splitlines()


def read_nmea(path: str | Path, source: str | None = None,
              receive_time: Callable[[], float] | None = None, reference: bool = False) -> Iterator[Item]:
    """Items of an NMEA file, plain or gzip (detected by magic bytes); source defaults to the file name.

    ``reference``: every message decoded by pyais's message classes (the ``pyais`` decoder)."""
    path = Path(path)
    src = path.name if source is None else source
    rt = receive_time if receive_time is not None else _time.time
    errors: list[str] = []
    yield from _core(_file_lines(path, errors), src, rt, 100, reference=reference)
    for detail in errors:  # no line is lost from the count: the unreadable rest was never a line
        yield Unreadable(detail)


# a tag block: printable text up to a checksum and the closing backslash (random bytes rarely look like this)
_TAG_BLOCK_START = re.compile(rb"\\[\x20-\x5b\x5d-\x7e]{1,300}\*[0-9A-Fa-f]{1,2}\\")


def looks_like_nmea(first_bytes: bytes) -> bool:
    """True when one of the first lines holds an AIS sentence, a $PGHP line or a tag block."""
    if not first_bytes:
        return False
    for line in first_bytes.splitlines()[:50]:
        s = line.strip()
        if not s:
            continue
        if s[:1] == b"\\" and _TAG_BLOCK_START.match(s):
            return True
        if s.startswith(b"$PGHP"):
            return True
        i = s.find(b"!")
        while 0 <= i <= len(s) - 6:
            if s[i + 3:i + 6] in (b"VDM", b"VDO"):
                return True
            i = s.find(b"!", i + 1)
    return False
