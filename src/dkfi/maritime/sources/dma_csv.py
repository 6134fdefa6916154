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
   they become null, and 91/181 mean "no position");
5. ``no_position``: no valid position and no static information.

Every other unit is accepted: it yields a position row when it has a valid position, a static row
when it carries any static information (name, IMO, call sign, ship type, dimensions, draught,
destination, ETA), or both.

Blank lines are not units. Quoted fields are understood; a newline inside a quoted field is not
(the DMA files have none).
"""
from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

import polars as pl

from dkfi.maritime.records import (
    POSITION_SCHEMA,
    REASON_BAD_ROW,
    REASON_BAD_TIMESTAMP,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    STATIC_SCHEMA,
    Batch,
    Station,
)

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


def nav_status_code(text: str | None) -> int | None:
    """AIS navigational status 0..15 for a DMA text (tolerant of case, spacing and spelling)."""
    if text is None:
        return None
    t = _norm(text)
    if not t:
        return None
    if t in _NAV_EXACT:
        return _NAV_EXACT[t]
    if t.isdigit() and int(t) <= 15:
        return int(t)
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
        v = int(t)
        return v if 1 <= v <= 99 else None
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


def _mapped(col: str, values: pl.Series, fn, dtype: pl.DataType, default=None) -> pl.Expr:
    """``col`` replaced by ``fn(value)`` computed once per distinct value."""
    uniq = [v for v in values.unique().to_list() if v is not None]
    if not uniq:
        return pl.lit(default, dtype=dtype)
    return pl.col(col).replace_strict(uniq, [fn(v) for v in uniq], default=default, return_dtype=dtype)


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
    line = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    names = set(_header_names(line))
    return {"timestamp", "mmsi", "latitude", "longitude"} <= names and (
        "type of mobile" in names or "navigational status" in names)


# --- reading ---------------------------------------------------------------------------------

def _open_streams(path: Path) -> Iterator[BinaryIO]:
    """Binary streams of the CSV content: the file, its gzip content or each CSV in a zip."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as g:
            yield g
    elif magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            members = [i for i in z.infolist() if not i.is_dir()]
            csvs = [i for i in members if i.filename.lower().endswith(".csv")] or members
            for info in csvs:
                with z.open(info) as m:
                    yield m
    else:
        with open(path, "rb") as f:
            yield f


