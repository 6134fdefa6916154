"""DMA aisdk CSV source: layouts, conversions, rejects and unit accounting."""
from __future__ import annotations

import gzip
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from dkfi.maritime.records import (
    POSITION_SCHEMA, REASON_BAD_ROW, REASON_BAD_TIMESTAMP, REASON_INVALID_MMSI, REASON_NO_POSITION,
    REASON_OUT_OF_RANGE, STATIC_SCHEMA, Batch, Unreadable,
)
from dkfi.maritime.sources.dma_csv import (
    looks_like_dma_csv, nav_status_code, read_dma_csv, ship_type_code, station_code,
)
from tests.conftest import AIS

SAMPLE = AIS / "dma_csv" / "aisdk_2018-06-01_first_rows.csv"
H22 = ("# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,"
       "Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,"
       "ETA,Data source type")
H26 = H22 + ",A,B,C,D"
T0 = datetime(2018, 6, 1, tzinfo=timezone.utc).timestamp()


def ts(s: str) -> float:
    return datetime.strptime(s, "%d/%m/%Y %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()


def read_all(path, **kw) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int], int, list[Batch]]:
    batches = list(read_dma_csv(path, **kw))
    pos = pl.concat([b.positions for b in batches]) if batches else pl.DataFrame(schema=POSITION_SCHEMA)
    sta = pl.concat([b.statics for b in batches]) if batches else pl.DataFrame(schema=STATIC_SCHEMA)
    rej: dict[str, int] = {}
    for b in batches:
        for k, v in b.rejected.items():
            rej[k] = rej.get(k, 0) + v
    return pos, sta, rej, sum(b.units for b in batches), batches


def write(tmp_path: Path, header: str, rows: list[str], name: str = "aisdk_test.csv") -> Path:
    p = tmp_path / name
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return p


def row22(ts="01/06/2018 00:00:00", mobile="Class A", mmsi="219000001", lat="55.5", lon="11.5",
          nav="Under way using engine", rot="0.0", sog="10.0", cog="90.0", heading="91", imo="Unknown",
          callsign="", name="", ship_type="Undefined", cargo="", width="", length="", epfd="GPS",
          draught="", dest="", eta="") -> str:
    return ",".join([ts, mobile, mmsi, lat, lon, nav, rot, sog, cog, heading, imo, callsign, name, ship_type,
                     cargo, width, length, epfd, draught, dest, eta, "AIS"])


# --- the sample --------------------------------------------------------------------------------

@pytest.mark.needs_shared(SAMPLE)
def test_sample_accounting_and_schema():
    pos, sta, rej, units, batches = read_all(SAMPLE)
    assert units == 138
    for b in batches:
        assert dict(b.positions.schema) == POSITION_SCHEMA
        assert dict(b.statics.schema) == STATIC_SCHEMA
    # every row is counted once: rejected, or accepted as position and/or static
    assert rej == {REASON_NO_POSITION: 2}
    assert pos.height == 128
    assert set(pos["station"].unique()) == {"A", "B", "BASE", "ATON"}
    assert (pos["ts"] == T0).all()
    assert pos["source"][0] == "dma-csv:aisdk_2018-06-01_first_rows.csv"
    assert (pos["msg_type"] == 0).all() and pos["time_from_message"].all()
    first = pos.row(0, named=True)
    assert first["mmsi"] == 215810000 and first["lat"] == pytest.approx(55.921028)
    assert first["nav_status"] == 4 and first["sog"] == 12.5 and first["heading"] == 256 and first["rot"] == 0.0


@pytest.mark.needs_shared(SAMPLE)
def test_sample_static_rows():
    _, sta, _, _, _ = read_all(SAMPLE)
    astina = sta.filter(pl.col("mmsi") == 266220000).row(0, named=True)
    assert astina["name"] == "ASTINA" and astina["imo"] == 9320063 and astina["callsign"] == "SHZA"
    assert astina["ship_type"] == 81  # Tanker, Category X
    assert astina["length"] == 130 and astina["width"] == 20 and astina["draught"] == 5.9
    assert astina["destination"] == "FREDERICIA" and astina["eta"] == "05-31T04:00"
    assert astina["station"] == "A"
    aton = sta.filter(pl.col("mmsi") == 992111840).row(0, named=True)
    assert aton["station"] == "ATON" and aton["name"] == "WIND FARM BALTIC1NW"
    # the " " placeholders of the first row are not static information
    assert sta.filter(pl.col("mmsi") == 215810000).height == 0


