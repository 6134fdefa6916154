"""NMEA 0183 source: accounting, test vectors, DMA network format, robustness."""
from __future__ import annotations

import gzip
import json
import os
import random
from calendar import timegm
from collections import Counter
from pathlib import Path

import pyais
import pytest

from dkfi.maritime.records import (
    REASON_BAD_CHECKSUM,
    REASON_BAD_TIMESTAMP,
    REASON_INCOMPLETE_MULTIPART,
    REASON_MALFORMED,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    REASON_UNKNOWN_SENTENCE,
    Consumed,
    Position,
    Rejected,
    Static,
    Station,
    Unreadable,
    clean_text,
)
from dkfi.maritime.sources.nmea import NmeaParser, iter_nmea, looks_like_nmea, nmea_checksum, read_nmea
from tests.conftest import AIS

DATA = AIS
LIBAIS = DATA / "decoder_vectors" / "libais"
DMA_SAMPLE = DATA / "nmea" / "dma_aisabnormal" / "ais-sample.txt.gz"
needs_data = pytest.mark.needs_shared(DATA)


def _files() -> list:
    if not DATA.is_dir():  # one case that needs_data reports: an empty parameter set would be skipped, even in CI
        return [pytest.param(DATA, id="shared-data-missing")]
    return sorted(p for d in ("nmea", "decoder_vectors") for p in (DATA / d).rglob("*") if p.is_file())


def _file_lines(path: Path) -> int:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return sum(1 for line in data.split(b"\n") if line.strip())


def _units(items) -> int:
    return sum(i.units for i in items)


def _sentence(body: str) -> str:
    return f"!{body}*{nmea_checksum(body.encode()):02X}"


def _tag(body: str) -> str:
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


# ---- every file ----------------------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_file_is_accounted(path: Path) -> None:
    items = list(read_nmea(path))
    assert _units(items) == _file_lines(path)
    for it in items:
        assert type(it) in (Position, Static, Consumed, Rejected)
        if type(it) is Rejected:
            assert it.detail.startswith(("line", path.name)), it
        if type(it) is Position:
            assert -90 <= it.lat <= 90 and -180 <= it.lon <= 180
            assert it.source


# ---- libais vectors ------------------------------------------------------------------------------

def _pairs(stem: str):
    nmea = (LIBAIS / f"{stem}.nmea").read_text().splitlines()
    expected = [json.loads(line) for line in (LIBAIS / f"{stem}.json").read_text().splitlines() if line.strip()]
    return nmea, expected


@needs_data
def test_libais_typeexamples() -> None:
    nmea, expected = _pairs("typeexamples")
    assert len(nmea) == len(expected)
    checked = Counter()
    for line, exp in zip(nmea, expected):
        items = list(iter_nmea([line], receive_time=lambda: 0.0))
        assert _units(items) == 1, line
        t = exp["type"]
        records = [i for i in items if type(i) in (Position, Static)]
        lat, lon = exp.get("lat"), exp.get("lon")
        if t in (1, 2, 3, 4, 9, 11, 18, 19, 21, 27):
            if lat == 91 or lon == 181:
                assert items[0] == Rejected(REASON_NO_POSITION, 1, items[0].detail)
                checked["no_position"] += 1
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                assert type(items[0]) is Rejected and items[0].reason == REASON_OUT_OF_RANGE
                checked["out_of_range"] += 1
                continue
            pos = items[0]
            assert type(pos) is Position and pos.units == 1
            assert pos.mmsi == exp["mmsi"] and pos.msg_type == t
            assert pos.lat == pytest.approx(lat, abs=1e-4) and pos.lon == pytest.approx(lon, abs=1e-4)
            if "speed" in exp and t != 9:
                sog = None if exp["speed"] > 102.25 else exp["speed"]
                assert pos.sog == pytest.approx(sog, abs=1e-3)
            if "course" in exp:
                assert pos.cog == pytest.approx(exp["course"], abs=1e-3)
            if "heading" in exp:
                assert pos.heading == (None if exp["heading"] == 511 else exp["heading"])
            # the trailing unix time is the receive time
            assert pos.ts == float(line.rsplit(",", 1)[1]) and pos.time_from_message
            checked["position"] += 1
        name = exp.get("shipname", exp.get("name"))
        if t in (5, 19, 21, 24) and name is not None:
            static = [r for r in records if type(r) is Static]
            assert static and static[0].mmsi == exp["mmsi"]
            # libais's six-bit table differs from ITU-R M.1371 (pyais) for two characters
            ours = (static[0].name or "").translate(str.maketrans({"_": "-", "'": "`"}))
            assert ours.startswith(clean_text(name) or "")
            checked["name"] += 1
        if t not in (1, 2, 3, 4, 5, 9, 11, 18, 19, 21, 24, 27):
            assert items == [Consumed(1, f"ais_type_{t}")]
            checked["consumed"] += 1
    assert checked["position"] >= 4 and checked["no_position"] == 1 and checked["name"] >= 2
    assert checked["out_of_range"] == 3  # types 2, 9 and 27 (lon 200.23) carry impossible positions
    assert checked["consumed"] >= 14