def _blocks(stream: BinaryIO, batch_rows: int) -> Iterator[bytes]:
    """Blocks of whole lines, about ``batch_rows`` lines each."""
    est = _EST_LINE_BYTES
    while True:
        data = stream.read(max(batch_rows * est, 1 << 16))
        if not data:
            return
        if not data.endswith(b"\n"):
            data += stream.readline()  # complete the last line
            if not data.endswith(b"\n"):
                data += b"\n"
        lines = data.count(b"\n")
        est = max(16, len(data) // lines + 1)
        yield data


_SENT = _SENTINEL.encode()


def _try_read(data: bytes, lines: int, **kw) -> pl.DataFrame | None:
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
        # Fast path. Without truncate_ragged_lines Polars refuses overlong lines, so if it reads
        # the block no line has more than n_fields fields; as the comma count adds up, each line
        # then has exactly n_fields fields (no quotes, so every comma separates fields).
        names = [f"c{i}" for i in range(n_fields)]
        try:
            df = pl.read_csv(block, has_header=False, new_columns=names, infer_schema=False,
                             raise_if_empty=False)
        except pl.exceptions.PolarsError:
            df = None
        if df is not None and df.height == lines:
            return df.with_columns(pl.lit(_SENTINEL, dtype=pl.Utf8).alias("__end"))
    body = block.replace(b"\n", b"," + _SENT + b"\n")
    names = [f"c{i}" for i in range(n_fields)] + ["__end"]
    kw = dict(infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
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
    if b"\n\n" in block or block.startswith(b"\n"):
        # blank lines (",<sentinel>" after marking) are not units
        blank_end = "c1" if n_fields > 1 else "__end"
        df = df.filter(~(pl.col("c0").is_null() & pl.col(blank_end).eq(_SENTINEL).fill_null(False)))
    return df


def _num(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Float64, strict=False)


def _present(col: str) -> pl.Expr:
    return pl.col(col).is_not_null() & (pl.col(col).str.strip_chars() != "")


def _text(col: str) -> pl.Expr:
    """clean_text as an expression."""
    v = pl.col(col).str.replace_all("@", " ", literal=True).str.strip_chars()
    return pl.when(v != "").then(v).otherwise(None)


def _dim(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr > 0).then(expr).otherwise(None)


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


def _convert(df: pl.DataFrame, cols: dict[int, str], source: str) -> Batch:
    units = df.height
    present = {ours: f"c{i}" for i, ours in cols.items()}
    missing = [name for name in dict.fromkeys(_COLUMNS.values()) if name not in present]
    base = df.select(
        [pl.col(c).alias(ours) for ours, c in present.items()]
        + [pl.lit(None, dtype=pl.Utf8).alias(m) for m in missing]
        + [pl.col("__end")]
    )
    del df
    station = _mapped("mobile", base.get_column("mobile"), station_code, pl.Utf8, Station.UNKNOWN.value)
    nav = _mapped("nav", base.get_column("nav"), nav_status_code, pl.Int32)
    ship_type = _ship_type_expr(base)

    lat, lon, sog, cog, hdg = _num("lat"), _num("lon"), _num("sog"), _num("cog"), _num("heading")
    # stage 1, every row: what positions and the reject reasons need
    s1 = base.lazy().select(
        ok=pl.col("__end").eq(_SENTINEL).fill_null(False),
        ts=pl.col("timestamp").str.strptime(pl.Datetime("ms"), _TS_FORMAT, strict=False)
        .dt.epoch("ms").cast(pl.Float64) / 1000.0,
        mmsi=pl.col("mmsi").cast(pl.Int64, strict=False),
        lat=lat, lon=lon, sog=sog, cog=cog, heading=hdg, rot=_num("rot"),
        nav_status=nav, station=station,
        malformed=(_present("lat") & lat.is_null()) | (_present("lon") & lon.is_null())
        | (_present("sog") & sog.is_null()) | (_present("cog") & cog.is_null())
        | (_present("heading") & hdg.is_null()),
        maybe_static=pl.any_horizontal([pl.col(c).is_not_null() for c in _STATIC_RAW])
        | (pl.col("imo").is_not_null() & (pl.col("imo") != "Unknown")) | ship_type.is_not_null(),
    ).with_columns(
        no_pos=pl.col("lat").is_null() | pl.col("lon").is_null()
        | (pl.col("lat") == 91.0) | (pl.col("lon") == 181.0),
        oor=(
            pl.col("malformed")
            | ((pl.col("lat").abs() > 90.0) & (pl.col("lat") != 91.0))
            | ((pl.col("lon").abs() > 180.0) & (pl.col("lon") != 181.0))
            | (pl.col("sog") < 0.0) | (pl.col("sog") > 102.3)
            | (pl.col("cog") < 0.0) | (pl.col("cog") > 360.0)
            | (pl.col("heading") < 0) | ((pl.col("heading") > 359) & (pl.col("heading") != 511))
            | (pl.col("heading") != pl.col("heading").floor())
        ).fill_null(False),
    ).with_columns(
        r=pl.when(~pl.col("ok")).then(pl.lit(_R_ROW, dtype=pl.Int8))
        .when(pl.col("ts").is_null()).then(pl.lit(_R_TS, dtype=pl.Int8))
        .when(~pl.col("mmsi").is_between(2_000_000, 999_999_999).fill_null(False)).then(pl.lit(_R_MMSI, dtype=pl.Int8))
        .when(pl.col("oor")).then(pl.lit(_R_OOR, dtype=pl.Int8))
        .otherwise(pl.lit(_OK, dtype=pl.Int8)),
    ).drop("malformed", "oor", "ok").collect()

    counts = s1.select(
        row=(pl.col("r") == _R_ROW).sum(), ts=(pl.col("r") == _R_TS).sum(),
        mmsi=(pl.col("r") == _R_MMSI).sum(), oor=(pl.col("r") == _R_OOR).sum(),
        nopos=((pl.col("r") == _OK) & pl.col("no_pos") & ~pl.col("maybe_static")).sum(),
    ).row(0, named=True)

    src = pl.lit(source, dtype=pl.Utf8)
    consts = dict(source=src, msg_type=pl.lit(0, dtype=pl.Int32), time_from_message=pl.lit(True))
    positions = s1.lazy().filter((pl.col("r") == _OK) & ~pl.col("no_pos")).select(
        ts=pl.col("ts"), mmsi=pl.col("mmsi"), lat=pl.col("lat"), lon=pl.col("lon"),
        sog=pl.when(pl.col("sog") < 102.3).then(pl.col("sog")).otherwise(None),
        cog=pl.when(pl.col("cog") < 360.0).then(pl.col("cog")).otherwise(None),
        heading=pl.when(pl.col("heading") != 511).then(pl.col("heading")).otherwise(None).cast(pl.Int32),
        nav_status=pl.col("nav_status"),
        rot=pl.when(pl.col("rot").abs() <= 720.0).then(pl.col("rot")).otherwise(None),
        station=pl.col("station"), **consts,
    ).cast(POSITION_SCHEMA).collect()

    # stage 2, only rows that may carry static data
    cand = s1.select("ts", "mmsi", "station", "no_pos", keep=(pl.col("r") == _OK) & pl.col("maybe_static"))
    a, b, c, d = _num("a"), _num("b"), _num("c"), _num("d")
    imo = pl.col("imo").str.strip_chars().str.strip_prefix("IMO").str.strip_chars().cast(pl.Int64, strict=False)
    eta = pl.col("eta").str.strip_chars().str.strptime(pl.Datetime("us"), _TS_FORMAT, strict=False)
    st = base.lazy().with_columns(cand).filter(pl.col("keep")).select(
        ts=pl.col("ts"), mmsi=pl.col("mmsi"), name=_text("name"),
        imo=pl.when(imo > 0).then(imo).otherwise(None), callsign=_text("callsign"),
        ship_type=ship_type,
        length=pl.coalesce(_dim(_num("length")), _dim(a + b)),
        width=pl.coalesce(_dim(_num("width")), _dim(c + d)),
        draught=_dim(_num("draught")), destination=_text("destination"),
        eta=eta.dt.strftime("%m-%dT%H:%M"),
        station=pl.col("station"), **consts, no_pos=pl.col("no_pos"),
    ).with_columns(
        has_static=pl.any_horizontal(pl.col(c).is_not_null() for c in (
            "name", "imo", "callsign", "ship_type", "length", "width", "draught", "destination", "eta")),
    ).collect()
    nopos = counts["nopos"] + st.select((~pl.col("has_static") & pl.col("no_pos")).sum()).item()
    statics = st.filter(pl.col("has_static")).select(list(STATIC_SCHEMA)).cast(STATIC_SCHEMA)

    rejected = {reason: int(n) for reason, n in (
        (REASON_BAD_ROW, counts["row"]), (REASON_BAD_TIMESTAMP, counts["ts"]),
        (REASON_INVALID_MMSI, counts["mmsi"]), (REASON_OUT_OF_RANGE, counts["oor"]),
        (REASON_NO_POSITION, nopos)) if n}
    return Batch(positions=positions, statics=statics, rejected=rejected, units=units)


def read_dma_csv(path, *, source: str | None = None, batch_rows: int = 1_000_000) -> Iterator[Batch]:
    """:class:`Batch` es of at most ``batch_rows`` rows from a DMA aisdk CSV (plain, .gz or .zip).

    Raises ValueError when a (member) file has no recognisable DMA header.
    """
    path = Path(path)
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    source = source or f"dma-csv:{path.name}"
    for stream in _open_streams(path):
        header = stream.readline()
        while header and not header.strip():
            header = stream.readline()
        if not header:
            continue
        names = _header_names(header.decode("utf-8", "replace"))
        cols = {i: _COLUMNS[n] for i, n in enumerate(names) if n in _COLUMNS}
        if not all(r in cols.values() for r in _REQUIRED):
            raise ValueError(f"{path}: not a DMA aisdk CSV (header {header[:120]!r})")
        # first occurrence of a name wins
        seen: dict[str, int] = {}
        for i, ours in cols.items():
            seen.setdefault(ours, i)
        cols = {i: ours for ours, i in seen.items()}
        for block in _blocks(stream, batch_rows):
            df = _parse_block(block, len(names))
            for off in range(0, df.height, batch_rows):
                part = df.slice(off, batch_rows)
                if part.height:
                    yield _convert(part, cols, source)