# --- conversions and rejects -------------------------------------------------------------------

def test_not_available_values_and_ranges(tmp_path):
    rows = [
        row22(mmsi="219000001", sog="102.3", cog="360.0", heading="511"),       # n/a -> null
        row22(mmsi="219000002", sog="", cog="", heading="", rot=""),           # blanks -> null
        row22(mmsi="219000003", lat="95.0"),                                   # out of range
        row22(mmsi="219000004", lon="-181.5"),                                 # out of range
        row22(mmsi="219000005", sog="150"),                                    # out of range
        row22(mmsi="219000006", cog="400"),                                    # out of range
        row22(mmsi="219000007", heading="400"),                                # out of range
        row22(mmsi="219000008", lat="abc"),                                    # not a number
        row22(mmsi="123"),                                                     # invalid MMSI
        row22(mmsi="x"),                                                       # invalid MMSI
        row22(ts="2018-06-01 00:00:00"),                                       # bad timestamp
        row22(ts="32/06/2018 00:00:00"),                                       # bad timestamp
        row22(mmsi="219000009", lat="91.000000", lon="181.000000", sog="", cog="", heading=""),  # nothing
        row22(mmsi="219000010", lat="", lon=""),                               # nothing
    ]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == len(rows)
    assert rej == {REASON_OUT_OF_RANGE: 6, REASON_INVALID_MMSI: 2, REASON_BAD_TIMESTAMP: 2, REASON_NO_POSITION: 2}
    assert pos["mmsi"].to_list() == [219000001, 219000002]
    for r in pos.iter_rows(named=True):
        assert r["sog"] is None and r["cog"] is None and r["heading"] is None
    assert pos["rot"].to_list() == [0.0, None]
    assert sta.height == 0


def test_static_only_row_and_row_with_both(tmp_path):
    rows = [
        row22(mmsi="219000001", lat="91", lon="181", sog="", cog="", heading="", name="NO POS@@", callsign="OXAB"),
        row22(mmsi="219000002", name="BOTH", imo="IMO9074729", ship_type="Cargo", width="20", length="100",
              draught="7.5", dest="AARHUS", eta="02/06/2018 13:45:00"),
    ]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == 2 and rej == {}
    assert pos["mmsi"].to_list() == [219000002]
    s = {r["mmsi"]: r for r in sta.iter_rows(named=True)}
    assert s[219000001]["name"] == "NO POS" and s[219000001]["callsign"] == "OXAB"
    both = s[219000002]
    assert both["imo"] == 9074729 and both["ship_type"] == 70 and both["length"] == 100.0
    assert both["eta"] == "06-02T13:45" and both["destination"] == "AARHUS" and both["draught"] == 7.5


def test_26_column_layout_dimensions_from_antenna(tmp_path):
    rows = [
        row22(mmsi="219000001", name="A", width="", length="") + ",80,20,6,4",
        row22(mmsi="219000002", name="B", width="12", length="50") + ",1,1,1,1",
        row22(mmsi="219000003") + ",,,,",
    ]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H26, rows))
    assert units == 3 and rej == {} and pos.height == 3
    s = {r["mmsi"]: r for r in sta.iter_rows(named=True)}
    assert (s[219000001]["length"], s[219000001]["width"]) == (100.0, 10.0)
    assert (s[219000002]["length"], s[219000002]["width"]) == (50.0, 12.0)
    assert 219000003 not in s


def test_columns_by_name_not_position(tmp_path):
    header = "MMSI,# Timestamp,Latitude,Longitude,SOG,Type of mobile"
    rows = ["219000001,01/06/2018 00:00:05,55.1,12.2,3.5,Class B"]
    pos, _, rej, units, _ = read_all(write(tmp_path, header, rows))
    assert units == 1 and rej == {}
    r = pos.row(0, named=True)
    assert r["ts"] == T0 + 5 and r["lat"] == 55.1 and r["sog"] == 3.5 and r["station"] == "B"
    assert r["cog"] is None and r["nav_status"] is None


def test_ragged_rows_are_counted_not_fatal(tmp_path):
    good = row22(mmsi="219000001")
    rows = [
        good,
        good.rsplit(",", 3)[0],           # short
        good + ",extra",                  # long
        good + ",",                       # long (empty extra field)
        "garbage",
        row22(mmsi="219000002"),
    ]
    pos, _, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == 6
    assert rej == {REASON_BAD_ROW: 4}
    assert pos["mmsi"].to_list() == [219000001, 219000002]