@needs_data
def test_libais_tagblock_times_and_stations() -> None:
    nmea, expected = _pairs("tagblock")
    items = list(iter_nmea(nmea, source="file"))
    assert _units(items) == len(nmea)
    records = [i for i in items if type(i) in (Position, Static)]
    assert len(records) == len(expected)
    for rec, exp in zip(records, expected):
        assert rec.mmsi == exp["mmsi"]
        want = timegm(tuple(int(x) for x in exp["tagblock_timestamp"][:19].replace("T", "-").replace(":", "-")
                            .split("-")) + (0, 0, 0))
        assert rec.ts == want and rec.time_from_message
        assert rec.source == exp["tagblock_station"]
    assert records[1].units == 2 and type(records[1]) is Static and records[1].name == "ROSINANTE"


# ---- DMA network format --------------------------------------------------------------------------

@needs_data
def test_dma_sample_five_minutes() -> None:
    items = list(read_nmea(DMA_SAMPLE))
    assert _units(items) == 80_246
    records = [i for i in items if type(i) in (Position, Static)]
    sentences = sum(i.units for i in items if type(i) in (Position, Static) or
                    (type(i) is Consumed and i.kind not in ("metadata", "receiver_status")))
    # the DMA feed's $PSTT base-station status lines are well formed: consumed, not rejected
    assert sum(i.units for i in items if type(i) is Consumed and i.kind == "receiver_status") == 973
    assert not [i for i in items if type(i) is Rejected and i.reason == "unknown_sentence"]
    # every record stands for a tag line + $PGHP + sentence (3 units); 26,146 VDM/VDO sentences
    assert 25_500 <= len(records) <= 26_146
    assert 3 * 25_500 <= sentences <= 3 * 26_146
    mmsis = {r.mmsi for r in records}
    assert 1_400 <= len(mmsis) <= 1_600
    t0 = timegm((2013, 11, 12, 12, 0, 0))
    assert all(t0 <= r.ts < t0 + 300 and r.time_from_message for r in records)
    assert all(r.source == "ais-sample.txt.gz" for r in records)
    positions = [r for r in records if type(r) is Position]
    assert all(54 <= p.lat <= 58.5 and 7 <= p.lon <= 17 for p in positions if p.station != Station.BASE)
    reasons = Counter(i.reason for i in items if type(i) is Rejected)
    assert reasons == Counter({"invalid_mmsi": 1})  # one MMSI below 2,000,000 in the real feed


@needs_data
def test_pghp_time_applies_to_next_sentence() -> None:
    lines = (DATA / "nmea" / "dma_aislib" / "replay_dump.txt").read_text().splitlines()[:4]
    items = list(iter_nmea(lines))
    assert [i.units for i in items] == [2, 2]
    assert items[0].ts == timegm((2013, 3, 18, 9, 19, 9)) + 0.499
    assert items[1].ts == timegm((2013, 3, 18, 9, 19, 10)) + 0.624


# ---- small_cb_example: deliberately odd input ------------------------------------------------------

