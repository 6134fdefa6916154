"""Fuzzers for the three file sources (issue 10): whatever the bytes, no traceback, and every unit accounted.

Each builds files from good records, damaged ones and plain garbage: over-long lines, CR/LF/CRLF endings, blank and
white-space lines, comments, bytes that are not UTF-8, huge numbers, deep JSON nesting, truncated compression. The
NMEA reader's block size and line cap are drawn small too, so line ends and long lines fall across reads.
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import MAX_LINE, Batch, Consumed, Position, Rejected, Static, Unreadable
from dkfi.maritime.sources import dma_csv, nmea
from dkfi.maritime.sources.digitraffic import read_digitraffic
from dkfi.maritime.sources.nmea import nmea_checksum

TEXT = st.characters(codec="utf-8")  # what a UTF-8 file can hold (no lone surrogates)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENDINGS = st.sampled_from([b"\n", b"\r\n", b"\r"])


def _sentence(body: str) -> bytes:
    return f"!{body}*{nmea_checksum(body.encode()):02X}".encode()


def _tag(body: str) -> bytes:
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\".encode()


def _ghp(sec: int) -> bytes:
    body = f"PGHP,1,2013,11,12,12,0,{sec},11,219,,2190067,1,62"
    return f"${body}*{nmea_checksum(body.encode()):02X}".encode()


NMEA_GOOD = [
    _sentence("AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0"),
    _sentence("BSVDM,1,1,,B,13@o1IgP@P0UNwtORnu=Drej0802,0"),
    _sentence("AIVDM,1,1,,B,B5NIeAP00=qmw14cRKvQSwm5WP06,0"),
    _sentence("AIVDM,2,1,9,A,53AVfv400000ua8r220PoOF0lu9@Dr0l4hDpF20N2832250UN8PAiiD`,0"),
    _sentence("AIVDM,2,2,9,A,888888888888880,2"),
    _tag("si:AISD"), _ghp(3), b"# a comment", b"   # another",
    _tag("s:rcv1,c:1364272372") + _sentence("AIVDM,1,1,,C,18153ogP?w1dD@@`JiRN4?wp0000,0"),
]


def _finish(items: list) -> Pipeline:
    """The items through a pipeline, and the frames the batch writer would write built (no store): no number in
    them is infinite or NaN."""
    p = Pipeline(None)
    p.feed(items)
    assert p.acc.balanced(), p.acc
    positions, statics, _, _ = p.take()
    for frame, columns in ((positions, ("ts", "lat", "lon", "sog", "cog", "rot")),
                           (statics, ("ts", "length", "width", "draught"))):
        for c in columns:
            assert frame[c].drop_nulls().is_finite().all(), (c, frame[c])
    return p


def _check_items(items: list, kinds: tuple) -> None:
    for i in items:
        assert type(i) in kinds, i
        if type(i) is Rejected:
            assert i.units >= 1 and i.detail and len(i.detail) < 2_000, i


# ---- NMEA ----------------------------------------------------------------------------------------------------

@st.composite
def nmea_lines(draw) -> list[bytes]:
    out = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["good", "good", "good", "mutated", "bytes", "blank", "long"]))
        if kind == "good":
            line = draw(st.sampled_from(NMEA_GOOD))
        elif kind == "mutated":
            data = bytearray(draw(st.sampled_from(NMEA_GOOD)))
            i = draw(st.integers(0, len(data) - 1))
            data[i:i + draw(st.integers(0, 3))] = draw(st.binary(max_size=6))
            line = bytes(data)
        elif kind == "bytes":
            line = draw(st.binary(max_size=80))
        elif kind == "blank":
            line = draw(st.sampled_from([b"", b" ", b"\t \x0b\x0c"]))
        else:  # long: a sentence-looking head and a long tail (the cap is drawn small as well)
            line = b"!AIVDM,1,1,,A," + b"0" * draw(st.integers(10, 3 * MAX_LINE // 2)) + b",0*00"
        out.append(line)
    return out


@FUZZ
@given(nmea_lines(), ENDINGS, st.sampled_from([40, 300, MAX_LINE]), st.sampled_from([7, 64, 4096, 1 << 20]),
       st.sampled_from(["plain", "gzip", "truncated"]))
def test_nmea_files(lines, ending, cap, chunk, packing) -> None:
    raw = b"".join(line.replace(b"\r", b"").replace(b"\n", b"") + ending for line in lines)
    data = gzip.compress(raw) if packing != "plain" else raw
    if packing == "truncated":
        data = data[: len(data) // 2]
    with TemporaryDirectory() as d, mock.patch.object(nmea, "MAX_LINE", cap), mock.patch.object(nmea, "_CHUNK", chunk):
        path = Path(d) / "f.nmea"
        path.write_bytes(data)
        items = list(nmea.read_nmea(path, receive_time=lambda: 1.4e9))
    _check_items(items, (Position, Static, Consumed, Rejected, Unreadable))
    if packing != "truncated":
        want = sum(1 for line in raw.splitlines() if len(line) > cap or line.strip())
        assert sum(i.units for i in items) == want
        assert not [i for i in items if type(i) is Unreadable]
    _finish(items)


# ---- DMA CSV ---------------------------------------------------------------------------------------------------

H26 = ["# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude", "Navigational status", "ROT", "SOG", "COG",
       "Heading", "IMO", "Callsign", "Name", "Ship type", "Cargo type", "Width", "Length",
       "Type of position fixing device", "Draught", "Destination", "ETA", "Data source type", "A", "B", "C", "D"]
GOOD_ROW = ["01/06/2018 00:00:01", "Class A", "219000001", "55.5", "11.5", "Under way using engine", "0.0", "10.0",
            "90.0", "91", "IMO9074729", "OXAB2", "ALPHA", "Cargo", "Category X", "20", "100", "GPS", "5.5",
            "AARHUS", "02/06/2018 12:00:00", "AIS", "50", "50", "10", "10"]
ODD_VALUES = st.one_of(
    st.sampled_from(["", " ", "9" * 5000, "-" + "9" * 40, "1e400", "nan", "inf", "91", "181", "102.3", "511",
                     "Unknown", "IMO" + "9" * 30, "\"", "\"a,b\"", "a\"b", "31/02/2018 25:61:61", "²", "٣"]),
    st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\r\n,"), max_size=12),
)


@st.composite
def csv_file(draw) -> tuple[bytes, int | None]:
    """(file bytes, data lines that are units, or None when the header is not a DMA one)."""
    columns = list(H26[: draw(st.sampled_from([22, 26]))])
    good_header = True
    if draw(st.integers(0, 9)) == 0:
        columns.pop(draw(st.sampled_from([0, 2, 3, 4])))  # no time, MMSI, latitude or longitude
        good_header = False
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines: list[bytes] = [",".join(columns).encode()]
    units = 0
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["good", "good", "odd", "odd", "ragged", "blank", "latin1", "garbage"]))
        row = [GOOD_ROW[H26.index(c)] if c in H26 else "" for c in columns]
        row[2 if "MMSI" in columns[2:3] else 0] = str(draw(st.integers(0, 10 ** 10)))
        if kind == "odd":
            for _ in range(draw(st.integers(1, 4))):
                row[draw(st.integers(0, len(row) - 1))] = draw(ODD_VALUES)
        elif kind == "ragged":
            row = row[: draw(st.integers(1, len(row) - 1))] if draw(st.booleans()) else row + ["x"]
        if kind == "blank":
            line = draw(st.sampled_from([b"", b"   ", b"\t", b" \x0b\x0c "]))
        elif kind == "latin1":
            line = ",".join(row).encode("utf-8").replace(b"ALPHA", b"M\xd8LLER").replace(b"Class", b"Cl\xe6ss")
        elif kind == "garbage":
            line = draw(st.binary(max_size=60)).replace(b"\r", b"").replace(b"\n", b"")
        else:
            line = ",".join(row).encode("utf-8")
        units += bool(line.strip())
        lines.append(line)
    data = ending.encode().join(lines) + (ending.encode() if draw(st.booleans()) else b"")
    return data, units if good_header else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(csv_file(), st.sampled_from(["plain", "gzip", "zip", "truncated"]), st.integers(1, 30))
def test_dma_csv_files(file, packing, batch_rows) -> None:
    data, units = file
    if packing in ("gzip", "truncated"):
        packed = gzip.compress(data)
        data = packed[: len(packed) * 2 // 3] if packing == "truncated" else packed
    elif packing == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("aisdk.csv", data)
        data = buf.getvalue()
    with TemporaryDirectory() as d:
        path = Path(d) / "aisdk.csv"
        path.write_bytes(data)
        items = list(dma_csv.read_dma_csv(path, batch_rows=batch_rows))
    for i in items:
        assert type(i) in (Batch, Unreadable), i
    if packing != "truncated":
        if units is None:
            assert [type(i) for i in items] == [Unreadable] and "column" in items[0].detail
        else:
            assert not [i for i in items if type(i) is Unreadable], items
            assert sum(i.units for i in items) == units
    p = _finish(items)
    assert p.acc.received == sum(i.units for i in items)


# ---- Digitraffic JSON -------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 80), 2 ** 80), st.sampled_from([2 ** 200, -(2 ** 64)]),
              st.floats(allow_nan=True, allow_infinity=True), st.text(TEXT, max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(TEXT, max_size=5), inner, max_size=3)),
    max_leaves=6,
)
LOCATION = {"time": 1_700_000_000, "sog": 1.0, "cog": 10.0, "navStat": 0, "rot": 0, "posAcc": True, "raim": False,
            "heading": 10, "lon": 22.1, "lat": 60.1}
METADATA = {"timestamp": 1_700_000_000_000, "destination": "TURKU", "name": "ALPHA", "draught": 52, "eta": 0,
            "posType": 1, "refA": 10, "refB": 20, "refC": 4, "refD": 5, "callSign": "OJAB", "imo": 9074729, "type": 70}


@st.composite
def json_record(draw) -> str:
    kind = draw(st.sampled_from(["location", "metadata", "location", "metadata", "nested", "long", "garbage",
                                 "value", "feature", "rest"]))
    if kind == "nested":
        depth = draw(st.integers(500, 5000))
        return '{"topic": "vessels-v2/230000001/location", "payload": ' + "[" * depth + "]" * depth + "}"
    if kind == "long":
        return json.dumps({"topic": "vessels-v2/230000001/location", "payload": LOCATION, "pad": "x" * MAX_LINE})
    if kind == "garbage":
        return draw(st.text(TEXT, max_size=40)).replace("\r", "").replace("\n", "")
    if kind == "value":
        return json.dumps(draw(JSON_VALUES))
    mmsi = draw(st.one_of(st.just(230_000_001), st.integers(-(2 ** 70), 2 ** 70), st.text(TEXT, max_size=12)))
    payload = dict(LOCATION if kind in ("location", "feature") else METADATA)
    for _ in range(draw(st.integers(0, 4))):
        payload[draw(st.sampled_from(sorted(payload)))] = draw(JSON_VALUES)
    if kind == "feature":
        return json.dumps({"type": "Feature", "mmsi": mmsi, "geometry": draw(st.one_of(
            st.just({"coordinates": [22.1, 60.1]}), JSON_VALUES)), "properties": payload})
    if kind == "rest":
        return json.dumps({"mmsi": mmsi, **payload})
    return json.dumps({"topic": f"vessels-v2/{mmsi}/{kind}", "payload": draw(st.one_of(
        st.just(payload), st.just(json.dumps(payload)), JSON_VALUES))})


@FUZZ
@given(st.lists(st.one_of(json_record(), st.sampled_from(["", "  "])), max_size=15), ENDINGS,
       st.sampled_from(["lines", "lines", "array", "collection", "gzip", "truncated"]))
def test_digitraffic_files(records, ending, shape) -> None:
    first = json.dumps({"topic": "vessels-v2/230000001/location", "payload": LOCATION})
    if shape == "array":
        text = "[" + ",".join(r for r in records if r.strip() and _is_json(r)) + "]"
    elif shape == "collection":
        text = json.dumps({"type": "FeatureCollection", "features": [json.loads(r) for r in records
                                                                      if r.strip() and _is_json(r)]})
    else:
        text = ending.decode().join([first] + records)
    data = text.encode()
    if shape in ("gzip", "truncated"):
        packed = gzip.compress(data)
        data = packed[: len(packed) // 2] if shape == "truncated" else packed
    with TemporaryDirectory() as d:
        path = Path(d) / "d.jsonl"
        path.write_bytes(data)
        items = list(read_digitraffic(path))
    _check_items(items, (Position, Static, Consumed, Rejected, Unreadable))
    if shape in ("lines", "gzip"):
        assert sum(i.units for i in items) == 1 + sum(1 for r in records if r.strip())
    _finish(items)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


# ---- the whole import, into a database and the Parquet history --------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nmea_lines(), csv_file(), st.lists(json_record(), max_size=8))
def test_whole_import_of_fuzzed_files_keeps_every_file_and_balances(lines, csv, records) -> None:
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.maritime import service

    settings_ = get_settings()
    engine = get_engine(settings_.effective_database_url)
    with TemporaryDirectory() as d:
        files = [Path(d) / "a.nmea", Path(d) / "b.csv", Path(d) / "c.jsonl"]
        files[0].write_bytes(b"\n".join(lines + [NMEA_GOOD[0]]))
        files[1].write_bytes(csv[0])
        files[2].write_text("\n".join([json.dumps({"topic": "vessels-v2/230000001/location",
                                                   "payload": LOCATION})] + records))
        fmts = ["nmea", "dma-csv", "digitraffic"]
        for path, fmt in zip(files, fmts):
            report = service.import_paths(engine, [path], settings_, fmt=fmt, force=True)
            (result,) = report.files
            assert result.accounting is not None and result.accounting.balanced(), result
            assert result.error is None or (fmt == "dma-csv" and csv[1] is None and "column" in result.error), result