def test_ragged_first_line_and_quotes(tmp_path):
    rows = [
        row22(mmsi="219000001") + ",x",   # first line of the block overlong
        row22(mmsi="219000002", name='"SMITH, JONES"'),
    ]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == 2 and rej == {REASON_BAD_ROW: 1}
    assert sta["name"].to_list() == ["SMITH, JONES"]
    # an unbalanced quote neither crashes nor swallows the following lines
    rows = [row22(mmsi="219000003", name='"OBRIAN'), row22(mmsi="219000004"), row22(mmsi="219000005")]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H22, rows, "q.csv"))
    assert units == 3 and pos.height + sum(rej.values()) == 3 and pos.height >= 2


def test_blank_lines_and_crlf_are_not_units(tmp_path):
    p = tmp_path / "aisdk_crlf.csv"
    p.write_bytes((H22 + "\r\n" + row22(mmsi="219000001") + "\r\n\r\n" + row22(mmsi="219000002") + "\r\n").encode())
    pos, _, rej, units, _ = read_all(p)
    assert units == 2 and rej == {} and pos.height == 2


def test_no_trailing_newline(tmp_path):
    p = tmp_path / "aisdk_nonl.csv"
    p.write_text(H22 + "\n" + row22(mmsi="219000001") + "\n" + row22(mmsi="219000002"))
    pos, _, _, units, _ = read_all(p)
    assert units == 2 and pos.height == 2


def test_batches_and_compression(tmp_path):
    rows = [row22(mmsi=str(219000000 + i), ts=f"01/06/2018 00:{i // 60:02d}:{i % 60:02d}") for i in range(250)]
    plain = write(tmp_path, H22, rows)
    pos, _, _, units, batches = read_all(plain, batch_rows=40)
    assert units == 250 and pos.height == 250 and len(batches) >= 7
    assert all(b.units <= 40 for b in batches)
    assert pos["ts"].to_list() == [T0 + i for i in range(250)]
    gz = tmp_path / "aisdk.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    zp = tmp_path / "aisdk.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(plain, "aisdk_2018-06-01.csv")
    for p in (gz, zp):
        pos2, _, _, units2, _ = read_all(p, source="x")
        assert units2 == 250 and pos2.equals(pos.with_columns(source=pl.lit("x")))


