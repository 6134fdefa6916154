"""The AIS decoders behind the seam (sources/decoders.py) and the columnar NMEA reader, against pyais, the reference.

* every decoder gives the fields dkfi stores as pyais + normalise does, on every one-sentence 168-bit report of the
  types it takes (1, 2, 3, 18; 4 and 11 but for marlin) in the decoder test vectors (aiscat within its 32-bit float
  latitude and longitude);
* random position reports encoded by pyais's encoder decode alike;
* the columnar reader (nmea_batch) accounts for every line as the per-line reader does, and gives the same records,
  on the bundled recording and on random mixtures of the DMA line groups with everything that breaks them;
* importing the bundled recording with ``--decoder pyais`` and with the default stores the same positions.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pyais
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyais.encode import encode_dict

from dkfi.maritime.normalise import normalise
from dkfi.maritime.pipeline import Pipeline
from dkfi.maritime.records import Position, Rejected, Static
from dkfi.maritime.sources.decoders import DECODERS, DEFAULT_DECODER, SIX, decoder_name, get_decoder
from dkfi.maritime.sources.nmea import nmea_checksum, read_nmea
from dkfi.maritime.sources.nmea_batch import decode_sentences, read_nmea_batches
from tests.conftest import need_shared, shared_folder

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"
FIELDS = ("msg_type", "mmsi", "lat", "lon", "sog", "cog", "heading", "nav_status", "rot")


def _vector_reports() -> list[bytes]:
    """Every one-sentence 168-bit type 1, 2, 3, 18 report with a good checksum in the decoder test vectors."""
    root = shared_folder() / "data" / "ais" / "decoder_vectors"
    need_shared(root)
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".json" or path.name == "LICENSE":
            continue
        for raw in path.read_bytes().splitlines():
            s = raw.strip()
            if s.startswith(b"\\"):
                s = s[s.find(b"\\", 1) + 1:]
            i = s.find(b"!")
            if i < 0:
                continue
            s = s[i:]
            s = s[:s.find(b"*") + 3]
            f = s.split(b",")
            if len(f) != 7 or f[1:3] != [b"1", b"1"] or len(f[5]) != 28 or f[6][:1] != b"0" or s[3:6] != b"VDM":
                continue
            if s[-2:] != b"%02X" % nmea_checksum(s[1:-3]) or f[5][:1] not in (b"1", b"2", b"3", b"B", b"4", b";"):
                continue
            out.append(s)
    return out


def _reference(sentence: bytes) -> dict | None:
    """The stored fields by pyais + normalise; None when normalise refuses the report (no position, bad MMSI)."""
    item = normalise(pyais.decode(sentence), 0.0)[0]
    if type(item) is not Position:
        return None
    return {"msg_type": item.msg_type, "mmsi": item.mmsi, "lat": item.lat, "lon": item.lon, "sog": item.sog,
            "cog": item.cog, "heading": item.heading, "nav_status": item.nav_status, "rot": item.rot}


def _decoded(cols: dict[str, np.ndarray], i: int) -> dict:
    out = {}
    for f in FIELDS:
        v = cols[f][i].item()
        if isinstance(v, float) and math.isnan(v):
            v = None
        elif f in ("heading", "nav_status") and v < 0:
            v = None
        out[f] = v
    return out


@pytest.mark.parametrize("decoder", [d for d in DECODERS if d != "pyais"])
def test_every_decoder_agrees_with_pyais_on_the_stored_fields_of_the_vector_reports(decoder: str) -> None:
    types = get_decoder(decoder).types
    reports = [s for s in _vector_reports() if SIX[s.split(b",")[5][0]] in types]
    assert len(reports) > 500 and (decoder == "marlin" or any(s.split(b",")[5][:1] == b"4" for s in reports))
    cols, rest = decode_sentences(b"\n".join(reports) + b"\n", decoder)
    assert rest == [] and len(cols["mmsi"]) == len(reports)
    compared = 0
    for i, s in enumerate(reports):
        want = _reference(s)
        got = _decoded(cols, i)
        if want is None:  # refused by normalise: the columnar reader refuses it too (MMSI or position range)
            bad_pos = not (-90 <= got["lat"] <= 90 and -180 <= got["lon"] <= 180)
            assert bad_pos or not 200_000_000 <= got["mmsi"] <= 799_999_999 or got["mmsi"] < 2_000_000, s
            continue
        compared += 1
        if decoder == "aiscat":  # 32-bit float arithmetic: within two float32 steps (4e-6 degree at 55) and the grid
            for f in ("lat", "lon"):
                w = want.pop(f)
                assert abs(got.pop(f) - w) <= 2 * float(np.spacing(np.float32(abs(w)))) + 2e-6, (s, f)
        assert got == want, s
    assert compared > 500


POSITION = st.fixed_dictionaries({
    "type": st.sampled_from([1, 2, 3, 18, 4, 11]),
    "mmsi": st.integers(0, (1 << 30) - 1),
    "lat": st.one_of(st.floats(-90, 90), st.just(91.0)),
    "lon": st.one_of(st.floats(-180, 180), st.just(181.0)),
    "speed": st.integers(0, 1023).map(lambda x: x / 10),
    "course": st.integers(0, 3600).map(lambda x: x / 10),
    "heading": st.one_of(st.integers(0, 359), st.just(511)),
    "status": st.integers(0, 15),
    "turn": st.integers(-126, 126).map(float),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(POSITION, min_size=1, max_size=40))
def test_random_reports_encoded_by_pyais_decode_as_pyais_decodes_them(reports: list[dict]) -> None:
    sentences = []
    for r in reports:
        if r["type"] == 18:
            r = {k: v for k, v in r.items() if k not in ("status", "turn")}
        elif r["type"] in (4, 11):
            r = {k: v for k, v in r.items() if k in ("type", "mmsi", "lat", "lon")}
        sentences.append(encode_dict(r, radio_channel="A", talker_id="AI")[0].encode())
    cols, rest = decode_sentences(b"\n".join(sentences), DEFAULT_DECODER)
    assert rest == []
    for i, s in enumerate(sentences):
        want = _reference(s)
        if want is not None:
            assert _decoded(cols, i) == want, s


# ---- the columnar reader against the per-line reader ------------------------------------------------------------

def _sentence(body: str) -> str:
    return f"!{body}*{nmea_checksum(body.encode()):02X}"


def _pghp(t: int, ms: int = 0) -> str:
    body = f"PGHP,1,2013,11,12,12,{t // 60 % 60},{t % 60},{ms},219,,2190067,1,00"
    return f"${body}*{nmea_checksum(body.encode()):02X}"


def _report(mmsi: int, i: int, mt: int = 1) -> str:
    d = {"type": mt, "mmsi": mmsi, "lat": 55 + i / 1000, "lon": 11 + i / 1000, "speed": 5.0, "course": 90.0,
         "heading": 90}
    return encode_dict(d, radio_channel="A", talker_id="BS")[0]


TYPE5 = encode_dict({"type": 5, "mmsi": 219000777, "shipname": "TESTER", "callsign": "OXAB", "ship_type": 70,
                     "to_bow": 50, "to_stern": 20, "to_port": 5, "to_starboard": 5, "destination": "AARHUS"},
                    radio_channel="A", talker_id="AI", seq_id=3)

PIECES = st.sampled_from([
    "group", "group", "group", "group", "group_tp", "group_pt", "bare", "pstt", "blank", "spaces", "comment",
    "bad_checksum", "type5", "type5_first", "type5_second", "tag_c", "tag_bad", "pghp_bad", "pghp_0", "invalid",
    "dup", "trailer", "lf_cr", "status", "status_p", "status_t",
])


def _lines(pieces: list[str], mmsis: list[int]) -> list[str]:
    out: list[str] = []
    for k, (p, m) in enumerate(zip(pieces, mmsis)):
        t = 60 + k
        rep = _report(m, k)
        if p == "group":
            out += ["\\si:AISD*3F\\", _pghp(t), rep]
        elif p == "group_tp":
            out += ["\\s:r1*49\\", _pghp(t), rep]
        elif p == "group_pt":
            out += [_pghp(t), "\\si:AISD*3F\\", rep]
        elif p == "bare":
            out += [_pghp(t), rep]
        elif p == "pstt":
            out += [_sentence("PSTT,10A,219,0") .replace("!", "$")]
        elif p == "blank":
            out += [""]
        elif p == "spaces":
            out += ["  \t "]
        elif p == "comment":
            out += ["# a comment"]
        elif p == "bad_checksum":
            out += [_pghp(t), rep[:-2] + ("00" if rep[-2:] != "00" else "01")]
        elif p == "type5":
            out += [_pghp(t), TYPE5[0], TYPE5[1]]
        elif p == "type5_first":
            out += [_pghp(t), TYPE5[0]]
        elif p == "type5_second":
            out += [_pghp(t), TYPE5[1]]
        elif p == "tag_c":
            body = f"c:{1384257600 + t},s:x"
            out += [f"\\{body}*{nmea_checksum(body.encode()):02X}\\", rep]
        elif p == "tag_bad":
            out += ["\\si:AISD*00\\", _pghp(t), rep]
        elif p == "pghp_bad":
            out += [_pghp(t).replace("2013", "1913"), rep]
        elif p == "pghp_0":
            out += ["$PGHP,0,1,2*" + f"{nmea_checksum(b'PGHP,0,1,2'):02X}", rep]
        elif p == "invalid":
            out += [_pghp(t), _report(1234, k)]
        elif p == "dup":
            out += [_pghp(t), rep, _pghp(t, 500), rep]
        elif p == "trailer":
            out += [_pghp(t), rep + ",1384257600"]
        elif p == "lf_cr":
            out += [_pghp(t) + "\r" + rep]
        elif p == "status":  # metadata left pending by a base station's status line, as in the DMA feed
            out += ["\\si:AISD*3F\\", _pghp(t), "$PSTT,30A,20131112,120000*6D"]
        elif p == "status_p":
            out += [_pghp(t), "$PSTT,30A,20131112,120000*6D", "# note"]
        elif p == "status_t":
            out += ["\\si:AISD*3F\\", "$PSTT,30A,20131112,120000*6D"]
    return out


def _run(items) -> tuple[dict, pl.DataFrame, list]:
    kept: list = []
    p = Pipeline(None, listeners=[kept.append], static_listeners=[kept.append])
    p.feed(items)
    frame = p.position_frame().sort(["ts", "mmsi", "lat", "lon"], maintain_order=True)
    statics = sorted((s.ts, s.mmsi, s.name, s.units) for s in kept if type(s) is Static)
    d = p.acc.as_dict()
    d["positions"], d["statics"] = p.acc.positions, p.acc.statics
    return d, frame, statics


def _same(path: Path, block: int) -> None:
    clock = lambda: 1.4e9  # noqa: E731
    ref = _run(read_nmea(path, receive_time=clock))
    got = _run(read_nmea_batches(path, receive_time=clock, block=block))
    assert got[0] == ref[0]
    assert got[1].equals(ref[1])
    assert got[2] == ref[2]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, min_size=1, max_size=120), st.integers(0, 10_000), st.sampled_from([64, 512, 4096, 1 << 20]))
def test_the_columnar_reader_accounts_and_decodes_as_the_line_reader(tmp_path: Path, pieces: list[str], seed: int,
                                                                      block: int) -> None:
    mmsis = [219_000_000 + (seed + 7 * k) % 50 for k in range(len(pieces))]
    path = tmp_path / "mix.nmea"
    path.write_text("\n".join(_lines(pieces, mmsis)) + "\n", encoding="latin-1")
    _same(path, block)


def test_a_multipart_message_goes_stale_across_fast_groups_as_in_the_line_reader(tmp_path: Path) -> None:
    for gap in (30, 33, 34, 40, 60, 100):  # groups of three lines between the two parts: stale after 100 lines
        pieces = ["type5_first"] + ["group"] * gap + ["type5_second"] + ["group"] * 200 + ["type5_first"]
        path = tmp_path / f"gap{gap}.nmea"
        path.write_text("\n".join(_lines(pieces, [219_000_001 + k % 9 for k in range(len(pieces))])) + "\n")
        _same(path, 1 << 20)
        _same(path, 700)


def test_the_recording_reads_alike_with_the_columnar_reader() -> None:
    _same(SAMPLE, 1 << 21)
    _same(SAMPLE, 100_000)


def test_the_columnar_reader_takes_most_of_the_recording_as_batches() -> None:
    from dkfi.maritime.records import Batch

    items = list(read_nmea_batches(SAMPLE, receive_time=lambda: 1.4e9))
    in_batches = sum(b.positions.height for b in items if type(b) is Batch)
    one_by_one = sum(1 for x in items if type(x) is Position)
    assert in_batches > 0.9 * (in_batches + one_by_one)
    assert not any(type(x) is Rejected and x.reason != "invalid_mmsi" for x in items)


def test_an_unknown_decoder_is_refused_naming_the_choices(monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown AIS decoder 'fast'.*columnar, pyais, aiscat, marlin"):
        get_decoder("fast")
    monkeypatch.setenv("DKFI_AIS_DECODER", "pyais")
    assert decoder_name() == "pyais" and get_decoder() is None
    monkeypatch.setenv("DKFI_AIS_DECODER", "nope")
    with pytest.raises(ValueError, match="'nope'"):
        decoder_name()


def test_importing_the_recording_with_pyais_and_the_default_stores_the_same_positions(tmp_path: Path) -> None:
    from dkfi.core.config import Settings
    from dkfi.core.db import get_engine
    from dkfi.maritime import service
    from dkfi.maritime.models import Vessel
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    stored = {}
    for decoder in ("pyais", DEFAULT_DECODER):
        s = Settings(data_dir=tmp_path / decoder)
        engine = get_engine(s.effective_database_url)
        report = service.import_paths(engine, [SAMPLE], s, decoder=decoder)
        assert not report.errors and report.total.balanced()
        store = service.make_store(engine, s)
        history = store.history_positions().collect().sort(["ts", "mmsi", "lat", "lon", "source"])
        with Session(engine) as session:
            vessels = [(v.mmsi, v.lat, v.lon, v.sog, v.cog, v.heading, v.nav_status, v.rot, v.time, v.name)
                       for v in session.scalars(select(Vessel).order_by(Vessel.mmsi))]
        stored[decoder] = (report.as_dict(), history, vessels)
    (ra, ha, va), (rb, hb, vb) = stored["pyais"], stored[DEFAULT_DECODER]
    assert {k: v for k, v in ra.items() if k != "files"} == {k: v for k, v in rb.items() if k != "files"}
    assert ha.height == 25_946 and ha.equals(hb)
    assert va == vb and len(va) > 1_400


def test_the_command_takes_a_decoder_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DKFI_DATA_DIR": str(tmp_path / "var")}
    env.pop("DKFI_DATABASE_URL", None)
    bad = subprocess.run([sys.executable, "-m", "dkfi", "ais", "import", str(SAMPLE), "--decoder", "fast"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown AIS decoder 'fast'" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "dkfi", "ais", "import", str(SAMPLE), "--decoder", "pyais", "--json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["received"] == 80_246