@needs_data
def test_small_cb_example() -> None:
    path = DATA / "nmea" / "dma_aislib" / "small_cb_example.txt"
    items = list(read_nmea(path))
    assert _units(items) == _file_lines(path) == 22
    recs = [i for i in items if type(i) in (Position, Static)]
    assert recs[0].ts == 1357134218 and recs[1].ts == 1357134222  # trailing unix times
    assert recs[2].source == "b:2" and recs[2].ts == 1364272372    # s: station, c: time
    assert recs[4].name == "KING SEAWAYS" and recs[4].units == 3   # $PGHP + 2 parts
    assert recs[5].name == "CONTI SINGA" and recs[5].ts == 1354719387
    rejected = [i for i in items if type(i) is Rejected]
    assert {r.reason for r in rejected} == {REASON_UNKNOWN_SENTENCE, REASON_INCOMPLETE_MULTIPART}
    assert any("line 21" in r.detail for r in rejected)


# ---- sentences and tag blocks ------------------------------------------------------------------

POS = "AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0"


@pytest.mark.parametrize("talker", ["AI", "BS", "AB", "--", "SA", "AR"])
@pytest.mark.parametrize("kind", ["VDM", "VDO"])
def test_talkers(talker: str, kind: str) -> None:
    items = list(iter_nmea([_sentence(talker + kind + POS[5:])]))
    assert type(items[0]) is Position and items[0].mmsi == 218278000


def test_rejections_name_line_and_reason() -> None:
    good = _sentence(POS)
    lines = [
        good[:-2] + ("00" if good[-2:] != "00" else "01"),   # 1 bad checksum
        "$PFOO,INVALID",                                      # 2 unknown sentence
        "$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D",  # 3
        "!AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0",      # 4 no checksum
        _sentence("AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t"),  # 5 missing field
        _sentence("AIVDM,3,4,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0"),  # 6 part 4 of 3
        _sentence("AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<{t,0"),  # 7 bad payload char
        "random text",                                        # 8
        _tag("c:1364272372") + "\\" + good,                   # 9 tag block not closed properly
        "\\c:1364272372*00\\" + good,                         # 10 tag checksum
        _tag("c:99") + good,                                  # 11 tag time
        "$PGHP,1,2013,13,12,12,0,0,11,219,,2190067,1,62*" + f"{nmea_checksum(b'PGHP,1,2013,13,12,12,0,0,11,219,,2190067,1,62'):02X}",  # 12
    ]
    items = list(iter_nmea(lines))
    assert _units(items) == len(lines)
    by_line = {int(i.detail.split(":")[0].split()[1].split("-")[0]): i.reason for i in items if type(i) is Rejected}
    assert by_line[1] == REASON_BAD_CHECKSUM
    assert by_line[2] == by_line[3] == REASON_UNKNOWN_SENTENCE
    assert by_line[4] == by_line[5] == by_line[6] == by_line[7] == by_line[8] == REASON_MALFORMED
    assert by_line[10] == REASON_BAD_CHECKSUM
    assert by_line[11] == by_line[12] == REASON_BAD_TIMESTAMP
    assert 9 in by_line


def test_tag_block_separate_line_and_milliseconds() -> None:
    items = list(iter_nmea([_tag("s:rcv1,c:1364272372123"), _sentence(POS)], source="x"))
    assert len(items) == 1 and items[0].units == 2
    assert items[0].ts == pytest.approx(1364272372.123) and items[0].source == "rcv1"


def test_unattached_metadata_is_consumed() -> None:
    ghp = "PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62"
    ghp = f"${ghp}*{nmea_checksum(ghp.encode()):02X}"
    lines = [_tag("si:AISD"), ghp, ghp, _tag("c:1364272372"), _tag("c:1364272373")]
    items = list(iter_nmea(lines))
    assert items == [Consumed(2, "metadata"), Consumed(2, "metadata"), Consumed(1, "metadata")]


def test_receive_time_fallback() -> None:
    items = list(iter_nmea([_sentence(POS)], receive_time=lambda: 1234567890.5))
    assert items[0].ts == 1234567890.5 and not items[0].time_from_message


def _broken_clock() -> float:
    raise OSError("clock unavailable")