def test_not_a_dma_file(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("a,b,c\n1,2,3\n")
    items = list(read_dma_csv(p))
    assert [type(i) for i in items] == [Unreadable]
    assert "other.csv" in items[0].detail and "no Timestamp, MMSI, Latitude, Longitude column" in items[0].detail


def test_looks_like(tmp_path):
    head = (H22 + "\n" + row22() + "\n").encode()
    assert looks_like_dma_csv(head)
    assert looks_like_dma_csv((H26 + "\n").encode())
    assert looks_like_dma_csv(gzip.compress(head)[:200])
    assert not looks_like_dma_csv(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\n")
    assert not looks_like_dma_csv(b'{"topic": "vessels-v2/1/location"}')
    assert not looks_like_dma_csv(b"")


def test_code_mappings():
    assert nav_status_code("Under way using engine") == 0
    assert nav_status_code("  under WAY   using engine ") == 0
    assert nav_status_code("Restricted maneuverability") == 3
    assert nav_status_code("Restricted manoeuverability") == 3
    assert nav_status_code("Reserved for future amendment [HSC]") == 9
    assert nav_status_code("Reserved for future amendment [WIG]") == 10
    assert nav_status_code("Power-driven vessel towing astern") == 11
    assert nav_status_code("Power-driven vessel pushing ahead or towing alongside") == 12
    assert nav_status_code("Reserved for future use") == 13
    assert nav_status_code("AIS-SART is active") == 14
    assert nav_status_code("Unknown value") == 15
    assert nav_status_code("") is None and nav_status_code("gibberish") is None
    assert [ship_type_code(t) for t in ("Cargo", "Tanker", "Passenger", "Fishing", "Towing", "Tug", "Pilot",
                                        "SAR", "Law enforcement", "Sailing", "Pleasure", "HSC", "Military",
                                        "Dredging", "Diving", "Port tender", "Anti-pollution", "Medical",
                                        "WIG", "Other", "Undefined")] == [
        70, 80, 60, 30, 31, 52, 50, 51, 55, 36, 37, 40, 35, 33, 34, 53, 54, 58, 20, 90, None]
    assert ship_type_code("Towing long/wide") == 32
    assert ship_type_code("Cargo", "Category Y") == 72
    assert station_code("Class A") == "A" and station_code("Base Station") == "BASE"
    assert station_code("AtoN") == "ATON" and station_code("SAR Airborne") == "SAR"
    assert station_code("Search and Rescue Transponder") == "UNKNOWN"
    assert station_code("Man Overboard Device") == "UNKNOWN"


def test_short_and_long_rows_that_balance_out(tmp_path):
    """One field missing in a row and one too many in another: the comma total still adds up."""
    good = row22(mmsi="219000001")
    rows = [good, good.rsplit(",", 1)[0], good + ",x", row22(mmsi="219000002")]
    pos, _, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == 4 and rej == {REASON_BAD_ROW: 2}
    assert pos["mmsi"].to_list() == [219000001, 219000002]


# --- the typed fast path and its fallback ----------------------------------------------------------

def test_bad_value_in_a_big_block_falls_back_only_for_its_piece(tmp_path, monkeypatch):
    """A field that the typed read cannot parse sends only the piece around it to the careful path."""
    import dkfi.maritime.sources.dma_csv as dma
    monkeypatch.setattr(dma, "_SPLIT_BYTES", 4096)
    rows = [row22(mmsi=str(219000000 + i), ts=f"01/06/2018 00:{i // 60 % 60:02d}:{i % 60:02d}") for i in range(2000)]
    rows[700] = row22(mmsi="219999999", lat="abc")           # not a number: out of range
    rows[1500] = row22(mmsi="219999998", rot="fast")         # ROT is not checked: null
    rows[1800] = row22(mmsi="219999997", heading="1e30")     # a number, out of range
    pos, _, rej, units, _ = read_all(write(tmp_path, H22, rows))
    assert units == 2000 and rej == {REASON_OUT_OF_RANGE: 2}
    assert pos.height == 1998 and pos["mmsi"].n_unique() == 1998
    assert pos.filter(pl.col("mmsi") == 219999998)["rot"].to_list() == [None]
    expected = [219999998 if i == 1500 else 219000000 + i for i in range(2000) if i not in (700, 1800)]
    assert pos["mmsi"].to_list() == expected  # row order is kept


def test_blanks_around_numbers_are_allowed_in_both_paths(tmp_path):
    rows = [row22(mmsi=" 219000001", lat=" 55.5", lon="11.5 ", sog=" 3.5 ")]
    for extra, name in ((row22(mmsi="219000002"), "fast.csv"),
                        (row22(mmsi="219000002", name='"QUOTED"'), "careful.csv")):
        pos, _, rej, units, _ = read_all(write(tmp_path, H22, rows + [extra], name))
        assert units == 2 and rej == {}, name
        r = pos.row(0, named=True)
        assert (r["mmsi"], r["lat"], r["lon"], r["sog"]) == (219000001, 55.5, 11.5, 3.5), name


def test_empty_last_field_and_short_line_26_columns(tmp_path):
    """An empty last field (D) is not taken for a short line, and a short line is still found."""
    rows = [row22(mmsi="219000001") + ",1,2,3,", row22(mmsi="219000002") + ",1,2,3",
            row22(mmsi="219000003") + ",1,2,3,4,5", row22(mmsi="219000004") + ",,,,"]
    pos, _, rej, units, _ = read_all(write(tmp_path, H26, rows))
    assert units == 4 and rej == {REASON_BAD_ROW: 2}
    assert pos["mmsi"].to_list() == [219000001, 219000004]


def test_texts_seen_in_later_batches(tmp_path):
    """Codes of texts that first appear in a later batch (the Enum of known texts grows)."""
    rows = [row22(mmsi="219000001")] * 30 + [
        row22(mmsi="219000002", mobile="Class B", nav="Moored", ship_type="Tanker", name="X"),
        row22(mmsi="219000003", mobile="Base Station", nav="At anchor", ship_type="Undefined")]
    pos, sta, rej, units, _ = read_all(write(tmp_path, H22, rows), batch_rows=10)
    assert units == 32 and rej == {}
    last = {r["mmsi"]: r for r in pos.tail(2).iter_rows(named=True)}
    assert (last[219000002]["station"], last[219000002]["nav_status"]) == ("B", 5)
    assert (last[219000003]["station"], last[219000003]["nav_status"]) == ("BASE", 1)
    assert sta["ship_type"].to_list() == [80]
