"""Danish Maritime Authority "aisdk" daily CSV archives, read columnar with Polars.

Both layouts are read by header name: the 22-column one (before 2020) and the 26-column one
(from 2020: ``A,B,C,D`` antenna offsets follow; length and width may then be empty and come from
A+B and C+D). Plain, gzip and zip files are read as a byte stream in blocks of about
``batch_rows`` lines, so a 15 M-row day never has to be in memory at once.

Counting (see :class:`~dkfi.maritime.records.Batch`): every non-blank data line is one unit.
A unit is rejected for the first of these that applies:

1. ``malformed_row``: not exactly as many fields as the header;
2. ``bad_timestamp``: ``# Timestamp`` is not ``dd/mm/yyyy HH:MM:SS``;
3. ``invalid_mmsi``: MMSI not a number in 2,000,000..999,999,999;
4. ``field_out_of_range``: latitude, longitude, SOG, COG or heading present but not a number or
   outside its range (the "not available" values 91, 181, 102.3, 360 and 511 are not errors:
   they become null, and 91/181 mean "no position"); blanks around a number are allowed;
5. ``no_position``: no valid position and no static information.

Every other unit is accepted: it yields a position row when it has a valid position, a static row
when it carries any static information (name, IMO, call sign, ship type, dimensions, draught,
destination, ETA), or both.

Blank lines (nothing but white space, as for every source) are not units. Lines end at LF or CRLF,
or at CR in a file whose first line ends with a lone CR. Quoted fields are understood; a newline
inside a quoted field is not (the DMA files have none). A line that is not valid UTF-8 is a
``malformed_row``.

A (member) file without the columns needed (time, MMSI, latitude, longitude), or a compressed
stream that breaks off, yields an :class:`~dkfi.maritime.records.Unreadable` naming it, after the
batches of what could be read; the other members of a zip are read on.

Speed: a block is first read with typed columns (MMSI as integer, the kinematic fields as
floats), which is about as fast as reading the CSV at all; only where that fails (a field that is
not a number, a ragged line, quotes) are the lines, in pieces of a few MB, read as text and
checked field by field. Text columns with few distinct values (type of mobile, navigational status,
ship type) are mapped through a ``pl.Enum`` of the texts seen so far instead of per-row string work.
"""
from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Union

import polars as pl

from dkfi.maritime.mmsi import MMSI_MAX, MMSI_MIN
from dkfi.maritime.records import (
    IMO_MAX,
    POSITION_SCHEMA,
    REASON_BAD_ROW,
    REASON_BAD_TIMESTAMP,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    STATIC_SCHEMA,
    Batch,
    Station,
    Unreadable,
    WHITE_SPACE,
)

if TYPE_CHECKING:
    from polars._typing import PolarsDataType
    from polars.expr.whenthen import ChainedThen, Then

__all__ = ["read_dma_csv", "looks_like_dma_csv", "nav_status_code", "ship_type_code", "station_code"]

# canonical (lower-case) header names -> our column names
_COLUMNS = {
    "timestamp": "timestamp",
    "type of mobile": "mobile",
    "mmsi": "mmsi",
    "latitude": "lat",
    "longitude": "lon",
    "navigational status": "nav",
    "rot": "rot",
    "sog": "sog",
    "cog": "cog",
    "heading": "heading",
    "imo": "imo",
    "callsign": "callsign",
    "name": "name",
    "ship type": "ship_type",
    "cargo type": "cargo_type",
    "width": "width",
    "length": "length",
    "draught": "draught",
    "destination": "destination",
    "eta": "eta",
    "a": "a",
    "b": "b",
    "c": "c",
    "d": "d",
}
_REQUIRED = ("timestamp", "mmsi", "lat", "lon")
_REQUIRED_NAMES = {"timestamp": "Timestamp", "mmsi": "MMSI", "lat": "Latitude", "lon": "Longitude"}

_SENTINEL = "\x01"   # appended as an extra field to every line to count its fields
_TS_FORMAT = "%d/%m/%Y %H:%M:%S"
_EST_LINE_BYTES = 150  # first guess of a line's length, refined as the file is read