@pytest.mark.parametrize("clock", [lambda: 0.0, lambda: float("nan"), lambda: None, _broken_clock])
def test_failed_receive_clock_rejects_instead_of_1970(clock) -> None:
    a = pyais.encode_dict(_static(219000001, "ALPHA"), radio_channel="A", seq_id=1)
    items = list(iter_nmea([_sentence(POS), *a], receive_time=clock))
    assert [(type(i), i.reason, i.units) for i in items] == [(Rejected, REASON_BAD_TIMESTAMP, 1),
                                                               (Rejected, REASON_BAD_TIMESTAMP, 2)]
    assert items[0].detail.startswith("line 1: no time in the message and the receive clock")
    assert items[1].detail.startswith("lines 2-3: ")
    # a time in the message does not need the clock
    assert type(list(iter_nmea([_tag("c:1364272372") + _sentence(POS)], receive_time=clock))[0]) is Position


# ---- multi-part assembly -----------------------------------------------------------------------

def _static(mmsi: int, name: str) -> dict:
    return {"type": 5, "mmsi": mmsi, "shipname": name, "callsign": "OXAB2", "imo": 9074729, "ship_type": 70,
            "to_bow": 100, "to_stern": 20, "to_port": 10, "to_starboard": 12, "draught": 7.5,
            "destination": "AARHUS", "month": 11, "day": 12, "hour": 13, "minute": 45}


def test_interleaved_multipart_two_channels() -> None:
    a = pyais.encode_dict(_static(219000001, "ALPHA"), radio_channel="A", talker_id="AI", seq_id=1)
    b = pyais.encode_dict(_static(219000002, "BRAVO"), radio_channel="B", talker_id="AI", seq_id=1)
    c = pyais.encode_dict(_static(219000003, "CHARLIE"), radio_channel="A", talker_id="BS", seq_id=1)
    assert len(a) == len(b) == len(c) == 2
    lines = [a[0], b[0], c[0], b[1], a[1], c[1]]
    items = list(iter_nmea(lines))
    assert _units(items) == 6
    got = {i.mmsi: i for i in items}
    assert {m: s.name for m, s in got.items()} == {219000001: "ALPHA", 219000002: "BRAVO", 219000003: "CHARLIE"}
    s = got[219000001]
    assert (s.imo, s.callsign, s.ship_type, s.length, s.width, s.draught, s.destination, s.eta) == \
        (9074729, "OXAB2", 70, 120.0, 22.0, 7.5, "AARHUS", "11-12T13:45")
    assert s.units == 2 and s.station == Station.CLASS_A


def test_multipart_out_of_order_and_incomplete() -> None:
    a = pyais.encode_dict(_static(219000001, "ALPHA"), radio_channel="A", seq_id=3)
    b = pyais.encode_dict(_static(219000002, "BRAVO"), radio_channel="A", seq_id=3)
    # reversed order assembles; a repeated part 1 supersedes; end of input releases the rest
    items = list(iter_nmea([a[1], a[0], b[0], b[0], b[1], a[0]]))
    assert _units(items) == 6
    kinds = [(type(i).__name__, i.units) for i in items]
    assert kinds == [("Static", 2), ("Rejected", 1), ("Static", 2), ("Rejected", 1)]
    assert all(i.reason == REASON_INCOMPLETE_MULTIPART for i in items if type(i) is Rejected)


def test_multipart_stale_after_n_lines() -> None:
    a = pyais.encode_dict(_static(219000001, "ALPHA"), radio_channel="A", seq_id=3)
    lines = [a[0]] + [_sentence(POS)] * 400 + [a[1]]
    items = list(iter_nmea(lines, stale_lines=100))
    assert _units(items) == 402
    stale = [i for i in items if type(i) is Rejected]
    assert len(stale) == 2 and all(i.reason == REASON_INCOMPLETE_MULTIPART for i in stale)


def test_tag_group_station_carries_to_later_parts() -> None:
    a = pyais.encode_dict(_static(219000001, "ALPHA"), radio_channel="B", seq_id=2)
    lines = [_tag("g:1-2-27300,s:rcv7,c:1428621738") + a[0], _tag("g:2-2-27300") + a[1]]
    items = list(iter_nmea(lines))
    assert len(items) == 1 and items[0].name == "ALPHA" and items[0].source == "rcv7"
    assert items[0].ts == 1428621738


# ---- streaming parser ----------------------------------------------------------------------------

@needs_data
def test_parser_matches_iter_nmea() -> None:
    lines = (DATA / "nmea" / "dma_aislib" / "small_cb_example.txt").read_bytes().split(b"\n")
    parser = NmeaParser(source="sock", receive_time=lambda: 5.0)
    streamed = []
    for line in lines:
        streamed.extend(parser.feed_line(line))
    streamed.extend(parser.finish())
    assert streamed == list(iter_nmea(lines, source="sock", receive_time=lambda: 5.0))


# ---- garbage ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 2, 7, 64, 500, 4096, 65536, 300_000])
def test_random_bytes_are_counted_not_raised(size: int, tmp_path: Path) -> None:
    # control characters that str.strip() takes for white space but bytes.strip() does not
    data = os.urandom(size) + b"\n\x1c\x1f\n\xa0\x85\n"
    lines = data.split(b"\n")
    n = sum(1 for line in lines if line.strip())
    assert _units(iter_nmea(lines)) == n
    assert _units(iter_nmea([line.decode("latin-1") for line in lines])) == n
    # a file's lines end at CR, LF or CRLF
    n_file = sum(1 for line in data.splitlines() if line.strip())
    plain = tmp_path / "garbage.txt"
    plain.write_bytes(data)
    assert _units(read_nmea(plain)) == n_file
    gz = tmp_path / "garbage.bin"
    gz.write_bytes(gzip.compress(data))
    assert _units(read_nmea(gz)) == n_file


def test_damaged_gzip_and_garbage_after_magic(tmp_path: Path) -> None:
    good = "\n".join([_sentence(POS)] * 2000).encode()
    packed = gzip.compress(good)
    trunc = tmp_path / "trunc.gz"
    trunc.write_bytes(packed[: len(packed) // 2])
    items = list(read_nmea(trunc))
    assert [type(i) for i in items if type(i) is not Position][-1:] == [Unreadable]
    assert "trunc.gz" in items[-1].detail and "damaged" in items[-1].detail
    assert all(type(i) in (Position, Rejected, Unreadable) for i in items)
    fake = tmp_path / "fake.gz"
    fake.write_bytes(b"\x1f\x8b" + os.urandom(5000))
    assert _units(read_nmea(fake)) == 0  # nothing readable; an Unreadable says why
    assert [type(i) for i in read_nmea(fake)] == [Unreadable]


def test_mixed_noise_between_sentences() -> None:
    rnd = random.Random(7)
    lines = []
    for _ in range(300):
        lines.append(_sentence(POS))
        lines.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 90))))
    n = sum(1 for line in lines if line.strip())
    items = list(iter_nmea(lines))
    assert _units(items) == n
    assert sum(1 for i in items if type(i) is Position) >= 250


# ---- detection ---------------------------------------------------------------------------------

def test_looks_like_nmea() -> None:
    assert looks_like_nmea(b"# header\n!AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0*62\n")
    assert looks_like_nmea(b"\\si:AISD*3F\\\n$PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62*26\n")
    assert looks_like_nmea(b"$PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62*26\n")
    assert looks_like_nmea(b"\\c:1354719388*56\\!--VDM,1,1,,A,13@,0*00")
    assert not looks_like_nmea(b"Timestamp,Type of mobile,MMSI,Latitude\n01/06/2018 00:00:00,Class A,1,2\n")
    assert not looks_like_nmea(b'{"mmsi": 1, "lat": 2}')
    assert not looks_like_nmea(b"")
    assert not looks_like_nmea(os.urandom(64).replace(b"!", b"").replace(b"\\", b"").replace(b"$", b""))


def test_checksum_helper() -> None:
    for body in (b"", b"A", POS.encode(), bytes(range(256)) * 3):
        x = 0
        for c in body:
            x ^= c
        assert nmea_checksum(body) == x


def test_random_bytes_are_not_taken_for_nmea():
    """A backslash at a line start is not enough for a tag block (4 % of random files passed that test)."""
    import random

    from dkfi.maritime.sources.nmea import looks_like_nmea

    rng = random.Random(20261127)
    blobs = [rng.randbytes(5000) for _ in range(1000)]
    assert [b[:20] for b in blobs if looks_like_nmea(b)] == []
    tb = b"\\" + b"g:1-2-73874,n:157036,s:r003669945,c:12415440354*A" + b"\\" + b"!AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,013"
    assert looks_like_nmea(tb) and looks_like_nmea(b"\\" + b"si:AISD*3F" + b"\\\n")