_SPACES = re.compile(r"[^a-z0-9]+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


# --- text -> code mappings (applied to the few distinct values of a column, not to every row) ---

_NAV_EXACT = {
    "under way using engine": 0, "underway using engine": 0, "at anchor": 1, "not under command": 2,
    "restricted manoeuverability": 3, "restricted maneuverability": 3, "restricted manoeuvrability": 3,
    "restricted maneuvrability": 3, "constrained by her draught": 4, "constrained by her draft": 4,
    "moored": 5, "aground": 6, "engaged in fishing": 7, "under way sailing": 8, "underway sailing": 8,
    "reserved for future amendment hsc": 9, "reserved for future amendment wig": 10,
    "power driven vessel towing astern": 11,
    "power driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13, "ais sart is active": 14, "ais sart active": 14,
    "unknown value": 15, "unknown": 15, "not defined": 15, "undefined": 15,
}


def _small_number(digits: str) -> int | None:
    """The value of a string of ASCII digits when below 1000, else None (a 5,000-digit "ship type" is no code,
    and int() refuses strings that long)."""
    v = digits.lstrip("0")
    return int(v or "0") if len(v) <= 3 else None


def nav_status_code(text: str | None) -> int | None:
    """AIS navigational status 0..15 for a DMA text (tolerant of case, spacing and spelling)."""
    if text is None:
        return None
    t = _norm(text)
    if not t:
        return None
    if t in _NAV_EXACT:
        return _NAV_EXACT[t]
    if t.isdigit():
        v = _small_number(t)
        return v if v is not None and v <= 15 else None
    # keyword fallbacks for spelling variants
    if "engine" in t:
        return 0
    if "anchor" in t:
        return 1
    if "not under command" in t:
        return 2
    if t.startswith("restricted"):
        return 3
    if "constrained" in t:
        return 4
    if "moored" in t:
        return 5
    if "aground" in t:
        return 6
    if "fishing" in t:
        return 7
    if "sailing" in t:
        return 8
    if "hsc" in t:
        return 9
    if "wig" in t:
        return 10
    if "pushing" in t or "alongside" in t:
        return 12
    if "towing" in t:
        return 11
    if "sart" in t:
        return 14
    if "reserved" in t:
        return 13
    return None


_SHIP_TYPE = {
    "cargo": 70, "tanker": 80, "passenger": 60, "fishing": 30, "towing": 31, "towing long wide": 32,
    "towing long or wide": 32, "tug": 52, "pilot": 50, "sar": 51, "search and rescue": 51,
    "law enforcement": 55, "sailing": 36, "pleasure": 37, "pleasure craft": 37, "hsc": 40,
    "high speed craft": 40, "military": 35, "dredging": 33, "diving": 34, "port tender": 53,
    "anti pollution": 54, "medical": 58, "wig": 20, "wing in ground": 20, "other": 90,
    "not party to conflict": 59, "spare 1": 56, "spare 2": 57, "spare": 56,
    "undefined": None, "unknown": None, "reserved": None,
}
# categories whose code has a hazard digit (2x WIG, 4x HSC, 6x passenger, 7x cargo, 8x tanker, 9x other)
_HAZARD = {"category x": 1, "x": 1, "category y": 2, "y": 2, "category z": 3, "z": 3, "category os": 4, "os": 4}


def ship_type_code(text: str | None, cargo_type: str | None = None) -> int | None:
    """A representative AIS ship-and-cargo type for a DMA ship type text (None when undefined).

    With a cargo type "Category X/Y/Z/OS" the hazard digit is set for WIG, HSC, passenger,
    cargo, tanker and other (e.g. Tanker + Category X -> 81).
    """
    if text is None:
        return None
    t = _norm(text)
    if not t:
        return None
    if t.isdigit():
        v = _small_number(t)
        return v if v is not None and 1 <= v <= 99 else None
    code = _SHIP_TYPE.get(t)
    if code is None and t not in _SHIP_TYPE:
        for key, value in _SHIP_TYPE.items():  # "Cargo ship", "Tanker - hazardous" ...
            if value is not None and t.startswith(key):
                code = value
                break
    if code is not None and code % 10 == 0 and cargo_type:
        code += _HAZARD.get(_norm(cargo_type), 0)
    return code


def station_code(text: str | None) -> str:
    """Station kind for DMA "Type of mobile"."""
    t = _norm(text or "")
    if t == "class a":
        return Station.CLASS_A.value
    if t == "class b":
        return Station.CLASS_B.value
    if t == "base station":
        return Station.BASE.value
    if t == "aton":
        return Station.ATON.value
    if t == "sar airborne":
        return Station.SAR.value
    return Station.UNKNOWN.value


# --- recognising -----------------------------------------------------------------------------

def _decompressed_head(first_bytes: bytes) -> bytes:
    if first_bytes[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(first_bytes, 65536)
        except zlib.error:
            return b""
    if first_bytes[:4] == b"PK\x03\x04" and len(first_bytes) >= 30:
        method = int.from_bytes(first_bytes[8:10], "little")
        n = int.from_bytes(first_bytes[26:28], "little")
        m = int.from_bytes(first_bytes[28:30], "little")
        data = first_bytes[30 + n + m:]
        if method == 0:
            return data
        if method == 8:
            try:
                return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, 65536)
            except zlib.error:
                return b""
        return b""
    return first_bytes


def _header_names(line: str) -> list[str]:
    line = line.lstrip("\ufeff").strip()
    fields = [f.strip().strip('"').lstrip("#").strip() for f in line.split(",")]
    return [f.lower() for f in fields]


def looks_like_dma_csv(first_bytes: bytes) -> bool:
    """True when the bytes start with a DMA aisdk CSV header (plain, or gzip/zip compressed)."""
    head = _decompressed_head(first_bytes)
    line = next(iter(head.splitlines()), b"").decode("utf-8", "replace")
    names = set(_header_names(line))
    return {"timestamp", "mmsi", "latitude", "longitude"} <= names and (
        "type of mobile" in names or "navigational status" in names)


# --- reading ---------------------------------------------------------------------------------

_DAMAGE = (OSError, EOFError, zlib.error, zipfile.BadZipFile)  # what a broken file or compressed stream raises
_Stream = Union[IO[bytes], gzip.GzipFile]


def _open_streams(path: Path) -> Iterator[tuple[str, _Stream]]:
    """(name, binary stream) of the CSV content: the file, its gzip content or each CSV in a zip."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as g:
            yield path.name, _lf_lines(g)
    elif magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            members = [i for i in z.infolist() if not i.is_dir()]
            csvs = [i for i in members if i.filename.lower().endswith(".csv")] or members
            for info in csvs:
                with z.open(info) as m:
                    yield f"{path.name}:{info.filename}", _lf_lines(m)
    else:
        with open(path, "rb") as f:
            yield path.name, _lf_lines(f)


class _CrToLf(io.RawIOBase):
    """A byte stream whose CR and CRLF line ends read as LF."""

    def __init__(self, raw: _Stream) -> None:
        self.raw = raw
        self.cr = False  # the last byte given was a CR: an LF right after it belongs to it

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while True:
            data = self.raw.read(len(b))
            if not data:
                return 0
            if self.cr and data[:1] == b"\n":
                data = data[1:]
            if not data:
                self.cr = False
                continue
            self.cr = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            b[:len(data)] = data
            return len(data)


def _lf_lines(stream: _Stream) -> _Stream:
    """The stream itself, or, when its first line ends with a lone CR (a file written with CR line ends), the
    stream with CR read as LF. (CRLF is understood where blocks are read; LF files keep their fast path.)"""
    peek = getattr(stream, "peek", None)
    head = peek(1 << 16)[: 1 << 16] if peek is not None else b""
    cr, lf = head.find(b"\r"), head.find(b"\n")
    if cr < 0 or (0 <= lf < cr) or head[cr + 1:cr + 2] == b"\n":
        return stream
    return io.BufferedReader(_CrToLf(stream), buffer_size=1 << 20)


def _read_some(stream: _Stream, n: int, errors: list[BaseException]) -> bytes:
    """Up to ``n`` bytes; a stream that breaks off ends early, with what it gave kept and the error noted."""
    read = getattr(stream, "read1", stream.read)  # one underlying read at a time: little is lost at a break
    parts: list[bytes] = []
    got = 0
    while got < n:
        try:
            chunk = read(min(n - got, 1 << 20))
        except _DAMAGE as exc:
            errors.append(exc)
            break
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _read_line(stream: _Stream, errors: list[BaseException]) -> bytes:
    try:
        return stream.readline()
    except _DAMAGE as exc:
        errors.append(exc)
        return b""


def _blocks(stream: _Stream, batch_rows: int, errors: list[BaseException]) -> Iterator[bytes]:
    """Blocks of whole lines, about ``batch_rows`` lines each; a stream that breaks off (a truncated gzip) ends
    the blocks after what it gave, with the error in ``errors``."""
    est = _EST_LINE_BYTES
    # a plain file is read in one piece per block (no copying to complete the last line)
    seekable = isinstance(stream, io.BufferedReader) and isinstance(stream.raw, io.FileIO) and stream.seekable()
    while not errors:
        want = max(batch_rows * est, 1 << 16)
        if seekable:
            start = stream.tell()
            stream.seek(start + want)
            rest = len(stream.readline())  # up to the end of the line that the block would cut
            stream.seek(start)
            data = stream.read(want + rest)
        else:
            data = _read_some(stream, want, errors)
            if data and not data.endswith(b"\n") and not errors:
                data += _read_line(stream, errors)  # complete the last line
        if not data:
            return
        if not data.endswith(b"\n"):
            data += b"\n"
        # line length from the start of the block
        sample = data[: 1 << 20]
        est = max(16, len(sample) // max(1, sample.count(b"\n")) + 1)
        yield data


_SENT = _SENTINEL.encode()


def _try_read(data: bytes, lines: int, **kw: Any) -> pl.DataFrame | None:
    try:
        df = pl.read_csv(data, **kw)
    except pl.exceptions.PolarsError:
        return None
    return df if df.height == lines else None


def _parse_block(block: bytes, n_fields: int) -> pl.DataFrame:
    """Fields ``c0..c{n-1}`` as strings plus ``__end``: every line gets the sentinel as an extra
    last field, so ``__end`` equals the sentinel exactly when the line had ``n_fields`` fields
    (ragged lines are truncated or padded with nulls by Polars)."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    lines = block.count(b"\n")
    if b'"' not in block and block.count(b",") == lines * (n_fields - 1):
        # Without truncate_ragged_lines Polars refuses overlong lines, so if it reads the block
        # no line has more than n_fields fields; as the comma count adds up, each line then has
        # exactly n_fields fields (no quotes, so every comma separates fields).
        names = [f"c{i}" for i in range(n_fields)]
        df = _try_read(block, lines, has_header=False, new_columns=names, infer_schema=False,
                       raise_if_empty=False)
        if df is not None:
            return df.with_columns(pl.lit(_SENTINEL, dtype=pl.Utf8).alias("__end"))
    body = block.replace(b"\n", b"," + _SENT + b"\n")
    names = [f"c{i}" for i in range(n_fields)] + ["__end"]
    kw: dict[str, Any] = dict(infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
    first = body[: body.find(b"\n")]
    df = None
    if first.count(b",") == n_fields and b'"' not in first:
        # Polars takes the number of columns from the first line, which is well formed here
        df = _try_read(body, lines, has_header=False, new_columns=names, quote_char='"', **kw)
    if df is None:
        # a header line fixes the columns; one more column catches overlong lines
        header = (",".join(names + ["__over"]) + "\n").encode()
        df = _try_read(header + body, lines, has_header=True, quote_char='"', **kw)
        if df is None:  # an unbalanced quote: read without quoting
            df = pl.read_csv(header + body, has_header=True, quote_char=None, **kw)
        df = df.with_columns(
            pl.when(pl.col("__over").is_null()).then(pl.col("__end")).otherwise(None).alias("__end")
        ).drop("__over")
    # blank lines (",<sentinel>" after marking, or white space and the sentinel) are not units
    blank_end = "c1" if n_fields > 1 else "__end"
    blank = pl.col("c0").is_null() | (pl.col("c0").str.strip_chars(WHITE_SPACE) == "")
    return df.filter(~(blank & pl.col(blank_end).eq(_SENTINEL).fill_null(False)))


_BAD_LINE = b"\x02"  # stands for a line that is not UTF-8: one field, so a malformed row


def _utf8_lines(block: bytes) -> bytes:
    """The block with each line that is not valid UTF-8 replaced by a one-field line (a malformed row): Polars
    refuses a whole read for one bad byte. Checked in pieces of about 1 MB, line by line only in a bad piece."""
    if block.isascii():
        return block
    out: list[bytes] = []
    pos, n = 0, len(block)
    while pos < n:
        end = block.find(b"\n", min(pos + (1 << 20), n) - 1)
        end = n if end < 0 else end + 1
        piece = block[pos:end]
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            piece = b"\n".join(line if _is_utf8(line) else _BAD_LINE for line in piece.split(b"\n"))
        out.append(piece)
        pos = end
    return b"".join(out)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- typed frames ------------------------------------------------------------------------------
# Both ways of reading a block end in the same "typed frame": one column per name of _COLUMNS
# (MMSI Int64, the kinematic numbers Float64, everything else text) plus, from the careful path
# only, ``__pre``: _PRE_ROW for a malformed line, _PRE_NUM for a non-numeric kinematic field.

_FLOAT = ("lat", "lon", "rot", "sog", "cog", "heading")
_CHECKED = ("lat", "lon", "sog", "cog", "heading")  # not a number -> field_out_of_range
_DTYPES: dict[str, PolarsDataType] = {
    name: (pl.Int64 if name == "mmsi" else pl.Float64 if name in _FLOAT else pl.Utf8)
    for name in dict.fromkeys(_COLUMNS.values())
}
_PRE_OK, _PRE_ROW, _PRE_NUM = 0, 1, 2
_SPLIT_BYTES = 8 << 20  # a block whose typed read fails is retried in pieces of this size


class _Layout:
    """How the fields of one file map to the typed frame."""

    def __init__(self, n_fields: int, cols: dict[int, str]):
        self.n_fields = n_fields
        self.last = f"c{n_fields - 1}"
        self.cols = cols
        # the typed read: every field of the line must be in the schema, or Polars would not
        # refuse overlong lines; the fields we do not use are read as (cheap, short) text
        self.schema = {f"c{i}": _DTYPES[cols[i]] if i in cols else pl.Utf8 for i in range(n_fields)}
        present = {ours: f"c{i}" for i, ours in cols.items()}
        self.typed_select = [
            pl.col(present[name]).alias(name) if name in present else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in _DTYPES.items()
        ]
        exprs, malformed = [], []
        for name, dtype in _DTYPES.items():
            if name not in present:
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
                continue
            raw = pl.col(present[name])
            if dtype == pl.Utf8:
                exprs.append(raw.alias(name))
                continue
            # the typed CSV read skips white space around numbers: so does this path
            text = raw.str.strip_chars()
            value = text.cast(dtype, strict=False)
            exprs.append(value.alias(name))
            if name in _CHECKED:
                malformed.append((text != "") & value.is_null())
        ok = pl.col("__end").eq(_SENTINEL).fill_null(False)
        bad_num = pl.any_horizontal(malformed).fill_null(False) if malformed else pl.lit(False)
        exprs.append(
            pl.when(~ok).then(pl.lit(_PRE_ROW, dtype=pl.Int8))
            .when(bad_num).then(pl.lit(_PRE_NUM, dtype=pl.Int8))
            .otherwise(pl.lit(_PRE_OK, dtype=pl.Int8)).alias("__pre"))
        self.careful_select = exprs


def _read_typed(block: bytes, layout: _Layout) -> pl.DataFrame | None:
    """The block read with typed columns, when every field parses and every line has exactly
    the header's number of fields; else None."""
    try:
        df = pl.read_csv(block, has_header=False, schema=layout.schema, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None
    # With every field in the schema Polars refuses lines with too many fields; a line with too
    # few has a null last field. Without quotes every comma separates fields and every line is
    # one row, so the comma count tells when a null last field is just empty.
    if df.get_column(layout.last).null_count() and (
            df.height != block.count(b"\n") or block.count(b",") != df.height * (layout.n_fields - 1)):
        return None
    return df.select(layout.typed_select)


def _pieces(block: bytes) -> Iterator[bytes]:
    """The block cut at line ends into pieces of about _SPLIT_BYTES."""
    pos = 0
    while pos < len(block):
        end = block.find(b"\n", min(pos + _SPLIT_BYTES, len(block)) - 1)
        end = len(block) if end < 0 else end + 1
        yield block[pos:end]
        pos = end


def _typed_frames(block: bytes, layout: _Layout, split: bool = True) -> list[pl.DataFrame]:
    """Typed frames of the block's units: the fast typed read where it works, the careful string
    read where not (so a bad value costs speed only for the lines around it)."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b'"' not in block:
        df = _read_typed(block, layout)
        if df is not None:
            return [df]
        if split and len(block) > _SPLIT_BYTES:
            out: list[pl.DataFrame] = []
            for piece in _pieces(block):
                out.extend(_typed_frames(piece, layout, split=False))
            return out
    return [_parse_block(_utf8_lines(block), layout.n_fields).select(layout.careful_select)]


# --- converting ----------------------------------------------------------------------------------

class _Codes:
    """A text column mapped to codes by ``fn`` of each distinct text. The texts seen so far are
    kept as the categories of a pl.Enum: casting to it is cheaper than looking up every row's
    text, and as the few texts of a column recur from block to block they are found once."""

    def __init__(self, fn: Callable[[str], Any], dtype: PolarsDataType, default: Any = None):
        self.fn, self.dtype, self.default = fn, dtype, default
        self.texts: list[str] = []
        self._enum = pl.Enum([])
        self._codes = pl.Series([], dtype=dtype)

    def _index(self, s: pl.Series) -> pl.Series:
        try:
            return s.cast(self._enum).to_physical()
        except pl.exceptions.InvalidOperationError:
            known = set(self.texts)
            new = [v for v in s.unique(maintain_order=True).to_list() if v is not None and v not in known]
            self.texts += new
            self._enum = pl.Enum(self.texts)
            self._codes = pl.Series([self.fn(v) for v in self.texts], dtype=self.dtype)
            return s.cast(self._enum).to_physical()

    def codes(self, s: pl.Series) -> pl.Series:
        """The code of every row (the default where the text is null)."""
        index = self._index(s)
        if not self.texts:  # no texts at all
            return pl.repeat(self.default, len(s), dtype=self.dtype, eager=True)
        out = self._codes.gather(index)
        return out if self.default is None else out.fill_null(self.default)

    def any_code(self, s: pl.Series) -> pl.Series:
        """Whether every row's text has a (non-null) code."""
        index = self._index(s)
        if not self.texts:
            return pl.repeat(False, len(s), dtype=pl.Boolean, eager=True)
        has = self._codes.is_not_null()
        return has.gather(index).fill_null(False)


def _per_value(frame: pl.DataFrame, col: str, fn: Callable[[pl.Expr], pl.Expr], dtype: PolarsDataType) -> pl.Expr:
    """``fn(pl.col(col))`` computed on the column's distinct values and mapped back to the rows
    (text columns of static data repeat the same few values)."""
    uniq = frame.get_column(col).unique().drop_nulls()
    if uniq.is_empty():
        return pl.lit(None, dtype=dtype)
    mapped = pl.DataFrame({col: uniq}).select(fn(pl.col(col)).cast(dtype)).to_series()
    return pl.col(col).replace_strict(uniq, mapped, default=None, return_dtype=dtype)


def _imo(col: pl.Expr) -> pl.Expr:
    imo = col.str.strip_chars().str.strip_prefix("IMO").str.strip_chars().cast(pl.Int64, strict=False)
    return pl.when((imo > 0) & (imo <= IMO_MAX)).then(imo)


def _eta(col: pl.Expr) -> pl.Expr:
    eta = col.str.strip_chars().str.strptime(pl.Datetime("us"), _TS_FORMAT, strict=False)
    return eta.dt.strftime("%m-%dT%H:%M")


def _text(col: pl.Expr) -> pl.Expr:
    """clean_text as an expression."""
    v = col.str.replace_all("@", " ", literal=True).str.strip_chars()
    return pl.when(v != "").then(v)


def _num(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Float64, strict=False)


def _dim(expr: pl.Expr) -> pl.Expr:
    return pl.when((expr > 0) & expr.is_finite()).then(expr).otherwise(None)  # "1e400" reads as infinity


def _ship_type_expr(base: pl.DataFrame) -> pl.Expr:
    types = [v for v in base.get_column("ship_type").unique().to_list() if v is not None]
    codes = {t: ship_type_code(t) for t in types}
    if not any(v is not None for v in codes.values()):
        return pl.lit(None, dtype=pl.Int32)
    st = pl.col("ship_type").replace_strict(list(codes), list(codes.values()), default=None, return_dtype=pl.Int32)
    cargo = [v for v in base.get_column("cargo_type").unique().to_list() if v is not None]
    hazard = {c: _HAZARD.get(_norm(c), 0) for c in cargo}
    if any(hazard.values()):
        hz = pl.col("cargo_type").replace_strict(list(hazard), list(hazard.values()), default=0,
                                                 return_dtype=pl.Int32)
        st = pl.when(st % 10 == 0).then(st + hz).otherwise(st)
    return st


_OK, _R_ROW, _R_TS, _R_MMSI, _R_OOR = 0, 1, 2, 3, 4
_STATIC_RAW = ("name", "callsign", "destination", "eta", "draught", "length", "width", "a", "b", "c", "d")
_STATIC_TEST = ("name", "imo", "callsign", "ship_type", "length", "width", "draught", "destination", "eta")


class _Converter:
    """Typed frames to Batches, for one file (it remembers the texts of its columns)."""

    def __init__(self, source: str):
        self.source = source
        self.station = _Codes(station_code, pl.Utf8, Station.UNKNOWN.value)
        self.nav = _Codes(nav_status_code, pl.Int32)
        self.ship_type = _Codes(ship_type_code, pl.Int32)

    def __call__(self, f: pl.DataFrame) -> Batch:
        units = f.height
        lat, lon, sog, cog, hdg, ts = (pl.col(c) for c in ("lat", "lon", "sog", "cog", "heading", "ts"))
        careful = "__pre" in f.columns
        pre = pl.col("__pre")

        oor = (
            ((lat.abs() > 90.0) & (lat != 91.0)) | ((lon.abs() > 180.0) & (lon != 181.0))
            | (sog < 0.0) | (sog > 102.3) | (cog < 0.0) | (cog > 360.0)
            | (hdg < 0) | ((hdg > 359) & (hdg != 511)) | (hdg != hdg.floor())
        ).fill_null(False)
        if careful:
            oor = oor | (pre == _PRE_NUM).fill_null(False)
        # evaluated on the first pass's columns ("ts" the parsed time, "oor" the above)
        r: Then | ChainedThen = pl.when(ts.is_null()).then(pl.lit(_R_TS, dtype=pl.Int8))
        if careful:
            r = pl.when((pre == _PRE_ROW).fill_null(False)).then(pl.lit(_R_ROW, dtype=pl.Int8)).when(
                ts.is_null()).then(pl.lit(_R_TS, dtype=pl.Int8))
        reason = (r.when(~pl.col("mmsi").is_between(MMSI_MIN, MMSI_MAX).fill_null(False))
                  .then(pl.lit(_R_MMSI, dtype=pl.Int8))
                  .when(pl.col("oor")).then(pl.lit(_R_OOR, dtype=pl.Int8))
                  .otherwise(pl.lit(_OK, dtype=pl.Int8)))
        maybe_static = (pl.any_horizontal([pl.col(c).is_not_null() for c in _STATIC_RAW])
                        | (pl.col("imo").is_not_null() & (pl.col("imo") != "Unknown"))
                        | pl.col("__typed"))

        # every row, one pass: the reject reason, the position columns, whether static data may be
        s1 = f.lazy().with_columns(
            __station=self.station.codes(f.get_column("mobile")),
            __nav=self.nav.codes(f.get_column("nav")),
            __typed=self.ship_type.any_code(f.get_column("ship_type")),
        ).select(
            "mmsi", "lat", "lon",
            ts=pl.col("timestamp").str.strptime(pl.Datetime("ms"), _TS_FORMAT, strict=False)
            .dt.epoch("ms").cast(pl.Float64) / 1000.0,
            sog=pl.when(sog < 102.3).then(sog),
            cog=pl.when(cog < 360.0).then(cog),
            heading=pl.when(hdg != 511).then(hdg).cast(pl.Int32, strict=False),  # exact on kept rows
            nav_status=pl.col("__nav"),
            rot=pl.when(pl.col("rot").abs() <= 720.0).then(pl.col("rot")),
            station=pl.col("__station"),
            no_pos=lat.is_null() | lon.is_null() | (lat == 91.0) | (lon == 181.0),
            maybe_static=maybe_static,
            oor=oor,
            **({"__pre": pre} if careful else {}),
        ).with_columns(r=reason).drop("oor", *(["__pre"] if careful else [])).collect()

        ok = pl.col("r") == _OK
        counts = s1.select(
            row=(pl.col("r") == _R_ROW).sum(), ts=(pl.col("r") == _R_TS).sum(),
            mmsi=(pl.col("r") == _R_MMSI).sum(), oor=(pl.col("r") == _R_OOR).sum(),
            nopos=(ok & pl.col("no_pos") & ~pl.col("maybe_static")).sum(),
            pos=(ok & ~pl.col("no_pos")).sum(), cand=(ok & pl.col("maybe_static")).sum(),
        ).row(0, named=True)

        consts = dict(source=pl.lit(self.source, dtype=pl.Utf8), msg_type=pl.lit(0, dtype=pl.Int32),
                      time_from_message=pl.lit(True))
        pos = s1 if counts["pos"] == units else s1.filter(ok & ~pl.col("no_pos"))
        positions = pos.select(*(c for c in POSITION_SCHEMA if c not in consts), **consts).cast(
            POSITION_SCHEMA)  # type: ignore[arg-type]  # polars stub: Mapping keys invariant, dict[str, dtype] refused

        nopos = counts["nopos"]
        statics = pl.DataFrame(schema=STATIC_SCHEMA)
        if counts["cand"]:
            # only the rows that may carry static data
            cand = pl.concat([s1.select("ts", "mmsi", "station", "no_pos", "r", "maybe_static"),
                              f.select("imo", "ship_type", "cargo_type", *_STATIC_RAW)], how="horizontal")
            cand = cand.filter(ok & pl.col("maybe_static"))
            a, b, c, d = _num("a"), _num("b"), _num("c"), _num("d")
            st = cand.select(
                "ts", "mmsi",
                name=_per_value(cand, "name", _text, pl.Utf8),
                imo=_per_value(cand, "imo", _imo, pl.Int64),
                callsign=_per_value(cand, "callsign", _text, pl.Utf8),
                ship_type=_ship_type_expr(cand),
                length=pl.coalesce(_dim(_num("length")), _dim(a + b)),
                width=pl.coalesce(_dim(_num("width")), _dim(c + d)),
                draught=_dim(_num("draught")),
                destination=_per_value(cand, "destination", _text, pl.Utf8),
                eta=_per_value(cand, "eta", _eta, pl.Utf8),
                station=pl.col("station"), **consts, no_pos=pl.col("no_pos"),
            ).with_columns(has_static=pl.any_horizontal(pl.col(c).is_not_null() for c in _STATIC_TEST))
            nopos += st.select((~pl.col("has_static") & pl.col("no_pos")).sum()).item()
            statics = st.filter(pl.col("has_static")).select(list(STATIC_SCHEMA)).cast(
                STATIC_SCHEMA)  # type: ignore[arg-type]  # polars stub: Mapping keys invariant, dict[str, dtype] refused

        rejected = {reason: int(n) for reason, n in (
            (REASON_BAD_ROW, counts["row"]), (REASON_BAD_TIMESTAMP, counts["ts"]),
            (REASON_INVALID_MMSI, counts["mmsi"]), (REASON_OUT_OF_RANGE, counts["oor"]),
            (REASON_NO_POSITION, nopos)) if n}
        return Batch(positions=positions, statics=statics, rejected=rejected, units=units)


def read_dma_csv(path, *, source: str | None = None, batch_rows: int = 1_000_000) -> Iterator[Batch | Unreadable]:
    """:class:`Batch` es of at most ``batch_rows`` rows from a DMA aisdk CSV (plain, .gz or .zip).

    A (member) file without a DMA header, or a compressed stream that breaks off, gives an
    :class:`Unreadable` naming it (after the batches of what was read); other zip members are read on.
    """
    path = Path(path)
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    source = source or f"dma-csv:{path.name}"
    try:
        for name, stream in _open_streams(path):
            yield from _read_stream(stream, name, source, batch_rows)
    except _DAMAGE as exc:  # the file or a zip member could not be opened
        yield Unreadable(f"{path.name}: damaged or unreadable ({exc!r}); the rest is unreadable")


def _read_stream(stream: _Stream, name: str, source: str, batch_rows: int) -> Iterator[Batch | Unreadable]:
    errors: list[BaseException] = []
    header = _read_line(stream, errors)
    while header and not header.strip():
        header = _read_line(stream, errors)
    if errors:
        yield Unreadable(f"{name}: compressed stream damaged before the header ({errors[0]!r})")
        return
    if not header:
        return
    names = _header_names(header.decode("utf-8", "replace"))
    cols = {i: _COLUMNS[n] for i, n in enumerate(names) if n in _COLUMNS}
    missing = [_REQUIRED_NAMES[r] for r in _REQUIRED if r not in cols.values()]
    if missing:
        yield Unreadable(f"{name}: not a DMA aisdk CSV: no {', '.join(missing)} column in the header "
                         f"{header[:120]!r}")
        return
    # first occurrence of a name wins
    seen: dict[str, int] = {}
    for i, ours in cols.items():
        seen.setdefault(ours, i)
    layout = _Layout(len(names), {i: ours for ours, i in seen.items()})
    convert = _Converter(source)
    for block in _blocks(stream, batch_rows, errors):
        frames = _typed_frames(block, layout)
        df = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal")
        del frames
        for off in range(0, df.height, batch_rows):
            part = df.slice(off, batch_rows)
            if part.height:
                yield convert(part)
    for exc in errors:
        yield Unreadable(f"{name}: compressed stream damaged ({exc!r}); the rest is unreadable")
